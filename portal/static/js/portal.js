/* Yokoten: small accessibility helpers (served by the portal itself; every page works without them).
   - A form answered with errors moves the focus to its error summary, so that keyboard and screen
     reader users start from the list of what to correct.
   - The Print button of printable sheets opens the browser's print dialogue. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-autofocus]");
    if (summary) { summary.focus(); }
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  });
}());
