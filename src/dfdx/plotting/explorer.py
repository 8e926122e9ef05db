"""The explorer page: one HTML file, offline, where the learner moves x₀ and h
and watches the secant, the tangent, the quotients and their errors.

The page holds plotly.js (inlined from the ``plotly`` package, so it works with
the network off), its own script (``explorer.js`` beside this module) and one
JSON block of data: the function and its exact derivative as JavaScript
(written by :mod:`dfdx.text.jscode`, so the browser computes in IEEE double what
NumPy computes in Python, round-off included), the window, the poles and the
words in the page's language. Text of the user's (the expression, a label)
reaches the page only inside that JSON, with ``<``, ``>`` and ``&`` escaped,
and the script sets it with ``textContent``: it is never read as HTML.
"""

from __future__ import annotations

import functools
import html
import json
import math
from importlib import resources
from pathlib import Path

import numpy as np
import sympy

from dfdx.core._checks import finite_number
from dfdx.core.i18n import check_lang, localise
from dfdx.errors import DfdxError, UndefinedError
from dfdx.plotting.sampling import evaluate, sample
from dfdx.text.expr import as_expression, is_expression_like

__all__ = ["Explorer", "explore"]

_WORDS = {
    "title": ("The derivative of {f}, explored", "探索 {f} 的导数"),
    "x0": ("point x₀", "点 x₀"),
    "h": ("step h (log scale)", "步长 h（对数刻度）"),
    "show_derivative": ("show the derivative f′", "显示导函数 f′"),
    "quantity": ("quantity", "量"),
    "value": ("value", "值"),
    "f0": ("f(x₀)", "f(x₀)"),
    "f1": ("f(x₀ + h)", "f(x₀ + h)"),
    "forward": ("forward quotient (f(x₀+h) − f(x₀))/h", "前向差商 (f(x₀+h) − f(x₀))/h"),
    "central": (
        "central quotient (f(x₀+h) − f(x₀−h))/(2h)",
        "中心差商 (f(x₀+h) − f(x₀−h))/(2h)",
    ),
    "exact": ("exact f′(x₀)", "精确的 f′(x₀)"),
    "forward_error": ("|forward − exact|", "|前向 − 精确|"),
    "central_error": ("|central − exact|", "|中心 − 精确|"),
    "secant": ("secant through x₀ and x₀ + h", "过 x₀ 与 x₀ + h 的割线"),
    "tangent": ("tangent at x₀", "x₀ 处的切线"),
    "points": (
        "(x₀, f(x₀)) and (x₀ + h, f(x₀ + h))",
        "(x₀, f(x₀)) 与 (x₀ + h, f(x₀ + h))",
    ),
    "current_h": ("the current h (forward)", "当前的 h（前向）"),
    "step": ("step h", "步长 h"),
    "error": ("|quotient − exact f′(x₀)|", "|差商 − 精确 f′(x₀)|"),
    "undefined": ("undefined", "无定义"),
    "undefined_at": ("f is undefined at x₀.", "f 在 x₀ 处无定义。"),
    "undefined_step": (
        "f(x₀ + h) is undefined: x₀ + h is outside the domain.",
        "f(x₀ + h) 无定义：x₀ + h 在定义域之外。",
    ),
    "rounds": (
        "x₀ + h rounds to x₀ in double precision: the quotient is 0.",
        "在双精度下 x₀ + h 舍入为 x₀：差商为 0。",
    ),
    "no_exact": (
        "The exact derivative cannot be computed in the browser.",
        "浏览器中无法计算精确导数。",
    ),
    "kink": (
        "At this x₀ the derivative's formula meets a kink or jump (of |·|, sign, "
        "relu or max): f′(x₀) may not exist; dfdx.differentiable decides.",
        "在此 x₀ 处导数公式遇到折点或跳跃（|·|、sign、relu 或 max）："
        "f′(x₀) 可能不存在；请用 dfdx.differentiable 判断。",
    ),
    "moved": (
        "The window moved to the x₀ typed (it was outside).",
        "窗口已移到输入的 x₀（它原在窗口之外）。",
    ),
    "fm": ("f(x₀ − h)", "f(x₀ − h)"),
    "backward": (
        "backward quotient (f(x₀) − f(x₀−h))/h",
        "后向差商 (f(x₀) − f(x₀−h))/h",
    ),
    "backward_error": ("|backward − exact|", "|后向 − 精确|"),
    "error_column": ("|quotient − exact|", "|差商 − 精确|"),
    "play": ("▶ play h from 1 to 1e-15", "▶ 播放：h 从 1 到 1e-15"),
    "pause": ("❚❚ pause", "❚❚ 暂停"),
    "zoom": ("zoom to x₀", "放大到 x₀"),
    "reset": ("reset the window", "恢复窗口"),
    "slope": ("secant slope {{s}}", "割线斜率 {{s}}"),
    "traced": ("f′(x₀) traced as x₀ moves", "随 x₀ 移动描出的 f′(x₀)"),
    "truncation_forward": (
        "truncation |f″(x₀)|·h/2 (forward, backward)",
        "截断误差 |f″(x₀)|·h/2（前向、后向）",
    ),
    "truncation_central": (
        "truncation |f‴(x₀)|·h²/6 (central)",
        "截断误差 |f‴(x₀)|·h²/6（中心）",
    ),
    "roundoff": ("round-off ≈ eps·|f(x₀)|/h", "舍入误差 ≈ eps·|f(x₀)|/h"),
    "best_h": (
        "best h (least error, forward and central)",
        "最佳 h（误差最小，前向与中心）",
    ),
    "best_at": ("best h ≈ {{h}}", "最佳 h ≈ {{h}}"),
    "kink_panel": (
        "No error to plot: at this x₀ the derivative's formula meets a kink, so "
        "there is no exact f′(x₀) to measure against (it may not exist). The "
        "one-sided quotients at h = 1e-8: forward {{f}}, backward {{b}}.",
        "无误差可画：在此 x₀ 处导数公式遇到折点，没有可作比较的精确 f′(x₀)（它可能不存在）。"
        "h = 1e-8 时的两侧差商：前向 {{f}}，后向 {{b}}。",
    ),
    "exact_infinite": (
        "f′(x₀) is infinite here (a vertical tangent) or too large for double "
        "precision.",
        "f′(x₀) 在此为无穷大（竖直切线），或超出双精度范围。",
    ),
    "exact_undefined": ("f′ is undefined at x₀.", "f′ 在 x₀ 处无定义。"),
    "how": (
        "Drag along the curve or click it to move x₀. Everything is computed in "
        "your browser in IEEE double precision, as Python computes it: below "
        "h ≈ 1e-8 the quotient falls apart from round-off.",
        "沿曲线拖动或单击曲线以移动 x₀。所有数值都在浏览器中以 IEEE 双精度计算，"
        "与 Python 相同：h 小于约 1e-8 时，舍入误差使差商失真。",
    ),
    "made": ("Made by dfdx; works offline.", "由 dfdx 生成；可离线使用。"),
}
_w = functools.partial(localise, _WORDS)

