"""Reference checks shared by the tests, independent of dfdx's own code."""

from __future__ import annotations

import sympy


def real_on_no_interval(f: sympy.Expr, x: sympy.Symbol, lo=-6, hi=6, n=481) -> bool:
    """Whether no two neighbouring points of a grid over [lo, hi] (exact
    rationals, 20 digits) both give f a real finite value: the function has
    no interval there to differentiate on. A refusal of "no derivative
    anywhere" is checked against this."""
    previous = False
    for k in range(n):
        a = sympy.Rational(lo) + sympy.Rational(hi - lo, n - 1) * k
        try:
            v = complex(f.xreplace({x: a}).evalf(20))
        except (TypeError, ValueError, ZeroDivisionError):
            v = complex("nan")
        real = v == v and abs(v.imag) <= 1e-15 * max(1.0, abs(v.real))
        real = real and abs(v.real) != float("inf")
        if real and previous:
            return False
        previous = real
    return True
