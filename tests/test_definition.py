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
    # d/dx of a constant is 0 (diff refuses a wrt that is not in the expression)
    expected = dfdx.diff(text, wrt) if text not in ("7", "c") else dfdx.parse("0")
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
    assert d.to_markdown().startswith("**The derivative of `x^2`")
    assert "<table>" in d._repr_html_()


def test_from_definition_validation():
    with pytest.raises(DfdxError, match=r"lang must be one of 'en', 'zh', got 'fr'"):
        dfdx.from_definition("x", lang="fr")
    with pytest.raises(DfdxError, match="unknown function 'nope'"):
        dfdx.from_definition("nope(x)")


# --- each kind of non-differentiability, both languages (hand-checked text) ---


@pytest.mark.parametrize(
    "text, at, kind, left, right, en, zh",
    [
        (
            "abs(x^2 - 1)",
            1,
            "corner",
            -2,
            2,
            "The left derivative -2 and the right derivative 2 differ (a corner), "
            "so f′(1) does not exist and f is not differentiable at x = 1.",
            "左导数 -2 与右导数 2 不相等（角点），所以 f′(1) 不存在，"
            "f 在 x = 1 处不可微。",
        ),
        (
            "sqrt(abs(x))",
            0,
            "cusp",
            -sympy.oo,
            sympy.oo,
            "The left derivative is −∞ and the right derivative is +∞ (a cusp), "
            "so f′(0) does not exist and f is not differentiable at x = 0.",
            "左导数为 −∞，右导数为 +∞（尖点），所以 f′(0) 不存在，"
            "f 在 x = 0 处不可微。",
        ),
        (
            "sign(x)*abs(x)^(1/3)",
            0,
            "vertical",
            sympy.oo,
            sympy.oo,
            "The difference quotient tends to +∞ from both sides (a vertical "
            "tangent), so f′(0) does not exist and f is not differentiable at x = 0.",
            "差商从两侧都趋于 +∞（竖直切线），所以 f′(0) 不存在，f 在 x = 0 处不可微。",
        ),
        (
            "sign(x)",
            0,
            "jump",
            None,
            None,
            "f is not continuous at x = 0 (f(0) = 0, limit -1 from the left, 1 from "
            "the right: a jump), so f′(0) does not exist and f is not differentiable "
            "at x = 0.",
            "f 在 x = 0 处不连续（f(0) = 0，左极限 -1，右极限 1：跳跃间断），"
            "所以 f′(0) 不存在，f 在 x = 0 处不可微。",
        ),
        (
            "sin(x)/x",
            0,
            "removable",
            None,
            None,
            "f is not defined at x = 0 (a removable singularity: f(x) → 1 as x → 0, "
            "so defining f(0) = 1 would fill the hole), so it is not differentiable "
            "there.",
            "f 在 x = 0 处没有定义（可去间断点：x → 0 时 f(x) → 1，补充定义 f(0) = 1 "
            "即可填上这个洞），所以在那里不可微。",
        ),
        (
            "abs(x)/x",
            0,
            "undefined_jump",
            None,
            None,
            "f is not defined at x = 0 and jumps there (limit -1 from the left, 1 "
            "from the right), so it is not differentiable there.",
            "f 在 x = 0 处没有定义，并且在那里跳跃（左极限 -1，右极限 1），"
            "所以在那里不可微。",
        ),
        (
            "log(x)",
            -1,
            "undefined",
            None,
            None,
            "f is not defined at x = -1, so it is not differentiable there.",
            "f 在 x = -1 处没有定义，所以在那里不可微。",
        ),
        (
            "x^(1/4)",  # an even root (x^(1/3) is the real cube root: vertical)
            0,
            "endpoint",
            None,
            sympy.oo,
            "f is defined only to the right of x = 0 (it is not real on the other "
            "side), so only the right derivative can exist (it is +∞, a vertical "
            "tangent); the two-sided f′(0) does not exist and f is not "
            "differentiable at x = 0.",
            "f 只在 x = 0 的右侧有定义（另一侧取值不是实数），所以只可能有右导数"
            "（它等于 +∞，竖直切线）；双侧的 f′(0) 不存在，f 在 x = 0 处不可微。",
        ),
    ],
)
def test_each_kind_of_non_differentiability(text, at, kind, left, right, en, zh):
    r = dfdx.differentiable(text, at=at)
    assert (r.exists, r.kind, r.left, r.right) == (False, kind, left, right)
    assert r.reason == en
    assert dfdx.differentiable(text, at=at, lang="zh").reason == zh


