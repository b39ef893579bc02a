// New mail shows itself outside the page too: the unread count of the open folder (which
// the page keeps in the tab title, "Inbox (3) – Heron") is drawn on the tab's icon, and,
// when the user turned them on in Settings, a desktop notification says what arrived.
(function () {
  "use strict";
  var icon = document.querySelector('link[rel="icon"]');
  var title = document.querySelector("title");
  if (!icon || !title) return;
  var plain = icon.href;
  var picture = null;

  function unreadIn(text) {
    var found = / \((\d+)\) – /.exec(text);
    return found ? Number(found[1]) : 0;
  }
  function folderIn(text) {
    var found = /^(.*?)(?: \(\d+\))? – [^–]*$/.exec(text);
    return found ? found[1] : "your Inbox";
  }

  function drawBadge(count) {
    if (!count) { icon.href = plain; return; }
    var canvas = document.createElement("canvas");
    canvas.width = canvas.height = 64;
    var pen = canvas.getContext("2d");
    if (!pen) return;
    if (picture) pen.drawImage(picture, 0, 0, 64, 64);
    pen.fillStyle = "#d1242f";
    pen.beginPath();
    pen.arc(44, 20, 20, 0, 2 * Math.PI);
    pen.fill();
    pen.fillStyle = "#ffffff";
    pen.font = "bold " + (count > 99 ? 16 : 24) + "px sans-serif";
    pen.textAlign = "center";
    pen.textBaseline = "middle";
    pen.fillText(count > 99 ? "99+" : String(count), 44, 21);
    icon.href = canvas.toDataURL("image/png");
  }

  function wanted() {
    try { return localStorage.getItem("heron-notify") === "on"; } catch (e) { return false; }
  }

  function tell(more, folder) {
    if (!wanted() || !window.Notification || Notification.permission !== "granted") return;
    var note = new Notification(interpolate(gettext("New mail in %(folder)s"), { folder: folder }, true), {
      body: interpolate(ngettext("%(count)s new unread message", "%(count)s new unread messages", more), { count: more }, true),
      icon: plain, tag: "heron-new-mail"
    });
    note.onclick = function () { window.focus(); note.close(); };
  }

  var shown = unreadIn(document.title);
  function follow() {
    var now = unreadIn(document.title);
    if (now > shown) tell(now - shown, folderIn(document.title));
    shown = now;
    drawBadge(now);
  }

  var image = new Image();
  image.onload = function () { picture = image; drawBadge(shown); };
  image.src = plain;
  new MutationObserver(follow).observe(title, {childList: true, characterData: true,
                                               subtree: true});
}());
