// paysync progress page: polls the status JSON and, once nothing is left
// to wait for, replaces the page with where the buyer goes next. Without
// JavaScript the page reloads itself (<noscript> meta refresh) instead.
(function () {
  "use strict";
  var el = document.getElementById("progress");
  if (!el || !window.fetch) {
    return;
  }
  var url = el.getAttribute("data-status-url");
  var every = parseInt(el.getAttribute("data-poll-ms"), 10) || 2000;
  var delay = every;
  function poll() {
    fetch(url, { cache: "no-store", credentials: "omit", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) {
          throw new Error("status " + r.status);
        }
        return r.json();
      })
      .then(function (s) {
        if (s.done && typeof s.next_url === "string") {
          window.location.replace(s.next_url);
          return;
        }
        delay = every;
        setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 30000); // back off while paysync is unreachable
        setTimeout(poll, delay);
      });
  }
  setTimeout(poll, every);
})();
