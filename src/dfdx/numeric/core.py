"""What every part of the numerical engine shares: the result type
(:class:`DerivativeResult`, its status codes), the methods and their
tolerances, the checks of the arguments, and how x and f are read (arrays of
any namespace; expression text through :mod:`dfdx.core._wiring`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dfdx.core._timelimit import guarded
from dfdx.errors import DfdxError

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
_EXPRESSION_MODULES = ("dfdx.text.expr", "dfdx.text.functions")


def _resolve_f(f, name="f"):
    """Callables pass through; expression text/Expression becomes its NumPy form."""
    mod = type(f).__module__ or ""
    # (the engine does not import the parser: the types are known by module)
    if isinstance(f, str) or mod.startswith("sympy") or mod in _EXPRESSION_MODULES:
        from dfdx.core import _wiring  # the parser is above the numeric engine

        expr = _wiring.read_expression(f, name=name)
        return expr, expr.variables
    if not callable(f):
        raise DfdxError(
            f"{name} must be a callable or expression text, got {type(f).__name__}"
        )
    return guarded(f), None


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
