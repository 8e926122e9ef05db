"""The public operations' wrapper, :func:`bounded`: the default time limit
and memory budget around the call, SymPy's global switches put back as the
call found them, SymPy's own errors (and Python's limits: huge integers,
deep recursion, memory) turned into one clear :class:`DfdxError`, and one
retry with emptied caches after work was stopped midway. The limits
themselves are :mod:`dfdx.core._timelimit`."""

from __future__ import annotations

import functools
import inspect
import sys
import time

from dfdx.core import _timelimit
from dfdx.core._timelimit import _STOPPED, TimeUp, _forget_half_made_facts, time_limit
from dfdx.errors import DfdxError

__all__ = ["bounded"]

_PARAMETERS = ("evaluate", "distribute", "exp_is_pow")


def _sympy_parameters() -> tuple | None:
    """SymPy's global switches (evaluate, distribute, exp_is_pow) as they are
    when a public operation starts."""
    module = sys.modules.get("sympy.core.parameters")
    if module is None:
        return None
    gp = module.global_parameters
    return tuple(getattr(gp, name, None) for name in _PARAMETERS)


def _restore_sympy_parameters(saved: tuple | None) -> None:
    """Put SymPy's global switches back as the operation found them.
    `with sympy.evaluate(False)` sets the switch in a Python __enter__: a
    Ctrl-C (or a TimeUp) landing after the switch is set but before the with
    block begins leaves automatic evaluation off for the whole session
    (re(-0.0001) stayed unevaluated, count_ops failed with "Cannot convert
    symbols to int", every later call of dfdx failed: seen after a storm of
    interrupts)."""
    if saved is None:
        return
    module = sys.modules.get("sympy.core.parameters")
    if module is None:
        return
    gp = module.global_parameters
    for name, value in zip(_PARAMETERS, saved, strict=True):
        if value is not None and getattr(gp, name, None) != value:
            try:
                setattr(gp, name, value)
            except Exception:  # pragma: no cover - never let this fail a call
                pass


# What SymPy, mpmath and NumPy raise on input beyond their means (huge
# integers, deep recursion, memory); turned into a DfdxError at the public edge.
_FOREIGN = (
    ArithmeticError,
    MemoryError,
    RecursionError,
    TypeError,
    ValueError,
    KeyError,
    IndexError,
    AttributeError,
    NotImplementedError,
)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        return "the result is too large to hold in memory"
    if isinstance(exc, RecursionError):
        return "the expression is nested too deeply"
    if isinstance(exc, OverflowError):
        return f"a number is too large ({exc})"
    text = str(exc).splitlines()[0][:160] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _limited(seconds, what, fn, args, kwargs):
    """fn(*args, **kwargs) under a time limit. A TimeUp reaches past the with
    statement only when the limit's own __exit__ was cut short (a second copy
    on its first instruction, seen under eight threads): the exit is finished
    here, and decides as it would have (a DfdxError for this limit's time,
    or the TimeUp passed on to an outer limit)."""
    limit = time_limit(seconds, what)
    try:
        with limit:
            return fn(*args, **kwargs)
    except TimeUp:
        limit.__exit__(TimeUp, None, None)  # raises DfdxError when it is its own
        raise


def bounded(what: str):
    """Decorator for public operations: run under the default time limit
    ('cannot {what} within ... s' when it runs out), and let no exception but a
    DfdxError escape (a huge integer's OverflowError, a MemoryError, SymPy's
    own errors become 'cannot {what}: ...')."""

    def wrap(fn):
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def inner(*args, **kwargs):
            # a wrong call is the caller's programming error: Python's own
            # TypeError, not "cannot ...: TypeError" as for bad input
            try:
                signature.bind(*args, **kwargs)
            except TypeError:
                return fn(*args, **kwargs)  # raises Python's own TypeError
            start = time.monotonic()
            params = _sympy_parameters()
            try:
                try:
                    return _limited(None, what, fn, args, kwargs)
                except _FOREIGN:
                    # read at call time: set_time_limit changes it
                    seconds = _timelimit._DEFAULT_SECONDS
                    left = seconds - (time.monotonic() - start)
                    if not _STOPPED[0] or left < 0.05 * seconds:
                        raise
                # SymPy's own error after some work was stopped midway (Ctrl-C
                # or a time limit): a fact SymPy was deriving then may still be
                # 'unknown' on an object it keeps (seen: "Cannot convert
                # symbols to int" in every later diff). Empty its caches and
                # run once more before calling it an error of this input.
                _STOPPED[0] = False
                _forget_half_made_facts()
                # within the same limit in all
                return _limited(left, what, fn, args, kwargs)
            except DfdxError:
                raise
            except _FOREIGN as exc:  # SymPy/NumPy/Python limits: one clear error
                raise DfdxError(f"cannot {what}: {_describe(exc)}") from exc
            finally:
                _restore_sympy_parameters(params)

        return inner

    return wrap
