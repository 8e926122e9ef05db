"""Legends that cover no data.

matplotlib's ``loc='best'`` only minimises overlap: on ``tan(x)`` over
[-4, 4] or a gradient field every place overlaps something, and it still
puts the legend on the curve or the arrows. :func:`place_legend` tries the
usual places and keeps the first whose box holds no plotted point (lines
densified to a point every few pixels, markers, arrow bases and tips); when
none is free the legend goes outside the axes, to the right (figures are saved
with ``bbox_inches='tight'``, so it is kept).
"""

from __future__ import annotations

import numpy as np

from dfdx.core._fonts import prepare_figure

__all__ = ["place_legend", "data_points", "legend_overlaps"]

_PLACES = (
    "best",
    "upper right",
    "upper left",
    "lower left",
    "lower right",
    "center right",
    "center left",
    "upper center",
    "lower center",
)
#: Spacing, in pixels, of the points a drawn line is checked at.
_STEP_PX = 3.0


def _line_points(line, transform) -> np.ndarray:
    xy = np.asarray(line.get_xydata(), dtype=float)
    if xy.size == 0:
        return np.empty((0, 2))
    with np.errstate(all="ignore"):
        d = transform.transform(xy)
    ok = np.all(np.isfinite(d), axis=1)
    if line.get_linestyle() in ("None", "", " ") or len(d) < 2:
        return d[ok]
    pieces = [d[ok]]
    a, b = d[:-1], d[1:]
    seg_ok = ok[:-1] & ok[1:]
    lengths = np.hypot(*(b - a).T)
    for p, q, n in zip(a[seg_ok], b[seg_ok], lengths[seg_ok], strict=True):
        k = int(min(n // _STEP_PX, 2000))
        if k > 1:
            t = np.linspace(0, 1, k + 1)[1:-1, None]
            pieces.append(p + t * (q - p))
    return np.concatenate(pieces)


def data_points(ax) -> np.ndarray:
    """Display coordinates of what is drawn in `ax` (inside the axes)."""
    with np.errstate(all="ignore"):  # exp(x) to x = 1000: inf - inf
        return _data_points(ax)


def _data_points(ax) -> np.ndarray:
    out = [np.empty((0, 2))]
    for line in ax.lines:
        if line.get_visible():
            out.append(_line_points(line, line.get_transform()))
    for coll in ax.collections:
        if not coll.get_visible():
            continue
        offsets = np.asarray(coll.get_offsets(), dtype=float)
        if offsets.size:
            with np.errstate(all="ignore"):
                out.append(coll.get_offset_transform().transform(offsets))
        u = getattr(coll, "U", None)
        if u is not None and getattr(coll, "scale_units", None) == "xy" and coll.scale:
            tips = np.column_stack(
                [
                    np.ravel(coll.X) + np.ravel(coll.U) / coll.scale,
                    np.ravel(coll.Y) + np.ravel(coll.V) / coll.scale,
                ]
            )
            with np.errstate(all="ignore"):
                t = ax.transData.transform(tips)
                b = ax.transData.transform(
                    np.column_stack([np.ravel(coll.X), np.ravel(coll.Y)])
                )
            for s in (0.25, 0.5, 0.75, 1.0):
                out.append(b + s * (t - b))
    pts = np.concatenate(out)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    box = ax.get_window_extent()
    inside = (
        (pts[:, 0] >= box.x0)
        & (pts[:, 0] <= box.x1)
        & (pts[:, 1] >= box.y0)
        & (pts[:, 1] <= box.y1)
    )
    return pts[inside]


def legend_overlaps(ax, legend=None, pad: float = 2.0) -> int:
    """How many drawn points lie under the legend's box."""
    legend = legend if legend is not None else ax.get_legend()
    if legend is None:
        return 0
    renderer = ax.figure.canvas.get_renderer()
    box = legend.get_window_extent(renderer)
    pts = data_points(ax)
    under = (
        (pts[:, 0] >= box.x0 - pad)
        & (pts[:, 0] <= box.x1 + pad)
        & (pts[:, 1] >= box.y0 - pad)
        & (pts[:, 1] <= box.y1 + pad)
    )
    return int(under.sum())


def place_legend(ax, *args, **kwargs):
    """Add a legend (``ax.legend(*args, **kwargs)``) where it covers no data,
    else outside, right of the axes."""
    kwargs.pop("loc", None)
    for i, loc in enumerate(_PLACES):
        legend = ax.legend(*args, loc=loc, **kwargs)
        if i == 0:
            # Chinese labels get the CJK font before they are measured (else
            # the legend is placed by the boxes' widths, and each glyph warns;
            # the fallback then stays in rcParams for the legends that follow)
            prepare_figure(ax.figure)
        if legend_overlaps(ax, legend) == 0:
            return legend
    return ax.legend(
        *args, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **kwargs
    )
