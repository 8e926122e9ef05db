"""scipy.differentiate's own test suite, ported: its functions, points and
tolerances, run through dfdx's numerical derivatives.

Source: scipy/differentiate/tests/test_differentiate.py (TestDerivative and
TestJacobian). The cases are theirs; the code under test is dfdx's, and the
references are closed forms (scipy.stats' pdfs, the Jacobians in the file).
Where dfdx's API differs, each test says how the case is expressed:

* no ``args=``: a closure or a parameter loop;
* no ``order=`` / ``maxiter=`` / ``callback=``: ``method`` and
  ``max_stages`` (8 steps a stage);
* no ``preserve_shape``: a function of one variable with several outputs is
  :func:`dfdx.jacobian` of a point of shape (1,);
* no ``step_direction``: dfdx chooses a one-sided ladder by itself where one
  side is not finite (status -3), and ``method='forward'/'backward'`` give
  fixed one-sided steps;
* status codes are dfdx's (0 converged, -1 tolerance not met, -3 one-sided,
  -4 no finite result).

dfdx's tolerances are at least scipy's in every case; where dfdx promises
more (status 0 means the estimate meets the tolerance, the estimate covers
the actual error) the test checks that too.
"""

from __future__ import annotations

import numpy as np
import pytest

import dfdx

special = pytest.importorskip("scipy.special")
stats = pytest.importorskip("scipy.stats")
optimize = pytest.importorskip("scipy.optimize")

#: numpy/scipy's xp_assert_close default for float64 (eps**0.5 * 4)
XP_RTOL = np.finfo(np.float64).eps ** 0.5 * 4


def _ndtr(x):
    return special.ndtr(x)


# -- TestDerivative ------------------------------------------------------------


@pytest.mark.parametrize("x", [0.6, np.linspace(-0.05, 1.05, 10)])
def test_basic(x):
    res = dfdx.derivative(_ndtr, x)
    ref = stats.norm().pdf(x)
    np.testing.assert_allclose(res.df, ref, rtol=XP_RTOL)
    # scipy: "This would be nice, but doesn't always work out": it does here
    assert np.all(np.abs(res.df - ref) <= res.error)
    assert np.all(res.status == 0)


_DISTCONT = stats._distr_params.distcont


@pytest.mark.parametrize("case", _DISTCONT, ids=[c[0] for c in _DISTCONT])
def test_accuracy(case):
    distname, params = case
    dist = getattr(stats, distname)(*params)
    x = dist.median() + 0.1
    with np.errstate(all="ignore"):
        res = dfdx.derivative(dist.cdf, x)
        ref = dist.pdf(x)
    np.testing.assert_allclose(res.df, ref, rtol=1e-7, atol=1e-10)  # scipy: atol
    # dfdx's promise on top of scipy's test: a converged status means the
    # estimate covers the actual error, measured against an exact reference
    exact = _EXACT_PDF.get(distname, lambda x: ref)(x)
    if res.status == 0:
        assert abs(res.df - exact) <= 10 * res.error + 1e-13 * abs(exact)


def _kstwobign_pdf(x):
    # scipy's kstwobign.pdf is 1.3e-10 off at the median + 0.1 (its cdf is
    # right to 1e-17): the exact series, K'(x) = 8x sum (-1)^(k-1) k^2
    # exp(-2 k^2 x^2), in 40 digits
    import mpmath

    with mpmath.workdps(40):
        t = mpmath.mpf(float(x))
        s = mpmath.nsum(
            lambda k: (-1) ** (k - 1) * k**2 * mpmath.exp(-2 * k**2 * t**2),
            [1, mpmath.inf],
        )
        return float(8 * t * s)


#: exact pdfs where scipy's own pdf is not exact enough for the check above
_EXACT_PDF = {"kstwobign": _kstwobign_pdf}


