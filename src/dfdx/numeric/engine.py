"""The engine: differentiates independent units (points, or a Jacobian's
columns) with the complex step, fixed steps or Richardson extrapolation on a
ladder of steps (Neville's tableau), with one-sided ladders where one side is
not finite; and the calls of f (vectorised, point by point, complex)."""

from __future__ import annotations

import math
import warnings

import numpy as np

from dfdx.errors import DfdxError
from dfdx.numeric.core import (
    _CENTRAL,
    _CHECK_RTOL,
    _CHUNK,
    _EPS64,
    _LADDER,
    _RATIO,
    FIXED_RTOL,
    FIXED_RTOL_MAX,
    DerivativeResult,
    _one_sided,
    _to_numpy,
)


# --------------------------------------------------------------------------
# the engine: units (points or coordinates), each with its own step scale
# --------------------------------------------------------------------------
class _Engine:
    """Differentiates L independent "units" u at t = 0 of t -> g_u(t).

    real_eval(T, idx) gets real offsets T of shape (K, len(idx)) and returns
    values of shape (K, len(idx), q). cplx_eval(t, idx) gets imaginary offsets
    of shape (len(idx),) and returns complex values (len(idx), q), or None when
    the function does not support complex input.
    """

    def __init__(
        self,
        xp,
        dtype,
        xu,
        real_eval,
        cplx_eval,
        q,
        rtol,
        atol,
        step,
        max_stages,
        n=1,
        prec=None,
    ):
        self.xp = xp
        self.dtype = dtype
        self.eps = float(xp.finfo(dtype).eps)
        # precision of f's values, raised by the evaluators when f returns a
        # coarser float than x (a float32 model called with float64 points)
        self._prec = {"eps": self.eps} if prec is None else prec
        self.xu = xu  # (L,) values of the varied coordinate (for step realisation)
        self.real_eval = real_eval
        self.cplx_eval = cplx_eval
        self.q = q
        self.rtol = self.eps**0.75 * 100.0 ** (n - 1) if rtol is None else rtol
        self.atol = 0.0 if atol is None else atol
        self.rtol_given = rtol is not None
        self.step = step
        self.max_stages = max_stages
        L = xu.shape[0]
        self._nfev = np.zeros(L, dtype=np.int64)
        self._nfev_all = 0  # evaluations spent at every unit, not yet added
        # one code per unit and output: a Jacobian column's outputs each
        # have their own (one output NaN does not make the others 'no result')
        self.status = np.zeros((L, q), dtype=np.int64)
        self._scale = None

    @property
    def feps(self):
        """Relative rounding of f's values: eps of x's dtype or coarser."""
        return max(self.eps, self._prec["eps"])

    @property
    def nfev(self):
        """Evaluations per unit (int64 array of shape (L,))."""
        if self._nfev_all:
            self._nfev += self._nfev_all
            self._nfev_all = 0
        return self._nfev

    # step scale: absolute steps, relative only where |x| is so large that an
    # absolute step would lose digits (scipy gh-18811)
    def scale(self, idx):
        xp = self.xp
        if self._scale is None:
            if xp is np:
                self._scale = _np_scale(self.xu, self.eps)
            else:
                ax = xp.abs(self.xu) * math.sqrt(self.eps)
                self._scale = xp.where(ax > 1, ax, 1.0)
        return _take(xp, self._scale, idx)

    def _scale_chunk(self, x, sl):
        """scale() of the units x[sl] (x: all units of the current idx)."""
        if self._scale is not None and x is self.xu:
            return self._scale[sl]
        return _np_scale(x[sl], self.eps)

    def count(self, idx, k):
        if idx is None or idx.size == self._nfev.size:
            self._nfev_all += k
        else:
            self.nfev[idx] += k

    def realise(self, idx, h):
        """Steps that are exact differences of representable numbers."""
        x = _take(self.xp, self.xu, idx)
        return (x + h) - x

    # -- fixed step ------------------------------------------------------
    def fixed(self, n, kind, idx):
        xp = self.xp
        p = 2 if kind == "central" else 1
        ks, ws = (
            _CENTRAL[n]
            if kind == "central"
            else _one_sided(n, 1 if kind == "forward" else -1)
        )
        h0 = (
            self.step
            if self.step is not None
            else self.eps ** (1.0 / (n + p)) * (2.0 if n > 1 else 1.0)
        )
        # fixed steps are relative to |x| (absolute near 0): an absolute step
        # at x = 1e9 is a few ulps of x (t**2 at 1e9 was 7 % off)
        s = xp.abs(_take(xp, self.xu, idx))
        s = xp.where(s > 1, s, 1.0)
        hs = [self.realise(idx, h0 * s), self.realise(idx, 2 * h0 * s)]
        D, R, _ = self._quotients(hs, ks, ws, n, idx)
        d0 = D[0]
        trunc = xp.abs(D[0] - D[1]) / (2.0**p - 1)
        err = trunc + R[0]
        # status 0 is a promise: the truncation estimate is within the
        # tolerance (the method's own, FIXED_RTOL, unless rtol is given) or
        # below the rounding floor; else -1 (sin at x = 1e4 with central
        # steps: 6e-4 off, and it said so in its estimate, with status 0)
        rtol = (
            self.rtol
            if self.rtol_given
            else min(FIXED_RTOL[kind] * 100.0 ** (n - 1), FIXED_RTOL_MAX)
        )
        tol = self.atol + rtol * xp.abs(d0)
        missed = _np(xp, (trunc > tol) & (trunc > R[0]))
        bad = _np(xp, ~xp.isfinite(d0))
        if missed.any() or bad.any():
            rows = slice(None) if idx is None else np.asarray(idx)
            st = self.status[rows]
            st[missed] = -1
            st[bad] = -4
            self.status[rows] = st
        return d0, err

    def _quotients(self, hs, ks, ws, n, idx):
        """Quotients for each step in hs; returns (D, R, any_nonfinite) where
        D and R have shape (len(hs), L, q) (R: rounding estimate)."""
        xp = self.xp
        offsets = []
        keys = []
        for j, h in enumerate(hs):
            for k in ks:
                if k == 0:
                    if ("x",) not in keys:
                        keys.append(("x",))
                        offsets.append(xp.zeros_like(h))
                else:
                    keys.append((j, k))
                    offsets.append(k * h)
        T = xp.stack(offsets)
        V = self.real_eval(T, idx)
        self.count(idx, T.shape[0])
        where = {key: i for i, key in enumerate(keys)}
        if xp is np and V[0].size <= 256:
            # few points: all steps at once (per element the same operations in
            # the same order as the loop below, so the same numbers); for many
            # points the loop's views beat the copies of fancy indexing
            rows = np.array(
                [
                    [where[("x",) if k == 0 else (j, k)] for k in ks]
                    for j in range(len(hs))
                ]
            )
            acc = 0.0
            mag = 0.0
            for kpos, w in enumerate(ws):
                v = V[rows[:, kpos]]
                acc = acc + w * v
                mag = mag + abs(w) * np.abs(v)
            hn = (np.stack(hs) ** n)[:, :, None]
            return acc / hn, 4 * self.feps * mag / hn, None
        Ds, Rs = [], []
        for j, h in enumerate(hs):
            acc = 0.0
            mag = 0.0
            for k, w in zip(ks, ws, strict=True):
                v = V[where[("x",) if k == 0 else (j, k)]]
                acc = acc + w * v
                mag = mag + abs(w) * xp.abs(v)
            hn = (h**n)[:, None]
            Ds.append(acc / hn)
            Rs.append(4 * self.feps * mag / hn)
        D = xp.stack(Ds)
        R = xp.stack(Rs)
        return D, R, None

    # -- Richardson ------------------------------------------------------
    def richardson(
        self, n, idx, ks=None, ws=None, powers=2, h0=None, stages=None, rtol=None
    ):
        """Adaptive extrapolation; returns (df, err, converged, finite,
        nonfinite) for idx, the last three per unit and output (whether a
        stencil value was not finite)."""
        xp = self.xp
        if ks is None:
            ks, ws = _CENTRAL[n]
        if h0 is None:
            h0 = self.step if self.step is not None else (0.5 if n == 1 else 1.0)
        stages = self.max_stages if stages is None else stages
        L = idx.shape[0]
        best = xp.full((L, self.q), xp.nan, dtype=self.dtype)
        best_err = xp.full((L, self.q), xp.inf, dtype=self.dtype)
        s = self.scale(idx)
        active = np.arange(L)
        nonfinite = np.zeros((L, self.q), dtype=bool)
        converged = np.zeros((L, self.q), dtype=bool)
        for stage in range(stages):
            sub = idx[active]
            hs = [
                self.realise(sub, h0 * _RATIO ** (stage * _LADDER + j) * s[active])
                for j in range(_LADDER)
            ]
            D, R, _ = self._quotients(hs, ks, ws, n, sub)
            val, err, trunc, rnd = _neville(xp, D, R, _RATIO, powers)
            a_t = _index(xp, active)
            prev_err = xp.take(best_err, a_t, axis=0)
            better = err < prev_err
            upd_val = xp.where(better, val, xp.take(best, a_t, axis=0))
            upd_err = xp.where(better, err, prev_err)
            best = _set_rows(xp, best, a_t, upd_val)
            best_err = _set_rows(xp, best_err, a_t, upd_err)
            nonfinite[active] |= _np(xp, ~xp.all(xp.isfinite(D), axis=0))
            tol = xp.maximum(
                self.atol + (self.rtol if rtol is None else rtol) * xp.abs(upd_val),
                0.0,
            )
            # converged: truncation estimate within tolerance or at rounding floor
            trunc_best = xp.where(better, trunc, xp.inf)
            rnd_best = xp.where(better, rnd, 0.0)
            conv_now = (trunc_best <= tol) | (trunc_best <= rnd_best)
            converged[active] |= _np(xp, conv_now & xp.isfinite(upd_val))
            done = converged[active].all(axis=-1)
            active = active[~done]
            if active.size == 0:
                break
        finite = _np(xp, xp.isfinite(best))
        return best, best_err, converged, finite, nonfinite

    # -- complex step ------------------------------------------------------
    def complex_step(self, idx):
        """Returns (d, rounding) or None if complex input is not supported."""
        xp = self.xp
        if xp is np and self._scale is None and _take(xp, self.xu, idx) is self.xu:
            hc = _np_scale(self.xu, self.eps)  # no cached scale: build hc in place
            hc *= self.eps**2
        else:
            hc = self.eps**2 * self.scale(idx)
        out = self.cplx_eval(hc, idx)
        if out is None:
            return None
        self.count(idx, 1)
        if xp is np and out.shape[-1] == 1 and out.dtype == np.result_type(hc, 1j):
            # hc is ours (a fresh array, never passed to f): divide into it
            d = np.divide(xp.imag(out), hc[:, None], out=hc[:, None])
        else:
            d = xp.imag(out) / hc[:, None]
        return xp.astype(d, self.dtype, copy=False), None

    def real_check(self, idx, d, ad=None):
        """Boolean numpy mask over idx: a central difference agrees with d.

        ``ad`` is ``|d|`` when the caller has it. The NumPy branch computes the
        same floating-point operations as the generic one, in place."""
        xp = self.xp
        big = self.feps < 1e-10  # the check's step suits f's precision
        rtol = _CHECK_RTOL if big else 1e-2
        if xp is not np:
            s = self.scale(idx)
            h = self.realise(idx, 1e-6 * s if big else 1e-2 * s)
            T = xp.stack([h, -h])
            V = self.real_eval(T, idx)
            self.count(idx, 2)
            dr = (V[0] - V[1]) / (2 * h)[:, None]
            rnd = 64 * self.feps * (xp.abs(V[0]) + xp.abs(V[1])) / (2 * h)[:, None]
            tol = rtol * xp.maximum(xp.abs(d), xp.abs(dr)) + rnd
            ok = xp.abs(d - dr) <= tol
            return _np(xp, xp.all(ok, axis=-1))
        x = _take(xp, self.xu, idx)
        c = 1e-6 if big else 1e-2
        L = x.shape[0]
        # the arithmetic of the generic branch, in cache-sized chunks: no
        # full-size temporaries (their page faults cost more than the maths)
        T = np.empty((2, L), dtype=x.dtype)
        for lo in range(0, L, _CHUNK):
            sl = slice(lo, lo + _CHUNK)
            h = np.multiply(self._scale_chunk(x, sl), c, out=T[0, sl])
            h += x[sl]  # realise: (x + h) - x
            h -= x[sl]
            np.negative(h, out=T[1, sl])
        V = self.real_eval(T, idx)  # may overwrite T
        self.count(idx, 2)
        ok = np.empty(d.shape, dtype=bool)
        c64 = 64 * self.feps
        for lo in range(0, L, _CHUNK):
            sl = slice(lo, lo + _CHUNK)
            xs = x[sl]
            h2 = np.multiply(self._scale_chunk(x, sl), c)
            h2 += xs
            h2 -= xs
            h2 *= 2
            h2 = h2[:, None]
            v0, v1 = V[0, sl], V[1, sl]
            rnd = np.abs(v0)
            dr = np.abs(v1)
            rnd += dr
            rnd *= c64
            rnd /= h2
            np.subtract(v0, v1, out=dr)
            dr /= h2
            tol = np.abs(dr)
            np.maximum(np.abs(d[sl]) if ad is None else ad[sl], tol, out=tol)
            tol *= rtol
            tol += rnd
            np.subtract(d[sl], dr, out=dr)
            np.abs(dr, out=dr)
            np.less_equal(dr, tol, out=ok[sl])
        return ok[:, 0] if ok.shape[-1] == 1 else ok.all(axis=-1)


