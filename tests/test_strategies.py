"""The property tests' own strategies stay within bounds (issue: bounded
memory): nested powers of a constant, ((2.5e-7)^-3)^-3..., built numbers whose
sin or exp SymPy evaluated on construction, with pi to millions of digits: a
Hypothesis example ran for minutes inside the strategy, outside any dfdx time
or memory limit (the probable cause of the suite's 24 GB run)."""

from __future__ import annotations

import sympy
from hypothesis import HealthCheck, given, settings

from strategies import MAX_BITS, _bits, _power, printed_expressions


def test_nested_powers_of_a_constant_stop_at_the_bound():
    e = sympy.Float("2.5e-7")
    for _ in range(20):
        e = _power(e, -3)
    assert 0 < _bits(e) <= MAX_BITS
    assert _power(sympy.Integer(5), 10**6) == 5  # not 5^1000000


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(printed_expressions())
def test_strategies_never_build_numbers_beyond_the_bound(e):
    assert _bits(e) <= MAX_BITS
