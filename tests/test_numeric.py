"""Tests for dfdx.numeric against exact references (closed forms, SymPy, the suite)."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dfdx.errors import DfdxError
from dfdx.numeric import (
    STATUS_MESSAGES,
    DerivativeResult,
    derivative,
    gradient,
    hessian,
    jacobian,
)

SUITE = json.loads(
    (Path(__file__).parents[1] / "benchmarks" / "derivative_suite.json").read_text()
)["cases"]


def _suite_cases():
    sc = pytest.importorskip("scipy.special")
    for case in SUITE:
        f = eval("lambda x: " + case["numpy"], {"np": np, "sc": sc})  # trusted file
        yield case["name"], f, case["x0"], float(case["exact"])


def _rel(a, b):
    return abs(a - b) / abs(b) if b != 0 else abs(a)


# -- the open suite -----------------------------------------------------------
@pytest.mark.parametrize("method", ["auto", "richardson"])
def test_suite_accuracy_and_honest_error(method):
    errors, honest = [], 0
    for name, f, x0, exact in _suite_cases():
        res = derivative(f, x0, method=method)
        err = _rel(float(res), exact)
        errors.append(err)
        est = float(res.error) / (abs(exact) if exact else 1.0)
        honest += est >= err
        assert math.isfinite(float(res)), name
        assert err <= (1e-13 if method == "auto" else 1e-10), (name, err)
    assert np.median(errors) <= (1e-15 if method == "auto" else 5e-15)
    assert honest >= 16


# -- anchor failure cases pinned as regressions ---------------------------------
@pytest.mark.parametrize("method", ["auto", "richardson"])
def test_regression_log_near_zero(method):
    res = derivative(np.log, 1e-3, method=method)
    assert _rel(float(res), 1000.0) < 1e-11
    assert res.status in (0, -2)


@pytest.mark.parametrize("method", ["auto", "richardson"])
def test_regression_sin_inverse_x_at_005(method):
    res = derivative(lambda x: np.sin(1 / x), 0.05, method=method)
    exact = -np.cos(20.0) / 0.05**2
    assert _rel(float(res), exact) < 1e-11
    assert res.status == 0


@pytest.mark.parametrize("method", ["auto", "richardson"])
def test_regression_saddle_zero_derivative_converges(method):
    res = derivative(lambda x: (x - 1) ** 3, 1.0, method=method)
    assert abs(float(res)) < 1e-14
    assert res.status == 0


def test_regression_sin_at_large_x_uses_absolute_step():
    res = derivative(np.sin, 1e4, method="richardson")
    assert _rel(float(res), math.cos(1e4)) < 1e-12


# -- exactness and convergence order -----------------------------------------
@pytest.mark.parametrize(
    ("n", "degree"), [(1, 2), (2, 3), (3, 4), (4, 5)]
)  # the central stencils are exact up to these degrees
def test_central_stencil_exact_on_polynomials(n, degree):
    coef = np.arange(1.0, degree + 2.0)
    p = np.polynomial.Polynomial(coef)
    x = np.array([-0.7, 0.0, 0.3, 1.1])
    res = derivative(p, x, n=n, method="central", step=0.25)
    np.testing.assert_allclose(res.df, p.deriv(n)(x), rtol=1e-9, atol=1e-9)


def test_richardson_exact_on_degree_9_polynomial():
    p = np.polynomial.Polynomial([0.5, -1, 2, 0.3, -0.2, 0.1, 1, -1, 0.5, 0.25])
    x = np.linspace(-1, 1, 7)
    res = derivative(p, x, method="richardson")
    np.testing.assert_allclose(res.df, p.deriv()(x), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize(("method", "order"), [("central", 2), ("forward", 1)])
def test_convergence_order_from_loglog_slope(method, order):
    steps = np.array([0.1, 0.05, 0.025, 0.0125])
    errs = [
        abs(float(derivative(np.exp, 0.5, method=method, step=h)) - math.exp(0.5))
        for h in steps
    ]
    slope = np.polyfit(np.log(steps), np.log(errs), 1)[0]
    assert abs(slope - order) < 0.1


@pytest.mark.parametrize("n", [1, 2, 3, 4])
@pytest.mark.parametrize("method", ["auto", "richardson", "complex"])
def test_higher_orders_against_sympy(n, method):
    sympy = pytest.importorskip("sympy")
    t = sympy.Symbol("t")
    expr = sympy.exp(-(t**2)) * sympy.sin(2 * t)
    f = sympy.lambdify(t, expr, "numpy")
    xs = np.array([-0.8, 0.1, 0.6])
    exact = np.array([float(sympy.diff(expr, t, n).subs(t, v)) for v in xs])
    res = derivative(f, xs, n=n, method=method)
    tol = {1: 1e-13, 2: 1e-11, 3: 1e-9, 4: 1e-7}[n]
    np.testing.assert_allclose(res.df, exact, rtol=tol, atol=tol)
    assert np.all(res.error >= 0)


# -- auto must not be fooled by the complex step -----------------------------------
@pytest.mark.parametrize(
    ("f", "fprime"),
    [
        (lambda x: np.abs(x) * x, lambda x: 2 * np.abs(x)),
        (lambda x: np.maximum(x, 0) ** 2, lambda x: 2 * np.maximum(x, 0)),
        (lambda x: np.real(x) ** 2 + x, lambda x: 2 * x + 1),
        (lambda x: x.real**3, lambda x: 3 * x**2),
        (lambda x: np.where(x > 0, x**2, -(x**2)), lambda x: 2 * np.abs(x)),
    ],
)
def test_auto_not_fooled_by_nonanalytic_code(f, fprime):
    x = np.array([-1.5, -0.4, 0.7, 2.0])
    res = derivative(f, x)
    np.testing.assert_allclose(res.df, fprime(x), rtol=1e-10, atol=1e-12)


def test_auto_rejects_complex_step_for_abs_times_x():
    res = derivative(lambda x: np.abs(x) * x, 2.0)
    assert "richardson" in res.method
    assert abs(float(res) - 4.0) < 1e-12


def test_auto_falls_back_when_f_rejects_complex():
    res = derivative(lambda x: np.sin(x.astype(float)), np.array([0.2, 1.0]))
    assert res.method == "richardson"
    np.testing.assert_allclose(res.df, np.cos([0.2, 1.0]), rtol=1e-13)


def test_complex_method_requires_complex_support():
    with pytest.raises(DfdxError, match="method='complex' needs f to accept complex"):
        derivative(lambda x: np.sin(x.astype(float)), 1.0, method="complex")


# -- robustness ---------------------------------------------------------------
def test_one_sided_stencil_at_domain_edge():
    f = lambda x: np.where(x >= 0, x**2 + x, np.nan)  # noqa: E731
    res = derivative(f, 0.0, method="richardson")
    assert res.status == -3
    assert abs(float(res) - 1.0) < 1e-8


def test_nonfinite_x_gives_status_minus_4():
    res = derivative(np.sin, np.array([0.0, np.nan]))
    assert np.isnan(res.df[1]) and res.status[1] == -4 and res.status[0] == 0


def test_log_near_zero_shrinks_step_with_status():
    res = derivative(np.log, np.array([1e-3, 1.0]), method="richardson")
    assert res.status[0] == -2 and res.status[1] == 0
    np.testing.assert_allclose(res.df, [1000.0, 1.0], rtol=1e-11)


@pytest.mark.parametrize("method", ["central", "forward", "backward"])
def test_fixed_step_methods(method):
    res = derivative(np.sin, 1.0, method=method)
    assert abs(float(res) - math.cos(1.0)) < 1e-7
    assert float(res.error) >= abs(float(res) - math.cos(1.0))


def test_textbook_central_quotient_with_given_step():
    res = derivative(lambda x: 3 * x**2 - 4 * x, 1.0, method="forward", step=0.1)
    assert float(res) == pytest.approx(2.3)  # the d2l limit table at h = 0.1


# -- arrays, dtypes, shapes -------------------------------------------------------
def test_vectorised_equals_per_point_and_one_call_per_stage():
    calls = []

    def f(x):
        calls.append(x.shape)
        return np.sin(x) * np.exp(-(x**2))

    x = np.linspace(-3, 3, 11).reshape(1, 11)
    res = derivative(f, x, method="richardson")
    assert len(calls) <= 4  # stages, not points
    for i in range(11):
        single = derivative(f, float(x[0, i]), method="richardson")
        assert res.df[0, i] == float(single)
    assert res.df.shape == (1, 11)


def test_auto_mixed_points_across_chunks_of_a_large_array():
    # sin(x) + max(x - 2, 0)**2: the complex step misses the max term (its
    # imaginary part is 0), so the real check must reject exactly the points
    # x >= 2; 70 001 points span several chunks of the in-place real check
    import dfdx.numeric as numeric

    def f(x):
        return np.sin(x) + np.maximum(np.real(x) - 2, 0) ** 2

    x = np.linspace(-3.0, 4.0, 70_001)
    assert x.size > 2 * numeric.engine._CHUNK
    res = derivative(f, x)
    exact = np.cos(x) + 2 * np.maximum(x - 2, 0)
    assert res.method == "complex+richardson"
    # nfev counts every value: the complex step (3 per point), the kink check
    # (5 per converged point, 7 where those 5 cannot clear it) and the
    # elementwise probe (2 at the first 4)
    probe = np.zeros(x.size, dtype=int)
    probe[:4] = 2
    rejected = res.nfev - probe > 3 + 7
    np.testing.assert_array_equal(rejected, x >= 2)  # x = 2: the kink itself
    np.testing.assert_array_equal(res.df[~rejected], np.cos(x[~rejected]))
    away = np.abs(x - 2) > 1e-3  # f'' jumps at 2: Richardson is ~1e-8 there
    np.testing.assert_allclose(res.df[away], exact[away], rtol=1e-9, atol=1e-9)
    for i in (0, numeric.engine._CHUNK - 1, numeric.engine._CHUNK, 50_000, 70_000):
        one = derivative(f, np.array([x[i]]))
        assert one.df[0] == res.df[i] and one.error[0] == res.error[i]


@pytest.mark.parametrize("method", ["auto", "richardson", "central"])
def test_float32_preserved(method):
    x = np.linspace(0.0, 1.0, 5, dtype=np.float32)
    res = derivative(np.exp, x, method=method)
    assert res.df.dtype == np.float32 and res.error.dtype == np.float32
    np.testing.assert_allclose(res.df, np.exp(x), rtol=2e-4)


def test_shapes_and_scalars():
    x = np.ones((2, 3, 4))
    res = derivative(np.sin, x)
    assert res.df.shape == res.error.shape == res.status.shape == (2, 3, 4)
    s = derivative(np.sin, 0)  # int in, float out
    assert isinstance(s.df, np.floating) and isinstance(s.status, int)
    assert float(s) == 1.0


def test_result_object():
    res = derivative(np.exp, np.array([0.0, 1.0]))
    assert isinstance(res, DerivativeResult)
    assert np.allclose(res, np.exp([0.0, 1.0]))
    assert "df:" in repr(res) and "status:" in repr(res)
    assert "<table>" in res._repr_html_()
    assert res.success.all() and res.message == "0: converged"
    with pytest.raises(TypeError, match="only a scalar result converts"):
        float(res)
    assert set(STATUS_MESSAGES) == {0, -1, -2, -3, -4, -5, -6, -7}
    with pytest.raises(AttributeError):
        res.df = 0  # frozen


def test_expression_text_is_evaluated_numerically():
    pytest.importorskip("sympy")
    res = derivative("x^3 - 1/x", 1.0)
    assert float(res) == pytest.approx(4.0, rel=1e-14)


def test_torch_tensors_in_and_out():
    torch = pytest.importorskip("torch")
    t = torch.linspace(-1, 1, 7, dtype=torch.float64)
    res = derivative(torch.sin, t)
    assert isinstance(res.df, torch.Tensor) and res.df.dtype == torch.float64
    assert torch.allclose(res.df, torch.cos(t), rtol=1e-14, atol=0)
    tk = t[t.abs() > 0.1]  # away from the kink at 0
    res = derivative(lambda x: torch.abs(x) * x, tk, method="auto")
    assert torch.allclose(res.df, 2 * torch.abs(tk), rtol=1e-10, atol=1e-12)
    t32 = t.to(torch.float32)
    res = derivative(torch.exp, t32, method="richardson", n=2)
    assert res.df.dtype == torch.float32
    assert torch.allclose(res.df, torch.exp(t32), rtol=1e-3)


@settings(max_examples=25, deadline=None)
@given(
    a=st.floats(-10, 10),
    b=st.floats(-10, 10),
    x=st.floats(-5, 5),
)
def test_property_cubic(a, b, x):
    res = derivative(lambda t: a * t**3 + b * t, x, method="richardson")
    exact = 3 * a * x**2 + b
    assert abs(float(res) - exact) <= 1e-11 * (1 + abs(a) * 75 + abs(b))


# -- several variables -----------------------------------------------------------
def _rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2, axis=0)


def _rosen_grad(x):
    g = np.zeros_like(x)
    g[:-1] = -400 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
    g[1:] += 200 * (x[1:] - x[:-1] ** 2)
    return g


def _rosen_hess(x):
    n = len(x)
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        H[i + 1, i + 1] += 200
        H[i, i + 1] = H[i + 1, i] = -400 * x[i]
    return H


@pytest.mark.parametrize("vectorized", [False, True])
@pytest.mark.parametrize("method", ["auto", "richardson", "central"])
def test_gradient_rosenbrock(vectorized, method):
    x = np.array([-1.2, 1.0, 0.5, 2.0])
    res = gradient(_rosen, x, vectorized=vectorized, method=method)
    tol = 1e-5 if method == "central" else 1e-9
    np.testing.assert_allclose(res.df, _rosen_grad(x), rtol=tol, atol=tol)
    assert res.df.shape == (4,) and res.kind == "gradient" and res.nfev > 4


def test_gradient_d2l_exercise():
    f = lambda p: 3 * p[0] ** 2 + 5 * np.exp(p[1])  # noqa: E731
    res = gradient(f, [2.0, 1.0])
    np.testing.assert_allclose(res.df, [12.0, 5 * math.e], rtol=1e-15)
    assert res.nfev == 7  # f(x), 2 complex steps, 4 real checks


def test_gradient_of_norm_not_fooled():
    x = np.array([3.0, -4.0])
    res = gradient(lambda p: np.sqrt(np.sum(np.abs(p) ** 2)), x)
    np.testing.assert_allclose(res.df, x / 5.0, rtol=1e-12)


def test_jacobian_shapes_and_vectorized_agree():
    def f(p):
        return np.stack([p[0] * p[1], np.sin(p[0]), p[1] ** 2])

    x = np.array([0.3, -1.2])
    exact = np.array([[x[1], x[0]], [np.cos(x[0]), 0.0], [0.0, 2 * x[1]]])
    a = jacobian(f, x)
    b = jacobian(f, x, vectorized=True, method="richardson")
    assert a.df.shape == (3, 2) and a.status.shape == (3, 2)
    np.testing.assert_allclose(a.df, exact, atol=1e-14)
    np.testing.assert_allclose(b.df, exact, atol=1e-12)


@pytest.mark.parametrize("n", [3, 10])
def test_hessian_rosenbrock(n):
    x = np.random.default_rng(n).uniform(-2, 2, n)
    res = hessian(_rosen, x, vectorized=True)
    assert res.nfev == 1 + 3 * n * (n + 1)
    np.testing.assert_allclose(res.df, _rosen_hess(x), rtol=0, atol=1e-8)
    assert np.all(res.status == 0)
    assert np.all(res.error >= np.abs(res.df - _rosen_hess(x)))
    loop = hessian(_rosen, x)
    np.testing.assert_allclose(loop.df, res.df, atol=1e-8)


def test_hessian_smooth_function_and_central():
    f = lambda p: np.exp(p[0]) * np.sin(p[1])  # noqa: E731
    x = np.array([0.5, 0.3])
    e, s, c = math.exp(0.5), math.sin(0.3), math.cos(0.3)
    exact = np.array([[e * s, e * c], [e * c, -e * s]])
    np.testing.assert_allclose(hessian(f, x).df, exact, atol=1e-9)
    res = hessian(f, x, method="central")
    np.testing.assert_allclose(res.df, exact, atol=1e-6)
    assert res.nfev == 2**2 + 2 + 1


def test_gradient_torch():
    torch = pytest.importorskip("torch")
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    res = gradient(lambda p: torch.sum(p**2), x, vectorized=False)
    assert isinstance(res.df, torch.Tensor)
    assert torch.allclose(res.df, 2 * x)


# -- validation messages ---------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 5}, r"n must be an integer in 1\.\.4, got 5"),
        ({"n": 1.0}, r"n must be an integer in 1\.\.4, got 1\.0"),
        ({"method": "fd"}, r"method must be one of 'auto', .*; got 'fd'"),
        ({"step": -1.0}, r"step must be a positive finite number, got -1\.0"),
        ({"step": math.inf}, r"step must be a positive finite number, got inf"),
        ({"rtol": -1}, r"rtol must be a non-negative finite number, got -1"),
        ({"atol": "x"}, r"atol must be a non-negative finite number, got 'x'"),
        ({"max_stages": 0}, r"max_stages must be an integer in 1\.\.16, got 0"),
    ],
)
def test_validation_options(kwargs, message):
    with pytest.raises(DfdxError, match=message):
        derivative(np.sin, 1.0, **kwargs)


@pytest.mark.parametrize(
    ("f", "x", "message"),
    [
        (3, 1.0, "f must be a callable or expression text, got int"),
        (np.sin, "abc", "x must be a real number or array, got 'abc'"),
        (np.sin, 1j, r"x must be a real number or array, got 1j \(complex\)"),
        (np.sin, None, "x must be a real number or array, got None"),
        (lambda x: np.ones(3), np.zeros(2), "f must be elementwise: called with shape"),
        (lambda x: x + 0j, 1.0, "f returned complex values for real input"),
    ],
)
def test_validation_inputs(f, x, message):
    with pytest.raises(DfdxError, match=message):
        derivative(f, x, method="richardson")


# -- robustness sweep: inputs and misbehaving functions ---------------------------
def _boom(x):
    raise ValueError("boom")


def _boom_on_real(x):
    if np.iscomplexobj(x):
        return np.sin(x)
    raise ZeroDivisionError("real boom")


@pytest.mark.parametrize("method", ["auto", "richardson", "central", "complex"])
@pytest.mark.parametrize("x", [1.0, np.array([1.0, 2.0])])
def test_f_raising_becomes_dfdx_error_naming_f(method, x):
    if method == "complex":
        with pytest.raises(DfdxError, match="method='complex' needs f to accept"):
            derivative(_boom, x, method=method)
        return
    shape = (16, 1) if method != "central" else (4, 1)
    shape = (shape[0], np.size(x))
    msg = (
        r"f \(_boom\) raised ValueError: boom \(called with an array of shape "
        + re.escape(str(shape))
        + r", dtype float64\)"
    )
    with pytest.raises(DfdxError, match=msg) as info:
        derivative(_boom, x, method=method)
    assert isinstance(info.value.__cause__, ValueError)


@pytest.mark.parametrize("x", [1.0, np.array([1.0, 2.0])])
def test_f_raising_only_on_real_input_is_reported_not_hidden(x):
    # the complex step works, the real check raises: never return unchecked
    shape = (2, np.size(x))
    msg = (
        r"f \(_boom_on_real\) raised ZeroDivisionError: real boom \(called with an "
        + re.escape(f"array of shape {shape}")
    )
    with pytest.raises(DfdxError, match=msg):
        derivative(_boom_on_real, x)


def test_lambda_is_named_f_and_multivariate_errors_name_f():
    with pytest.raises(DfdxError, match=r"^f raised KeyError: 'k' \(called with"):
        derivative(lambda x: {}["k"], 1.0)
    for fn in (gradient, jacobian, hessian):
        with pytest.raises(DfdxError, match=r"f \(_boom\) raised ValueError: boom"):
            fn(_boom, [1.0, 2.0])
        with pytest.raises(DfdxError, match=r"shape \(2, \d+\), dtype float64"):
            fn(_boom, [1.0, 2.0], vectorized=True)


@pytest.mark.parametrize(
    ("f", "x", "message"),
    [
        (lambda x: None, 1.0, "f must return numbers, got None"),
        (lambda x: None, np.ones(2), "f must return numbers, got None"),
        (lambda x: "a", 1.0, "f must return numbers, got dtype <U1"),
        (lambda x: np.array([None] * x.size), np.ones(2), "got objects"),
        (lambda x: x + 0j, 1.0, "f returned complex values for real input"),
        (lambda x: x + 0j, np.ones(2), "f returned complex values for real input"),
        (lambda x: np.ones(3), np.zeros(2), "f must be elementwise: called with"),
        (
            lambda x: np.sin(x)[..., None],
            np.ones(2),
            r"called with shape \(2,\), it returned shape \(2, 1\)",
        ),
    ],
)
def test_bad_outputs_of_f_auto(f, x, message):
    with pytest.raises(DfdxError, match=message):
        derivative(f, x)


@pytest.mark.parametrize(
    ("f", "message"),
    [
        (lambda p: None, "f must return numbers, got None"),
        (lambda p: "a", "f must return numbers, got dtype <U1"),
        (lambda p: np.sum(p) + 0j, "f returned complex values for real input"),
    ],
)
@pytest.mark.parametrize("fn", [gradient, jacobian, hessian])
def test_bad_outputs_of_f_multivariate(fn, f, message):
    with pytest.raises(DfdxError, match=message):
        fn(f, [1.0, 2.0])


def test_vectorized_bad_outputs():
    msg = r"with vectorized=True, f gets shape \(n, k\) = \(2, 1\) and must return"
    with pytest.raises(DfdxError, match=msg + r".*it returned \(2,\)"):
        gradient(lambda P: np.ones(P.shape[1] + 1), [1.0, 2.0], vectorized=True)
    with pytest.raises(DfdxError, match=msg + r".*it returned \(\)"):
        gradient(lambda P: 1.0, [1.0, 2.0], vectorized=True)
    with pytest.raises(DfdxError, match=r"it returned \(32, 1\)"):
        gradient(lambda P: np.sum(P, 0)[:, None], [1.0, 2.0], vectorized=True)
    with pytest.raises(DfdxError, match="f must return a scalar for gradient, got 2"):
        gradient(lambda P: P**2, [1.0, 2.0], vectorized=True)
    with pytest.raises(DfdxError, match=r"\(2, 19\) .* it returned \(3,\)"):
        hessian(lambda P: np.ones(3), [1.0, 2.0], vectorized=True)
    with pytest.raises(DfdxError, match="f must return numbers, got None"):
        jacobian(lambda P: None, [1.0, 2.0], vectorized=True)


@pytest.mark.parametrize(
    ("x", "message"),
    [
        (True, "x must be a real number or array, got True"),
        (np.array([True]), r"x must be a real number or array, got array\(\[ True\]\)"),
        ([[0.0, 1.0], [2.0]], r"x must be a real number or array, got \[\[0\.0"),
        (np.array([1.0, None]), "x must be a real number or array, got array"),
    ],
)
def test_validation_x_values(x, message):
    with pytest.raises(DfdxError, match=message):
        derivative(np.sin, x)


def test_x_kinds_empty_0d_int_list_half_longdouble():
    assert derivative(np.sin, np.array([])).df.shape == (0,)
    empty = derivative(np.sin, np.zeros((0, 3)))
    assert empty.df.shape == empty.status.shape == empty.nfev.shape == (0, 3)
    zero_d = derivative(np.sin, np.array(1.0))
    # nfev: the complex step's 3 evaluations and the kink check's 5 (a smooth
    # point: the 2 far values are not needed)
    assert zero_d.df == np.cos(1.0) and zero_d.nfev == 8 and zero_d.status == 0
    assert derivative(np.sin, 1).df == np.cos(1.0)
    nested = derivative(np.sin, [[0.0, 1.0], [2.0, 3.0]])
    np.testing.assert_array_equal(nested.df, np.cos([[0.0, 1.0], [2.0, 3.0]]))
    for dt in (np.int8, np.uint8, np.int64, np.float16, np.longdouble):
        res = derivative(np.sin, np.array([1, 2], dtype=dt))
        assert res.df.dtype == np.float64 and res.error.dtype == np.float64
        np.testing.assert_array_equal(res.df, np.cos([1.0, 2.0]))
    res = derivative(np.sin, np.array([np.nan, 1.0, -np.inf]))
    np.testing.assert_array_equal(res.status, [-4, 0, -4])
    np.testing.assert_array_equal(res.nfev, [0, 3 + 5, 0])  # with the kink check
    assert np.isnan(res.df[[0, 2]]).all() and res.df[1] == np.cos(1.0)


def test_f_warnings_pass_through_and_do_not_change_the_result():
    def f(x):
        warnings.warn("careful", UserWarning, stacklevel=2)
        return np.sin(x)

    with pytest.warns(UserWarning, match="careful"):
        res = derivative(f, np.array([1.0, 2.0]))
    np.testing.assert_array_equal(res.df, np.cos([1.0, 2.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's own RuntimeWarnings stay quiet
        res = derivative(np.log, np.array([-1.0, 1.0]))
    assert res.status[0] == -4 and res.df[1] == 1.0


def test_torch_requires_grad_half_and_bfloat16():
    torch = pytest.importorskip("torch")
    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    for kw in ({}, {"method": "richardson"}, {"n": 2}):
        res = derivative(torch.sin, x, **kw)
        assert isinstance(res.df, torch.Tensor) and res.df.dtype == torch.float64
        assert not res.df.requires_grad  # the input is detached, not the graph
        exact = torch.cos(x.detach()) if not kw.get("n") else -torch.sin(x.detach())
        assert torch.allclose(res.df, exact, rtol=1e-10, atol=0)
    assert x.grad is None  # nothing was backpropagated into the caller's tensor
    x32 = torch.tensor([1.0, 2.0], requires_grad=True)
    res = derivative(torch.sin, x32)
    assert res.df.dtype == torch.float32
    assert torch.allclose(res.df, torch.cos(x32.detach()), rtol=1e-6)
    for dt in (torch.float16, torch.bfloat16):  # differentiated in float32
        res = derivative(torch.sin, torch.tensor([1.0, 2.0], dtype=dt))
        assert res.df.dtype == torch.float32
        assert torch.allclose(res.df, torch.cos(torch.tensor([1.0, 2.0])), rtol=1e-6)
    g = gradient(lambda p: torch.sum(p**2), x)
    assert torch.equal(g.df, 2 * x.detach()) and g.nfev == 7
    assert not g.df.requires_grad and not g.error.requires_grad
    h = hessian(lambda p: torch.sum(p**3), x)
    assert isinstance(h.df, torch.Tensor) and not h.df.requires_grad
    assert torch.allclose(h.df, torch.diag(6 * x.detach()), atol=1e-9)


@pytest.mark.parametrize("method", ["auto", "richardson", "central"])
def test_f_returning_float32_for_float64_points_keeps_the_estimate_honest(method):
    # a float32 model called with float64 points: before, Richardson chose a
    # noise-driven entry, 2.2e-4 off with an "error" of 2.8e-11 and status 0
    def f(x):
        return np.sin(x).astype(np.float32)

    x = np.linspace(0.1, 3.0, 7)
    res = derivative(f, x, method=method)
    assert res.df.dtype == np.float64
    true_err = np.abs(res.df - np.cos(x))
    assert (true_err <= res.error).all()
    if method != "central":
        # 16 for the estimate, 5 for the kink check (smooth: no far values),
        # 2 for the elementwise probe at the first 4 points: every value of f
        # is counted
        probe = np.array([2, 2, 2, 2, 0, 0, 0])
        assert true_err.max() < 1e-6 and (res.nfev - probe == 16 + 5).all()
        assert (res.status == 0).all() and res.method == "richardson"


def test_hessian_at_a_kink_of_the_gradient_is_flagged():
    # max(x, 0)**2 has f'' = 0 left of 0 and 2 right of it: the symmetric
    # stencil returns the mean, 1, at every step; before, status 0, error 0
    res = hessian(lambda p: np.maximum(p[0], 0) ** 2 + p[0] * p[1], [0.0, 1.0])
    np.testing.assert_allclose(res.df, [[1.0, 1.0], [1.0, 0.0]], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(res.status, [[-1, 0], [0, 0]])
    assert res.error[0, 0] >= 1.0  # covers both one-sided values, 0 and 2
    assert res.error[0, 0] < 1.0 + 1e-12
    assert res.error[0, 1] < 1e-12 and res.error[1, 1] < 1e-12
    # away from the kink, and for smooth functions, nothing changes
    away = hessian(lambda p: np.maximum(p[0], 0) ** 2 + p[0] * p[1], [0.5, 1.0])
    np.testing.assert_array_equal(away.status, [[0, 0], [0, 0]])
    np.testing.assert_allclose(away.df, [[2.0, 1.0], [1.0, 0.0]], atol=1e-10)
    kink = hessian(lambda p: np.abs(p[0]) + p[1] ** 2, [0.0, 1.0])  # f' jumps
    assert kink.status[0, 0] == -1 and kink.error[0, 0] > 1.0


@pytest.mark.parametrize("n", [1, 50])
def test_multivariate_nfev_counts_every_point(n):
    x = np.linspace(-1.0, 1.0, n) + 0.1
    seen = []

    def f(p):
        seen.append(1 if p.ndim == 1 else p.shape[1])
        return np.sum(p**2, axis=0) + np.sum(p, axis=0) ** 3

    exact_g = 2 * x + 3 * np.sum(x) ** 2
    exact_h = 2 * np.eye(n) + 6 * np.sum(x)
    for vectorized in (False, True):
        seen.clear()
        g = gradient(f, x, vectorized=vectorized)
        assert g.nfev == sum(seen) == 1 + 3 * n and g.method == "complex"
        np.testing.assert_allclose(g.df, exact_g, rtol=1e-14)
        seen.clear()
        g = gradient(f, x, vectorized=vectorized, method="richardson")
        assert g.nfev == sum(seen)
        np.testing.assert_allclose(g.df, exact_g, rtol=1e-11)
        seen.clear()
        h = hessian(f, x, vectorized=vectorized)
        assert h.nfev == sum(seen) == 1 + 3 * n * (n + 1)
        np.testing.assert_allclose(h.df, exact_h, atol=1e-7 * np.abs(exact_h).max())
        assert (h.status == 0).all()


def test_validation_expression_with_two_variables():
    pytest.importorskip("sympy")
    with pytest.raises(DfdxError, match="f has variables x, y; derivative needs"):
        derivative("x*y", 1.0)


def test_validation_multivariate():
    with pytest.raises(DfdxError, match=r"x must be a point of R\^n .* shape \(2, 2\)"):
        gradient(np.sum, np.ones((2, 2)))
    with pytest.raises(DfdxError, match=r"x must have at least one coordinate"):
        gradient(np.sum, np.ones(0))
    with pytest.raises(DfdxError, match=r"x must be finite"):
        gradient(np.sum, [1.0, np.nan])
    with pytest.raises(DfdxError, match="f must return a scalar for gradient, got 2"):
        gradient(lambda p: p, [1.0, 2.0])
    with pytest.raises(
        DfdxError, match="vectorized must be True, False or 'auto', got 1"
    ):
        jacobian(lambda p: p, [1.0], vectorized=1)
    with pytest.raises(DfdxError, match=r"with vectorized=True, f gets shape \(n, k\)"):
        jacobian(lambda p: np.ones((2, 2, 2)), [1.0, 2.0], vectorized=True)
    with pytest.raises(DfdxError, match="f must return a scalar or a 1-D array"):
        jacobian(lambda p: np.ones((2, 2)), [1.0, 2.0])
    with pytest.raises(DfdxError, match="f must return a scalar for hessian, got 2"):
        hessian(lambda p: p, [1.0, 2.0], vectorized=True)
    with pytest.raises(DfdxError, match=r"method must be one of 'auto', 'richardson'"):
        hessian(np.sum, [1.0, 2.0], method="complex")
    with pytest.raises(DfdxError, match="numeric.gradient differentiates callables"):
        gradient("x*y", [1.0, 2.0])


def test_import_dfdx_stays_light():
    code = (
        "import sys, dfdx; dfdx.derivative; dfdx.DerivativeResult; "
        "print(sorted(m for m in ('sympy', 'scipy', 'matplotlib') if m in sys.modules))"
    )
    src = str(Path(__file__).parents[1] / "src")
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": src},
        check=True,
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "func, x0",
    [
        (np.exp, 1.0),
        (lambda x: np.sin(1 / x), 0.05),
        (lambda x: np.abs(x) * x, 2.0),
        (np.log, 1e-3),
        (lambda x: (x - 1) ** 3, 1.0),
        (lambda x: x.real**2, 2.0),
        (np.sqrt, 0.0),
    ],
)
def test_scalar_fast_path_matches_array_path(func, x0):
    one = derivative(func, x0)
    arr = derivative(func, np.array([x0]))
    assert one.method == arr.method
    assert one.nfev == int(arr.nfev[0])
    assert one.status == int(arr.status[0])
    np.testing.assert_array_equal(one.df, arr.df[0])
    np.testing.assert_array_equal(one.error, arr.error[0])


def test_jax_arrays_in_jax_arrays_out():
    """JAX arrays are immutable: the engine must update them functionally.
    (JAX is not in the test extra; this runs where JAX is installed.)"""
    jax = pytest.importorskip("jax")
    jnp = pytest.importorskip("jax.numpy")
    # x64 for this test only: left on, it changed the dtypes other tests see
    # (check_grad's float32 JAX case failed after this test in one worker)
    old = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", True)
    try:
        x = jnp.linspace(0.1, 2.0, 7)
        res = derivative(jnp.sin, x)
        assert isinstance(res.df, jax.Array)
        np.testing.assert_allclose(
            np.asarray(res.df), np.cos(np.asarray(x)), rtol=1e-14
        )
        res = derivative(lambda t: jnp.abs(t) * t, x)  # real-only: Richardson path
        assert res.method == "richardson"
        np.testing.assert_allclose(np.asarray(res.df), 2 * np.asarray(x), rtol=1e-12)
    finally:
        jax.config.update("jax_enable_x64", old)


def test_scalar_only_functions_are_called_point_by_point():
    import math

    res = derivative(math.sin, 1.0)
    assert float(res.df) == pytest.approx(math.cos(1.0), rel=1e-13)
    assert res.status == 0

    def relu_py(v):  # `if` on an array raises "truth value ... is ambiguous"
        return v if v > 0 else 0.0

    res = derivative(relu_py, np.array([-1.0, 2.0, 3.5]))
    np.testing.assert_allclose(res.df, [0.0, 1.0, 1.0], atol=1e-12)


def test_scalar_only_errors_that_are_not_about_arrays_still_raise():
    def broken(v):
        raise TypeError("something else entirely")

    with pytest.raises(DfdxError, match="something else entirely"):
        derivative(broken, 1.0)


def test_hessian_streams_its_points_in_bounded_blocks(monkeypatch):
    """The stencil points of a Hessian are O(n^3) numbers; they are made and
    passed to f in blocks, so the largest array is bounded (not a timing)."""
    import dfdx.numeric as numeric

    n = 40
    rng = np.random.default_rng(0)
    A = rng.standard_normal((n, n))
    A = A + A.T
    largest = []

    def f(p):  # vectorized: p has shape (n, k)
        largest.append(p.size)
        return 0.5 * np.einsum("ik,ij,jk->k", p, A, p) + np.sum(np.sin(p), axis=0)

    x = rng.standard_normal(n) * 0.3
    whole = hessian(f, x, vectorized=True)  # every point in one call
    assert max(largest) == n * (1 + 3 * n * (n + 1))
    monkeypatch.setattr(numeric.multi, "_HESSIAN_BLOCK", 4096)
    largest.clear()
    res = hessian(f, x, vectorized=True)
    assert max(largest) <= 4096 + n  # one block: at most _HESSIAN_BLOCK numbers
    # every point passed to f counts; entries refined with smaller steps
    # repeat the whole stencil (1 + 3 n (n + 1) points per attempt)
    assert res.nfev == sum(s // n for s in largest)
    assert res.nfev % (1 + 3 * n * (n + 1)) == 0
    np.testing.assert_allclose(res.df, A - np.diag(np.sin(x)), atol=1e-7)
    # f's own rounding depends on the block shape (einsum): equal to ~1e-12
    np.testing.assert_allclose(res.df, whole.df, rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(res.status, whole.status)


def test_vectorized_auto_batches_only_functions_that_take_batches():
    def rosen(x):
        return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2, axis=0)

    x = np.array([0.3, -0.2, 0.8])
    calls = []

    def counted(fn):
        def inner(p):
            calls.append(np.shape(p))
            return fn(p)

        return inner

    # a batched-ready function: batched calls after the probe
    calls.clear()
    auto = hessian(counted(rosen), x, vectorized="auto")
    assert any(len(c) == 2 and c[1] > x.size + 1 for c in calls)
    np.testing.assert_allclose(auto.df, hessian(rosen, x, vectorized=True).df)
    # functions that would be silently wrong with batches fall back to points
    for fn in (
        lambda p: np.sum(p**2),  # a scalar for any input
        lambda p: float(np.dot(p, p)),  # refuses 2-D input
        lambda p: (
            np.sum(p**2, axis=-1)
            if p.ndim == 1
            else np.sum(p**2, axis=-1)[: p.shape[1]]
        ),
    ):
        calls.clear()
        res = gradient(counted(fn), x, vectorized="auto")
        np.testing.assert_allclose(res.df, 2 * x, rtol=1e-9)
        assert all(len(c) == 1 for c in calls[3:])  # after the probe: one point a time
    with pytest.raises(DfdxError, match="True, False or 'auto'"):
        gradient(rosen, x, vectorized="yes")


# -- the scalar Richardson path ------------------------------------------------
_SCALAR_FUNCTIONS = {
    "math.sin": math.sin,
    "np.sin": np.sin,
    "exp": np.exp,
    "abs (kink)": abs,
    "x^3 - 1/x": lambda x: x**3 - 1 / x,
    "tanh": np.tanh,
    "sin(1/x)": lambda x: np.sin(1 / x),
    "log": np.log,
    "relu (scalar code)": lambda x: max(x, 0.0),
    "text": "x^2*exp(-x)",
    "float32 model": lambda x: np.float32(np.sin(x)),
    "returns None": lambda x: None,
    "raises": lambda x: 1 / 0,
    "relu kink (arrays)": lambda x: np.maximum(x, 0.0),
}


def _key(call):
    try:
        r = call()
    except Exception as exc:  # the same error from both paths
        return (type(exc).__name__, str(exc))
    return (repr(float(r.df)), repr(float(r.error)), r.nfev, r.status, r.method)


@pytest.mark.parametrize("name", list(_SCALAR_FUNCTIONS))
@pytest.mark.parametrize(
    "x", [1.0, 0.0, 0.05, -1.3, 30.0, 1e4, 1e-3, 0, 7, np.float64(2.5), 10**400]
)
@pytest.mark.parametrize("method", ["richardson", "auto"])
def test_scalar_paths_equal_the_general_path(name, x, method, monkeypatch):
    """One float x: the Python-float paths (Richardson, the kink check) give
    the same df, error, nfev and status as the array engine, bit for bit (or
    the same error), including the kink status at abs(0) and the per-point
    fallback of scalar-only functions."""
    from dfdx import numeric

    f = _SCALAR_FUNCTIONS[name]
    fast = _key(lambda: numeric.derivative(f, x, method=method))
    monkeypatch.setattr(numeric, "_scalar_richardson", lambda *args: None)
    monkeypatch.setattr(numeric, "_scalar_kink", lambda *args: None)
    general = _key(lambda: numeric.derivative(f, x, method=method))
    assert fast == general


def test_scalar_richardson_is_taken_and_exact():
    """The fast path is the one that runs for a float (not a silent fallback)
    and its answer is right."""
    from dfdx import numeric

    res = numeric._scalar_richardson(
        math.sin,
        1.0,
        {
            "n": 1,
            "method": "richardson",
            "step": None,
            "rtol": None,
            "atol": None,
            "max_stages": 4,
        },
    )
    assert res is not None
    res = res[0]
    assert res.status == 0
    assert abs(float(res.df) - math.cos(1.0)) <= 1e-14
    assert float(res.error) >= abs(float(res.df) - math.cos(1.0))


# -- large arrays in chunks -----------------------------------------------------
@pytest.mark.parametrize(
    "f, method",
    [
        (lambda x: np.sin(x) * np.exp(-x * x), "auto"),
        (lambda x: np.sin(x) * np.exp(-x * x), "richardson"),
        (np.abs, "auto"),  # kinks at 0 (status -6)
        (np.log, "auto"),  # undefined for x < 0, one-sided near 0
        (lambda x: np.maximum(x, 0.0) ** 2, "central"),
    ],
)
def test_chunks_give_the_same_numbers(f, method, monkeypatch):
    """A large array is differentiated in chunks (memory stays bounded); each
    point's computation is independent, so the result is the same numbers as
    in one piece: df, error, nfev, status, method. Here with a chunk of 64
    points on 3 x 64 + 17 points, two of them exactly 0."""
    from dfdx import numeric

    x = np.linspace(-2, 2, 3 * 64 + 17)
    x[[5, 150]] = 0.0
    monkeypatch.setattr(numeric, "DERIVATIVE_CHUNK", 64)
    chunked = numeric.derivative(f, x, method=method)
    monkeypatch.setattr(numeric, "DERIVATIVE_CHUNK", 10**9)
    whole = numeric.derivative(f, x, method=method)
    np.testing.assert_array_equal(chunked.df, whole.df)
    np.testing.assert_array_equal(chunked.error, whole.error)
    np.testing.assert_array_equal(chunked.nfev, whole.nfev)
    np.testing.assert_array_equal(chunked.status, whole.status)
    assert chunked.nfev.dtype == whole.nfev.dtype
    assert chunked.status.dtype == whole.status.dtype
    assert chunked.method == whole.method
    assert chunked.df.shape == x.shape


def test_chunks_keep_shape_and_dtype(monkeypatch):
    from dfdx import numeric

    monkeypatch.setattr(numeric, "DERIVATIVE_CHUNK", 7)
    x = np.linspace(0.5, 2, 60, dtype=np.float32).reshape(3, 4, 5)
    res = numeric.derivative(np.exp, x)
    assert res.df.shape == (3, 4, 5) and res.df.dtype == np.float32
    np.testing.assert_allclose(res.df, np.exp(x), rtol=1e-5)
    # a non-elementwise f is still refused
    with pytest.raises(DfdxError, match="elementwise"):
        numeric.derivative(lambda v: v - v.sum(), np.linspace(0, 1, 50))


def test_chunk_memory_is_bounded():
    """Issue 9's memory target, checked through tracemalloc's peak (the sizes
    allocated, not a timing): differentiating 2e6 points with 'auto' takes at
    most 1.5x the memory of a plain central difference of the same f (in one
    piece it took about 6x)."""
    import tracemalloc

    from dfdx import numeric

    x = np.linspace(-3, 3, 2_000_000)
    f = lambda v: np.sin(v) * np.exp(-v * v)  # noqa: E731

    def peak_of(fn):
        fn(x[:10])
        tracemalloc.start()
        try:
            out = fn(x)
            return out, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    _, plain = peak_of(lambda v: (f(v + 6e-6) - f(v - 6e-6)) / 1.2e-5)
    res, peak = peak_of(lambda v: numeric.derivative(f, v))
    assert res.status.max() == 0
    assert peak <= 1.5 * plain, f"{peak / 1e6:.0f} MB against {plain / 1e6:.0f} MB"


@pytest.mark.parametrize("powers", [1, 2])
def test_one_point_tableau_equals_the_array_tableau(powers):
    """The Python-float Neville tableau of one point gives the same numbers as
    the NumPy tableau of many (random quotients, NaN and infinities
    included), bit for bit."""
    from dfdx.numeric.core import _RATIO
    from dfdx.numeric.engine import _neville, _neville_one

    rng = np.random.default_rng(powers)
    for trial in range(300):
        D = rng.normal(1.0, 10.0 ** rng.integers(-16, 2), size=(8, 2, 1))
        R = np.abs(rng.normal(0, 1e-12, size=(8, 2, 1)))
        if trial % 7 == 0:
            D[rng.integers(8), 0, 0] = np.nan
        if trial % 11 == 0:
            D[rng.integers(8), 0, 0] = np.inf
        one = _neville_one(D[:, :1], R[:, :1], _RATIO, powers)
        with np.errstate(all="ignore"):  # as the engine calls it
            many = _neville(np, D, R, _RATIO, powers)
        for a, b in zip(one, many):
            np.testing.assert_array_equal(np.asarray(a).reshape(-1), b[:1].reshape(-1))


@pytest.mark.parametrize("method", ["auto", "richardson", "central", "complex"])
@pytest.mark.parametrize(
    "x",
    [0.5, np.float64(0.3), np.array(0.2), np.linspace(-1, 1, 4), np.linspace(0, 2, 9)],
    ids=["float", "float64", "0d", "4 points", "9 points"],
)
def test_nfev_counts_every_value_of_f(method, x):
    """nfev left out the kink check's and the elementwise probe's values:
    sum(nfev) = 36 while f computed 104 values."""
    computed = [0]

    def f(t):
        computed[0] += np.size(t)
        return np.sin(t) + t**2

    res = derivative(f, x, method=method)
    assert int(np.sum(res.nfev)) == computed[0]


def test_no_derivative_where_f_itself_is_undefined():
    """x/x at 0: its neighbours give the quotient 0, but f has no value at 0,
    so there is no derivative (status -7, NaN), at a scalar and in an array."""
    res = derivative("x/x", np.array([0.0, 1.0]))
    assert res.status.tolist() == [-7, 0] and np.isnan(res.df[0]) and res.df[1] == 0
    one = derivative("x/x", 0.0)
    assert one.status == -7 and np.isnan(one.df)
    hole = derivative(lambda t: np.where(t == 0, np.nan, np.sin(t)), 0.0)
    assert hole.status == -7
    assert derivative(np.sin, 0.0).status == 0


def test_hessian_refines_entries_until_their_estimates_meet_the_tolerance():
    """numdifftools' own test: the Hessian of sin(x y) at (3, 5) was 4.6e-4
    off with steps from 0.2 (status -1); each entry is now refined with
    smaller steps until its error estimate meets the tolerance."""
    x, y = 3.0, 5.0
    res = hessian(lambda p: np.sin(p[0] * p[1]), [x, y])
    c, sn = np.cos(x * y), np.sin(x * y)
    exact = np.array([[-(y**2) * sn, c - x * y * sn], [c - x * y * sn, -(x**2) * sn]])
    assert (res.status == 0).all()
    assert np.abs(res.df - exact).max() < 1e-4
    assert (np.abs(res.df - exact) <= res.error).all()
    # a polynomial converges at once: no refinement, 1 + 3 n (n + 1) points
    assert hessian(lambda p: p[0] ** 2 * p[1], [1.0, 2.0]).nfev == 19


def test_a_noisy_elementwise_function_is_not_called_non_elementwise():
    """The elementwise probe refused a function whose values change from
    call to call (random noise, as in scipy's test_flags): noise is not a
    dependence on another point. It is differentiated, and its status says
    the tolerance was not met; a real dependence is still refused."""
    rng = np.random.default_rng(1)
    res = derivative(
        lambda x: np.exp(x) * (1 + 1e-3 * rng.random(np.shape(x))), np.ones(4)
    )
    assert (res.status != 0).all()
    with pytest.raises(DfdxError, match="must be elementwise"):
        derivative(lambda x: x / x.sum(), np.ones(4))


def test_torch_inputs_get_the_kink_and_undefined_checks_with_tensors():
    """With torch tensors, |x| at 0 was 'converged' (status 0) and t/t at 0
    gave 0: the kink check ran for NumPy only. f must be called with the
    caller's array type in the check too."""
    torch = pytest.importorskip("torch")
    seen = set()

    def absolute(t):
        seen.add(type(t))
        return torch.abs(t)

    res = derivative(absolute, torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64))
    assert res.status.tolist() == [0, -6, 0]
    assert isinstance(res.df, torch.Tensor)
    assert seen == {torch.Tensor}
    hole = derivative(lambda t: t / t, torch.tensor([0.0, 1.0], dtype=torch.float64))
    assert hole.status.tolist() == [-7, 0]
    assert isinstance(hole.df, torch.Tensor) and torch.isnan(hole.df[0])
    assert hole.df.dtype == torch.float64


