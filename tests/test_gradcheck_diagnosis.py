"""check_grad says what kind of bug it found: the diagnosis of a failed
report (each class with two or more examples, PyTorch custom Functions old
and new style, JAX custom_vjp), kink verdicts that explain themselves, and
nondeterminism measured rather than set by hand."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dfdx
from dfdx.checking.diagnosis import InputView, diagnose, nice_number

torch = pytest.importorskip("torch", reason="PyTorch (the torch extra) not installed")

import gradcheck_zoo  # noqa: E402  (benchmarks/, on pytest's pythonpath)

TORCH = gradcheck_zoo.torch_diagnosis_cases()


@pytest.fixture
def x64():
    """JAX with float64 arrays, for this test only (the setting is global)."""
    jax = pytest.importorskip("jax", reason="JAX not installed")
    from dfdx.checking._grad_backends import _x64

    with _x64(jax):
        yield jax


@pytest.mark.parametrize("n", [9, 64])
@pytest.mark.parametrize("case", TORCH, ids=[c[0] for c in TORCH])
def test_each_class_is_caught_and_named(case, n, roomy_time_limit):
    name, expected, make = case
    fn, inputs = make(n)
    report = dfdx.check_grad(fn, *inputs)
    if expected is None:  # right, though nondeterministic: must pass
        assert report.passed, str(report)
        assert report.diagnosis is None
        assert any("nondeterministic" in note for note in report.notes)
        return
    assert report.status == "failed", str(report)
    assert report.diagnosis == expected, str(report)
    assert report.diagnosis_text.startswith(f"{expected}: ")
    assert f"({' + '.join(report.diagnoses)})" in report.summary()
    assert "diagnosis:" in str(report) and "diagnosis: " in report._repr_html_()


@pytest.mark.parametrize(
    "case",
    [c for c in TORCH if c[1] in ("sign", "scale", "ignores_grad_output")],
    ids=lambda c: c[0],
)
def test_directions_name_sign_scale_and_grad_output(case, roomy_time_limit):
    name, expected, make = case
    fn, inputs = make(400)
    report = dfdx.check_grad(fn, *inputs, mode="directional", probes=3)
    assert report.status == "failed" and report.diagnosis == expected, str(report)


@pytest.mark.parametrize(
    "case",
    [c for c in TORCH if c[1] in ("transpose", "permuted", "wrong_elements")],
    ids=lambda c: c[0],
)
def test_directions_fall_back_to_elements_for_the_other_classes(case, roomy_time_limit):
    name, expected, make = case
    fn, inputs = make(25)
    report = dfdx.check_grad(fn, *inputs, mode="directional")
    assert report.status == "failed" and report.diagnosis == expected, str(report)
    assert any("diagnosed element by element" in n for n in report.notes)


def test_a_direction_through_many_kinks_is_decided_element_by_element(
    roomy_time_limit,
):
    relu2 = next(c for c in TORCH if c[0].startswith("not differentiable here: relu"))
    fn, inputs = relu2[2](30)
    report = dfdx.check_grad(fn, *inputs, mode="directional")
    assert report.status == "failed" and report.mode == "full"
    assert report.diagnosis == "not_differentiable_here"
    fine = dfdx.check_grad(torch.relu, inputs[0], mode="directional")
    assert fine.passed, str(fine)


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX not installed")
@pytest.mark.parametrize(
    "case", gradcheck_zoo.jax_diagnosis_cases(), ids=lambda c: c[0]
)
def test_jax_custom_vjp_classes(case, roomy_time_limit, x64):
    name, expected, make = case
    fn, inputs = make(8)
    report = dfdx.check_grad(fn, *inputs)
    assert report.status == "failed" and report.diagnosis == expected, str(report)


def _scaled_tanh(c: float):
    """tanh with a right backward pass times c."""
    return _with_backward(torch.tanh, lambda g, x: c * g * (1 - torch.tanh(x) ** 2))


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    st.floats(0.05, 20).filter(lambda c: abs(c - 1) > 1e-3),
    st.booleans(),
)
def test_a_right_backward_times_c_is_diagnosed_scale_with_that_c(c, negative):
    c = -c if negative else c
    x = torch.linspace(-2, 2, 7, dtype=torch.float64)
    report = dfdx.check_grad(_scaled_tanh(c), x)
    assert report.status == "failed"
    if c == -1:
        assert report.diagnosis == "sign"
        return
    assert report.diagnosis == "scale", str(report)
    assert f"autodiff = {nice_number(c)} × the numerical gradient" in (
        report.diagnosis_text
    )
    assert abs(float(eval(nice_number(c).replace("/", "/1.0/"))) / c - 1) < 1e-5


def test_nice_numbers():
    assert nice_number(2.0) == "2" and nice_number(0.5) == "1/2"
    assert nice_number(-1.5) == "-3/2" and nice_number(1.01) == "1.01"
    assert nice_number(1 / 3) == "1/3" and nice_number(np.pi) == "3.14159"


def test_kink_verdicts_explain_themselves():
    x = torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64)
    ok = dfdx.check_grad(lambda t: torch.relu(t).sum(), x)
    (row,) = ok.kinks
    assert row.x == 0.0 and (row.left, row.right) == pytest.approx((0.0, 1.0))
    text = row.describe()
    assert text.startswith(
        "kink at input[1] = 0: one-sided slopes 0 (left) and 1 (right), central "
        "difference 0.5; autodiff gives 0 ∈ [0, 1]: a valid subgradient, the left slope"
    ), text
    bad = next(c for c in TORCH if c[0].startswith("not differentiable here: abs"))
    fn, inputs = bad[2](12)
    report = dfdx.check_grad(fn, *inputs)
    assert "outside [" in report.diagnosis_text and "NOT a subgradient" in (
        report.diagnosis_text
    )


def test_a_right_function_has_no_diagnosis():
    x = torch.linspace(-2, 2, 9, dtype=torch.float64)
    report = dfdx.check_grad(torch.tanh, x)
    assert report.passed and report.diagnosis is None and report.diagnoses == ()


def test_randomness_is_still_refused():
    """Dropout-like randomness moves the value by far more than rounding."""
    x = torch.linspace(-2, 2, 9, dtype=torch.float64)
    with pytest.raises(dfdx.DfdxError, match="randomness such as dropout"):
        dfdx.check_grad(lambda t: t * (torch.rand(t.shape, dtype=t.dtype) > 0.5), x)


def test_raise_on_failure_names_the_class():
    sign = next(c for c in TORCH if c[1] == "sign")
    fn, inputs = sign[2](5)
    with pytest.raises(dfdx.GradCheckError, match=r"FAILED \(sign\)"):
        dfdx.check_grad(fn, *inputs, raise_on_failure=True)


def _view(ad, num, tol=1e-9, shape=None, name="input"):
    ad, num = np.asarray(ad, float), np.asarray(num, float)
    tol = np.full(ad.shape, tol)
    failed = np.abs(ad - num) > tol
    return InputView(name, shape or ad.shape, ad, num, tol, failed)


def test_diagnose_on_plain_arrays():
    """The classes from the arrays alone (no framework): a boundary pattern,
    a column, both classes named where two fit, and no pattern."""
    n = np.arange(1.0, 17.0)
    ad = n.copy()
    ad[[0, 3, 12, 15]] *= 2  # the four corners of a 4×4 input
    (f,) = diagnose([_view(ad, n, shape=(4, 4))])
    assert f.key == "wrong_elements" and "the boundary" in f.text
    ad = n.copy()
    ad[[1, 5, 9, 13]] = 0
    (f,) = diagnose([_view(ad, n, shape=(4, 4))])
    assert "column 1, all of it" in f.text
    # input 1's numerical gradient is input 0's negated: swapped inputs and a
    # sign both fit, and both are named
    both = diagnose([_view(-n, n, name="input 0"), _view(n, -n, name="input 1")])
    assert [f.key for f in both] == ["swapped_inputs", "sign", "sign"]
    rng = np.random.default_rng(0)
    (f,) = diagnose([_view(rng.standard_normal(8), rng.standard_normal(8))])
    assert f.key == "no_known_pattern"


# -- order 2 and forward mode ---------------------------------------------------


class _DetachedDouble(torch.autograd.Function):
    """Right first derivative; the double backward is 0 (x detached)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * torch.cos(x.detach())


