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

  // A search of all folders comes as the folders answer (search-stream.js); the page
  // without JavaScript, or a link to it, is the whole list at once.
  document.querySelectorAll("form.search").forEach(function (form) {
    form.addEventListener("submit", function () {
      var where = form.querySelector("[name=where]");
      var flag = form.querySelector("input[name=stream]");
      if (where && where.value === "everywhere" && !flag) {
        flag = document.createElement("input");
        flag.type = "hidden";
        flag.name = "stream";
        flag.value = "1";
        form.appendChild(flag);
      } else if (flag && (!where || where.value !== "everywhere")) {
        flag.remove();
      }
    });
  });

  // Sort order, direction and "Conversations" apply at once; the Apply button is only
  // for browsers without JavaScript (it sits in <noscript>).
  document.querySelectorAll("form.sort-form").forEach(function (form) {
    form.addEventListener("change", function () {
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    });
  });
})();
