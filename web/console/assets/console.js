// paysync console: the checkout page updates live. An EventSource on the
// page's data-live URL learns each new version of the checkout from the
// store's change feed; the page is then fetched again and #live replaced,
// without a navigation. While a webhook delivery is pending (data-pending)
// the page is fetched every 2 s as well, so its attempts show up.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.EventSource || !window.fetch) { return; }
  var busy = false, again = false, timer = null;

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.pathname, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var next = new DOMParser().parseFromString(html, "text/html").getElementById("live");
        var cur = document.getElementById("live");
        if (next && cur) {
          cur.innerHTML = next.innerHTML;
          cur.dataset.version = next.dataset.version;
          if (next.dataset.pending) { cur.dataset.pending = "true"; } else { delete cur.dataset.pending; }
          cur.dispatchEvent(new CustomEvent("paysync:updated", { bubbles: true }));
        }
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
        schedule();
      });
  }

  function schedule() {
    clearTimeout(timer);
    var cur = document.getElementById("live");
    if (cur && cur.dataset.pending) { timer = setTimeout(refresh, 2000); }
  }

  var es = new EventSource(live.dataset.live);
  es.addEventListener("version", function (ev) {
    var cur = document.getElementById("live");
    if (cur && Number(ev.data) > Number(cur.dataset.version)) { refresh(); }
  });
  schedule();
})();
