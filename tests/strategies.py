"""Hypothesis strategies shared by the property tests: random expressions
built from leaves, one-argument functions, + - * / and powers."""

from __future__ import annotations

from hypothesis import strategies as st

#: The largest number (in bits of its exponent or digits) the strategies
#: build: nested powers of a constant compound ((2.5e-7)^-3)^-3... into
#: numbers whose sin or exp SymPy evaluates on construction, with pi or e to
#: millions of digits (hours of mpmath, and tens of GB: the suite was once
#: killed at 24 GB). Beyond it an operation keeps its first operand.
MAX_BITS = 1000


def _bits(e) -> int:
    """How large the numbers in e are: the largest binary exponent of a Float,
    or bit length of a Rational's numerator or denominator."""
    import sympy

    most = 0
    for node in sympy.preorder_traversal(e):
        if isinstance(node, sympy.Float):
            sign, man, exp, bc = node._mpf_
            if man:
                most = max(most, abs(exp + bc))
        elif isinstance(node, sympy.Rational):
            most = max(most, abs(node.p).bit_length(), node.q.bit_length())
    return most


def _power(base, p):
    """base**p, or base where the result's numbers would pass MAX_BITS."""
    try:
        n = abs(float(p))
    except (TypeError, ValueError):  # a symbolic exponent: nothing evaluates
        return base**p
    if (_bits(base) + 1) * n > MAX_BITS:
        return base
    return base**p


def expressions(leaves, unary, powers, max_leaves: int):
    """Random SymPy expressions: `leaves` combined by functions from `unary`,
    the four operations (a division by 0 keeps the numerator) and powers from
    `powers`; no number beyond MAX_BITS is ever built."""

    def apply(fn, child):
        if _bits(child) > MAX_BITS // 4:
            return child
        out = fn(child)
        return child if _bits(out) > MAX_BITS else out

    def combine(op, a, b):
        if _bits(a) + _bits(b) > MAX_BITS:
            return a
        return {
            "+": lambda: a + b,
            "-": lambda: a - b,
            "*": lambda: a * b,
            "/": lambda: a / b if b != 0 else a,
        }[op]()

    def extend(children):
        call = st.tuples(st.sampled_from(unary), children).map(lambda t: apply(*t))
        binary = st.tuples(
            st.sampled_from(["+", "-", "*", "/"]), children, children
        ).map(lambda t: combine(*t))
        power = st.tuples(children, st.sampled_from(powers)).map(lambda t: _power(*t))
        return st.one_of(call, binary, power)

    return st.recursive(st.sampled_from(leaves), extend, max_leaves=max_leaves)


def texts(leaves, functions, powers, max_leaves: int):
    """Random expression text as a learner types it: `leaves` combined by
    calls of `functions`, + - * / (each operand bracketed or not) and the
    powers in `powers` (text such as "^2")."""

    def operand(children):
        return st.tuples(children, st.booleans()).map(
            lambda t: f"({t[0]})" if t[1] else t[0]
        )

    def extend(children):
        call = st.tuples(st.sampled_from(functions), children).map(
            lambda t: f"{t[0]}({t[1]})"
        )
        binary = st.tuples(
            operand(children), st.sampled_from(["+", "-", "*", "/"]), operand(children)
        ).map(" ".join)
        power = st.tuples(children, st.sampled_from(powers)).map(
            lambda t: f"({t[0]}){t[1]}"
        )
        negated = operand(children).map(lambda t: f"-{t}")
        return st.one_of(call, binary, power, negated)

    return st.recursive(st.sampled_from(leaves), extend, max_leaves=max_leaves)


def printed_expressions():
    """The expressions of the printing property test (test_steps): constants
    that nested powers blow up (2.5e-7, -3/7) under sin, exp and the
    deep-learning functions."""
    import sympy

    from dfdx.expr import relu, sigmoid, softplus

    leaves = [
        sympy.Symbol("x"),
        sympy.Symbol("y", real=True),
        sympy.Float("0.125"),
        sympy.Float("2.5e-7"),
        sympy.Rational(-3, 7),
        sympy.Integer(5),
        sympy.pi,
    ]
    unary = [sympy.sin, sympy.exp, sympy.tanh, sigmoid, relu, softplus, sympy.Abs]
    return expressions(leaves, unary, [2, -1, sympy.Rational(1, 2), -3], 10)


__all__ = ["expressions", "printed_expressions", "texts"]
