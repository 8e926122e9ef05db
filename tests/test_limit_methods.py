"""Named steps for the classic limits (issue 24 part 4), on a corpus of
textbook limits whose values and methods were written by hand."""

import json

import pytest
import sympy
from tests.limit_corpus import CORPUS

import dfdx
from dfdx.cli import main
from dfdx.teaching.limit_methods import explain_limit

oo = sympy.oo


@pytest.fixture(autouse=True)
def _time_enough():
    """The methods' share of the time limit is a safety net for hostile input,
    not part of what is tested here: a busy machine must not turn a named
    step into the fallback."""
    old = dfdx.set_time_limit(120)
    yield
    dfdx.set_time_limit(old)


def _value(text):
    if text in ("inf", "-inf"):
        return oo if text == "inf" else -oo
    return sympy.sympify(text)


def _rules(result):
    return [s.rule for s in result.steps]


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 60
    assert len({(f, at, side) for f, at, side, _, _ in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("f, at, side, value, method", CORPUS)
def test_textbook_limit(f, at, side, value, method):
    r = dfdx.limit(f, at, side=side)
    expected = _value(value)
    # every value right (written by hand, not computed by dfdx)
    if expected in (oo, -oo):
        assert r.value == expected and r.status == "infinite", r
    else:
        assert r.value is not None and sympy.simplify(r.value - expected) == 0, r
    # the method a course uses, by name (e_standard_plain is e_standard)
    rules = _rules(r)
    assert any(x == method or x.startswith(method + "_") for x in rules), r
    assert "sympy" not in rules and "sympy_part" not in rules, r
    # every step's text is in textbook notation
    for step in r.steps:
        assert "**" not in step.text and "log(" not in step.text, step


def test_named_steps_on_at_least_95_percent_of_the_corpus():
    named = sum(
        "sympy" not in _rules(dfdx.limit(f, at, side=side))
        for f, at, side, _, _ in CORPUS
    )
    assert named >= 0.95 * len(CORPUS)


def test_the_issue_examples_have_their_methods():
    # issue 24: these fell back to "SymPy's limit algorithm (Gruntz)"
    cases = {
        ("(1+1/x)^x", "inf", "both"): "e_standard",
        ("x*ln(x)", 0, "+"): "zero_times_inf",
        ("x*sin(1/x)", 0, "both"): "squeeze",
        ("exp(x)", "-inf", "both"): "known",
    }
    for (f, at, side), method in cases.items():
        rules = _rules(dfdx.limit(f, at, side=side))
        assert any(r.startswith(method) for r in rules), (f, rules)
        assert "sympy" not in rules


def test_where_no_method_applies_the_step_says_so():
    # a value SymPy finds that no textbook method here reaches: explain_limit
    # is asked for a value its methods cannot reach, and says so
    x = sympy.Symbol("x", real=True)
    steps = explain_limit(sympy.gamma(x) * sympy.sin(x), x, sympy.Integer(0), 1)
    assert [s.rule for s in steps] == ["sympy"]
    assert "no textbook method here applies" in steps[0].text
    assert "SymPy's limit algorithm" in steps[0].text


def test_a_method_is_used_only_where_it_reaches_the_value():
    # asked to explain a wrong value, no method claims it: the explanation
    # falls back instead of "deriving" it
    x = sympy.Symbol("x", real=True)
    for f, a, wrong in [
        (sympy.sin(x) / x, 0, 2),
        ((x**2 - 1) / (x - 1), 1, 3),
        ((1 + 1 / x) ** x, oo, 3),
        (x * sympy.sin(1 / x), 0, 1),
        (x * sympy.log(x), 0, -1),
    ]:
        steps = explain_limit(f, x, sympy.sympify(a), sympy.sympify(wrong), side="+")
        assert [s.rule for s in steps] == ["sympy"], (f, steps)


def test_sub_limits_are_numbered_one_level_in():
    r = dfdx.limit("x^x", 0, side="+")
    levels = [s.level for s in r.steps]
    assert levels[0] == 0 and max(levels) >= 1
    text = r.to_text()
    assert "\n    2.1. 0·∞" in text and "\n  3. g → 0" in text
    data = r.to_dict()
    assert [s["level"] for s in data["steps"]] == levels


def test_two_sided_steps_state_only_two_sided_limits():
    # 1/x - 1/sin(x) at 0: each term has no two-sided limit, so no step may say
    # "1/x → ∞"; the common denominator is taken straight away
    r = dfdx.limit("1/x - 1/sin(x)", 0)
    assert r.value == 0
    assert _rules(r)[0] == "common_denominator"
    assert "∞" not in r.to_text()


def test_chinese_steps():
    text = dfdx.limit("x*sin(1/x)", 0, lang="zh").to_text()
    assert "夹逼定理" in text
    text = dfdx.limit("(1+1/x)^x", "inf", lang="zh").to_text()
    assert "重要极限" in text and "1^∞" in text


def test_cli_json_has_the_levels(capsys):
    assert main(["lim", "x^x", "--at", "0", "--side", "+", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["value"] == "1"
    assert {s["rule"] for s in data["steps"]} >= {"form", "exp_log"}


def test_an_explanation_that_takes_too_long_falls_back_and_says_so(monkeypatch):
    import dfdx.teaching.limit_methods as lm

    monkeypatch.setattr(lm, "EXPLAIN_SHARE", 1e-9)
    r = dfdx.limit("x^2/exp(x)", "inf")
    assert r.value == 0  # the value stands
    assert [s.rule for s in r.steps] == ["sympy"]
    assert "took longer than" in r.steps[0].text
