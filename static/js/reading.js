// Mark as read after a while (Settings → Reading): the server fetched the message without
// marking it; when it has been open for the chosen seconds, its Mark read button is
// pressed for the user, unless another message has replaced it by then.
(function () {
  "use strict";
  function arm(root) {
    var button = root.querySelector && root.querySelector("[data-mark-read-after]");
    if (!button || button.dataset.armed) return;
    button.dataset.armed = "1";
    var seconds = Number(button.dataset.markReadAfter) || 0;
    window.setTimeout(function () {
      if (!document.body.contains(button)) return;
      var data = new FormData(button.form);
      data.set("action", "read");
      // (form.action would be the buttons named "action", not the URL)
      fetch(button.form.getAttribute("action"), { method: "POST", body: data, credentials: "same-origin",
                                  headers: { "Accept": "application/json" } })
        .then(function (response) {
          if (response.ok) button.dataset.markedRead = "1";
        });
    }, seconds * 1000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    arm(document);
    // A message opened in the reading pane (mail.js puts it there) is armed as it lands.
    var pane = document.querySelector(".reading-pane");
    if (pane) new MutationObserver(function () { arm(pane); }).observe(pane, { childList: true });
  });
})();
