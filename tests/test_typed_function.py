"""Verdicts about the function the learner typed: its domain (SymPy's
automatic cancellation must not erase x/x's hole), its pieces (abs, max,
relu: every piece, both sides of every breakpoint), its notation. Each test
is named after the reproducer it pins."""

from __future__ import annotations

import math
import re
import subprocess
import sys

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.oracles import real_on_no_interval

import dfdx
from dfdx.domain import Domain
from dfdx.errors import NotDifferentiableError, ParseError, UndefinedError

# -- 1. the domain of the typed expression -----------------------------------

CANCELLING = [
    # (typed, a point outside its domain, SymPy's verdict on the typed form there)
    ("x/x", 0),
    ("x^2/x", 0),
    ("(x-1)/(x-1)", 1),
    ("sin(x)/sin(x)", 0),
    ("x*log(x)/log(x)", 1),
    ("log(x)-log(x)", -1),
    ("sqrt(x)^2", -4),
    ("(x^(1/4))^4", -1),
    ("sqrt(x-3)^2", 2),
    ("exp(log(x))", -1),
]


def _sympy_undefined(text: str, a) -> bool:
    """SymPy's own evaluation of the typed tree at a (no cancellation)."""
    tree = dfdx.parse(text).written
    x = next(iter(tree.free_symbols))
    with sympy.evaluate(False):
        at = tree.xreplace({x: sympy.Integer(a)})
    # every typed operation, evaluated on its own (log(-1) - log(-1) is 0 to
    # SymPy as a whole, but log(-1) is not real)
    for node in sympy.preorder_traversal(at):
        v = node.doit()
        if v.has(sympy.nan, sympy.zoo) or v.is_extended_real is False:
            return True
    return False


@pytest.mark.parametrize(("text", "a"), CANCELLING)
def test_cancelled_point_is_outside_the_domain(text, a):
    assert _sympy_undefined(text, a)  # the reference: SymPy on the typed tree
    f = dfdx.parse(text)
    assert f.domain.contains({"x": a}) is False
    assert math.isnan(f(float(a)))
    assert not dfdx.differentiable(text, at=a).exists
    with pytest.raises((UndefinedError, NotDifferentiableError)):
        dfdx.tangent_line(text, at=a)


def test_x_over_x_at_0_is_removable_not_differentiable():
    r = dfdx.differentiable("x/x", at=0)
    assert not r.exists and r.value is None
    assert "removable" in r.reason or "not defined" in r.reason


def test_tangent_x2_over_x_at_0_refused():
    with pytest.raises(UndefinedError, match="undefined at x = 0"):
        dfdx.tangent_line("x^2/x", at=0)


def test_sqrt_squared_evaluates_to_nan_left_of_0():
    f = dfdx.parse("sqrt(x)^2")
    assert math.isnan(f(x=-1.0))
    assert f(x=4.0) == 4.0
    out = f(np.array([-1.0, 0.0, 2.0]))
    assert math.isnan(out[0]) and out[1] == 0.0 and out[2] == 2.0


def test_limit_exp_log_at_minus_1_has_no_real_value():
    r = dfdx.limit("exp(log(x))", -1)
    assert r.value is None and r.status == "not real"


def test_sin_x_over_x_still_removable():
    r = dfdx.differentiable("sin(x)/x", at=0)
    assert not r.exists
    assert dfdx.limit("sin(x)/x", 0).value == 1


def test_derivative_carries_the_domain_of_f():
    d = dfdx.diff("x/x")
    assert d.sympy == 0
    assert math.isnan(d(0.0)) and d(2.0) == 0.0
    assert math.isnan(dfdx.diff("log(x)")(-1.0))


def test_domain_text_and_smooth_functions_unrestricted():
    assert str(dfdx.parse("x^2 + 1").domain) == "all real numbers"
    assert not dfdx.parse("1/(1 + exp(-x))").domain
    assert str(dfdx.parse("sqrt(x)^2").domain) == "x ≥ 0"
    assert Domain([(sympy.Symbol("x"), "ne"), (sympy.Symbol("x"), "ge")]) == Domain(
        [(sympy.Symbol("x"), "gt")]
    )


