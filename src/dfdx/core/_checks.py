"""Checks of the plain values users pass besides expressions (numbers, flags,
labels, arrays of numbers): each returns the value in the form dfdx uses or
raises a one-line :class:`DfdxError` naming the argument. One place, so that
every function refuses the same inputs the same way: a bool where a number
belongs, a number beyond float range (``10**400``), an array where a flag
belongs."""

from __future__ import annotations

import math

import numpy as np

from dfdx.errors import DfdxError

__all__ = ["finite_number", "flag", "optional_text", "float_array"]


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def finite_number(value, name: str) -> float:
    """`value` as a finite float."""
    if isinstance(value, (bool, np.bool_)):
        raise DfdxError(f"{name} must be a number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise DfdxError(f"{name} must be a number, got {_shown(value)}") from None
    except OverflowError:
        raise DfdxError(
            f"{name} is beyond the range of floats (about 1.8e308), got {_shown(value)}"
        ) from None
    if not math.isfinite(v):
        raise DfdxError(f"{name} must be finite, got {value!r}")
    return v


def flag(value, name: str) -> bool:
    """`value` as a bool: True or False only (not an array, not a string)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise DfdxError(f"{name} must be True or False, got {_shown(value)}")


def optional_text(value, name: str) -> str | None:
    """`value` when it is a str or None."""
    if value is None or isinstance(value, str):
        return value
    raise DfdxError(f"{name} must be text, got {type(value).__name__}")


def float_array(value, name: str) -> np.ndarray:
    """`value` (a number or a sequence of them) as a float array."""
    try:
        with np.errstate(all="ignore"):
            return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise DfdxError(f"{name} must be numbers, got {_shown(value)}") from None
    except OverflowError:
        raise DfdxError(
            f"{name} has a number beyond the range of floats, got {_shown(value)}"
        ) from None
