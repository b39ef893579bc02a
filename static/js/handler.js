// Settings: offer Heron as the browser's handler for mailto: links. The browser asks the
// user to confirm; the link's URL arrives as ?mailto= on the compose window.
(function () {
  "use strict";
  var button = document.getElementById("mailto-handler");
  var status = document.getElementById("mailto-handler-status");
  if (!button || !status) return;
  if (!navigator.registerProtocolHandler) {
    status.textContent = gettext("This browser cannot open mailto: links with a web app.");
    button.disabled = true;
    return;
  }
  button.addEventListener("click", function () {
    try {
      navigator.registerProtocolHandler("mailto",
        window.location.origin + button.dataset.url + "?mailto=%s");
      status.textContent = gettext("Your browser will ask you to confirm. Then mailto: links open Heron.");
    } catch (error) {
      status.textContent = interpolate(gettext("The browser refused: %(reason)s"), { reason: error.message }, true);
    }
  });
}());

// Settings: desktop notifications of new mail (static/js/notify.js), kept per browser.
(function () {
  "use strict";
  var button = document.getElementById("notify-toggle");
  var status = document.getElementById("notify-status");
  if (!button || !status) return;
  function on() {
    try { return localStorage.getItem("heron-notify") === "on"; } catch (e) { return false; }
  }
  function show() {
    var granted = window.Notification && Notification.permission === "granted";
    button.setAttribute("aria-pressed", on() && granted ? "true" : "false");
    button.textContent = on() && granted ? gettext("Turn off desktop notifications")
      : gettext("Turn on desktop notifications");
    status.textContent = !window.Notification ? gettext("This browser has no desktop notifications.")
      : Notification.permission === "denied" ? gettext("Notifications are blocked for Heron in this browser's site settings.")
      : on() && granted ? gettext("New mail in the open folder is announced while Heron is open.") : "";
  }
  if (!window.Notification) { button.disabled = true; show(); return; }
  button.addEventListener("click", function () {
    if (on()) {
      try { localStorage.setItem("heron-notify", "off"); } catch (e) { /* private mode */ }
      show();
      return;
    }
    Notification.requestPermission().then(function (answer) {
      if (answer === "granted") {
        try { localStorage.setItem("heron-notify", "on"); } catch (e) { /* private mode */ }
      }
      show();
    });
  });
  show();
}());
