"""The d2l plotting helpers, as a drop-in for ``from d2l import torch as d2l``.

The calculus chapter of *Dive into Deep Learning* (§2.4) uses five names from
the ``d2l`` package: ``plt``, ``use_svg_display``, ``set_figsize``, ``set_axes``
and ``plot``. This module provides them with d2l's signatures, so the chapter's
code runs with only the import line changed::

    from dfdx import d2l          # instead of: from d2l import torch as d2l

For up to four curves the figure is the same as d2l's: the same data, formats,
labels, scales, limits, legend and grid. d2l's defects are fixed:

* curves beyond ``len(fmts)`` are drawn (the formats cycle) instead of being
  silently dropped;
* :func:`plot` returns the axes it drew on;
* an empty series, or ``X`` and ``Y`` of different lengths, raise a
  :class:`~dfdx.DfdxError` (a ``ValueError``) that names the parameter, instead
  of an ``IndexError`` or a wrong figure;
* :func:`use_svg_display` does nothing outside IPython instead of creating a
  stray IPython shell;
* no mutable default arguments.

Importing this module imports matplotlib (``pyplot``) but neither IPython nor
torch; torch tensors, NumPy arrays and lists are accepted as in d2l.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from itertools import cycle

import matplotlib.pyplot as plt

from dfdx.core._fonts import one_font_warning, prepare_text
from dfdx.errors import DfdxError
from dfdx.plotting.legend import place_legend

__all__ = ["plt", "use_svg_display", "set_figsize", "set_axes", "plot"]

_DEFAULT_FMTS = ("-", "m--", "g-.", "r:")


def use_svg_display():
    """Use the SVG format to display figures in Jupyter.

    Inside a running IPython shell or kernel this selects SVG for inline
    figures, as d2l does. Outside IPython it does nothing: unlike d2l it never
    imports IPython nor creates an IPython shell, and it never raises.

    Returns
    -------
    None

    Examples
    --------
    >>> from dfdx import d2l
    >>> d2l.use_svg_display()  # a no-op outside IPython
    """
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return
    try:
        if ipython.get_ipython() is None:
            return
        from matplotlib_inline import backend_inline

        backend_inline.set_matplotlib_formats("svg")
    except Exception:  # display settings must never break the user's code
        return


def set_figsize(figsize=(3.5, 2.5)):
    """Set the default figure size for matplotlib (and SVG display).

    Parameters
    ----------
    figsize : tuple of float, default (3.5, 2.5)
        Width and height in inches, stored in ``plt.rcParams['figure.figsize']``;
        it applies to figures created afterwards.

    Examples
    --------
    >>> from dfdx import d2l
    >>> d2l.set_figsize((4, 3))
    >>> [float(v) for v in d2l.plt.rcParams['figure.figsize']]
    [4.0, 3.0]
    >>> d2l.plt.rcdefaults()
    """
    use_svg_display()
    plt.rcParams["figure.figsize"] = figsize


def set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend):
    """Set the labels, scales, limits, legend and grid of matplotlib axes.

    Parameters
    ----------
    axes : matplotlib.axes.Axes
        The axes to set up.
    xlabel, ylabel : str or None
        Axis labels (``None`` leaves the label empty).
    xlim, ylim : tuple of float or None
        Axis limits (``None`` keeps the automatic limits).
    xscale, yscale : str
        Axis scales: ``'linear'``, ``'log'``, ...
    legend : sequence of str or None
        Legend entries, one per curve in drawing order; no legend if empty or
        ``None``.

    Notes
    -----
    The grid is turned on. d2l calls ``axes.grid()``, which *toggles* the grid
    and so turns it off when it was already on; this function always turns it
    on, which is the same for a freshly cleared axes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from dfdx import d2l
    >>> fig, ax = d2l.plt.subplots()
    >>> d2l.set_axes(ax, 'h', 'error', None, None, 'log', 'log', None)
    >>> ax.get_xscale(), ax.get_yscale(), ax.get_xlabel()
    ('log', 'log', 'h')
    >>> d2l.plt.close(fig)
    """
    prepare_text([str(xlabel or ""), str(ylabel or ""), *map(str, legend or ())])
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    axes.set_xlim(xlim)
    axes.set_ylim(ylim)
    if legend is not None and len(legend):
        # where it covers no curve (d2l's 'best' often sits on one)
        place_legend(axes, list(legend))
    axes.grid(True)


def _is_number(v) -> bool:
    """A plain number, a NumPy scalar or a 0-d array/tensor."""
    return getattr(v, "ndim", None) == 0 or not hasattr(v, "__len__")


def _has_one_axis(X):
    """d2l's test: is `X` a single series (1-D array/tensor or list of numbers)?
    Also true for a tuple of numbers and a list of 0-d tensors, which d2l
    would fail on."""
    return (
        hasattr(X, "ndim")
        and X.ndim == 1
        or isinstance(X, (list, tuple))
        and _is_number(X[0])
    )


def _length(value, name):
    """``len(value)``, or a :class:`DfdxError` naming `name` if it has none."""
    try:
        return len(value)
    except TypeError:
        raise DfdxError(
            f"{name} must be a list, an array or a tensor of numbers, "
            f"not {type(value).__name__}"
        ) from None


def _plain(series):
    """A tensor that may track gradients or live on a GPU as a NumPy array.

    d2l hands tensors to matplotlib as they are, which fails for a tensor with
    ``requires_grad=True``; any object with ``detach`` and ``cpu`` (a torch
    tensor) is converted without importing torch.
    """
    if hasattr(series, "detach") and hasattr(series, "cpu"):
        return series.detach().cpu().numpy()
    return series


def _plain_series(series):
    """A series for matplotlib: tensors as arrays, 0-d tensors as numbers."""
    series = _plain(series)
    if isinstance(series, (list, tuple)):
        return [_plain(v) for v in series]
    return series


def _as_series(data, name):
    """`data` as a list of series, d2l-style, refusing empty input."""
    if isinstance(data, (str, bytes, Mapping)):
        raise DfdxError(
            f"{name} must be a list, an array or a tensor of numbers, "
            f"not {type(data).__name__}"
        )
    if _length(data, name) == 0:
        raise DfdxError(f"{name} is empty: nothing to plot")
    if _has_one_axis(data):
        return [data]
    series = list(data)
    for i, s in enumerate(series):
        if _length(s, f"{name}[{i}]") == 0:
            raise DfdxError(f"{name}[{i}] is empty: nothing to plot")
    return series


_COLOUR_LETTERS = set("bgrcmykw")
_REPEAT_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_REPEAT_COLOURS = ("#8c564b", "#17becf", "#bcbd22", "#7f7f7f", "#e377c2", "#ff7f0e")


def _repeat_style(fmt: str, extra: int, n: int) -> dict:
    """Style of the curve `extra` places past the last format:
    d2l's cycle gives curve 6 the look of curve 2 (both 'm--'); here the dash
    is kept, the colour too when the format names one, and a sparse marker
    (and, for a format without a colour, a new colour) makes every curve differ."""
    own = fmt[:1] if fmt[:1] in _COLOUR_LETTERS else None
    rest = fmt[1:] if own else fmt
    linestyle = next((ls for ls in ("--", "-.", ":", "-") if ls in rest), "-")
    return {
        "linestyle": linestyle,
        # a colour the format names is kept (fmts="r--": all red); the marker
        # tells the curves apart
        "color": own or _REPEAT_COLOURS[extra % len(_REPEAT_COLOURS)],
        "marker": _REPEAT_MARKERS[extra % len(_REPEAT_MARKERS)],
        "markevery": max(1, n // 8),
        "markersize": 4,
    }


@one_font_warning
def plot(
    X,
    Y=None,
    xlabel=None,
    ylabel=None,
    legend=None,
    xlim=None,
    ylim=None,
    xscale="linear",
    yscale="linear",
    fmts=_DEFAULT_FMTS,
    figsize=(3.5, 2.5),
    axes=None,
):
    """Plot data points, as d2l's ``plot``.

    Parameters
    ----------
    X : array, tensor or list
        x values: one series (1-D array/tensor, list of numbers) shared by
        every curve, or one series per curve. If `Y` is ``None``, `X` holds
        the y values instead and each curve is plotted against its index.
    Y : array, tensor or list, optional
        y values: one series, or several (a 2-D array or a list of series).
    xlabel, ylabel : str, optional
        Axis labels.
    legend : sequence of str, optional
        Legend entries, one per curve.
    xlim, ylim : tuple of float, optional
        Axis limits.
    xscale, yscale : str, default 'linear'
        Axis scales, e.g. ``'log'``.
    fmts : sequence of str, default ('-', 'm--', 'g-.', 'r:')
        matplotlib format strings, used in turn. With more curves than
        formats they cycle with a marker added (and a new colour where the
        format names none): d2l repeats them exactly, so its curve 6 looks like
        curve 2. A single string is one format.
    figsize : tuple of float, default (3.5, 2.5)
        Default figure size, set through :func:`set_figsize` (it applies to
        figures created afterwards, as in d2l).
    axes : matplotlib.axes.Axes, optional
        Where to draw; default the current axes (``plt.gca()``). It is
        cleared first.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    DfdxError
        If `X`, `Y` or one of their series is empty, if the numbers of `X`
        and `Y` series differ (other than one shared `X`), if a curve's x and
        y have different lengths, or if `fmts` is empty.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from dfdx import d2l
    >>> x = [0.0, 1.0, 2.0]
    >>> ax = d2l.plot(x, [[0.0, 1.0, 4.0], [0.0, 2.0, 4.0]], 'x', 'y',
    ...               legend=['x^2', '2x'])
    >>> from matplotlib.colors import to_hex
    >>> [(line.get_linestyle(), to_hex(line.get_color())) for line in ax.lines]
    [('-', '#1f77b4'), ('--', '#bf00bf')]
    >>> ax.lines[1].get_xydata().tolist()
    [[0.0, 0.0], [1.0, 2.0], [2.0, 4.0]]
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['x^2', '2x']
    >>> d2l.plt.close('all')
    """
    if isinstance(fmts, str):
        fmts = (fmts,)
    fmts = tuple(fmts)
    if not fmts:
        raise DfdxError("fmts is empty: give at least one format string")

    X = _as_series(X, "X")
    if Y is None:
        X, Y = [None] * len(X), X
    else:
        Y = _as_series(Y, "Y")
        shared = len(X) == 1
        if shared and len(Y) > 1:
            X = X * len(Y)  # one X shared by every Y series
        elif len(X) != len(Y):
            raise DfdxError(
                f"X has {len(X)} series but Y has {len(Y)}: "
                "give one X for all curves or one X per Y series"
            )
        for i, (x, y) in enumerate(zip(X, Y, strict=True)):
            nx, ny = len(x), len(y)
            if nx != ny:
                xname = "X" if shared else f"X[{i}]"
                yname = "Y" if len(Y) == 1 else f"Y[{i}]"
                raise DfdxError(
                    f"{xname} has {nx} values but {yname} has {ny}: "
                    "x and y must have the same length"
                )

    if legend is not None and len(legend) > len(Y):
        raise DfdxError(
            f"legend has {len(legend)} entries but there are {len(Y)} curves: "
            "give one entry per curve"
        )
    set_figsize(figsize)
    if axes is None:
        axes = plt.gca()
    axes.cla()
    for i, (x, y, fmt) in enumerate(zip(X, Y, cycle(fmts))):
        x, y = _plain_series(x), _plain_series(y)
        args = (y,) if x is None else (x, y)
        if i < len(fmts):
            axes.plot(*args, fmt)
        else:  # past the formats: same dash, new colour and marker
            axes.plot(*args, **_repeat_style(fmt, i - len(fmts), len(y)))
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend)
    from dfdx.core._fonts import prepare_figure

    prepare_figure(axes.figure)  # a Chinese legend or label: the CJK font
    return axes