def _np(xp, a):
    if xp is np:
        return np.asarray(a)
    out = _to_numpy(a)
    # immutable libraries (JAX) give read-only views; callers update in place
    return out if out.flags.writeable else out.copy()


def _index(xp, idx):
    if xp is np:
        return idx
    return xp.asarray(idx)


def _set_rows(xp, arr, rows, values):
    if xp is np:
        arr[rows] = values
        return arr
    if hasattr(arr, "at") and not hasattr(arr, "detach"):  # JAX: immutable arrays
        return arr.at[rows].set(values)
    arr = xp.asarray(arr, copy=True) if hasattr(xp, "asarray") else arr
    arr[rows] = values
    return arr


def _neville_one(D, R, ratio, powers):
    """:func:`_neville` for one float64 point, in Python floats: the same IEEE
    operations in the same order, so the same numbers, without the overhead of
    NumPy calls on 1-element arrays."""
    values = _neville_floats(
        D.reshape(-1).tolist(), R.reshape(-1).tolist(), ratio, powers
    )
    shape = D.shape[1:]
    return tuple(np.full(shape, v) for v in values)


def _neville_floats(d: list, r: list, ratio, powers):
    """The Neville tableau of the quotients `d` (rounding estimates `r`) of
    one point: (value, error, truncation, rounding) as floats. The same IEEE
    operations in the same order as :func:`_neville`, in one pass per level
    (max propagating NaN, as np.maximum, written inline)."""
    nan, inf = math.nan, math.inf
    best, best_trunc, best_rnd, best_score = d[-1], inf, r[-1], inf
    prev, prev_r = d, r
    for k in range(1, len(d)):
        p = 2 * k if powers == 2 else k
        c = ratio ** (-p) - 1.0
        grow = 1 + 1 / c
        cur: list = []
        cur_r: list = []
        for i in range(len(prev) - 1):
            a, b = prev[i], prev[i + 1]
            v = b + (b - a) / c
            rr = prev_r[i + 1] * grow + prev_r[i] / c
            x, y = abs(v - b), abs(v - a)
            t = nan if x != x or y != y else (x if x >= y else y)
            if k >= 2 and i >= 1:
                z = abs(v - cur[i - 1])
                t = nan if t != t or z != z else (t if t >= z else z)
            cur.append(v)
            cur_r.append(rr)
            score = t + rr
            if score != score:
                score = inf
            if score < best_score:
                best, best_trunc, best_rnd, best_score = v, t, rr, score
        prev, prev_r = cur, cur_r
    err = best_trunc + best_rnd if math.isfinite(best) else inf
    return best, err, best_trunc, best_rnd


