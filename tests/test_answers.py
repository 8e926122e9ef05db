"""check_answer: right answers in any form are accepted, wrong ones get the
named slip; every verdict is checked against SymPy, not against dfdx."""

from __future__ import annotations

import json

import pytest
import sympy
from hypothesis import HealthCheck, given, settings

import dfdx
from dfdx.answers import SLIPS
from dfdx.cli import main
from dfdx.slips import _Slipper
from strategies import expressions

WRONG = [
    ("sin(x^2)", "cos(x^2)", "chain_inner"),
    ("cos(3x)", "-sin(3x)", "chain_inner"),
    ("exp(x^2)", "exp(x^2)", "chain_inner"),
    ("(x^2+1)^3", "3(x^2+1)^2", "chain_inner"),
    ("sqrt(x^2+1)", "1/(2 sqrt(x^2+1))", "chain_inner"),
    ("tan(5x)", "sec(5x)^2", "chain_inner"),
    ("sigmoid(2x)", "sigmoid(2x)(1-sigmoid(2x))", "chain_inner"),
    ("tanh(x^2)", "1 - tanh(x^2)^2", "chain_inner"),
    ("ln(x^2+1)", "1/(x^2+1)", "log_no_inner"),
    ("ln(sin(x))", "1/sin(x)", "log_no_inner"),
    ("ln(3x+1)", "1/(3x+1)", "log_no_inner"),
    ("x sin(x)", "cos(x)", "product_as_derivatives"),
    ("x^2 exp(x)", "2x exp(x)", "product_as_derivatives"),
    ("sin(x) cos(x)", "-sin(x) cos(x)", "product_as_derivatives"),
    ("x^2 ln(x)", "2", "product_as_derivatives"),
    ("x sin(x)", "sin(x)", "product_missing_term"),
    ("x^2 exp(x)", "x^2 exp(x)", "product_missing_term"),
    ("x^3 cos(x)", "3x^2 cos(x)", "product_missing_term"),
    ("sin(x)/x", "(sin(x) - x cos(x))/x^2", "quotient_swapped"),
    ("x/(x+1)", "(x - (x+1))/(x+1)^2", "quotient_swapped"),
    ("exp(x)/x^2", "(2x exp(x) - x^2 exp(x))/x^4", "quotient_swapped"),
    ("sin(x)/x", "(x cos(x) - sin(x))/x", "quotient_no_square"),
    ("x/(x+1)", "1/(x+1)", "quotient_no_square"),
    ("ln(x)/x", "(1 - ln(x))/x", "quotient_no_square"),
    ("sin(x)/x", "cos(x)", "quotient_as_derivatives"),
    ("(x^2+1)/(x-1)", "2x", "quotient_as_derivatives"),
    ("x^3", "3x^3", "power_not_lowered"),
    ("x^5", "5x^5", "power_not_lowered"),
    ("x^(1/2)", "(1/2) x^(1/2)", "power_not_lowered"),
    ("x^3", "3x^4", "power_exponent_raised"),
    ("x^-2", "-2x^-1", "power_exponent_raised"),
    ("2^x", "x*2^(x-1)", "power_rule_on_exponential"),
    ("exp(x)", "x exp(x-1)", "power_rule_on_exponential"),
    ("3^x", "x*3^(x-1)", "power_rule_on_exponential"),
    ("x^x", "x x^(x-1)", "power_rule_on_exponential"),
    ("x^x", "x^x ln(x)", "exponential_rule_on_power"),
    ("2^x", "2^x", "exponential_missing_log"),
    ("10^x", "10^x", "exponential_missing_log"),
    ("5^(2x)", "2*5^(2x)", "exponential_missing_log"),
    ("cos(x)", "sin(x)", "trig_sign"),
    ("sin(x)", "-cos(x)", "trig_sign"),
    ("cot(x)", "csc(x)^2", "trig_sign"),
    ("cos(2x)", "2 sin(2x)", "trig_sign"),
    ("x^2 + 5", "2x + 5", "constant_nonzero"),
    ("3x - 7", "3 - 7", "constant_nonzero"),
    ("x^3 + pi", "3x^2 + pi", "constant_nonzero"),
    ("x^2 y", "2x y + x^2", "partial_not_held"),
    ("x y + y^2", "y + x + 2y", "partial_not_held"),
    ("x^2 y", "x^2", "wrong_variable"),
    ("x exp(y)", "x exp(y)", "wrong_variable"),
    ("2^(3x)", "2^(3x) ln(2)", "chain_inner"),
    ("exp(5x)", "exp(5x)", "chain_inner"),
    ("sin(x) exp(x)", "cos(x) exp(x)", "product_as_derivatives"),
    ("(2x+1)^4", "4(2x+1)^3", "chain_inner"),
    ("cos(x^2)", "sin(x^2) 2x", "trig_sign"),
    ("x^4 - 3x + 2", "4x^3 - 3 + 2", "constant_nonzero"),
    ("x^7", "7x^7", "power_not_lowered"),
    ("tan(x)/x", "(tan(x) - x sec(x)^2)/x^2", "quotient_swapped"),
    ("ln(cos(x))", "1/cos(x)", "log_no_inner"),
    ("x^2 cos(x)", "2x cos(x)", "product_missing_term"),
]

