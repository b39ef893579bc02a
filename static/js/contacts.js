// The Contacts page: the address-book menu on narrow screens, one more address or phone
// row without a reload, and a confirmation before deleting.
(function () {
  "use strict";
  var menu = document.querySelector(".menu-toggle");
  if (menu) {
    menu.setAttribute("aria-label", gettext("Show address books"));
    menu.addEventListener("click", function () {
      var open = document.body.classList.toggle("folders-open");
      menu.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  document.querySelectorAll("fieldset[data-repeat]").forEach(function (set) {
    var add = set.querySelector(".repeat-add");
    if (!add) return;
    add.hidden = false;
    add.addEventListener("click", function () {
      var rows = set.querySelectorAll(".repeat-row");
      var last = rows[rows.length - 1];
      var row = last.cloneNode(true);
      var index = rows.length + 1;
      row.querySelectorAll("input, select").forEach(function (control) {
        control.id = control.id.replace(/\d+$/, String(index));
        if (control.tagName === "INPUT") control.value = "";
        else control.selectedIndex = 0;
      });
      row.querySelectorAll("label").forEach(function (label) {
        label.htmlFor = label.htmlFor.replace(/\d+$/, String(index));
        label.textContent = label.textContent.replace(/\d+$/, String(index));
      });
      set.insertBefore(row, add);
      row.querySelector("input").focus();
    });
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
})();
