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

from ..errors import DfdxError

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
    a, b, fa, fb = a.copy(), b.copy(), fa.copy(), fb.copy()
    kind = np.zeros(a.shape, dtype=int)
    where = (a + b) / 2
    active = np.ones(a.shape, dtype=bool)
    for _ in range(_BISECTIONS):
        if not active.any():
            break
        m = (a + b) / 2
        fm = evaluate(f, m)
        bad = active & ~np.isfinite(fm)
        kind[bad] = 3
        where[bad] = m[bad]
        active &= ~bad
        left = np.abs(fm - fa) >= np.abs(fb - fm)
        b = np.where(active & left, m, b)
        fb = np.where(active & left, fm, fb)
        a = np.where(active & ~left, m, a)
        fa = np.where(active & ~left, fm, fa)
    gap = np.abs(fb - fa)
    big = np.maximum(np.abs(fa), np.abs(fb))
    tol = 1e-6 * max(scale, 1e-300)
    disc = active & (gap > tol) & (gap > 1e-9 * big)
    pole = disc & (big > 1e6 * max(scale, 1.0))
    kind[pole] = 1
    kind[disc & ~pole] = 2
    where[active] = ((a + b) / 2)[active]
    # an undefined point between large values of opposite growth is a pole
    return kind, where


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

    # 1. intervals between finite neighbours whose change is out of line
    if pair_ok.any():
        absdy = np.abs(dy[pair_ok])
        typical = float(np.median(absdy)) + 1e-300
        neighbours = np.maximum(
            np.concatenate([[0.0], np.abs(np.nan_to_num(dy[:-1]))]),
            np.concatenate([np.abs(np.nan_to_num(dy[1:])), [0.0]]),
        )
        suspect = (
            pair_ok
            & (np.abs(np.nan_to_num(dy)) > 8 * typical)
            & (np.abs(np.nan_to_num(dy)) > 2 * neighbours)
        )
        sign_flip = (
            pair_ok
            & (np.sign(y[:-1]) * np.sign(y[1:]) < 0)
            & (np.minimum(np.abs(y[:-1]), np.abs(y[1:])) > 4 * scale)
        )
        idx = np.flatnonzero(suspect | sign_flip)
        if idx.size:
            kind, where = _classify(f, x[idx], x[idx + 1], y[idx], y[idx + 1], scale)
            for k, w in zip(kind, where):
                if k in (1, 3):
                    poles.append(float(w))
                    breaks.append(float(w))
                elif k == 2:
                    jumps.append(float(w))
                    breaks.append(float(w))

    # 2. grid points where f is undefined: a pole if f blows up beside it
    undefined_ranges: list[tuple[float, float]] = []
    bad = np.flatnonzero(~finite)
    if bad.size:
        runs = np.split(bad, np.flatnonzero(np.diff(bad) > 1) + 1)
        for run in runs:
            lo_i, hi_i = run[0], run[-1]
            if lo_i == hi_i:
                x0 = x[lo_i]
                d = 1e-9 * max(span, abs(x0), 1.0)
                side = evaluate(f, np.array([x0 - d, x0 + d]))
                if np.any(np.abs(side) > 1e6 * max(scale, 1.0)):
                    poles.append(float(x0))
                    continue
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
    if breaks:
        x = np.concatenate([x, breaks])
        y = np.concatenate([y, np.full(len(breaks), np.nan)])
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]

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