@pytest.mark.parametrize("method", ["auto", "richardson"])
@pytest.mark.parametrize("shape", [(), (12,), (3, 4), (3, 2, 2)])
def test_vectorization(method, shape):
    """Any shape of x: the result has x's shape, and every element is the
    result of differentiating at that point alone (dfdx: the same numbers,
    bit for bit); f is called with whole arrays, and nfev counts every value
    it computed (scipy: max(res.nfev) == evaluations)."""
    x = np.linspace(-0.05, 1.05, 12).reshape(shape) if shape else np.float64(0.6)
    computed = []

    def f(v):
        computed.append(np.size(v))
        return _ndtr(v)

    res = dfdx.derivative(f, x, method=method)
    assert np.shape(res.df) == np.shape(res.error) == np.shape(x)
    assert np.shape(res.status) == np.shape(res.nfev) == np.shape(x)
    assert sum(computed) == np.sum(res.nfev)
    assert len(computed) < 20  # whole arrays, never a loop over points

    flat = np.reshape(x, -1)
    for i, xi in enumerate(flat):
        one = dfdx.derivative(_ndtr, np.array([xi]), method=method)
        at = np.unravel_index(i, np.shape(x)) if shape else ()
        assert np.asarray(res.df)[at] == one.df[0]
        np.testing.assert_allclose(np.asarray(res.error)[at], one.error[0], atol=1e-12)
        assert np.asarray(res.status)[at] == one.status[0]
        # the elementwise probe's 2 evaluations go to the first 4 points of
        # an array of several (a one-point array has no other point to probe)
        probe = 2 if (shape and i < 4) else 0
        assert np.asarray(res.nfev)[at] == one.nfev[0] + probe


def test_flags_preserve_shape():
    """scipy's flags test: four outputs of one point that end four ways at
    once. dfdx: a Jacobian column with each output's own status: converged,
    tolerance not met (noise), converged (scipy stops exp at its maxiter
    with order=2; dfdx's complex step has it exactly), no finite result."""
    rng = np.random.default_rng(5651219684984213)

    def f(p):
        x = p[0]
        return np.stack(
            [x - 2.5, np.exp(x) * rng.random(), np.exp(x), np.full_like(x, np.nan)]
        )

    res = dfdx.jacobian(f, [1.0], rtol=1e-14)
    assert res.status.shape == res.df.shape == (4, 1)
    np.testing.assert_array_equal(res.status[:, 0], [0, -1, 0, -4])
    np.testing.assert_allclose(res.df[[0, 2], 0], [1.0, np.e], rtol=1e-14)
    assert np.isnan(res.df[3, 0])


def test_preserve_shape():
    def f(p):
        x = p[0]
        return np.stack(
            [x, np.sin(3 * x), x + np.sin(10 * x), np.sin(20 * x) * (x - 1) ** 2]
        )

    x = 0.0
    ref = [1, 3 * np.cos(3 * x), 1 + 10 * np.cos(10 * x), 20 * np.cos(20 * x)]
    res = dfdx.jacobian(f, [x])
    np.testing.assert_allclose(res.df[:, 0], ref, rtol=XP_RTOL)
    assert np.all(res.status == 0)


@pytest.mark.parametrize("kind", ["atol", "rtol"])
def test_convergence(kind):
    """A tighter tolerance gives an answer within it (scipy: order=4, here
    Richardson on real evaluations, where the tolerance decides when to
    stop)."""
    x = 1.0
    ref = float(stats.norm.pdf(1.0))
    scale = 1.0 if kind == "atol" else ref
    errors = []
    for tol in (1e-3, 1e-6):
        tols = {"atol": 0.0, "rtol": 0.0, kind: tol}
        res = dfdx.derivative(_ndtr, x, method="richardson", **tols)
        assert res.status == 0
        assert abs(res.df - ref) < tol * scale
        assert res.error <= tol * scale
        errors.append(abs(res.df - ref))
    assert errors[1] <= errors[0]