#: Samples of the curve in the page (and in the y-range computed here).
SAMPLES = 801

_TEMPLATE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: "DejaVu Sans", "Noto Sans CJK SC", "WenQuanYi Micro Hei",
  sans-serif; margin: 1em auto; max-width: 1100px; padding: 0 1em; color: #222; }}
h1 {{ font-size: 1.3em; font-weight: normal; }}
.plots {{ display: flex; flex-wrap: wrap; gap: 1em; }}
.plots > div {{ flex: 1 1 480px; height: 420px; min-width: 320px; }}
.controls {{ display: grid; grid-template-columns: max-content 1fr max-content;
  gap: .4em 1em; align-items: center; margin: 1em 0; }}
.controls input[type=range] {{ width: 100%; }}
table {{ border-collapse: collapse; }}
td, th {{ padding: .2em .8em; border-bottom: 1px solid #ddd; text-align: left; }}
td.num {{ font-family: "DejaVu Sans Mono", monospace; text-align: right;
  min-width: 19ch; }}
#h-value {{ display: inline-block; min-width: 9ch; font-family: "DejaVu Sans Mono",
  monospace; }}
.buttons {{ display: flex; gap: .6em; margin: 0 0 1em; }}
.buttons button {{ font: inherit; padding: .2em .8em; }}
#notes {{ color: #a00; min-height: 1.4em; }}
footer {{ color: #777; font-size: .85em; margin-top: 1em; }}
</style>
<script>{plotly}</script>
</head>
<body data-ready="0">
<h1 id="title"></h1>
<p data-word="how"></p>
<div class="controls">
  <label for="x0-slider" data-word="x0"></label>
  <input type="range" id="x0-slider">
  <input type="number" id="x0-input" step="any" aria-label="x0">
  <label for="h-slider" data-word="h"></label>
  <input type="range" id="h-slider">
  <span>h = <span id="h-value" class="num"></span></span>
  <label for="show-derivative" data-word="show_derivative"></label>
  <input type="checkbox" id="show-derivative">
  <span></span>
</div>
<div class="buttons">
  <button type="button" id="play" data-word="play"></button>
  <button type="button" id="zoom" data-word="zoom"></button>
  <button type="button" id="reset" data-word="reset"></button>
</div>
<div class="plots"><div id="plot-f"></div><div id="plot-error"></div></div>
<p id="notes" role="status"></p>
<table>
<tr><th data-word="quantity"></th><th data-word="value"></th><th data-word="error_column"></th></tr>
<tr><td>x₀</td><td class="num" id="x0-value"></td><td></td></tr>
<tr><td data-word="f0"></td><td class="num" id="f0"></td><td></td></tr>
<tr><td data-word="f1"></td><td class="num" id="f1"></td><td></td></tr>
<tr><td data-word="fm"></td><td class="num" id="fm"></td><td></td></tr>
<tr><td data-word="backward"></td><td class="num" id="backward"></td><td class="num" id="backward-error"></td></tr>
<tr><td data-word="forward"></td><td class="num" id="forward"></td><td class="num" id="forward-error"></td></tr>
<tr><td data-word="central"></td><td class="num" id="central"></td><td class="num" id="central-error"></td></tr>
<tr><td data-word="exact"></td><td class="num" id="exact"></td><td></td></tr>
</table>
<footer data-word="made"></footer>
<script type="application/json" id="dfdx-data">{data}</script>
<script>{script}</script>
</body>
</html>
"""


def _json_for_html(data) -> str:
    """JSON that is inert inside a <script> element: no '<', '>' or '&' (so no
    '</script>' or '<!--'), no line separators JavaScript would choke on."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    for ch, esc in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(ch, esc)
    return text


@functools.lru_cache(maxsize=1)
def _assets() -> tuple[str, str]:
    """(plotly.js, the page's script)."""
    try:
        from plotly.offline import get_plotlyjs
    except ImportError:
        raise DfdxError("the explorer page needs plotly: pip install plotly") from None
    script = resources.files("dfdx.plotting").joinpath("explorer.js").read_text("utf-8")
    return get_plotlyjs(), script


class Explorer:
    """An explorer page: ``.html`` (the whole file as text), ``.save(path)``;
    a notebook shows it inline.

    Attributes
    ----------
    html : str
    path : Path or None
        Where it was written, if it was.
    at : float
        The starting point x₀.
    xlim, ylim : (float, float)
        The window of the function's plot.
    function_js, derivative_js : str or None
        The JavaScript the page runs for f and f′ (None when f′ cannot be
        computed in the browser; the page says so).
    lang : str
    """

    def __init__(self, html_text, label, at, xlim, ylim, f_js, df_js, lang):
        self.html = html_text
        self.path: Path | None = None
        self.label = label
        self.at = at
        self.xlim = xlim
        self.ylim = ylim
        self.function_js = f_js
        self.derivative_js = df_js
        self.lang = lang

    def __repr__(self) -> str:
        where = f", written to {str(self.path)!r}" if self.path else ""
        return (
            f"<Explorer of {self.label} from x₀ = {self.at:g}: an offline page{where}>"
        )

    def save(self, path) -> Path:
        """Write the page to `path` (atomically); returns the path."""
        from dfdx.core._files import atomic_write

        target = _check_html_path(path)
        atomic_write(target, lambda fh: fh.write(self.html.encode("utf-8")))
        self.path = target
        return target

    def _repr_html_(self) -> str:
        return (
            '<iframe style="width: 100%; height: 1150px; border: 0" '
            f'srcdoc="{html.escape(self.html, quote=True)}"></iframe>'
        )


def _check_html_path(path) -> Path:
    from dfdx.core._files import output_path

    return output_path(path, (".html", ".htm"), "the explorer page")


def _ylim(y: np.ndarray, suggested) -> tuple[float, float]:
    if suggested is not None:
        return float(suggested[0]), float(suggested[1])
    finite = y[np.isfinite(y)]
    lo, hi = float(finite.min()), float(finite.max())
    with np.errstate(over="ignore"):
        pad = 0.08 * (hi - lo) if hi > lo else max(1.0, abs(lo) * 0.1)
        padded = (lo - pad, hi + pad)
    # near the largest doubles the padding overflows: the bare range then
    lo, hi = padded if all(map(math.isfinite, padded)) else (lo, hi)
    if hi - lo < MIN_Y_SPAN:
        # values near the smallest doubles (x*1e-320): plotly cannot scale an
        # axis that narrow ("Something went wrong with axis scaling", no page)
        mid = 0.5 * (lo + hi)
        lo, hi = mid - MIN_Y_SPAN / 2, mid + MIN_Y_SPAN / 2
    return lo, hi


def _around(s, x0: float, xlim) -> tuple[float, float]:
    """The y-range of f near x0 (the middle 60 % of the window around it):
    the whole window's range flattens the secant (exp on x0 ± 3 spans 0 to
    20 while the secant at 0 climbs 1)."""
    w = xlim[1] - xlim[0]
    near = (s.x >= x0 - 0.3 * w) & (s.x <= x0 + 0.3 * w) & np.isfinite(s.y)
    return _ylim(s.y[near] if near.sum() >= 2 else s.y, None)


#: The narrowest y-range the page's plots get (plotly scales axes down to
#: about 1e-300; subnormal ranges fail).
MIN_Y_SPAN = 1e-300


def _slider_step(lo: float, hi: float) -> float:
    """A round step giving about 400 positions: 1, 2 or 5 times a power of 10.
    Refuses a window too narrow for 400 distinct doubles."""
    raw = (hi - lo) / 400
    if not (math.isfinite(raw) and raw > 1e-12 * max(1.0, abs(lo), abs(hi))):
        raise DfdxError(
            f"the window {lo:g} to {hi:g} is too narrow (or too wide) for the "
            "x₀ slider: give an xlim whose width is at least 1e-9 of its values"
        )
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def explore(
    f, *, at=0.0, path=None, xlim=None, h=0.5, label=None, lang: str = "en"
) -> Explorer:
    """An offline HTML page to explore the derivative of f by moving x₀ and h.

    The page shows f, the point x₀ (a slider, a number box, or drag along
    the curve; a typed x₀ outside the window moves the window), a log-scale
    slider for h from 1 down to 1e-15 and a play button that runs it, the
    secant with its slope and the tangent, f′(x₀) traced as x₀ moves, zoom to
    x₀ and reset, the backward, forward and central quotients beside the exact
    f′(x₀) and their errors, the error-versus-h curves with the truncation
    and round-off terms apart and the current and best h marked (or, at a
    kink, why there is no error to plot), and a toggle for the derivative
    curve. The y-range starts around x₀. The browser computes f and f′ from
    JavaScript generated by SymPy's printer, in IEEE double like Python, so
    the page shows the round-off Python shows.

    Parameters
    ----------
    f : str or Expression
        A function of one variable (a Python function cannot run in the
        browser).
    at : float
        The starting point x₀.
    path : str or path, optional
        Write the page there (an .html file).
    xlim : (float, float), optional
        The window (default x₀ ± 3).
    h : float
        The starting step (default 0.5), from 1e-15 to 1.
    label : str, optional
        The function's name on the page (default: ``f(x) = ...``).
    lang : {'en', 'zh'}

    Returns
    -------
    Explorer

    Raises
    ------
    DfdxError
        For a callable, several variables, a point outside the window or
        where f is undefined, a bad h or path.

    Examples
    --------
    >>> import dfdx
    >>> page = dfdx.explore("x^3 - 2x", at=1)
    >>> page.function_js
    'Math.pow(_dfdx_arg0, 3) - 2*_dfdx_arg0'
    >>> page.derivative_js
    '3*_dfdx.square(_dfdx_arg0) - 2'
    """
    from dfdx.plotting.labels import _check_lim, _unicode_form
    from dfdx.text.jscode import HELPERS, javascript

    check_lang(lang)
    if not is_expression_like(f):
        raise DfdxError(
            "explore needs an expression (text or dfdx.parse(...)), not "
            f"{type(f).__name__}: the page computes f in the browser"
        )
    e = as_expression(f)
    if len(e.variables) > 1:
        raise DfdxError(
            f"explore takes a function of one variable; f has {', '.join(e.variables)} "
            "(for two, see dfdx.plot_gradient_field)"
        )
    # a variable that cancelled (t in t/t) still decides where f is defined
    hidden = sorted({s.name for u, _ in e.domain.conditions for s in u.free_symbols})
    if not e.variables and len(hidden) > 1:
        raise DfdxError(
            f"explore takes a function of one variable; f has {', '.join(hidden)}"
        )
    var = e.variables[0] if e.variables else (hidden or ["x"])[0]
    x0 = finite_number(at, "at")
    if label is not None and not isinstance(label, str):
        raise DfdxError(f"label must be text, got {type(label).__name__}")
    h0 = finite_number(h, "h")
    if not 1e-15 <= h0 <= 1:
        raise DfdxError(f"h must be from 1e-15 to 1, got {h!r}")
    xlim = _check_lim(xlim, "xlim") or (x0 - 3.0, x0 + 3.0)
    if not xlim[0] <= x0 <= xlim[1]:
        raise DfdxError(f"at = {x0:g} is outside xlim {xlim}")
    step = _slider_step(*xlim)
    if path is not None:
        _check_html_path(path)  # before the work, not after it
    f0 = float(evaluate(e, np.array([x0]))[0])  # NaN where undefined or not real
    if not math.isfinite(f0):
        raise UndefinedError(f"f is undefined at {var} = {x0:g}: nothing to explore")

    symbols = [sympy.Symbol(var)]
    f_js = javascript(e, symbols)  # NaN outside the typed domain, as in Python
    try:
        df_js = javascript(e.diff(var), symbols)
    except DfdxError:
        df_js = None  # the page says the exact derivative is not available
    # the second and third derivatives for the error plot's truncation lines (none where they
    # cannot be written: then no line, never a made-up one)
    higher = []
    for n in (2, 3):
        try:
            higher.append(javascript(e.diff(var, n), symbols) if df_js else None)
        except DfdxError:
            higher.append(None)

    s = sample(e, xlim=xlim, n=SAMPLES)
    if not np.isfinite(s.y).any():
        raise UndefinedError(f"f is undefined everywhere on xlim {xlim}")
    ylim = _ylim(s.y, s.ylim) if s.ylim is not None else _around(s, x0, xlim)
    text = label if label is not None else f"f({var}) = {_unicode_form(e)}"
    title = _w("title", lang, f=text)
    dlabel = f"f′({var})" if label is None else f"{label}′"
    data = {
        "lang": lang,
        "title": title,
        "label": text,
        "dlabel": dlabel,
        "fname": f"f({var})" if label is None else label,
        "var": var,
        "f": f_js,
        "df": df_js,
        "d2f": higher[0],
        "d3f": higher[1],
        "helpers": HELPERS,
        "x0": x0,
        "logh": math.log10(h0),
        "xlim": list(xlim),
        "ylim": list(ylim),
        "step": step,
        "poles": [float(p) for p in s.poles],
        "words": {k: _w(k, lang) for k in _WORDS if k != "title"},
    }
    plotly_js, script = _assets()
    page = _TEMPLATE.format(
        lang=lang,
        title=html.escape(title),
        plotly=plotly_js,
        data=_json_for_html(data),
        script=script,
    )
    result = Explorer(page, text, x0, xlim, ylim, f_js, df_js, lang)
    if path is not None:
        result.save(path)
    return result
