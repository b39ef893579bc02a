// Ask before sending (Settings → Writing): a message without a subject, or one whose text
// mentions an attachment when none is attached, opens a dialog that says why, with Send
// anyway and Back to the message. The server asks the same with a page when this did not.
(function () {
  "use strict";
  var form = document.getElementById("compose-form");
  if (!form || !form.dataset.sendChecks) return;
  var checks = JSON.parse(form.dataset.sendChecks);
  var confirmed = false;

  function escaped(word) { return word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }
  var mention = new RegExp("(^|[^\\p{L}\\p{N}_])(" + checks.words.map(escaped).join("|") + ")", "iu");

  function ownText() {
    var format = form.querySelector('input[name="format"]:checked');
    var text = format && format.value === "html"
      ? (document.getElementById("editor") || {}).innerText || ""
      : form.elements.body.value;
    return text.split("\n").filter(function (line) { return !/^\s*>/.test(line); }).join("\n");
  }
  function hasFiles() { return form.querySelectorAll("#uploads .upload").length > 0; }

  function doubts() {
    var found = [];
    if (checks.subject && !form.elements.subject.value.trim()) {
      found.push(gettext("The message has no subject."));
    }
    if (checks.attachment && !hasFiles() && mention.test(ownText())) {
      found.push(gettext("The text mentions an attachment, but no file is attached."));
    }
    return found;
  }

  function ask(questions, submitter) {
    var dialog = document.createElement("dialog");
    dialog.className = "send-check";
    dialog.setAttribute("aria-labelledby", "send-check-title");
    var title = document.createElement("h2");
    title.id = "send-check-title";
    title.textContent = gettext("Send this message?");
    var list = document.createElement("ul");
    questions.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
    var actions = document.createElement("div");
    actions.className = "confirm-actions";
    var send = document.createElement("button");
    send.type = "button";
    send.className = "button";
    send.textContent = gettext("Send anyway");
    var back = document.createElement("button");
    back.type = "button";
    back.className = "button secondary";
    back.textContent = gettext("Back to the message");
    actions.append(send, back);
    dialog.append(title, list, actions);
    document.body.appendChild(dialog);
    dialog.addEventListener("close", function () { dialog.remove(); });
    back.addEventListener("click", function () {
      dialog.close();
      (checks.subject && !form.elements.subject.value.trim()
        ? form.elements.subject : form.elements.body).focus();
    });
    send.addEventListener("click", function () {
      confirmed = true;
      var flag = document.createElement("input");
      flag.type = "hidden";
      flag.name = "confirmed";
      flag.value = "1";
      form.appendChild(flag);
      dialog.close();
      form.requestSubmit(submitter);
    });
    dialog.showModal();
    back.focus();
  }

  // Captured on the document, so it runs before compose.js's own submit handler.
  document.addEventListener("submit", function (event) {
    if (event.target !== form || confirmed) return;
    var submitter = event.submitter;
    var action = submitter && submitter.getAttribute("formaction");
    if (action && action !== form.getAttribute("action")) return;  // save, discard, later
    var questions = doubts();
    if (!questions.length) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    ask(questions, submitter);
  }, true);
})();
