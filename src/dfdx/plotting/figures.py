"""Figures of one-variable calculus: a function with its tangent, and the error
of difference quotients against the step h.

Every function returns the matplotlib Axes it drew on, so figures can be checked
through their data, and saves to ``output`` (SVG, PNG or PDF by extension).
"""

from __future__ import annotations

import functools
import re
import warnings
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt  # noqa: E402  (after matplotlib, on purpose)
import numpy as np

from dfdx.core._checks import finite_number, flag, float_array, optional_text
from dfdx.core._fonts import one_font_warning, prepare_figure
from dfdx.core._timelimit import guarded
from dfdx.core.i18n import check_lang, localise
from dfdx.errors import DfdxError
from dfdx.plotting.labels import _check_lim, _unicode_form
from dfdx.plotting.legend import place_legend
from dfdx.plotting.sampling import evaluate, sample
from dfdx.text.expr import as_expression, is_expression_like

__all__ = ["plot_function", "plot_tangent", "plot_error_vs_h", "save_figure"]

_FORMATS = (".svg", ".png", ".pdf")
_EPS = float(np.finfo(float).eps)


@one_font_warning
def save_figure(fig_or_ax, output) -> Path:
    """Save a figure (or the figure of an Axes) to `output`; the format comes
    from the extension (.svg, .png or .pdf). SVG files are deterministic: the
    same figure gives the same bytes."""
    from dfdx.core._files import atomic_write, output_path

    fig = getattr(fig_or_ax, "figure", fig_or_ax)
    path = output_path(output, _FORMATS)
    ext = path.suffix.lower()
    metadata = {"Date": None} if ext in (".svg", ".pdf") else {}
    if ext == ".pdf":
        metadata["CreationDate"] = None
        metadata.pop("Date")
    missing = prepare_figure(fig)

    def write(fh):
        try:
            with (
                matplotlib.rc_context({"svg.hashsalt": "dfdx", "svg.fonttype": "path"}),
                np.errstate(all="ignore"),
                warnings.catch_warnings(),
            ):
                if missing:  # said once by prepare_text, not once per glyph
                    warnings.filterwarnings("ignore", message="Glyph .* missing")
                fig.savefig(
                    fh,
                    format=ext[1:],
                    metadata=metadata,
                    bbox_inches="tight",
                    dpi=150,
                )
        except (ValueError, OverflowError) as exc:  # extreme ranges in matplotlib
            raise DfdxError(f"could not draw the figure: {exc}") from exc

    atomic_write(path, write)
    return path


#: The words of the figures, in English and Chinese.
_WORDS = {
    "tangent": ("Tangent line ({var}={p}): {eq}", "切线（{var}={p}）：{eq}"),
    "pole": ("pole at {var} = {p}", "极点 {var} = {p}"),
    "jump": ("jump at {var} = {p}", "跳跃间断点 {var} = {p}"),
    "forward": ("forward (f(x+h) − f(x))/h", "前向差分 (f(x+h) − f(x))/h"),
    "central": ("central (f(x+h) − f(x−h))/2h", "中心差分 (f(x+h) − f(x−h))/2h"),
    "roundoff": ("round-off ~ eps·|f|/h (slope −1)", "舍入误差 ~ eps·|f|/h（斜率 −1）"),
    "truncation": ("truncation guide, slope {k}", "截断误差参考线，斜率 {k}"),
    "no_truncation": (
        "{scheme}: only round-off seen at every h (no truncation error measured)",
        "{scheme}：每个 h 处都只见舍入误差（测不到截断误差）",
    ),
    "rows": ("table rows ({scheme})", "表中各行（{scheme}）"),
    "step": ("step h", "步长 h"),
    "error": ("|error| vs {ref}", "|误差|（相对于{ref}）"),
    "exact": ("exact", "精确值"),
    "numerical": (
        "numerical reference (error ≈ {e})",
        "数值参考值（误差 ≈ {e}）",
    ),
    "at": ("{f} at {var} = {x}", "{f}，{var} = {x} 处"),
    "forward_scheme": ("forward", "前向"),
    "central_scheme": ("central", "中心"),
    "backward_scheme": ("backward", "后向"),
}


