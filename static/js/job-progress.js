// Reloads a job's page every two seconds until the job has finished. Small on purpose:
// on a slow county link a full page of a few KB is cheaper than a client-side app.
(function () {
  var box = document.querySelector("[data-poll-url]");
  if (!box || box.dataset.finished === "1") return;
  setTimeout(function () { window.location.reload(); }, 2000);
})();
