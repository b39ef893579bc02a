// The divider between the message list and the reading pane: dragged with the pointer or
// moved with the arrow keys, and remembered for the user on every device (POST to
// data-divider-url). The layout itself is the <body>'s data-layout (static/css/layout.css).
(function () {
  "use strict";
  var body = document.body;
  var panes = document.querySelector(".panes");
  var list = panes && panes.querySelector(".list-pane");
  var pane = panes && panes.querySelector(".reading-pane");
  var layout = body.dataset.layout;
  if (!list || !pane || (layout !== "right" && layout !== "below")) return;
  var LOW = 20, HIGH = 80, STEP = 5;
  var wide = window.matchMedia("(min-width: 1101px)");
  var share = Number(body.dataset.listShare) || 50;
  var rtl = document.documentElement.dir === "rtl";
  var divider = document.createElement("div");
  divider.className = "divider";
  divider.setAttribute("role", "separator");
  divider.setAttribute("tabindex", "0");
  divider.setAttribute("aria-label", gettext("Resize the message list and the reading pane"));
  divider.setAttribute("aria-orientation", layout === "right" ? "vertical" : "horizontal");
  divider.setAttribute("aria-valuemin", String(LOW));
  divider.setAttribute("aria-valuemax", String(HIGH));
  panes.insertBefore(divider, pane);

  function clamp(value) { return Math.min(HIGH, Math.max(LOW, Math.round(value))); }

  function place() {
    divider.setAttribute("aria-valuenow", String(share));
    divider.setAttribute("aria-valuetext", interpolate(gettext("List %(share)s"), {
      share: (share / 100).toLocaleString(document.documentElement.lang || [], { style: "percent" })
    }, true));
    if (!wide.matches) {
      panes.classList.remove("with-divider");
      panes.style.gridTemplateColumns = panes.style.gridTemplateRows = "";
      return;
    }
    panes.classList.add("with-divider");
    if (layout === "right") {
      panes.style.gridTemplateColumns = "230px minmax(280px, " + share + "fr) 8px minmax(280px, "
        + (100 - share) + "fr)";
    } else {
      panes.style.gridTemplateRows = "minmax(120px, " + share + "fr) 8px minmax(120px, "
        + (100 - share) + "fr)";
    }
  }

  var saving = null;
  function keep() {
    window.clearTimeout(saving);
    saving = window.setTimeout(function () {
      var token = document.querySelector('input[name="csrfmiddlewaretoken"]');
      var data = new FormData();
      data.append("share", String(share));
      fetch(body.dataset.dividerUrl, {
        method: "POST", body: data, credentials: "same-origin",
        headers: {"X-CSRFToken": token ? token.value : "", "Accept": "application/json"}
      }).catch(function () { /* kept on this page; the next drag tries again */ });
    }, 400);
  }

  function shareAt(event) {
    var area = panes.getBoundingClientRect();
    var start = list.getBoundingClientRect();
    if (layout === "right") {
      // Right to left, the list starts at the right edge and grows leftwards.
      if (rtl) return clamp((start.right - event.clientX) / (start.right - area.left) * 100);
      var width = area.right - start.left;
      return clamp((event.clientX - start.left) / width * 100);
    }
    return clamp((event.clientY - start.top) / (area.bottom - start.top) * 100);
  }

  divider.addEventListener("pointerdown", function (event) {
    divider.setPointerCapture(event.pointerId);
    divider.classList.add("dragging");
    event.preventDefault();
  });
  divider.addEventListener("pointermove", function (event) {
    if (!divider.classList.contains("dragging")) return;
    share = shareAt(event);
    place();
  });
  function drop(event) {
    if (!divider.classList.contains("dragging")) return;
    divider.classList.remove("dragging");
    divider.releasePointerCapture(event.pointerId);
    keep();
  }
  divider.addEventListener("pointerup", drop);
  divider.addEventListener("pointercancel", drop);
  divider.addEventListener("keydown", function (event) {
    var keys = layout === "right" ? (rtl ? {ArrowLeft: STEP, ArrowRight: -STEP} : {ArrowLeft: -STEP, ArrowRight: STEP})
      : {ArrowUp: -STEP, ArrowDown: STEP};
    var moved = null;
    if (event.key in keys) moved = share + keys[event.key];
    else if (event.key === "Home") moved = LOW;
    else if (event.key === "End") moved = HIGH;
    if (moved === null) return;
    event.preventDefault();
    event.stopPropagation();  // not a mail shortcut
    share = clamp(moved);
    place();
    keep();
  });
  if (wide.addEventListener) wide.addEventListener("change", place);
  place();
}());
