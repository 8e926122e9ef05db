"""Symbol helpers every layer above the Expression type needs.

Kept below exact differentiation and simplification, which both use them (a
helper in one of them made the other import upwards)."""

from __future__ import annotations

import sympy
from sympy.core.cache import cacheit

__all__ = ["real_symbols"]


def real_symbols(expr: sympy.Expr) -> tuple[sympy.Expr, dict]:
    """`expr` with each plain symbol replaced by a real one; and the way back.
    Memoised: rebuilding a network's loss with real symbols costs more than
    differentiating it, and explain, diff and gradient all ask for it."""
    real, back = _real_symbols(expr)
    return real, dict(back)


@cacheit  # SymPy's cache: clear_cache() empties it with SymPy's own results
def _real_symbols(expr: sympy.Expr) -> tuple[sympy.Expr, tuple]:
    forward = {}
    back = {}
    for s in expr.free_symbols:
        if isinstance(s, sympy.Symbol) and s.is_real is None:
            r = sympy.Symbol(s.name, real=True)
            forward[s] = r
            back[r] = s
    return expr.xreplace(forward), tuple(back.items())