_w = functools.partial(localise, _WORDS)


def math_label(e, prefix: str = "", lang: str = "en") -> str:
    """`prefix` and the expression typeset by mathtext (``$f(x) = x^{3}$``),
    or the plain text when mathtext cannot draw its LaTeX.

    `lang` is the language of the words around the label in the same text:
    mathtext draws the text outside ``$...$`` with its own fonts, which have
    no Chinese glyphs, so beside Chinese words the expression is written in
    plain Unicode instead (``3⋅x² - 4⋅x``)."""
    if lang != "en":
        return prefix + _unicode_form(e)
    text = f"${prefix}{e.latex}$"
    return text if _mathtext_draws(text) else f"{prefix}{e}"


def _mathtext_draws(text: str) -> bool:
    """Whether mathtext can draw every ``$...$`` piece of `text` (SymPy's
    LaTeX has commands mathtext lacks)."""
    from matplotlib.mathtext import MathTextParser

    try:
        for piece in re.findall(r"\$[^$]*\$", text):
            MathTextParser("path").parse(piece)
    except (ValueError, RuntimeError):
        return False
    return True


def _tangent_label(tangent, var: str, lang: str) -> str:
    """The tangent's legend entry: its point and equation typeset by mathtext
    in English (``Tangent line at $x = 1$: $y = 4 x - 4$``), plain text beside
    Chinese words or when mathtext cannot draw the LaTeX."""
    import sympy

    plain = _w("tangent", lang, var=var, p=_num(tangent.point), eq=tangent.equation())
    if lang != "en":
        return plain
    v = sympy.latex(sympy.Symbol(var))
    text = f"Tangent line at ${v} = {_num(tangent.point)}$: ${tangent.latex}$"
    return text if _mathtext_draws(text) else plain


def _function_and_label(f, name: str = "f"):
    if is_expression_like(f):
        e = as_expression(f, name=name)
        if len(e.variables) > 1:
            raise DfdxError(
                f"{name} has several variables ({', '.join(e.variables)}); this "
                "plot needs a function of one variable"
            )
        return e, str(e), e.variables[0] if e.variables else "x"
    if not callable(f):
        raise DfdxError(
            f"{name} must be an expression or a callable, got {type(f).__name__}"
        )
    fname = getattr(f, "__name__", "f")
    return guarded(f), (fname if fname.isidentifier() else "f"), "x"


def _check_ax(ax):
    """`ax`, when given, must be a matplotlib Axes."""
    from matplotlib.axes import Axes

    if ax is not None and not isinstance(ax, Axes):
        raise DfdxError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    return ax


def _check_figsize(figsize) -> tuple[float, float]:
    if isinstance(figsize, (str, bytes)) or not hasattr(figsize, "__len__"):
        raise DfdxError(
            f"figsize must be (width, height) in inches, got {figsize!r:.60}"
        )
    if len(figsize) != 2:
        raise DfdxError(
            f"figsize must be (width, height) in inches, got {figsize!r:.60}"
        )
    w, h = (finite_number(v, "figsize") for v in figsize)
    if not (0 < w <= 100 and 0 < h <= 100):
        raise DfdxError(f"figsize must be between 0 and 100 inches, got {figsize!r}")
    return w, h


