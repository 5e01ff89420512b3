// Meters > page counts of the last 90 days (printer details page): Chart.js (static/vendor/chartjs), data from
// the page's <script type="application/json" id="page-count-data"> (Django json_script).
(function () {
  "use strict";
  var source = document.getElementById("page-count-data");
  var canvas = document.getElementById("page-count-chart");
  if (!source || !canvas || !window.Chart) return;
  var data = JSON.parse(source.textContent);
  var style = getComputedStyle(document.documentElement);
  var accent = style.getPropertyValue("--accent").trim() || "#11824f";
  var muted = style.getPropertyValue("--muted").trim() || "#5f6b7a";
  new window.Chart(canvas, {
    data: {
      labels: data.labels,
      datasets: [
        { type: "bar", label: "Pages per day", data: data.daily, yAxisID: "daily", backgroundColor: accent + "99", borderColor: accent, borderWidth: 1 },
        { type: "line", label: "Lifetime page count", data: data.lifetime, yAxisID: "lifetime", borderColor: muted, backgroundColor: muted, pointRadius: 0, borderWidth: 2, tension: 0.2 }
      ]
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { ticks: { maxTicksLimit: 10, autoSkip: true } },
        daily: { type: "linear", position: "left", beginAtZero: true, title: { display: true, text: "Pages per day" } },
        lifetime: { type: "linear", position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: "Lifetime page count" } }
      },
      plugins: { legend: { position: "bottom" } }
    }
  });
  canvas.setAttribute("data-rendered", "true");
})();
