"""Tests for dfdx.definition: differentiability and derivatives from the limit."""

from __future__ import annotations

import pytest
import sympy

import dfdx
from dfdx.errors import DfdxError


def test_abs_at_zero_is_a_corner():
    r = dfdx.differentiable("abs(x)", at=0)
    assert not r and r.left == -1 and r.right == 1 and r.derivative is None
    assert "differ (a corner)" in r.reason


def test_smooth_point():
    r = dfdx.differentiable("3x^2 - 4x", at=1)
    assert r.exists and r.derivative == 2 and r.value == -1


def test_relu_at_zero_and_elsewhere():
    assert not dfdx.differentiable("relu(x)", at=0)
    assert dfdx.differentiable("relu(x)", at=2).derivative == 1


def test_undefined_point():
    r = dfdx.differentiable("1/x", at=0)
    assert not r.exists and r.value is None and "not defined" in r.reason


def test_vertical_tangent():
    r = dfdx.differentiable("sqrt(x)", at=0)
    assert not r.exists and r.right == sympy.oo


def test_chinese_reason():
    assert dfdx.differentiable("abs(x)", 0, lang="zh").reason.endswith("处不可微。")
    assert "可微" in str(dfdx.differentiable("x^2", 1, lang="zh"))


def test_differentiable_validation():
    with pytest.raises(DfdxError, match=r"at must be a number, got 'a'"):
        dfdx.differentiable("x", at="a")
    with pytest.raises(DfdxError, match=r"lang must be one of 'en', 'zh', got 'de'"):
        dfdx.differentiable("x", at=0, lang="de")


@pytest.mark.parametrize(
    "text, wrt",
    [
        ("7", "x"),
        ("c", "x"),
        ("x^2", None),
        ("x^3", None),
        ("exp(x)", None),
        ("log(x)", None),
        ("1/x", None),
        ("sin(x)", None),
        ("x^n", "x"),
    ],
)
def test_from_definition_matches_diff(text, wrt):
    d = dfdx.from_definition(text, wrt=wrt)
    expected = dfdx.diff(text, wrt) if text not in ("7",) else dfdx.parse("0")
    assert sympy.simplify(dfdx.parse(d.result).sympy - expected.sympy) == 0
    assert d.lines[0][1].startswith("f′(x) = lim_{h→0}")


@pytest.mark.parametrize(
    "name, result",
    [
        ("product", "f′(x)·g(x) + f(x)·g′(x)"),
        ("f(x)*g(x)", "f′(x)·g(x) + f(x)·g′(x)"),
        ("sum", "f′(x) + g′(x)"),
        ("quotient", "(f′(x)·g(x) − f(x)·g′(x)) / g(x)²"),
        ("constant_multiple", "c·f′(x)"),
        ("inverse", "1 / f′(f⁻¹(y))"),
    ],
)
def test_generic_rules(name, result):
    assert dfdx.from_definition(name).result == result
    zh = dfdx.from_definition(name, lang="zh")
    assert zh.to_text().startswith("用定义求")


def test_derivation_renderers():
    d = dfdx.from_definition("x^2")
    assert str(d) == d.to_text()
    assert d.to_markdown().startswith("**The derivative of `x**2`")
    assert "<table>" in d._repr_html_()


def test_from_definition_validation():
    with pytest.raises(DfdxError, match=r"lang must be one of 'en', 'zh', got 'fr'"):
        dfdx.from_definition("x", lang="fr")
    with pytest.raises(DfdxError, match="unknown function 'nope'"):
        dfdx.from_definition("nope(x)")