def test_step_parameters():
    """A smaller step is more accurate while truncation dominates (scipy:
    initial_step 0.5 against 0.05 with maxiter=1; dfdx: one fixed central
    step, and one Richardson stage from a smaller first step)."""
    x = 1.0
    ref = float(stats.norm.pdf(1.0))
    big = dfdx.derivative(_ndtr, x, method="central", step=0.5)
    small = dfdx.derivative(_ndtr, x, method="central", step=0.05)
    assert abs(small.df - ref) < abs(big.df - ref)
    big = dfdx.derivative(_ndtr, x, method="richardson", step=4.0, max_stages=1)
    small = dfdx.derivative(_ndtr, x, method="richardson", step=0.4, max_stages=1)
    assert abs(small.df - ref) < abs(big.df - ref)


def test_step_direction():
    """exp defined on [0, 2] only (NaN outside): the end points need one-sided
    differences. scipy is told so with step_direction; dfdx finds it."""

    def f(x):
        y = np.exp(x)
        y[(x < 0) + (x > 2)] = np.nan
        return y

    x = np.linspace(0, 2, 10)
    res = dfdx.derivative(f, x)
    np.testing.assert_allclose(res.df, np.exp(x), rtol=XP_RTOL)
    assert set(res.status[[0, -1]]) == {-3}  # one-sided, converged
    assert np.all(res.status[1:-1] == 0)
    assert np.all(np.abs(res.df - np.exp(x)) <= res.error)


@pytest.mark.parametrize("p", [2, 3])
@pytest.mark.parametrize("method", ["backward", "auto", "forward", "richardson"])
def test_vectorized_step_direction_args(method, p):
    """x ** p at x = 1..4 for each direction and power (scipy passes p
    through args and broadcasts; here one call per power)."""
    x = np.array([1.0, 2.0, 3.0, 4.0])
    res = dfdx.derivative(lambda v: v**p, x, method=method)
    ref = p * x ** (p - 1)
    np.testing.assert_allclose(res.df, ref, rtol=XP_RTOL)
    assert np.all(res.status == 0)


def test_maxiter():
    """scipy: maxiter=3 with rtol=1e-15 does not converge and spends
    order + 1 + 2 (maxiter - 1) evaluations. dfdx: an estimate at the
    rounding floor counts as converged, so a tolerance below rounding is no
    way to stop it; a first step of 1000 is: max_stages stages of 8 steps,
    2 evaluations each, status -1 until a stage reaches steps small enough
    (the third: converged, plus the kink check's 7 evaluations)."""
    x = 0.612814
    ref = stats.norm.pdf(x)
    for stages in (1, 2, 3):
        res = dfdx.derivative(
            _ndtr, x, method="richardson", step=1000.0, max_stages=stages
        )
        if stages < 3:
            assert res.status == -1 and res.nfev == 16 * stages
        else:
            assert res.status == 0 and res.nfev == 16 * stages + 5  # + the kink check
            assert abs(res.df - ref) <= res.error


@pytest.mark.parametrize("method", ["backward", "auto", "forward", "richardson"])
@pytest.mark.parametrize("x", [0.65, [0.65, 0.7]])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype(method, x, dtype):
    """The dtype of x is kept, and f is called with it (float16 is documented
    as differentiated in float64: see test_float16_is_differentiated_in_float64)."""
    dtype = np.dtype(dtype)
    xa = np.asarray(x, dtype=dtype)[()]
    seen = set()

    def f(v):
        seen.add(np.asarray(v).dtype)
        return np.exp(v)

    res = dfdx.derivative(f, xa, method=method)
    assert np.asarray(res.df).dtype == dtype
    assert np.asarray(res.error).dtype == dtype
    assert seen <= {dtype, np.dtype(np.complex64 if dtype == np.float32 else complex)}
    eps = np.finfo(dtype).eps
    if method in ("auto", "richardson") or dtype == np.float64:
        np.testing.assert_allclose(res.df, np.exp(xa), rtol=eps**0.5)
    else:
        # a fixed one-sided step in float32 (scipy's one-sided differences
        # are adaptive) reaches 6e-4: the estimate says so
        assert np.all(np.abs(res.df - np.exp(xa)) <= res.error)