def _neville(xp, D, R, ratio, powers):
    """Neville tableau over steps (axis 0). Returns the entry with the smallest
    truncation + rounding estimate: (value, error, truncation, rounding)."""
    if xp is np and D.dtype == np.float64 and D[0].size == 1:
        return _neville_one(D, R, ratio, powers)
    m = D.shape[0]
    nan_inf = xp.inf
    best = D[-1]
    best_trunc = xp.full(D.shape[1:], nan_inf, dtype=D.dtype)
    best_rnd = R[-1]
    best_score = xp.full(D.shape[1:], nan_inf, dtype=D.dtype)
    prev, prev_r = D, R
    for k in range(1, m):
        p = 2 * k if powers == 2 else k
        c = ratio ** (-p) - 1.0
        cur = prev[1:] + (prev[1:] - prev[:-1]) / c
        cur_r = prev_r[1:] * (1 + 1 / c) + prev_r[:-1] / c
        # truncation estimate of cur[i]: the larger of the two differences to
        # the entries of order k-1 it was built from
        t1 = xp.abs(cur - prev[1:])
        t2 = xp.abs(cur - prev[:-1])
        trunc = xp.maximum(t1, t2)
        if k >= 2:
            # and the change from the same-order entry one step larger
            t3 = xp.abs(cur[1:] - cur[:-1])
            trunc = xp.concat([trunc[:1], xp.maximum(trunc[1:], t3)], axis=0)
        score = trunc + cur_r
        score = xp.where(xp.isnan(score), nan_inf, score)
        if xp is np:
            # the same choice as the loop below, in one step: the first entry
            # with the smallest score, taken if it beats the best so far
            flat = score.reshape(score.shape[0], -1)
            cols = np.arange(flat.shape[1])
            i = np.argmin(flat, axis=0)
            shape = score.shape[1:]

            def pick(a, i=i, cols=cols, shape=shape):
                return a.reshape(a.shape[0], -1)[i, cols].reshape(shape)

            s_min = pick(score)
            better = s_min < best_score
            best = np.where(better, pick(cur), best)
            best_trunc = np.where(better, pick(trunc), best_trunc)
            best_rnd = np.where(better, pick(cur_r), best_rnd)
            best_score = np.where(better, s_min, best_score)
        else:
            for i in range(cur.shape[0]):
                better = score[i] < best_score
                best = xp.where(better, cur[i], best)
                best_trunc = xp.where(better, trunc[i], best_trunc)
                best_rnd = xp.where(better, cur_r[i], best_rnd)
                best_score = xp.where(better, score[i], best_score)
        prev, prev_r = cur, cur_r
    err = best_trunc + best_rnd
    err = xp.where(xp.isfinite(best), err, nan_inf)
    return best, err, best_trunc, best_rnd


