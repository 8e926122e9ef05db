"""Pictures of functions of two variables: gradient fields over contour
lines, and the tangent plane at a point of a surface.

The arrows are the exact gradient (SymPy), evaluated on a grid; the quiver's
U, V data are the gradient components themselves (only the drawing scale is
adjusted so the longest arrow fits one grid cell).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from dfdx.core._checks import finite_number
from dfdx.core._fonts import one_font_warning
from dfdx.core.i18n import check_lang, localise
from dfdx.errors import DfdxError
from dfdx.plotting.figures import _check_ax, math_label, save_figure
from dfdx.plotting.labels import _check_lim
from dfdx.plotting.legend import place_legend
from dfdx.text.expr import as_expression
from dfdx.text.textbook import for_people

__all__ = ["plot_gradient_field", "plot_tangent_plane"]

_FORMATS = (".svg", ".png", ".pdf")


def _two_variables(expr):
    e = as_expression(expr, name="expr")
    if len(e.variables) != 2:
        raise DfdxError(
            f"expr must have exactly two variables, got {len(e.variables)} "
            f"({', '.join(e.variables) or 'none'}) in {for_people(e)}"
        )
    return e


def _window(lim, name: str, centre: float | None) -> tuple[float, float]:
    if lim is None:
        c = 0.0 if centre is None else centre
        return (c - 2.0, c + 2.0)
    return _check_lim(lim, name)


def _check_inside(point, xlo, xhi, ylo, yhi) -> None:
    """The marked point must be in the window (it would not be drawn)."""
    if point is None:
        return
    a, b = point
    if not (xlo <= a <= xhi and ylo <= b <= yhi):
        raise DfdxError(
            f"at ({_n(a)}, {_n(b)}) is outside the window x in [{_n(xlo)}, "
            f"{_n(xhi)}], y in [{_n(ylo)}, {_n(yhi)}]; widen xlim/ylim"
        )


def _check_output(output):
    if output is None:
        return None
    from dfdx.core._files import output_path

    return output_path(output, _FORMATS)


def _finite(a):
    a = np.asarray(a, dtype=float)
    return np.where(np.isfinite(a), a, np.nan)


def _grad_funcs(e):
    """The exact gradient, and a vectorised NumPy function of it."""

    from dfdx.several.multivariate import gradient
    from dfdx.text.codegen import lambdify_numpy

    g = gradient(e)
    syms = [e.symbol(v) for v in e.variables]
    funcs = [lambdify_numpy(syms, c.sympy) for c in g.components]

    def evaluate(X, Y):
        with np.errstate(all="ignore"):
            return tuple(_finite(np.broadcast_to(f(X, Y), X.shape)) for f in funcs)

    return g, evaluate


def _point(e, at):
    from dfdx.several.multivariate import _point as norm_point

    values = norm_point(at, e.variables, e.variables)
    return values[e.variables[0]], values[e.variables[1]]


_WORDS = {
    "field": ("contours and gradient", "等高线与梯度"),
    "plane": ("tangent plane", "切平面"),
    "plane_at": ("tangent plane at", "切平面，切点"),
    "ascent": ("steepest ascent", "最速上升方向"),
}


_w = functools.partial(localise, _WORDS)


@one_font_warning
def plot_gradient_field(
    expr,
    *,
    at=None,
    xlim=None,
    ylim=None,
    ax=None,
    output=None,
    density: int = 15,
    levels: int = 15,
    lang: str = "en",
):
    """Gradient arrows over the contour lines of a function of two variables.

    Parameters
    ----------
    expr : str, Expression or sympy.Expr
        A function of exactly two variables; the first (natural order) is
        the horizontal axis, e.g. ``"x1^2 + 2 x2^2"``.
    at : mapping or sequence, optional
        A point to mark, with its gradient drawn as a red arrow.
    xlim, ylim : (float, float), optional
        The window (default: 4 wide, centred on `at` or on 0).
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).
    output : str or path, optional
        Save the figure there; the format comes from the extension
        (``.svg``, ``.png``, ``.pdf``).
    density : int, optional
        Arrows per side (3 to 60, default 15).
    levels : int, optional
        Number of contour levels (2 to 100, default 15).
    lang : {'en', 'zh'}, optional
        Language of the title and legend.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.collections`` hold the contour set and the quivers (the field
        first, then the arrow at `at`).

    Examples
    --------
    >>> import dfdx
    >>> ax = dfdx.plot_gradient_field("x1^2 + 2 x2^2", at={"x1": 1, "x2": 1})
    >>> field, marked = ax.collections[-2:]
    >>> (marked.U[0], marked.V[0])  # the gradient [2 x1, 4 x2] at (1, 1)
    (np.float64(2.0), np.float64(4.0))
    """
    check_lang(lang)
    e = _two_variables(expr)
    path = _check_output(output)
    _check_ax(ax)
    for name, v, lo, hi in (("density", density, 3, 60), ("levels", levels, 2, 100)):
        if (
            isinstance(v, bool)
            or not isinstance(v, (int, np.integer))
            or not (lo <= v <= hi)
        ):
            raise DfdxError(f"{name} must be an integer from {lo} to {hi}, got {v!r}")
    point = None if at is None else _point(e, at)
    xlo, xhi = _window(xlim, "xlim", None if point is None else point[0])
    ylo, yhi = _window(ylim, "ylim", None if point is None else point[1])
    _check_inside(point, xlo, xhi, ylo, yhi)
    g, grad = _grad_funcs(e)
    point_grad = None if point is None else g.at(list(point))
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5.0, 4.2))
    vx, vy = e.variables
    xs = np.linspace(xlo, xhi, 201)
    ys = np.linspace(ylo, yhi, 201)
    X, Y = np.meshgrid(xs, ys)
    Z = _finite(np.broadcast_to(e(**{vx: X, vy: Y}), X.shape))
    if np.isfinite(Z).any() and np.nanmax(Z) > np.nanmin(Z):
        cs = ax.contour(X, Y, Z, levels=levels, cmap="viridis", linewidths=0.9)
        _label_inside(ax, X, Y, Z, cs.levels)
    # arrows: the exact gradient on a coarse grid
    qx = np.linspace(xlo, xhi, density + 2)[1:-1]
    qy = np.linspace(ylo, yhi, density + 2)[1:-1]
    QX, QY = np.meshgrid(qx, qy)
    U, V = grad(QX, QY)
    # no arrows where f itself is undefined (1/x is finite where log x is not)
    undefined = ~np.isfinite(_finite(np.broadcast_to(e(**{vx: QX, vy: QY}), QX.shape)))
    U, V = np.where(undefined, np.nan, U), np.where(undefined, np.nan, V)
    length = np.hypot(U, V)
    cell = min(
        qx[1] - qx[0] if density > 1 else 1.0, qy[1] - qy[0] if density > 1 else 1.0
    )
    longest = np.nanmax(length) if np.isfinite(length).any() else 0.0
    scale = longest / (0.9 * cell) if longest > 0 else 1.0
    ax.quiver(
        QX,
        QY,
        U,
        V,
        color="#4b5563",
        angles="xy",
        scale_units="xy",
        scale=scale,
        width=0.004,
        label="∇f",
    )
    if point is not None and point_grad is not None:  # both or neither
        a, b = point
        gx, gy = point_grad
        ax.plot([a], [b], "o", color="#dc2626", markersize=6, zorder=5)
        ax.quiver(
            [a],
            [b],
            [gx],
            [gy],
            color="#dc2626",
            angles="xy",
            scale_units="xy",
            scale=_marked_scale(point_grad, xhi - xlo, yhi - ylo),
            width=0.008,
            zorder=6,
            label=f"∇f({_n(a)}, {_n(b)}) = [{_n(gx)}, {_n(gy)}]",
        )
        place_legend(ax, fontsize=8, framealpha=0.9)
    ax.set_xlim(xlo, xhi)
    ax.set_ylim(ylo, yhi)
    ax.set_xlabel(vx)
    ax.set_ylabel(vy)
    ax.set_aspect("equal", adjustable="box")
    sep = ": " if lang == "en" else "："
    ax.set_title(
        f"{math_label(e, f'f({vx}, {vy}) = ', lang)}{sep}{_w('field', lang)}",
        fontsize=9,
    )
    if path is not None:
        save_figure(ax.figure, path)
    return ax


def _marked_scale(g, w: float, h: float) -> float:
    """Draw the marked gradient a quarter of the window long (its true
    length is in the legend)."""
    n = float(np.hypot(*g))
    return n / (0.25 * min(w, h)) if n > 0 else 1.0


def _label_inside(ax, X, Y, Z, levels) -> None:
    """Label the contour lines away from the frame: the labels sit on the
    same levels computed over the inner 84 % of the window (drawn with no
    line), on a white ground over the visible line, so none is clipped by
    the axes' edge."""
    n, m = Z.shape
    rows = slice(round(0.08 * n), round(0.92 * n))
    cols = slice(round(0.08 * m), round(0.92 * m))
    inner = Z[rows, cols]
    if not np.isfinite(inner).any() or not np.nanmax(inner) > np.nanmin(inner):
        return
    hidden = ax.contour(
        X[rows, cols], Y[rows, cols], inner, levels=levels, linewidths=0, alpha=0
    )
    for text in ax.clabel(hidden, inline=False, fontsize=7, fmt="%.3g", colors="0.15"):
        text.set_alpha(1)
        text.set_bbox({"facecolor": "white", "edgecolor": "none", "pad": 0.6})


