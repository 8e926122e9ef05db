"""What figures and the explorer page share without matplotlib: an
expression on one line as a label (superscript powers, ⋅, −), and the check
of an axis range. (The explorer writes HTML: importing pyplot for these
cost it 0.8 s.)"""

from __future__ import annotations

import math
import re

from dfdx.errors import DfdxError

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _unicode_form(e) -> str:
    """The expression on one line: integer powers as superscripts (x³, x⁻²),
    other powers with ^, ⋅ for products and − for minus (SymPy's pretty form
    puts exponents and fractions on lines of their own). Where SymPy's form
    lost part of the typed domain (x²/x is x but undefined at 0), the typed
    form is shown."""
    shown = e.shown_text if hasattr(e, "shown_text") else str(e)
    text = re.sub(
        r"\*\*(\d+|\(-\d+\))",
        lambda m: m.group(1).strip("()").translate(_SUPERSCRIPT),
        shown,
    )
    return text.replace("**", "^").replace("*", "⋅").replace(" - ", " − ")


def _check_lim(lim, name: str):
    if lim is None:
        return None
    try:
        lo, hi = (float(v) for v in lim)
    except (TypeError, ValueError):
        raise DfdxError(
            f"{name} must be two numbers (low, high), got {lim!r}"
        ) from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise DfdxError(
            f"{name} must be two finite numbers with low < high, got {lim!r}"
        )
    return lo, hi