def test_cli_diff_at_point_outside_domain(capsys):
    from dfdx.cli import main

    assert main(["diff", "sqrt(x)^2", "--at", "-4"]) == 2
    err = capsys.readouterr().err
    assert "undefined at x = -4" in err and "Traceback" not in err


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.sampled_from(
        [
            ("x", [0]),
            ("x - 2", [2]),
            ("x + 3", [-3]),
            ("sin(x)", [0]),
            ("x^3 - x", [-1, 0, 1]),
        ]
    ),
    st.sampled_from(["x^2 + 1", "exp(x)", "cos(x)", "3", "x"]),
)
def test_property_cancelling_factor_undefined_at_its_zero(factor, g):
    """A typed g*u/u is undefined wherever u = 0, in every evaluator."""
    factor, roots = factor
    text = f"({g})*({factor})/({factor})"
    f = dfdx.parse(text)
    u = dfdx.parse(factor).sympy
    x = sympy.Symbol("x")
    for root in roots:
        assert u.subs(x, root) == 0  # the reference: u vanishes there
        assert f.domain.contains({"x": root}) is False
        assert math.isnan(f(float(root)))
        assert not dfdx.differentiable(text, at=int(root)).exists


# -- 2. corners are not jumps ---------------------------------------------------


def test_max_x_x2_at_0_is_a_corner_not_a_jump():
    r = dfdx.differentiable("max(x, x^2)", at=0)
    assert r.kind == "corner"
    assert (r.left, r.right) == (0, 1)


def test_tiny_jump_still_a_jump():
    assert dfdx.differentiable("x + 10^-12*sign(x)", at=0).kind == "jump"


# -- 3. equality by pieces ---------------------------------------------------------

WRONG_PIECES = [
    ("abs(x-5)", "-1"),
    ("abs(x^2-25)", "-2x"),
    ("min(x,5)", "1"),
    ("relu(x+3)", "1"),
    ("x^2", "2x + relu(x-4)"),
    ("sin(x)", "cos(x) + relu(abs(x)-4)"),
    ("max(x^2, 16)", "2x"),
]


@pytest.mark.parametrize(("expr", "answer"), WRONG_PIECES)
def test_wrong_on_one_piece_is_wrong(expr, answer):
    r = dfdx.check_answer(expr, answer)
    assert r.correct is False
    c = r.counterexample
    assert c is not None
    # the counterexample is true: SymPy's derivative at that point
    x = sympy.Symbol("x", real=True)
    f = dfdx.parse(expr).sympy.xreplace({sympy.Symbol("x"): x})
    want = float(sympy.diff(f.rewrite(sympy.Piecewise), x).subs(x, c["at"]["x"]))
    assert c["expected"] == pytest.approx(want, rel=1e-12, abs=1e-12)


RIGHT_PIECES = [
    ("abs(x-5)", "sign(x-5)"),
    ("abs(x-5)", "(x-5)/abs(x-5)"),
    ("relu(x+3)", "max(0, sign(x+3))"),
    ("max(x^2, 16)", "x*(sign(x^2-16) + 1)"),
    ("min(x, 5)", "(1 - sign(x - 5))/2"),
]


@pytest.mark.parametrize(("expr", "answer"), RIGHT_PIECES)
def test_right_on_every_piece_is_correct(expr, answer):
    r = dfdx.check_answer(expr, answer)
    assert r.correct is True, str(r)


