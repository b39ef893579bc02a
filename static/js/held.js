// Messages Heron holds before sending them (webmail/outbox.py), on any page: the notice
// "Sending… Undo" counts down to the send and goes when the time is up, and the forms that
// choose a time post the browser's time zone (the server reads a picked time in it).
(function () {
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
  if (zone) {
    document.querySelectorAll('input[name="time_zone"]').forEach(function (input) { input.value = zone; });
    document.querySelectorAll("[data-zone-name]").forEach(function (name) { name.textContent = zone; });
  }

  document.querySelectorAll(".held-notice[data-seconds]").forEach(function (notice) {
    var end = Date.now() + 1000 * Number(notice.dataset.seconds);
    var shown = notice.querySelector(".countdown");
    (function tick() {
      var left = Math.ceil((end - Date.now()) / 1000);
      if (left > 0) {
        shown.textContent = interpolate(gettext("%(seconds)s s"), { seconds: left }, true);
        setTimeout(tick, 250);
        return;
      }
      var box = notice.parentNode;
      notice.remove();
      if (box && !box.querySelector(".notice")) box.remove();
    })();
  });
})();
