/* Autosave of the questionnaire group page (templates/submissions/_autosave.html). Progressive: without this
   script the "Lưu nháp" buttons do everything, and the server checks everything either way.

   - A change (input/change) waits DELAY ms, then POSTs the form's fields (CSRF token and version token included;
     never files nor "xóa" ticks: those go only with an explicit save) to the page's own address with
     `Accept: application/json`. The answer: 200 {version, saved_text} → the new version token goes into the form
     and the status line says "Đã lưu lúc 10:42"; 422 → the valid inputs were saved (new version), the messages
     are shown beside the fields and nothing typed is touched; 409 (someone else saved), 400 (CSRF), 401 (logged
     out), 403/404/413 → autosave stops, the page says why, the explicit save and its conflict page take over.
   - A failed request (offline, server down) keeps the values in localStorage (key from the page: user, campaign,
     unit, group; the entry records the version token it was typed against) and retries when the browser goes
     `online` or after RETRY_MS. Leaving the page (visibilitychange hidden / pagehide) keeps the values too and
     sends a last save with fetch keepalive.
   - On opening the page, values kept in the browser that differ from what the page shows are offered back
     ("Khôi phục" / "Bỏ"); nothing is restored without the user's click. A full save clears them.
   Messages come from data-msg-* attributes (translated by the template). No inline script: the CSP forbids it. */
