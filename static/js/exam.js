// The theory exam: the time left (the server's deadline, from data-deadline) and each
// answer saved the moment it is given, so a dropped link loses nothing. The server alone
// decides what is late; this clock only tells the candidate.
(function () {
  var form = document.getElementById("exam-form");
  var timer = document.getElementById("exam-timer");
  var state = document.getElementById("exam-save-state");
  if (!form || !timer) return;
  var deadline = new Date(timer.dataset.deadline).getTime();
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var m = Math.floor(left / 60), s = left % 60;
    timer.textContent = left > 0 ? timer.dataset.label + ": " + m + ":" + (s < 10 ? "0" : "") + s : timer.dataset.over;
    if (left > 0) setTimeout(tick, 1000);
  }
  tick();

  form.addEventListener("change", function (event) {
    var box = event.target.closest("fieldset[data-question]");
    if (!box) return;
    var choices = Array.prototype.map.call(box.querySelectorAll("input:checked"), function (i) { return Number(i.value); });
    fetch(form.dataset.answerUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ question: Number(box.dataset.question), choices: choices }),
    }).then(function (r) {
      state.textContent = r.ok ? state.dataset.saved : r.status === 409 ? state.dataset.late : state.dataset.failed;
    }).catch(function () { state.textContent = state.dataset.failed; });
  });
})();
