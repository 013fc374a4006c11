/* The statistics dashboards: draw each block's chart with ECharts (vendored) from the numbers the
 * page carries in <script type="application/json" id="stats-charts"> (Django's json_script) —
 * the same numbers as the table beside it. No inline script, nothing fetched. */
(function () {
  "use strict";

  var PALETTE = ["#206bc4", "#d63939", "#f59f00", "#2fb344", "#ae3ec9", "#17a2b8", "#f76707", "#6574cd"];

  function axisOption(spec) {
    var horizontal = !!spec.horizontal;
    var category = { type: "category", data: spec.categories || [], axisLabel: { interval: 0, hideOverlap: true } };
    var value = { type: "value", minInterval: 1 };
    var series = (spec.series || []).map(function (s, i) {
      var out = { name: s.name, type: spec.type, data: s.data, emphasis: { focus: "series" } };
      if (spec.stack) { out.stack = "total"; }
      if (s.color) { out.itemStyle = { color: s.color }; out.lineStyle = { color: s.color }; }
      if (spec.type === "line") {
        out.smooth = false;
        out.symbolSize = 6;
        if (s.dashed) {
          // last year's line: the same colour as this year's, dashed
          var base = PALETTE[Math.floor(i / 2) % PALETTE.length];
          out.lineStyle = { type: "dashed", color: base, opacity: 0.7 };
          out.itemStyle = { color: base, opacity: 0.7 };
        } else {
          var own = PALETTE[Math.floor(i / 2) % PALETTE.length];
          out.lineStyle = { color: own, width: 2 };
          out.itemStyle = { color: own };
        }
      }
      return out;
    });
    return {
      color: PALETTE,
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? Object.assign({}, category, { inverse: true }) : value,
      series: series,
      animation: false
    };
  }

  function pieOption(spec) {
    var s = (spec.series || [])[0] || { data: [] };
    return {
      color: PALETTE,
      tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
      legend: { type: "scroll", bottom: 0 },
      series: [{ name: s.name, type: "pie", radius: ["35%", "65%"], center: ["50%", "45%"], data: s.data,
                 label: { formatter: "{b}\n{d}%" } }],
      animation: false
    };
  }

  function draw() {
    var source = document.getElementById("stats-charts");
    if (!source || !window.echarts) { return; }
    var specs = JSON.parse(source.textContent || "[]");
    var charts = [];
    specs.forEach(function (spec) {
      var box = document.querySelector('[data-chart="' + spec.key + '"]');
      if (!box) { return; }
      var chart = window.echarts.init(box, null, { renderer: "canvas" });
      chart.setOption(spec.type === "pie" ? pieOption(spec) : axisOption(spec));
      box.setAttribute("data-rendered", "1");
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
