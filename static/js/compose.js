// The compose window: autosave to Drafts, attachments with progress, address suggestions,
// and the rich-text editor. Without JavaScript the form still sends and saves.
(function () {
  var form = document.getElementById("compose-form");
  if (!form) return;
  var status = document.getElementById("save-status");
  var csrf = form.querySelector('[name="csrfmiddlewaretoken"]').value;
  var field = function (name) { return form.querySelector('[name="' + name + '"]'); };
  var editor = document.getElementById("editor");
  var rich = form.querySelector(".rich");
  var plain = form.querySelector(".compose-body");
  var IDLE_MS = 2500;
  var dirty = false, saving = false, again = false, stopped = false, sending = false;
  var timer = null, pendingSubmit = null;

  function say(text, alert) {
    status.textContent = text;
    status.classList.toggle("problem", !!alert);
  }

  // --- Rich text -------------------------------------------------------------------------
  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }
  function showFormat(format, convert) {
    var html = format === "html";
    rich.hidden = !html;
    plain.hidden = html;
    if (!convert) return;
    if (html) {
      editor.innerHTML = field("body").value.split(/\n{2,}/).map(function (para) {
        return "<p>" + escapeHtml(para).replace(/\n/g, "<br>") + "</p>";
      }).join("");
    } else {
      field("body").value = editor.innerText;
    }
  }
  function syncEditor() {
    if (!rich.hidden) field("html").value = editor.innerHTML;
  }
  form.querySelectorAll('input[name="format"]').forEach(function (radio) {
    radio.addEventListener("change", function () { showFormat(radio.value, true); changed(); });
  });
  var chosen = form.querySelector('input[name="format"]:checked');
  if (chosen && chosen.value === "html") {
    editor.innerHTML = field("html").value;
    showFormat("html", false);
  }
  form.querySelectorAll(".rich-tools [data-command]").forEach(function (button) {
    button.addEventListener("click", function () {
      var command = button.dataset.command;
      editor.focus();
      if (command === "createLink") {
        var url = window.prompt(gettext("Link address (https://…)"));
        if (url && /^(https?:|mailto:)/i.test(url)) document.execCommand("createLink", false, url);
      } else if (command === "quote") {
        document.execCommand("formatBlock", false, "blockquote");
      } else if (command === "image") {
        document.getElementById("image-input").click();
        return;
      } else {
        document.execCommand(command, false, null);
      }
      changed();
    });
  });
  document.getElementById("image-input").addEventListener("change", function (event) {
    Array.prototype.forEach.call(event.target.files, function (file) {
      upload(file, true, function (item) {
        editor.focus();
        document.execCommand("insertHTML", false,
          '<img src="' + item.url + '" alt="' + escapeHtml(item.name) + '">');
        changed();
      });
    });
    event.target.value = "";
  });
  editor.addEventListener("input", changed);

  // --- Signatures: choosing another identity swaps its signature in -------------------
  var signatures = JSON.parse(document.getElementById("signatures").textContent || "{}");
  var identity = field("identity");
  var signed = identity.value;
  identity.addEventListener("change", function () {
    var before = signatures[signed] || "", after = signatures[identity.value] || "";
    var body = field("body");
    if (before && body.value.indexOf(before) >= 0) body.value = body.value.replace(before, after);
    else if (!before && after) body.value = body.value.replace(/\s*$/, "") + after;
    signed = identity.value;
    changed();
  });

  // --- Autosave --------------------------------------------------------------------------
  function changed() {
    if (stopped || sending) return;
    dirty = true;
    clearTimeout(timer);
    timer = setTimeout(save, IDLE_MS);
  }
  form.addEventListener("input", function (event) {
    if (event.target.type !== "file") changed();
  });

  function save() {
    if (stopped || sending || !dirty) return;
    if (saving) { again = true; return; }
    syncEditor();
    saving = true; dirty = false;
    say(gettext("Saving…"));
    fetch(form.dataset.saveUrl, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) {
          field("version").value = data.version;
          say(interpolate(gettext("Draft saved at %(time)s"), { time: new Date().toLocaleTimeString(document.documentElement.lang || [], { hour: "2-digit", minute: "2-digit" }) }, true));
        } else if (response.status === 409) {
          stopped = true;
          conflict(data);
        } else {
          dirty = true;
          say(interpolate(gettext("Not saved: %(reason)s Retrying…"), { reason: data.error || gettext("the server did not answer.") }, true), true);
          timer = setTimeout(save, 10000);
        }
      });
    }).catch(function () {
      dirty = true;
      say(gettext("Not saved: no connection. Retrying…"), true);
      timer = setTimeout(save, 10000);
    }).then(function () {
      saving = false;
      if (pendingSubmit) { var button = pendingSubmit; pendingSubmit = null; form.requestSubmit(button); }
      else if (again) { again = false; save(); }
    });
  }

  function conflict(data) {
    say(data.error || gettext("This draft was changed elsewhere."), true);
    if (data.reload) {
      var link = document.createElement("a");
      link.href = data.reload;
      link.className = "button secondary";
      link.textContent = gettext("Reload the latest version");
      status.appendChild(document.createTextNode(" "));
      status.appendChild(link);
    }
  }

  form.addEventListener("submit", function (event) {
    syncEditor();
    if (saving) {
      // Let the save in flight finish first, so it cannot land after the send.
      event.preventDefault();
      pendingSubmit = event.submitter;
      return;
    }
    clearTimeout(timer);
    sending = true;
  });

  // Closing the tab or leaving the page: one last save of what was typed.
  window.addEventListener("pagehide", function () {
    if (!dirty || stopped || sending || !navigator.sendBeacon) return;
    syncEditor();
    navigator.sendBeacon(form.dataset.saveUrl, new FormData(form));
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit(form.querySelector('.compose-actions button[type="submit"]'));
    }
  });

  // --- Attachments -----------------------------------------------------------------------
  var list = document.getElementById("uploads");
  function sizeText(bytes) {
    var number = function (value) { return value.toLocaleString(document.documentElement.lang || [], { maximumFractionDigits: 1 }); };
    if (bytes < 1024) return interpolate(ngettext("%(size)s byte", "%(size)s bytes", bytes), { size: number(bytes) }, true);
    if (bytes < 1048576) return interpolate(gettext("%(size)s KB"), { size: number(bytes / 1024) }, true);
    return interpolate(gettext("%(size)s MB"), { size: number(bytes / 1048576) }, true);
  }
  function removable(item, id, name, url) {
    item.dataset.id = id;
    item.innerHTML = "";
    var label = document.createElement("span");
    label.className = "upload-name";
    label.textContent = name;
    var size = document.createElement("span");
    size.className = "muted";
    size.textContent = " " + sizeText(item.size || 0) + " ";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button secondary";
    button.dataset.delete = url;
    button.setAttribute("aria-label", interpolate(gettext("Remove %(name)s"), { name: name }, true));
    button.textContent = gettext("Remove");
    item.append(label, size, button);
  }
  function upload(file, inline, done) {
    var item = document.createElement("li");
    item.className = "upload";
    var label = document.createElement("span");
    label.className = "upload-name";
    label.textContent = file.name + " ";
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    bar.setAttribute("aria-label", interpolate(gettext("Uploading %(name)s"), { name: file.name }, true));
    item.append(label, bar);
    if (!inline) list.appendChild(item);
    var body = new FormData();
    body.append("draft", field("draft").value);
    body.append("file", file);
    if (inline) body.append("inline", "1");
    var request = new XMLHttpRequest();
    request.open("POST", form.dataset.uploadUrl);
    request.setRequestHeader("X-CSRFToken", csrf);
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) bar.value = Math.round(100 * event.loaded / event.total);
    });
    request.addEventListener("load", function () {
      var data = {};
      try { data = JSON.parse(request.responseText); } catch (e) { /* not JSON */ }
      if (request.status === 200 && data.uploads && data.uploads.length) {
        var stored = data.uploads[data.uploads.length - 1];
        item.size = stored.size;
        removable(item, stored.id, stored.name, stored.delete_url);
        if (done) done(stored);
        changed();
      } else {
        failed(item, file.name, data.error || interpolate(gettext("the upload failed (%(status)s)"), { status: request.status }, true));
      }
    });
    request.addEventListener("error", function () { failed(item, file.name, gettext("no connection")); });
    request.send(body);
  }
  function failed(item, name, reason) {
    item.innerHTML = "";
    item.className = "upload failed";
    item.setAttribute("role", "alert");
    item.textContent = interpolate(gettext("%(name)s was not attached: %(reason)s"), { name: name, reason: reason }, true);
    if (!item.parentNode) list.appendChild(item);
    setTimeout(function () { item.remove(); }, 15000);
  }
  list.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-delete]");
    if (!button) return;
    button.disabled = true;
    fetch(button.dataset.delete, { method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error();
        button.closest("li").remove();
        // The saved draft still holds the file: save again so that it no longer does.
        changed();
      })
      .catch(function () { button.disabled = false; say(gettext("The file could not be removed; try again."), true); });
  });
  var input = document.getElementById("attach-input");
  document.getElementById("attach-button").addEventListener("click", function () { input.click(); });
  input.addEventListener("change", function () {
    Array.prototype.forEach.call(input.files, function (file) { upload(file, false); });
    input.value = "";
  });
  form.addEventListener("dragover", function (event) {
    if (event.dataTransfer.types.indexOf("Files") < 0) return;
    event.preventDefault();
    form.classList.add("dropping");
  });
  form.addEventListener("dragleave", function (event) {
    if (!form.contains(event.relatedTarget)) form.classList.remove("dropping");
  });
  form.addEventListener("drop", function (event) {
    if (!event.dataTransfer.files.length) return;
    event.preventDefault();
    form.classList.remove("dropping");
    Array.prototype.forEach.call(event.dataTransfer.files, function (file) { upload(file, false); });
  });

  // --- Address suggestions ---------------------------------------------------------------
  form.querySelectorAll("input[data-contacts]").forEach(function (box) {
    var menu = document.getElementById(box.id + "-suggestions");
    var active = -1, asked = 0;
    box.setAttribute("role", "combobox");
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-controls", menu.id);
    box.setAttribute("aria-expanded", "false");
    function lastToken() { return box.value.split(/[,;]/).pop().trim(); }
    function close() { menu.hidden = true; active = -1; box.setAttribute("aria-expanded", "false"); }
    function choose(label) {
      var parts = box.value.split(/[,;]/);
      parts[parts.length - 1] = " " + label;
      box.value = parts.join(",").replace(/^\s+/, "") + ", ";
      close();
      box.focus();
      changed();
    }
    // A group expands to its members' addresses; if that cannot be fetched, its name
    // stays and the server expands it when the message is sent.
    function pick(option) {
      if (!option.dataset.group || !form.dataset.groupUrl) { choose(option.dataset.label); return; }
      fetch(form.dataset.groupUrl + "?name=" + encodeURIComponent(option.dataset.label), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { addresses: [] }; })
        .then(function (data) {
          choose(data.addresses && data.addresses.length ? data.addresses.join(", ") : option.dataset.label);
        })
        .catch(function () { choose(option.dataset.label); });
    }
    function highlight(index) {
      var options = menu.querySelectorAll("li");
      if (!options.length) return;
      active = (index + options.length) % options.length;
      options.forEach(function (option, i) { option.setAttribute("aria-selected", i === active ? "true" : "false"); });
      box.setAttribute("aria-activedescendant", options[active].id);
    }
    box.addEventListener("input", function () {
      var token = lastToken();
      if (!token) { close(); return; }
      var ticket = ++asked;
      fetch(form.dataset.contactsUrl + "?q=" + encodeURIComponent(token), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { contacts: [] }; })
        .then(function (data) {
          if (ticket !== asked) return;
          menu.innerHTML = "";
          (data.contacts || []).forEach(function (contact, i) {
            var option = document.createElement("li");
            option.id = box.id + "-option-" + i;
            option.setAttribute("role", "option");
            option.textContent = contact.group ? interpolate(gettext("%s (group)"), [contact.label]) : contact.label;
            option.dataset.label = contact.label;
            if (contact.group) option.dataset.group = "1";
            option.addEventListener("mousedown", function (event) { event.preventDefault(); pick(option); });
            menu.appendChild(option);
          });
          menu.hidden = !menu.children.length;
          box.setAttribute("aria-expanded", menu.hidden ? "false" : "true");
        })
        .catch(close);
    });
    box.addEventListener("keydown", function (event) {
      if (menu.hidden) return;
      if (event.key === "ArrowDown") { highlight(active + 1); event.preventDefault(); }
      else if (event.key === "ArrowUp") { highlight(active - 1); event.preventDefault(); }
      else if (event.key === "Enter" && active >= 0) {
        pick(menu.querySelectorAll("li")[active]);
        event.preventDefault();
      } else if (event.key === "Escape") { close(); }
    });
    box.addEventListener("blur", function () { setTimeout(close, 150); });
  });
})();