def test_jacobian_keeps_the_one_sided_derivative_of_an_output_defined_on_one_side():
    """scipy's test_step_direction_size, as dfdx meets it: an output defined
    only for x >= 0 has a finite one-sided derivative at 0, which derivative
    finds (status -3) but jacobian dropped (NaN, -4) because another output
    of the same column did not need it."""
    f = lambda x: np.where(x >= 0, x**2 + x, np.nan)  # noqa: E731
    one = derivative(f, 0.0)
    assert one.status == -3 and one.df == pytest.approx(1.0, abs=1e-12)

    def g(p):
        return np.array([np.where(p[0] >= 0, p[0] ** 2 + p[0], np.nan), p[1] ** 2])

    res = jacobian(g, [0.0, 1.0])
    np.testing.assert_allclose(res.df, [[1.0, 0.0], [0.0, 2.0]], atol=1e-12)
    assert res.status[0, 0] == -3 and res.status[1, 1] == 0


@pytest.mark.parametrize("method", ["central", "forward", "backward"])
def test_fixed_step_status_zero_is_a_promise_too(method):
    """The fixed-step methods reported status 0 whatever their estimate
    (central at x = 1e4: 6e-4 off, forward at 1e9). Status 0 now means the
    truncation estimate meets the method's tolerance."""
    x = np.array([1.0, 1e4, 1e9])
    res = derivative(np.sin, x, method=method)
    assert res.status.tolist() == [0, -1, -1]
    assert abs(res.df[0] - np.cos(1.0)) <= res.error[0]  # where 0 is said
    # a given rtol is the tolerance
    assert derivative(np.sin, 1e4, method=method, rtol=1e-1).status == 0


