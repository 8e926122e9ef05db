"""Numerical derivatives of black-box functions.

:func:`derivative` differentiates an elementwise function of one variable at
any array of points (one vectorised call of ``f`` per stage, never a Python
loop over points); :func:`gradient`, :func:`jacobian` and :func:`hessian` do
the same for functions of several variables. Every function returns a
:class:`DerivativeResult` holding the value, an error *estimate*, the number of
function evaluations and a status code.

Methods
-------
``'central'``, ``'forward'``, ``'backward'``
    One fixed step (for teaching, and for functions defined on one side only).
    The error estimate compares the quotient with the one at twice the step.
``'complex'``
    Complex step, ``Im f(x + ih) / h``: exact to rounding for real-analytic
    functions written with operations that accept complex numbers.
``'richardson'``
    Real evaluations only: central quotients on a geometric ladder of steps,
    extrapolated to zero step (Neville's tableau); the entry with the smallest
    estimated truncation + rounding error is returned. Stages with smaller
    steps follow when the tolerance is not met or evaluations are not finite;
    a one-sided ladder is the last resort.
``'auto'`` (default)
    Complex step when ``f`` accepts complex input *and* a real central
    difference agrees with it to ``1e-6`` relative (plus rounding); otherwise
    Richardson. Points where the real check disagrees (``abs``, ``maximum``,
    comparisons, ``.real`` in ``f``) are recomputed with Richardson.

Kinks exactly at ``x`` are invisible to symmetric stencils: ``|x|`` at 0 gives
0 with status 0, the average of the one-sided derivatives (PyTorch's
subgradient convention gives 0 too). Compare ``method='forward'`` with
``method='backward'`` to test for a kink; :func:`dfdx.tangent_line` does so for
callables, and for expressions :func:`dfdx.differentiable` answers exactly.

Status codes
------------
0
    Converged: the error estimate meets ``atol + rtol*|df|`` (or is at the
    rounding floor).
-1
    Error tolerance not met after ``max_stages`` stages; the best value found
    is returned.
-2
    Non-finite evaluations near ``x``: a smaller step was used (the result is
    otherwise converged).
-3
    Non-finite evaluations on one side of ``x``: a one-sided stencil was used
    (and its estimate meets ``atol + rtol*|df|``, default rtol ``eps**(2/3)``
    for n = 1: a one-sided ladder converges to first order only; else -1).
-4
    No finite result (``f`` is not finite at or around ``x``, or ``x`` is not
    finite); ``df`` is NaN.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._timelimit import guarded
from .errors import DfdxError

__all__ = [
    "DerivativeResult",
    "derivative",
    "gradient",
    "jacobian",
    "hessian",
    "STATUS_MESSAGES",
]

STATUS_MESSAGES = {
    0: "converged",
    -1: "error tolerance not met",
    -2: "non-finite evaluations: step shrunk",
    -3: "non-finite evaluations: one-sided stencil used",
    -4: "no finite result",
    -5: "complex step disagrees with real differences (f not analytic here)",
    -6: "kink: the one-sided derivatives differ (no derivative here)",
    -7: "f is undefined at the point itself (no derivative here)",
}

_METHODS = ("auto", "richardson", "complex", "central", "forward", "backward")
#: The default relative tolerance (n = 1; times 100 per order above) behind
#: status 0 of the fixed-step methods: about what their rounding-optimal step
#: reaches on smooth functions (forward ~sqrt(eps), central ~eps^(2/3)).
FIXED_RTOL = {"forward": 1e-6, "backward": 1e-6, "central": 1e-8}
#: ...never looser than this: one-sided 4th differences reach 1e-2 to 6e-2
#: (100**3 * 1e-6 would have called a 6 % error, or a pure-noise value of a
#: derivative that is 0, 'converged')
FIXED_RTOL_MAX = 1e-2
_RATIO = 0.6  # step ratio of the Richardson ladder
_LADDER = 8  # steps per stage
_EPS64 = float(np.finfo(np.float64).eps)
_CHECK_RTOL = 1e-6  # agreement needed between complex step and real check
_CHUNK = 1 << 15  # elements per chunk of elementwise bookkeeping on large arrays
_HESSIAN_BLOCK = 1 << 22  # numbers per block of Hessian stencil points (32 MB)

# quotient stencils: (offset multiples, weights); D(h) = sum(w f(x + k h)) / h^n
_CENTRAL = {
    1: ((1, -1), (0.5, -0.5)),
    2: ((1, 0, -1), (1.0, -2.0, 1.0)),
    3: ((2, 1, -1, -2), (0.5, -1.0, 1.0, -0.5)),
    4: ((2, 1, 0, -1, -2), (1.0, -4.0, 6.0, -4.0, 1.0)),
}


def _one_sided(n: int, sign: int):
    ks = tuple(sign * k for k in range(n + 1))
    ws = tuple(float((-1) ** (n - k) * math.comb(n, k)) * sign**n for k in range(n + 1))
    return ks, ws


# --------------------------------------------------------------------------
# result object
# --------------------------------------------------------------------------
@dataclass(frozen=True, repr=False, eq=False)
class DerivativeResult:
    """The result of a numerical derivative, gradient, Jacobian or Hessian.

    Attributes
    ----------
    df : float, ndarray or tensor
        The derivative (same array type, dtype and shape convention as ``x``).
    error : float, ndarray or tensor
        An *estimate* of ``|df - exact|`` (truncation plus rounding); not a bound.
    nfev : int or ndarray of int
        Function evaluations used: per point for :func:`derivative`, in total
        (points of R^n at which ``f`` was evaluated) for the others. Arrays use
        the smallest integer type that holds them, int16 at least.
    status : int or ndarray of int
        0 converged; negative codes in :data:`STATUS_MESSAGES` (arrays: int8).
    method : str
        The method that produced ``df`` (``'complex+richardson'`` when ``auto``
        used both, at different points).
    kind : str
        ``'derivative'``, ``'gradient'``, ``'jacobian'`` or ``'hessian'``.
    n : int
        Derivative order (``derivative`` only; 1 otherwise, 2 for ``hessian``).

    ``np.asarray(result)`` and ``float(result)`` (scalar results) give ``df``.
    """

    df: Any
    error: Any
    nfev: Any
    status: Any
    method: str
    kind: str = "derivative"
    n: int = 1
    _extra: dict = field(default_factory=dict, compare=False)

    @property
    def success(self):
        """``status == 0`` (elementwise)."""
        return np.asarray(self.status) == 0

    @property
    def message(self) -> str:
        codes = np.unique(np.asarray(self.status))
        return "; ".join(f"{int(c)}: {STATUS_MESSAGES[int(c)]}" for c in codes)

    def __array__(self, dtype=None, copy=None):
        arr = _to_numpy(self.df)
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        if copy:
            arr = arr.copy()
        return arr

    def __float__(self) -> float:
        arr = _to_numpy(self.df)
        if arr.size != 1:
            raise TypeError(
                f"only a scalar result converts to float; df has shape {arr.shape}"
            )
        return float(arr.reshape(()))

    def _summary(self):
        df = _to_numpy(self.df)
        err = _to_numpy(self.error)
        nfev = np.asarray(self.nfev)
        status = np.asarray(self.status)
        return df, err, nfev, status

    def __repr__(self) -> str:
        df, err, nfev, status = self._summary()
        with np.printoptions(precision=12, threshold=20, edgeitems=3):
            lines = [
                f"DerivativeResult(kind={self.kind!r}, method={self.method!r}"
                + (f", n={self.n}" if self.kind == "derivative" else "")
                + ")",
                f"      df: {_fmt(df)}",
                f"   error: {_fmt(err, '.1e')}",
                f"    nfev: {_fmt(nfev)}",
                f"  status: {_fmt(status)} ({self.message})",
            ]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import html

        df, err, nfev, status = self._summary()
        rows = [
            ("df", _fmt(df)),
            ("error (estimate)", _fmt(err, ".1e")),
            ("nfev", _fmt(nfev)),
            ("status", f"{_fmt(status)} ({self.message})"),
            ("method", self.method),
        ]
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td><pre style='margin:0'>{html.escape(v)}</pre></td></tr>"
            for k, v in rows
        )
        return (
            f"<table><caption>DerivativeResult ({html.escape(self.kind)})</caption>"
            f"{body}</table>"
        )


def _fmt(a, spec: str = ".15g") -> str:
    a = np.asarray(a)
    if a.ndim == 0:
        v = a.item()
        return format(v, spec) if isinstance(v, float) else str(v)
    if a.dtype.kind == "f" and spec != ".15g":
        return np.array2string(a, formatter={"float_kind": lambda v: format(v, spec)})
    return np.array2string(a)


def _to_numpy(a):
    if isinstance(a, np.ndarray):
        return a
    if hasattr(a, "detach"):  # torch
        return a.detach().cpu().numpy()
    try:
        return np.asarray(a)
    except Exception:  # pragma: no cover - other array libraries
        import array_api_compat

        return np.asarray(array_api_compat.to_device(a, "cpu"))


# --------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------
def _check_method(method, allowed=_METHODS):
    if not isinstance(method, str) or method not in allowed:
        raise DfdxError(
            "method must be one of "
            + ", ".join(repr(m) for m in allowed)
            + f"; got {method!r}"
        )


def _check_positive(name, value, *, allow_none=True, allow_zero=False):
    if value is None and allow_none:
        return None
    ok = isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(
        value, bool
    )
    if ok:
        try:
            v = float(value)
        except OverflowError:  # an int beyond float range
            v = math.inf
        ok = math.isfinite(v) and (v > 0 or (allow_zero and v == 0))
    if not ok:
        what = "non-negative" if allow_zero else "positive"
        raise DfdxError(f"{name} must be a {what} finite number, got {value!r}")
    return float(value)


def _check_int(name, value, lo, hi=None):
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value < lo
        or (hi is not None and value > hi)
    ):
        rng = f"in {lo}..{hi}" if hi is not None else f">= {lo}"
        raise DfdxError(f"{name} must be an integer {rng}, got {value!r}")
    return int(value)


def _namespace(x):
    """(xp, is_numpy, array) for the input x."""
    mod = type(x).__module__ or ""
    if (
        isinstance(x, np.ndarray)
        or not mod
        or mod == "builtins"
        or mod.startswith("numpy")
    ):
        return np, True, None
    try:
        import array_api_compat

        xp = array_api_compat.array_namespace(x)
    except (TypeError, ImportError):
        return np, True, None
    return xp, False, x


def _as_real_array(x, name="x"):
    """Validate x; return (xp, is_numpy, array of a real floating dtype)."""
    xp, is_np, arr = _namespace(x)
    if is_np:
        if isinstance(x, (str, bytes)) or x is None:
            raise DfdxError(f"{name} must be a real number or array, got {x!r:.60}")
        try:
            a = np.asarray(x)
        except Exception:
            raise DfdxError(
                f"{name} must be a real number or array, got {x!r:.60}"
            ) from None
        if a.dtype == bool or a.dtype.kind not in "iuf":
            raise DfdxError(
                f"{name} must be a real number or array, got {x!r:.60}"
                + (" (complex)" if a.dtype.kind == "c" else "")
            )
        if a.dtype.kind != "f" or a.dtype == np.float16:
            a = a.astype(np.float64)  # integers and half precision: float64
        elif a.dtype.itemsize > 8:
            # long double: complex steps and the result would silently be
            # float64 (complex128) while the error estimate claimed more
            a = a.astype(np.float64)
        return np, True, a
    if callable(getattr(arr, "detach", None)):
        # torch: a numerical derivative is not part of the caller's autograd
        # graph (and evaluating without the graph is faster)
        arr = arr.detach()
    dt = arr.dtype
    if xp.isdtype(dt, "complex floating") or not xp.isdtype(
        dt, ("real floating", "integral")
    ):
        raise DfdxError(f"{name} must be a real number or array, got dtype {dt}")
    if not xp.isdtype(dt, "real floating"):
        arr = xp.astype(arr, xp.float64)
    elif xp.finfo(dt).bits < 32:
        # float16 / bfloat16: too coarse for derivatives, and bfloat16 has no
        # NumPy counterpart; float32 keeps the array on its device
        arr = xp.astype(arr, xp.float32)
    return xp, False, arr


#: where dfdx's expression types live: Expression, and the grammar's SymPy
#: functions (relu(x) is a SymPy expression of dfdx's own class)
_EXPRESSION_MODULES = ("dfdx.expr", "dfdx.functions")


def _resolve_f(f, name="f"):
    """Callables pass through; expression text/Expression becomes its NumPy form."""
    mod = type(f).__module__ or ""
    # (the engine does not import the parser: the types are known by module)
    if isinstance(f, str) or mod.startswith("sympy") or mod in _EXPRESSION_MODULES:
        from . import _wiring  # the parser is above the numeric engine

        expr = _wiring.read_expression(f, name=name)
        return expr, expr.variables
    if not callable(f):
        raise DfdxError(
            f"{name} must be a callable or expression text, got {type(f).__name__}"
        )
    return guarded(f), None


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


def _scalar_auto(f, x: float, step):
    """The 'auto' method for one float64 point without the array machinery:
    the same complex step and real check as the general path (same calls of f,
    same shapes, same tolerances), so the same answer, several times faster.

    Returns (result or None, evaluations spent); None means the complex step
    was unavailable or contradicted, and Richardson must take over."""
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
    ok = math.isfinite(d) and abs(d - dr) <= _CHECK_RTOL * max(abs(d), abs(dr)) + rnd
    if not ok:
        return None, 3
    return (
        DerivativeResult(
            df=np.float64(d),
            error=np.float64(16 * eps * abs(d)),
            nfev=3,
            status=0,
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


# --------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------
def _common_options(n, method, step, rtol, atol, max_stages, allowed=_METHODS):
    _check_method(method, allowed)
    step = _check_positive("step", step)
    rtol = _check_positive("rtol", rtol, allow_zero=True)
    atol = _check_positive("atol", atol, allow_zero=True)
    max_stages = _check_int("max_stages", max_stages, 1, 16)
    return method, step, rtol, atol, max_stages


def _derivative_impl(
    f: Callable | str,
    x,
    *,
    n: int = 1,
    method: str = "auto",
    step: float | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    max_stages: int = 4,
    _probe: bool = True,
) -> DerivativeResult:
    """The n-th derivative of an elementwise function at every point of `x`.

    Parameters
    ----------
    f : callable or str
        An elementwise function: called with an array of points, it returns an
        array of the same shape. Expression text (``"sin(x)/x"``) or a
        :class:`dfdx.Expression` of one variable is evaluated numerically.
        ``f`` is called once per stage with all the points of that stage
        (a NumPy ``x`` of more than 262 144 points is done in chunks of that
        many, so memory stays bounded; the results are the same numbers).
    x : float, array_like or tensor
        Where to differentiate; any shape. NumPy in, NumPy out (float32 stays
        float32; integers, float16 and long double are differentiated in
        float64); PyTorch tensors (or other array-API arrays) in, same out
        (float16 and bfloat16 in float32). Booleans are refused.
    n : int, optional
        Derivative order, 1 to 4. Default 1.
    method : {'auto', 'richardson', 'complex', 'central', 'forward', 'backward'}
        See the module documentation. Default ``'auto'``.
    step : float, optional
        The (largest) step, relative to ``max(1, |x| sqrt(eps))``. Defaults:
        ``0.5`` (Richardson, n = 1), ``1`` (Richardson, n > 1), the
        rounding-optimal step for the fixed-step methods.
    rtol, atol : float, optional
        Tolerance of the error estimate for convergence (status 0). Defaults
        ``eps**0.75 * 100**(n-1)`` and 0 (the fixed-step methods:
        ``FIXED_RTOL[method] * 100**(n-1)``, 1e-8 central, 1e-6 one-sided,
        at most ``FIXED_RTOL_MAX`` = 1e-2);
        an estimate at the rounding floor always counts as converged, so
        ``f' = 0`` converges with Richardson.
    max_stages : int, optional
        Richardson stages (8 steps each, each stage 128 times smaller). Default 4.

    Returns
    -------
    DerivativeResult
        ``df``, ``error`` (an estimate of ``|df - exact|``), ``nfev`` (function
        evaluations per point), ``status`` (0 converged, negative: see
        :data:`STATUS_MESSAGES`), ``method``.

    Raises
    ------
    DfdxError
        For invalid options or `x`, and when `f` raises on real input (the
        message names `f`; the original exception is its ``__cause__``), returns
        something that is not numbers, a different shape, or complex values
        for real input. An exception on *complex* input only means that `f`
        does not support the complex step.

    Examples
    --------
    >>> import numpy as np
    >>> from dfdx.numeric import derivative
    >>> res = derivative(np.exp, 1.0)
    >>> print(f"{float(res):.15f}", res.status, res.method)
    2.718281828459045 0 complex
    >>> res = derivative(lambda x: np.abs(x) * x, np.array([-2.0, 3.0]))
    >>> print(np.round(res.df, 9), res.method)
    [4. 6.] richardson
    >>> print(f"{float(derivative(np.log, 1e-3, method='richardson')):.6f}")
    1000.000000
    >>> round(float(derivative(np.sin, 0.0, n=3)), 8)
    -1.0
    """
    f, variables = _resolve_f(f)
    if variables is not None and len(variables) > 1:
        raise DfdxError(
            f"f has variables {', '.join(variables)}; derivative needs a function "
            "of one variable (use gradient or jacobian)"
        )
    n = _check_int("n", n, 1, 4)
    method, step, rtol, atol, max_stages = _common_options(
        n, method, step, rtol, atol, max_stages
    )
    xp, is_np, xa = _as_real_array(x)
    dtype = xa.dtype
    if method == "auto" and n == 1 and is_np and xa.ndim == 0 and dtype == np.float64:
        with np.errstate(all="ignore"):  # overflow in f is reported by status
            fast, spent = _scalar_auto(f, float(xa), step)
        if fast is not None:
            return fast
        # the general path (not the public derivative: its kink check would
        # run here and again in the caller, twice the evaluations)
        res = _derivative_impl(
            f,
            x,
            n=1,
            method="richardson",
            step=step,
            rtol=rtol,
            atol=atol,
            max_stages=max_stages,
        )
        return dataclasses.replace(res, nfev=res.nfev + spent)
    shape = tuple(xa.shape)
    xu = xp.reshape(xa, (-1,))
    prec = {"eps": float(xp.finfo(dtype).eps)}  # f's precision, see _Engine
    cdtype = xp.complex64 if dtype == xp.float32 else xp.complex128

    def real_eval(T, idx):
        if xp is np and T.dtype == dtype:
            T += _take(xp, xu, idx)[None, :]  # T is scratch: the points in place
            P = T
        else:
            P = _take(xp, xu, idx)[None, :] + xp.astype(T, dtype)
        V = _call(f, P)
        _note_precision(prec, V)
        return _values(xp, V, P.shape, dtype)[..., None]

    def cplx_eval(t, idx):
        xr = _take(xp, xu, idx)
        if xp is np:  # x + i t without complex temporaries; the same numbers
            z = np.empty(xr.shape, dtype=cdtype)
            np.add(xr, 0.0, out=z.real)  # (x + 0j) + 1j*t has real part x + 0.0
            z.imag = t
        else:
            z = xp.astype(xr, cdtype) + xp.astype(t, cdtype) * 1j
        out = _call_complex(f, z)
        if out is None:
            return None
        out = out if (xp is not np or isinstance(out, np.ndarray)) else np.asarray(out)
        if not hasattr(out, "dtype") or not xp.isdtype(out.dtype, "complex floating"):
            return None
        _note_precision(prec, out)
        if tuple(out.shape) != tuple(z.shape):
            if out.ndim == 0:
                out = xp.broadcast_to(out, z.shape)
            else:
                return None
        return out[:, None]

    def lower(eng, good):
        # g(x) = Im f(x + ih)/h: the exact first derivative, real-evaluable
        hc = eng.eps**2 * eng.scale(good)
        xg = _take(xp, xu, good)

        def g_eval(T, idx):
            P = _take(xp, xg, idx)[None, :] + xp.astype(T, dtype)
            hh = _take(xp, hc, idx)[None, :]
            z = xp.astype(P, cdtype) + xp.astype(hh, cdtype) * 1j
            out = _call(f, z)
            return xp.astype(xp.imag(out), dtype)[..., None] / hh[..., None]

        return _Engine(
            xp, dtype, xg, g_eval, None, 1, rtol, atol, step, max_stages, n - 1, prec
        )

    eng = _Engine(
        xp, dtype, xu, real_eval, cplx_eval, 1, rtol, atol, step, max_stages, n, prec
    )
    if _probe:  # once per call (not per chunk); its calls count in nfev
        _check_elementwise(f, xp, xu, dtype, eng.nfev)
    fin = _np(xp, xp.isfinite(xu))
    all_fin = bool(fin.all())
    idx_all = None if all_fin else np.flatnonzero(fin)  # None: every point
    with np.errstate(all="ignore"):
        df, err, used = _run_units(eng, n, method, idx_all, lower)
    status = eng.status[:, 0]
    if not all_fin:
        status[~fin] = -4
    if method in ("auto", "complex") and used:
        name = "+".join(sorted(used))
    else:
        name = method
    return _finalise(
        xp,
        is_np,
        shape,
        df[:, 0],
        err[:, 0],
        status,
        eng.nfev,
        name,
        "derivative",
        n,
        dtype,
    )


def _check_elementwise(f, xp, xu, dtype, spent: np.ndarray | None = None) -> None:
    """Refuse an f that is not elementwise (x.sum(), cumsum, x / x.sum()): its
    differences at all points at once would be silently wrong. Probes at most
    four points: f must return one value per point, and moving one point must
    leave the values at the others unchanged. The evaluations are added to
    `spent` (per point) as they are made."""
    m = min(int(xu.shape[0]), 4)
    if m < 2:
        return
    probe = xp.asarray(_np(xp, xu[:m]).copy() if xp is np else xu[:m], dtype=dtype)
    if not bool(xp.all(xp.isfinite(probe))):
        return
    try:
        with np.errstate(all="ignore"):
            if spent is not None:
                spent[:m] += 1
            a = _call(f, probe)
            moved = xp.concat([probe[:1] + 0.5 * (1 + xp.abs(probe[:1])), probe[1:]])
            if spent is not None:
                spent[:m] += 1
            b = _call(f, moved)
        a_np, b_np = np.asarray(_to_numpy(a)), np.asarray(_to_numpy(b))
    except DfdxError:
        return  # the run itself reports what f did wrong
    except Exception:  # f could not take the probe: let the run report it
        return
    if a_np.dtype.kind not in "biufc" or b_np.dtype.kind not in "biufc":
        return  # not numbers: the run reports it
    if a_np.shape != (m,):
        raise DfdxError(
            f"{_fname(f)} must be elementwise: called with shape ({m},), it "
            f"returned shape {a_np.shape} (one value per point is needed; use "
            "dfdx.gradient or dfdx.jacobian for a function of a vector)"
        )
    same = (a_np[1:] == b_np[1:]) | (np.isnan(a_np[1:]) & np.isnan(b_np[1:]))
    if b_np.shape == (m,) and not bool(np.all(same)):
        # a value that changes with nothing moved is noise (f draws random
        # numbers, as scipy's own test_flags function does), not a value that
        # depends on x[0]: call f at the same points again before refusing
        try:
            with np.errstate(all="ignore"):
                if spent is not None:
                    spent[:m] += 1
                c_np = np.asarray(_to_numpy(_call(f, probe)))
        except Exception:
            c_np = a_np
        if c_np.shape == (m,):
            again = (a_np[1:] == c_np[1:]) | (np.isnan(a_np[1:]) & np.isnan(c_np[1:]))
            same |= ~again
    if b_np.shape == (m,) and not bool(np.all(same)):
        raise DfdxError(
            f"{_fname(f)} must be elementwise: changing x[0] changed its values at "
            "other points; use dfdx.jacobian for a function of a vector"
        )


# --------------------------------------------------------------------------
# several variables
# --------------------------------------------------------------------------


def derivative(
    f: Callable | str,
    x,
    *,
    n: int = 1,
    method: str = "auto",
    step: float | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    max_stages: int = 4,
) -> DerivativeResult:
    options: dict[str, Any] = dict(
        n=n, method=method, step=step, rtol=rtol, atol=atol, max_stages=max_stages
    )
    if (
        isinstance(method, str)
        and method == "richardson"
        and n == 1
        and type(x) in (float, int, np.float64)
    ):
        fast = _scalar_richardson(f, x, options)
        if fast is not None:
            return _flag_kinks(fast[1], x, fast[0], options)
    if isinstance(x, np.ndarray) and x.size > DERIVATIVE_CHUNK:
        return _in_chunks(f, x, options)
    return _derivative_points(f, x, options)


#: Points differentiated at a time: a larger NumPy array is done in chunks of
#: this many points, so that the engine's temporaries (stencils, tableaux, the
#: kink check) stay about the size of a few copies of one chunk, whatever the
#: size of x (at 1e7 points: 2.4 GB for 'auto' and 8.7 GB for 'richardson' in
#: one piece). Every point's computation is independent of the others, so the
#: results are the same numbers.
DERIVATIVE_CHUNK = 1 << 18


def _in_chunks(f, x: np.ndarray, options) -> DerivativeResult:
    """derivative() of a large NumPy array, chunk by chunk, into arrays of the
    whole size (df and error filled in place; the small per-point counts and
    codes joined at the end)."""
    flat = x.reshape(-1)
    df: np.ndarray | None = None
    error: np.ndarray | None = None
    status, nfev, names = [], [], set()
    for start in range(0, flat.size, DERIVATIVE_CHUNK):
        part = _derivative_points(
            f, flat[start : start + DERIVATIVE_CHUNK], options, probe=start == 0
        )
        if df is None or error is None:
            df = np.empty(flat.size, dtype=np.asarray(part.df).dtype)
            error = np.empty(flat.size, dtype=np.asarray(part.error).dtype)
        stop = start + np.size(part.df)
        df[start:stop] = part.df
        error[start:stop] = part.error
        status.append(np.asarray(part.status))
        nfev.append(np.asarray(part.nfev))
        names.update(part.method.split("+"))
    assert df is not None and error is not None
    return DerivativeResult(
        df=df.reshape(x.shape),
        error=error.reshape(x.shape),
        nfev=_small_ints(np.concatenate(nfev).reshape(x.shape), np.int16),
        status=_small_ints(np.concatenate(status).reshape(x.shape)),
        method="+".join(sorted(names)),
        kind="derivative",
        n=options["n"],
    )


def _derivative_points(f, x, options, probe: bool = True) -> DerivativeResult:
    """derivative() of x in one piece (`probe`: check that f is elementwise;
    done on the first chunk only)."""
    try:
        return _flag_kinks(
            f, x, _derivative_impl(f, x, **options, _probe=probe), options
        )
    except DfdxError as exc:
        if not _scalar_only(exc) or not callable(f) or hasattr(x, "detach"):
            raise
    # f works on one number at a time (math.sin, code with `if x > 0`): call it
    # point by point. Same answers, slower; the complex step is used only if f
    # accepts Python complex numbers.
    g = _pointwise(f)
    return _flag_kinks(g, x, _derivative_impl(g, x, **options, _probe=probe), options)


def _flag_kinks(f, x, res: DerivativeResult, options) -> DerivativeResult:
    """Status -6 where the one-sided derivatives (n = 1) or one-sided second
    differences (n = 2) disagree: at a kink the symmetric estimate (|x| at 0
    gives 0, max(x,0)^2 at 0 gives f'' = 1) is no derivative, however well it
    converged. NumPy inputs; one more call of f at 7 points per converged
    point, counted in ``nfev`` (every value of f computed is)."""
    n = options["n"]
    if n > 2:
        return res
    xp = None  # NumPy (or a Python number); else the caller's array namespace
    x_dtype = None
    if not isinstance(x, (int, float, np.ndarray, np.generic)):
        # a torch or JAX array: f is called with the caller's array type,
        # the bookkeeping is done in NumPy
        try:
            xp, is_np, x_arr = _as_real_array(x)
        except DfdxError:
            return res
        if is_np:
            xp = None
        x_dtype = x_arr.dtype
        x = np.asarray(_to_numpy(x_arr))
    f = _resolve_f(f)[0]
    called: list = []
    if n == 1 and type(x) in (float, int, np.float64) and res.status == 0:
        kink = _scalar_kink(f, x, float(res.df), options["atol"], called)
        if called:
            res = dataclasses.replace(res, nfev=res.nfev + _KINK_POINTS)
        if kink is not None:
            return dataclasses.replace(res, status=-6) if kink else res
    xa = np.asarray(x)
    if xa.dtype.kind not in "fiu":
        return res
    xu = xa.astype(np.result_type(xa.dtype, np.float32)).reshape(-1)
    status = np.asarray(res.status).reshape(-1)
    df = np.asarray(_to_numpy(res.df), dtype=float).reshape(-1)
    cand = np.flatnonzero((status == 0) & np.isfinite(xu))
    if cand.size == 0:
        return res
    eps = float(np.finfo(xu.dtype).eps)
    xc = xu[cand]
    scale = np.maximum(np.abs(xc), 1.0)
    h = eps ** (1 / 3 if n == 1 else 1 / 4) * scale
    h = (xc + h) - xc
    P = np.stack([xc + k * h for k in _KINK_OFFSETS])
    reused = called[0] if called else None  # the scalar check's values at P
    if reused is None or np.shape(reused) != P.shape:
        nfev = np.asarray(res.nfev)
        if nfev.size == xu.size:  # the check's values per point count in nfev
            nfev = nfev.reshape(-1).copy()
            nfev[cand] += _KINK_POINTS
            res = dataclasses.replace(
                res,
                nfev=nfev.reshape(np.shape(res.nfev))
                if np.ndim(res.nfev)
                else int(nfev[0]),
            )
        try:
            with np.errstate(all="ignore"):
                reused = _call(f, P if xp is None else xp.asarray(P, dtype=x_dtype))
        except (DfdxError, TypeError, ValueError):
            return res
    try:
        raw = np.asarray(_to_numpy(reused))
    except (DfdxError, TypeError, ValueError):
        return res
    if raw.shape != P.shape or raw.dtype.kind not in "fiu":
        return res
    del P, reused  # memory: a large array is checked chunk by chunk
    if raw.dtype.kind == "f":  # f's own rounding (a float32 model at float64 x)
        eps = max(eps, float(np.finfo(raw.dtype).eps))
    raw = raw.astype(float, copy=False)
    # f undefined at the point itself (x/x at 0): its neighbours give a
    # finite quotient, but there is no derivative where there is no value
    undefined = ~np.isfinite(raw[0])
    with np.errstate(all="ignore"):
        kink = _kinks(raw, h, df[cand], eps, n, options["atol"])
    kink &= ~undefined
    if not kink.any() and not undefined.any():
        return res
    new_status = status.copy()
    new_status[cand[kink]] = -6
    new_status[cand[undefined]] = -7
    shape = np.shape(res.status)
    st = new_status.reshape(shape) if shape else int(new_status[0])
    if not undefined.any():
        return dataclasses.replace(res, status=st)
    new_df = np.array(_to_numpy(res.df), dtype=float, copy=True).reshape(-1)
    new_err = np.array(_to_numpy(res.error), dtype=float, copy=True).reshape(-1)
    new_df[cand[undefined]] = np.nan
    new_err[cand[undefined]] = np.nan
    if xp is not None:  # back to the caller's array type
        out_df = xp.asarray(new_df.reshape(np.shape(_to_numpy(res.df))), dtype=x_dtype)
        out_err = xp.asarray(
            new_err.reshape(np.shape(_to_numpy(res.error))), dtype=x_dtype
        )
    elif shape:
        out_df = new_df.reshape(shape).astype(np.asarray(res.df).dtype, copy=False)
        out_err = new_err.reshape(shape).astype(np.asarray(res.error).dtype, copy=False)
    else:
        out_df, out_err = type(res.df)(new_df[0]), type(res.error)(new_err[0])
    return dataclasses.replace(res, status=st, df=out_df, error=out_err)


derivative.__doc__ = _derivative_impl.__doc__


def _scalar_richardson(f, x, options) -> tuple[DerivativeResult, Callable] | None:
    """``derivative(f, x, method='richardson')`` for one float x, n = 1, in
    Python floats: the general path's calls of f (same points, same array
    shapes, the same per-point fallback for f that take only scalars), the
    same quotients, tableau, stopping rule and error, so the same result,
    without the array machinery (a few times faster). Returns the result and
    the f to check for a kink with (the per-point wrapper where it was needed).

    Returns None, having decided nothing, where the general path has more to
    do: an invalid option, non-finite x or values, a float32 f, an f that
    raises or returns something other than one float64 per point."""
    fn, variables = _resolve_f(f)
    if variables is not None and len(variables) > 1:
        return None
    n, method, step, rtol, atol, max_stages = (options[k] for k in _OPTION_NAMES)
    try:
        _, step, rtol, atol, max_stages = _common_options(
            n, method, step, rtol, atol, max_stages
        )
    except DfdxError:
        return None
    try:
        x = float(x)
    except OverflowError:  # an int beyond float64: the general path says so
        return None
    if not math.isfinite(x):
        return None
    state = {"f": fn}

    def values(points: list) -> list | None:
        P = np.array(points).reshape(-1, 1)
        try:
            out = _call(state["f"], P)
        except DfdxError as exc:
            if state["f"] is not fn or not _scalar_only(exc):
                return None
            state["f"] = _pointwise(fn)  # as the general path retries
            try:
                out = _call(state["f"], P)
            except DfdxError:
                return None
        if (
            not isinstance(out, np.ndarray)
            or out.dtype != np.float64
            or out.shape != P.shape
        ):
            return None
        v = out.reshape(-1).tolist()
        return v if all(map(math.isfinite, v)) else None

    eps = _EPS64
    rtol = eps**0.75 if rtol is None else rtol
    atol = 0.0 if atol is None else atol
    h0 = step if step is not None else 0.5
    s = abs(x) * math.sqrt(eps)
    s = s if s > 1.0 else 1.0
    best, best_err, nfev, converged = math.nan, math.inf, 0, False
    for stage in range(max_stages):
        hs = [
            (x + h0 * _RATIO ** (stage * _LADDER + j) * s) - x for j in range(_LADDER)
        ]
        v = values([p for h in hs for p in (h + x, -h + x)])
        if v is None:
            return None
        nfev += 2 * _LADDER
        d, r = [], []
        for j, h in enumerate(hs):
            a, b = v[2 * j], v[2 * j + 1]
            d.append((0.0 + 0.5 * a + -0.5 * b) / h)
            r.append(4 * eps * (0.0 + 0.5 * abs(a) + 0.5 * abs(b)) / h)
        if not all(map(math.isfinite, d)):
            return None
        val, err, trunc, rnd = _neville_floats(d, r, _RATIO, 2)
        better = err < best_err
        if better:
            best, best_err = val, err
        tol = atol + rtol * abs(best)
        tol = tol if tol >= 0.0 else 0.0
        if better and (trunc <= tol or trunc <= rnd) and math.isfinite(best):
            converged = True
            break
    if not math.isfinite(best):
        return None
    result = DerivativeResult(
        df=np.float64(best),
        error=np.float64(best_err + eps * abs(best)),
        nfev=nfev,
        status=0 if converged else -1,
        method="richardson",
        kind="derivative",
        n=1,
    )
    return result, state["f"]


_OPTION_NAMES = ("n", "method", "step", "rtol", "atol", "max_stages")


def _scalar_kink(f, x, df: float, atol, called: list | None = None) -> bool | None:
    """:func:`_flag_kinks` for one float x and n = 1 in Python floats: the
    same call of f (points x + k h, shape (7, 1)) and the same numbers. None
    where the array code must decide (a value that is not float64)."""
    try:
        x = float(x)
    except OverflowError:
        return None
    if not math.isfinite(x):
        return None
    h = _EPS64 ** (1 / 3) * (abs(x) if abs(x) > 1.0 else 1.0)
    h = (x + h) - x
    P = np.array([x + k * h for k in _KINK_OFFSETS]).reshape(_KINK_POINTS, 1)
    try:
        raw = _call(f, P)
    except (DfdxError, TypeError, ValueError):
        if called is not None:
            called.append(None)
        return False  # as the array code: no evidence of a kink
    if called is not None:
        called.append(raw)  # the array code reuses these values
    if (
        not isinstance(raw, np.ndarray)
        or raw.dtype != np.float64
        or raw.shape != P.shape
        or not math.isfinite(raw[0, 0])  # undefined at x: the array code says so
    ):
        return None
    with np.errstate(all="ignore"):
        return bool(_kinks(raw.reshape(-1).tolist(), h, df, _EPS64, 1, atol))


#: Where the kink check evaluates f: x + k h. The one-sided quotients at h and
#: at 2h give each its truncation estimate: a smooth function's one-sided
#: derivatives differ by their truncation errors (cos'' at pi/2 and the
#: saddle (x-1)^3 | (x-1)^5 at 1 were called kinks when only rounding was
#: allowed for).
_KINK_OFFSETS = (0, 1, 2, 4, -1, -2, -4)
_KINK_POINTS = len(_KINK_OFFSETS)


def _kinks(V, h, df, eps: float, n: int, atol):
    """Whether the one-sided derivatives (n = 1) or second differences (n = 2)
    from the values V = f at x + k h (k in _KINK_OFFSETS) disagree beyond
    their truncation and rounding. V's rows are arrays (one entry per point)
    or floats; the same operations in the same order either way."""
    f0, f1, f2, f4, g1, g2, g4 = V
    total = abs(f0) + abs(f1) + abs(f2) + abs(g1) + abs(g2)  # as NumPy's sum(axis=0)
    total = total + abs(f4) + abs(g4)
    if n == 1:
        right = (-3 * f0 + 4 * f1 - f2) / (2 * h)
        left = (3 * f0 - 4 * g1 + g2) / (2 * h)
        # the same quotients at 2h (one at a time: memory on large arrays)
        trunc = abs((-3 * f0 + 4 * f2 - f4) / (4 * h) - right)
        trunc = trunc + abs((3 * f0 - 4 * g2 + g4) / (4 * h) - left)
        rel = 1e-4
        rnd = 16 * eps * total / h
        order = 3.0  # 2**2 - 1: second-order formulas
    else:
        right = (f0 - 2 * f1 + f2) / h**2
        left = (f0 - 2 * g1 + g2) / h**2
        trunc = abs((f0 - 2 * f2 + f4) / (4 * h**2) - right)
        trunc = trunc + abs((f0 - 2 * g2 + g4) / (4 * h**2) - left)
        rel = 5e-2
        rnd = 16 * eps * total / h**2
        order = 1.0  # 2**1 - 1: first-order formulas
    trunc = trunc / order
    size = np.maximum(np.maximum(abs(left), abs(right)), abs(df))
    tol = rel * size + 100 * rnd + 4 * trunc + (atol or 0.0)
    return abs(right - left) > tol


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


def _point(x, name="x"):
    xp, is_np, xa = _as_real_array(x, name)
    if xa.ndim == 0:
        xa = xp.reshape(xa, (1,))
    if xa.ndim != 1:
        raise DfdxError(
            f"{name} must be a point of R^n (a 1-D array), got shape {tuple(xa.shape)}"
        )
    if xa.shape[0] == 0:
        raise DfdxError(f"{name} must have at least one coordinate, got shape (0,)")
    if not bool(xp.all(xp.isfinite(xa))):
        raise DfdxError(f"{name} must be finite, got {_to_numpy(xa)!r}")
    return xp, is_np, xa


def _make_F(f, xp, vectorized, name="f"):
    """F(P) with P of shape (n, K) -> values of shape (m, K) (m=1 for scalars)."""

    def as_arr(v):
        _check_numbers(v, name)
        if xp is np:
            return _check_numbers(np.asarray(v), name)
        return v if hasattr(v, "shape") else xp.asarray(v)

    if vectorized:

        def F(P):
            K = P.shape[1]
            out = as_arr(_call(f, P, name))
            if tuple(out.shape) == (K,):
                return xp.reshape(out, (1, K))
            if out.ndim == 2 and out.shape[1] == K:
                return out
            raise DfdxError(
                f"with vectorized=True, {name} gets shape (n, k) = {tuple(P.shape)} "
                f"and must return shape (k,) or (m, k); it returned {tuple(out.shape)}"
            )

    else:

        def F(P):
            cols = []
            for k in range(P.shape[1]):
                out = as_arr(_call(f, P[:, k], name))
                if out.ndim > 1:
                    raise DfdxError(
                        f"{name} must return a scalar or a 1-D array, got shape "
                        f"{tuple(out.shape)}"
                    )
                cols.append(xp.reshape(out, (-1,)))
            return xp.stack(cols, axis=1)

    return F


def _multi_setup(f, x, vectorized, name):
    fn, variables = _resolve_f(f)
    if variables is not None:
        raise DfdxError(
            f"numeric.{name} differentiates callables; for expressions use dfdx.{name}"
        )
    if not isinstance(vectorized, bool) and vectorized != "auto":
        raise DfdxError(f"vectorized must be True, False or 'auto', got {vectorized!r}")
    xp, is_np, xa = _point(x)
    if vectorized == "auto":
        vectorized = _takes_batches(fn, xp, xa)
    F = _make_F(fn, xp, vectorized)
    return fn, xp, is_np, xa, F


def _takes_batches(f, xp, xa) -> bool:
    """vectorized='auto': one batched call of f with n + 1 points (so that no
    axis length equals n by accident), kept only if it returns one value (or
    one column) per point and agrees exactly... to rounding with f called on
    two of those points one at a time. Any doubt: point by point."""
    n = xa.shape[0]
    k = n + 1
    offsets = xp.asarray(np.linspace(-0.25, 0.25, k), dtype=xa.dtype)
    P = xa[:, None] + offsets[None, :] * (xp.abs(xa)[:, None] + 1)
    try:
        with np.errstate(all="ignore"):
            batch = _to_numpy(f(P))
            singles = [_to_numpy(f(P[:, j])) for j in (0, k - 1)]
    except Exception:  # f does not take a batch (or fails): the per-point path says
        return False
    batch = np.asarray(batch)
    if batch.dtype.kind not in "fiu":
        return False
    if batch.shape == (k,):
        batch = batch[None, :]
    if batch.ndim != 2 or batch.shape[1] != k:
        return False
    for j, single in zip((0, k - 1), singles, strict=True):
        single = np.asarray(single, dtype=float).reshape(-1)
        if single.shape != (batch.shape[0],):
            return False
        col = batch[:, j].astype(float)
        scale = np.maximum(np.abs(single), 1.0)
        if not np.all(
            (np.abs(col - single) <= 1e-12 * scale) | (np.isnan(col) & np.isnan(single))
        ):
            return False
    return True


def _jac_engine(F, xp, xa, dtype, q, rtol, atol, step, max_stages):
    nvar = xa.shape[0]
    cdtype = xp.complex64 if dtype == xp.float32 else xp.complex128
    eye = xp.eye(nvar, dtype=dtype)

    def real_eval(T, idx):
        K, L = T.shape
        E = _take(xp, eye, idx)  # (L, n)
        P = xa[:, None, None] + xp.permute_dims(E, (1, 0))[:, None, :] * T[None]
        with np.errstate(all="ignore"):
            V = F(xp.reshape(P, (nvar, K * L)))
        if xp.isdtype(V.dtype, "complex floating"):
            raise DfdxError("f returned complex values for real input")
        V = xp.astype(V, dtype)
        return xp.permute_dims(xp.reshape(V, (q, K, L)), (1, 2, 0))

    def cplx_eval(t, idx):
        E = xp.astype(_take(xp, eye, idx), cdtype)
        P = (
            xp.astype(xa, cdtype)[:, None]
            + xp.permute_dims(E, (1, 0)) * (xp.astype(t, cdtype) * 1j)[None, :]
        )
        out = _call_complex(F, P)
        if out is None or not xp.isdtype(out.dtype, "complex floating"):
            return None
        if tuple(out.shape) != (q, t.shape[0]):
            return None
        return xp.permute_dims(out, (1, 0))

    return _Engine(xp, dtype, xa, real_eval, cplx_eval, q, rtol, atol, step, max_stages)


def jacobian(
    f: Callable,
    x,
    *,
    vectorized: bool | str = False,
    method: str = "auto",
    step: float | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    max_stages: int = 4,
) -> DerivativeResult:
    """Jacobian matrix of a callable R^n -> R^m at the point `x`.

    Parameters
    ----------
    f : callable
        Called with one point of shape ``(n,)`` at a time and returning shape
        ``(m,)`` (or a scalar), unless ``vectorized=True``: then it receives
        shape ``(n, k)``, variables along the first axis, and returns ``(m, k)``.
    x : array_like or tensor, shape (n,)
        The point.
    vectorized : bool or 'auto', optional
        See `f`. Default False. ``'auto'`` makes one batched call of `f` with
        n + 1 points and uses batches only if that call returns one value per
        point, equal (to 1e-12) to `f` called on two of them one at a time.
    method, step, rtol, atol, max_stages
        As in :func:`derivative`; every coordinate is differentiated like a
        point of :func:`derivative`.

    Returns
    -------
    DerivativeResult
        ``df`` of shape ``(m, n)`` with ``df[i, j] = d f_i / d x_j``; ``nfev``
        is the total number of points at which ``f`` was evaluated; ``error``
        and ``status`` have the shape of ``df``.

    Examples
    --------
    >>> import numpy as np
    >>> from dfdx.numeric import jacobian
    >>> res = jacobian(lambda p: np.array([p[0] * p[1], np.sin(p[0])]), [1.0, 2.0])
    >>> print(np.round(res.df, 12))
    [[2.       1.      ]
     [0.540302 0.      ]]
    >>> res.nfev, res.method
    (7, 'complex')
    """
    return _jacobian(f, x, vectorized, method, step, rtol, atol, max_stages, "jacobian")


def gradient(
    f: Callable,
    x,
    *,
    vectorized: bool | str = False,
    method: str = "auto",
    step: float | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    max_stages: int = 4,
) -> DerivativeResult:
    """Gradient of a scalar callable R^n -> R at the point `x`.

    Parameters
    ----------
    f : callable
        Called with one point of shape ``(n,)`` at a time (returns a scalar),
        or with shape ``(n, k)`` when ``vectorized=True`` (returns ``(k,)``).
    x : array_like or tensor, shape (n,)
        The point.
    vectorized : bool or 'auto', optional
        See `f`. Default False. ``'auto'`` makes one batched call of `f` with
        n + 1 points and uses batches only if that call returns one value per
        point, equal (to 1e-12) to `f` called on two of them one at a time.
    method, step, rtol, atol, max_stages
        As in :func:`derivative`.

    Returns
    -------
    DerivativeResult
        ``df`` of shape ``(n,)``; ``nfev`` counts the points evaluated.

    Examples
    --------
    >>> import numpy as np
    >>> from dfdx.numeric import gradient
    >>> f = lambda p: 3 * p[0] ** 2 + 5 * np.exp(p[1])
    >>> res = gradient(f, [1.0, 0.0])
    >>> print(np.round(res.df, 12), res.nfev)
    [6. 5.] 7
    >>> res = gradient(f, [1.0, 0.0], vectorized=True, method="richardson")
    >>> print(np.round(res.df, 12), res.status)
    [6. 5.] [0 0]
    """
    return _jacobian(f, x, vectorized, method, step, rtol, atol, max_stages, "gradient")


def _jacobian(f, x, vectorized, method, step, rtol, atol, max_stages, kind):
    _, step, rtol, atol, max_stages = _common_options(
        1, method, step, rtol, atol, max_stages
    )
    fn, xp, is_np, xa, F = _multi_setup(f, x, vectorized, kind)
    dtype = xa.dtype
    nvar = xa.shape[0]
    with np.errstate(all="ignore"):
        f0 = F(xa[:, None])
    q = f0.shape[0]
    if kind == "gradient" and q != 1:
        raise DfdxError(
            f"f must return a scalar for gradient, got {q} values (use jacobian)"
        )
    eng = _jac_engine(F, xp, xa, dtype, q, rtol, atol, step, max_stages)
    with np.errstate(all="ignore"):
        df, err, used = _run_units(eng, 1, method, np.arange(nvar))
    name = "+".join(sorted(used)) if method in ("auto", "complex") else method
    nfev = int(eng.nfev.sum()) + 1
    status = eng.status.T
    df = xp.permute_dims(df, (1, 0))
    err = xp.permute_dims(err, (1, 0))
    if kind == "gradient":
        df, err, status = df[0], err[0], status[0].copy()
    else:
        status = status.copy()
    return DerivativeResult(
        df=df, error=err, nfev=nfev, status=status, method=name, kind=kind
    )


def hessian(
    f: Callable,
    x,
    *,
    vectorized: bool | str = False,
    method: str = "auto",
    step: float | None = None,
    rtol: float | None = None,
    atol: float | None = None,
) -> DerivativeResult:
    """Hessian matrix of a scalar callable R^n -> R at the point `x`.

    Uses the symmetric second-difference stencil (``n**2 + n + 1`` points per
    step) at three steps ``h, h/2, h/4`` with two Richardson extrapolations,
    so ``1 + 3 n (n + 1)`` evaluations in all (331 for n = 10); exact to
    rounding for polynomials of degree up to 5. Where an entry's error
    estimate misses the tolerance (steps too coarse for f's curvature), the
    stencil is evaluated again from steps 4, 16 and 64 times smaller, and each
    entry keeps the first result that meets it (``nfev`` counts every point).

    Parameters
    ----------
    f : callable
        Called with one point of shape ``(n,)`` (returns a scalar), or with
        ``(n, k)`` when ``vectorized=True`` (returns ``(k,)``).
    x : array_like or tensor, shape (n,)
        The point.
    vectorized : bool or 'auto', optional
        See `f`. Default False. ``'auto'`` makes one batched call of `f` with
        n + 1 points and uses batches only if that call returns one value per
        point, equal (to 1e-12) to `f` called on two of them one at a time.
    method : {'auto', 'richardson', 'central'}, optional
        ``'auto'`` and ``'richardson'``: the extrapolated result;
        ``'central'``: the plain stencil at one step (``n**2 + n + 1`` points;
        its error estimate covers rounding only).
    step : float, optional
        Largest step, relative to ``max(1, |x_i| sqrt(eps))``. Default 0.2.
    rtol, atol : float, optional
        Tolerance for status 0. Defaults ``eps**0.5`` and 0.

    Returns
    -------
    DerivativeResult
        ``df`` of shape ``(n, n)`` (symmetric), ``error`` estimates, ``nfev``
        the number of points evaluated.

    Examples
    --------
    >>> import numpy as np
    >>> from dfdx.numeric import hessian
    >>> f = lambda p: p[0] ** 2 * p[1] + np.sin(p[1])
    >>> res = hessian(f, [1.0, 0.0])
    >>> print(np.round(res.df, 10), res.nfev)
    [[0. 2.]
     [2. 0.]] 19
    """
    method, step, rtol, atol, _ = _common_options(
        2, method, step, rtol, atol, 1, ("auto", "richardson", "central")
    )
    fn, xp, is_np, xa, F = _multi_setup(f, x, vectorized, "hessian")
    dtype = xa.dtype
    eps = float(xp.finfo(dtype).eps)
    nvar = xa.shape[0]
    levels = 1 if method == "central" else 3
    h0 = step if step is not None else (0.2 if levels > 1 else eps**0.25)
    ax = xp.abs(xa)
    s = xp.where(ax * math.sqrt(eps) > 1, ax * math.sqrt(eps), 1.0)
    iu, ju = np.triu_indices(nvar, 1)
    eye = xp.eye(nvar, dtype=dtype)

    def attempt(h0):
        """The extrapolated Hessian from the steps h0, h0/2, h0/4: (H, error,
        status, evaluations)."""
        hs = [(xa + h0 * 0.5**lev * s) - xa for lev in range(levels)]
        # the stencil points, in blocks of at most _HESSIAN_BLOCK numbers: all of
        # them at once would be O(n^3) memory (24 GB at n = 1000)
        width = max(1, _HESSIAN_BLOCK // nvar)

        def blocks():
            yield xa[:, None]
            for h in hs:
                D = eye * h[None, :]  # column i: h_i e_i
                yield xa[:, None] + D
                yield xa[:, None] - D
                for sign in (1, -1):
                    for a in range(0, iu.size, width):
                        cols_i = xp.asarray(iu[a : a + width])
                        cols_j = xp.asarray(ju[a : a + width])
                        Dij = xp.take(D, cols_i, axis=1) + xp.take(D, cols_j, axis=1)
                        yield xa[:, None] + Dij if sign > 0 else xa[:, None] - Dij

        total = 1 + levels * (2 * nvar + 2 * iu.size)
        # small problems: one call of f with every point (as before)
        stream = (
            blocks()
            if nvar * total > _HESSIAN_BLOCK
            else [xp.concat(list(blocks()), axis=1)]
        )
        parts = []
        for P in stream:
            with np.errstate(all="ignore"):
                Vb = F(P)
            if Vb.shape[0] != 1:
                raise DfdxError(
                    f"f must return a scalar for hessian, got {Vb.shape[0]} values"
                )
            if xp.isdtype(Vb.dtype, "complex floating"):
                raise DfdxError("f returned complex values for real input")
            parts.append(
                _to_numpy(xp.astype(Vb[0], dtype)).astype(
                    np.float64 if eps < 1e-10 else np.float32
                )
            )
        V = np.concatenate(parts)
        f0 = V[0]
        npair = iu.size
        per = 2 * nvar + 2 * npair
        ests, rnds, sides = [], [], []
        for lev in range(levels):
            h = _to_numpy(hs[lev])
            base = 1 + lev * per
            fp = V[base : base + nvar]
            fm = V[base + nvar : base + 2 * nvar]
            sides.append((h, fp, fm))
            H = np.empty((nvar, nvar), dtype=V.dtype)
            Hd = (fp - 2 * f0 + fm) / h**2
            H[np.arange(nvar), np.arange(nvar)] = Hd
            mag = np.abs(fp) + 2 * abs(f0) + np.abs(fm)
            R = np.empty_like(H)
            R[np.arange(nvar), np.arange(nvar)] = mag / h**2
            if npair:
                fpp = V[base + 2 * nvar : base + 2 * nvar + npair]
                fmm = V[base + 2 * nvar + npair : base + per]
                num = fpp - fp[iu] - fp[ju] + 2 * f0 - fm[iu] - fm[ju] + fmm
                Hij = num / (2 * h[iu] * h[ju])
                H[iu, ju] = H[ju, iu] = Hij
                m2 = (
                    np.abs(fpp)
                    + np.abs(fp[iu])
                    + np.abs(fp[ju])
                    + 2 * abs(f0)
                    + np.abs(fm[iu])
                    + np.abs(fm[ju])
                    + np.abs(fmm)
                ) / (2 * h[iu] * h[ju])
                R[iu, ju] = R[ju, iu] = m2
            ests.append(H)
            rnds.append(4 * eps * R)
        if levels == 1:
            Hc = ests[0]
            err = rnds[0]  # one step: rounding only (no truncation estimate)
        else:
            a1 = (4 * ests[1] - ests[0]) / 3
            b1 = (4 * ests[2] - ests[1]) / 3
            Hc = (16 * b1 - a1) / 15
            rnd = (16 * (4 * rnds[2] + rnds[1]) / 3 + (4 * rnds[1] + rnds[0]) / 3) / 15
            err = np.abs(Hc - b1) + rnd + eps * np.abs(Hc)
        rt = eps**0.5 if rtol is None else rtol
        at = 0.0 if atol is None else atol
        status = np.where(np.isfinite(Hc), 0, -4)
        if levels > 1:
            trunc = np.abs(Hc - b1)
            bad = (trunc > at + rt * np.abs(Hc)) & (trunc > rnd)
            status = np.where(bad & np.isfinite(Hc), -1, status)
            # a jump of the second derivative along a coordinate (a kink of the
            # first, e.g. max(x, 0)**2 at 0) fools the symmetric stencil: it gives
            # the mean of the two sides at every step, so the extrapolation looks
            # converged. One-sided second differences from the same points tell:
            # their gap shrinks with the step for smooth f (as (a + b) f''' does)
            # and stays for a jump. The error estimate then covers both sides.
            d = np.arange(nvar)
            g_big = np.abs(_one_sided_gap(f0, sides[0], sides[1]))
            g_small = np.abs(_one_sided_gap(f0, sides[-2], sides[-1]))
            thr = at + rt * np.abs(Hc[d, d]) + 100 * rnd[d, d]
            jump = (g_small > 0.75 * g_big) & (g_small > thr) & np.isfinite(g_small)
            if jump.any():
                dj = d[jump]
                err[dj, dj] = np.maximum(err[dj, dj], g_small[jump] / 2)
                status[dj, dj] = np.where(status[dj, dj] == 0, -1, status[dj, dj])
        return Hc, err, status, int(V.size)

    Hc, err, status, nfev = attempt(h0)
    if levels > 1 and step is None:
        # refine: an entry whose estimate misses the tolerance (sin(x y) at
        # (3, 5): h = 0.2 is too coarse for its curvature, 4.6e-4 off) is
        # computed again from steps 4, 16 and 64 times smaller; each entry
        # keeps the first result that meets the tolerance, else the one
        # with the smallest error estimate
        for shrink in (4.0, 16.0, 64.0):
            if not (status == -1).any():
                break
            H2, e2, s2, n2 = attempt(h0 / shrink)
            nfev += n2
            take = (status == -1) & (
                (s2 == 0) | ((s2 == -1) & np.isfinite(e2) & (e2 < err))
            )
            Hc = np.where(take, H2, Hc)
            err = np.where(take, e2, err)
            status = np.where(take, s2, status)
    df = Hc.astype(_to_numpy(xa).dtype)
    err = err.astype(df.dtype)
    if not is_np:
        df = xp.asarray(df)
        err = xp.asarray(err)
    return DerivativeResult(
        df=df, error=err, nfev=nfev, status=status, method=method, kind="hessian", n=2
    )