@one_font_warning
def plot_function(
    f,
    x=None,
    *,
    tangent_at=None,
    xlim=None,
    ylim=None,
    ax=None,
    output=None,
    legend: bool = True,
    xlabel: str | None = None,
    ylabel: str | None = None,
    figsize=(5.0, 3.5),
    lang: str = "en",
):
    """Plot f, breaking the curve at poles, optionally with its tangent line.

    Poles are marked with a dotted vertical line and named in the legend; the
    line never jumps across them and no RuntimeWarning is raised, even when a
    sample falls exactly on the pole (the chapter's exercise x³ − 1/x on
    ``np.arange(0, 3, 0.1)``).

    Parameters
    ----------
    f : str, Expression or callable
        The function of one variable.
    x : array_like, optional
        Sample points (e.g. ``np.arange(0, 3, 0.1)``); refined near poles.
        Default: 801 points over `xlim`.
    tangent_at : float, optional
        Draw the tangent line there, its equation in the legend.
    xlim, ylim : (float, float), optional
        Axis limits. `xlim` defaults to the range of `x`, else a window of
        width 4 around `tangent_at`, else (-5, 5). `ylim` defaults to a range
        that keeps the curve readable when there are poles.
    ax : matplotlib Axes, optional
        Where to draw; a new figure if omitted.
    output : str or path, optional
        Save the figure there (.svg, .png or .pdf).
    legend : bool, optional
        Draw a legend (default True).
    lang : {'en', 'zh'}, optional
        Language of the legend's words (tangent line, pole, jump).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np, dfdx
    >>> ax = dfdx.plot_function("x^3 - 1/x", np.arange(0, 3, 0.1), tangent_at=1)
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['$f(x) = x^{3} - \\\\frac{1}{x}$', 'Tangent line at $x = 1$: $y = 4 x - 4$', 'pole at x = 0']
    """
    check_lang(lang)
    func, label, var = _function_and_label(f)
    xlim = _check_lim(xlim, "xlim")
    ylim = _check_lim(ylim, "ylim")
    _check_ax(ax)
    legend = flag(legend, "legend")
    xlabel = optional_text(xlabel, "xlabel")
    ylabel = optional_text(ylabel, "ylabel")
    figsize = _check_figsize(figsize)
    tangent = None
    if tangent_at is not None:
        from dfdx.exact.symbolic import tangent_line

        tangent = tangent_line(f, tangent_at)
    if x is None:
        if xlim is None:
            xlim = (tangent.point - 2, tangent.point + 2) if tangent else (-5.0, 5.0)
        s = sample(func, xlim=xlim)
    else:
        x = float_array(x, "x")
        s = sample(func, x)
    if ylim is None:
        _check_drawable(s.y, label, s.ylim)
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
    curve = (
        math_label(func, f"f({var}) = ") if is_expression_like(f) else f"{label}({var})"
    )
    ax.plot(s.x, s.y, "-", color="C0", label=curve)
    if tangent is not None:
        tx = np.array([s.x[0], s.x[-1]]) if xlim is None else np.array(xlim)
        ax.plot(
            tx,
            tangent(tx),
            "m--",
            label=_tangent_label(tangent, var, lang),
        )
        ax.plot([tangent.point], [tangent.value], "o", color="m", markersize=4)
    for p in s.poles:
        ax.axvline(
            p,
            color="0.5",
            linestyle=":",
            linewidth=1,
            label=_w("pole", lang, var=var, p=_exact_text(p)),
        )
    for j in s.jumps:
        ax.axvline(
            j,
            color="0.7",
            linestyle=":",
            linewidth=0.8,
            label=_w("jump", lang, var=var, p=_num(j)),
        )
    ax.set_xlabel(xlabel or var)
    ax.set_ylabel(ylabel or f"f({var})")
    if xlim is not None:
        ax.set_xlim(_clear_of_edges(xlim, [*s.poles, *s.jumps]))
    if ylim is not None:
        ax.set_ylim(ylim)
    elif s.ylim is not None:
        ax.set_ylim(s.ylim)
    ax.grid(True, alpha=0.4)
    prepare_figure(ax.figure)
    if legend:
        place_legend(ax, fontsize="small")
    if output is not None:
        save_figure(ax, output)
    return ax


#: Largest |f| that linear axes can show (matplotlib's tick arithmetic
#: overflows near the float maximum).
_MAX_DRAWABLE = 1e150


def _check_drawable(y, label: str, suggested_ylim) -> None:
    """Refuse a range where f is too large to draw, rather than crash or draw
    an axis of 1e308."""
    finite = y[np.isfinite(y)]
    if suggested_ylim is not None or not finite.size:
        return
    top = float(np.max(np.abs(finite)))
    if top > _MAX_DRAWABLE:
        raise DfdxError(
            f"f = {label} reaches {top:.3g} on this range, too large to draw on "
            "linear axes; narrow the x range (xlim) or give ylim"
        )