def test_fixed_step_status_never_promises_more_than_one_percent():
    """forward/backward at n = 4: 100**3 * 1e-6 = 1 made a 6 % error (sin at
    3), and a pure-rounding value of a derivative that is 0 (cos'''' at
    pi/2: -0.0047), 'converged'. The tolerance is capped at FIXED_RTOL_MAX."""
    from dfdx.numeric import FIXED_RTOL_MAX

    assert FIXED_RTOL_MAX == 1e-2
    for method in ("forward", "backward"):
        res = derivative(np.cos, np.pi / 2, n=4, method=method)
        assert res.status == -1 and abs(res.df) <= res.error
        res = derivative(np.sin, 3.0, n=4, method=method)
        off = abs(res.df - np.sin(3.0))
        assert off > 1e-2 * abs(np.sin(3.0)) and res.status == -1
        res = derivative(np.exp, 1.0, n=4, method=method)  # 0.3 % off: said so
        assert res.status == 0 and abs(res.df - np.e) <= 1e-2 * np.e


@pytest.mark.parametrize(
    ("f", "x", "n"),
    [
        (np.cos, np.pi / 2, 2),  # f'' = 0 with f''' = 1: one-sided differ by 2h
        (lambda x: np.where(x > 1, (x - 1) ** 5, (x - 1) ** 3), 1.0, 1),
        (lambda x: (x - 1) ** 3, 1.0, 1),
        (np.sin, 0.0, 2),
    ],
)
def test_smooth_points_with_zero_derivative_are_no_kinks(f, x, n):
    """The kink check allowed for rounding only, so a derivative 0 whose
    one-sided estimates differ by their truncation error (cos'' at pi/2,
    scipy's saddle gh-18811) was called a kink (-6)."""
    res = derivative(f, x, n=n)
    # (the saddles, without an atol, may say -1: a relative tolerance of 0)
    assert res.status in (0, -1) and abs(res.df) < 1e-12
    assert derivative(f, x, n=n, atol=1e-12).status == 0


