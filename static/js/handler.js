// Settings: offer Heron as the browser's handler for mailto: links. The browser asks the
// user to confirm; the link's URL arrives as ?mailto= on the compose window.
(function () {
  "use strict";
  var button = document.getElementById("mailto-handler");
  var status = document.getElementById("mailto-handler-status");
  if (!button || !status) return;
  if (!navigator.registerProtocolHandler) {
    status.textContent = "This browser cannot open mailto: links with a web app.";
    button.disabled = true;
    return;
  }
  button.addEventListener("click", function () {
    try {
      navigator.registerProtocolHandler("mailto",
        window.location.origin + button.dataset.url + "?mailto=%s");
      status.textContent = "Your browser will ask you to confirm. Then mailto: links open Heron.";
    } catch (error) {
      status.textContent = "The browser refused: " + error.message;
    }
  });
}());
