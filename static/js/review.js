// Review screen keys: A accepts, R sends back, F opens the editor to fix the work (the
// workbench's, static/js/workbench.js in its `edit` mode: Enter saves the fix through this
// page's form, Esc comes back here), 1-9 tick reasons, N goes to the next one, ? lists the
// keys. Keys are left alone while typing and while the editor is open; Esc leaves the
// comment box. The buttons and the link work the same without this script (but for Fix,
// which needs it).
(function () {
  "use strict";
  var form = document.getElementById("review-form");
  if (!form) return;
  var dialog = document.getElementById("review-keys");
  var opener = document.getElementById("review-keys-open");
  var editor = document.getElementById("wb");
  var fixer = document.getElementById("review-fix");
  var sent = false;

  function editing() {
    return !!editor && !editor.hidden;
  }

  function fix() {
    if (sent || !window.aidouWorkbench || !window.aidouWorkbench.open) return;
    window.aidouWorkbench.open();
  }

  if (fixer && editor && window.aidouWorkbench) {
    fixer.hidden = false;
    fixer.addEventListener("click", fix);
    // Back from the editor: the keys are this page's again, and Enter would reopen it.
    editor.addEventListener("wb-closed", function () { fixer.focus(); });
  }

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
    if (editing()) return;  // the editor's keys (workbench.js) while it is open
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
    } else if (key === "f" || key === "F") {
      if (!fixer || fixer.hidden) return;
      fix();
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
