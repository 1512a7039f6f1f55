// Admin statistics: draws the charts from the JSON block the server renders (#stats-data).
// The same figures are in the tables beside each chart, so nothing is lost without script.
(function () {
  "use strict";
  var source = document.getElementById("stats-data");
  if (!source || !window.Chart) return;
  var data = JSON.parse(source.textContent);

  var COLORS = {
    telegram: "#229ed9",
    whatsapp: "#25d366",
    instagram: "#d62976",
    web: "#64748b",
    answered: "#0f766e",
    failed: "#dc2626",
    input: "#6366f1",
    output: "#f59e0b",
    paid: "#0f766e",
    unpaid: "#cbd5e1",
    primary: "#0f766e"
  };
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  Chart.defaults.animation = reduceMotion ? false : Chart.defaults.animation;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  // Tick and tooltip numbers grouped as the page's language writes them (2 592 000, 2,592,000).
  Chart.defaults.locale = document.documentElement.lang || "uz";

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) return null;
    return new Chart(canvas, config);
  }

  function color(key) {
    return COLORS[key] || COLORS.primary;
  }

  var integerTicks = { beginAtZero: true, ticks: { precision: 0 } };

  draw("chart-registrations", {
    type: "bar",
    data: {
      labels: data.days,
      datasets: [{ label: data.registrations.label, data: data.registrations.data, backgroundColor: COLORS.primary }]
    },
    options: { plugins: { legend: { display: false } }, scales: { y: integerTicks } }
  });

  draw("chart-messages", {
    type: "bar",
    data: {
      labels: data.days,
      datasets: data.messages.map(function (s) {
        return { label: s.label, data: s.data, backgroundColor: color(s.key) };
      })
    },
    options: { scales: { x: { stacked: true }, y: Object.assign({ stacked: true }, integerTicks) } }
  });

  draw("chart-outcomes", {
    type: "line",
    data: {
      labels: data.days,
      datasets: data.outcomes.map(function (s) {
        return { label: s.label, data: s.data, borderColor: color(s.key), backgroundColor: color(s.key), tension: 0.25, pointRadius: 2 };
      })
    },
    options: { scales: { y: integerTicks } }
  });

  draw("chart-platforms", {
    type: "doughnut",
    data: {
      labels: data.platforms.labels,
      datasets: [{ data: data.platforms.data, backgroundColor: data.platforms.keys.map(color) }]
    },
    options: { plugins: { legend: { position: "bottom" } } }
  });

  draw("chart-conversion", {
    type: "doughnut",
    data: {
      labels: data.conversion.labels,
      datasets: [{ data: data.conversion.data, backgroundColor: [COLORS.paid, COLORS.unpaid] }]
    },
    options: { plugins: { legend: { position: "bottom" } } }
  });

  draw("chart-tokens", {
    type: "bar",
    data: {
      labels: data.tokens.labels,
      datasets: data.tokens.datasets.map(function (s) {
        return { label: s.label, data: s.data, backgroundColor: color(s.key) };
      })
    },
    options: { plugins: { legend: { position: "bottom" } }, scales: { y: integerTicks } }
  });
})();
