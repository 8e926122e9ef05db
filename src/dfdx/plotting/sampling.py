"""Sampling a function for plotting without lying near poles.

A plain ``plt.plot(x, f(x))`` joins consecutive samples with straight lines, so a
pole between two samples becomes a vertical connector, and a sample exactly on
a pole triggers ``RuntimeWarning: divide by zero``. :func:`sample` evaluates
quietly, finds where the function blows up or jumps (by bisection between
suspicious neighbours), breaks the line there with NaN, and adds samples that
approach each pole so the curve climbs towards it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dfdx.errors import DfdxError

__all__ = ["Sampled", "sample", "evaluate"]

_BISECTIONS = 52


@dataclass(frozen=True)
class Sampled:
    """A function sampled for plotting.

    Attributes
    ----------
    x, y : ndarray
        Samples, sorted by x; ``y`` is NaN where the line must break.
    poles : tuple of float
        Where |f| grows without bound (vertical asymptotes).
    jumps : tuple of float
        Finite jump discontinuities.
    undefined : tuple of (float, float)
        Ranges where f is not a finite real number (e.g. log x for x < 0).
    ylim : tuple of float or None
        Suggested y-limits that keep the finite part readable when there are
        poles, else None (let matplotlib decide).
    """

    x: np.ndarray
    y: np.ndarray
    poles: tuple
    jumps: tuple
    undefined: tuple
    ylim: tuple | None


def evaluate(f, x: np.ndarray) -> np.ndarray:
    """f(x) as a float array of x's shape, without warnings; NaN where f is
    undefined or not real. Falls back to one call per point for functions that
    do not take arrays."""
    x = np.asarray(x, dtype=float)
    with np.errstate(all="ignore"):
        try:
            y = f(x)
            y = np.asarray(y)
            if y.shape != x.shape:
                y = np.broadcast_to(y, x.shape) if y.ndim == 0 else None
        except (
            TypeError,
            ValueError,
            ZeroDivisionError,
            OverflowError,
            ArithmeticError,
        ):
            y = None
        if y is None:
            y = np.array([_call_scalar(f, v) for v in x.ravel()]).reshape(x.shape)
    if np.iscomplexobj(y):
        y = np.where(
            np.abs(np.imag(y)) <= 1e-12 * np.abs(np.real(y)), np.real(y), np.nan
        )
    try:
        y = np.asarray(y, dtype=float)
    except (TypeError, ValueError):
        raise DfdxError("f must return numbers") from None
    return np.where(np.isfinite(y), y, np.nan)


def _call_scalar(f, v: float) -> float:
    try:
        out = f(float(v))
        return (
            float(np.real_if_close(out))
            if np.isrealobj(out) or np.isclose(np.imag(out), 0)
            else np.nan
        )
    except (ZeroDivisionError, ValueError, OverflowError, ArithmeticError, TypeError):
        return np.nan


def _classify(
    f, a: np.ndarray, b: np.ndarray, fa: np.ndarray, fb: np.ndarray, scale: float
):
    """Bisect each interval [a, b] towards its steepest part.

    Returns (kind, where) arrays: kind 0 = continuous, 1 = pole, 2 = jump,
    3 = undefined point inside.
    """
    a_start, b_start, fa_start, fb_start = a, b, fa, fb
    a, b, fa, fb = a.copy(), b.copy(), fa.copy(), fb.copy()
    kind = np.zeros(a.shape, dtype=int)
    where = (a + b) / 2
    active = np.ones(a.shape, dtype=bool)
    earlier = np.full(a.shape, np.inf)  # the gap 12 halvings before the end
    for step in range(_BISECTIONS):
        if not active.any():
            break
        if step == _BISECTIONS - 12:
            earlier = np.abs(fb - fa)
        m = (a + b) / 2
        fm = _raw(f, m)
        bad = active & ~np.isfinite(fm)
        kind[bad] = 3
        where[bad] = m[bad]
        for i in np.flatnonzero(bad & np.isinf(fm)):
            # f overflows at m (exp(-1/x) left of 0): the pole is where the
            # overflow meets the smaller end value, not at m
            small_a = abs(fa_start[i]) < abs(fb_start[i])
            other = a_start[i] if small_a else b_start[i]
            where[i] = _edge(f, m[i], other)[1]
        active &= ~bad
        left = np.abs(fm - fa) >= np.abs(fb - fm)
        b = np.where(active & left, m, b)
        fb = np.where(active & left, fm, fb)
        a = np.where(active & ~left, m, a)
        fa = np.where(active & ~left, fm, fa)
    gap = np.abs(fb - fa)
    big = np.maximum(np.abs(fa), np.abs(fb))
    tol = 1e-6 * max(scale, 1e-300)
    # a jump keeps its gap as the bracket halves; a continuous steep function
    # (a vertical tangent: x^(1/3) at 0) loses it, by 2^(-12/3) = 1/16 over 12
    # halvings even for a cube root
    settled = ~(gap < 0.5 * earlier)
    disc = active & (gap > tol) & (gap > 1e-9 * big) & settled
    pole = disc & (big > 1e6 * max(scale, 1.0))
    kind[pole] = 1
    kind[disc & ~pole] = 2
    where[active] = ((a + b) / 2)[active]
    # the differences cannot see a pole with the same sign on both sides
    # (tan(x)^2) when both ends are already large: look for a peak of |f|
    calm = np.flatnonzero(kind == 0)
    if calm.size:
        a0, b0 = a_start[calm], b_start[calm]
        xp, fp = _peak(f, a0, b0)
        ends = np.maximum(np.abs(fa_start[calm]), np.abs(fb_start[calm]))
        hit = ~np.isfinite(fp) | (np.abs(fp) > 1e3 * np.maximum(ends, scale))
        kind[calm[hit]] = 1
        where[calm[hit]] = xp[hit]
    # a "pole" at the edge of a region where f overflows (exp(-1/x) left of
    # 0) is really at the far edge of that region, next to the smaller end
    for i in np.flatnonzero(kind == 1):
        delta = 1e-9 * (b_start[i] - a_start[i])
        probe = np.array([where[i] - delta, where[i] + delta])
        inf = np.isinf(_raw(f, probe))
        if inf.any():
            small_a = abs(fa_start[i]) < abs(fb_start[i])
            other = a_start[i] if small_a else b_start[i]
            where[i] = _edge(f, probe[np.argmax(inf)], other)[1]
    return kind, where, (a, fa, b, fb)


def _peak(f, a: np.ndarray, b: np.ndarray):
    """Golden-section search for the largest |f| in each [a, b]."""
    g = (np.sqrt(5) - 1) / 2
    a, b = a.copy(), b.copy()
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = np.abs(_raw(f, c)), np.abs(_raw(f, d))
    for _ in range(80):
        # NaN or inf counts as the largest (a pole right there)
        left = np.where(np.isfinite(fc), fc, np.inf) >= np.where(
            np.isfinite(fd), fd, np.inf
        )
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        d_new = np.where(left, c, a + g * (b - a))
        c_new = np.where(left, b - g * (b - a), d)
        fc, fd = np.where(left, np.nan, fd), np.where(left, fc, np.nan)
        c, d = c_new, d_new
        fresh_c, fresh_d = np.isnan(fc), np.isnan(fd)
        fc = np.where(fresh_c, np.abs(_raw(f, c)), fc)
        fd = np.where(fresh_d, np.abs(_raw(f, d)), fd)
    xm = (a + b) / 2
    return xm, _raw(f, xm)


def _shift(a: np.ndarray, k: int) -> np.ndarray:
    """`a` shifted by k places (positive: towards higher indices), 0-padded."""
    out = np.zeros_like(a)
    if k > 0:
        out[k:] = a[:-k]
    else:
        out[:k] = a[-k:]
    return out


def _raw(f, x: np.ndarray) -> np.ndarray:
    """f(x) keeping ±inf (NaN only where f is undefined)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(all="ignore"):
        try:
            y = np.asarray(f(x))
            if y.shape != x.shape:
                raise ValueError
        except (TypeError, ValueError, ArithmeticError):
            y = np.array([_call_scalar(f, v) for v in x])
        if np.iscomplexobj(y):
            y = np.where(np.imag(y) == 0, np.real(y), np.nan)
        try:
            return np.asarray(y, dtype=float)
        except (TypeError, ValueError):
            return np.full(x.shape, np.nan)