class _Cos(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.cos(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * torch.sin(x)  # should be -sin: wrong in the second order


class _SinWithBadSecond(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * _Cos.apply(x)


X6 = torch.linspace(-2, 2, 6, dtype=torch.float64)


@pytest.mark.parametrize(
    "fn",
    [torch.tanh, lambda t: torch.softmax(t, 0), lambda t: (t**3).sum(), torch.sigmoid],
)
def test_order_two_passes_right_functions_as_gradgradcheck_does(fn):
    x = X6.clone().requires_grad_(True)
    assert torch.autograd.gradgradcheck(fn, (x,))  # the reference
    report = dfdx.check_grad(fn, X6, order=2)
    assert report.passed, str(report)
    assert any("order=2" in n for n in report.notes)


@pytest.mark.parametrize(
    ("fn", "expected"),
    [(_DetachedDouble.apply, "zero"), (_SinWithBadSecond.apply, "sign")],
)
def test_order_two_catches_and_names_double_backward_bugs(fn, expected):
    x = X6.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(fn, (x,))  # the first order is right
    assert not torch.autograd.gradgradcheck(fn, (x,), raise_exception=False)
    assert dfdx.check_grad(fn, X6).passed
    report = dfdx.check_grad(fn, X6, order=2)
    assert report.status == "failed" and report.diagnosis == expected, str(report)


def _exp_with_jvp(factor, new_style=False, ignore=False):
    def tangent(x, t):
        return torch.exp(x) if ignore else factor * t * torch.exp(x)

    if new_style:

        class New(torch.autograd.Function):
            @staticmethod
            def forward(x):
                return torch.exp(x)

            @staticmethod
            def setup_context(ctx, inputs, output):
                ctx.save_for_backward(*inputs)
                ctx.save_for_forward(*inputs)

            @staticmethod
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return grad * torch.exp(x)

            @staticmethod
            def jvp(ctx, t):
                (x,) = ctx.saved_tensors
                return tangent(x, t)

        return New.apply

    class Old(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            ctx.save_for_forward(x)
            return torch.exp(x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * torch.exp(x)

        @staticmethod
        def jvp(ctx, t):
            (x,) = ctx.saved_tensors
            return tangent(x, t)

    return Old.apply


@pytest.mark.parametrize("new_style", [False, True])
@pytest.mark.parametrize(
    ("factor", "ignore", "expected"),
    [
        (1.0, False, None),
        (-1.0, False, "sign"),
        (3.0, False, "scale"),
        (1, True, "ignores_tangent"),
    ],
)
def test_forward_mode_custom_functions(new_style, factor, ignore, expected):
    fn = _exp_with_jvp(factor, new_style, ignore)
    assert dfdx.check_grad(fn, X6).passed  # the backward pass is right
    report = dfdx.check_grad(fn, X6, autodiff="forward")
    if expected is None:
        assert report.passed, str(report)
    else:
        assert report.status == "failed" and report.diagnosis == expected, str(report)
    assert "forward-mode autodiff: 6 JVPs" in report.notes


def test_forward_mode_of_builtin_functions_passes():
    for fn in (torch.tanh, lambda t: torch.softmax(t, 0), lambda t: t @ t):
        assert dfdx.check_grad(fn, X6, autodiff="forward").passed


def test_order_and_forward_mode_refusals():
    with pytest.raises(dfdx.DfdxError, match="must implement the jvp"):
        dfdx.check_grad(_DetachedDouble.apply, X6, autodiff="forward")
    with pytest.raises(dfdx.DfdxError, match="use mode='full'"):
        dfdx.check_grad(torch.tanh, X6, autodiff="forward", mode="directional")
    with pytest.raises(dfdx.DfdxError, match="order must be 1 or 2"):
        dfdx.check_grad(torch.tanh, X6, order=3)
    with pytest.raises(dfdx.DfdxError, match="autodiff must be"):
        dfdx.check_grad(torch.tanh, X6, autodiff="sideways")
    model = torch.nn.Linear(3, 1).double()
    with pytest.raises(dfdx.DfdxError, match="order=2 checks a function of tensors"):
        dfdx.check_grad(model, torch.ones(2, 3, dtype=torch.float64), order=2)


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX not installed")
def test_jax_order_two_and_forward_mode(x64):
    import jax
    import jax.numpy as jnp

    x = jnp.linspace(-2, 2, 6)
    assert dfdx.check_grad(jnp.tanh, x, order=2).passed
    assert dfdx.check_grad(jnp.tanh, x, autodiff="forward").passed

    @jax.custom_jvp
    def f(t):
        return jnp.sin(t)

    @f.defjvp
    def f_jvp(primals, tangents):
        (t,), (dt,) = primals, tangents
        return jnp.sin(t), 3 * jnp.cos(t) * dt

    report = dfdx.check_grad(f, x, autodiff="forward")
    assert report.diagnosis == "scale" and "autodiff = 3 ×" in report.diagnosis_text

    @jax.custom_vjp
    def g(t):
        return jnp.sin(t)

    g.defvjp(
        lambda t: (jnp.sin(t), t),
        lambda t, d: (d * jnp.cos(jax.lax.stop_gradient(t)),),
    )
    assert dfdx.check_grad(g, x).passed
    assert dfdx.check_grad(g, x, order=2).diagnosis == "zero"
    with pytest.raises(dfdx.DfdxError, match="forward-mode autodiff"):
        dfdx.check_grad(g, x, autodiff="forward")


# -- summands the user marks: missing_term / extra_term --------------------------


def _square(t):
    return t**2


def _with_backward(forward, backward):
    class F(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return forward(x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return backward(grad, x)

    return F.apply


@pytest.mark.parametrize(
    ("backward", "expected", "term"),
    [
        (lambda g, x: g * 2 * x, "missing_term", "term 2 (sin)"),
        (lambda g, x: g * torch.cos(x), "missing_term", "term 1 (_square)"),
        (lambda g, x: g * (2 * x + 2 * torch.cos(x)), "extra_term", "term 2 (sin)"),
        (lambda g, x: g * (4 * x + torch.cos(x)), "extra_term", "term 1 (_square)"),
    ],
)
def test_a_summand_missing_or_counted_twice_is_named(backward, expected, term):
    fn = _with_backward(lambda x: x**2 + torch.sin(x), backward)
    report = dfdx.check_grad(fn, X6, terms=[_square, torch.sin])
    assert report.diagnosis == expected, str(report)
    assert term in report.diagnosis_text
    # without the terms, no class fits
    assert dfdx.check_grad(fn, X6).diagnosis == "no_known_pattern"


def test_terms_are_checked():
    fn = _with_backward(lambda x: x**2 + torch.sin(x), lambda g, x: g * 2 * x)
    with pytest.raises(dfdx.DfdxError, match="do not add up to fn"):
        dfdx.check_grad(fn, X6, terms=[_square])
    with pytest.raises(dfdx.DfdxError, match="list of callables"):
        dfdx.check_grad(fn, X6, terms=["x^2"])
    with pytest.raises(dfdx.DfdxError, match="mode='full'"):
        dfdx.check_grad(fn, X6, terms=[_square, torch.sin], mode="directional")
    right = _with_backward(
        lambda x: x**2 + torch.sin(x), lambda g, x: g * (2 * x + torch.cos(x))
    )
    assert dfdx.check_grad(right, X6, terms=[_square, torch.sin]).passed


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX not installed")
def test_jax_missing_term(x64):
    import jax
    import jax.numpy as jnp

    @jax.custom_vjp
    def f(t):
        return t**2 + jnp.exp(t)

    f.defvjp(lambda t: (f(t), t), lambda t, g: (g * 2 * t,))
    x = jnp.linspace(-1, 1, 5)
    report = dfdx.check_grad(f, x, terms=[lambda t: t**2, jnp.exp])
    assert report.diagnosis == "missing_term" and "(exp)" in report.diagnosis_text
