"""Regression tests named after the cases that were silently wrong, stuck or
crashed (issue: never silently wrong, never stuck). References are computed
independently: PyTorch for gradients, SymPy / hand algebra for values."""

from __future__ import annotations

import math

import numpy as np
import pytest

import dfdx

torch = pytest.importorskip("torch", reason="PyTorch is the gradient oracle")


def _torch_grad(fn, point):
    ts = {
        k: torch.tensor(float(v), dtype=torch.float64, requires_grad=True)
        for k, v in point.items()
    }
    out = fn(**ts)
    out.backward()
    return float(out.detach()), {k: float(t.grad) for k, t in ts.items()}


def test_trace_user_variables_named_like_node_ids_v2x_plus_v1():
    point = {"v1": 1.5, "v2": -1.0, "x": 2.0}
    g = dfdx.trace("v2*x + v1", at=point)
    value, ref = _torch_grad(lambda v1, v2, x: v2 * x + v1, point)
    assert g.nodes[-1].value == pytest.approx(value)
    assert g.backward() == pytest.approx(ref)
    assert {n.id for n in g.nodes if not n.is_input}.isdisjoint(point)


def test_trace_v1x_plus_v2_no_longer_crashes():
    point = {"v1": 1.5, "v2": -1.0, "x": 2.0}
    _, ref = _torch_grad(lambda v1, v2, x: v1 * x + v2, point)
    assert dfdx.trace("v1*x + v2", at=point).backward() == pytest.approx(ref)


def test_trace_max_three_way_tie_splits_like_torch_amax():
    point = {"w": 1.0, "x": 1.0, "y": 1.0}
    ts = [torch.tensor(1.0, dtype=torch.float64, requires_grad=True) for _ in "wxy"]
    torch.amax(torch.stack(ts)).backward()
    g = dfdx.trace("max(w, x, y)", at=point)
    assert list(g.backward().values()) == pytest.approx([float(t.grad) for t in ts])
    assert any("tie" in n for n in g.notes)


@pytest.mark.parametrize("x,y", [(1000.0, 1000.0), (-1000.0, -1000.0), (1000.0, 0.0)])
def test_trace_logsumexp_is_stable(x, y):
    point = {"x": x, "y": y}
    value, ref = _torch_grad(
        lambda x, y: torch.logsumexp(torch.stack([x, y]), 0), point
    )
    g = dfdx.trace("logsumexp(x, y)", at=point)
    assert g.backward() == pytest.approx(ref, rel=1e-14)
    assert g.nodes[-1].value == pytest.approx(value, rel=1e-14)


def test_logsumexp_evaluates_without_overflow():
    f = dfdx.parse("logsumexp(x, y)")
    assert f(x=1000.0, y=0.0) == pytest.approx(1000.0)
    assert f(x=-1000.0, y=-1000.0) == pytest.approx(-1000 + math.log(2))


@pytest.mark.parametrize("name", ["maximum", "minimum", "select", "where", "amax"])
def test_variable_named_like_a_numpy_function(name):
    f = dfdx.parse(f"max(x, 1) + min(x, 0) + {name}")
    assert f(x=2.0, **{name: 3.0}) == 5.0


def test_diff_sign_times_abs_at_zero_is_one_like_tangent_line():
    d = dfdx.diff("sign(x)*abs(x)")
    assert d(0.0) == 1.0
    assert float(dfdx.tangent_line("sign(x)*abs(x)", at=0).slope) == 1.0
    assert np.allclose(d(np.array([-2.0, 0.0, 3.0])), 1.0)


def test_diff_values_at_jumps_are_undefined_not_a_convention():
    assert math.isnan(dfdx.diff("abs(x)")(0.0))  # sign(0) = 0 was returned
    assert math.isnan(dfdx.diff("max(x, 1)")(1.0))  # Heaviside(0) = 1/2
    assert math.isnan(dfdx.diff("abs(x)", n=2)(0.0))
    assert dfdx.diff("abs(x)", n=2)(1.0) == 0.0  # was NameError: DiracDelta
    assert dfdx.diff("relu(x)")(0.0) == 0.0  # PyTorch's documented convention


def test_diff_xx_squared_evaluates_x_to_the_2x():
    # d/dx (x*x)^x = 2 x^(2x) (ln|x| + 1); was KeyError 'ComplexInfinity'
    assert dfdx.diff("(x*x)^x")(1.0) == pytest.approx(2.0)
    assert math.isnan(dfdx.diff("(x*x)^x")(0.0))


def test_diff_sign_of_x_to_the_x_refuses_unevaluated_derivative():
    with pytest.raises(dfdx.DfdxError, match="leaves Derivative"):
        dfdx.diff("sign(x^x)^x")
