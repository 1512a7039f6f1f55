// Statistics charts (the admin's and the owner's pages): draws every chart the server describes
// in the JSON block #stats-data ({charts: [{id, type, labels, datasets: [{key, label, data}],
// stacked, legend, keys}]}). The same figures are in the tables beside each chart, so nothing is
// lost without script.
(function () {
  "use strict";
  var source = document.getElementById("stats-data");
  if (!source || !window.Chart) return;
  var data = JSON.parse(source.textContent);

  var COLORS = {
    telegram: "#229ed9",
    whatsapp: "#25d366",
    instagram: "#d62976",
    "web-widget": "#0ea5e9",
    web: "#64748b",
    answered: "#0f766e",
    failed: "#dc2626",
    input: "#6366f1",
    output: "#f59e0b",
    paid: "#0f766e",
    unpaid: "#cbd5e1",
    new: "#0f766e",
    returning: "#6366f1",
    bot: "#0f766e",
    owner: "#6366f1",
    dont_know: "#f59e0b",
    primary: "#0f766e"
  };
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  Chart.defaults.animation = reduceMotion ? false : Chart.defaults.animation;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.locale = document.documentElement.lang || "en"; // axis numbers in the page's language
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;

  function color(key) {
    return COLORS[key] || COLORS.primary;
  }

  function dataset(spec, series) {
    if (spec.type === "doughnut") {
      return { label: series.label, data: series.data, backgroundColor: (spec.keys || []).map(color) };
    }
    var c = color(series.key);
    var out = { label: series.label, data: series.data, backgroundColor: c, borderColor: c };
    if (spec.type === "line") {
      out.tension = 0.25;
      out.pointRadius = 2;
    }
    return out;
  }

  function options(spec) {
    var result = { plugins: { legend: spec.legend ? { position: spec.legend } : { display: false } } };
    if (spec.type !== "doughnut") {
      var stacked = !!spec.stacked;
      result.scales = {
        x: { stacked: stacked },
        y: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } }
      };
    }
    return result;
  }

  (data.charts || []).forEach(function (spec) {
    var canvas = document.getElementById(spec.id);
    if (!canvas) return;
    new Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (s) { return dataset(spec, s); })
      },
      options: options(spec)
    });
  });
})();
