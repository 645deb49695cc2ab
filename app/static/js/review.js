/* review: progressive enhancement of the appraisal page (templates/review/submission.html).
   Without JavaScript every control still works: the radios post, the "Đồng ý cả nhóm/toàn bộ" buttons save.
   With it: choosing "Không đồng ý" opens the indicator's inputs and focuses the points; "Đồng ý" greys them;
   the group/all buttons only set the choices; the sticky bar shows a preview of the appraised score, computed
   by the server (POST …/preview, which writes nothing). */
(function () {
  "use strict";
  var form = document.getElementById("appraisal-form");
  if (!form || !form.dataset.preview) { return; }
  var score = document.getElementById("rv-score");
  var skip = document.getElementById("rv-skip");
  var timer = null;
  var seq = 0;

  function box(el) { return el.closest("fieldset.rv-ind"); }
  function judged(fieldset) {
    // value, conclusion and points: what "Không đồng ý" unlocks (the comment and the return reason stay open)
    return fieldset.querySelectorAll(".rv-inputs input:not(.rv-comment), .rv-inputs select");
  }
  function setState(fieldset, disagree, focus) {
    var details = fieldset.querySelector("details.rv-more");
    fieldset.classList.toggle("rv-disagree", disagree);
    judged(fieldset).forEach(function (input) { if (!input.hasAttribute("data-locked")) { input.disabled = !disagree; } });
    if (disagree && details) {
      details.open = true;
      if (focus) {
        var first = fieldset.querySelector(".rv-points") || fieldset.querySelector(".rv-inputs input:not([disabled])");
        if (first) { first.focus(); }
      }
    }
  }
  function updateSkip() {
    if (!skip) { return; }
    var first = form.querySelector("fieldset.rv-ind.rv-disagree");
    skip.href = "#" + (first ? first.id : "rv-bar");
    skip.textContent = first ? skip.dataset.some : skip.dataset.none;
  }
  function preview() {
    var mine = ++seq;
    var data = new FormData(form);
    data.delete("action");
    score.classList.add("rv-stale");
    fetch(form.dataset.preview, { method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (json) {
        if (mine !== seq) { return; }
        score.classList.remove("rv-stale");
        if (!json || !json.text) { return; }
        score.textContent = json.text;
        score.classList.toggle("rv-fail", !json.passed);
      })
      .catch(function () { score.classList.remove("rv-stale"); });
  }
  function later() { clearTimeout(timer); timer = setTimeout(preview, 300); }

  // Inputs disabled by the server (another reviewer's group, locked page) stay disabled.
  form.querySelectorAll(".rv-inputs input, .rv-inputs select").forEach(function (input) {
    if (input.disabled) { input.setAttribute("data-locked", ""); }
  });
  form.querySelectorAll("fieldset.rv-ind").forEach(function (fieldset) {
    var checked = fieldset.querySelector("input.rv-agree:checked");
    if (checked && !checked.disabled) { setState(fieldset, checked.value === "disagree", false); }
  });
  form.addEventListener("change", function (event) {
    var t = event.target;
    if (t.classList && t.classList.contains("rv-agree")) {
      setState(box(t), t.value === "disagree", true);
      updateSkip();
    }
    later();
  });
  form.addEventListener("input", function (event) {
    if (event.target.tagName !== "TEXTAREA") { later(); }
  });
  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-scope]");
    if (!button) { return; }
    event.preventDefault();
    var scope = button.dataset.scope;
    var root = scope === "all" ? form : form.querySelector("section[data-group='" + scope + "']");
    root.querySelectorAll("input.rv-agree[value=agree]:not([disabled])").forEach(function (radio) {
      radio.checked = true;
      var fieldset = box(radio);
      setState(fieldset, false, false);
      var details = fieldset.querySelector("details.rv-more");
      if (details && !fieldset.querySelector(".rv-comment").value && !(fieldset.querySelector(".rv-inputs textarea[id$='_return']") || {}).value) {
        details.open = false;
      }
    });
    updateSkip();
    preview();
  });
  updateSkip();
  if (form.querySelector("fieldset.rv-ind.rv-disagree, .has-error")) { preview(); }
})();
