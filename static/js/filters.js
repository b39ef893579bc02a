// The Filters pages: rules saved at once when moved (buttons, Alt+Up/Down, drag by mouse, or
// by touch on the handle) or switched, with the progress shown; the rule editor shows only
// the inputs a row's choice needs.
// Without this script every control is a form that posts and comes back.
(function () {
  "use strict";
  var status = document.getElementById("filters-status");

  function say(text, busy) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("busy", !!busy);
  }

  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(url, data) {
    data.append("csrfmiddlewaretoken", csrf());
    return fetch(url, {method: "POST", body: data, credentials: "same-origin",
                       headers: {"Accept": "application/json"}})
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok) throw new Error(body.error || gettext("Not saved: the server did not answer."));
          return body;
        });
      });
  }

  // Redraw the list from the page as the server now has it; focus the row named `name`.
  function refresh(name) {
    return fetch(window.location.href, {credentials: "same-origin"})
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("filter-list");
        var list = document.getElementById("filter-list");
        if (!fresh || !list) { window.location.reload(); return; }
        list.replaceWith(fresh);
        setUp(fresh);
        if (name !== undefined) {
          var row = Array.prototype.find.call(fresh.querySelectorAll(".filter-row"),
            function (r) { return r.dataset.name === name; });
          if (row) row.focus();
        }
      });
  }

  function save(url, data, name) {
    say(gettext("Saving…"), true);
    return post(url, data)
      .then(function () { return refresh(name); })
      .then(function () { say(gettext("Saved."), false); })
      .catch(function (error) {
        say(error.message, false);
        return refresh(name);
      });
  }

  function submitChange(form) {
    var row = form.closest(".filter-row");
    save(form.action, new FormData(form), row ? row.dataset.name : undefined);
  }

  function order(list) {
    var data = new FormData();
    list.querySelectorAll(".filter-row").forEach(function (row) { data.append("order", row.dataset.index); });
    data.append("version", list.dataset.version);
    return data;
  }

  function clearDrop(list) {
    list.querySelectorAll(".drop-before, .drop-after").forEach(function (r) {
      r.classList.remove("drop-before", "drop-after");
    });
  }

  // Mark where the dragged row would land: before `row`, or after it when y is in its lower half.
  function markDrop(list, row, y) {
    var box = row.getBoundingClientRect();
    clearDrop(list);
    row.classList.add(y > box.top + box.height / 2 ? "drop-after" : "drop-before");
  }

  // Put `dragged` where the mark on `row` says and save the list's new order.
  function dropOn(list, dragged, row) {
    var after = row.classList.contains("drop-after");
    row.classList.remove("drop-before", "drop-after");
    if (row !== dragged) row.parentNode.insertBefore(dragged, after ? row.nextSibling : row);
    save(list.dataset.orderUrl, order(list), dragged.dataset.name);
  }

  // Touch and pen drag a row by its handle with Pointer Events, as most touch browsers start
  // no HTML5 drag. Only the handle has touch-action: none, so the page scrolls everywhere else.
  function setUpTouch(list) {
    var touch = null;  // {row, id} while a finger drags a row
    function mine(event) { return touch && event.pointerId === touch.id; }
    function end() {
      touch.row.classList.remove("dragging");
      touch = null;
    }
    list.addEventListener("pointerdown", function (event) {
      var handle = event.target.closest && event.target.closest(".drag-handle");
      var row = handle && handle.closest(".filter-row");
      if (!row || event.pointerType === "mouse" || touch) return;
      event.preventDefault();
      // Moves and the lift go to the handle even when the finger leaves it.
      handle.setPointerCapture(event.pointerId);
      touch = {row: row, id: event.pointerId};
      row.classList.add("dragging");
    });
    list.addEventListener("pointermove", function (event) {
      if (!mine(event)) return;
      event.preventDefault();
      var under = document.elementFromPoint(event.clientX, event.clientY);
      var row = under && under.closest(".filter-row");
      if (row === touch.row) clearDrop(list);  // back where it was
      else if (row && list.contains(row)) markDrop(list, row, event.clientY);
    });
    list.addEventListener("pointerup", function (event) {
      if (!mine(event)) return;
      var dragged = touch.row;
      end();
      var row = list.querySelector(".drop-before, .drop-after");
      if (row) dropOn(list, dragged, row);  // lifted where it was: nothing to save
    });
    list.addEventListener("pointercancel", function (event) {
      if (!mine(event)) return;
      end();
      clearDrop(list);
    });
  }

  function setUp(list) {
    var dragged = null;
    setUpTouch(list);
    list.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.hasAttribute("data-confirm")) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
        event.stopImmediatePropagation();
        return;
      }
      if (!form.hasAttribute("data-filters-change")) return;
      event.preventDefault();
      submitChange(form);
    }, true);
    list.addEventListener("keydown", function (event) {
      var row = event.target;
      if (!row.classList || !row.classList.contains("filter-row") || !event.altKey) return;
      var direction = {ArrowUp: "up", ArrowDown: "down"}[event.key];
      var button = direction && row.querySelector("button[data-move=" + direction + "]");
      if (!button) return;
      event.preventDefault();
      if (!button.disabled) submitChange(button.form);
    });
    list.addEventListener("dragstart", function (event) {
      dragged = event.target.closest && event.target.closest(".filter-row");
      if (!dragged) return;
      dragged.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged.dataset.index);
    });
    list.addEventListener("dragover", function (event) {
      var row = event.target.closest && event.target.closest(".filter-row");
      if (!dragged || !row || row === dragged) return;
      event.preventDefault();
      markDrop(list, row, event.clientY);
    });
    list.addEventListener("drop", function (event) {
      var row = event.target.closest && event.target.closest(".filter-row");
      if (!dragged || !row) return;
      event.preventDefault();
      dropOn(list, dragged, row);
    });
    list.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("dragging");
      dragged = null;
    });
  }

  var list = document.getElementById("filter-list");
  if (list) setUp(list);

  // The rule editor: each row shows the header name, folder or text input only when used.
  function mark(row) {
    var field = row.querySelector("select[name=cond_field]");
    var kind = row.querySelector("select[name=action_kind]");
    if (field) row.dataset.field = field.value;
    if (kind) row.dataset.kind = kind.value;
  }
  // The script editor: the textarea grows with the script and the numbers follow it.
  var code = document.querySelector(".code-editor textarea");
  var numbers = document.querySelector(".code-editor .line-numbers");
  if (code && numbers && numbers.children.length) {
    code.addEventListener("input", function () {
      var lines = code.value.split("\n").length;
      code.rows = Math.max(24, lines + 2);
      while (numbers.children.length < lines) {
        var number = document.createElement("span");
        number.textContent = numbers.children.length + 1;
        numbers.appendChild(number);
        numbers.appendChild(document.createTextNode("\n"));
      }
      while (numbers.children.length > Math.max(lines, 1)) {
        numbers.removeChild(numbers.lastChild);  // the line break after the number
        numbers.removeChild(numbers.lastElementChild);
      }
    });
  }

  document.querySelectorAll(".rule-row").forEach(function (row) {
    mark(row);
    row.addEventListener("change", function () { mark(row); });
  });
})();
