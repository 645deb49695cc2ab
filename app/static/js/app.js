/* Progressive enhancement only: the pages work without JavaScript. */
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
  // Warn before leaving a questionnaire page with unsaved changes.
  var form = document.querySelector("form[enctype='multipart/form-data']");
  if (!form) { return; }
  var dirty = false;
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("change", function () { dirty = true; });
  form.addEventListener("submit", function () { dirty = false; });
  form.addEventListener("autosave:clean", function () { dirty = false; });  // static/js/autosave.js saved everything
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
})();
/* File pickers: the real <input type=file> sits hidden under its label, which is drawn as a button (app.css §5).
   Without JavaScript the picker still works; with it, the chosen file names are shown under the button. */
(function () {
  "use strict";
  var inputs = document.querySelectorAll("input[type=file]");
  Array.prototype.forEach.call(inputs, function (input) {
    var names = document.createElement("span");
    names.className = "file-names";
    names.id = (input.id || input.name) + "-chosen";
    names.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", names);
    input.addEventListener("change", function () {
      var list = [];
      for (var i = 0; i < (input.files || []).length; i++) { list.push(input.files[i].name); }
      names.textContent = list.length ? "✓ " + list.join(", ") : "";
    });
  });
})();