def test_float16_is_differentiated_in_float64():
    res = dfdx.derivative(np.exp, np.asarray([0.65, 0.7], dtype=np.float16))
    assert res.df.dtype == np.float64
    x64 = np.asarray([0.65, 0.7], dtype=np.float16).astype(np.float64)
    np.testing.assert_allclose(res.df, np.exp(x64), rtol=1e-12)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: dfdx.derivative(None, 1.0), "f must be a callable"),
        (lambda: dfdx.derivative(lambda x: x, np.asarray(-4 + 1j)), "real number"),
        (lambda: dfdx.derivative(lambda x: [1, 2, 3], np.array([-2.0, -3.0])), "shape"),
        (lambda: dfdx.derivative(lambda x: x, 1.0, atol=-1), "atol must be"),
        (lambda: dfdx.derivative(lambda x: x, 1.0, rtol="ekki"), "rtol must be"),
        (lambda: dfdx.derivative(lambda x: x, 1.0, step=-1), "step must be"),
        (lambda: dfdx.derivative(lambda x: x, 1.0, step=object()), "step must be"),
        (lambda: dfdx.derivative(lambda x: x, 1.0, max_stages=1.5), "max_stages"),
        (lambda: dfdx.derivative(lambda x: x, 1.0, max_stages=0), "max_stages"),
        (lambda: dfdx.derivative(lambda x: x, 1.0, n=1.5), "n must be"),
        (lambda: dfdx.derivative(lambda x: x, 1.0, n=0), "n must be"),
        (lambda: dfdx.derivative(lambda x: x, 1.0, method="herring"), "method"),
    ],
)
def test_input_validation(call, message):
    with pytest.raises(dfdx.DfdxError, match=message):
        call()


def test_special_cases():
    # integers are not passed to f (x**99 of an integer would overflow)
    def f(x):
        assert np.asarray(x).dtype.kind in "fc"
        return x**99 - 1

    res = dfdx.derivative(f, np.asarray(7), rtol=1e-10)
    assert res.status == 0
    np.testing.assert_allclose(res.df, 99 * 7.0**98, rtol=1e-10)

    # polynomials: exact to rounding, converged
    for n in range(6):
        x = 1.5
        res = dfdx.derivative(lambda v, n=n: 2 * v**n, x, method="richardson")
        assert res.status == 0
        np.testing.assert_allclose(res.df, 2 * n * x ** (n - 1), rtol=1e-15, atol=1e-14)

    # scipy's scalar args: c*x - 1 with c = 3
    res = dfdx.derivative(lambda x, c=3: c * x - 1, np.asarray(2))
    np.testing.assert_allclose(res.df, 3.0)


@pytest.mark.parametrize("method", ["auto", "richardson"])
@pytest.mark.parametrize(
    "f",
    [
        lambda x: (x - 1) ** 3,
        lambda x: np.where(x > 1, (x - 1) ** 5, (x - 1) ** 3),
    ],
    ids=["cube", "cube-fifth"],
)
def test_saddle_gh18811(f, method):
    """A derivative exactly 0 with a tight atol: an xfail in scipy's suite;
    dfdx converges (and the piecewise one is no kink: both one-sided
    derivatives are 0)."""
    atol = 1e-16
    res = dfdx.derivative(f, 1.0, method=method, atol=atol)
    assert res.status == 0
    np.testing.assert_allclose(res.df, 0, atol=atol)


# -- TestJacobian --------------------------------------------------------------
# Example functions and Jacobians from Wikipedia (as in scipy's file), written
# to accept a point of shape (n,) or a batch (n, k).


def _f1(z):
    x, y = z
    return np.stack([x**2 * y, 5 * x + np.sin(y)])


