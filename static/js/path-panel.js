// The career path on the annotator's home: fetched after the page, so the home's own
// figures come first on a slow link. Without script the panel keeps its link.
(function () {
  var panel = document.getElementById("career-path");
  if (!panel || !panel.dataset.pathUrl) return;
  fetch(panel.dataset.pathUrl, { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.text() : null; })
    .then(function (html) { if (html) { panel.innerHTML = html; panel.dataset.loaded = "1"; } })
    .catch(function () { /* offline: the link stays */ });
})();
