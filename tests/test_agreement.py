"""dfdx.agree and `dfdx diff --check`: every way to the derivative against
SymPy's exact value."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sympy

import dfdx
from dfdx.errors import DfdxError

CASES = [
    ("3*x**2 - 4*x", {"x": 1.0}),
    ("x**3 - 1/x", {"x": 1.0}),
    ("sin(x)*exp(x)", {"x": 0.7}),
    ("log(x)/x", {"x": 2.5}),
    ("sqrt(1 + x**2)", {"x": -1.2}),
    ("tanh(x)**2", {"x": 0.3}),
    ("exp(-x**2)*cos(3*x)", {"x": 0.4}),
    ("x**x", {"x": 1.5}),
    ("atan(x)/(1 + x)", {"x": 0.2}),
    ("1/(1 + exp(-x))", {"x": -0.8}),
    ("log(1 + exp(x))", {"x": 1.1}),
    ("(x**2 + 1)**5", {"x": 0.9}),
    ("sin(cos(sin(x)))", {"x": 2.0}),
    ("x*log(x) - x", {"x": 3.0}),
    ("cosh(x) - sinh(2*x)", {"x": 0.5}),
    ("x1**2*x2 + sin(x2)", {"x1": 1.0, "x2": 3.0}),
    ("exp(x*y) + x/y", {"x": 0.3, "y": 1.7}),
    ("(w*x + b - t)**2", {"w": 0.5, "x": 2.0, "b": -0.5, "t": 1.0}),
    ("log(x**2 + y**2)", {"x": 1.0, "y": -2.0}),
    ("x*y*z + cos(x*z)", {"x": 0.1, "y": 2.0, "z": -0.6}),
]


@pytest.mark.parametrize("text,point", CASES, ids=[c[0] for c in CASES])
def test_agree_against_sympy(text, point):
    a = dfdx.agree(text, at=point)
    assert a.agree is True, str(a)
    f = sympy.sympify(text)
    subs = {sympy.Symbol(k): sympy.Float(v, 30) for k, v in point.items()}
    assert set(a.wrt) == set(point)
    for v, exact in zip(a.wrt, a.exact, strict=True):
        want = float(sympy.diff(f, sympy.Symbol(v)).xreplace(subs).evalf(30))
        assert exact == pytest.approx(want, rel=1e-14, abs=1e-14)
    rows = {r.method.split(" (")[0].split(":")[0]: r for r in a.rows}
    engine = rows["numerical engine"]
    for value, want in zip(engine.values, a.exact, strict=True):
        assert value == pytest.approx(want, rel=1e-9, abs=1e-12)
    backward = rows["backward pass"]
    for value, want in zip(backward.values, a.exact, strict=True):
        assert value == pytest.approx(want, rel=1e-12, abs=1e-14)
    limit = rows["limit"]
    for v, value in zip(a.wrt, limit.values, strict=True):
        # the forward quotient at h = 1e-5 max(1, |x|), computed by SymPy
        h = 1e-5 * max(1.0, abs(point[v]))
        moved = {**subs, sympy.Symbol(v): sympy.Float(point[v] + h, 30)}
        quotient = (f.xreplace(moved) - f.xreplace(subs)).evalf(30) / sympy.Float(h, 30)
        assert value == pytest.approx(float(quotient), rel=1e-8, abs=1e-9)


@pytest.mark.parametrize("backend,label", [("torch", "PyTorch"), ("jax", "JAX")])
def test_autodiff_columns_when_installed(backend, label):
    pytest.importorskip(backend)
    a = dfdx.agree(
        "sigmoid(w*x + b) + relu(x) + softplus(b)", at={"w": 0.5, "x": 2, "b": -0.5}
    )
    row = next(r for r in a.rows if r.method == f"autodiff ({label})")
    for value, want in zip(row.values, a.exact, strict=True):
        assert value == pytest.approx(want, rel=1e-13)
    assert a.agree
    assert not [n for n in a.notes if backend in n]


def test_agree_is_the_function_after_any_import_order():
    import importlib

    importlib.import_module("dfdx.agreement")
    assert callable(dfdx.agree) and callable(dfdx.check_grad)


def test_variables_named_like_framework_functions():
    a = dfdx.agree(
        "where*maximum + sin(select)", at={"where": 1, "maximum": 2, "select": 0.5}
    )
    assert a.agree, str(a)


def test_kink_has_no_exact_value_and_no_verdict():
    a = dfdx.agree("abs(x)", at=0)
    assert a.agree is None and not a
    assert a.exact == (None,)
    assert "not differentiable at x = 0" in str(a)


def test_one_partial_only_and_bad_input():
    a = dfdx.agree("x1**2*x2", at={"x1": 1, "x2": 3}, wrt="x2")
    assert a.wrt == ("x2",) and a.exact == (1.0,)
    assert "∂/∂x2" in str(a)
    with pytest.raises(DfdxError, match="not a variable"):
        dfdx.agree("x*y", at={"x": 1, "y": 2}, wrt="z")
    with pytest.raises(DfdxError, match="missing value for y"):
        dfdx.agree("x*y", at={"x": 1})
    with pytest.raises(DfdxError, match="give at= as a mapping"):
        dfdx.agree("x*y", at=1)
    with pytest.raises(DfdxError, match="h must be"):
        dfdx.agree("x", at=1, h=0)
    with pytest.raises(DfdxError, match="no finite derivative|undefined|not defined"):
        dfdx.agree("1/x", at=0)


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "dfdx", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_check():
    out = _cli("diff", "x^3 - 1/x", "--at", "1", "--check")
    assert out.returncode == 0, out.stderr
    assert "all methods agree within their expected error" in out.stdout
    assert "numerical engine (dfdx.derivative)" in out.stdout
    out = _cli("diff", "x^2", "--check")
    assert out.returncode == 2 and "give --at" in out.stderr
    assert "Traceback" not in out.stderr
    out = _cli(
        "diff", "(w*x + b)^2", "--wrt", "w", "--at", "w=1,x=2,b=0", "--check", "--json"
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["check"]["agree"] is True and data["check"]["exact"] == [8.0]
