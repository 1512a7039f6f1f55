// The navbar's unread count: asks the server (a small JSON endpoint) when the page opens and
// then every data-interval seconds, only while the tab is visible; a hidden tab stops asking
// and asks at once when it is shown again.
(function () {
  "use strict";
  var badge = document.getElementById("unread-badge");
  if (!badge || !window.fetch) return;
  var seconds = Math.max(1, parseInt(badge.getAttribute("data-interval"), 10) || 30);
  var timer = null;
  var format = window.Intl ? new Intl.NumberFormat(document.documentElement.lang || undefined) : null;

  function show(n) {
    badge.textContent = format ? format.format(n) : String(n);
    badge.setAttribute("aria-label", n + " " + badge.getAttribute("data-label"));
    badge.classList.toggle("d-none", !n);
  }

  function poll() {
    fetch(badge.getAttribute("data-url"), {
      headers: { "X-Requested-With": "XMLHttpRequest", Accept: "application/json" },
      credentials: "same-origin"
    })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && typeof data.unread === "number") show(data.unread); })
      .catch(function () { /* offline for a moment: the next poll tries again */ });
  }

  function start() {
    if (timer === null) {
      poll();
      timer = window.setInterval(poll, seconds * 1000);
    }
  }

  function stop() {
    if (timer !== null) {
      window.clearInterval(timer);
      timer = null;
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) stop(); else start();
  });
  if (!document.hidden) start();
})();