def test_cli_check_abs_x_minus_5_wrong(capsys):
    from dfdx.cli import main

    assert main(["check", "abs(x-5)", "-1"]) == 1
    out = capsys.readouterr().out
    assert "wrong" in out and "at x = 6" in out


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.sampled_from(["abs", "relu"]),
    st.integers(-6, 6),
    st.integers(-1000, 1000).filter(lambda k: abs(k) > 1),
)
def test_property_one_wrong_piece_never_correct(fn, shift, where):
    """An answer changed on one piece, however far out, is never correct."""
    expr = f"x^2 + {fn}(x - ({shift}))"
    right = dfdx.diff(expr).sympy
    wrong = right + dfdx.parse(f"relu(x - ({where}))").sympy
    r = dfdx.check_answer(expr, dfdx.Expression(wrong))
    assert r.correct is not True


# -- 4. no value where the derivative does not exist -----------------------------


def test_abs_at_0_value_0_not_correct():
    r = dfdx.check_answer("abs(x)", "0", at=0)
    assert r.correct is False and r.mistake == "not_differentiable"
    assert "does not exist" in str(r)


def test_relu_at_0_names_the_convention():
    r = dfdx.check_answer("relu(x)", "0", at=0)
    assert r.correct is False and r.mistake == "not_differentiable"
    assert "convention" in str(r)


def test_value_away_from_the_corner_still_checked():
    assert dfdx.check_answer("abs(x)", "1", at=2).correct is True


# -- 5. counterexamples inside the domain, with true digits ---------------------


@pytest.mark.parametrize(
    ("expr", "answer"),
    [("ln(x)/(x-1)", "(1/x)/(1)"), ("(x^2+1)/(x-1)", "2x"), ("1/(x-1)", "1")],
)
def test_counterexample_in_the_domain_with_true_numbers(expr, answer):
    r = dfdx.check_answer(expr, answer)
    assert r.correct is False
    c = r.counterexample
    assert c is not None and c["at"]["x"] != 1
    x = sympy.Symbol("x")
    f = dfdx.parse(expr).sympy
    want = sympy.N(sympy.diff(f, x).subs(x, sympy.Rational(str(c["at"]["x"]))), 30)
    assert c["expected"] == pytest.approx(float(want), rel=1e-12)


# -- 7. notation ---------------------------------------------------------------


@pytest.mark.parametrize("text", ["sin2x", "cos2x", "tan2x", "xsinx", "cos3t"])
def test_function_glued_to_its_argument_is_refused(text):
    with pytest.raises(ParseError, match="glued"):
        dfdx.parse(text)


def test_e_2x_is_refused_with_both_readings():
    with pytest.raises(ParseError, match=r"e\^\(2x\) or e\^2"):
        dfdx.parse("e^2x")


def test_cost_stays_a_variable():
    assert dfdx.parse("cost + x").variables == ("cost", "x")


@pytest.mark.parametrize(
    ("text", "readings"),
    [
        ("√x^2", ("√(x^2)", "(√x)^2")),
        ("√x²", ("√(x²)", "(√x)²")),
        ("2√x**3", ("√(x**3)", "(√x)**3")),
        ("∛x^2", ("∛(x^2)", "(∛x)^2")),
        ("sin|x|^2", ("sin(|x|)^2", "sin(|x|^2)")),
        ("ln|x|^3", ("ln(|x|)^3", "ln(|x|^3)")),
    ],
)
def test_root_or_function_of_a_power_refused_with_both_readings(text, readings):
    with pytest.raises(ParseError, match="ambiguous") as info:
        dfdx.parse(text)
    for reading in readings:
        assert reading in str(info.value)


@pytest.mark.parametrize(
    ("text", "want"),
    [("√(x)^2", "x"), ("√x + 1", "sqrt(x) + 1"), ("|x|^2", "Abs(x)**2")],
)
def test_grouped_roots_and_bars_still_read(text, want):
    assert str(dfdx.parse(text)) == want


