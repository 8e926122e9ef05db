"""dfdx.limit against SymPy's own limit and 50-digit mpmath sampling."""

from __future__ import annotations

import json

import mpmath
import pytest
import sympy

import dfdx
from dfdx.cli import main

X = sympy.Symbol("x", real=True)
oo = sympy.oo

# (expression, point, side, expected value or status)
FINITE = [
    ("sin(x)/x", 0, "both", 1),
    ("(1+x)^(1/x)", 0, "both", sympy.E),
    ("(x^2-1)/(x-1)", 1, "both", 2),
    ("(1-cos(x))/x^2", 0, "both", sympy.Rational(1, 2)),
    ("(exp(x)-1)/x", 0, "both", 1),
    ("tan(x)/x", 0, "both", 1),
    ("sin(3x)/x", 0, "both", 3),
    ("(exp(x)-1-x)/x^2", 0, "both", sympy.Rational(1, 2)),
    ("ln(1+x)/x", 0, "both", 1),
    ("(sqrt(1+x)-1)/x", 0, "both", sympy.Rational(1, 2)),
    ("(x^3-8)/(x-2)", 2, "both", 12),
    ("x^2+1", 2, "both", 5),
    ("x*sin(1/x)", 0, "both", 0),
    ("(3x^2+1)/(2x^2-x)", "inf", "both", sympy.Rational(3, 2)),
    ("(1+1/x)^x", "inf", "both", sympy.E),
    ("x^3/exp(x)", "inf", "both", 0),
    ("ln(x)/x", "inf", "both", 0),
    ("x*ln(x)", 0, "+", 0),
    ("exp(1/x)", 0, "-", 0),
    ("sqrt(x)", 0, "both", 0),
    ("x^x", 0, "+", 1),
    ("atan(x)", "inf", "both", sympy.pi / 2),
    ("atan(x)", "-inf", "both", -sympy.pi / 2),
    ("sigmoid(x)", "inf", "both", 1),
    ("tanh(x)", "-inf", "both", -1),
    ("abs(x)/x", 0, "+", 1),
    ("abs(x)/x", 0, "-", -1),
    ("(2^x - 1)/x", 0, "both", sympy.log(2)),
]
NOT_FINITE = [
    ("abs(x)/x", 0, "both", "sides differ"),
    ("1/x", 0, "both", "sides differ"),
    ("tan(x)", "pi/2", "both", "sides differ"),
    ("exp(1/x)", 0, "both", "sides differ"),
    ("sign(x)", 0, "both", "sides differ"),
    ("1/x^2", 0, "both", "infinite"),
    ("exp(1/x)", 0, "+", "infinite"),
    ("x^2", "-inf", "both", "infinite"),
    ("ln(x)", 0, "both", "infinite"),
    ("1/ln(x)", 1, "+", "infinite"),
    ("sin(1/x)", 0, "both", "oscillates"),
    ("sin(x)", "inf", "both", "oscillates"),
    ("sqrt(x)", -1, "both", "not real"),
]


def _sympy_side(f: str, at, side: str):
    e = dfdx.parse(f).sympy.xreplace({sympy.Symbol("x"): X})
    a = {"inf": oo, "-inf": -oo}.get(at) if isinstance(at, str) else at
    if a is None:
        a = dfdx.parse(at).sympy
    if a in (oo, -oo):
        return e, a, [sympy.limit(e, X, a)]
    dirs = ["-", "+"] if side == "both" else [side]
    return e, a, [sympy.limit(e, X, a, d) for d in dirs]


def _mpmath_value(e, a, side: str):
    fn = sympy.lambdify(X, e, modules="mpmath")
    with mpmath.workdps(50):
        if a in (oo, -oo):
            return fn(mpmath.mpf(10) ** 40 * (1 if a == oo else -1))
        point = mpmath.mpf(sympy.N(a, 60))
        h = mpmath.mpf(10) ** -20 * (1 if side != "-" else -1)
        return fn(point + h)


def test_forty_cases():
    assert len(FINITE) + len(NOT_FINITE) >= 40


