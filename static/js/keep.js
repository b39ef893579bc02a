// After an action on selected messages the page comes back drawn anew: the messages that
// are still in the list (marked read, unread, flagged) stay selected and the focus returns
// to the first of them; after `e` or `#` on the highlighted row, the row that took its
// place is highlighted. And `z` undoes the last action where Heron offers Undo.
(function () {
  "use strict";
  var KEY = "heron-kept-selection";
  var STAYING = ["read", "unread", "flag", "unflag"];
  var form = document.getElementById("list-form");

  if (form) {
    form.addEventListener("submit", function (event) {
      var action = event.submitter && event.submitter.name === "action" ? event.submitter.value : "";
      var picked = Array.prototype.map.call(form.querySelectorAll(".pick input:checked"),
                                            function (box) { return box.value; });
      var rows = Array.prototype.slice.call(form.querySelectorAll("tr.message-row"));
      var at = rows.findIndex(function (row) { return row.classList.contains("selected"); });
      try {
        sessionStorage.setItem(KEY, JSON.stringify({
          path: window.location.pathname + window.location.search, at: at,
          picked: STAYING.indexOf(action) >= 0 ? picked : [] }));
      } catch (e) { /* private mode: nothing kept */ }
    });

    var kept = null;
    try { kept = JSON.parse(sessionStorage.getItem(KEY) || "null"); sessionStorage.removeItem(KEY); }
    catch (e) { kept = null; }
    if (kept && kept.path === window.location.pathname + window.location.search) {
      var first = null;
      form.querySelectorAll(".pick input").forEach(function (box) {
        if (kept.picked.indexOf(box.value) >= 0) {
          box.checked = true;
          box.dispatchEvent(new Event("change", { bubbles: true }));
          if (!first) first = box;
        }
      });
      var rows = form.querySelectorAll("tr.message-row");
      if (first) {
        first.focus();
      } else if (kept.at >= 0 && rows.length) {
        // The highlighted row went (archived, deleted): the one that took its place is next.
        var row = rows[Math.min(kept.at, rows.length - 1)];
        row.classList.add("selected");
        row.focus();
      }
    }
  }

  // With messages selected the selection toolbar takes the list header's place (on a phone,
  // a compact bar at the bottom of the screen): body.has-selection, static/css/layout.css.
  function selectionChanged() {
    var any = form && form.querySelector(".pick input:checked");
    document.body.classList.toggle("has-selection", !!any);
  }
  if (form) {
    form.addEventListener("change", selectionChanged);
    form.addEventListener("click", function () { window.setTimeout(selectionChanged, 0); });
    document.addEventListener("keyup", function () { window.setTimeout(selectionChanged, 0); });
    selectionChanged();

    // On a touch screen a long press on a row selects it, as phone mail apps do.
    var pressed = null, pressedRow = null, longPressed = false;
    form.addEventListener("touchstart", function (event) {
      var row = event.target.closest && event.target.closest("tr.message-row");
      if (!row || event.target.closest("input, button")) return;
      longPressed = false;
      pressedRow = row;
      pressed = window.setTimeout(function () {
        var box = row.querySelector(".pick input");
        if (!box) return;
        longPressed = true;
        box.checked = !box.checked;
        box.dispatchEvent(new Event("change", { bubbles: true }));
        if (navigator.vibrate) navigator.vibrate(15);
      }, 450);
    }, { passive: true });
    var cancel = function () { window.clearTimeout(pressed); pressed = null; };
    form.addEventListener("touchmove", cancel, { passive: true });
    form.addEventListener("touchend", cancel);
    form.addEventListener("touchcancel", cancel);
    // The click that ends a long press selects; it does not open the message too.
    form.addEventListener("click", function (event) {
      if (longPressed && pressedRow && pressedRow.contains(event.target)) {
        event.preventDefault();
        event.stopPropagation();
        longPressed = false;
      }
    }, true);
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "z" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (document.body.dataset.shortcuts === "off") return;
    var target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    var undo = document.querySelector('.notices form[action$="/actions/undo/"] button[type="submit"]');
    if (undo) { event.preventDefault(); undo.click(); }
  });
}());