def _df1(z):
    x, y = z
    return [[2 * x * y, x**2], [np.full_like(x, 5), np.cos(y)]]


def _f2(z):
    r, phi = z
    return np.stack([r * np.cos(phi), r * np.sin(phi)])


def _df2(z):
    r, phi = z
    return [[np.cos(phi), -r * np.sin(phi)], [np.sin(phi), r * np.cos(phi)]]


def _f3(z):
    r, phi, th = z
    return np.stack(
        [
            r * np.sin(phi) * np.cos(th),
            r * np.sin(phi) * np.sin(th),
            r * np.cos(phi),
        ]
    )


def _df3(z):
    r, phi, th = z
    return [
        [
            np.sin(phi) * np.cos(th),
            r * np.cos(phi) * np.cos(th),
            -r * np.sin(phi) * np.sin(th),
        ],
        [
            np.sin(phi) * np.sin(th),
            r * np.cos(phi) * np.sin(th),
            r * np.sin(phi) * np.cos(th),
        ],
        [np.cos(phi), -r * np.sin(phi), np.zeros_like(r)],
    ]


def _f4(x):
    x1, x2, x3 = x
    return np.stack([x1, 5 * x3, 4 * x2**2 - 2 * x3, x3 * np.sin(x1)])


def _df4(x):
    x1, x2, x3 = x
    one = np.ones_like(x1)
    return [
        [one, 0 * one, 0 * one],
        [0 * one, 0 * one, 5 * one],
        [0 * one, 8 * x2, -2 * one],
        [x3 * np.cos(x1), 0 * one, np.sin(x1)],
    ]


def _f5(x):
    x1, x2, x3 = x
    return np.stack([5 * x2, 4 * x1**2 - 2 * np.sin(x2 * x3), x2 * x3])


def _df5(x):
    x1, x2, x3 = x
    one = np.ones_like(x1)
    return [
        [0 * one, 5 * one, 0 * one],
        [8 * x1, -2 * x3 * np.cos(x2 * x3), -2 * x2 * np.cos(x2 * x3)],
        [0 * one, x3, x2],
    ]


def _rosen(x):
    return np.atleast_1d(optimize.rosen(x))


def _drosen(x):
    return [optimize.rosen_der(x)]


_EXAMPLES = {
    "f1": (_f1, _df1, 2),
    "f2": (_f2, _df2, 2),
    "f3": (_f3, _df3, 3),
    "f4": (_f4, _df4, 3),
    "f5": (_f5, _df5, 3),
    "rosen": (_rosen, _drosen, 5),
}


@pytest.mark.parametrize("vectorized", [False, True])
@pytest.mark.parametrize("size", [(), (6,), (2, 3)])
@pytest.mark.parametrize("name", list(_EXAMPLES))
def test_jacobian_examples(name, size, vectorized):
    """scipy differentiates a batch of points at once (x of shape (m,) +
    size); dfdx's jacobian takes one point, so each point of the batch is
    one call (with vectorized=True, f still gets the stencil's points in
    one batch)."""
    func, dfunc, m = _EXAMPLES[name]
    rng = np.random.default_rng(458912319542)
    x = rng.random(size=(m, *size))
    points = x.reshape(m, -1).T
    for point in points:
        res = dfdx.jacobian(func, point, vectorized=vectorized)
        ref = np.asarray(dfunc(point), dtype=float)
        np.testing.assert_allclose(res.df, ref, atol=1e-10)
        assert np.all(res.status == 0)


def test_jacobian_input_validation():
    # scipy wants x at least 1-D; dfdx reads a scalar as a point in R^1
    res = dfdx.jacobian(np.sin, 1.0)
    assert res.df.shape == (1, 1)
    np.testing.assert_allclose(res.df[0, 0], np.cos(1.0), rtol=1e-14)
    x = np.ones(3)
    for kwargs, message in [
        ({"atol": -1}, "atol must be"),
        ({"rtol": -1}, "rtol must be"),
        ({"step": -1}, "step must be"),
        ({"max_stages": -1}, "max_stages"),
        ({"method": "sideways"}, "method"),
    ]:
        with pytest.raises(dfdx.DfdxError, match=message):
            dfdx.jacobian(optimize.rosen, x, **kwargs)


