// Bluelamp's only script of its own: progressive enhancement. Every page works without it.
// Loaded as a file (the Content-Security-Policy forbids inline script).
(function () {
  "use strict";
  // Move focus to the error summary when a form comes back with errors (GOV.UK pattern),
  // so screen-reader and keyboard users hear what went wrong first.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  });
})();
