/* dfdx explorer: the page's own code. Everything it shows comes from the JSON
   in #dfdx-data (written by dfdx.explore); no text of the user's is ever parsed
   as HTML: it is set with textContent only, and every text handed to plotly
   (which renders a subset of HTML in names and titles: links, styles) goes
   through plain() first. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("dfdx-data").textContent);
  var W = D.words;
  var helpers = new Function("return " + D.helpers + ";")();
  // finite: f is undefined where it is not a finite number (1/0), as Python's
  // plots and tables say; f' keeps its infinities (a vertical tangent)
  function compile(code, finite) {
    if (code === null) return null;
    var g = new Function("_dfdx", "_dfdx_arg0", "return (" + code + ");");
    return function (x) {
      var v = g(helpers, x);
      return typeof v !== "number" || (finite && !isFinite(v)) ? NaN : v;
    };
  }
  var f = compile(D.f, true);
  var df = compile(D.df, false);
  var N = 801;
  var HMIN = -15, HMAX = 0;

  function $(id) { return document.getElementById(id); }
  function text(id, s) { $(id).textContent = s; }
  // plotly reads <...> and &...; in names and titles as markup: write them as
  // the entities it shows literally
  function plain(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function fmt(v) {
    if (isNaN(v)) return W.undefined;
    if (!isFinite(v)) return v > 0 ? "∞" : "−∞";
    return String(v);
  }
  function show(id, v) {
    var el = $(id);
    el.textContent = fmt(v);
    el.setAttribute("data-value", String(v));
  }

  var state = { x0: D.x0, logh: D.logh, derivative: false, clamped: false };

  // a y-coordinate plotly can draw: within a wide margin of the window
  // (SVG cannot take 1e300 or an infinity: far points are left out)
  var span = D.ylim[1] - D.ylim[0];
  var YLO = D.ylim[0] - 1000 * span, YHI = D.ylim[1] + 1000 * span;
  function drawable(y) { return isFinite(y) && y > YLO && y < YHI ? y : null; }

  // the curve, broken at the poles Python found and where f is undefined
  var xs = [], ys = [], dys = [];
  (function () {
    var lo = D.xlim[0], hi = D.xlim[1], i, k = 0;
    var poles = D.poles.slice().sort(function (a, b) { return a - b; });
    for (i = 0; i < N; i++) {
      var x = lo + (hi - lo) * i / (N - 1);
      while (k < poles.length && poles[k] <= x) {
        xs.push(poles[k]); ys.push(null); dys.push(null); k++;
      }
      var y = f(x);
      xs.push(x); ys.push(drawable(y));
      if (df) {
        helpers.touched = false;
        var d = df(x);
        dys.push(!helpers.touched ? drawable(d) : null);
      }
    }
  })();

  function quotients(x0, h) {
    var f0 = f(x0), f1 = f(x0 + h), fm = f(x0 - h);
    return {
      f0: f0, f1: f1, x1: x0 + h,
      forward: (f1 - f0) / h,
      central: (f1 - fm) / (2 * h)
    };
  }
  function exact(x0) {
    if (!df) return { value: NaN, kink: false };
    helpers.touched = false;
    var d = df(x0);
    return { value: d, kink: helpers.touched };
  }
  // error-versus-h for the current x0: a gap where the error is 0 (exact)
  function errorCurve(x0, d) {
    var hs = [], fe = [], ce = [], i;
    for (i = 0; i <= 150; i++) {
      var h = Math.pow(10, HMIN + (HMAX - HMIN) * i / 150);
      var q = quotients(x0, h);
      var a = Math.abs(q.forward - d), b = Math.abs(q.central - d);
      hs.push(h);
      fe.push(a > 0 && isFinite(a) ? a : null);
      ce.push(b > 0 && isFinite(b) ? b : null);
    }
    return { h: hs, forward: fe, central: ce };
  }
  // the line through (x0, y0) with this slope, cut to where it is drawable
  function line(x0, y0, slope) {
    var lo = D.xlim[0], hi = D.xlim[1];
    if (!isFinite(slope) || drawable(y0) === null) return { x: [], y: [] };
    if (slope !== 0) {
      var a = x0 + (YLO - y0) / slope, b = x0 + (YHI - y0) / slope;
      lo = Math.max(lo, Math.min(a, b));
      hi = Math.min(hi, Math.max(a, b));
    }
    return { x: [lo, hi], y: [y0 + slope * (lo - x0), y0 + slope * (hi - x0)] };
  }

  var config = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["sendDataToCloud"] };
  var font = { family: "DejaVu Sans, Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif", size: 13 };

  function draw() {
    var x0 = state.x0, h = Math.pow(10, state.logh);
    var q = quotients(x0, h), ex = exact(x0);
    // no derivative where f itself is undefined, nor where the formula meets a kink
    var d = ex.kink || !isFinite(q.f0) ? NaN : ex.value;
    var sec = line(x0, q.f0, q.forward), tan = line(x0, q.f0, d);
    var traces = [
      { x: xs, y: ys, mode: "lines", name: plain(D.label), line: { color: "#1f77b4", width: 2.5 }, hoverinfo: "x+y" },
      { x: xs, y: dys, mode: "lines", name: plain(D.dlabel), visible: state.derivative && !!df,
        line: { color: "#9467bd", width: 2, dash: "dot" }, hoverinfo: "skip" },
      { x: sec.x, y: sec.y, mode: "lines", name: plain(W.secant), line: { color: "#d62728", width: 2 }, hoverinfo: "skip" },
      { x: tan.x, y: tan.y, mode: "lines", name: plain(W.tangent), line: { color: "#2ca02c", width: 2, dash: "dash" }, hoverinfo: "skip" },
      { x: [x0, q.x1], y: [drawable(q.f0), drawable(q.f1)], mode: "markers", name: plain(W.points),
        marker: { size: [12, 9], color: ["#000000", "#d62728"] }, hoverinfo: "x+y" }
    ];
    var layout = {
      font: font, margin: { l: 55, r: 10, t: 10, b: 45 }, dragmode: false,
      xaxis: { range: D.xlim, title: { text: plain(D.var) } },
      yaxis: { range: D.ylim, title: { text: plain(D.fname) } },
      legend: { orientation: "h", x: 0, y: -0.18, yanchor: "top" },
      hovermode: "closest", showlegend: true
    };
    Plotly.react("plot-f", traces, layout, config);

    var ec = errorCurve(x0, d), errF = Math.abs(q.forward - d), errC = Math.abs(q.central - d);
    var etraces = [
      { x: ec.h, y: ec.forward, mode: "lines", name: plain(W.forward_error), line: { color: "#d62728" } },
      { x: ec.h, y: ec.central, mode: "lines", name: plain(W.central_error), line: { color: "#ff7f0e", dash: "dot" } },
      { x: [h], y: [errF > 0 && isFinite(errF) ? errF : null], mode: "markers", name: plain(W.current_h),
        marker: { size: 11, color: "#000000", symbol: "diamond" } }
    ];
    var elayout = {
      font: font, margin: { l: 65, r: 10, t: 10, b: 45 },
      xaxis: { type: "log", title: { text: plain(W.step) }, exponentformat: "power" },
      yaxis: { type: "log", title: { text: plain(W.error) }, exponentformat: "power" },
      legend: { orientation: "h", x: 0, y: -0.22, yanchor: "top" }, showlegend: true
    };
    Plotly.react("plot-error", isFinite(d) ? etraces : [], elayout, config);

    show("x0-value", x0);
    show("h-value", h);
    show("f0", q.f0);
    show("f1", q.f1);
    show("forward", q.forward);
    show("central", q.central);
    show("exact", d);
    show("forward-error", errF);
    show("central-error", errC);
    var notes = [];
    if (state.clamped) notes.push(W.clamped);
    if (!isFinite(q.f0)) notes.push(W.undefined_at);
    else if (!isFinite(q.f1)) notes.push(W.undefined_step);
    if (q.x1 === x0) notes.push(W.rounds);
    if (!df) notes.push(W.no_exact);
    else if (ex.kink) notes.push(W.kink);
    else if (isNaN(d) && isFinite(q.f0)) notes.push(W.exact_undefined);
    else if (!isFinite(d) && isFinite(q.f0)) notes.push(W.exact_infinite);
    text("notes", notes.join(" "));
    $("x0-slider").value = String(x0);
    $("x0-input").value = String(x0);
    $("h-slider").value = String(state.logh);
  }

  function setX0(v) {
    v = Number(v);
    if (!isFinite(v)) return;
    state.x0 = Math.min(Math.max(v, D.xlim[0]), D.xlim[1]);
    state.clamped = state.x0 !== v;
    draw();
  }
  var slider = $("x0-slider");
  slider.min = String(D.xlim[0]);
  slider.max = String(D.xlim[1]);
  slider.step = String(D.step);
  slider.addEventListener("input", function () { setX0(slider.value); });
  $("x0-input").addEventListener("change", function () { setX0($("x0-input").value); });
  var hs = $("h-slider");
  hs.min = String(HMIN); hs.max = String(HMAX); hs.step = "0.05";
  hs.addEventListener("input", function () { state.logh = Number(hs.value); draw(); });
  $("show-derivative").disabled = !df;
  $("show-derivative").addEventListener("change", function () {
    state.derivative = $("show-derivative").checked; draw();
  });

  // the labels, from the data (textContent: never parsed as HTML)
  document.documentElement.lang = D.lang;
  document.title = D.title;
  text("title", D.title);
  var labels = document.querySelectorAll("[data-word]");
  for (var i = 0; i < labels.length; i++) labels[i].textContent = W[labels[i].getAttribute("data-word")];

  draw();

  // drag the point: press on the plot and move; x0 follows the pointer's x
  // (read from the plot area and the axis range shown), snapped to the
  // slider's grid
  var plot = $("plot-f"), dragging = false;
  function snap(x) {
    return Number((Math.round(x / D.step) * D.step).toPrecision(12));
  }
  function follow(ev) {
    var area = plot.querySelector(".nsewdrag");
    if (!area) return;
    var r = area.getBoundingClientRect(), range = plot.layout.xaxis.range;
    var t = (ev.clientX - r.left) / r.width;
    if (r.width > 0) setX0(snap(range[0] + t * (range[1] - range[0])));
  }
  plot.addEventListener("pointerdown", function (ev) {
    var area = plot.querySelector(".nsewdrag");
    if (area && area.contains(ev.target)) { dragging = true; follow(ev); }
  }, true);
  window.addEventListener("pointermove", function (ev) { if (dragging) follow(ev); }, true);
  window.addEventListener("pointerup", function () { dragging = false; }, true);
  document.body.setAttribute("data-ready", "1");
})();