def _jumps_at(f, x0: float, span: float, scale: float) -> bool:
    """Whether f, undefined at x0, has different settled one-sided limits
    there (abs(x)/x), not an oscillation without limits (sin(1/x))."""
    d = 1e-7 * max(span, abs(x0), 1.0)
    v = _raw(f, x0 + np.array([-d, -d / 100, d / 100, d]))
    if not np.all(np.isfinite(v)):
        return False
    gap = abs(v[2] - v[1])
    settle = max(abs(v[1] - v[0]), abs(v[3] - v[2]))
    return bool(gap > 1e-6 * max(scale, 1.0) and settle < 1e-3 * gap)


def _edge(f, x_undefined: float, x_finite: float) -> tuple[float, float]:
    """Bisect to the edge between where f is undefined and where it is finite:
    returns (last undefined, first finite) points, 2^-60 of the span apart."""
    a, b = float(x_undefined), float(x_finite)
    for _ in range(60):
        m = (a + b) / 2
        if m in (a, b):
            break
        if np.isfinite(_raw(f, np.array([m]))[0]):
            b = m
        else:
            a = m
    return a, b


def _blows_up(f, x_undefined: float, x_finite: float, span: float, scale: float):
    """Whether |f| grows without bound approaching the edge from the finite
    side: it overflows, or keeps growing by at least as much per decade of
    distance (1/x, log x) rather than levelling off (atan(1/x), sqrt x)."""
    side = 1.0 if x_finite > x_undefined else -1.0
    d = span * np.array([1e-3, 1e-5, 1e-7, 1e-9, 1e-11])
    v = np.abs(_raw(f, x_undefined + side * d))
    if np.any(np.isposinf(v)):
        return True
    if not np.all(np.isfinite(v)):
        return False
    step = np.diff(v)
    return bool(
        np.all(step > 0)
        and np.all(step[1:] >= 0.5 * step[:-1])
        and v[-1] - v[0] > 1e-3 * max(scale, 1.0)
    )