def test_programmer_style_keeps_names():
    """With '*' for every product, a run of letters is a name (said in a note);
    SymPy reads the same text the same way."""
    text = "4 * x**2 + 3 * xd + x * y"
    with pytest.warns(dfdx.NotationWarning, match="kept 'xd' as one name"):
        e = dfdx.parse(text)
    assert e.variables == ("x", "xd", "y")
    assert e.sympy == sympy.sympify(text)
    # one juxtaposition and the textbook convention is back, with its note
    with pytest.warns(dfdx.NotationWarning, match="product x·d"):
        assert dfdx.parse("3 * xd + 2x").variables == ("d", "x")


@pytest.mark.parametrize(
    ("text", "first"), [("log10x", "log10(x)"), ("log2x", "log2(x)")]
)
def test_log_base_glued_offers_the_base_reading(text, first):
    with pytest.raises(ParseError, match=rf"write {re.escape(first)} or log\("):
        dfdx.parse(text)


# -- 8. the CLI takes text that starts with '-' -----------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "cos(x)", "-sin(x)"],
        ["diff", "-x^2"],
        ["tangent", "-x^2+1", "--at", "1"],
        ["lim", "-1/x^2", "--at", "0"],
        ["diff", "-x", "-n", "2"],
    ],
)
def test_cli_minus_first(argv, capsys):
    from dfdx.cli import main

    assert main(argv) in (0, 1)  # 1: the limit is infinite (does not exist)
    assert "required" not in capsys.readouterr().err