(function () {
  "use strict";
  var box = document.getElementById("autosave");
  var form = document.getElementById("group-form");
  var status = document.getElementById("autosave-status");
  if (!box || !form || !status || !window.fetch || !window.URLSearchParams || !window.Promise) { return; }
  var alertBox = document.getElementById("autosave-alert");
  var offerBox = document.getElementById("autosave-offer");
  var versionInput = form.querySelector("input[name=version]");
  var csrfInput = form.querySelector("input[name=csrf_token]");
  var KEY = box.getAttribute("data-key");
  var DELAY = parseInt(box.getAttribute("data-delay"), 10) || 2000;
  var RETRY_MS = 30000;
  var NOT_TYPED = { csrf_token: true, version: true, go: true, remove_evidence: true };
  var lang = document.documentElement.lang || "vi";
  var storage = null;
  try { storage = window.localStorage; storage.getItem(KEY); } catch (e) { storage = null; }

  var state = {
    timer: null,        // debounce or retry timer
    inFlight: null,     // promise of the request being sent (one at a time: each needs the previous version)
    changes: 0,         // counts edits
    savedChanges: 0,    // `changes` when the last successful save was sent
    stopped: false,     // conflict, stale token, logged out…: only the explicit save from now on
    waiting: false,     // a save failed for want of network/server: retry on `online`
    submitting: false,  // the explicit save is under way (the page is leaving by itself)
    marked: []          // fields marked invalid by the last answer
  };

  function text(name, values) {
    var template = box.getAttribute("data-msg-" + name) || "";
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return values && Object.prototype.hasOwnProperty.call(values, key) ? values[key] : whole;
    });
  }
  function isTyped(el) {
    if (!el.name || el.disabled || NOT_TYPED[el.name]) { return false; }
    var type = (el.type || "").toLowerCase();
    return type !== "file" && type !== "submit" && type !== "button" && type !== "reset" && type !== "image";
  }
  function collect() {  // name → value of every typed field (checked radios/checkboxes only)
    var values = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!isTyped(el)) { return; }
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
      values[el.name] = el.value;
    });
    return values;
  }
  function filesChosen() {
    var chosen = false;
    Array.prototype.forEach.call(form.querySelectorAll("input[type=file]"), function (el) {
      if (el.files && el.files.length) { chosen = true; }
    });
    return chosen || !!form.querySelector("input[name=remove_evidence]:checked");
  }
  function numberOf(value) {  // "1.000,5" (vi) / "1,000.5" (en) → 1000.5, else null
    var raw = String(value).replace(/[\s\u00a0%]/g, "");
    if (!/^[-+]?[\d.,]+$/.test(raw)) { return null; }
    raw = lang.indexOf("vi") === 0 ? raw.replace(/\./g, "").replace(",", ".") : raw.replace(/,/g, "");
    var n = Number(raw);
    return isFinite(n) ? n : null;
  }
  function sameValue(a, b) {
    a = String(a === undefined ? "" : a); b = String(b === undefined ? "" : b);
    if (a.normalize) { a = a.normalize("NFC"); b = b.normalize("NFC"); }
    if (a.trim() === b.trim()) { return true; }
    var x = numberOf(a), y = numberOf(b);
    return x !== null && x === y;
  }
  function sameValues(a, b) {
    var names = {}, name;
    for (name in a) { if (Object.prototype.hasOwnProperty.call(a, name)) { names[name] = true; } }
    for (name in b) { if (Object.prototype.hasOwnProperty.call(b, name)) { names[name] = true; } }
    for (name in names) {
      if (Object.prototype.hasOwnProperty.call(names, name) && !sameValue(a[name], b[name])) { return false; }
    }
    return true;
  }

  // ---------------------------------------------------------------- the browser's copy
  function keep(values) {  // true when the browser holds `values`
    if (!storage) { return false; }
    try {
      storage.setItem(KEY, JSON.stringify({ version: versionInput.value, at: Date.now(), values: values }));
      return true;
    } catch (e) { return false; }
  }
  function kept() {
    if (!storage) { return null; }
    try {
      var entry = JSON.parse(storage.getItem(KEY) || "null");
      return entry && typeof entry.values === "object" && entry.values ? entry : null;
    } catch (e) { return null; }
  }
  function forget() {
    if (storage) { try { storage.removeItem(KEY); } catch (e) { /* nothing to do */ } }
  }

  // ---------------------------------------------------------------- what the page says
  function clear(el) { while (el.firstChild) { el.removeChild(el.firstChild); } }
  function say(message, kind) {  // kind: "saved" (default), "saving" or "problem" (styled by css/autosave.css)
    status.textContent = message;
    status.setAttribute("data-state", kind || "saved");
  }
  function para(parent, message, strong) {
    var p = document.createElement("p");
    if (strong) { var s = document.createElement("strong"); s.textContent = message; p.appendChild(s); } else { p.textContent = message; }
    parent.appendChild(p);
    return p;
  }
  function alertWith(lines, errors, anchors) {
    clear(alertBox);
    lines.forEach(function (line, i) { if (line) { para(alertBox, line, i === 0); } });
    if (errors) {
      var list = document.createElement("ul");
      Object.keys(errors).forEach(function (name) {
        (errors[name] || []).forEach(function (message) {
          var item = document.createElement("li");
          var link = document.createElement("a");
          link.href = "#" + ((anchors && anchors[name]) || name);
          link.textContent = message;
          item.appendChild(link);
          list.appendChild(item);
        });
      });
      alertBox.appendChild(list);
    }
    alertBox.hidden = false;
  }
  function unmark() {
    state.marked.forEach(function (entry) {
      if (entry.list.parentNode) { entry.list.parentNode.removeChild(entry.list); }
      if (entry.field) {
        if (entry.invalid === null) { entry.field.removeAttribute("aria-invalid"); } else { entry.field.setAttribute("aria-invalid", entry.invalid); }
        if (entry.described === null) { entry.field.removeAttribute("aria-describedby"); } else { entry.field.setAttribute("aria-describedby", entry.described); }
      }
    });
    state.marked = [];
  }
  function mark(errors, anchors) {  // messages beside the fields, as the server's page shows them
    unmark();
    Object.keys(errors || {}).forEach(function (name) {
      var field = document.getElementById((anchors && anchors[name]) || name);
      if (!field) { return; }
      var list = document.createElement("ul");
      list.className = "errors autosave-errors";
      list.id = field.id + "-autosave-err";
      errors[name].forEach(function (message) {
        var item = document.createElement("li");
        item.textContent = message;
        list.appendChild(item);
      });
      var holder = field.closest(".field") || field.closest(".evidence") || field.parentNode;
      holder.appendChild(list);
      state.marked.push({ list: list, field: field, invalid: field.getAttribute("aria-invalid"),
                          described: field.getAttribute("aria-describedby") });
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", ((field.getAttribute("aria-describedby") || "") + " " + list.id).trim());
    });
  }

  // ---------------------------------------------------------------- saving
  function schedule(ms) {
    clearTimeout(state.timer);
    state.timer = setTimeout(function () { save(false); }, ms);
  }
  function stop(message, extra, values) {
    state.stopped = true;
    clearTimeout(state.timer);
    var held = keep(values);
    say(text("stopped"), "problem");
    alertWith([text("stopped") + " " + message, held ? text("kept") : "", extra]);
  }
  function unreachable(values, code) {  // offline or the server is down: keep, retry later
    state.waiting = true;
    var held = keep(values);
    if (!held) { say(text("no-storage"), "problem"); } else if (code) { say(text("server", { status: code }), "problem"); } else { say(text("offline"), "problem"); }
    schedule(RETRY_MS);
  }
  function answered(response, data, values, sent) {
    var code = response.status;
    if (data && data.saved && (code === 200 || code === 422)) {
      versionInput.value = data.version;
      state.waiting = false;
      state.savedChanges = sent;
      if (code === 200) {
        forget();
        unmark();
        alertBox.hidden = true;
        say(data.saved_text || data.message);
        if (state.changes === sent && !filesChosen()) { form.dispatchEvent(new CustomEvent("autosave:clean")); }
      } else {
        keep(values);  // the invalid inputs were not saved: the browser keeps them in case the page is left
        say(data.message, "problem");
        mark(data.errors, data.anchors);
        alertWith([data.message], data.errors, data.anchors);
      }
      return;
    }
    if (data && data.status === "unavailable") { unreachable(values, code); return; }
    if (data && data.message) {
      stop(data.message, data.status === "conflict" ? text("conflict") : "", values);
      return;
    }
    if (response.type === "opaqueredirect" || code === 0 || (code >= 400 && code < 500 && code !== 408 && code !== 429)) {
      stop(text("other"), "", values);  // e.g. an HTML error page the script cannot read
      return;
    }
    unreachable(values, code || "?");
  }
  function save(leaving) {
    if (state.stopped || state.submitting) { return Promise.resolve(); }
    if (state.inFlight) { return state.inFlight; }
    clearTimeout(state.timer);
    var values = collect();
    var sent = state.changes;
    var body = new URLSearchParams();
    body.append("csrf_token", csrfInput ? csrfInput.value : "");
    body.append("version", versionInput.value);
    Object.keys(values).forEach(function (name) { body.append(name, values[name]); });
    if (!leaving) { say(text("saving"), "saving"); }
    var request;
    try {
      request = fetch(form.action || window.location.href, {
        method: "POST", body: body, credentials: "same-origin", redirect: "manual", keepalive: !!leaving,
        headers: { "Accept": "application/json" }
      });
    } catch (e) {
      request = Promise.reject(e);
    }
    state.inFlight = request.then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) { return { response: response, data: null }; }
      return response.json().then(function (data) { return { response: response, data: data }; },
                                  function () { return { response: response, data: null }; });
    }).then(function (result) {
      answered(result.response, result.data, values, sent);
    }, function () {
      unreachable(values, null);
    }).then(function () {
      state.inFlight = null;
      if (!state.stopped && !state.waiting && !state.submitting && state.changes > state.savedChanges) { schedule(DELAY); }
    });
    return state.inFlight;
  }

  // ---------------------------------------------------------------- events
  function changed(event) {
    var el = event.target;
    if (!el || !isTyped(el)) { return; }
    state.changes += 1;
    if (state.stopped || state.submitting) { return; }
    schedule(state.waiting ? RETRY_MS : DELAY);
    if (state.waiting) { keep(collect()); }  // offline: the browser's copy follows every keystroke
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  window.addEventListener("online", function () { if (state.waiting) { save(false); } });

  form.addEventListener("submit", function (event) {  // the explicit save: after the autosave under way, never beside it
    if (event.defaultPrevented) { return; }
    clearTimeout(state.timer);
    if (state.inFlight) {
      event.preventDefault();
      var submitter = event.submitter || null;
      state.inFlight.then(function () {
        if (form.requestSubmit) { form.requestSubmit(submitter); } else { state.submitting = true; form.submit(); }
      });
      return;
    }
    state.submitting = true;
  });
  window.addEventListener("pageshow", function () { state.submitting = false; });

  function leave() {
    if (state.submitting || state.changes === state.savedChanges) { return; }
    keep(collect());
    if (!state.stopped && !state.inFlight) { save(true); }
  }
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") { leave(); } });
  window.addEventListener("pagehide", leave);

  // ---------------------------------------------------------------- values kept from an earlier visit
  function restore(values) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!isTyped(el)) { return; }
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = values[el.name] === el.value;
      } else if (Object.prototype.hasOwnProperty.call(values, el.name)) {
        el.value = values[el.name];
      }
    });
  }
  function when(ms) {  // "03:56 30/11/2026" (vi) / "30/11/2026, 03:56" (en), in Asia/Ho_Chi_Minh
    try {
      return new Intl.DateTimeFormat(lang.indexOf("vi") === 0 ? "vi-VN" : "en-GB", { timeZone: "Asia/Ho_Chi_Minh", hour: "2-digit", minute: "2-digit",
                                             day: "2-digit", month: "2-digit", year: "numeric", hour12: false }).format(new Date(ms));
    } catch (e) { return new Date(ms).toLocaleString(); }
  }
  function offer() {
    var entry = kept();
    if (!entry) { return; }
    if (sameValues(entry.values, collect())) { forget(); return; }
    clear(offerBox);
    para(offerBox, text("offer", { time: when(entry.at) }), true);
    if (String(entry.version) !== String(versionInput.value)) { para(offerBox, text("offer-older")); }
    var actions = document.createElement("p");
    var yes = document.createElement("button");
    yes.type = "button"; yes.className = "primary"; yes.id = "autosave-restore"; yes.textContent = text("restore");
    var no = document.createElement("button");
    no.type = "button"; no.id = "autosave-discard"; no.textContent = text("discard");
    actions.appendChild(yes); actions.appendChild(document.createTextNode(" ")); actions.appendChild(no);
    offerBox.appendChild(actions);
    offerBox.hidden = false;
    yes.addEventListener("click", function () {
      offerBox.hidden = true;
      restore(entry.values);
      state.changes += 1;
      say(text("restored"));
      form.dispatchEvent(new Event("change"));  // the "leave with unsaved changes?" warning knows
      save(false);
    });
    no.addEventListener("click", function () {
      offerBox.hidden = true;
      forget();
      say(text("discarded"));
    });
  }
  offer();
})();
