// Applies the theme before the page paints, and wires the toggle button. Signed in, the
// server draws the user's theme on <html data-theme> and the toggle saves it there; before
// sign-in (no data-theme-url) this browser's own choice in localStorage is used.
(function () {
  // Styles that only make sense with this page's scripts running key off html.js.
  var root = document.documentElement;
  root.classList.add("js");
  var saveUrl = root.dataset.themeUrl;
  if (!saveUrl) {
    var saved = null;
    try { saved = localStorage.getItem("heron-theme"); } catch (e) { saved = null; }
    if (saved === "light" || saved === "dark") root.dataset.theme = saved;
  }
  // The server shows dates in this time zone (see TimezoneMiddleware).
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("heron_tz=" + encodeURIComponent(zone)) < 0) {
      document.cookie = "heron_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) { /* no Intl: server default */ }
  function csrf() {
    var found = /(?:^|;\s*)csrftoken=([^;]+)/.exec(document.cookie);
    return found ? decodeURIComponent(found[1]) : "";
  }
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector(".theme-toggle");
    if (!button) return;
    button.addEventListener("click", function () {
      var dark = root.dataset.theme === "dark" ||
        (root.dataset.theme !== "light" &&
         window.matchMedia("(prefers-color-scheme: dark)").matches);
      var next = dark ? "light" : "dark";
      root.dataset.theme = next;
      try { localStorage.setItem("heron-theme", next); } catch (e) { /* private mode */ }
      if (!saveUrl) return;
      var body = new FormData();
      body.set("theme", next);
      fetch(saveUrl, { method: "POST", body: body, credentials: "same-origin",
                       headers: { "Accept": "application/json", "X-CSRFToken": csrf() } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) {
          // A theme the administrator fixed stays as it is.
          if (answer && answer.theme && answer.locked) {
            root.dataset.theme = answer.theme === "system" ? "auto" : answer.theme;
          }
        });
    });
  });
})();
