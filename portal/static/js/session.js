// The idle warning (issue 17.3): shortly before the session's idle limit, a dialog offers to stay logged
// in. The server says how long is left (data-session-expires-in on <body>, /session/status, and every
// autosave's answer), so several tabs and the autosave's own requests are taken into account.
// Without script nothing changes: the dialog stays hidden and the session ends as before.
(function () {
  "use strict";
  var body = document.body;
  var dialog = document.getElementById("session-warning");
  if (!dialog || !body.hasAttribute("data-session-expires-in")) { return; }
  var warn = parseInt(body.getAttribute("data-session-warn"), 10) || 180;
  var statusUrl = body.getAttribute("data-session-status-url");
  var form = dialog.querySelector("form[data-session-extend]");
  var text = dialog.querySelector("[data-session-text]");
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  var timer = null;
  var previousFocus = null;

  function schedule(expiresIn) {
    window.clearTimeout(timer);
    if (expiresIn <= 0) { ended(); return; }
    timer = window.setTimeout(check, Math.max(0, expiresIn - warn) * 1000);
  }

  function show() {
    if (!dialog.hidden) { return; }
    previousFocus = document.activeElement;
    dialog.hidden = false;
    form.querySelector('button[type="submit"]').focus();
  }

  function hide() {
    dialog.hidden = true;
    if (previousFocus && previousFocus.focus) { previousFocus.focus(); }
  }

  function ended() {
    text.textContent = text.getAttribute("data-ended");
    form.querySelector('button[type="submit"]').hidden = true;
    show();
    dialog.querySelector("[data-session-close]").focus();
  }

  function check() {
    // Asking does not count as activity (tenants.auth.PASSIVE_ENDPOINTS).
    fetch(statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (state) {
        if (!state.authenticated || state.expires_in <= 0) { ended(); return; }
        if (state.expires_in > warn) { schedule(state.expires_in); return; }
        show();
        timer = window.setTimeout(check, state.expires_in * 1000 + 1000);
      })
      .catch(function () { show(); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var data = new URLSearchParams();
    data.append("next", form.querySelector('input[name="next"]').value);
    fetch(form.action, {method: "POST", credentials: "same-origin", body: data, redirect: "manual",
                        headers: {"Accept": "application/json", "X-CSRFToken": tokenMeta ? tokenMeta.content : ""}})
      .then(function (response) {
        if (!response.ok) { throw new Error("not extended"); }
        return response.json();
      })
      .then(function (state) { hide(); schedule(state.expires_in); })
      .catch(function () { ended(); });
  });
  dialog.querySelector("[data-session-close]").addEventListener("click", hide);
  dialog.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { hide(); }
  });
  // An autosave is a request too: it restarts the idle limit on the server.
  document.addEventListener("yokoten:session", function (event) { hide(); schedule(event.detail); });
  schedule(parseInt(body.getAttribute("data-session-expires-in"), 10) || 0);
}());
