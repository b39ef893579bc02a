// A search of all folders, shown as the folders answer: each folder's first page of hits
// is asked for at once, its rows merged into the list newest first, and the count of
// folders searched told in a live region. The page without JavaScript is the whole list
// at once (the search form sends stream=1 only where this file runs: search.js).
(function () {
  var box = document.querySelector("[data-search-stream]");
  if (!box) return;
  var perPage = parseInt(box.dataset.perPage, 10) || 50;
  var urls = Array.prototype.map.call(box.querySelectorAll(".search-folders li"),
    function (item) { return { url: item.dataset.url, name: item.textContent }; });
  var status = box.querySelector(".search-progress");
  var table = box.querySelector("table.messages");
  var body = table.querySelector("tbody");
  var done = 0, found = 0, failed = [];

  function say(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }
  function key(row) {
    return [parseInt(row.dataset.time || "0", 10), parseInt(row.dataset.uid, 10)];
  }
  function newer(a, b) {  // same order as the whole page: date, then UID, newest first
    var x = key(a), y = key(b);
    return x[0] !== y[0] ? x[0] > y[0] : x[1] > y[1];
  }
  function place(row) {
    var next = Array.prototype.find.call(body.rows, function (other) { return newer(row, other); });
    body.insertBefore(row, next || null);
  }
  function update() {
    var text = say(box.dataset.progress, { done: done, total: urls.length });
    if (done === urls.length) text = say(box.dataset.found, { found: found });
    failed.forEach(function (name) { text += " " + say(box.dataset.failed, { folder: name }); });
    status.textContent = text;
    if (done === urls.length) {
      box.classList.add("search-done");
      box.querySelector(".empty").hidden = body.rows.length > 0;
      box.querySelector(".pager").hidden = found <= perPage;
    }
  }
  function answered(folder, html) {
    var parsed = new DOMParser().parseFromString(html, "text/html");
    var rows = parsed.querySelector("tbody");
    if (rows) {
      found += parseInt(rows.dataset.total, 10) || 0;
      Array.prototype.slice.call(rows.rows).forEach(function (row) {
        place(document.importNode(row, true));
      });
      while (body.rows.length > perPage) body.deleteRow(-1);
      table.hidden = body.rows.length === 0;
    }
    done += 1;
    update();
  }
  urls.forEach(function (each) {
    fetch(each.url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) { answered(each.name, html); })
      .catch(function () { failed.push(each.name); answered(each.name, ""); });
  });
  update();
})();
