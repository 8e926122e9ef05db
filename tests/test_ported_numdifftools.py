"""numdifftools' own test suite, ported: its functions, points and
tolerances, run through dfdx's numerical derivatives.

Source: numdifftools/tests/test_numdifftools.py (TestDerivative,
TestJacobian, TestGradient, TestHessdiag, TestHessian; the Richardson-rule
and step-generator tests are about numdifftools' internals and have no
counterpart). References are closed forms.

Method names differ: numdifftools' 'central', 'forward' and 'backward' are
adaptive (steps extrapolated to zero, as dfdx's 'richardson'); dfdx's
'central', 'forward' and 'backward' are one fixed step (for teaching). So
numdifftools' tolerances are asked of dfdx's adaptive methods ('auto',
'richardson', 'complex'); of the fixed-step ones the test asks honesty: a
status 0 answer within the tolerance, and every answer within its own error
estimate (numdifftools' test_derivative_of_cos_x asks the same of its
methods: atol = 100 * error estimate). dfdx differentiates up to n = 4
(numdifftools: up to 7); functions of extra arguments are closures.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import dfdx

ADAPTIVE = ("auto", "richardson", "complex")
FIXED = ("central", "forward", "backward")
ALL = ADAPTIVE + FIXED


def _rosen(x):
    """numdifftools.testing.rosen: the 2-D Rosenbrock with 105."""
    x = np.asarray(x)
    return (1 - x[0]) ** 2 + 105.0 * (x[1] - x[0] ** 2) ** 2


def _within(res, truth, rtol=1e-7, atol=0.0, method="auto"):
    """numdifftools' tolerance for adaptive methods; for fixed-step ones,
    where status is 0, the method's own promise (FIXED_RTOL, 10x for an
    estimate that is not a bound) or numdifftools' tolerance, whichever is
    looser, and everywhere the error estimate."""
    from dfdx.numeric import FIXED_RTOL, FIXED_RTOL_MAX

    df = np.asarray(res.df, dtype=float)
    truth = np.broadcast_to(np.asarray(truth, dtype=float), df.shape)
    if method in ADAPTIVE:
        np.testing.assert_allclose(df, truth, rtol=rtol, atol=atol)
        return
    n = getattr(res, "n", 1) or 1
    promised = min(FIXED_RTOL[method] * 100.0 ** (n - 1), FIXED_RTOL_MAX)
    err = np.asarray(res.error, dtype=float)
    status = np.broadcast_to(np.asarray(res.status), df.shape)
    off = np.abs(df - truth)
    ok = off <= atol + max(rtol, 10 * promised) * np.abs(truth)
    assert np.all(ok | (status != 0)), (df, truth, status)
    assert np.all(off <= 100 * err + atol), (df, truth, err)


# -- TestDerivative ------------------------------------------------------------


def test_directional_diff():
    v = np.array([1.0, -1.0]) / np.sqrt(2)
    res = dfdx.gradient(_rosen, [2.0, 3.0])
    np.testing.assert_allclose(res.df @ v, 743.87633380824832)


def test_infinite_functions():
    res = dfdx.derivative(lambda x: np.inf * np.ones_like(x), 0.0)
    assert np.isnan(res.df) and res.status == -4


@pytest.mark.parametrize("method", ALL)
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_high_order_derivative_cos(n, method):
    true_vals = (0.0, -1.0, 0.0, 1.0, 0.0)
    res = dfdx.derivative(np.cos, np.pi / 2, n=n, method=method)
    _within(res, true_vals[n], rtol=0, atol=1e-4, method=method)
    if method in ADAPTIVE:
        assert res.status == 0


@settings(deadline=None, max_examples=40, derandomize=True)
@given(st.floats(min_value=0, max_value=10))
@example(7.6564547238847105)
@example(8.9428143931508)
@example(2.2204460492503134e-14)
def test_derivative_of_cos_x(x):
    """numdifftools: every method and order within 100x its own error
    estimate (+1e-14), rtol 1e-6."""
    true_vals = (-np.sin(x), -np.cos(x), np.sin(x), np.cos(x))
    for method in ALL:
        for n in range(1, 5):
            res = dfdx.derivative(np.cos, x, n=n, method=method)
            np.testing.assert_allclose(
                res.df, true_vals[n - 1], rtol=1e-6, atol=100 * res.error + 1e-14
            )


@pytest.mark.parametrize("method", ALL)
def test_fun_with_additional_parameters(method):
    """numdifftools issue 9: func(x, a, b=1) = b a x^3 with a = 1, b = 2."""

    def func(x, a=1.0, b=2.0):
        return b * a * x * x * x

    def at(point):
        return np.asarray([point])

    for x0, first, second in ((0.0, 0.0, 0.0), (1.0, 6.0, 12.0)):
        atol = 1e-13 if x0 == 0 else 0.0
        _within(
            dfdx.derivative(func, x0, method=method), first, atol=atol, method=method
        )
        _within(
            dfdx.gradient(lambda p: func(p[0]), at(x0), method=method),
            [first],
            atol=atol,
            method=method,
        )
        _within(
            dfdx.jacobian(lambda p: func(p[0]), at(x0), method=method),
            [[first]],
            atol=atol,
            method=method,
        )
        if method in ("auto", "richardson", "central"):
            h = dfdx.hessian(lambda p: func(p[0]), at(x0), method=method)
            _within(h, [[second]], rtol=1e-7, atol=1e-9, method="auto")
        _within(
            dfdx.derivative(func, x0, n=2, method=method),
            second,
            rtol=1e-7,
            atol=1e-9 if method in ADAPTIVE else 1e-13,
            method=method,
        )


def test_derivative_cube():
    """numdifftools issue 7: the shape of x is kept."""
    x = np.ones((3, 2)) * 2
    res = dfdx.derivative(lambda x: x * x * x, x)
    assert res.df.shape == (3, 2)
    np.testing.assert_allclose(res.df, 3 * x**2, rtol=1e-8)


def test_derivative_exp():
    np.testing.assert_allclose(dfdx.derivative(np.exp, 0.0).df, 1.0, rtol=1e-8)


def test_derivative_sin():
    x = np.linspace(0, 2.0 * np.pi, 13)
    np.testing.assert_allclose(dfdx.derivative(np.sin, x).df, np.cos(x), atol=1e-8)


@pytest.mark.parametrize("method", ["backward", "richardson"])
def test_backward_derivative_on_sinh(method):
    res = dfdx.derivative(np.sinh, 0.0, method=method)
    _within(res, np.cosh(0.0), method="auto")


@pytest.mark.parametrize("method", ["richardson", "auto", "central", "forward"])
def test_central_and_forward_derivative_on_log(method):
    """numdifftools steps a central rule across nothing at x = 0.001; dfdx's
    steps are absolute below |x| = 1, so Richardson shrinks them past x."""
    x = 0.001
    res = dfdx.derivative(np.log, x, method=method)
    _within(res, 1.0 / x, method=method if method != "auto" else "richardson")


# -- TestJacobian --------------------------------------------------------------


@settings(deadline=None, max_examples=40, derandomize=True)
@given(st.floats(min_value=-1000, max_value=1000))
def test_scalar_to_vector(val):
    def fun(x):
        return np.array([x[0], x[0] ** 2, x[0] ** 3])

    truth = np.array([[1.0], [2 * val], [3 * val**2]])
    for method in ALL:
        res = dfdx.jacobian(fun, [val], method=method)
        np.testing.assert_allclose(res.df, truth, rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize("method", ALL)
def test_jacobian_on_scalar_function(method):
    def fun(x):
        return x[0] * x[1] * x[2] + np.exp(x[0]) * x[1]

    res = dfdx.jacobian(fun, [3.0, 5.0, 7.0], method=method)
    _within(res, [[135.42768462, 41.08553692, 15.0]], method="auto")


@pytest.mark.parametrize("method", ALL)
def test_jacobian_on_vector_valued_function(method):
    """The residuals' squares at the exact parameters: derivative 0."""
    xdata = np.arange(0, 1, 0.1)
    ydata = 1 + 2 * np.exp(0.75 * xdata)

    def fun(c):
        return (c[0] + c[1] * np.exp(c[2] * xdata) - ydata) ** 2

    res = dfdx.jacobian(fun, [1.0, 2.0, 0.75], method=method)
    assert res.df.shape == (ydata.size, 3)
    _within(res, np.zeros((ydata.size, 3)), atol=1e-12, method=method)


