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
def roomy_time_limit():
    """What is diagnosed, not how fast this machine is (see test_gradcheck)."""
    old = dfdx.set_time_limit(120)
    yield
    dfdx.set_time_limit(old)


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
def test_jax_custom_vjp_classes(case, roomy_time_limit):
    import jax

    jax.config.update("jax_enable_x64", True)
    name, expected, make = case
    fn, inputs = make(8)
    report = dfdx.check_grad(fn, *inputs)
    assert report.status == "failed" and report.diagnosis == expected, str(report)


def _scaled_tanh(c: float):
    class Scaled(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return torch.tanh(x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return c * grad * (1 - torch.tanh(x) ** 2)

    return Scaled.apply


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