def sample(f, x=None, *, xlim=(-5.0, 5.0), n: int = 801) -> Sampled:
    """Sample f for plotting, breaking the line at poles and jumps.

    Parameters
    ----------
    f : callable
        Vectorised function (an :class:`dfdx.Expression` or NumPy code); a
        scalar-only callable works too, more slowly.
    x : array_like, optional
        The grid to start from (e.g. the chapter's ``np.arange(0, 3, 0.1)``).
        Default: `n` points over `xlim`.
    xlim : (float, float)
        Range when `x` is not given.
    n : int
        Number of points when `x` is not given.

    Returns
    -------
    Sampled
    """
    with np.errstate(all="ignore"):  # inf and NaN are expected and handled
        return _sample(f, x, xlim, n)


def _sample(f, x, xlim, n) -> Sampled:
    if x is None:
        lo, hi = (float(v) for v in xlim)
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise DfdxError(
                f"xlim must be two finite numbers, low < high; got {xlim!r}"
            )
        x = np.linspace(lo, hi, n)
    x = np.unique(np.asarray(x, dtype=float).ravel())
    if x.size < 2:
        raise DfdxError("x must have at least two distinct points")
    if not np.all(np.isfinite(x)):
        raise DfdxError("x must be finite")
    y = evaluate(f, x)
    finite = np.isfinite(y)
    if not finite.any():
        raise DfdxError("f is undefined (not a finite real number) at every point")
    span = float(x[-1] - x[0])
    dy = np.diff(y)
    pair_ok = finite[:-1] & finite[1:]
    scale = float(np.median(np.abs(y[finite]))) + 1e-300
    poles: list[float] = []
    jumps: list[float] = []
    extra_x: list[float] = []
    breaks: list[float] = []
    jump_x: list[float] = []
    jump_y: list[float] = []

    # 1. intervals between finite neighbours whose change is out of line
    if pair_ok.any():
        absdy = np.abs(dy[pair_ok])
        typical = float(np.median(absdy)) + 1e-300
        ady = np.abs(np.nan_to_num(dy)) / 8  # /8: room to compare without overflow
        neighbours = np.maximum(_shift(ady, 1), _shift(ady, -1))
        # a jump that falls on a grid point (sign(x) at 0) or a pole with the
        # same sign on both sides (tan(x)^2) makes two big steps side by side:
        # compare with the steps one further out as well
        far = np.maximum(_shift(ady, 2), _shift(ady, -2))
        suspect = (
            pair_ok & (ady > 8 * typical) & ((ady > 2 * neighbours) | (ady > 4 * far))
        )
        sign_flip = (
            pair_ok
            & (np.sign(y[:-1]) * np.sign(y[1:]) < 0)
            & (np.minimum(np.abs(y[:-1]), np.abs(y[1:])) > 4 * scale)
        )
        idx = np.flatnonzero(suspect | sign_flip)
        if idx.size:
            kind, where, (ba, bfa, bb, bfb) = _classify(
                f, x[idx], x[idx + 1], y[idx], y[idx + 1], scale
            )
            for i, (k, w) in enumerate(zip(kind, where)):
                if k in (1, 3):
                    poles.append(float(w))
                    breaks.append(float(w))
                elif k == 2:
                    jumps.append(float(w))
                    # break just before the right end of the tiny bracket, so
                    # a grid point on the jump (sign(0) = 0) is not joined to
                    # either side by a vertical line
                    breaks.append(float(bb[i]))
                    # the curve reaches the jump from both sides
                    jump_x.extend([float(ba[i]), float(bb[i])])
                    jump_y.extend([float(bfa[i]), float(bfb[i])])

    # 2. grid points where f is undefined: a pole where f blows up beside them
    #    (1/x at 0, exp(1/x) from the right, log(x) at the edge of its domain)
    undefined_ranges: list[tuple[float, float]] = []
    bad = np.flatnonzero(~finite)
    if bad.size:
        runs = np.split(bad, np.flatnonzero(np.diff(bad) > 1) + 1)
        for run in runs:
            lo_i, hi_i = run[0], run[-1]
            if lo_i == hi_i:
                x0 = x[lo_i]
                if _blows_up(f, x0, x0 - 1, span, scale) or _blows_up(
                    f, x0, x0 + 1, span, scale
                ):
                    poles.append(float(x0))
                    continue
                if _jumps_at(f, x0, span, scale):  # abs(x)/x at 0
                    jumps.append(float(x0))
                    undefined_ranges.append((float(x0), float(x0)))
                    continue
            edges = []
            if lo_i > 0:
                edges.append(_edge(f, x[lo_i], x[lo_i - 1]))
            if hi_i < x.size - 1:
                edges.append(_edge(f, x[hi_i], x[hi_i + 1]))
            for edge_undefined, edge_finite in edges:
                if _blows_up(f, edge_undefined, edge_finite, span, scale):
                    poles.append(float(edge_undefined))
            undefined_ranges.append((float(x[lo_i]), float(x[hi_i])))

    # 3. samples that approach each pole from both sides
    for p in poles:
        offsets = span * np.geomspace(1e-2, 1e-7, 24)
        extra_x.extend((p - offsets).tolist())
        extra_x.extend((p + offsets).tolist())
    if extra_x:
        ex = np.asarray(extra_x)
        ex = ex[(ex > x[0]) & (ex < x[-1])]
        ey = evaluate(f, ex)
        x = np.concatenate([x, ex])
        y = np.concatenate([y, ey])
    if jump_x:
        x = np.concatenate([x, jump_x])
        y = np.concatenate([y, jump_y])
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    if breaks:
        br = np.sort(np.asarray(breaks, dtype=float))
        at = np.searchsorted(x, br, side="left")
        x = np.insert(x, at, br)
        y = np.insert(y, at, np.nan)

    ylim = None
    if poles:
        fin = y[np.isfinite(y)]
        base = evaluate(f, np.linspace(x[0], x[-1], 401))
        base = base[np.isfinite(base)]
        lo, hi = np.percentile(base if base.size else fin, [5, 95])
        if hi - lo <= 0:
            lo, hi = lo - 1, hi + 1
        pad = 0.35 * (hi - lo)
        lowest, highest = float(base.min()), float(base.max())
        ylim = (
            float(max(lo - pad, lowest - 0.05 * (hi - lo))),
            float(min(hi + pad, highest + 0.05 * (hi - lo))),
        )
    return Sampled(
        x=x,
        y=y,
        poles=tuple(sorted(set(round(p, 12) for p in poles))),
        jumps=tuple(sorted(set(round(j, 12) for j in jumps))),
        undefined=tuple(undefined_ranges),
        ylim=ylim,
    )