def _np_scale(x, eps):
    """max(1, |x| sqrt(eps)) as a new array (NaN -> 1), without temporaries;
    the same numbers as ``where(|x| sqrt(eps) > 1, |x| sqrt(eps), 1.0)``."""
    ax = np.abs(x)
    ax *= math.sqrt(eps)
    return np.fmax(ax, 1.0, out=ax)


def _one_sided_gap(f0, big, small):
    """Forward minus backward second difference per coordinate, each from
    the three points x, x + a, x + b (resp. x - a, x - b); a < b."""
    b, fpb, fmb = big
    a, fpa, fma = small
    w0, wa, wb = 2 / (a * b), -2 / (a * (b - a)), 2 / (b * (b - a))
    return (w0 * f0 + wa * fpa + wb * fpb) - (w0 * f0 + wa * fma + wb * fmb)


def _note_precision(prec, out):
    """Raise prec['eps'] to the eps of out's floating dtype if coarser."""
    dt = getattr(out, "dtype", None)
    try:
        e = float(np.finfo(dt).eps) if isinstance(dt, np.dtype) else None
        if e is None and dt is not None and hasattr(dt, "is_floating_point"):
            import torch  # a torch dtype

            e = float(torch.finfo(dt).eps) if dt.is_floating_point else None
            if e is None and dt.is_complex:
                e = float(torch.finfo(dt.to_real()).eps)
    except (TypeError, ValueError, ImportError):
        e = None
    if e is not None and e > prec["eps"]:
        prec["eps"] = e


