// The search box's Filters popover and the list's sort controls. Without this file both
// still work: the Filters panel opens in place, and the sort form has its Apply button.
(function () {
  var filters = document.getElementById("search-filters");
  if (filters) {
    var summary = filters.querySelector("summary");
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && filters.open) {
        filters.open = false;
        summary.focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (filters.open && !filters.contains(event.target)) filters.open = false;
    });
  }

  // Sort order, direction and "Conversations" apply at once; the Apply button is only
  // for browsers without JavaScript (it sits in <noscript>).
  document.querySelectorAll("form.sort-form").forEach(function (form) {
    form.addEventListener("change", function () {
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    });
  });
})();
