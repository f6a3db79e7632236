// What every page may use, without inline scripts, handlers or styles (the
// Content-Security-Policy allows none): a confirmation before a button with
// `data-confirm` submits, and colours that come from data (`data-colour`, a label's
// colour) set as the `--colour` custom property the stylesheet reads.
(function () {
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-confirm]") : null;
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });
  var colour = /^#[0-9a-fA-F]{3,8}$/;
  document.querySelectorAll("[data-colour]").forEach(function (el) {
    if (colour.test(el.dataset.colour)) el.style.setProperty("--colour", el.dataset.colour);
  });
})();