RIGHT = [
    ("x^2 sin(x)", "x(2 sin(x) + x cos(x))"),
    ("x^2 sin(x)", "2x sin(x) + x^2 cos(x)"),
    ("sin(x)^2", "2 sin(x) cos(x)"),
    ("sin(x)^2", "sin(2x)"),
    ("cos(x)^2", "-sin(2x)"),
    ("1/x", "-1/x^2"),
    ("1/x", "-x^-2"),
    ("sqrt(x)", "1/(2 sqrt(x))"),
    ("sqrt(x)", "0.5 x^(-0.5)"),
    ("sqrt(x)", "x^(-1/2)/2"),
    ("exp(2x)", "2 exp(2x)"),
    ("exp(2x)", "2 e^(2x)"),
    ("ln(x^2)", "2/x"),
    ("ln(x^2+1)", "2x/(x^2+1)"),
    ("tan(x)", "sec(x)^2"),
    ("tan(x)", "1 + tan(x)^2"),
    ("tan(x)", "1/cos(x)^2"),
    ("x^x", "x^x (ln(x) + 1)"),
    ("x^x", "exp(x ln(x)) (1 + ln(x))"),
    ("(x+1)^2", "2x + 2"),
    ("(x+1)^2", "2(x+1)"),
    ("(x^2+1)^3", "6x (x^2+1)^2"),
    ("x/(x+1)", "1/(x+1)^2"),
    ("x/(x+1)", "(x+1)^-2"),
    ("sin(x)/x", "(x cos(x) - sin(x))/x^2"),
    ("sin(x)/x", "cos(x)/x - sin(x)/x^2"),
    ("sigmoid(x)", "sigmoid(x)(1 - sigmoid(x))"),
    ("sigmoid(x)", "exp(-x)/(1+exp(-x))^2"),
    ("tanh(x)", "1 - tanh(x)^2"),
    ("tanh(x)", "1/cosh(x)^2"),
    ("2^x", "2^x ln(2)"),
    ("2^x", "ln(2) exp(x ln(2))"),
    ("log(x, 2)", "1/(x ln(2))"),
    ("log10(x)", "1/(x ln(10))"),
    ("cos(3x)", "-3 sin(3x)"),
    ("x^3 - 1/x", "3x^2 + 1/x^2"),
    ("3x^2 - 4x", "6x - 4"),
    ("3x^2 - 4x", "2(3x - 2)"),
    ("exp(x) sin(x)", "exp(x)(sin(x) + cos(x))"),
    ("exp(-x^2)", "-2x exp(-x^2)"),
    ("x^2 exp(-x)", "(2x - x^2) exp(-x)"),
    ("x^2 exp(-x)", "x(2 - x)/exp(x)"),
    ("atan(x)", "1/(1+x^2)"),
    ("asin(x)", "1/sqrt(1-x^2)"),
    ("ln(sin(x))", "cot(x)"),
    ("ln(sin(x))", "cos(x)/sin(x)"),
    ("ln(cos(x))", "-tan(x)"),
    ("sec(x)", "sec(x) tan(x)"),
    ("sec(x)", "sin(x)/cos(x)^2"),
    ("cot(x)", "-csc(x)^2"),
    ("cot(x)", "-1/sin(x)^2"),
    ("cot(x)", "-(1 + cot(x)^2)"),
    ("softplus(x)", "sigmoid(x)"),
    ("softplus(x)", "1/(1+exp(-x))"),
    ("sinh(x)^2", "sinh(2x)"),
    ("x^(1/3)", "1/(3 x^(2/3))"),
    ("(x-1)/(x+1)", "2/(x+1)^2"),
    ("x^4", "4x^3"),
    ("5", "0"),
    ("x ln(x) - x", "ln(x)"),
]


