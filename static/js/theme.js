// Applies the saved theme before the page paints, and wires the toggle button.
(function () {
  // Styles that only make sense with this page's scripts running key off html.js.
  document.documentElement.classList.add("js");
  var saved = null;
  try { saved = localStorage.getItem("heron-theme"); } catch (e) { saved = null; }
  if (saved === "light" || saved === "dark") document.documentElement.dataset.theme = saved;
  // The server shows dates in this time zone (see TimezoneMiddleware).
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("heron_tz=" + encodeURIComponent(zone)) < 0) {
      document.cookie = "heron_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) { /* no Intl: server default */ }
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
