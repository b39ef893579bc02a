// Buttons marked data-print print the page (a conversation prints whole: print CSS).
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
}());

// A conversation prints whole: its folded messages open for the printout, then fold again.
(function () {
  "use strict";
  var folded = [];
  window.addEventListener("beforeprint", function () {
    folded = Array.prototype.filter.call(
      document.querySelectorAll(".conversation details"), function (item) { return !item.open; });
    folded.forEach(function (item) { item.open = true; });
  });
  window.addEventListener("afterprint", function () {
    folded.forEach(function (item) { item.open = false; });
    folded = [];
  });
}());
