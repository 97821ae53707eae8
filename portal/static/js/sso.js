// Filters the municipality list of the login page while typing (the search button works without it).
(function () {
  "use strict";
  function normalise(text) {
    var value = text.normalize("NFKC").toLowerCase().replace(/[\s\u3000]/g, "");
    return value.replace(/[\u30a1-\u30f6]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0x60); });
  }
  document.querySelectorAll("[data-sso-filter]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("data-sso-filter"));
    var empty = document.getElementById(input.getAttribute("data-sso-filter") + "-empty");
    if (!list) { return; }
    input.addEventListener("input", function () {
      var query = normalise(input.value);
      var shown = 0;
      list.querySelectorAll("li[data-search]").forEach(function (item) {
        var match = !query || item.getAttribute("data-search").indexOf(query) !== -1;
        item.hidden = !match;
        if (match) { shown += 1; }
      });
      if (empty) { empty.hidden = shown !== 0; }
    });
  });
}());