@pytest.mark.parametrize(
    ("f", "x", "n"),
    [
        (np.abs, 0.0, 1),
        (lambda x: np.maximum(x, 0) ** 2, 0.0, 2),
        (lambda x: np.abs(x - 1) * 1e-6, 1.0, 1),
        (lambda x: np.where(x > 0, np.sin(x), 1.001 * np.sin(x)), 0.0, 1),
    ],
)
def test_kinks_still_found_with_the_truncation_allowance(f, x, n):
    assert derivative(f, x, n=n).status == -6


def test_jacobian_status_is_per_entry():
    """One output NaN at the point made the whole column -4, finite and
    correct entries included; noise that meets no tolerance is -1."""
    rng = np.random.default_rng(0)

    def f(p):
        x = p[0]
        return np.stack([x - 2.5, np.exp(x) * rng.random(), np.exp(x), x * np.nan])

    res = jacobian(f, [1.0], rtol=1e-14)
    np.testing.assert_array_equal(res.status[:, 0], [0, -1, 0, -4])
    res = jacobian(lambda p: np.array([p[0] * p[1], np.sqrt(p[1] - 1.0)]), [2.0, 1.0])
    # d sqrt(y - 1)/dy at y = 1 is infinite: only that entry says so
    assert res.status[0, 1] in (0, -3) and abs(res.df[0, 1] - 2.0) < 1e-8
    assert res.status[1, 1] != 0
    assert res.status[0, 0] == res.status[1, 0] == 0


