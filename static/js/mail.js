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
    if (link) window.location.href = link.href;
  }

  rows.forEach(function (row, i) {
    row.addEventListener("click", function (event) {
      if (event.target.closest("a, input, label, button")) return;
      var link = row.querySelector(".subject a");
      if (link) window.location.href = link.href;
    });
    row.addEventListener("focus", function () { index = i; });
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    var key = event.key;
    if (pendingG) {
      pendingG = false;
      if (key === "i") { window.location.href = "/mail/"; event.preventDefault(); }
      return;
    }
    if (key === "j") { select(index + 1); event.preventDefault(); }
    else if (key === "k") { select(index - 1); event.preventDefault(); }
    else if ((key === "o" || key === "Enter") && index >= 0) {
      var link = rows[index].querySelector(".subject a");
      if (link) { window.location.href = link.href; event.preventDefault(); }
    }
    else if (key === "u") { follow(".back-link"); }
    else if (key === "x" && index >= 0) { toggleRow(rows[index]); event.preventDefault(); }
    else if (key === "s") { actOnCurrent("flag"); }
    else if (key === "e") { actOnCurrent("archive"); }
    else if (key === "#") { actOnCurrent("delete"); }
    else if (key === "!") { actOnCurrent("junk"); }
    else if (key === "/") { var box = document.getElementById("id_q"); if (box) { box.focus(); event.preventDefault(); } }
    else if (key === "K") { follow('.message-nav a[rel="prev"]'); }
    else if (key === "J") { follow('.message-nav a[rel="next"]'); }
    else if (key === "n") { follow('.pager a[rel="next"]'); }
    else if (key === "p") { follow('.pager a[rel="prev"]'); }
    else if (key === "g") { pendingG = true; }
    else if (key === "?") { openHelp(); event.preventDefault(); }
  });

  function toggleRow(row) {
    var box = row.querySelector('input[name="uids"]');
    if (box) box.checked = !box.checked;
  }

  // Keyboard actions work on the checked rows, else the highlighted one, else the open message.
  function actOnCurrent(action) {
    var form = document.getElementById("list-form") || document.querySelector(".message-actions");
    if (!form) return;
    if (form.id === "list-form" && !form.querySelector('input[name="uids"]:checked')) {
      if (index < 0) return;
      toggleRow(rows[index]);
    }
    var button = form.querySelector('button[value="' + action + '"]');
    if (button) button.click();
  }

  var selectAll = document.getElementById("select-all");
  if (selectAll) {
    selectAll.addEventListener("change", function () {
      document.querySelectorAll('#list-form input[name="uids"]').forEach(function (box) {
        box.checked = selectAll.checked;
      });
    });
  }

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

  // Drag messages onto a folder to move them (the checked ones, or the dragged row).
  rows.forEach(function (row) {
    row.addEventListener("dragstart", function (event) {
      var checked = Array.prototype.map.call(
        document.querySelectorAll('#list-form input[name="uids"]:checked'),
        function (box) { return box.value; });
      if (checked.indexOf(row.dataset.uid) < 0) checked = [row.dataset.uid];
      event.dataTransfer.setData("application/x-heron-uids", JSON.stringify({
        mailbox: row.dataset.mailbox, uids: checked }));
      event.dataTransfer.effectAllowed = "move";
    });
  });
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
      if (!form || !data.uids) return;
      var body = new FormData();
      body.append("csrfmiddlewaretoken", form.querySelector('[name="csrfmiddlewaretoken"]').value);
      body.append("mailbox", data.mailbox);
      body.append("action", "move");
      body.append("target", link.dataset.folder);
      data.uids.forEach(function (uid) { body.append("uids", uid); });
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
          window.alert("Moving the messages failed. Nothing was changed; please try again.");
        });
    });
  });

  // The message frame grows to its content (same origin, no script inside it).
  document.querySelectorAll("iframe.mail-frame").forEach(function (frame) {
    function fit() {
      try {
        var doc = frame.contentDocument;
        if (doc && doc.documentElement) frame.style.height = (doc.documentElement.scrollHeight + 16) + "px";
      } catch (e) { /* not ready */ }
    }
    frame.addEventListener("load", function () { fit(); setTimeout(fit, 300); });
  });

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