def _sympy_derivative(f: str, wrt: str = "x"):
    e = dfdx.parse(f).sympy
    return sympy.diff(e, sympy.Symbol(wrt))


def _same(a, b) -> bool:
    """SymPy's verdict: the difference simplifies to 0, or (x^x = exp(x ln x),
    which simplify does not see for complex x) vanishes at 40 digits at
    positive points."""
    d = a - b
    if sympy.simplify(d) == 0:
        return True
    pts = [sympy.Rational(3, 10), sympy.Rational(17, 10), sympy.Rational(29, 10)]
    syms = sorted(d.free_symbols, key=lambda s: s.name)
    return all(abs(sympy.N(d.subs({s: p for s in syms}), 40)) < 1e-30 for p in pts)


def _wrt(f: str):
    return "x" if "y" in f else None


@pytest.mark.parametrize("f, answer, slip", WRONG)
def test_wrong_answers_name_the_slip(f, answer, slip):
    # the test data itself: the answer really differs from SymPy's derivative
    assert not _same(dfdx.parse(answer).sympy, _sympy_derivative(f))
    for lang in ("en", "zh"):
        r = dfdx.check_answer(f, answer, wrt=_wrt(f), lang=lang)
        assert r.correct is False and not r
        assert r.mistake == slip
        assert r.mistake_text == SLIPS[slip][0 if lang == "en" else 1]
        assert r.mistake_text in r.to_text()


@pytest.mark.parametrize("f, answer", RIGHT)
def test_right_answers_in_other_forms_are_accepted(f, answer):
    assert _same(dfdx.parse(answer).sympy, _sympy_derivative(f))
    r = dfdx.check_answer(f, answer)
    assert r.correct is True and r
    assert r.how in ("symbolic", "numeric")
    assert r.mistake is None and r.counterexample is None


def test_counterexample_is_a_real_difference():
    r = dfdx.check_answer("x^3", "3x^3")
    c = r.counterexample
    x = c["at"]["x"]
    assert c["expected"] == pytest.approx(3 * x**2)
    assert c["answer"] == pytest.approx(3 * x**3)
    assert c["answer"] != pytest.approx(c["expected"])  # x = 1 would not show it


def test_step_points_at_the_rule_that_was_misapplied():
    r = dfdx.check_answer("sin(2x)*exp(x^2)", "cos(2x) exp(x^2) + 2x sin(2x) exp(x^2)")
    assert r.mistake == "chain_inner"
    assert r.step == "1.1 Chain rule: d/dx sin(2x)"  # sin(2x) typed first
    steps = dfdx.explain("sin(2x)*exp(x^2)")
    assert steps.root.children[0].expr == dfdx.parse("sin(2*x)")
    zh = dfdx.check_answer(
        "sin(2x)*exp(x^2)", "cos(2x) exp(x^2) + 2x sin(2x) exp(x^2)", lang="zh"
    )
    assert "从第 1.1 步开始出错：链式法则" in zh.to_text()


def test_a_product_of_three_points_at_the_inner_product():
    r = dfdx.check_answer("x^2*exp(x)*sin(x)", "2x exp(x) sin(x) + x^2 exp(x) sin(x)")
    assert r.mistake == "product_missing_term"
    assert r.step.startswith("1.2 Product rule: d/dx e^x sin(x)")


def test_an_answer_that_is_wrong_in_no_usual_way_says_so():
    r = dfdx.check_answer("x^3", "x^2 + 1")
    assert r.correct is False and r.mistake is None
    assert "not one of the usual slips" in r.to_text()


def test_value_at_a_point():
    r = dfdx.check_answer("x^3", "12", at=2)
    assert r.correct is True and r.how == "value"
    r = dfdx.check_answer("x^3", "4", at=2)
    assert r.correct is False
    assert r.counterexample == {"at": {"x": 2.0}, "answer": 4.0, "expected": 12.0}
    # 3x^3 at 2 is 24: the power-rule slip explains the number
    assert dfdx.check_answer("x^3", "24", at=2).mistake == "power_not_lowered"