def test_scalar_fixed_step_fast_path_gives_the_general_paths_numbers():
    """central/forward/backward at one float x are computed in Python floats
    (70 us -> ~20 us a call); every field equals the array path's, kink check
    included, for steps, tolerances, scalar-only f and kinks."""
    import math

    from dfdx.numeric import _derivative_points

    fs = [
        np.sin,
        np.exp,
        np.abs,
        lambda x: x**3 - 1 / x,
        math.sin,  # takes one number at a time: called point by point
        lambda x: np.maximum(x, 0) ** 2,
    ]
    xs = [0.7, 1.0, -2.5, 0.0, 1e9, 3, np.float64(1e-3)]
    options_list = [{}, {"step": 1e-3}, {"rtol": 1e-12}, {"atol": 1e-6}]
    compared = 0
    for f in fs:
        for x in xs:
            for method in ("central", "forward", "backward"):
                for n in (1, 2, 3, 4):
                    for extra in options_list:
                        kw = dict(n=n, method=method, step=None, rtol=None, atol=None)
                        kw["max_stages"] = 4
                        kw.update(extra)
                        try:
                            want = _derivative_points(f, x, kw)
                        except DfdxError:
                            with pytest.raises(DfdxError):
                                derivative(f, x, **{k: kw[k] for k in kw})
                            continue
                        got = derivative(f, x, **{k: kw[k] for k in kw})
                        for field in ("df", "error", "nfev", "status", "method", "n"):
                            a, b = getattr(got, field), getattr(want, field)
                            same = (a == b) or (
                                isinstance(a, float) and math.isnan(a) and math.isnan(b)
                            )
                            assert same, (f, x, method, n, extra, field, a, b)
                        assert type(got.df) is type(want.df)
                        compared += 1
    assert compared > 1500


