"""Issue 10 item 4: x^(1/3), cbrt(x) and root(x, 3) are the real cube root, as
in every calculus textbook; even roots of negatives stay "not real", and
forms SymPy rewrites into x**(1/3) (from sqrt or log) are never read as real."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import dfdx
from dfdx.errors import NotDifferentiableError

X = np.array([-8.0, -1.0, -0.125, 0.0, 0.125, 1.0, 8.0])


def _reference(p: int, q: int, x: float) -> float:
    """The real x^(p/q) from SymPy's real_root (exact, then to float)."""
    if x == 0:
        return 0.0 if p > 0 else math.inf
    return float(sympy.real_root(sympy.Rational(repr(float(x))), q) ** p)


@pytest.mark.parametrize(
    "text, p, q",
    [
        ("x^(1/3)", 1, 3),
        ("cbrt(x)", 1, 3),
        ("root(x, 3)", 1, 3),
        ("x^(2/3)", 2, 3),
        ("x^(4/3)", 4, 3),
        ("x^(-1/3)", -1, 3),
        ("x^(3/5)", 3, 5),
        ("root(x, 5)", 1, 5),
    ],
)
def test_values_are_the_real_roots(text, p, q):
    f = dfdx.parse(text)
    with np.errstate(all="ignore"):
        got = f(X)
    want = np.array([_reference(p, q, v) for v in X])
    assert np.allclose(got[np.isfinite(want)], want[np.isfinite(want)], rtol=1e-14)
    assert not np.isfinite(got[~np.isfinite(want)]).any()


@settings(max_examples=60, deadline=None)
@given(
    st.integers(-7, 7).filter(lambda p: p != 0),
    st.sampled_from([3, 5, 7, 9]),
    st.floats(-50, 50).filter(lambda v: abs(v) > 1e-3),
)
def test_any_odd_root_is_real(p, q, x):
    f = dfdx.parse(f"x^({p}/{q})")
    assert float(f(x)) == pytest.approx(_reference(p, q, x), rel=1e-12)
    exact = f.sympy.subs(f.symbol("x"), sympy.Rational(repr(x)))
    assert exact.is_real and float(exact) == pytest.approx(
        _reference(p, q, x), rel=1e-12
    )


def test_constants():
    assert dfdx.parse("(-8)^(1/3)").sympy == -2
    assert dfdx.parse("cbrt(-27)").sympy == -3
    assert dfdx.parse("(-8)^(2/3)").sympy == 4
    assert dfdx.parse("root(-32, 5)").sympy == -2


def test_even_roots_of_negatives_stay_not_real():
    for text in ("sqrt(x)", "root(x, 2)", "x^(1/2)", "x^(3/4)"):
        with np.errstate(all="ignore"):
            assert np.isnan(dfdx.parse(text)(-4.0)), text
    with pytest.raises(dfdx.ParseError, match="not a real number"):
        dfdx.parse("(-4)^(1/2)")


def test_forms_sympy_rewrites_are_not_read_as_real():
    # SymPy turns both into its principal x**(1/3): still not real for x < 0
    for text in ("sqrt(x)^(2/3)", "exp(log(x)/3)"):
        f = dfdx.parse(text)
        with np.errstate(all="ignore"):
            assert np.isnan(f(-8.0)), text
        assert f(8.0) == pytest.approx(2.0 if "exp" in text else 8 ** (1 / 3))
    # and they print apart from the real root, in a form that reads back the same
    principal = dfdx.parse("exp(log(x)/3)")
    assert str(principal) == "exp(1/3*log(x))"
    assert dfdx.parse(str(principal)).sympy == principal.sympy
    assert str(dfdx.parse("x^(1/3)")) == "cbrt(x)"
    assert dfdx.parse("x^(1/3)").latex == r"\sqrt[3]{x}"


def test_derivatives_are_the_real_derivatives():
    d = dfdx.diff("x^(1/3)")
    assert str(d) == "1/(3*cbrt(x)**2)"
    xs = np.array([-8.0, -1.0, 1.0, 8.0])
    assert np.allclose(d(xs), np.abs(xs) ** (-2 / 3) / 3, rtol=1e-14)
    d2 = dfdx.diff("x^(2/3)")
    assert np.allclose(d2(xs), (2 / 3) * np.cbrt(xs) ** -1, rtol=1e-14)
    # against a central difference of numpy's real cube root
    h = 1e-6
    for x in (-3.0, -0.5, 2.0):
        fd = (np.cbrt(x + h) ** 2 - np.cbrt(x - h) ** 2) / (2 * h)
        assert float(d2(x)) == pytest.approx(fd, rel=1e-8)


def test_differentiability_kinds_and_tangents():
    assert dfdx.differentiable("x^(1/3)", at=0).kind == "vertical"
    assert dfdx.differentiable("x^(2/3)", at=0).kind == "cusp"
    assert dfdx.differentiable("cbrt(x)", at=-1).exists
    t = dfdx.tangent_line("cbrt(x)", -8)
    assert t.value == -2.0 and t.slope == pytest.approx(1 / 12)
    with pytest.raises(
        NotDifferentiableError, match="a vertical tangent, the line x = 0"
    ):
        dfdx.tangent_line("x^(1/3)", 0)


def test_limits_from_the_left_are_real():
    r = dfdx.limit("x^(1/3)", at=0, side="-")
    assert r.value == 0
    assert dfdx.limit("cbrt(x)/x", at=0).value == sympy.oo
    assert dfdx.limit("x^(2/3)", at=-8).value == 4


def test_steps_and_answers():
    s = dfdx.explain("(x^2 - 1)^(1/3)")
    assert s.rules[:2] == ("chain", "power")
    assert s.result == dfdx.diff("(x^2 - 1)^(1/3)")
    assert dfdx.check_answer("x^(1/3)", "1/(3x^(2/3))").correct is True
    assert dfdx.check_answer("x^(1/3)", "(1/3)x^(-2/3)").correct is True
    assert dfdx.check_answer("x^(2/3)", "-2/3", at=-1).correct is True
    assert dfdx.check_answer("x^(1/3)", "1/(3x^(1/3))").correct is False


def test_plots_show_a_vertical_tangent_not_a_jump():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = dfdx.plot_function("x^(1/3)", xlim=(-2, 2))
    labels = [ln.get_label() for ln in ax.lines]
    assert not any("jump" in lab or "pole" in lab for lab in labels)
    x, y = ax.lines[0].get_data()
    assert np.isfinite(y).all() and y.min() == pytest.approx(-(2 ** (1 / 3)))


def test_graphs_through_a_real_root():
    g = dfdx.trace("cbrt(x)*y", at={"x": -8, "y": 3})
    assert g.value == pytest.approx(-6.0)
    assert g.backward() == pytest.approx({"x": 3 / 12, "y": -2.0})


def test_every_method_agrees_at_a_negative_point():
    pytest.importorskip("torch")
    a = dfdx.agree("x^(1/3)", at=-8)
    assert a.agree and not a.notes
    methods = [r.method for r in a.rows]
    assert "autodiff (PyTorch)" in methods
    assert float(a.exact[0]) == pytest.approx(1 / 12)
