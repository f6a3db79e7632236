// Review screen keys: A accepts, R sends back, 1-9 tick reasons, N goes to the next one,
// ? lists the keys. Keys are left alone while typing; Esc leaves the comment box. The
// buttons and the link work the same without this script.
(function () {
  "use strict";
  var form = document.getElementById("review-form");
  if (!form) return;
  var dialog = document.getElementById("review-keys");
  var opener = document.getElementById("review-keys-open");
  var sent = false;

  function typing(el) {
    if (!el) return false;
    if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
    return el.tagName === "INPUT" && !/^(checkbox|radio|button|submit|reset|hidden)$/.test(el.type);
  }

  function decide(value) {
    if (sent) return;  // one decision per page: a held key must not send twice
    var button = form.querySelector('button[name="decision"][value="' + value + '"]');
    if (!button) return;
    sent = true;
    if (form.requestSubmit) form.requestSubmit(button);
    else button.click();
  }

  function showKeys() {
    if (dialog && !dialog.open && dialog.showModal) dialog.showModal();
  }

  if (opener && dialog && dialog.showModal) {
    opener.hidden = false;
    opener.addEventListener("click", showKeys);
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (typing(target)) {
      if (event.key === "Escape") {
        target.blur();
        event.preventDefault();
      }
      return;
    }
    if (dialog && dialog.open) return;  // the dialog closes itself with Esc
    var key = event.key;
    if (key === "?") {
      showKeys();
    } else if (key === "a" || key === "A") {
      decide("accept");
    } else if (key === "r" || key === "R") {
      decide("reject");
    } else if (key === "n" || key === "N") {
      var next = document.getElementById("review-next");
      if (!next) return;
      window.location.href = next.href;
    } else if (/^[1-9]$/.test(key)) {
      var box = form.querySelector('input[name="reasons"][data-key="' + key + '"]');
      if (!box) return;
      box.checked = !box.checked;
    } else {
      return;
    }
    event.preventDefault();
  });

  // Back from the browser's page cache after a decision: allow deciding again.
  window.addEventListener("pageshow", function () { sent = false; });
})();
