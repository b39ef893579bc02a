// The mail screen: keyboard shortcuts, the folder drawer on phones, the help dialog.
(function () {
  var rows = Array.prototype.slice.call(document.querySelectorAll(".message-row"));
  var index = -1;
  var pendingG = false;

  function select(next) {
    if (!rows.length) return;
    index = Math.max(0, Math.min(rows.length - 1, next));
    rows.forEach(function (row, i) { row.classList.toggle("selected", i === index); });
    rows[index].focus();
    rows[index].scrollIntoView({ block: "nearest" });
  }

  function follow(selector) {
    var link = document.querySelector(selector);
    if (link) openLink(link);
  }

  // With the reading pane on screen (wide windows), a message opens in it; otherwise, and
  // for conversations, the link is followed. The same URL answers a fragment to HX-Request.
  var pane = document.querySelector(".reading-pane");
  function paneShown() {
    return pane && window.getComputedStyle(pane).display !== "none";
  }
  function openLink(link) {
    if (!paneShown() || !link.closest(".subject, .reading-pane") || link.pathname.indexOf("/mail/message/") !== 0) {
      window.location.href = link.href;
      return;
    }
    pane.setAttribute("aria-busy", "true");
    // The pane's body rides in it (a srcdoc frame) when its stylesheets may carry this
    // page's style nonce; without one the server sends a frame of its own.
    var headers = { "HX-Request": "true" };
    var nonce = document.querySelector('meta[name="heron-style-nonce"]');
    if (nonce) headers["X-Heron-Style-Nonce"] = nonce.content;
    fetch(link.href, { headers: headers, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        pane.innerHTML = html;
        pane.classList.add("has-message");
        pane.removeAttribute("aria-busy");
        var next = pane.querySelector('input[name="next"]');
        if (next) next.value = window.location.pathname + window.location.search;
        pane.querySelectorAll("form[data-confirm]").forEach(confirmFirst);
        pane.querySelectorAll("iframe.mail-frame").forEach(fitFrame);
        pane.querySelectorAll(".message-nav a[rel]").forEach(function (each) {
          each.addEventListener("click", function (event) { event.preventDefault(); openLink(each); });
        });
        markOpened(link.href);
        pane.focus();
      })
      .catch(function () {
        pane.removeAttribute("aria-busy");
        window.location.href = link.href;
      });
  }
  // The pane marked the message read: its row, its folder's badge and the title follow.
  var openHref = null;
  function markOpened(href) {
    openHref = href;
    rows.forEach(function (row, i) {
      var link = row.querySelector(".subject a");
      var open = !!link && link.href.split("&")[0] === href.split("&")[0];
      row.classList.toggle("open", open);
      if (!open) return;
      index = i;
      if (row.classList.contains("unread")) {
        row.classList.remove("unread");
        var dot = row.querySelector(".mark-unread");
        if (dot) dot.remove();
        countRead(row.dataset.mailbox);
      }
    });
  }

  // Each row's own handlers: opening, the highlight, dragging, its star. Bound again to the
  // rows the poll brings in (refreshList).
  function bindRow(row) {
    row.addEventListener("click", function (event) {
      if (event.target.closest("a, input, label, button")) return;
      var link = row.querySelector(".subject a");
      if (link) openLink(link);
    });
    var subject = row.querySelector(".subject a");
    if (subject) {
      subject.addEventListener("click", function (event) {
        if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        openLink(subject);
      });
    }
    row.addEventListener("focus", function () { index = rows.indexOf(row); });
    row.addEventListener("dragstart", function (event) {
      // Each message as "<uid> <folder>": search results span several folders.
      var pick = function (each) { return each.dataset.uid + " " + each.dataset.mailbox; };
      var checked = Array.prototype.map.call(
        document.querySelectorAll("#list-form .pick input:checked"),
        function (box) { return pick(box.closest("tr")); });
      if (checked.indexOf(pick(row)) < 0) checked = [pick(row)];
      event.dataTransfer.setData("application/x-heron-uids", JSON.stringify({ picks: checked }));
      event.dataTransfer.effectAllowed = "move";
    });
    var star = row.querySelector(".star-toggle");
    if (star) {
      star.addEventListener("click", function (event) { event.preventDefault(); toggleStar(star); });
    }
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    // Single-key shortcuts can be turned off (Settings → Appearance; WCAG 2.1.4).
    if (document.body.dataset.shortcuts === "off") return;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    var key = event.key;
    // Choosing a time in the Snooze menu: the arrows go from one to the next, nothing else.
    var panel = target.closest && target.closest(".snooze-panel");
    if (panel) { moveInPanel(panel, target, key) && event.preventDefault(); return; }
    // Enter on a button or link (the star) is that control's own.
    if (key === "Enter" && target.closest && target.closest("button, a")) return;
    if (pendingG) {
      pendingG = false;
      if (key === "i") { window.location.href = "/mail/"; event.preventDefault(); }
      return;
    }
    if (key === "j") { select(index + 1); event.preventDefault(); }
    else if (key === "k") { select(index - 1); event.preventDefault(); }
    else if ((key === "o" || key === "Enter") && index >= 0) {
      var link = rows[index].querySelector(".subject a");
      if (link) { openLink(link); event.preventDefault(); }
    }
    else if (key === "u") { follow(".back-link"); }
    else if (key === "x" && index >= 0) { toggleRow(rows[index]); event.preventDefault(); }
    else if (key === "s") { actOnCurrent("flag"); }
    else if (key === "e") { actOnCurrent("archive"); }
    else if (key === "#") { actOnCurrent("delete"); }
    else if (key === "!") { actOnCurrent("junk"); }
    else if (key === "b") { if (openSnooze()) event.preventDefault(); }
    else if (key === "/") { var box = document.getElementById("id_q"); if (box) { box.focus(); event.preventDefault(); } }
    else if (key === "K") { follow('.message-nav a[rel="prev"]'); }
    else if (key === "J") { follow('.message-nav a[rel="next"]'); }
    else if (key === "n") { follow('.pager a[rel="next"]'); }
    else if (key === "p") { follow('.pager a[rel="prev"]'); }
    else if (key === "g") { pendingG = true; }
    else if (key === "?") { openHelp(); event.preventDefault(); }
    else if (key === "c") { window.location.href = "/mail/compose/"; }
    else if (key === "r") { follow('.reply-actions a[rel="reply"]'); }
    else if (key === "a") { follow('.reply-actions a[rel="reply-all"]'); }
    else if (key === "f") { var forward = document.querySelector(".reply-actions button[data-forward]"); if (forward) forward.click(); }
  });

  function toggleRow(row) {
    var box = row.querySelector(".pick input");
    if (box) box.checked = !box.checked;
  }

  // Keyboard actions work on the checked rows, else the highlighted one, else the open message.
  function actOnCurrent(action) {
    var form = document.getElementById("list-form") || document.querySelector(".message-actions");
    if (!form) return;
    if (form.id === "list-form" && !form.querySelector(".pick input:checked")) {
      if (index < 0) return;
      toggleRow(rows[index]);
    }
    var button = form.querySelector('button[value="' + action + '"]');
    if (button) button.click();
  }

  // b opens the Snooze menu for the checked rows, else the highlighted one (which it
  // checks), else the open message; the first time offered takes the focus.
  function openSnooze() {
    var form = document.getElementById("list-form");
    var menu = null;
    if (form && (form.querySelector(".pick input:checked") || index >= 0)) {
      if (!form.querySelector(".pick input:checked")) {
        var box = rows[index].querySelector(".pick input");
        if (box) {
          box.checked = true;
          box.dispatchEvent(new Event("change", { bubbles: true }));  // keep.js shows the toolbar
        }
      }
      menu = form.querySelector(".snooze-menu");
    }
    menu = menu || document.querySelector(".message-actions .snooze-menu, .conversation-actions .snooze-menu");
    if (!menu) return false;
    menu.open = true;
    var first = menu.querySelector(".snooze-preset, input");
    if (first) first.focus();
    return true;
  }

  function moveInPanel(panel, target, key) {
    if (key !== "ArrowDown" && key !== "ArrowUp") return false;
    var items = Array.prototype.slice.call(panel.querySelectorAll(".snooze-preset, input, .snooze-pick"));
    var at = items.indexOf(target);
    var next = items[(at + (key === "ArrowDown" ? 1 : -1) + items.length) % items.length];
    if (next) next.focus();
    return true;
  }

  var selectAll = document.getElementById("select-all");
  if (selectAll) {
    selectAll.addEventListener("change", function () {
      document.querySelectorAll("#list-form .pick input").forEach(function (box) {
        box.checked = selectAll.checked;
      });
    });
  }

  function confirmFirst(form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  document.querySelectorAll("form[data-confirm]").forEach(confirmFirst);

  // Drag messages onto a folder to move them (the checked ones, or the dragged row: bindRow).
  document.querySelectorAll(".folders a[data-folder]").forEach(function (link) {
    link.addEventListener("dragover", function (event) {
      if (event.dataTransfer.types.indexOf("application/x-heron-uids") >= 0) {
        event.preventDefault();
        link.classList.add("drop-target");
      }
    });
    link.addEventListener("dragleave", function () { link.classList.remove("drop-target"); });
    link.addEventListener("drop", function (event) {
      event.preventDefault();
      link.classList.remove("drop-target");
      var data = JSON.parse(event.dataTransfer.getData("application/x-heron-uids") || "{}");
      var form = document.getElementById("list-form");
      if (!form || !data.picks) return;
      var body = new FormData();
      body.append("csrfmiddlewaretoken", form.querySelector('[name="csrfmiddlewaretoken"]').value);
      body.append("action", "move");
      body.append("target", link.dataset.folder);
      data.picks.forEach(function (each) { body.append("picks", each); });
      body.append("next", window.location.pathname + window.location.search);
      form.setAttribute("aria-busy", "true");
      // getAttribute: the form's buttons are named "action", which shadows form.action.
      fetch(form.getAttribute("action"), { method: "POST", body: body, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          window.location.reload();
        })
        .catch(function () {
          form.removeAttribute("aria-busy");
          window.alert(gettext("Moving the messages failed. Nothing was changed; please try again."));
        });
    });
  });

  // The message frame grows to its content (same origin, no script inside it).
  function fitFrame(frame) {
    function fit() {
      try {
        var doc = frame.contentDocument;
        if (doc && doc.documentElement) frame.style.height = (doc.documentElement.scrollHeight + 16) + "px";
      } catch (e) { /* not ready */ }
    }
    frame.addEventListener("load", function () { fit(); setTimeout(fit, 300); });
    // A body written into the page (srcdoc) may have loaded before this script ran.
    if (frame.contentDocument && frame.contentDocument.readyState === "complete") fit();
  }
  document.querySelectorAll("iframe.mail-frame").forEach(fitFrame);

  // New mail without reloading: a poll at the interval chosen in Settings while the tab is visible (one
  // LIST-STATUS for every folder's counts, or one STATUS of the open folder). The count in
  // the title and the folders' badges follow it; the list's rows are drawn again in place
  // (refreshList) unless the user is in the middle of something, who gets a notice.
  // A folder's unread badge, and the count in its accessible name.
  function setBadge(link, unread) {
    if (!link) return;
    var badge = link.querySelector(".badge");
    if (unread && !badge) {
      badge = document.createElement("span");
      badge.className = "badge";
      badge.setAttribute("aria-hidden", "true");
      link.appendChild(badge);
    }
    if (badge) { badge.textContent = unread; badge.hidden = !unread; }
    var name = link.querySelector(".folder-name");
    if (name) link.setAttribute("aria-label", name.textContent.trim() + (unread ? ", " + interpolate(ngettext("%(count)s unread", "%(count)s unread", unread), { count: unread }, true) : ""));
  }

  // The title reads "Inbox (3) – Heron": the open folder's name and unread count.
  var titleParts = /^(.*?)(?: \((\d+)\))?( – [^–]*)$/.exec(document.title);
  function setTitleCount(unread) {
    if (titleParts) document.title = titleParts[1] + (unread ? " (" + unread + ")" : "") + titleParts[3];
  }

  // A notice made here looks like the server's info notices (_notices.html): their colours
  // and the info icon, drawn from the sprite whose address the page's other icons carry.
  function showAsInfo(notice) {
    notice.classList.add("notice", "notice-info");
    var drawn = document.querySelector("svg.icon use");
    if (!drawn || notice.querySelector("svg.icon")) return;
    var icon = drawn.parentNode.cloneNode(true);
    icon.setAttribute("class", "icon");
    icon.querySelector("use").setAttribute("href", drawn.getAttribute("href").split("#")[0] + "#info");
    notice.insertBefore(icon, notice.firstChild);
  }

  var list = document.getElementById("message-list");
  var known = list ? { total: +list.dataset.total, unread: +list.dataset.unread } : null;

  // One message of a folder was read here: one unread fewer in its badge, and for the
  // open folder in the title and in what the poll compares with.
  function countRead(folder) {
    document.querySelectorAll(".folders a[data-folder]").forEach(function (link) {
      if (link.dataset.folder !== folder) return;
      var badge = link.querySelector(".badge");
      var unread = Math.max(0, (badge && !badge.hidden ? +badge.textContent : 0) - 1);
      setBadge(link, unread);
      if (link.closest("li.current") && known) {
        known.unread = unread;
        list.dataset.unread = unread;
        setTitleCount(unread);
      }
    });
  }

  // The star of a row flags or unflags its message where it is, without a reload.
  function setStar(button, on) {
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.setAttribute("aria-label", on ? gettext("Remove flag") : gettext("Flag"));
    button.title = on ? gettext("Remove flag") : gettext("Flag");
    var row = button.closest("tr");
    if (row) row.classList.toggle("flagged", on);
  }
  function toggleStar(button) {
    var row = button.closest("tr");
    var form = document.getElementById("list-form");
    if (!row || !form || button.getAttribute("aria-busy") === "true") return;
    var on = button.getAttribute("aria-pressed") !== "true";
    var body = new FormData();
    body.append("csrfmiddlewaretoken", form.querySelector('[name="csrfmiddlewaretoken"]').value);
    body.append("action", on ? "flag" : "unflag");
    body.append("mailbox", row.dataset.mailbox);
    body.append("uids", row.dataset.uid);
    button.setAttribute("aria-busy", "true");
    fetch(form.getAttribute("action"), { method: "POST", body: body, credentials: "same-origin",
                                         headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        setStar(button, on);
      })
      .catch(function () {
        window.alert(on ? gettext("Flagging failed. Nothing was changed; please try again.")
          : gettext("Removing the flag failed. Nothing was changed; please try again."));
      })
      .then(function () { button.removeAttribute("aria-busy"); });
  }
  rows.forEach(bindRow);

  // New mail slides into the open list: the list fragment is fetched again and its rows
  // take the old ones' place (the form, its toolbar and the user's place stay); rows that
  // were not there before are marked to slide in. Anything unexpected: a plain reload.
  function refreshList() {
    var body = document.querySelector("#list-form table.messages tbody");
    if (!body) { window.location.reload(); return; }
    var before = {};
    rows.forEach(function (row) { before[row.dataset.mailbox + " " + row.dataset.uid] = true; });
    fetch(window.location.href, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var freshBody = fresh.querySelector("#list-form table.messages tbody");
        if (!freshBody) throw new Error("no list");
        body.parentNode.replaceChild(document.adoptNode(freshBody), body);
        var count = fresh.getElementById("list-count"), shown = document.getElementById("list-count");
        if (count && shown) shown.textContent = count.textContent;
        rows = Array.prototype.slice.call(document.querySelectorAll(".message-row"));
        index = -1;
        rows.forEach(function (row) {
          bindRow(row);
          if (!before[row.dataset.mailbox + " " + row.dataset.uid]) row.classList.add("arrived");
          var link = row.querySelector(".subject a");
          if (openHref && link && link.href.split("&")[0] === openHref.split("&")[0]) {
            row.classList.add("open");
          }
        });
      })
      .catch(function () { window.location.reload(); });
  }

  // How often to look (Settings → Mailbox → Check for new mail); 0: never.
  var checkSeconds = Number(document.body.dataset.checkSeconds || 30);
  if (list && list.dataset.poll && checkSeconds > 0) {
    // changed: the stream said the open folder changed (flags, a move): the rows are drawn
    // again even when the counts stayed the same.
    var poll = function (changed) {
      if (document.hidden) return;
      fetch(list.dataset.poll, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) return;
          setTitleCount(data.unread);
          setBadge(document.querySelector(".folders li.current a"), data.unread);
          (data.folders || []).forEach(function (each) {
            document.querySelectorAll(".folders a[data-folder]").forEach(function (link) {
              if (link.dataset.folder === each.name) setBadge(link, each.unread);
            });
          });
          if (changed !== true && data.total === known.total && data.unread === known.unread) return;
          var arrived = data.total > known.total;
          known = { total: data.total, unread: data.unread };
          // A message open in the pane stays open (only the rows are drawn again); ticked
          // rows or a field being typed in are the user's, and get a notice instead.
          var busy = document.querySelector("#list-form .pick input:checked")
            || (document.activeElement && document.activeElement.closest("form"));
          if (!busy) { refreshList(); return; }
          var notice = document.getElementById("new-mail");
          notice.querySelector("span").textContent = arrived ? gettext("New mail has arrived.") : gettext("This folder has changed.");
          notice.querySelector("a").href = window.location.href;
          showAsInfo(notice);
          notice.hidden = false;
        })
        .catch(function () { /* offline: try again next time */ });
    };
    // While the stream of changes (/mail/events, Server-Sent Events) is open, it says when
    // to look and the timed poll rests; while it is down, the poll carries on.
    var streaming = false, missed = null;
    setInterval(function () { if (!streaming) poll(); }, checkSeconds * 1000);
    // A tab shown again looks once whether or not the stream is open: a browser may have
    // let a hidden tab's stream lapse, and one request is cheap.
    document.addEventListener("visibilitychange", function () {
      if (document.hidden) return;
      poll(missed === true);
      missed = null;
    });
    if (list.dataset.events && window.EventSource) {
      var wait = 3000;
      var listen = function () {
        var source = new EventSource(list.dataset.events);
        source.onopen = function () { streaming = true; wait = 3000; };
        source.addEventListener("change", function (event) {
          var change;
          try { change = JSON.parse(event.data); } catch (error) { return; }
          var here = change.folder === list.dataset.mailbox || change.kind === "reset";
          // A hidden tab does the work when it is shown again (visibilitychange).
          if (document.hidden) { missed = missed === true || here; return; }
          poll(here);
        });
        source.onerror = function () {
          streaming = false;
          // CONNECTING: the browser tries again by itself (the stream said "retry: 3000").
          // CLOSED (an error status, or 204: not served here): again later, ever less often.
          if (source.readyState !== EventSource.CLOSED) return;
          setTimeout(listen, wait);
          wait = Math.min(wait * 2, 300000);
        };
      };
      listen();
    }
  }

  if (document.body.classList.contains("print-mode")) {
    window.addEventListener("load", function () { setTimeout(function () { window.print(); }, 300); });
  }

  function openHelp() {
    var dialog = document.getElementById("shortcuts");
    if (dialog && dialog.showModal && !dialog.open) dialog.showModal();
  }
  var help = document.querySelector(".help-toggle");
  if (help) help.addEventListener("click", openHelp);

  var menu = document.querySelector(".menu-toggle");
  if (menu) {
    menu.addEventListener("click", function () {
      var open = document.body.classList.toggle("folders-open");
      menu.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
})();

// "Show all folders": the folder tree shows only subscribed folders until the user asks
// for all; the choice is remembered in this browser (the tree itself is CSS: :has()).
(function () {
  var box = document.getElementById("show-all-folders");
  if (!box) return;
  var key = box.getAttribute("data-remember");
  try { box.checked = window.localStorage.getItem(key) === "1"; } catch (e) { /* private mode */ }
  box.addEventListener("change", function () {
    try { window.localStorage.setItem(key, box.checked ? "1" : "0"); } catch (e) { /* private mode */ }
  });
})();
