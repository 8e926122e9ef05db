"""Sizes of SymPy numbers and expressions, without evaluating them: how deep
a tower of powers is, whether a constant has more digits than double
precision holds, how many distinct nodes an expression has."""

from __future__ import annotations

import math

import numpy as np
import sympy

_FLOAT_MAX = sympy.Float(float(np.finfo(float).max))

#: exp/power nesting above which a constant beyond float range is not
#: evaluated exactly (exp(exp(exp(10))) has more digits than any computer
#: holds; its evaluation cannot be interrupted).
_MAX_EXACT_TOWER = 1


#: Digits beyond which a number in an expression keeps SymPy's polynomial
#: algorithms (gcd, series, simplify) away: their big-integer arithmetic on
#: such numbers runs in C and cannot be stopped by a time limit.
HUGE_DIGITS = 40


def _too_deep(src: str) -> str:
    """Why Python's parser ran out of depth: brackets, or a long flat chain of
    operators (x + x + ... nests one level per term)."""
    operators = sum(src.count(op) for op in "+-*/")
    if operators > 1000:
        return (
            f"too many operators in a row for the parser ({operators}; a sum or "
            "product of about 2 000 terms is the most it takes): split it into "
            "several expressions"
        )
    return "nested too deeply"


def distinct_nodes(expr):
    """Each distinct node of `expr` once (any order): what ``atoms()`` walks,
    without walking a repeated sub-tree again (a network's derivative repeats
    its hidden layer's activations many times, so ``atoms()`` visits ten
    times its distinct nodes)."""
    if not isinstance(expr, sympy.Basic):  # a mutable matrix
        expr = sympy.ImmutableMatrix(expr)
    seen = {expr}
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        for a in node.args:
            if a not in seen:
                seen.add(a)
                stack.append(a)


def _constant_value(e) -> float | None:
    """A constant SymPy expression as the nearest float (NaN where it is not
    real; inf beyond float range), or None when SymPy cannot evaluate it."""
    try:
        z = complex(sympy.N(e, 30))
    except (TypeError, ValueError, OverflowError, ArithmeticError):
        return None
    if z.imag != 0 and abs(z.imag) > 1e-25 * max(1.0, abs(z.real)):
        return math.nan
    return z.real


def has_huge_numbers(expr, digits: int = HUGE_DIGITS) -> bool:
    """Whether `expr` contains a rational with more than `digits` digits in its
    numerator or denominator (1e308 as 10**308, 1e-300), or a float that
    would be one as a rational (exp(10^8) is a Float of 43 million digits:
    SymPy's cancel turns it into that integer)."""
    bits = digits * 3.33
    for atom in distinct_nodes(expr):
        if isinstance(atom, sympy.Rational) and (
            max(abs(atom.p).bit_length(), abs(atom.q).bit_length()) > bits
        ):
            return True
        if isinstance(atom, sympy.Float):
            _, man, exp, bc = atom._mpf_
            if man and abs(exp + bc) > bits:
                return True
    return False


def _tower_depth(expr) -> int:
    """How deeply exp, powers and hyperbolic functions nest in `expr`."""
    growth = (sympy.exp, sympy.Pow, sympy.sinh, sympy.cosh, sympy.factorial)
    best = 0
    stack = [(expr, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, growth):
            depth += 1
            best = max(best, depth)
        stack.extend((a, depth) for a in node.args)
    return best


def _short(value) -> str:
    text = sympy.sstr(value)
    if len(text) > 40 or (value.is_Float and len(text) > 12):
        if value.is_Number:
            return "about " + sympy.sstr(sympy.Float(value, 3))
        return text[:37] + "..."
    return text