def test_jacobian_on_matrix_valued_function():
    def fun(x):
        return np.array([x[0] ** 2 + x[1] ** 2, x[0] ** 3 + x[1] ** 3])

    np.testing.assert_allclose(dfdx.jacobian(fun, [1.0, 2.0]).df, [[2, 4], [3, 12]])
    np.testing.assert_allclose(dfdx.jacobian(fun, [3.0, 4.0]).df, [[6, 8], [27, 48]])


def test_issue_25_two_dimensional_output_is_refused():
    """numdifftools returns a (2, 2, 2) array for f with a 2x2 output; dfdx
    takes outputs of one dimension and says so (flatten f's output)."""

    def g_fun(x):
        out = np.zeros((2, 2))
        out[0] = x
        out[1] = x
        return out

    with pytest.raises(dfdx.DfdxError, match="1-D"):
        dfdx.jacobian(g_fun, np.array([1.0, 2.0]))
    flat = dfdx.jacobian(lambda x: g_fun(x).ravel(), np.array([1.0, 2.0]))
    np.testing.assert_allclose(flat.df.reshape(2, 2, 2), [[[1, 0], [0, 1]]] * 2)


@pytest.mark.parametrize("method", ALL)
def test_issue_27a_large_jacobian(method):
    n = 500
    res = dfdx.jacobian(lambda x: x**2, np.ones(n), method=method)
    np.testing.assert_allclose(res.df, 2 * np.eye(n), atol=1e-7)


