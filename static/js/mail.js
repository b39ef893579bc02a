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
      if (event.target.closest("a")) return;
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
    else if (key === "n") { follow('.pager a[rel="next"]'); }
    else if (key === "p") { follow('.pager a[rel="prev"]'); }
    else if (key === "g") { pendingG = true; }
    else if (key === "?") { openHelp(); event.preventDefault(); }
  });

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