def _take(xp, a, idx):
    if idx is None or idx.size == a.shape[0]:  # sorted and unique: all of a
        return a
    if xp is np:
        return a[idx]
    return xp.take(a, xp.asarray(idx), axis=0)


# --------------------------------------------------------------------------
# evaluating f safely
# --------------------------------------------------------------------------
def _values(xp, out, shape, dtype, name="f"):
    """f's output as a real array of `shape` and `dtype`."""
    _check_numbers(out, name)
    if xp is np:
        out = _check_numbers(np.asarray(out), name)
    elif not hasattr(out, "shape"):
        out = xp.asarray(out)
    if xp.isdtype(out.dtype, "complex floating"):
        raise DfdxError(f"{name} returned complex values for real input")
    if tuple(out.shape) != tuple(shape):
        if out.ndim == 0:
            out = xp.broadcast_to(out, shape)
        else:
            raise DfdxError(
                f"{name} must be elementwise: called with shape {tuple(shape)}, "
                f"it returned shape {tuple(out.shape)}"
            )
    return xp.astype(out, dtype, copy=False)


def _fname(f, name="f"):
    """How messages name the user's function: ``f`` or ``f (my_func)``."""
    fn = getattr(f, "__name__", None) or type(f).__name__
    return name if fn in ("<lambda>", name) else f"{name} ({fn})"


