// Result page: reveal the "In / Print" button (it needs JS) and print on click. Without JS the hint says Ctrl+P.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
document.querySelectorAll(".print-hint").forEach(function (hint) { hint.hidden = true; });