@pytest.mark.parametrize("f, at, side, value", FINITE)
def test_finite_limits(f, at, side, value):
    r = dfdx.limit(f, at, side=side)
    assert r.status == "finite" and r.exists
    assert sympy.simplify(r.value - value) == 0
    e, a, sides = _sympy_side(f, at, side)
    real = [v for v in sides if v.is_extended_real]  # sqrt(x) from the left: complex
    assert all(sympy.simplify(v - value) == 0 for v in real)
    if f not in ("x*sin(1/x)",):
        got = _mpmath_value(e, a, side if side != "both" else "+")
        assert abs(got - mpmath.mpf(sympy.N(value, 50))) < 1e-6
    assert r.checked in ("agrees", "slow")
    assert r.steps


@pytest.mark.parametrize("f, at, side, status", NOT_FINITE)
def test_infinite_and_nonexistent_limits(f, at, side, status):
    r = dfdx.limit(f, at, side=side)
    assert r.status == status and not r.exists
    e, a, sides = _sympy_side(f, at, side)
    if status == "sides differ":
        assert r.value is None and r.left == sides[0] and r.right == sides[1]
        assert r.left != r.right
        assert "does not exist" in r.to_text()
    elif status == "infinite":
        assert r.value in (oo, -oo)
        assert r.value in sides
        assert "grows without bound" in r.to_text()
    elif status == "oscillates":
        assert isinstance(sides[0], sympy.AccumBounds)
        assert r.value is None and "oscillates" in r.to_text()
    else:
        assert r.value is None and "not real" in r.to_text()


def test_steps_name_the_method():
    rules = lambda f, at=0: [s.rule for s in dfdx.limit(f, at).steps]  # noqa: E731
    assert rules("x^2+1", 2) == ["substitute"]
    assert rules("(x^2-1)/(x-1)", 1) == ["form", "cancel"]
    assert rules("sin(x)/x") == ["form", "standard"]
    assert rules("(1+x)^(1/x)") == ["form", "e_standard_plain"]
    assert rules("(1-cos(x))/x^2") == ["form", "standard"]
    assert rules("(x-sin(x))/x^3")[:2] == ["form", "lhopital"]
    assert "0/0" in dfdx.limit("(x-sin(x))/x^3", 0).steps[1].text
    assert rules("(3x^2+1)/(2x^2-x)", "inf") == ["form", "leading"]
    # 1/log(x) at 0+: SymPy evaluates 1/log(0) = 1/zoo = 0, yet that is no
    # substitution (log is undefined at 0)
    assert "substitute" not in [
        s.rule for s in dfdx.limit("1/ln(x)", 0, side="+").steps
    ]


def test_chinese():
    r = dfdx.limit("abs(x)/x", 0, lang="zh")
    assert "左右极限不相等" in r.to_text() and "不存在" in r.to_text()
    assert (
        "洛必达法则（0/0 型）" in dfdx.limit("(x-sin(x))/x^3", 0, lang="zh").to_text()
    )


def test_fast_growth_is_sampled_safely():
    """exp(exp(exp(x))) at x = 10**6 kept mpmath busy for 25 s in C."""
    r = dfdx.limit("exp(exp(exp(x)))", "inf")
    assert r.value == oo


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        (("x", "foo"), {}, "at must be a number"),
        (("x", 0), {"side": "left"}, "side must be"),
        (("x*y", 0), {}, "several variables"),
        (("x*y", 0), {"wrt": "x"}, "also has y"),
        (("x", 0), {"lang": "fr"}, "lang must be"),
        (("x", "nan"), {}, "at must be"),
    ],
)
def test_bad_input(args, kwargs, message):
    with pytest.raises(dfdx.DfdxError, match=message):
        dfdx.limit(*args, **kwargs)


def test_cli(capsys):
    assert main(["lim", "sin(x)/x", "--at", "0"]) == 0
    assert "lim_{x→0} sin(x)/x = 1" in capsys.readouterr().out
    assert main(["lim", "abs(x)/x", "--at", "0"]) == 1
    capsys.readouterr()
    assert main(["lim", "exp(1/x)", "--at", "0", "--side", "-", "--json"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert data["value"] == "0" and data["side"] == "-"
    assert main(["lim", "x", "--at", "foo"]) == 2
    assert "dfdx: error: at must be a number" in capsys.readouterr().err


def test_samples_scale_with_the_point():
    """1/x at 1e-300 was sampled at 1e-300 ± 1e-3, across the pole at 0, and
    the check said 'disagrees' with the right value."""
    r = dfdx.limit("1/x", 1e-300)
    assert r.status == "finite" and r.checked == "agrees"
    assert r.value == sympy.Integer(10) ** 300