# -- the same cases on PyTorch tensors (scipy runs its suite on torch too) ------


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("x", [0.6, np.linspace(-0.05, 1.05, 10)])
def test_basic_torch(torch, x):
    t = torch.as_tensor(x, dtype=torch.float64)
    res = dfdx.derivative(torch.special.ndtr, t)
    assert isinstance(res.df, torch.Tensor) and res.df.dtype == torch.float64
    np.testing.assert_allclose(res.df.numpy(), stats.norm().pdf(x), rtol=XP_RTOL)


@pytest.mark.parametrize("method", ["backward", "auto", "forward", "richardson"])
@pytest.mark.parametrize("x", [0.65, [0.65, 0.7]])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_torch(torch, method, x, dtype):
    """The issue's reproducer: derivative(torch.exp, a float64 tensor) failed
    with 'exp(): argument must be Tensor, not numpy.ndarray'. f only ever
    sees tensors of x's dtype (or its complex type, for the complex step)."""
    dt = getattr(torch, dtype)
    t = torch.as_tensor(x, dtype=dt)
    seen = set()

    def f(v):
        assert isinstance(v, torch.Tensor)
        seen.add(v.dtype)
        return torch.exp(v)

    res = dfdx.derivative(f, t, method=method)
    assert res.df.dtype == dt and res.error.dtype == dt
    assert seen <= {dt, torch.complex64 if dt == torch.float32 else torch.complex128}
    ref = torch.exp(t).numpy()
    eps = float(torch.finfo(dt).eps)
    if method in ("auto", "richardson") or dtype == "float64":
        # scipy's own torch tolerance is 50x looser; dfdx meets numpy's
        np.testing.assert_allclose(res.df.numpy(), ref, rtol=eps**0.5)
    else:
        assert np.all(np.abs(res.df.numpy() - ref) <= res.error.numpy())


def test_step_direction_torch(torch):
    def f(x):
        y = torch.exp(x)
        return torch.where((x < 0) | (x > 2), torch.nan, y)

    x = torch.linspace(0, 2, 10, dtype=torch.float64)
    res = dfdx.derivative(f, x)
    np.testing.assert_allclose(res.df.numpy(), np.exp(x.numpy()), rtol=XP_RTOL)
    assert set(res.status[[0, -1]].tolist()) == {-3}


def test_preserve_shape_torch(torch):
    def f(p):
        x = p[0]
        return torch.stack(
            [
                x,
                torch.sin(3 * x),
                x + torch.sin(10 * x),
                torch.sin(20 * x) * (x - 1) ** 2,
            ]
        )

    res = dfdx.jacobian(f, torch.tensor([0.0], dtype=torch.float64))
    np.testing.assert_allclose(
        np.asarray(res.df)[:, 0], [1.0, 3.0, 11.0, 20.0], rtol=XP_RTOL
    )


@pytest.mark.parametrize("shape", [(), (12,), (3, 4), (3, 2, 2)])
def test_vectorization_torch(torch, shape):
    x = np.linspace(-0.05, 1.05, 12).reshape(shape) if shape else np.float64(0.6)
    t = torch.as_tensor(x, dtype=torch.float64)
    res = dfdx.derivative(torch.special.ndtr, t)
    assert tuple(res.df.shape) == np.shape(x)
    np.testing.assert_allclose(res.df.numpy(), stats.norm.pdf(x), rtol=XP_RTOL)
    ref = dfdx.derivative(_ndtr, x)
    np.testing.assert_array_equal(np.asarray(res.status), np.asarray(ref.status))