def test_cli_minus_first_subprocess():
    out = subprocess.run(
        [sys.executable, "-m", "dfdx", "check", "cos(x)", "-sin(x)"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "correct" in out.stdout


# -- 9. limits -----------------------------------------------------------------


def test_limit_of_relu_at_1():
    assert dfdx.limit("relu(x)", 1).value == 1


def test_lhopital_then_substitution_speaks_of_the_quotient():
    r = dfdx.limit("(sqrt(x+4)-2)/x", 0)
    assert r.value == sympy.Rational(1, 4)
    last = r.steps[-1].text
    assert "this form is continuous" in last and "f is continuous" not in last


def test_constant_pulled_out_of_standard_limit():
    r = dfdx.limit("sin(5x)/(2x)", 0)
    assert r.value == sympy.Rational(5, 2)
    assert "(5/2)·1 = 5/2" in r.steps[-1].text


# -- 10. smaller -----------------------------------------------------------------

ZERO_OVER_ZERO = "(tan(x)**2 + 1 - cos(x)**-2) / (sin(x)**2 + cos(x)**2 - 1)"


def test_zero_over_zero_everywhere_has_no_derivative():
    """SymPy's own test: this derivative is nan (the denominator is 0 for
    every x, so the function is defined nowhere)."""
    x = sympy.Symbol("x")
    den = sympy.sin(x) ** 2 + sympy.cos(x) ** 2 - 1
    assert sympy.simplify(den) == 0  # the reference
    d = dfdx.diff(ZERO_OVER_ZERO)
    assert d.sympy is sympy.nan
    assert "defined nowhere" in d.notes[0]
    assert math.isnan(dfdx.parse(ZERO_OVER_ZERO)(1.0))
    assert np.isnan(dfdx.parse(ZERO_OVER_ZERO)(np.array([0.5, 2.0]))).all()
    # a denominator that only looks like one is left alone
    assert dfdx.parse("1/(sin(x)^2 + cos(x)^2 + 1)").domain.nowhere() is None


def test_cli_zero_over_zero_says_why(capsys):
    from dfdx.cli import main

    assert main(["diff", ZERO_OVER_ZERO]) == 0
    out, err = capsys.readouterr()
    assert out.strip().endswith("= nan") and "defined nowhere" in err


@pytest.mark.parametrize(
    ("text", "where"),
    [("x^2/x", "(for x ≠ 0)"), ("sqrt(x)^2", "(for x ≥ 0)"), ("log(x)", "(for x > 0)")],
)
def test_explain_and_cli_state_the_restriction(text, where, capsys):
    from dfdx.cli import main

    assert dfdx.explain(text).to_text().splitlines()[-1].endswith(where)
    assert main(["diff", text]) == 0
    assert capsys.readouterr().out.strip().endswith(where)


def test_no_restriction_when_the_form_keeps_it():
    assert "for" not in dfdx.explain("x^3").to_text().splitlines()[-1]
    assert "(for" not in dfdx.explain("1/x").to_text().splitlines()[-1]
    latex = dfdx.explain("x^2/x").to_latex()
    assert r"x \neq 0" in latex


def test_chain_rule_result_holds_where_the_definitions_are_defined():
    r = dfdx.chain_rule("y = u^2/u; u = x^2", "x")
    assert str(r.result) == "2*x"  # SymPy: d/dx (x^2)^2/x^2 = 2x where defined
    assert "(for x^2 ≠ 0)" in r.to_text()
    assert math.isnan(r.result(0.0)) and r.result(2.0) == 4.0
    # a condition that always holds is not said
    assert "(for" not in dfdx.chain_rule("y = log(u); u = x^2 + 1", "x").to_text()


def test_limit_steps_never_call_the_typed_function_continuous_at_its_hole():
    """lim x^2/x at 0 said 'direct substitution: f is continuous at 0, so the
    limit is f(0) = 0': SymPy's form is x, but the typed f is 0/0 there."""
    r = dfdx.limit("x^2/x", 0)
    assert r.value == 0
    text = str(r)
    assert "continuous at 0, so the limit is f(0)" not in text
    assert "for x ≠ 0, f(x) = x" in text
    assert text.startswith("lim_{x→0} x^2/x")  # the typed function is named
    # where the typed f is defined, substitution stays what it was
    assert "direct substitution" in str(dfdx.limit("x^2/x", 2))
    assert str(dfdx.limit("exp(log(x))", -1)).startswith("lim_{x→-1} e^(ln(x))")


# -- 11. a domain with no open set: no derivative anywhere -----------------------

X_REAL = sympy.Symbol("x")

NO_INTERIOR = [
    # (typed, SymPy's continuous domain of the typed form: the reference)
    ("sin(sqrt(-x^2))", sympy.FiniteSet(0)),
    ("sqrt(-x^2)", sympy.FiniteSet(0)),
    ("sqrt(x) + sqrt(-x)", sympy.FiniteSet(0)),
    ("sqrt(x - 1) + sqrt(1 - x)", sympy.FiniteSet(1)),
    ("sqrt(x^2 - 1) + sqrt(1 - x^2)", sympy.FiniteSet(-1, 1)),
    ("asin(x + 1) + asin(x - 1)", sympy.FiniteSet(0)),
    ("log(-x^2)", sympy.S.EmptySet),
    ("sqrt(-x^2 - 1)", sympy.S.EmptySet),
    ("log(x) + log(-x)", sympy.S.EmptySet),
    ("asin(x + 2) + asin(x - 2)", sympy.S.EmptySet),
]


@pytest.mark.parametrize(("text", "reference"), NO_INTERIOR)
def test_no_open_set_means_no_derivative_anywhere(text, reference):
    """sin(sqrt(-x^2)) is defined at x = 0 alone; its 'derivative'
    I·cosh(|x|)·sign(x) was given by diff, explain and hint, and check_answer
    called an answer to log(-x^2) (defined nowhere) wrong against 2/x."""
    e = dfdx.parse(text)
    assert sympy.calculus.util.continuous_domain(e.written, X_REAL, sympy.S.Reals) == (
        reference
    )
    d = dfdx.diff(text)
    assert d.sympy is sympy.nan and len(d.notes) == 1
    note = d.notes[0]
    if reference is sympy.S.EmptySet:
        assert "defined nowhere" in note
    else:
        points = " or ".join(f"x = {p}" for p in reference)
        assert f"defined only where {points} (" in note
    for call in (
        lambda: dfdx.explain(text),
        lambda: dfdx.hint(text),
        lambda: dfdx.check_answer(text, "0"),
        lambda: dfdx.check_work(text, ["0"]),
        lambda: dfdx.from_definition(text),
        lambda: dfdx.gradient(text),
        lambda: dfdx.hessian(text),
        lambda: dfdx.jacobian([text, "x"]),
    ):
        with pytest.raises(UndefinedError, match="has no derivative: the function as"):
            call()
    assert "I" not in str(d) and dfdx.partial(text, "x").sympy is sympy.nan


@pytest.mark.parametrize(
    "text", ["sqrt(x)", "log(x) + sqrt(2 - x)", "asin(x)", "sqrt(x^2 - 1)", "x/x"]
)
def test_a_domain_with_an_interval_keeps_its_derivative(text):
    e = dfdx.parse(text)
    reference = sympy.calculus.util.continuous_domain(e.written, X_REAL, sympy.S.Reals)
    assert reference.measure > 0
    assert e.domain.no_interior() is None and e.no_derivative() is None
    assert not dfdx.diff(text).sympy.has(sympy.nan)
    assert dfdx.explain(text).result is not None


def test_isolated_point_is_defined_but_not_differentiable():
    r = dfdx.differentiable("sin(sqrt(-x^2))", at=0)
    assert r.kind == "isolated" and not r.exists
    assert str(r).startswith("f is defined at x = 0 (f(0) = 0) but at no point")
    assert "没有定义" in str(dfdx.differentiable("sqrt(x) + sqrt(-x)", 0, lang="zh"))
    with pytest.raises(NotDifferentiableError, match="at no point beside it"):
        dfdx.tangent_line("sqrt(x) + sqrt(-x)", 0)


def test_several_variables_no_open_set():
    with pytest.raises(UndefinedError, match="defined only where -x\\^2 - y\\^2 = 0"):
        dfdx.gradient("sqrt(-x^2 - y^2)")
    with pytest.raises(UndefinedError, match="defined nowhere"):
        dfdx.gradient("log(-x^2 - y^2)", at={"x": 1, "y": 1})
    # defined on the line x = 0: open along y, not along x
    assert dfdx.partial("y*sqrt(-x^2)", "x").sympy is sympy.nan
    assert dfdx.partial("y*sqrt(-x^2)", "y").sympy is not sympy.nan
    with pytest.raises(UndefinedError, match="y, written in x, has no derivative"):
        dfdx.chain_rule("y = log(u); u = -x^2", "x")


def test_cli_refuses_a_derivative_with_no_open_set():
    from dfdx.cli import main

    for argv in (["diff", "sin(sqrt(-x^2))", "--steps"], ["hint", "log(-x^2)"]):
        out = subprocess.run(
            [sys.executable, "-m", "dfdx", *argv], capture_output=True, text=True
        )
        assert out.returncode == 2 and "Traceback" not in out.stderr
        assert (
            out.stderr.startswith("dfdx: error: ") and "has no derivative" in out.stderr
        )
    assert main(["diff", "sqrt(x) + sqrt(-x)"]) == 0  # nan, with the note


_LINEAR = st.tuples(
    st.sampled_from(["sqrt", "log", "asin"]),
    st.integers(-3, 3).filter(bool),
    st.integers(-3, 3),
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(_LINEAR, min_size=1, max_size=3))
def test_no_interior_agrees_with_sympys_continuous_domain(terms):
    """A sum of sqrt/log/asin of linear functions: dfdx says "no open set"
    exactly when SymPy's continuous domain is empty or a set of points."""
    text = " + ".join(f"{f}({a}*x + {b})" for f, a, b in terms)
    e = dfdx.parse(text)
    reference = sympy.calculus.util.continuous_domain(e.written, X_REAL, sympy.S.Reals)
    thin = reference is sympy.S.EmptySet or isinstance(reference, sympy.FiniteSet)
    empty = e.domain.no_interior()
    assert (empty is not None) == thin, (text, reference, empty)
    if empty is not None:
        assert empty.kind == ("never" if reference is sympy.S.EmptySet else "points")
        if empty.kind == "points":
            assert set(empty.points) == set(reference)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("log(sin(x) - 1)", "never"),  # sin(x) - 1 lies in [-2, 0]
        ("log(tanh(x) - 1)", "never"),
        ("sqrt(sin(x) - 1)", "points"),  # only at pi/2 + 2 pi n
        ("sqrt(cos(x)^2 - 1)", "points"),
    ],
)
def test_no_open_set_from_the_range_of_a_condition(text, kind):
    e = dfdx.parse(text)
    assert real_on_no_interval(e.written, X_REAL)  # the reference: a fine grid
    empty = e.domain.no_interior()
    assert empty is not None and empty.kind == kind
    with pytest.raises(UndefinedError, match="has no derivative"):
        dfdx.explain(text)