def test_scalar_complex_fast_path_gives_the_general_paths_numbers():
    """method='complex' at one float x: Python floats, the same numbers as a
    one-point array (status -5 where the real check disagrees; a function
    without complex support still refused; the evaluations of a fast path
    that hands over counted in nfev)."""
    import math

    fs = [np.sin, np.exp, lambda x: x**3 - 1 / x, np.abs, np.log, np.sqrt]
    compared = 0
    for f in fs:
        for x in (0.7, 1.0, -2.5, 0.0, 1e9, -1.0):
            try:
                want = derivative(f, np.array([x]), method="complex")
            except DfdxError:
                with pytest.raises(DfdxError):
                    derivative(f, x, method="complex")
                continue
            got = derivative(f, x, method="complex")
            for field in ("df", "error", "status"):
                a, b = getattr(got, field), np.asarray(getattr(want, field))[0]
                assert a == b or (math.isnan(a) and math.isnan(b)), (f, x, field, a, b)
            # where the complex step overflows (exp at 1e9) the fast path hands
            # over to the general one, and its 3 evaluations are counted too
            assert got.nfev - want.nfev[0] in (0, 3), (f, x, got.nfev, want.nfev)
            compared += 1
    assert compared >= 30
    with pytest.raises(DfdxError, match="complex input"):
        derivative(lambda x: float(x), 1.0, method="complex")


