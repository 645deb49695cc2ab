/* Progressive size check for save forms that carry data-max-file-bytes / data-max-save-bytes.
   Stops a save whose chosen files pass a limit before anything is sent, and names the file and
   the limit. The server enforces the same limits on its own (without this script nothing is lost:
   it reads every typed value and names the refused files). No inline script: the CSP forbids it. */
(function () {
  "use strict";
  var box = document.getElementById("size-check");
  var forms = document.querySelectorAll("form[data-max-file-bytes]");
  if (!box || !forms.length) { return; }
  var lang = document.documentElement.lang || "vi";
  var fmt = (window.Intl && Intl.NumberFormat) ? new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }) : null;
  function mb(bytes) {
    var value = Math.round(bytes / 1048576 * 10) / 10;
    return fmt ? fmt.format(value) : String(value);
  }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : whole;
    });
  }
  function problems(form) {
    var perFile = parseInt(form.getAttribute("data-max-file-bytes"), 10);
    var perSave = parseInt(form.getAttribute("data-max-save-bytes"), 10);
    var found = [];
    var total = 0;
    var overflow = null;
    var inputs = form.querySelectorAll("input[type=file]");
    for (var i = 0; i < inputs.length; i++) {
      var files = inputs[i].files || [];
      for (var j = 0; j < files.length; j++) {
        var f = files[j];
        if (perFile && f.size > perFile) {
          found.push(fill(box.getAttribute("data-msg-file"), { name: f.name, size: mb(f.size), limit: mb(perFile) }));
          continue;
        }
        total += f.size;
        if (perSave && total > perSave && overflow === null) { overflow = f.name; }
      }
    }
    if (overflow !== null) {
      found.push(fill(box.getAttribute("data-msg-save"), { name: overflow, size: mb(total), limit: mb(perSave) }));
    }
    return found;
  }
  function show(messages) {
    while (box.firstChild) { box.removeChild(box.firstChild); }
    var list = document.createElement("ul");
    messages.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
    box.appendChild(list);
    box.hidden = false;
    box.setAttribute("tabindex", "-1");
    box.focus();
  }
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function (event) {
      var found = problems(form);
      if (found.length) {
        event.preventDefault();
        event.stopImmediatePropagation();
        show(found);
      } else {
        box.hidden = true;
      }
    });
  });
})();
