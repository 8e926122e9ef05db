"""Hypothesis strategies shared by the property tests: random expressions
built from leaves, one-argument functions, + - * / and powers."""

from __future__ import annotations

from hypothesis import strategies as st


def expressions(leaves, unary, powers, max_leaves: int):
    """Random SymPy expressions: `leaves` combined by functions from `unary`,
    the four operations (a division by 0 keeps the numerator) and powers from
    `powers`."""

    def extend(children):
        call = st.tuples(st.sampled_from(unary), children).map(lambda t: t[0](t[1]))
        binary = st.tuples(
            st.sampled_from(["+", "-", "*", "/"]), children, children
        ).map(
            lambda t: {
                "+": lambda a, b: a + b,
                "-": lambda a, b: a - b,
                "*": lambda a, b: a * b,
                "/": lambda a, b: a / b if b != 0 else a,
            }[t[0]](t[1], t[2])
        )
        power = st.tuples(children, st.sampled_from(powers)).map(lambda t: t[0] ** t[1])
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


__all__ = ["expressions", "texts"]
