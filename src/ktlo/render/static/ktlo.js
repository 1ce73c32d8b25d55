/* Draws ktlo's charts from the JSON specs in the page (see ktlo/render/charts.py).
   Labels are escaped here because Plotly reads a few HTML tags in its text. */
(function () {
  "use strict";

  // bidirectional controls (U+202A-E, U+2066-9, U+200E/F, U+061C) reorder text on screen
  var BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

  function esc(text) {
    return String(text == null ? "" : text).replace(BIDI, "")
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function pct(value) {
    return value == null ? "—" : (value * 100).toFixed(0) + "%";
  }

  var CONFIG = { displayModeBar: false, responsive: true, displaylogo: false };
  var FONT = { family: "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif", size: 12, color: "#1d2430" };

  function band(spec) {
    return {
      type: "rect", xref: "paper", x0: 0, x1: 1, yref: "y", y0: spec.band[0], y1: spec.band[1],
      fillcolor: "rgba(26, 127, 55, 0.13)", line: { width: 1, color: "rgba(26, 127, 55, 0.6)", dash: "dot" },
      layer: "above"
    };
  }

  function stack(spec) {
    var x = spec.x.map(esc);
    var traces = spec.series.map(function (s) {
      return {
        type: "bar", name: esc(s.name), x: x, y: s.y, customdata: s.days,
        marker: { color: s.colour, line: { width: 0 } },
        hovertemplate: "%{x} · " + esc(s.name) + ": %{y:.0%} (%{customdata:,.1f} person-days)<extra></extra>"
      };
    });
    /* The corrected KTLO share with its 90% interval as error bars (docs/classification.md). */
    var low = spec.share_low || [], high = spec.share_high || [];
    function gap(edge, sign) {
      return spec.share.map(function (v, i) {
        return v === null || edge[i] === null || edge[i] === undefined ? 0 : sign * (edge[i] - v);
      });
    }
    traces.push({
      type: "scatter", mode: "lines+markers", name: "KTLO share (90% interval)", x: x, y: spec.share,
      line: { color: "#000", width: 2 }, marker: { size: 5 },
      error_y: { type: "data", symmetric: false, array: gap(high, 1), arrayminus: gap(low, -1),
                 color: "#000", thickness: 1, width: 3 },
      customdata: spec.share.map(function (v, i) { return [low[i], high[i]]; }),
      hovertemplate: "%{x} · KTLO share %{y:.0%} (%{customdata[0]:.0%}–%{customdata[1]:.0%})<extra></extra>"
    });
    var layout = {
      barmode: "stack", bargap: 0.15, height: 340, margin: { l: 48, r: 10, t: 10, b: 40 },
      yaxis: { tickformat: ".0%", range: [0, 1], fixedrange: true },
      xaxis: { type: "category", fixedrange: true, automargin: true },
      legend: { orientation: "h", y: -0.18, font: { size: 11 } },
      shapes: [band(spec)], font: FONT, paper_bgcolor: "#fff", plot_bgcolor: "#fff"
    };
    return { traces: traces, layout: layout, urls: spec.series.map(function (s) { return s.urls; }) };
  }

  function spark(spec) {
    var traces = [{
      type: "scatter", mode: "lines", x: spec.x.map(esc), y: spec.y,
      line: { color: "#1d2430", width: 2 }, hovertemplate: "%{x}: %{y:.0%}<extra></extra>"
    }];
    var layout = {
      height: 70, margin: { l: 0, r: 0, t: 4, b: 4 }, showlegend: false,
      xaxis: { visible: false, type: "category", fixedrange: true },
      yaxis: { visible: false, range: [0, 1], fixedrange: true },
      shapes: [band(spec)], paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)"
    };
    return { traces: traces, layout: layout, urls: [spec.urls] };
  }

  function bars(spec) {
    var labels = spec.labels.map(esc).reverse();
    var traces = [{
      type: "bar", orientation: "h", y: labels, x: spec.values.slice().reverse(),
      marker: { color: spec.colour || "#d6604d" },
      hovertemplate: "%{y}: %{x:,.1f}<extra></extra>"
    }];
    var layout = {
      height: Math.max(160, 28 * labels.length + 40), margin: { l: 10, r: 10, t: 10, b: 30 },
      yaxis: { automargin: true, type: "category", fixedrange: true },
      xaxis: { fixedrange: true, title: { text: esc(spec.axis || "person-days") } },
      font: FONT, paper_bgcolor: "#fff", plot_bgcolor: "#fff", showlegend: false
    };
    return { traces: traces, layout: layout, urls: [(spec.urls || []).slice().reverse()] };
  }

  function line(spec) {
    var traces = spec.series.map(function (s) {
      return {
        type: "scatter", mode: "lines+markers", name: esc(s.name), x: spec.x.map(esc), y: s.y,
        yaxis: s.axis === 2 ? "y2" : "y", line: { width: 2, color: s.colour },
        hovertemplate: "%{x} · " + esc(s.name) + ": %{y:,.2f}<extra></extra>"
      };
    });
    var layout = {
      height: 280, margin: { l: 48, r: 48, t: 10, b: 40 }, font: FONT,
      xaxis: { type: "category", fixedrange: true, automargin: true },
      yaxis: { title: { text: esc(spec.left || "") }, fixedrange: true, rangemode: "tozero" },
      yaxis2: { title: { text: esc(spec.right || "") }, overlaying: "y", side: "right", fixedrange: true, rangemode: "tozero" },
      legend: { orientation: "h", y: -0.2 }, paper_bgcolor: "#fff", plot_bgcolor: "#fff"
    };
    return { traces: traces, layout: layout, urls: [] };
  }

  /* The share so far, the forecast dashed from the last complete period inside its shaded
     80% band (drawn as one closed polygon: high edge forward, low edge back), the period in
     progress as an open point, the budget band. */
  function forecast(spec) {
    var x = spec.x.map(esc), ahead = spec.x_ahead.map(esc);
    var traces = [
      {
        type: "scatter", mode: "lines", name: "80% band", x: ahead.concat(ahead.slice().reverse()),
        y: spec.high.concat(spec.low.slice().reverse()), fill: "toself",
        fillcolor: "rgba(33, 102, 172, 0.18)", line: { width: 0 }, hoverinfo: "skip"
      },
      {
        type: "scatter", mode: "lines+markers", name: "KTLO share", x: x, y: spec.y,
        line: { color: "#1d2430", width: 2 }, marker: { size: 5 },
        hovertemplate: "%{x} · KTLO share %{y:.0%}<extra></extra>"
      },
      {
        type: "scatter", mode: "lines+markers", name: "forecast", x: ahead, y: spec.y_ahead,
        customdata: spec.low.map(function (low, i) { return [low, spec.high[i]]; }),
        line: { color: "#2166ac", width: 2, dash: "dash" }, marker: { size: 5 },
        hovertemplate: "%{x} · forecast %{y:.0%} (80%: %{customdata[0]:.0%}–%{customdata[1]:.0%})<extra></extra>"
      }
    ];
    if (spec.x_now) {  // the period in progress: its share so far, not fitted
      traces.push({
        type: "scatter", mode: "markers", name: "so far (in progress)", x: spec.x_now.map(esc),
        y: spec.y_now, marker: { size: 9, symbol: "circle-open", color: "#1d2430", line: { width: 2 } },
        hovertemplate: "%{x} · so far %{y:.0%} (in progress)<extra></extra>"
      });
    }
    var layout = {
      height: 300, margin: { l: 48, r: 10, t: 10, b: 40 }, font: FONT,
      yaxis: { tickformat: ".0%", range: [0, 1], fixedrange: true },
      xaxis: { type: "category", categoryorder: "array", categoryarray: x.concat(ahead.slice(1)),
               fixedrange: true, automargin: true },
      legend: { orientation: "h", y: -0.18, font: { size: 11 } },
      shapes: [band(spec)], paper_bgcolor: "#fff", plot_bgcolor: "#fff"
    };
    return { traces: traces, layout: layout, urls: [] };
  }

  /* Two panels over the same sprints: above, the planned and the actual KTLO share over the
     budget band; below, the items added mid-sprint with the KTLO ones drawn over them. */
  function sprints(spec) {
    var x = spec.x.map(esc);
    function share(name, y, colour, dash) {
      return {
        type: "scatter", mode: "lines+markers", name: name, x: x, y: y,
        line: { color: colour, width: 2, dash: dash }, marker: { size: 6 },
        hovertemplate: "%{x} · " + name + " %{y:.0%}<extra></extra>"
      };
    }
    function added(name, y, colour) {
      return {
        type: "bar", name: name, x: x, y: y, yaxis: "y2", marker: { color: colour, line: { width: 0 } },
        hovertemplate: "%{x} · " + name + ": %{y}<extra></extra>"
      };
    }
    var traces = [
      share("planned KTLO share", spec.planned, "#2166ac", "dash"),
      share("actual KTLO share", spec.actual, "#1d2430", "solid"),
      added("added mid-sprint", spec.unplanned, "#bababa"),
      added("of them KTLO", spec.unplanned_ktlo, "#d6604d")
    ];
    var layout = {
      height: 380, margin: { l: 48, r: 10, t: 30, b: 40 }, font: FONT, barmode: "overlay",
      yaxis: { tickformat: ".0%", range: [0, 1], domain: [0.4, 1], fixedrange: true },
      yaxis2: { domain: [0, 0.28], anchor: "x", rangemode: "tozero", fixedrange: true,
                title: { text: "added", font: { size: 11 } } },
      xaxis: { type: "category", anchor: "y2", fixedrange: true, automargin: true },
      legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", font: { size: 11 } },
      shapes: [band(spec)], paper_bgcolor: "#fff", plot_bgcolor: "#fff"
    };
    return { traces: traces, layout: layout, urls: [] };
  }

  /* Budget buckets: each bucket's share in the last complete period (bars) against its
     target (a tick) and its band (the tick's whiskers), the previous period's share as an
     open circle. */
  function targets(spec) {
    var x = spec.x.map(esc);
    var traces = [
      {
        type: "bar", name: esc(spec.period), x: x, y: spec.share, marker: { color: spec.colours },
        hovertemplate: "%{x}: %{y:.0%} in " + esc(spec.period) + "<extra></extra>"
      },
      {
        type: "scatter", mode: "markers", name: "target (band)", x: x, y: spec.target,
        marker: { symbol: "line-ew-open", size: 30, color: "#1a7f37", line: { width: 3 } },
        error_y: { type: "data", symmetric: false, color: "#1a7f37", thickness: 1, width: 6,
                   array: spec.high.map(function (h, i) { return h - spec.target[i]; }),
                   arrayminus: spec.low.map(function (l, i) { return spec.target[i] - l; }) },
        hovertemplate: "%{x}: target %{y:.0%}<extra></extra>"
      },
      {
        type: "scatter", mode: "markers", name: esc(spec.previous_period || "previous"), x: x,
        y: spec.previous, marker: { symbol: "circle-open", size: 9, color: "#1d2430" },
        hovertemplate: "%{x}: %{y:.0%} the period before<extra></extra>"
      }
    ];
    var layout = {
      height: 300, margin: { l: 48, r: 10, t: 10, b: 40 }, font: FONT,
      yaxis: { tickformat: ".0%", rangemode: "tozero", fixedrange: true },
      xaxis: { type: "category", fixedrange: true, automargin: true },
      legend: { orientation: "h", y: -0.2 }, paper_bgcolor: "#fff", plot_bgcolor: "#fff"
    };
    return { traces: traces, layout: layout, urls: [] };
  }

  /* Stacked columns per period (capitalizable and expensed person-days). */
  function columns(spec) {
    var x = spec.x.map(esc);
    var traces = spec.series.map(function (s) {
      return {
        type: "bar", name: esc(s.name), x: x, y: s.y, marker: { color: s.colour, line: { width: 0 } },
        hovertemplate: "%{x} · " + esc(s.name) + ": %{y:,.1f}<extra></extra>"
      };
    });
    var layout = {
      barmode: "stack", bargap: 0.15, height: 300, margin: { l: 56, r: 10, t: 10, b: 40 }, font: FONT,
      yaxis: { title: { text: esc(spec.axis || "") }, rangemode: "tozero", fixedrange: true },
      xaxis: { type: "category", fixedrange: true, automargin: true },
      legend: { orientation: "h", y: -0.2 }, paper_bgcolor: "#fff", plot_bgcolor: "#fff"
    };
    return { traces: traces, layout: layout, urls: [] };
  }

  var KINDS = { stack: stack, spark: spark, bars: bars, line: line, forecast: forecast, sprints: sprints,
                targets: targets, columns: columns };

  function draw(root) {
    if (typeof Plotly === "undefined") { return; }
    var plots = (root || document).querySelectorAll("[data-chart]");
    Array.prototype.forEach.call(plots, function (el) {
      if (el.getAttribute("data-drawn")) { return; }
      var source = document.getElementById("spec-" + el.getAttribute("data-chart"));
      if (!source) { return; }
      var spec = JSON.parse(source.textContent);
      var chart = KINDS[spec.kind](spec);
      var options = spec.kind === "spark" ? Object.assign({}, CONFIG, { staticPlot: true }) : CONFIG;
      Plotly.newPlot(el, chart.traces, chart.layout, options).then(function () {
        el.setAttribute("data-drawn", "true");
        el.on("plotly_click", function (event) {
          var point = event.points && event.points[0];
          var urls = point && chart.urls[point.curveNumber];
          var url = urls && urls[point.pointIndex];
          if (url) { window.location.assign(url); }
        });
      });
    });
  }

  document.addEventListener("htmx:afterSettle", function (event) { draw(event.detail.elt); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { draw(document); });
  } else {
    draw(document);
  }
  window.ktloCharts = { draw: draw, pct: pct };
})();