def test_sqrt_at_zero_left_side_not_real_says_so_in_chinese():
    # was "左导数 does not exist，右导数 +inf": English inside the Chinese sentence
    zh = dfdx.differentiable("sqrt(x)", at=0, lang="zh").reason
    assert "does not" not in zh and "inf" not in zh and "右导数" in zh


def test_x_two_thirds_at_zero_is_a_cusp():
    # x^(2/3) is the real (cube root)², real on both sides: a cusp (issue 10)
    r = dfdx.differentiable("x^(2/3)", at=0)
    assert r.kind == "cusp" and r.left == -sympy.oo and r.right == sympy.oo


def test_acos_at_one_is_a_left_endpoint():
    r = dfdx.differentiable("acos(x)", at=1)
    assert r.kind == "endpoint" and r.left == -sympy.oo and r.right is None
    assert "only to the left of x = 1" in r.reason


def test_relu_of_sin_at_zero_is_a_corner():
    # SymPy's limit gives 0 for relu(sin(h))/h as h → 0+ (the true value is 1)
    r = dfdx.differentiable("relu(sin(x))", at=0)
    assert (r.exists, r.left, r.right, r.kind) == (False, 0, 1, "corner")


def test_relu_of_sin_at_pi_float_is_read_as_pi():
    import math

    r = dfdx.differentiable("relu(sin(x))", at=math.pi)
    assert (r.left, r.right, r.kind) == (-1, 0, "corner")
    assert "at x = pi." in r.reason
    assert dfdx.differentiable("relu(sin(x))", at="pi").kind == "corner"
    assert dfdx.differentiable("tan(x)", at=math.pi / 2).kind == "undefined"


def test_max_at_crossing_is_a_corner():
    # SymPy's limit raises "MRV set computation ... not implemented" here
    r = dfdx.differentiable("max(x, x^2)", at=1)
    assert (r.left, r.right, r.kind) == (1, 2, "corner")


def test_x_sin_one_over_x_at_zero_is_removable():
    r = dfdx.differentiable("x*sin(1/x)", at=0)
    assert r.kind == "removable" and "f(x) → 0 as x → 0" in r.reason


def test_abs_cubed_at_zero_is_differentiable():
    r = dfdx.differentiable("abs(x)^3", at=0)
    assert r.exists and r.derivative == 0


def test_float_point_shown_as_typed():
    r = dfdx.differentiable("x^3", at=0.1)
    assert r.derivative == sympy.Rational(3, 100)
    assert r.reason.endswith("differentiable at x = 0.1.")


def test_from_definition_sin_pow_x_is_a_clear_error_not_attributeerror():
    # was AttributeError: 'int' object has no attribute 'is_integer' from SymPy
    with pytest.raises(DfdxError, match=r"cannot work out the derivative of sin"):
        dfdx.from_definition("sin(x)^x")


def test_from_definition_abs_says_it_cannot():
    # SymPy's limit gives oo*sign(x*sign(x) - Abs(x)): refused, not shown
    with pytest.raises(DfdxError, match=r"cannot work out the derivative of \|x\|"):
        dfdx.from_definition("abs(x)")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_from_definition_two_to_the_x(lang):
    d = dfdx.from_definition("2^x", lang=lang)
    assert d.result == "2^x ln(2)"
    assert d.lines[1][1] == "= 2^x · lim_{h→0} (2^h - 1)/h"
    assert ("ln a" in d.lines[1][0]) and ("a = 2" in d.lines[1][0])


def test_from_definition_time_limit(monkeypatch):
    import time

    import sympy

    import dfdx.definition as definition

    def endless_limit(*args, **kwargs):  # SymPy's limit on a bad day
        while True:
            time.sleep(0.01)

    # deterministic: a tiny limit alone can be beaten by SymPy's caches
    monkeypatch.setattr(sympy, "limit", endless_limit)
    monkeypatch.setattr(definition, "_TIME_LIMIT", 0.2)
    with pytest.raises(
        DfdxError, match=r"cannot work out the derivative of .* within \d"
    ):
        dfdx.from_definition("exp(x^2)*cos(x)")
    with pytest.raises(DfdxError, match=r"cannot decide whether .* within"):
        dfdx.differentiable("relu(sin(x))", at=0)