def plot_tangent(f, at, **kwargs):
    """Plot f and its tangent line at x = `at` (see :func:`plot_function`).

    Examples
    --------
    >>> import dfdx
    >>> ax = dfdx.plot_tangent("3x^2 - 4x", 1, xlim=(0, 3))
    >>> ax.lines[1].get_label()
    'Tangent line at $x = 1$: $y = 2 x - 3$'
    """
    return plot_function(f, tangent_at=at, **kwargs)


def _clear_of_edges(xlim, lines) -> tuple[float, float]:
    """`xlim` widened by 3 % on a side where a pole or jump line would sit on
    the frame (1/x on [0, 3]): drawn on the axis edge, the line is hidden."""
    lo, hi = float(xlim[0]), float(xlim[1])
    span = hi - lo
    pad_lo = any(abs(p - lo) <= 0.01 * span for p in lines)
    pad_hi = any(abs(p - hi) <= 0.01 * span for p in lines)
    return (lo - 0.03 * span if pad_lo else lo, hi + 0.03 * span if pad_hi else hi)


def _exact_text(v: float) -> str:
    """A point in textbook notation where it is a simple multiple of π or a
    simple fraction (a pole of tan at π/2 is π/2, not 1.5708); else its
    decimal."""
    import sympy

    from dfdx.text.textbook import textbook

    v = float(v)
    if v == 0 or not np.isfinite(v):
        return _num(v)
    for basis in ([sympy.pi], []):
        try:
            near = sympy.nsimplify(
                v, basis, tolerance=1e-9 * max(1.0, abs(v)), rational=not basis
            )
        except (ValueError, TypeError):
            continue
        c = near / sympy.pi if basis else near
        if not (c.is_Rational and c.q <= 12 and abs(c.p) <= 100):
            continue
        if abs(float(near) - v) <= 1e-9 * max(1.0, abs(v)):
            return textbook(near)
    return _num(v)


def _num(v: float) -> str:
    v = float(v)
    if v == 0:
        return "0"
    return f"{v:g}"


def _truncation_order(hs, err, roundoff) -> int | None:
    """The slope of the truncation error, measured where it stands well above
    round-off (100 times), rounded to a whole number; None where the error is
    round-off all along (no truncation error: central differences of a
    quadratic) or follows no clear power of h."""
    top = np.isfinite(err) & (err > 100 * roundoff)
    if top.sum() < 8:
        return None
    i = np.flatnonzero(top)
    run = i[: np.argmax(np.diff(i) > 1) + 1] if (np.diff(i) > 1).any() else i
    if run.size < 8 or hs[run[0]] / hs[run[-1]] < 10:
        return None
    slope = np.polyfit(np.log(hs[run]), np.log(err[run]), 1)[0]
    order = int(round(slope))
    if order < 1 or abs(slope - order) > 0.3:
        return None
    return order


