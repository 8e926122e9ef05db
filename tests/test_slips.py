"""The named slips against a corpus of common mistakes: each wrong answer is
named with exactly the slips that reproduce it, and a wrong answer that no
slip reproduces is named with none."""

import pytest
import sympy

import dfdx
from dfdx.answers import SLIPS

from .slip_corpus import CORPUS, NO_SLIP


def test_the_corpus_is_large_and_covers_every_slip():
    assert len(CORPUS) >= 150
    named = {s for _, _, slips in CORPUS for s in slips}
    assert named == set(SLIPS) - {"not_differentiable"}


@pytest.mark.parametrize(("expr", "wrong", "slips"), CORPUS)
def test_each_slip_named(expr, wrong, slips):
    # the reference: SymPy says the answer is wrong
    f, a = dfdx.parse(expr), dfdx.parse(wrong)
    x = sympy.Symbol("x")
    assert sympy.simplify(sympy.diff(f.sympy, x) - a.sympy) != 0
    r = dfdx.check_answer(f, wrong, wrt="x")
    assert r.correct is False
    assert set(r.mistakes) == set(slips), str(r)
    assert r.mistake == r.mistakes[0]
    text = str(r)
    for slip in slips:
        assert dfdx.answers.localise(SLIPS, slip, "en") in text


@pytest.mark.parametrize(("expr", "wrong"), NO_SLIP)
def test_no_slip_no_name(expr, wrong):
    r = dfdx.check_answer(expr, wrong)
    assert r.correct is False and r.mistakes == () and r.mistake is None
    assert "not one of the usual slips" in str(r)


def test_both_slips_are_said():
    r = dfdx.check_answer("sqrt(x+1)", "1/sqrt(x+1)")
    assert r.mistakes == ("power_no_coefficient", "constant_nonzero")
    lines = str(r).splitlines()
    assert any(line.strip().startswith("or: a constant term") for line in lines)
    assert r.to_dict()["mistakes"] == list(r.mistakes)


def test_log_base_slip_departs_at_its_step():
    r = dfdx.check_answer("log(x, 2)", "1/x")
    assert r.mistake == "log_base_as_ln"
    assert r.step is not None and "Logarithm" in r.step
