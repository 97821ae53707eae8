// Server-side drafts of long forms (issue 17.3): a form holding the draft marker (kernel/drafts.py) sends
// its text fields to the server a moment after the person stops typing, so a session end, a logout in
// another tab or a browser crash loses nothing. Files, the CSRF token and the one-time form token are
// never sent (the one-time token belongs to the real submission). Without script the form works as
// before; the server still keeps a form sent after the session ended.
(function () {
  "use strict";
  var body = document.body;
  var url = body.getAttribute("data-draft-save-url");
  var delay = parseInt(body.getAttribute("data-draft-delay"), 10) || 1500;
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  if (!url) { return; }

  function fields(form) {
    var data = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && name !== "_once" && name !== "csrf_token") { data.append(name, value); }
    });
    // The form's one-time token under another name: it is not claimed by the autosave, but an autosave
    // arriving after the form was saved is recognised and keeps nothing.
    var once = form.querySelector('input[name="_once"]');
    if (once) { data.append("_draft_once", once.value); }
    return data;
  }

  document.querySelectorAll('form input[name="_draft"]').forEach(function (marker) {
    var form = marker.form;
    var status = form.querySelector("[data-draft-status]");
    var timer = null;
    var submitted = false;

    function save() {
      if (submitted) { return; }
      fetch(url, {method: "POST", credentials: "same-origin", body: fields(form), redirect: "manual",
                  headers: {"Accept": "application/json", "X-CSRFToken": tokenMeta ? tokenMeta.content : ""}})
        .then(function (response) {
          if (!response.ok) { throw new Error("not saved"); }
          return response.json();
        })
        .then(function (state) {
          if (status && state.saved) {
            var now = new Date();
            var time = ("0" + now.getHours()).slice(-2) + ":" + ("0" + now.getMinutes()).slice(-2);
            status.textContent = body.getAttribute("data-draft-saved").replace("{time}", time);
          }
          document.dispatchEvent(new CustomEvent("yokoten:session", {detail: state.expires_in}));
        })
        .catch(function () {
          if (status) { status.textContent = body.getAttribute("data-draft-failed"); }
        });
    }

    function changed() {
      window.clearTimeout(timer);
      timer = window.setTimeout(save, delay);
    }
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    form.addEventListener("submit", function () { submitted = true; window.clearTimeout(timer); });
  });
}());