@pytest.mark.parametrize(
    "text",
    [
        "sqrt(min(x, 0))",  # min(x, 0) ≥ 0 on all of x ≥ 0
        "sqrt(x - sqrt(x^2))",  # 0 on all of x ≥ 0
        "1/(x - sqrt(x^2))",  # defined for x < 0
        "log(sin(x) - 0.9)",  # short intervals, but intervals
        "sqrt(-min(x, 0)^2)",  # min(x, 0) = 0 on all of x ≥ 0
        "sqrt(x - 100)",
    ],
)
def test_conditions_zero_or_positive_on_an_interval_keep_their_derivative(text):
    e = dfdx.parse(text)
    assert not real_on_no_interval(e.written, X_REAL, lo=-200, hi=200, n=4001)
    assert e.domain.no_interior() is None
    assert not dfdx.diff(text).sympy.has(sympy.nan)


def test_two_variables_defined_only_on_a_line():
    with pytest.raises(UndefinedError, match="defined only where x - y = 0"):
        dfdx.gradient("sqrt(x - y) + sqrt(y - x)")
    with pytest.raises(UndefinedError, match="defined nowhere"):
        dfdx.gradient("log(x - y) + log(y - x)")


_OUTER = st.sampled_from(["sqrt", "log", "asin", "acosh"])
_INNER = st.sampled_from(["sin(x)", "cos(x)", "tanh(x)", "exp(x)", "x", "x^2", "-x^2"])
_TERM = st.tuples(_OUTER, st.integers(-2, 2).filter(bool), _INNER, st.integers(-2, 2))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(_TERM, min_size=1, max_size=2))
def test_a_claim_of_no_open_set_is_never_wrong(terms):
    """Whatever no_interior says, a fine grid agrees: where it claims that
    no open set lies in the domain, no two neighbouring grid points are both
    real (it may also say nothing: not proved)."""
    text = " + ".join(f"{f}({a}*{g} + {b})" for f, a, g, b in terms)
    try:
        e = dfdx.parse(text)
    except ParseError:  # asin(2): a constant out of range
        return
    if e.domain.no_interior() is not None:
        assert real_on_no_interval(e.written, X_REAL), text


def test_a_real_power_of_a_negative_number_is_defined_nowhere():
    """abs(cos(2)^x): a real power needs a positive base, and cos(2) < 0. The
    domain's one condition is on numbers alone and false; it was taken for a
    restriction that holds somewhere (a property test drew it)."""
    assert sympy.cos(2) < 0  # the reference: cos(2)^x is real at integers only
    assert real_on_no_interval(sympy.cos(2) ** X_REAL, X_REAL)
    e = dfdx.parse("abs((cos(2))^x)")
    assert e.domain.no_interior().kind == "never"
    assert "it needs cos(2) > 0, which does not hold" in dfdx.diff(e).notes[0]
    with pytest.raises(UndefinedError, match="defined nowhere"):
        dfdx.gradient("(cos(2))^x")
    assert dfdx.parse("(cos(1))^x").domain.no_interior() is None
