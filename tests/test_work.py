"""check_work: the first wrong line of a derivation and its slip, on a
corpus of derivations whose first wrong line is set by hand and checked here
against SymPy."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sympy
from tests.work_corpus import RIGHT, WRONG

import dfdx
from dfdx.errors import DfdxError


def _wrt(f):
    return "x" if len(dfdx.parse(f).variables) > 1 else None


def _sympy_first_wrong(f, lines, wrt):
    """The reference: the first line whose difference from SymPy's
    derivative is not 0 (checked at points off every breakpoint)."""
    e = dfdx.parse(f)
    real = {s: sympy.Symbol(s.name, real=True) for s in e.sympy.free_symbols}
    x = sympy.Symbol(wrt or (e.variables or ("x",))[0], real=True)
    want = sympy.diff(e.sympy.xreplace(real), x)
    for k, line in enumerate(lines, 1):
        got = dfdx.parse(line).sympy
        got = got.xreplace(
            {s: sympy.Symbol(s.name, real=True) for s in got.free_symbols}
        )
        diff = got - want
        pts = [0.37, 1.21, 2.3, 0.83, -0.71, -1.9]
        others = {s: 1.3 for s in diff.free_symbols if s != x}
        values = []
        for p in pts:
            v = complex(diff.subs({x: p, **others}).evalf())
            values.append(abs(v))
        if max(values) > 1e-9:
            return k
    return None


def test_corpus_sizes():
    assert len(WRONG) >= 60 and len(RIGHT) >= 10


@pytest.mark.parametrize(("f", "lines", "first", "slip"), WRONG)
def test_wrong_derivations(f, lines, first, slip):
    wrt = _wrt(f)
    assert _sympy_first_wrong(f, lines, wrt) == first  # the corpus is right
    r = dfdx.check_work(f, lines, wrt=wrt)
    assert r.correct is False and not r
    assert r.first_wrong == first
    assert r.lines[first - 1].correct is False
    assert all(ln.correct is True for ln in r.lines[: first - 1])
    if slip is not None:
        assert r.mistake == slip, r.to_text()
    assert f"line {first}" in r.to_text()
    assert r.counterexample is not None
    c = r.counterexample
    point = {sympy.Symbol(k, real=True): v for k, v in c["at"].items()}
    e = dfdx.parse(f).sympy
    e = e.xreplace({s: sympy.Symbol(s.name, real=True) for s in e.free_symbols})
    x = sympy.Symbol(wrt or "x", real=True)
    want = sympy.diff(e, x).subs(point).doit()
    assert float(want) == pytest.approx(c["expected"], rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("f", "lines"), RIGHT)
def test_right_derivations(f, lines):
    wrt = _wrt(f)
    assert _sympy_first_wrong(f, lines, wrt) is None
    r = dfdx.check_work(f, lines, wrt=wrt)
    assert r.correct is True and r.first_wrong is None and r.mistake is None
    assert all(ln.correct for ln in r.lines)


def test_a_line_after_the_first_wrong_one_says_it_carries_the_mistake():
    r = dfdx.check_work("x^3 - 2x", ["3x^2 - 2", "3x^2 + 2", "3x^2 + 2"])
    assert r.first_wrong == 2
    assert r.lines[2].correct is False and r.lines[2].follows is True
    assert "following from line 2" in r.to_text()


def test_two_slips_that_cancel_are_still_found():
    r = dfdx.check_work("x^3 + x", ["3x^2 + 1", "3x^2 - 1", "3x^2 + 1"])
    assert r.first_wrong == 2 and r.lines[-1].correct is True
    assert "two slips cancelled" in r.to_text()


def test_the_hole_of_the_typed_function_counts():
    # x/x is 1 except at 0: a line d/dx(x/x) keeps the hole, equal to 0 there
    r = dfdx.check_work("x/x", ["d/dx(x/x)", "0"])
    assert r.correct is True
    assert dfdx.parse("d/dx(x/x)").domain.contains({"x": 0.0}) is False


def test_the_rule_step_is_named_where_the_slip_has_one_place():
    r = dfdx.check_work("x^2 sin(x)", [WRONG[0][1][0], "2x sin(x) - x^2 cos(x)"])
    assert r.step is not None and "d/dx sin(x)" in r.step
    assert r.where == "d/dx(sin(x))"


def test_chinese():
    r = dfdx.check_work("x^3 - 2x", ["3x^2 - 2", "3x^2"], lang="zh")
    assert "第 2 行" in r.to_text() and "漏掉" in r.to_text()


def test_bad_input_is_one_clear_error():
    with pytest.raises(DfdxError, match="non-empty"):
        dfdx.check_work("x^2", [])
    with pytest.raises(DfdxError, match="line 2"):
        dfdx.check_work("x^2", ["2x", "2x +"])
    with pytest.raises(DfdxError, match="one derivative per line"):
        dfdx.check_work("x^2 y", ["2xy, x^2"], wrt="x")
    with pytest.raises(DfdxError, match="brackets"):
        dfdx.check_work("x^2", ["d/dx x^2"])
    with pytest.raises(DfdxError, match="several variables"):
        dfdx.check_work("x^2 y", ["2xy"])
    with pytest.raises(DfdxError, match="not a variable"):
        dfdx.check_work("x^2", ["2z"])


def test_to_dict_is_json():
    r = dfdx.check_work("sin(x^2)", ["cos(x^2) (x^2)'", "cos(x^2)"])
    d = json.loads(json.dumps(r.to_dict()))
    assert d["first_wrong"] == 2 and d["mistake"] == "chain_inner"
    assert d["lines"][0]["textbook"] == "cos(x^2) d/dx(x^2)"
    assert d["kind"] == "rule"


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "dfdx", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_working():
    p = _cli("check", "x^3 - 2x", "3x^2 - 2", "3x^2 + 2")
    assert p.returncode == 1, p.stderr
    assert "goes wrong at line 2" in p.stdout
    p = _cli("check", "x^3 - 2x", "3x^2 - 2", "(3x^2 - 2)")
    assert p.returncode == 0 and "working is correct" in p.stdout
    p = _cli("check", "x^3", "3x^2", "3x^2", "--at", "1")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    p = _cli("check", "x^3", "3x^2", "d/dx x", "--json")
    assert p.returncode == 2 and "Traceback" not in p.stderr


def test_a_derivative_taken_as_one_inside_the_product_rule_is_not_a_chain_slip():
    # d/dx(x^2) read as 1 in a product-rule line: no chain rule there
    r = dfdx.check_work("x^2 sin(x)", [WRONG[0][1][0], "sin(x) + x^2 cos(x)"])
    assert r.first_wrong == 2 and r.mistake == "rule_other"
    # the same reading as the inner derivative of a chain is the chain slip
    r = dfdx.check_work("sin(x)^2", ["2 sin(x) d/dx(sin(x))", "2 sin(x)"])
    assert r.mistake == "chain_inner"


def test_a_long_run_of_primes_is_refused_before_it_is_read():
    # each prime wraps the whole bracket again: thousands of them took the
    # whole time limit to read; now a clear refusal at the 21st
    with pytest.raises(DfdxError, match="more than 20 primes in a row"):
        dfdx.parse("(x^4)" + "'" * 19000)
    assert dfdx.parse("(x^4)'''").sympy == 24 * sympy.Symbol("x")
    assert dfdx.parse("(x^2)' '").sympy == 2
