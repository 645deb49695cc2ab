/* admin.js — progressive enhancement for the reviewers' and admins' screens (the pages work without it).
   "Chọn tất cả": a box with data-select-all="NAME" ticks or clears every checkbox named NAME in its form, and
   shows itself mixed when only some are ticked. The no-JS buttons (data-no-js) are hidden once it works. */
(function () {
  "use strict";
  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    var form = all.form;
    if (!form) { return; }
    var name = all.getAttribute("data-select-all");
    var boxes = Array.prototype.filter.call(form.elements, function (el) {
      return el.type === "checkbox" && el.name === name;
    });
    function sync() {
      var ticked = boxes.filter(function (b) { return b.checked; }).length;
      all.checked = boxes.length > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    all.addEventListener("change", function () {
      boxes.forEach(function (b) { b.checked = all.checked; });
      all.indeterminate = false;
    });
    boxes.forEach(function (b) { b.addEventListener("change", sync); });
    var row = all.closest("[data-select-all-box]");
    if (row) { row.hidden = false; }
    var scope = all.closest(".select-all-row") || form;
    scope.querySelectorAll("[data-no-js]").forEach(function (el) { el.hidden = true; });
    sync();
  });
})();