@one_font_warning
def plot_error_vs_h(
    f,
    x: float,
    *,
    exact=None,
    h_max: float = 0.1,
    h_min: float = 1e-16,
    marks=None,
    title: str | None = None,
    ax=None,
    output=None,
    lang: str = "en",
):
    """Log–log error of forward and central differences against h.

    For large h the truncation error dominates (slope 1 for forward, 2 for
    central differences); for small h round-off, about eps·|f(x)|/h, takes over
    (slope −1). The best h sits where they meet: near √eps ≈ 1.5e-8 for forward
    and eps^(1/3) ≈ 6e-6 for central differences (for f of order 1).

    Parameters
    ----------
    f : callable or expression text
    x : float
    exact : float, optional
        The exact derivative; if omitted it comes from the exact derivative of
        an expression, else from :func:`dfdx.derivative` (and the plot says so).
    h_max, h_min : float
        Range of h.
    marks : (scheme, h, values), optional
        Rows of a limit table to mark on the curve.
    ax, output : see :func:`plot_function`.
    lang : {'en', 'zh'}, optional
        Language of the labels, legend and title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    check_lang(lang)
    _check_ax(ax)
    if not (0 < h_min < h_max):
        raise DfdxError(f"need 0 < h_min < h_max, got h_min={h_min!r}, h_max={h_max!r}")
    func, label, var = _function_and_label(f)
    reference = _w("exact", lang)
    if exact is None:
        if is_expression_like(f):
            from dfdx.exact.symbolic import derivative_at

            # raises UndefinedError / NotDifferentiableError where there is no
            # derivative to measure the error against (abs(x) at 0)
            exact = float(derivative_at(func, x)[1])
        if exact is None:
            from dfdx.numeric import derivative

            res = derivative(func, x)
            if res.status != 0 or not np.isfinite(float(res.df)):
                raise DfdxError(
                    f"no reliable derivative of f at x = {x:g} ({res.message}); "
                    "the error-versus-h plot needs one: pass exact="
                )
            exact = float(res.df)
            reference = _w("numerical", lang, e=f"{float(res.error):.0e}")
    hs = np.geomspace(h_max, h_min, 121)
    with np.errstate(all="ignore"):
        fwd = (evaluate(func, x + hs) - evaluate(func, np.full_like(hs, x))) / hs
        cen = (evaluate(func, x + hs) - evaluate(func, x - hs)) / (2 * hs)
    err_f = np.abs(fwd - exact)
    err_c = np.abs(cen - exact)
    # log axes cannot show 0: leave those points out rather than invent a value
    err_f = np.where(err_f > 0, err_f, np.nan)
    err_c = np.where(err_c > 0, err_c, np.nan)
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 3.8))
    ax.loglog(hs, err_f, "-", color="C0", label=_w("forward", lang))
    ax.loglog(hs, err_c, "-", color="C1", label=_w("central", lang))
    fx = float(evaluate(func, np.array([x]))[0])
    scale = max(abs(fx), abs(exact), 1e-300)
    roundoff = _EPS * scale / hs
    # guides drawn above the data, a factor 10 above it so they stay visible;
    # h increases to the right, so each guide's slope is the one it names
    ax.loglog(
        hs,
        10 * roundoff,
        ":",
        color="0.25",
        linewidth=1.2,
        zorder=4,
        label=_w("roundoff", lang),
    )
    for err, color, scheme in ((err_f, "C0", "forward"), (err_c, "C1", "central")):
        order = _truncation_order(hs, err, roundoff)
        if order is None:
            # central differences of a quadratic: no truncation error to guide
            ax.plot(
                [],
                [],
                " ",
                label=_w("no_truncation", lang, scheme=_w(f"{scheme}_scheme", lang)),
            )
            continue
        i = int(np.flatnonzero(np.isfinite(err))[0])
        guide = 10 * err[i] * (hs / hs[i]) ** order
        keep = guide > roundoff
        ax.loglog(
            hs[keep],
            guide[keep],
            "--",
            color=color,
            linewidth=1.2,
            zorder=4,
            label=_w("truncation", lang, k=order),
        )
    if marks is not None:
        scheme, mh, mv = marks
        mh = np.asarray(mh, dtype=float)
        me = np.abs(np.asarray(mv, dtype=float) - exact)
        ok = me > 0
        color = "C1" if scheme == "central" else "C0"
        ax.loglog(
            mh[ok],
            me[ok],
            "o",
            color=color,
            markersize=4,
            label=_w("rows", lang, scheme=_w(f"{scheme}_scheme", lang)),
        )
    ax.set_xlabel(_w("step", lang))
    ax.set_ylabel(_w("error", lang, ref=reference))
    ax.grid(True, which="major", alpha=0.4)
    shown = math_label(func, lang=lang) if is_expression_like(f) else label
    ax.set_title(
        title or _w("at", lang, f=shown, var=var, x=f"{x:g}"), fontsize="medium"
    )
    prepare_figure(ax.figure)
    place_legend(ax, fontsize="x-small")
    if output is not None:
        save_figure(ax, output)
    return ax
