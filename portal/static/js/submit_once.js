// One press sends a form once (issue 17.4): once a form is being submitted its buttons are disabled for a
// few seconds, so a double click sends one request. Only a convenience: the server's one-time form token
// (portal/idempotency.py) is what guarantees one object per form — without script, with this defeated, or
// from two tabs. The buttons come back after 5 s (a download does not leave the page) and on back/forward.
(function () {
  "use strict";
  var SELECTOR = 'button:not([type]), button[type="submit"], input[type="submit"]';

  function setDisabled(form, disabled) {
    Array.prototype.forEach.call(form.querySelectorAll(SELECTOR), function (button) { button.disabled = disabled; });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") {
      return; // a form that a script sends itself (session.js) or a search (GET) stays as it is
    }
    // After this event: the pressed button's name and value are already part of what is sent.
    window.setTimeout(function () {
      setDisabled(form, true);
      window.setTimeout(function () { setDisabled(form, false); }, 5000);
    }, 0);
  });

  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      Array.prototype.forEach.call(document.forms, function (form) { setDisabled(form, false); });
    }
  });
})();