def _term(c: float, var: str, at: float) -> str:
    """One term of the plane's equation, `` + c(x − a)``: none where c is 0,
    no coefficient where it is ±1 (`` − (y − 0.5)``), no shift at a = 0."""
    if c == 0:
        return ""
    sign = "−" if c < 0 else "+"
    if at == 0:
        shift = var
    else:
        shift = f"({var} − {_n(at)})" if at > 0 else f"({var} + {_n(-at)})"
    coefficient = "" if abs(c) == 1 else _n(abs(c))
    if coefficient and at == 0:
        coefficient += "·" if not shift[0].isalpha() else ""
    return f" {sign} {coefficient}{shift}"


def _n(v: float) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:.4g}"


@one_font_warning
def plot_tangent_plane(
    expr,
    *,
    at,
    xlim=None,
    ylim=None,
    ax=None,
    output=None,
    size: float | None = None,
    lang: str = "en",
):
    """A surface z = f(x, y) with its tangent plane at a point.

    The tangent plane is z = f(a, b) + f_x(a, b)(x − a) + f_y(a, b)(y − b),
    drawn as a translucent patch with its outline; the point is marked, and
    the gradient direction is drawn on the plane (the way up, steepest).

    Parameters
    ----------
    expr : str, Expression or sympy.Expr
        A function of exactly two variables.
    at : mapping or sequence
        The point of tangency (a, b).
    xlim, ylim : (float, float), optional
        The window of the surface (default: 4 wide, centred on the point).
    ax : matplotlib 3-D Axes, optional
        Where to draw (default: a new figure with a 3-D axes).
    output : str or path, optional
        Save the figure there (``.svg``, ``.png`` or ``.pdf``).
    size : float, optional
        Half-width of the drawn tangent patch (default: a quarter of the
        window).
    lang : {'en', 'zh'}, optional
        Language of the title and legend.

    Returns
    -------
    mpl_toolkits.mplot3d.axes3d.Axes3D
        ``ax.lines`` are the plane's outline, then the gradient direction;
        ``ax.collections`` the surface, the plane and the point.

    Examples
    --------
    >>> import dfdx
    >>> ax = dfdx.plot_tangent_plane("x^2 + y^2", at={"x": 1, "y": 1})
    >>> xs, ys, zs = ax.lines[0].get_data_3d()  # the plane's outline
    >>> bool(abs(zs[0] - (2 + 2 * (xs[0] - 1) + 2 * (ys[0] - 1))) < 1e-12)
    True
    """
    check_lang(lang)
    e = _two_variables(expr)
    path = _check_output(output)
    a, b = _point(e, at)
    xlo, xhi = _window(xlim, "xlim", a)
    ylo, yhi = _window(ylim, "ylim", b)
    _check_inside((a, b), xlo, xhi, ylo, yhi)
    if size is None:
        size = min(xhi - xlo, yhi - ylo) / 3
    elif finite_number(size, "size") <= 0:
        raise DfdxError(f"size must be a positive number, got {size!r}")
    else:
        size = float(size)
    from dfdx.several.multivariate import gradient

    grad_at = gradient(e, at=[a, b])
    assert isinstance(grad_at, np.ndarray)  # an expression at a point: an array
    gx, gy = grad_at
    vx, vy = e.variables
    fa = float(e(**{vx: a, vy: b}))
    import matplotlib.pyplot as plt

    if ax is None:
        fig = plt.figure(figsize=(5.5, 4.6))
        ax = fig.add_subplot(projection="3d")
    elif getattr(ax, "name", "") != "3d":
        raise DfdxError("ax must be a 3-D axes (projection='3d')")
    xs = np.linspace(xlo, xhi, 61)
    ys = np.linspace(ylo, yhi, 61)
    X, Y = np.meshgrid(xs, ys)
    Z = _finite(np.broadcast_to(e(**{vx: X, vy: Y}), X.shape))
    # draw in this order, not by mplot3d's depth sort, which hid the point and
    # the gradient arrow behind the surface
    ax.computed_zorder = False
    ax.plot_surface(
        X,
        Y,
        np.ma.masked_invalid(Z),
        cmap="viridis",
        alpha=0.55,
        linewidth=0,
        antialiased=True,
        rstride=2,
        cstride=2,
        zorder=1,
    )

    def plane(x, y):
        return fa + gx * (x - a) + gy * (y - b)

    px = np.linspace(a - size, a + size, 2)
    py = np.linspace(b - size, b + size, 2)
    PX, PY = np.meshgrid(px, py)
    ax.plot_surface(
        PX, PY, plane(PX, PY), color="#f97316", alpha=0.8, linewidth=0, zorder=2
    )
    ox = np.array([a - size, a + size, a + size, a - size, a - size])
    oy = np.array([b - size, b - size, b + size, b + size, b - size])
    ax.plot(
        ox,
        oy,
        plane(ox, oy),
        color="#c2410c",
        linewidth=1.2,
        label=_w("plane", lang),
        zorder=3,
    )
    norm = math.hypot(gx, gy)
    if norm > 0:
        t = size / norm
        ex, ey = a + gx * t, b + gy * t
        ax.plot(
            [a, ex],
            [b, ey],
            [fa, plane(ex, ey)],
            color="#dc2626",
            linewidth=2.2,
            label=f"∇f = [{_n(gx)}, {_n(gy)}] ({_w('ascent', lang)})",
            zorder=10,
        )
    ax.scatter(
        [a],
        [b],
        [fa],
        color="#dc2626",
        edgecolor="white",
        s=40,
        depthshade=False,
        zorder=11,
    )
    ax.set_xlabel(vx)
    ax.set_ylabel(vy)
    ax.set_zlabel("f")
    ax.set_title(
        f"{math_label(e, f'f({vx}, {vy}) = ', lang)}\n{_w('plane_at', lang)} ({_n(a)}, {_n(b)}): "
        f"z = {_n(fa)}{_term(gx, vx, a)}{_term(gy, vy, b)}",
        fontsize=8,
    )
    ax.legend(loc="upper left", fontsize=7)
    if path is not None:
        save_figure(ax.figure, path)
    return ax
