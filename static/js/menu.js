// Menus and popovers. In the HTML a menu is a <details class="menu"> holding a <summary> and
// a <ul class="menu-list">, so that without JavaScript it still opens and its links and
// buttons are reachable. Here it becomes a menu button (WAI-ARIA "menu button" pattern):
// click, Enter, Space or ArrowDown open it on its first item, ArrowUp on its last; arrows,
// Home and End move between items; Escape closes it and gives focus back to the button; a
// click or focus outside closes it. A <details class="tool-popover"> (a small form, not a menu)
// keeps its own markup and closes on Escape and on a click outside.
// The reading pane's content arrives after load, so new menus are found as they appear.
(function () {
  var openMenu = null;  // { wrapper, button, list } of the one open menu

  function items(list) {
    return Array.prototype.filter.call(list.querySelectorAll('[role="menuitem"]'), function (item) {
      return item.getClientRects().length > 0;  // skip items hidden at this width
    });
  }

  function close(menu, refocus) {
    menu.list.hidden = true;
    menu.button.setAttribute("aria-expanded", "false");
    if (openMenu === menu) openMenu = null;
    if (refocus) menu.button.focus();
  }

  function open(menu, last) {
    if (openMenu && openMenu !== menu) close(openMenu, false);
    menu.list.hidden = false;
    menu.button.setAttribute("aria-expanded", "true");
    openMenu = menu;
    var all = items(menu.list);
    if (all.length) all[last ? all.length - 1 : 0].focus();
  }

  function move(menu, step, to) {
    var all = items(menu.list);
    if (!all.length) return;
    var at = all.indexOf(document.activeElement);
    if (to === "first") at = 0;
    else if (to === "last") at = all.length - 1;
    else at = (at + step + all.length) % all.length;
    all[at].focus();
  }

  var made = 0;
  function enhance(details) {
    var summary = details.querySelector("summary");
    var list = details.querySelector(".menu-list");
    if (!summary || !list) return;
    made += 1;
    var button = document.createElement("button");
    button.type = "button";
    button.className = summary.className;
    button.id = "menu-button-" + made;
    ["aria-label", "title"].forEach(function (name) {
      if (summary.hasAttribute(name)) button.setAttribute(name, summary.getAttribute(name));
    });
    while (summary.firstChild) button.appendChild(summary.firstChild);
    button.setAttribute("aria-haspopup", "menu");
    button.setAttribute("aria-expanded", "false");
    if (!list.id) list.id = "menu-list-" + made;
    button.setAttribute("aria-controls", list.id);
    list.setAttribute("role", "menu");
    list.setAttribute("aria-labelledby", button.id);
    list.hidden = true;
    list.querySelectorAll("li").forEach(function (li) { li.setAttribute("role", "none"); });
    list.querySelectorAll("a, button").forEach(function (item) {
      item.setAttribute("role", "menuitem");
      item.tabIndex = -1;
    });
    var wrapper = document.createElement("div");
    wrapper.className = details.className;
    wrapper.appendChild(button);
    wrapper.appendChild(list);
    details.replaceWith(wrapper);
    var menu = { wrapper: wrapper, button: button, list: list };

    button.addEventListener("click", function () {
      if (list.hidden) open(menu, false); else close(menu, false);
    });
    button.addEventListener("keydown", function (event) {
      // The mail screen's shortcuts (mail.js) listen on the document: Enter there would
      // open the highlighted message instead of this menu.
      if (event.key === "Enter" || event.key === " ") { event.stopPropagation(); return; }
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        event.stopPropagation();
        open(menu, event.key === "ArrowUp");
      } else if (event.key === "Escape" && !list.hidden) {
        event.stopPropagation();
        close(menu, true);
      }
    });
    list.addEventListener("keydown", function (event) {
      event.stopPropagation();  // no mail shortcuts while choosing from the menu
      var key = event.key;
      if (key === "ArrowDown") { event.preventDefault(); move(menu, 1); }
      else if (key === "ArrowUp") { event.preventDefault(); move(menu, -1); }
      else if (key === "Home") { event.preventDefault(); move(menu, 0, "first"); }
      else if (key === "End") { event.preventDefault(); move(menu, 0, "last"); }
      else if (key === "Escape") { event.preventDefault(); close(menu, true); }
      else if (key === "Tab") { close(menu, false); }
      else if (key === " " && event.target.tagName === "A") { event.preventDefault(); event.target.click(); }
    });
    list.addEventListener("click", function (event) {
      // Close after the item did its work (a form submits, a link opens).
      if (event.target.closest('[role="menuitem"]')) setTimeout(function () { close(menu, false); }, 0);
    });
  }

  function closePopovers(except, refocus) {
    document.querySelectorAll("details.tool-popover[open]").forEach(function (details) {
      if (details === except) return;
      details.open = false;
      if (refocus) details.querySelector("summary").focus();
    });
  }

  document.addEventListener("click", function (event) {
    if (openMenu && !openMenu.wrapper.contains(event.target)) close(openMenu, false);
    closePopovers(event.target.closest ? event.target.closest("details.tool-popover") : null, false);
  });
  document.addEventListener("focusin", function (event) {
    if (openMenu && !openMenu.wrapper.contains(event.target)) close(openMenu, false);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var inside = event.target.closest && event.target.closest("details.tool-popover[open]");
    if (inside) closePopovers(null, true);
  });

  function enhanceAll(root) {
    root.querySelectorAll("details.menu").forEach(enhance);
  }
  enhanceAll(document);
  new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      change.addedNodes.forEach(function (node) {
        if (node.nodeType !== 1) return;
        if (node.matches("details.menu")) enhance(node);
        else enhanceAll(node);
      });
    });
  }).observe(document.body, { childList: true, subtree: true });
})();