def _call(f, arg, name="f"):
    """f(arg) with floating-point warnings silenced; an exception raised by f
    becomes a DfdxError that names f and the input it got (the original is
    chained as __cause__, so its traceback is kept)."""
    try:
        with np.errstate(all="ignore"):
            return f(arg)
    except Exception as exc:
        shape = tuple(getattr(arg, "shape", ()))
        raise DfdxError(
            f"{_fname(f, name)} raised {type(exc).__name__}: {exc} "
            f"(called with an array of shape {shape}, dtype {arg.dtype})"
        ) from exc


def _check_numbers(out, name="f"):
    """Reject outputs that are not numbers (None, text, objects)."""
    if out is None:
        raise DfdxError(f"{name} must return numbers, got None")
    dt = getattr(out, "dtype", None)
    if isinstance(dt, np.dtype) and dt.kind not in "biufc":
        what = "objects" if dt.kind == "O" else f"dtype {dt}"
        raise DfdxError(f"{name} must return numbers, got {what}")
    return out


def _call_complex(f, z):
    """f(z) for complex z, or None when f rejects or mishandles complex input."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            with np.errstate(all="ignore"):
                return f(z)
    except Exception:
        return None


def _small_ints(a, smallest=np.int8):
    """Per-point counts and codes in the smallest integer type that holds them
    (int8 status, int16 nfev: 30 MB instead of 160 MB at 1e7 points)."""
    a = np.asarray(a)
    if a.size <= 1 or a.dtype.kind not in "iu":
        return a
    types = (np.int8, np.int16, np.int32)
    for t in types[types.index(smallest) :]:
        info = np.iinfo(t)
        if a.min() >= info.min and a.max() <= info.max:
            return a.astype(t, copy=False)
    return a


def _finalise(xp, is_np, shape, df, err, status, nfev, method, kind, n, dtype):
    df = xp.reshape(df, shape)
    err = xp.reshape(err if err.dtype == dtype else xp.astype(err, dtype), shape)
    status = _small_ints(status.reshape(shape))
    nfev = (
        # counts get at least int16: a user's nfev * 100 must not wrap around
        _small_ints(np.asarray(nfev).reshape(shape), np.int16)
        if np.size(nfev) == math.prod(shape)
        else nfev
    )
    if is_np and df.ndim == 0:
        df, err = df[()], err[()]
        status = int(status)
        nfev = int(nfev)
    return DerivativeResult(
        df=df, error=err, nfev=nfev, status=status, method=method, kind=kind, n=n
    )


def _run_units(eng, n, method, idx_all, complex_n_lower=None):
    """Run `method` on the units idx_all (sorted), or on every unit when
    idx_all is None (then no index array is built unless some units need a
    different treatment). Returns (df, err, used): df and err of shape (L, q)."""
    xp = eng.xp
    L = eng.xu.shape[0]
    out = {}  # 'df', 'err': NaN-filled arrays only when filled in parts
    used = set()

    def index(rows):  # rows as an index array
        return np.arange(L) if rows is None else rows

    def put(rows, d, e):  # rows: index array, or None for every unit
        if not out and (rows is None or rows.size == L):
            out["df"], out["err"] = d, e  # every unit at once: no copy
            return
        if not out:
            out["df"] = xp.full((L, eng.q), xp.nan, dtype=eng.dtype)
            out["err"] = xp.full((L, eng.q), xp.nan, dtype=eng.dtype)
        rows = _index(xp, index(rows))
        out["df"] = _set_rows(xp, out["df"], rows, d)
        out["err"] = _set_rows(xp, out["err"], rows, e)

    def result():
        if not out:  # no unit was differentiated
            out["df"] = xp.full((L, eng.q), xp.nan, dtype=eng.dtype)
            out["err"] = xp.full((L, eng.q), xp.nan, dtype=eng.dtype)
        return out["df"], out["err"], used

    if idx_all is not None and idx_all.size == 0:
        return result()
    if method in ("central", "forward", "backward"):
        idx = index(idx_all)
        d, e = eng.fixed(n, method, idx)
        put(idx, d, e)
        used.add(method)
        return result()
    rich_idx = idx_all  # None: every unit
    if method in ("auto", "complex"):
        cs = eng.complex_step(idx_all)
        if cs is None:
            if method == "complex":
                raise DfdxError(
                    "method='complex' needs f to accept complex input and return "
                    "complex output; use method='richardson' or 'auto'"
                )
        else:
            d, _ = cs
            ad = xp.abs(d)
            ok = eng.real_check(idx_all, d, ad)
            if method == "complex":
                # asked for: keep the complex-step values, but where a real
                # central difference disagrees (log at -1, sqrt at 0: f is not
                # real-analytic there) the status says so
                bad = np.flatnonzero(~ok)
                if bad.size:
                    rows = bad if idx_all is None else index(idx_all)[bad]
                    eng.status[rows] = -5
                ok = np.ones(d.shape[0], dtype=bool)
            fin = ad < math.inf  # == isfinite(d)
            ok &= _np(xp, fin[:, 0] if fin.shape[-1] == 1 else xp.all(fin, axis=-1))
            all_ok = bool(ok.all())
            if all_ok:
                good, rich_idx = idx_all, np.arange(0)
            else:
                idx = index(idx_all)
                good, rich_idx = idx[ok], idx[~ok]
            if good is None or good.size:
                used.add("complex")
                if n == 1 and all_ok:
                    if xp is np:
                        ad *= 16 * eng.feps  # the error estimate, in place
                        put(good, d, ad)
                    else:
                        put(good, d, 16 * eng.feps * ad)
                elif n == 1:
                    dg = d[_index(xp, np.flatnonzero(ok))]
                    put(good, dg, 16 * eng.feps * xp.abs(dg))
                else:
                    good = index(good)
                    sub = complex_n_lower(eng, good)
                    dd, ee = _richardson_units(sub, n - 1, np.arange(good.size))
                    put(good, dd, ee)
                    eng.nfev[good] += sub.nfev
                    eng.status[good] = sub.status
    if rich_idx is None or rich_idx.size:
        rich_idx = index(rich_idx)
        used.add("richardson")
        d, e = _richardson_units(eng, n, rich_idx)
        put(rich_idx, d, e)
    return result()


def _scalar_auto(f, x: float, step, method: str = "auto"):
    """The 'auto' method for one float64 point without the array machinery:
    the same complex step and real check as the general path (same calls of f,
    same shapes, same tolerances), so the same answer, several times faster.

    Returns (result or None, evaluations spent); None means the complex step
    was unavailable or contradicted, and Richardson must take over. With
    method='complex' the complex step is kept where the real check
    contradicts it, with status -5, as the general path does."""
    if not math.isfinite(x):
        return None, 0
    eps = _EPS64
    s = abs(x) * math.sqrt(eps)
    s = s if s > 1 else 1.0
    hc = eps**2 * s
    out = _call_complex(f, np.array([complex(x, hc)]))
    if (
        out is None
        or not isinstance(out, np.ndarray)
        or out.dtype.kind != "c"
        or out.shape not in ((1,), ())
    ):
        return None, 0
    d = float(np.imag(out.reshape(-1)[0])) / hc
    hr = (x + 1e-6 * s) - x
    V = np.asarray(_check_numbers(_call(f, np.array([[x + hr], [x - hr]]))))
    if V.dtype.kind not in "biuf":  # complex for real input: Richardson says so
        return None, 1
    V = V.astype(float).reshape(-1)
    if V.shape != (2,):
        return None, 1
    dr = (V[0] - V[1]) / (2 * hr)
    rnd = 64 * eps * (abs(V[0]) + abs(V[1])) / (2 * hr)
    agree = abs(d - dr) <= _CHECK_RTOL * max(abs(d), abs(dr)) + rnd
    if not math.isfinite(d) or (method == "auto" and not agree):
        return None, 3
    return (
        DerivativeResult(
            df=np.float64(d),
            error=np.float64(16 * eps * abs(d)),
            nfev=3,
            status=0 if agree else -5,
            method="complex",
            kind="derivative",
            n=1,
        ),
        3,
    )


def _richardson_units(eng, n, idx):
    """Central Richardson with shrinking steps, then one-sided fallbacks."""
    xp = eng.xp
    d, e, conv, finite, nonfinite = eng.richardson(n, idx)
    st = np.where(conv, np.where(nonfinite, -2, 0), -1)
    st[~finite] = -4
    retry = np.flatnonzero((~finite | (nonfinite & ~conv)).any(axis=-1))
    # one-sided ladders converge only to first order: their default tolerance
    # is what they reach on smooth functions (eps^(2/3), 3.7e-11 in float64;
    # exp at the edge of its domain: 1e-14 off, estimate 7e-12)
    rtol1 = eng.rtol if eng.rtol_given else eng.eps ** (2 / 3) * 100.0 ** (n - 1)
    for sign in (1, -1):
        if retry.size == 0:
            break
        ks, ws = _one_sided(n, sign)
        d1, e1, conv1, fin1, _ = eng.richardson(
            n, idx[retry], ks=ks, ws=ws, powers=1, rtol=rtol1
        )
        rt = _index(xp, retry)
        old_d = xp.take(d, rt, axis=0) if xp is not np else d[retry]
        old_e = xp.take(e, rt, axis=0) if xp is not np else e[retry]
        old_e = xp.where(xp.isnan(old_e), xp.inf, old_e)
        # output by output (a Jacobian's column can have one output defined on
        # one side only and others fine): where the central value was not
        # finite or not converged, take the one-sided value where it is finite
        # and the old one is not, or has a smaller error estimate
        eligible = _index(xp, ~(conv[retry] & finite[retry]))
        take_out = eligible & xp.isfinite(d1) & ((e1 < old_e) | ~xp.isfinite(old_d))
        rows = np.flatnonzero(_np(xp, xp.any(take_out, axis=-1)))
        if rows.size:
            rr = _index(xp, rows)
            mask = xp.take(take_out, rr, axis=0)
            new_d = xp.where(mask, xp.take(d1, rr, axis=0), xp.take(old_d, rr, axis=0))
            new_e = xp.where(mask, xp.take(e1, rr, axis=0), xp.take(old_e, rr, axis=0))
            d = _set_rows(xp, d, _index(xp, retry[rows]), new_d)
            e = _set_rows(xp, e, _index(xp, retry[rows]), new_e)
            # -3 where the one-sided value converged; -1 (the worse news)
            # where it did not (noise: neither stencil converges)
            taken = _np(xp, mask)
            sub = st[retry[rows]]
            sub[taken] = np.where(conv1[rows][taken], -3, -1)
            st[retry[rows]] = sub
        now = xp.take(d, rt, axis=0) if xp is not np else d[retry]
        retry = retry[~_np(xp, xp.all(xp.isfinite(now), axis=-1))]
    eng.status[idx] = st
    return d, e + eng.feps * xp.abs(d)


def _scalar_only(exc: DfdxError) -> bool:
    """Whether f failed because it only takes Python scalars."""
    cause = exc.__cause__
    return (
        isinstance(cause, TypeError)
        and ("scalar" in str(cause) or "truth value of an array" in str(cause))
        or (isinstance(cause, ValueError) and "truth value of an array" in str(cause))
    )


def _pointwise(f):
    """f applied to each element of an array (for scalar-only functions)."""

    def pointwise(a):
        a = np.asarray(a)
        values = [f(v) for v in a.ravel().tolist()]
        return np.asarray(values).reshape(a.shape)

    pointwise.__name__ = getattr(f, "__name__", "f")
    return pointwise
