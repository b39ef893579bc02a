// Send later in the compose window: "Pick date and time…" opens the picker as a dialog.
// Without JavaScript the picker stands below the message and the menu is a list of
// buttons; the server checks the time either way.
(function () {
  var dialog = document.getElementById("send-later-pick");
  if (!dialog || typeof dialog.showModal !== "function") return;
  var input = dialog.querySelector('input[type="datetime-local"]');
  var schedule = dialog.querySelector("[data-schedule]");
  var scheduling = false;

  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest('a[href="#send-later-pick"]')) return;
    event.preventDefault();
    dialog.showModal();
    input.focus();
  });
  dialog.querySelector("[data-close]").addEventListener("click", function () { dialog.close(); });
  // Enter in the picker schedules: the form's own default button is Send.
  input.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    event.preventDefault();
    dialog.closest("form").requestSubmit(schedule);
  });
  schedule.addEventListener("click", function () { scheduling = true; });
  input.addEventListener("invalid", function () { scheduling = false; });
  dialog.addEventListener("close", function () {
    // A time picked and then given up must not stand in the way of Send (its min and
    // max are checked on every submit of the form).
    if (!scheduling) input.value = "";
    scheduling = false;
    var opener = document.querySelector(".send-later [aria-haspopup]");
    if (opener) opener.focus();
  });
})();
