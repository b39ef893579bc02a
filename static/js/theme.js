// Applies the saved theme before the page paints, and wires the toggle button.
(function () {
  var saved = null;
  try { saved = localStorage.getItem("heron-theme"); } catch (e) { saved = null; }
  if (saved === "light" || saved === "dark") document.documentElement.dataset.theme = saved;
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector(".theme-toggle");
    if (!button) return;
    button.addEventListener("click", function () {
      var dark = document.documentElement.dataset.theme === "dark" ||
        (document.documentElement.dataset.theme !== "light" &&
         window.matchMedia("(prefers-color-scheme: dark)").matches);
      var next = dark ? "light" : "dark";
      document.documentElement.dataset.theme = next;
      try { localStorage.setItem("heron-theme", next); } catch (e) { /* private mode */ }
    });
  });
})();
