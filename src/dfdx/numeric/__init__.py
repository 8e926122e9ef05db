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
from collections.abc import Callable
from typing import Any

import numpy as np

from dfdx.errors import DfdxError
from dfdx.numeric.core import (
    _CENTRAL,
    _EPS64,
    _LADDER,
    _RATIO,
    FIXED_RTOL,
    FIXED_RTOL_MAX,
    STATUS_MESSAGES,
    DerivativeResult,
    _as_real_array,
    _check_int,
    _common_options,
    _one_sided,
    _resolve_f,
    _to_numpy,
)
from dfdx.numeric.engine import (
    _call,
    _call_complex,
    _Engine,
    _finalise,
    _fname,
    _neville_floats,
    _note_precision,
    _np,
    _pointwise,
    _run_units,
    _scalar_auto,
    _scalar_only,
    _small_ints,
    _take,
    _values,
)
from dfdx.numeric.multi import gradient, hessian, jacobian

__all__ = [
    "DerivativeResult",
    "derivative",
    "gradient",
    "jacobian",
    "hessian",
    "STATUS_MESSAGES",
    "FIXED_RTOL",
    "FIXED_RTOL_MAX",
]


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
    spent = 0  # evaluations of a fast path that handed over (nfev counts them)
    if (
        method == "complex"
        and n == 1
        and is_np
        and xa.ndim == 0
        and dtype == np.float64
    ):
        with np.errstate(all="ignore"):
            fast, spent = _scalar_auto(f, float(xa), step, method="complex")
        if fast is not None:
            return fast
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
    if spent:
        eng.count(None, spent)
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
    scalar_path = _SCALAR_PATHS.get(method) if isinstance(method, str) else None
    if scalar_path is not None and type(x) in (float, int, np.float64):
        fast = scalar_path(f, x, options)
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
    converged. NumPy inputs; one more call of f at 5 points per converged
    point, and one at 2 more where those 5 cannot clear it, counted in
    ``nfev`` (every value of f computed is)."""
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
        if called:  # the near points, and the far ones where they were needed
            spent = _NEAR_POINTS + _FAR_POINTS * (len(called) > 1)
            res = dataclasses.replace(res, nfev=res.nfev + spent)
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
    # the near points first (x, x ± h, x ± 2h): enough to clear a smooth
    # point; the far ones (x ± 4h, the truncation estimate) only where the
    # near ones cannot (_kink_screen: every point _kinks could flag)
    P = np.empty((_NEAR_POINTS, xc.size), dtype=np.result_type(xc, h))
    for row, k in zip(P, _NEAR_OFFSETS, strict=True):
        np.multiply(h, k, out=row)
        row += xc  # xc + k h, as one rounding
    reused = called[0] if called else None  # the scalar check's values at P
    nfev = np.asarray(res.nfev)
    counted = nfev.size == xu.size  # the check's values per point count in nfev
    if counted:
        nfev = nfev.reshape(-1).copy()
    if reused is None or np.shape(reused) != P.shape:
        if counted:
            nfev[cand] += _NEAR_POINTS
            res = _with_nfev(res, nfev)
        reused = _values_at(f, P, xp, x_dtype)
    raw = _checked_values(reused, P.shape)
    if raw is None:
        return res
    del P, reused  # memory: a large array is checked chunk by chunk
    if raw.dtype.kind == "f":  # f's own rounding (a float32 model at float64 x)
        eps = max(eps, float(np.finfo(raw.dtype).eps))
    raw = raw.astype(float, copy=False)
    # f undefined at the point itself (x/x at 0): its neighbours give a
    # finite quotient, but there is no derivative where there is no value
    undefined = ~np.isfinite(raw[0])
    atol = options["atol"]
    with np.errstate(all="ignore"):
        maybe = np.flatnonzero(
            _kink_screen(raw, h, df[cand], eps, n, atol) & ~undefined
        )
    flagged = np.zeros(cand.size, dtype=bool)
    if maybe.size:
        P2 = np.stack([xc[maybe] + k * h[maybe] for k in _FAR_OFFSETS])
        if counted:
            nfev[cand[maybe]] += _FAR_POINTS
            res = _with_nfev(res, nfev)
        got = _checked_values(_values_at(f, P2, xp, x_dtype), P2.shape)
        if got is None:
            return res
        if got.dtype.kind == "f":
            eps = max(eps, float(np.finfo(got.dtype).eps))
        far = got.astype(float, copy=False)
        near = raw[:, maybe]
        V = (near[0], near[1], near[2], far[0], near[3], near[4], far[1])
        with np.errstate(all="ignore"):
            flagged[maybe] = _kinks(V, h[maybe], df[cand][maybe], eps, n, atol)
    if not flagged.any() and not undefined.any():
        return res
    new_status = status.copy()
    new_status[cand[flagged]] = -6
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
    setup = _scalar_setup(f, x, options)
    if setup is None or setup[2] != 1:
        return None
    fn, x, n, method, step, rtol, atol, max_stages = setup
    state = {"f": fn}
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
        v = _scalar_values(fn, state, [p for h in hs for p in (h + x, -h + x)])
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


def _scalar_setup(f, x, options) -> tuple | None:
    """What a scalar fast path starts from: (f resolved, x as a float, n,
    method, step, rtol, atol, max_stages), the options checked as the
    general path checks them; None where the general path must decide (an
    invalid option, a function of several variables, x beyond float64 or
    not finite)."""
    fn, variables = _resolve_f(f)
    if variables is not None and len(variables) > 1:
        return None
    n, method, step, rtol, atol, max_stages = (options[k] for k in _OPTION_NAMES)
    try:
        n = _check_int("n", n, 1, 4)
        _, step, rtol, atol, max_stages = _common_options(
            n, method, step, rtol, atol, max_stages
        )
        x = float(x)
    except (DfdxError, OverflowError):  # an int beyond float64 included
        return None
    if not math.isfinite(x):
        return None
    return fn, x, n, method, step, rtol, atol, max_stages


def _scalar_values(fn, state: dict, points: list) -> list | None:
    """f at `points` (Python floats) as the general path calls it (one array
    of shape (k, 1); an f that takes only scalars point by point, then
    state['f'] is that wrapper); None where the general path must decide
    (f raised, returned other than one finite float64 per point)."""
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


def _scalar_fixed(f, x, options) -> tuple[DerivativeResult, Callable] | None:
    """``derivative(f, x, method=...)`` for the fixed-step methods (central,
    forward, backward) and one float x, in Python floats: the general path's
    steps, points, call of f, quotients, truncation estimate and status, so
    the same numbers (a test compares them), without the array machinery.
    Returns the result and the f for the kink check, or None where the
    general path must decide (an invalid option, non-finite x or values,
    an f that is not float64)."""
    setup = _scalar_setup(f, x, options)
    if setup is None:
        return None
    fn, x, n, method, step, rtol, atol, max_stages = setup
    eps = _EPS64
    p = 2 if method == "central" else 1
    ks, ws = (
        _CENTRAL[n]
        if method == "central"
        else _one_sided(n, 1 if method == "forward" else -1)
    )
    h0 = step if step is not None else eps ** (1.0 / (n + p)) * (2.0 if n > 1 else 1.0)
    s = abs(x)
    s = s if s > 1 else 1.0
    hs = [(x + h0 * s) - x, (x + 2 * h0 * s) - x]
    # the stencil's offsets in the general path's order: x itself once
    keys: list = []
    offsets: list = []
    for j, h in enumerate(hs):
        for k in ks:
            key = ("x",) if k == 0 else (j, k)
            if key not in keys:
                keys.append(key)
                offsets.append(0.0 if k == 0 else k * h)
    state = {"f": fn}
    v = _scalar_values(fn, state, [t + x for t in offsets])
    if v is None:
        return None
    at = {key: i for i, key in enumerate(keys)}
    # h**n as NumPy's array power computes it (its loop and C's pow can
    # differ in the last bit)
    powers = (np.array(hs) ** n).tolist()
    D, R = [], []
    for j in range(len(hs)):
        acc = 0.0
        mag = 0.0
        for k, w in zip(ks, ws, strict=True):
            value = v[at[("x",) if k == 0 else (j, k)]]
            acc = acc + w * value
            mag = mag + abs(w) * abs(value)
        hn = powers[j]
        D.append(acc / hn)
        R.append(4 * eps * mag / hn)
    d0 = D[0]
    if not math.isfinite(d0):
        return None
    trunc = abs(D[0] - D[1]) / (2.0**p - 1)
    err = trunc + R[0]
    if rtol is None:
        rtol = min(FIXED_RTOL[method] * 100.0 ** (n - 1), FIXED_RTOL_MAX)
    tol = (0.0 if atol is None else atol) + rtol * abs(d0)
    status = -1 if (trunc > tol and trunc > R[0]) else 0
    result = DerivativeResult(
        df=np.float64(d0),
        error=np.float64(err),
        nfev=len(offsets),
        status=status,
        method=method,
        kind="derivative",
        n=n,
    )
    return result, state["f"]


#: the methods with a scalar fast path in Python floats (for one float x);
#: 'auto' and 'complex' have theirs in _derivative_impl (_scalar_auto)
_SCALAR_PATHS = {
    "richardson": _scalar_richardson,
    "central": _scalar_fixed,
    "forward": _scalar_fixed,
    "backward": _scalar_fixed,
}


def _scalar_kink(f, x, df: float, atol, called: list | None = None) -> bool | None:
    """:func:`_flag_kinks` for one float x and n = 1 in Python floats: the
    same calls of f (the near points, shape (5, 1); the far ones, (2, 1),
    where the near ones cannot clear x) and the same numbers. None where the
    array code must decide (a value that is not float64); `called` gets the
    values of each call made (None for one that raised)."""
    try:
        x = float(x)
    except OverflowError:
        return None
    if not math.isfinite(x):
        return None
    h = _EPS64 ** (1 / 3) * (abs(x) if abs(x) > 1.0 else 1.0)
    h = (x + h) - x
    P = np.array([x + k * h for k in _NEAR_OFFSETS]).reshape(_NEAR_POINTS, 1)
    raw = _values_at(f, P, None, None)
    if called is not None:
        called.append(raw)  # the array code reuses these values (None: f raised)
    if raw is None:
        return False  # as the array code: no evidence of a kink
    if (
        not isinstance(raw, np.ndarray)
        or raw.dtype != np.float64
        or raw.shape != P.shape
        or not math.isfinite(raw[0, 0])  # undefined at x: the array code says so
    ):
        return None
    near = raw.reshape(-1).tolist()
    with np.errstate(all="ignore"):
        if not _kink_screen(near, h, df, _EPS64, 1, atol):
            return False
    P2 = np.array([x + k * h for k in _FAR_OFFSETS]).reshape(_FAR_POINTS, 1)
    got = _values_at(f, P2, None, None)
    if called is not None:
        called.append(got)
    if got is None:
        return False  # as the array code: no evidence of a kink
    if (
        not isinstance(got, np.ndarray)
        or got.dtype != np.float64
        or got.shape
        != (
            _FAR_POINTS,
            1,
        )
    ):
        return False  # as the array code (a far value it cannot use)
    f4, g4 = got.reshape(-1).tolist()
    V = [near[0], near[1], near[2], f4, near[3], near[4], g4]
    with np.errstate(all="ignore"):
        return bool(_kinks(V, h, df, _EPS64, 1, atol))


def _with_nfev(res: DerivativeResult, nfev: np.ndarray) -> DerivativeResult:
    return dataclasses.replace(
        res,
        nfev=nfev.reshape(np.shape(res.nfev)) if np.ndim(res.nfev) else int(nfev[0]),
    )


def _values_at(f, P, xp, x_dtype):
    """f at the check's points P (in the caller's array type when `xp`), or
    None where f raises there (then no kink is flagged)."""
    try:
        with np.errstate(all="ignore"):
            return _call(f, P if xp is None else xp.asarray(P, dtype=x_dtype))
    except (DfdxError, TypeError, ValueError):
        return None


def _checked_values(values, shape) -> np.ndarray | None:
    """f's values at the check's points as a NumPy array of that shape, or
    None where there are none or they are not real numbers of it (then no
    kink is flagged)."""
    if values is None:
        return None
    try:
        raw = np.asarray(_to_numpy(values))
    except (DfdxError, TypeError, ValueError):
        return None
    if raw.shape != shape or raw.dtype.kind not in "fiu":
        return None
    return raw


#: Where the kink check evaluates f: x + k h. The one-sided quotients at h and
#: at 2h give each its truncation estimate: a smooth function's one-sided
#: derivatives differ by their truncation errors (cos'' at pi/2 and the
#: saddle (x-1)^3 | (x-1)^5 at 1 were called kinks when only rounding was
#: allowed for). The near points (0, ±1, ±2) come first; the far ones (±4)
#: only where the near ones cannot clear the point.
_KINK_OFFSETS = (0, 1, 2, 4, -1, -2, -4)
_NEAR_OFFSETS = (0, 1, 2, -1, -2)
_FAR_OFFSETS = (4, -4)
_NEAR_POINTS = len(_NEAR_OFFSETS)
_FAR_POINTS = len(_FAR_OFFSETS)


def _sides(f0, f1, f2, g1, g2, h, n: int):
    """The right and left one-sided derivatives (n = 1, second order) or
    second differences (n = 2) from the near values."""
    if n == 1:
        return (-3 * f0 + 4 * f1 - f2) / (2 * h), (3 * f0 - 4 * g1 + g2) / (2 * h)
    return (f0 - 2 * f1 + f2) / h**2, (f0 - 2 * g1 + g2) / h**2


def _kink_screen(V, h, df, eps: float, n: int, atol):
    """Where :func:`_kinks` could say 'kink', from the near values alone
    (V = f at x, x + h, x + 2h, x - h, x - 2h): the same one-sided values,
    against a tolerance without the truncation estimate and with the
    rounding of the near values only. Every term of that tolerance is at
    most _kinks' own, in the same floating-point operations, so a point
    cleared here is cleared there: the same verdicts, two fewer values of f
    per smooth point."""
    f0, f1, f2, g1, g2 = V
    total = abs(f0) + abs(f1) + abs(f2) + abs(g1) + abs(g2)
    right, left = _sides(f0, f1, f2, g1, g2, h, n)
    if n == 1:
        rel, rnd = 1e-4, 16 * eps * total / h
    else:
        rel, rnd = 5e-2, 16 * eps * total / h**2
    size = np.maximum(np.maximum(abs(left), abs(right)), abs(df))
    tol = rel * size + 100 * rnd + 0.0 + (atol or 0.0)
    return abs(right - left) > tol


def _kinks(V, h, df, eps: float, n: int, atol):
    """Whether the one-sided derivatives (n = 1) or second differences (n = 2)
    from the values V = f at x + k h (k in _KINK_OFFSETS) disagree beyond
    their truncation and rounding. V's rows are arrays (one entry per point)
    or floats; the same operations in the same order either way."""
    f0, f1, f2, f4, g1, g2, g4 = V
    total = abs(f0) + abs(f1) + abs(f2) + abs(g1) + abs(g2)  # as NumPy's sum(axis=0)
    total = total + abs(f4) + abs(g4)
    right, left = _sides(f0, f1, f2, g1, g2, h, n)
    if n == 1:
        # the same quotients at 2h (one at a time: memory on large arrays)
        trunc = abs((-3 * f0 + 4 * f2 - f4) / (4 * h) - right)
        trunc = trunc + abs((3 * f0 - 4 * g2 + g4) / (4 * h) - left)
        rel = 1e-4
        rnd = 16 * eps * total / h
        order = 3.0  # 2**2 - 1: second-order formulas
    else:
        trunc = abs((f0 - 2 * f2 + f4) / (4 * h**2) - right)
        trunc = trunc + abs((f0 - 2 * g2 + g4) / (4 * h**2) - left)
        rel = 5e-2
        rnd = 16 * eps * total / h**2
        order = 1.0  # 2**1 - 1: first-order formulas
    trunc = trunc / order
    size = np.maximum(np.maximum(abs(left), abs(right)), abs(df))
    tol = rel * size + 100 * rnd + 4 * trunc + (atol or 0.0)
    return abs(right - left) > tol