# -- TestGradient --------------------------------------------------------------


def test_issue_39():
    res = dfdx.gradient(lambda x: 1.0 / (np.exp(x[0]) + np.cos(x[1]) + 10), [1.0, 2.0])
    np.testing.assert_allclose(res.df, [-0.017961123762187736, 0.0060082083648822])


@pytest.mark.parametrize("method", ALL)
def test_gradient(method):
    res = dfdx.gradient(lambda x: np.sum(x**2), [1.0, 2.0, 3.0], method=method)
    np.testing.assert_allclose(res.df, [2.0, 4.0, 6.0])


# -- TestHessdiag (the Hessian's diagonal) and TestHessian -------------------


def _fun3(x):
    return x[0] + x[1] ** 2 + x[2] ** 3


@pytest.mark.parametrize("method", ["auto", "richardson", "central"])
def test_hessdiag_default_step(method):
    res = dfdx.hessian(_fun3, [1.0, 2.0, 3.0], method=method)
    np.testing.assert_allclose(np.diag(res.df), [0.0, 2.0, 18.0], atol=1e-8)
    off = res.df[~np.eye(3, dtype=bool)]
    np.testing.assert_allclose(off, 0.0, atol=1e-8)


@settings(deadline=None, max_examples=40, derandomize=True)
@given(st.tuples(*[st.floats(-100, 100)] * 3))
@example((0.0, 16.003907623933742, 68.02057249966789))
@example((1.0, 2.0, 3.0))
@example((1.2009289063e-314, 1.2009289063e-314, 1.2009289063e-314))
@example((88.01663712016305, 88.01663712016305, 88.01663712016305))
@example((0.0, 19.945812226807096, 54.11322414875562))
def test_hessdiag_fixed_step(vals):
    """numdifftools: rtol 1e-5, atol 100x the largest error estimate."""
    htrue = [0.0, 2.0, 6 * vals[2]]
    for method in ("auto", "central"):
        res = dfdx.hessian(_fun3, list(vals), method=method)
        np.testing.assert_allclose(
            np.diag(res.df), htrue, rtol=1e-5, atol=100 * np.max(res.error) + 1e-300
        )


@pytest.mark.parametrize("method", ["auto", "richardson", "central"])
def test_hessian_cos_x_y_at_0_0(method):
    res = dfdx.hessian(lambda xy: np.cos(xy[0] - xy[1]), [0.0, 0.0], method=method)
    np.testing.assert_allclose(res.df, [[-1.0, 1.0], [1.0, -1.0]])


@pytest.mark.parametrize("method", ["auto", "richardson", "central"])
def test_hessian_on_scalar_function(method):
    def fun(xyz):
        x, y, z = xyz
        return x * y * z + np.exp(x) * y

    x, y, z = 3.0, 5.0, 7.0
    truth = [[np.exp(x) * y, np.exp(x) + z, y], [np.exp(x) + z, 0, x], [y, x, 0]]
    res = dfdx.hessian(fun, [x, y, z], method=method)
    np.testing.assert_allclose(res.df, truth, atol=1e-4)


def test_hessian_of_complex_or_vector_valued_functions_is_refused():
    """numdifftools differentiates a complex-valued f (issue 35) and a
    vector-valued one with real steps; dfdx's Hessian is of real scalar
    functions and says so."""
    with pytest.raises(dfdx.DfdxError, match="complex values"):
        dfdx.hessian(lambda x: 1j * np.inner(x, x), [0.5, -1.0, 2.0])
    with pytest.raises(dfdx.DfdxError, match="scalar"):
        dfdx.hessian(
            lambda xy: np.array([np.cos(xy[0] * xy[1]), np.sin(xy[0] * xy[1])]),
            [3.0, 5.0],
        )