_VALUE = st.floats(-1e6, 1e6, allow_nan=False) | st.sampled_from(
    [0.0, 1.0, -1.0, 1e-300, 1e300, float("inf"), float("nan")]
)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(
    st.lists(_VALUE, min_size=7, max_size=7),
    st.floats(1e-12, 1.0),
    _VALUE,
    st.sampled_from([1, 2]),
    st.sampled_from([None, 0.0, 1e-12, 1e-3]),
    st.sampled_from([2.0**-52, 2.0**-23]),
)
def test_the_kink_screen_clears_only_what_the_full_check_clears(
    values, h, df, n, atol, eps
):
    """The kink check evaluates f at x, x ± h, x ± 2h first and at x ± 4h only
    where those five cannot clear the point: for any values at all, a point
    the screen clears is one the seven-point check clears (so the verdicts
    are the same as evaluating all seven everywhere)."""
    from dfdx.numeric import _kink_screen, _kinks

    f0, f1, f2, f4, g1, g2, g4 = values
    with np.errstate(all="ignore"):
        full = bool(_kinks(values, h, df, eps, n, atol))
        screen = bool(_kink_screen([f0, f1, f2, g1, g2], h, df, eps, n, atol))
    assert screen or not full


def test_the_far_values_are_computed_only_where_needed():
    calls = []

    def f(x):
        calls.append(np.size(x))
        return np.abs(x)

    x = np.array([-1.0, 0.0, 2.0])
    res = derivative(f, x)
    np.testing.assert_array_equal(res.status, [0, -6, 0])  # the kink at 0
    # the far values (2 points) were computed at the kink only
    assert calls[-1] == 2 and res.nfev[1] == res.nfev[0] + 2
