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
  var d2f = compile(D.d2f, true);
  var d3f = compile(D.d3f, true);
  var N = 801;
  var HMIN = -15, HMAX = 0;
  var EPS = Math.pow(2, -52);
  var TRACED = 2000; // points of the traced f' kept

  function $(id) { return document.getElementById(id); }
  function text(id, s) { $(id).textContent = s; }
  // plotly reads <...> and &...; in names and titles as markup: write them as
  // the entities it shows literally
  function plain(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  // a readout: 12 significant digits (3.879999999999999 is 3.88), in a
  // right-aligned monospace cell whose width does not follow the digits
  function fmt(v) {
    if (isNaN(v)) return W.undefined;
    if (!isFinite(v)) return v > 0 ? "∞" : "−∞";
    return String(Number(v.toPrecision(12)));
  }
  // text for a plotly annotation, escaped, in lines of about `width`
  // characters (plotly does not wrap; a CJK line breaks anywhere)
  function wrap(s, width) {
    var words = String(s).split(/(\s+)/), lines = [], cur = "";
    words.forEach(function (w) {
      while (w.length > width) { // a run without spaces (Chinese)
        var room = Math.max(1, width - cur.length);
        cur += w.slice(0, room); w = w.slice(room);
        lines.push(cur); cur = "";
      }
      if ((cur + w).length > width && cur.trim()) { lines.push(cur.trim()); cur = ""; }
      cur += w;
    });
    if (cur.trim()) lines.push(cur.trim());
    return lines.map(plain).join("<br>");
  }
  function fmtH(h) { return h.toExponential(2).replace("e-", "e−"); }
  function show(id, v) {
    var el = $(id);
    el.textContent = fmt(v);
    el.setAttribute("data-value", String(v));
  }

  var state = {
    x0: D.x0, logh: D.logh, derivative: false, moved: false,
    xlim: D.xlim.slice(), ylim: D.ylim.slice(), traced: [], playing: null
  };

  // a y-coordinate plotly can draw: within a wide margin of the window
  // (SVG cannot take 1e300 or an infinity: far points are left out)
  function drawable(y) {
    var span = state.ylim[1] - state.ylim[0];
    return isFinite(y) && y > state.ylim[0] - 1000 * span && y < state.ylim[1] + 1000 * span
      ? y : null;
  }

  // the curve over the current window, broken at the poles Python found,
  // where f is undefined, and (in a window Python did not sample) where two
  // neighbours far off-scale have opposite signs: a pole between them
  var curve = { x: [], y: [], d: [] };
  function sampleCurve() {
    var lo = state.xlim[0], hi = state.xlim[1], i, k = 0;
    var span = state.ylim[1] - state.ylim[0];
    var poles = D.poles.filter(function (p) { return p >= lo && p <= hi; })
      .sort(function (a, b) { return a - b; });
    var xs = [], ys = [], ds = [], last = null;
    for (i = 0; i < N; i++) {
      var x = lo + (hi - lo) * i / (N - 1);
      while (k < poles.length && poles[k] <= x) {
        xs.push(poles[k]); ys.push(null); ds.push(null); k++; last = null;
      }
      var y = f(x);
      if (last !== null && isFinite(y) && isFinite(last) && last * y < 0 &&
          Math.abs(y) > 10 * span && Math.abs(last) > 10 * span) {
        xs.push(x); ys.push(null); ds.push(null);
      }
      last = y;
      xs.push(x); ys.push(drawable(y));
      if (df) {
        helpers.touched = false;
        var d = df(x);
        ds.push(!helpers.touched ? drawable(d) : null);
      }
    }
    curve = { x: xs, y: ys, d: ds };
  }

  function quotients(x0, h) {
    var f0 = f(x0), f1 = f(x0 + h), fm = f(x0 - h);
    return {
      f0: f0, f1: f1, fm: fm, x1: x0 + h,
      forward: (f1 - f0) / h,
      backward: (f0 - fm) / h,
      central: (f1 - fm) / (2 * h)
    };
  }
  function exact(x0) {
    if (!df) return { value: NaN, kink: false };
    helpers.touched = false;
    var d = df(x0);
    return { value: d, kink: helpers.touched };
  }
  function logspace(i) { return Math.pow(10, HMIN + (HMAX - HMIN) * i / 150); }
  // error-versus-h for the current x0: a gap where the error is 0 (exact)
  function errorCurve(x0, d) {
    var out = { h: [], forward: [], backward: [], central: [] }, i;
    function gap(e) { return e > 0 && isFinite(e) ? e : null; }
    for (i = 0; i <= 150; i++) {
      var h = logspace(i), q = quotients(x0, h);
      out.h.push(h);
      out.forward.push(gap(Math.abs(q.forward - d)));
      out.backward.push(gap(Math.abs(q.backward - d)));
      out.central.push(gap(Math.abs(q.central - d)));
    }
    return out;
  }
  // the smallest measured error of a curve: [h, error] or null
  function best(hs, errs) {
    var k = -1, i;
    for (i = 0; i < hs.length; i++) {
      if (errs[i] !== null && (k < 0 || errs[i] < errs[k])) k = i;
    }
    return k < 0 ? null : [hs[k], errs[k]];
  }
  // the line through (x0, y0) with this slope, cut to where it is drawable
  function line(x0, y0, slope) {
    var lo = state.xlim[0], hi = state.xlim[1];
    var span = state.ylim[1] - state.ylim[0];
    var YLO = state.ylim[0] - 1000 * span, YHI = state.ylim[1] + 1000 * span;
    if (!isFinite(slope) || drawable(y0) === null) return { x: [], y: [] };
    if (slope !== 0) {
      var a = x0 + (YLO - y0) / slope, b = x0 + (YHI - y0) / slope;
      lo = Math.max(lo, Math.min(a, b));
      hi = Math.min(hi, Math.max(a, b));
    }
    return { x: [lo, hi], y: [y0 + slope * (lo - x0), y0 + slope * (hi - x0)] };
  }
  // the y-range of f over [a, b], padded (null where f is nowhere finite)
  function yRange(a, b) {
    var lo = Infinity, hi = -Infinity, i;
    for (i = 0; i <= 400; i++) {
      var y = f(a + (b - a) * i / 400);
      if (isFinite(y)) { lo = Math.min(lo, y); hi = Math.max(hi, y); }
    }
    if (!(lo <= hi)) return null;
    var pad = hi > lo ? 0.12 * (hi - lo) : Math.max(1, Math.abs(lo) * 0.1);
    lo -= pad; hi += pad;
    if (!(hi - lo >= 1e-300) || !isFinite(hi - lo)) return null;
    return [lo, hi];
  }
  // keep the point in view: a y-range centred on f(x0) when it has left the
  // middle 90 % of the one shown (the span is kept, so dragging is steady)
  function followY(y0) {
    if (!isFinite(y0)) return;
    var lo = state.ylim[0], hi = state.ylim[1], span = hi - lo;
    if (y0 < lo + 0.05 * span || y0 > hi - 0.05 * span) {
      var a = y0 - span / 2, b = y0 + span / 2;
      // 1/x at 1e-300: a window of width 6 around 1e300 is no window
      if (!(b - a > 0.5 * span) || !isFinite(b - a)) return;
      state.ylim = [a, b];
      sampleCurve();
    }
  }
  // about 400 slider positions: 1, 2 or 5 times a power of 10
  function sliderStep(lo, hi) {
    var raw = (hi - lo) / 400, p = Math.pow(10, Math.floor(Math.log10(raw)));
    var m = [1, 2, 5, 10].find(function (k) { return k * p >= raw; });
    return m * p;
  }
  function setWindow(xlim, ylim) {
    state.xlim = xlim;
    if (ylim) state.ylim = ylim;
    var s = $("x0-slider");
    s.min = String(xlim[0]);
    s.max = String(xlim[1]);
    s.step = String(sliderStep(xlim[0], xlim[1]));
    sampleCurve();
  }

  var config = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["sendDataToCloud"] };
  var font = { family: "DejaVu Sans, Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif", size: 13 };

  // the words the error panel shows instead of curves where there is no
  // exact f'(x0) to measure against (a kink, f or f' undefined)
  function errorPanelNote(q, ex, x0) {
    if (!isFinite(q.f0)) return W.undefined_at;
    if (!df) return W.no_exact;
    if (ex.kink) {
      var h = 1e-8, k = quotients(x0, h);
      return W.kink_panel.replace("{f}", fmt(k.forward)).replace("{b}", fmt(k.backward));
    }
    if (isNaN(ex.value)) return W.exact_undefined;
    if (!isFinite(ex.value)) return W.exact_infinite;
    return null;
  }

  function drawError(x0, h, q, ex, d) {
    var note = errorPanelNote(q, ex, x0);
    var axis = { type: "log", exponentformat: "power", automargin: true };
    if (note !== null) {
      Plotly.react("plot-error", [], {
        font: font, margin: { l: 20, r: 20, t: 20, b: 20 },
        xaxis: { visible: false }, yaxis: { visible: false },
        annotations: [{ text: wrap(note, 42), xref: "paper", yref: "paper", x: 0.5, y: 0.5,
          showarrow: false, align: "center", font: { size: 14, color: "#a00" } }]
      }, config);
      $("plot-error").setAttribute("data-note", note);
      return;
    }
    $("plot-error").removeAttribute("data-note");
    var ec = errorCurve(x0, d), f0 = Math.abs(q.f0), i;
    var trunc1 = [], trunc2 = [], round = [];
    var a2 = d2f ? Math.abs(d2f(x0)) : NaN, a3 = d3f ? Math.abs(d3f(x0)) : NaN;
    var scale = Math.max(f0, 1e-300);
    for (i = 0; i < ec.h.length; i++) {
      var hh = ec.h[i];
      trunc1.push(a2 > 0 && isFinite(a2) ? a2 * hh / 2 : null);
      trunc2.push(a3 > 0 && isFinite(a3) ? a3 * hh * hh / 6 : null);
      round.push(EPS * scale / hh);
    }
    var errF = Math.abs(q.forward - d);
    var bf = best(ec.h, ec.forward), bc = best(ec.h, ec.central);
    var traces = [
      { x: ec.h, y: ec.forward, mode: "lines", name: plain(W.forward_error), line: { color: "#d62728" } },
      { x: ec.h, y: ec.backward, mode: "lines", name: plain(W.backward_error), line: { color: "#8c564b", dash: "dashdot" } },
      { x: ec.h, y: ec.central, mode: "lines", name: plain(W.central_error), line: { color: "#ff7f0e", dash: "dot" } },
      { x: ec.h, y: trunc1, mode: "lines", name: plain(W.truncation_forward),
        line: { color: "#2ca02c", dash: "dash", width: 1.2 }, hoverinfo: "skip" },
      { x: ec.h, y: trunc2, mode: "lines", name: plain(W.truncation_central),
        line: { color: "#17becf", dash: "dash", width: 1.2 }, hoverinfo: "skip" },
      { x: ec.h, y: round, mode: "lines", name: plain(W.roundoff),
        line: { color: "#555555", dash: "dot", width: 1.2 }, hoverinfo: "skip" },
      { x: [h], y: [errF > 0 && isFinite(errF) ? errF : null], mode: "markers", name: plain(W.current_h),
        marker: { size: 11, color: "#000000", symbol: "diamond" } },
      { x: [bf ? bf[0] : null, bc ? bc[0] : null], y: [bf ? bf[1] : null, bc ? bc[1] : null],
        mode: "markers", name: plain(W.best_h), marker: { size: 13, color: "#9467bd", symbol: "star" } }
    ];
    var annotations = [];
    if (bf) {
      annotations.push({ x: Math.log10(bf[0]), y: Math.log10(bf[1]), xref: "x", yref: "y",
        text: plain(W.best_at.replace("{h}", fmtH(bf[0]))), showarrow: true, ay: -30,
        font: { size: 11, color: "#9467bd" } });
    }
    // the y-range of the measured errors: the guides are cut by it (the
    // truncation line of a smooth f reaches 1e-30, far below any error seen)
    var seen = ec.forward.concat(ec.backward, ec.central).filter(function (e) { return e !== null; });
    var yaxis = Object.assign({ title: { text: plain(W.error), standoff: 12 } }, axis);
    if (seen.length) {
      var lo = Math.log10(Math.min.apply(null, seen)), hi = Math.log10(Math.max.apply(null, seen));
      yaxis.range = [lo - 1, hi + 1];
    }
    Plotly.react("plot-error", traces, {
      font: font, margin: { l: 70, r: 10, t: 10, b: 45 },
      xaxis: Object.assign({ title: { text: plain(W.step), standoff: 8 } }, axis),
      yaxis: yaxis,
      legend: { orientation: "h", x: 0, y: -0.22, yanchor: "top" }, showlegend: true,
      annotations: annotations
    }, config);
    $("plot-error").setAttribute("data-best-forward", bf ? String(bf[0]) : "");
  }

  function draw() {
    var x0 = state.x0, h = Math.pow(10, state.logh);
    var q = quotients(x0, h), ex = exact(x0);
    // no derivative where f itself is undefined, nor where the formula meets a kink
    var d = ex.kink || !isFinite(q.f0) ? NaN : ex.value;
    if (isFinite(d)) {
      var last = state.traced[state.traced.length - 1];
      if (!last || last[0] !== x0) {
        state.traced.push([x0, d]);
        if (state.traced.length > TRACED) state.traced.shift();
      }
    }
    var sec = line(x0, q.f0, q.forward), tan = line(x0, q.f0, d);
    var traced = state.traced.filter(function (p) {
      return p[0] >= state.xlim[0] && p[0] <= state.xlim[1];
    });
    var traces = [
      { x: curve.x, y: curve.y, mode: "lines", name: plain(D.label), line: { color: "#1f77b4", width: 2.5 }, hoverinfo: "x+y" },
      { x: curve.x, y: curve.d, mode: "lines", name: plain(D.dlabel), visible: state.derivative && !!df,
        line: { color: "#9467bd", width: 2, dash: "dot" }, hoverinfo: "skip" },
      { x: sec.x, y: sec.y, mode: "lines", name: plain(W.secant), line: { color: "#d62728", width: 2 }, hoverinfo: "skip" },
      { x: tan.x, y: tan.y, mode: "lines", name: plain(W.tangent), line: { color: "#2ca02c", width: 2, dash: "dash" }, hoverinfo: "skip" },
      { x: [x0, q.x1], y: [drawable(q.f0), drawable(q.f1)], mode: "markers", name: plain(W.points),
        marker: { size: [12, 9], color: ["#000000", "#d62728"] }, hoverinfo: "x+y" },
      { x: traced.map(function (p) { return p[0]; }), y: traced.map(function (p) { return drawable(p[1]); }),
        mode: "markers", name: plain(W.traced), marker: { size: 5, color: "#9467bd" }, hoverinfo: "x+y" }
    ];
    // the slope, written beside the secant a fifth of the window from x0
    var annotations = [];
    var ax = NaN, ay = NaN;
    if (sec.x.length && isFinite(q.forward)) {
      var w = state.xlim[1] - state.xlim[0];
      ax = x0 + 0.2 * w <= state.xlim[1] ? x0 + 0.2 * w : x0 - 0.2 * w;
      ay = q.f0 + q.forward * (ax - x0);
      var span = state.ylim[1] - state.ylim[0];
      ay = Math.min(Math.max(ay, state.ylim[0] + 0.05 * span), state.ylim[1] - 0.05 * span);
    }
    // (not near the ends of double precision: plotly's arrow then computes NaN)
    var tame = Math.max(Math.abs(state.ylim[0]), Math.abs(state.ylim[1])) < 1e300;
    if (sec.x.length && isFinite(q.forward) && isFinite(ay) && isFinite(ax) && tame) {
      annotations.push({ x: ax, y: ay, xref: "x", yref: "y", showarrow: true, ax: 0, ay: -28,
        text: plain(W.slope.replace("{s}", fmt(q.forward))), font: { color: "#d62728", size: 12 },
        bgcolor: "rgba(255,255,255,0.85)" });
    }
    var layout = {
      font: font, margin: { l: 60, r: 10, t: 10, b: 45 }, dragmode: false,
      xaxis: { range: state.xlim, title: { text: plain(D.var), standoff: 8 }, automargin: true },
      yaxis: { range: state.ylim, title: { text: plain(D.fname), standoff: 10 }, automargin: true },
      legend: { orientation: "h", x: 0, y: -0.18, yanchor: "top" },
      hovermode: "closest", showlegend: true, annotations: annotations
    };
    Plotly.react("plot-f", traces, layout, config);
    drawError(x0, h, q, ex, d);

    show("x0-value", x0);
    var hv = $("h-value");
    hv.textContent = fmtH(h);
    hv.setAttribute("data-value", String(h));
    show("f0", q.f0);
    show("f1", q.f1);
    show("fm", q.fm);
    show("forward", q.forward);
    show("backward", q.backward);
    show("central", q.central);
    show("exact", d);
    show("forward-error", Math.abs(q.forward - d));
    show("backward-error", Math.abs(q.backward - d));
    show("central-error", Math.abs(q.central - d));
    var notes = [];
    if (state.moved) notes.push(W.moved);
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
    state.moved = false;
    if (v < state.xlim[0] || v > state.xlim[1]) {
      // typed outside the window: the window moves to it, same width
      var w = state.xlim[1] - state.xlim[0];
      var y = f(v), r = isFinite(y) ? yRange(v - 0.3 * w, v + 0.3 * w) : null;
      setWindow([v - w / 2, v + w / 2], r);
      state.moved = true;
    }
    state.x0 = v;
    followY(f(v));
    draw();
  }
  var slider = $("x0-slider");
  slider.addEventListener("input", function () { setX0(slider.value); });
  $("x0-input").addEventListener("change", function () { setX0($("x0-input").value); });
  var hs = $("h-slider");
  hs.min = String(HMIN); hs.max = String(HMAX); hs.step = "0.05";
  hs.addEventListener("input", function () { stop(); state.logh = Number(hs.value); draw(); });
  $("show-derivative").disabled = !df;
  $("show-derivative").addEventListener("change", function () {
    state.derivative = $("show-derivative").checked; draw();
  });

  // play: h from where it is (from 1 when it is at the end) down to 1e-15,
  // 0.05 of a decade every 25 ms: about 8 seconds for the whole run
  function stop() {
    if (state.playing !== null) clearInterval(state.playing);
    state.playing = null;
    $("play").textContent = W.play;
    document.body.setAttribute("data-playing", "0");
  }
  $("play").addEventListener("click", function () {
    if (state.playing !== null) { stop(); return; }
    if (state.logh <= HMIN + 1e-9) { state.logh = HMAX; draw(); }
    $("play").textContent = W.pause;
    document.body.setAttribute("data-playing", "1");
    state.playing = setInterval(function () {
      state.logh = Math.max(HMIN, Math.round((state.logh - 0.05) * 100) / 100);
      draw();
      if (state.logh <= HMIN) stop();
    }, 25);
  });
  // zoom: a tenth of the window around x0 (f's range there); reset: as made
  $("zoom").addEventListener("click", function () {
    var w = (state.xlim[1] - state.xlim[0]) / 10, x0 = state.x0;
    var r = yRange(x0 - w / 2, x0 + w / 2);
    setWindow([x0 - w / 2, x0 + w / 2], r);
    state.moved = false;
    draw();
  });
  $("reset").addEventListener("click", function () {
    setWindow(D.xlim.slice(), D.ylim.slice());
    state.moved = false;
    if (state.x0 < D.xlim[0] || state.x0 > D.xlim[1]) state.x0 = D.x0;
    draw();
  });

  // the labels, from the data (textContent: never parsed as HTML)
  document.documentElement.lang = D.lang;
  document.title = D.title;
  text("title", D.title);
  var labels = document.querySelectorAll("[data-word]");
  for (var i = 0; i < labels.length; i++) labels[i].textContent = W[labels[i].getAttribute("data-word")];

  setWindow(state.xlim, state.ylim);
  draw();

  // drag the point: press on the plot and move; x0 follows the pointer's x
  // (read from the plot area and the axis range shown), snapped to the
  // slider's grid
  var plot = $("plot-f"), dragging = false;
  function snap(x) {
    var step = Number($("x0-slider").step);
    return Number((Math.round(x / step) * step).toPrecision(12));
  }
  function follow(ev) {
    var area = plot.querySelector(".nsewdrag");
    if (!area) return;
    var r = area.getBoundingClientRect(), range = plot.layout.xaxis.range;
    var t = (ev.clientX - r.left) / r.width;
    var x = snap(range[0] + t * (range[1] - range[0]));
    // dragging stays inside the window (typing outside it moves the window)
    if (r.width > 0) setX0(Math.min(Math.max(x, state.xlim[0]), state.xlim[1]));
  }
  plot.addEventListener("pointerdown", function (ev) {
    var area = plot.querySelector(".nsewdrag");
    if (area && area.contains(ev.target)) { dragging = true; follow(ev); }
  }, true);
  window.addEventListener("pointermove", function (ev) { if (dragging) follow(ev); }, true);
  window.addEventListener("pointerup", function () { dragging = false; }, true);
  document.body.setAttribute("data-ready", "1");
})();
