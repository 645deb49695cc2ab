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
