// Live trial countdown on the dashboard (days, hours, minutes until the deadline).
(function () {
  "use strict";
  var el = document.getElementById("trial-countdown");
  if (!el) return;
  var deadline = Date.parse(el.getAttribute("data-deadline"));
  function render() {
    var left = Math.max(0, deadline - Date.now());
    if (left === 0) {
      el.textContent = el.getAttribute("data-label-ended");
      return;
    }
    var minutes = Math.floor(left / 60000);
    var d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60;
    el.textContent = d + " " + el.getAttribute("data-label-days") + " " + h + " " +
      el.getAttribute("data-label-hours") + " " + m + " " + el.getAttribute("data-label-minutes");
  }
  render();
  setInterval(render, 30000);
})();