def test_decimal_values_are_judged_to_the_digits_given():
    r = dfdx.check_answer("1/x", "-0.111", at=3)  # -1/9 = -0.1111...
    assert r.correct is True and r.how == "rounded" and r.digits == 3
    assert dfdx.check_answer("1/x", "-0.112", at=3).correct is False
    assert dfdx.check_answer("1/x", "-0.1111111", at=3).correct is True
    assert dfdx.check_answer("1/x", "-0.11", at=3).correct is True
    assert dfdx.check_answer("1/x", "-0.12", at=3).correct is False


def test_gradient_answers():
    r = dfdx.check_answer("x^2*y", "2*x*y, x^2")
    assert r.correct is True and r.variables == ("x", "y") and len(r.parts) == 2
    r = dfdx.check_answer("x^2*y", ["2*x*y", "x"])
    assert r.correct is False
    assert [p.correct for p in r.parts] == [True, False]
    r = dfdx.check_answer("x^2*y", "[x^2, 2*x*y]", wrt=["y", "x"])
    assert r.correct is True
    d = r.to_dict()
    assert d["variables"] == ["y", "x"] and d["answer"] == ["x**2", "2*x*y"]


def test_higher_orders():
    assert dfdx.check_answer("sin(x)", "-sin(x)", n=2).correct is True
    r = dfdx.check_answer("x^4", "12x^3", n=2)  # 4x^3 differentiated as 3·4x^3
    assert r.correct is False and r.mistake == "power_not_lowered"


def test_cannot_decide_is_not_a_verdict():
    # the answer is real for x ≤ -1 only, the derivative for x > 0: no point
    # to compare at
    r = dfdx.check_answer("sqrt(x)", "sqrt(-x - 1)")
    assert r.correct is None and r.how == "unknown"
    assert "cannot decide" in r.to_text()


def test_a_function_real_nowhere_has_no_answer_to_check():
    # sqrt(-1 - x^2) is real nowhere: there is no derivative to compare with
    with pytest.raises(dfdx.UndefinedError, match="defined nowhere"):
        dfdx.check_answer("sqrt(-1 - x^2)", "1")


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        (("x^2", "2t"), {}, "the answer uses t, which is not a variable"),
        (("x^2*y", "2*x*y"), {"wrt": "z"}, "wrt='z' is not a variable"),
        (("x^2*y", "2*x*y"), {}, "several variables"),
        (("x^2*y", "1, 2, 3"), {}, "has 2 components"),
        (("x^2", "2x"), {"n": 0}, "n must be an integer"),
        (("x^2", "2x"), {"at": 1}, "must be a number"),
        (("x^2", "2x"), {"lang": "fr"}, "lang must be one of"),
        (("x^2", "2x +"), {}, "invalid syntax"),
        (("1/x", "1"), {"at": 0}, "not defined"),
    ],
)
def test_bad_input_is_one_clear_error(args, kwargs, message):
    with pytest.raises(dfdx.DfdxError, match=message):
        dfdx.check_answer(*args, **kwargs)


def test_cli(capsys):
    assert main(["check", "sin(x^2)", "cos(x^2)"]) == 1
    out = capsys.readouterr().out
    assert "likely mistake: forgot the chain rule's inner derivative" in out
    assert main(["check", "x^3", "12", "--at", "2"]) == 0
    assert main(["check", "sqrt(x)", "sqrt(-x - 1)"]) == 3
    assert main(["check", "sqrt(-1 - x^2)", "1"]) == 2  # no derivative to check
    capsys.readouterr()
    assert main(["check", "x^2", "2t"]) == 2
    assert "dfdx: error: the answer uses t" in capsys.readouterr().err
    assert main(["check", "x^2*y", "2*x*y + x^2", "--wrt", "x", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["mistake"] == "partial_not_held" and data["correct"] is False


# --- the slip-free differentiator is sympy.diff --------------------------------

X = sympy.Symbol("x", real=True)
_UNARY = [
    sympy.sin,
    sympy.cos,
    sympy.exp,
    sympy.tan,
    sympy.tanh,
    lambda u: sympy.log(u**2 + 1),
    lambda u: 2**u,
]


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(
    expressions(
        [X, X, sympy.Integer(2), sympy.Integer(3), sympy.Rational(1, 2)],
        _UNARY,
        [2, 3, -1, sympy.Rational(1, 2), X],
        max_leaves=5,
    ).filter(lambda e: e.has(X))
)
def test_the_rules_without_a_slip_are_sympy_diff(e):
    got = _Slipper(X).d(e)
    assert sympy.simplify(got - sympy.diff(e, X)) == 0
