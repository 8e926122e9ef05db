"""dfdx.check_grad: the bug zoo is caught, the traps pass, reports point at the
right element, dtypes and modules are handled, bad input is refused."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import dfdx
from dfdx.errors import DfdxError

torch = pytest.importorskip("torch", reason="PyTorch (the torch extra) not installed")

import gradcheck_zoo  # noqa: E402  (benchmarks/, on pytest's pythonpath)

TORCH_CASES = gradcheck_zoo.torch_cases()


@pytest.mark.parametrize("n", [10, 200])
@pytest.mark.parametrize("mode", ["full", "directional"])
@pytest.mark.parametrize("case", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_zoo(case, mode, n, roomy_time_limit):
    name, kind, make = case
    fn, inputs = make(n)
    report = dfdx.check_grad(fn, *inputs, mode=mode)
    if kind == "bug":
        assert report.status == "failed", str(report)
        assert not report
    elif mode == "full":
        assert report.status == "passed", str(report)
        assert report
    else:  # a direction through bfloat16 may be too coarse to judge: never an alarm
        assert report.status in ("passed", "inconclusive"), str(report)


@pytest.mark.parametrize("seed", range(1, 6))
def test_traps_other_seeds(seed, roomy_time_limit):
    for name, kind, make in TORCH_CASES:
        if kind != "trap":
            continue
        fn, inputs = make(100)
        for mode in ("full", "directional"):
            report = dfdx.check_grad(fn, *inputs, mode=mode, seed=seed)
            assert report.status != "failed", f"{name}, {mode}:\n{report}"


def test_report_names_the_wrong_element():
    class FlipOne(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return 3 * x

        @staticmethod
        def backward(ctx, grad):
            out = 3 * grad.clone()
            out[1, 2] = -out[1, 2]
            return out

    x = torch.randn(3, 4, dtype=torch.float64)
    report = dfdx.check_grad(FlipOne.apply, x)
    assert report.counts == {"ok": 11, "kink": 0, "FAIL": 1, "inconclusive": 0}
    worst = report.worst[0]
    assert (worst.input, worst.index, worst.verdict) == ("input", (1, 2), "FAIL")
    assert worst.autodiff == pytest.approx(-worst.numerical, rel=1e-9)
    text = str(report)
    assert "FAILED" in text and "input[1, 2]" in text
    assert "input[1, 2]" in report._repr_html_() or "1, 2" in report._repr_html_()


def test_injected_relative_error_1e6_is_caught_and_exact_gradient_passes():
    x = torch.linspace(-2, 2, 50, dtype=torch.float64)
    good = dfdx.check_grad(torch.sin, x)
    assert good.passed and good.counts["ok"] == 50
    assert good.resolution < 1e-7

    class Off(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return torch.sin(x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * torch.cos(x) * (1 + 1e-6)

    bad = dfdx.check_grad(Off.apply, x)
    assert bad.status == "failed"
    # elements where cos(x) is not tiny must all fail
    assert bad.counts["FAIL"] >= 45


def test_kink_report_says_subgradient():
    x = torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64)
    report = dfdx.check_grad(torch.relu, x)
    assert report.passed
    assert report.counts["kink"] == 1
    (row,) = report.kinks
    assert row.index == (1,)
    assert sorted([row.left, row.right]) == pytest.approx(sorted([0.0, row.right]))
    assert "kink at input[1] = 0: one-sided slopes" in str(report)
    assert "a valid subgradient" in str(report)


def test_wrong_value_at_a_kink_is_not_a_subgradient():
    class BadRelu(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return torch.relu(x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * torch.where(x > 0, 1.0, torch.where(x == 0, 3.0, 0.0))

    x = torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
    report = dfdx.check_grad(BadRelu.apply, x)
    assert report.status == "failed"
    assert "NOT a subgradient" in str(report)


def test_kink_near_but_not_at_the_point_is_judged_smooth():
    # relu at 1e-9: differentiable there (slope 1); a wrong 0.5 must fail
    class Half(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return torch.relu(x)

        @staticmethod
        def backward(ctx, grad):
            return grad * 0.5

    x = torch.tensor([1e-9], dtype=torch.float64)
    assert dfdx.check_grad(torch.relu, x).passed
    assert dfdx.check_grad(Half.apply, x).status == "failed"


@pytest.mark.parametrize(
    "dtype,eps",
    [(torch.float32, 2**-23), (torch.float16, 2**-10), (torch.bfloat16, 2**-7)],
)
def test_low_precision_against_float64(dtype, eps):
    x = torch.randn(64, generator=torch.Generator().manual_seed(0)).to(dtype)
    report = dfdx.check_grad(torch.tanh, x)
    assert report.passed, str(report)
    assert any("reference evaluated in float64" in n for n in report.notes)
    assert report.resolution < 64 * eps
    # an error of 30 eps-resolutions is caught even in low precision
    rel = max(0.05, 200 * eps)

    class Off(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return torch.tanh(x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * (1 - torch.tanh(x) ** 2) * (1 + rel)

    assert dfdx.check_grad(Off.apply, x).status == "failed"


def test_function_that_refuses_float64_is_checked_in_its_dtype_and_says_so():
    W = torch.randn(5, 3, generator=torch.Generator().manual_seed(1))  # float32

    def f(x):
        return torch.tanh(x @ W)

    x = torch.randn(4, 5, generator=torch.Generator().manual_seed(2))
    report = dfdx.check_grad(f, x)
    assert report.status == "passed", str(report)
    assert any("cannot be evaluated in float64" in n for n in report.notes)


def test_module_parameters_and_selection():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)
    )
    x = torch.randn(5, 3)
    report = dfdx.check_grad(model, x)
    assert report.passed
    assert [s.split()[0] for s in report.inputs] == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
    ]
    only = dfdx.check_grad(model, x, params=["2.bias"])
    assert only.passed and only.inputs == ["2.bias (2,) float32"]
    assert sum(only.counts.values()) == 2
    with pytest.raises(DfdxError, match="no parameter 'nope'"):
        dfdx.check_grad(model, x, params=["nope"])
    # the user's module is untouched: still float32, no .grad accumulated
    assert model[0].weight.dtype == torch.float32
    assert model[0].weight.grad is None


def test_module_with_a_wrong_parameter_gradient():
    class Scale(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(x, w)
            return x * w

        @staticmethod
        def backward(ctx, grad):
            x, w = ctx.saved_tensors
            return grad * w, (grad * x).sum(0) * 1.01  # weight gradient off by 1 %

    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(
                torch.linspace(0.5, 1.5, 4, dtype=torch.float64)
            )

        def forward(self, x):
            return Scale.apply(x, self.w)

    x = torch.randn(3, 4, dtype=torch.float64)
    report = dfdx.check_grad(M(), x)
    assert report.status == "failed"
    assert {r.input for r in report.worst if r.verdict == "FAIL"} == {"w"}


def test_directional_call_count_does_not_grow_with_size():
    counts = []
    for n in (10, 1000, 100_000):
        x = torch.randn(
            n, dtype=torch.float64, generator=torch.Generator().manual_seed(3)
        )
        report = dfdx.check_grad(torch.tanh, x, mode="directional")
        assert report.passed
        counts.append(report.nfev)
    assert counts[0] == counts[1] == counts[2] <= 8


def test_tuple_outputs_and_several_inputs():
    def f(a, b):
        return a * b, torch.sin(a) + b**2

    a = torch.randn(4, dtype=torch.float64, requires_grad=True)
    b = torch.randn(4, dtype=torch.float64, requires_grad=True)
    report = dfdx.check_grad(f, a, b)
    assert report.passed
    assert [s.split(" (")[0] for s in report.inputs] == ["input 0", "input 1"]
    # only the inputs with requires_grad are checked when some have it
    c = torch.randn(4, dtype=torch.float64)
    assert len(dfdx.check_grad(f, a, c).inputs) == 1


def test_raise_on_failure():
    class Wrong(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(dfdx.GradCheckError, match="gradient check FAILED") as info:
        dfdx.check_grad(
            Wrong.apply, torch.ones(3, dtype=torch.float64), raise_on_failure=True
        )
    assert info.value.report.counts["FAIL"] == 3


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"mode": "fast"}, "mode must be"),
        ({"rtol": -1.0}, "rtol must be a non-negative finite number, got -1.0"),
        ({"atol": float("nan")}, "atol must be a non-negative finite number, got nan"),
        ({"probes": 0}, "probes must be an integer"),
        ({"backend": "tensorflow"}, "backend must be"),
        ({"seed": 1.5}, "seed must be an integer"),
    ],
)
def test_bad_options(kwargs, match):
    with pytest.raises(DfdxError, match=match):
        dfdx.check_grad(torch.sin, torch.ones(2, dtype=torch.float64), **kwargs)


def test_bad_functions_and_inputs():
    x = torch.ones(3, dtype=torch.float64)
    with pytest.raises(DfdxError, match="different values for the same input"):
        dfdx.check_grad(lambda t: torch.nn.functional.dropout(t, 0.5), torch.ones(100))
    with pytest.raises(DfdxError, match="raised RuntimeError"):
        dfdx.check_grad(lambda t: t @ torch.ones(7, dtype=torch.float64), x)
    with pytest.raises(DfdxError, match="nothing to check"):
        dfdx.check_grad(lambda t: t.double(), torch.arange(3))
    with pytest.raises(DfdxError, match="cannot tell the framework"):
        dfdx.check_grad(np.sin, np.ones(3))
    with pytest.raises(DfdxError, match="must return a floating tensor"):
        dfdx.check_grad(lambda t: "no", x)
    with pytest.raises(DfdxError, match="not finite"):
        dfdx.check_grad(torch.log, -x)
    # outputs that are inf/nan at some elements: the rest is still checked
    report = dfdx.check_grad(
        torch.log, torch.tensor([-1.0, 2.0, 3.0], dtype=torch.float64)
    )
    assert report.passed
    assert any("1 output element is not finite" in n for n in report.notes)


def test_slow_full_check_is_refused_within_the_time_limit():
    import time

    def slow(t):
        time.sleep(0.002)
        return torch.sin(t)

    old = dfdx.set_time_limit(1)
    try:
        with pytest.raises(DfdxError, match="mode='directional'"):
            dfdx.check_grad(slow, torch.ones(5000, dtype=torch.float64))
        assert dfdx.check_grad(
            slow, torch.ones(5000, dtype=torch.float64), mode="directional"
        )
    finally:
        dfdx.set_time_limit(old)


def test_missing_backend_says_what_to_install(monkeypatch):
    real = importlib.util.find_spec

    def fake(name, *args, **kwargs):
        return None if name == "jax" else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", fake)
    with pytest.raises(DfdxError, match=r"pip install 'dfdx\[jax\]'") as info:
        dfdx.check_grad(np.sin, np.ones(2), backend="jax")
    assert "\n" not in str(info.value)


def test_jax_backend():
    jax = pytest.importorskip("jax", reason="JAX (the jax extra) not installed")
    import jax.numpy as jnp

    for name, kind, make in gradcheck_zoo.jax_cases():
        fn, inputs = make(50)
        report = dfdx.check_grad(fn, *inputs)
        if kind == "trap":
            assert report.passed, f"{name}\n{report}"
    # float64 with x64 on: a 1e-6 relative error is caught
    from dfdx._grad_backends import _x64

    with _x64(jax):
        fn, inputs = gradcheck_zoo.jax_cases()[2][2](50)
        x = jnp.asarray(np.linspace(-2, 2, 50))
        assert x.dtype == jnp.float64
        assert dfdx.check_grad(fn, x).status == "failed"
        assert dfdx.check_grad(jnp.tanh, x).passed
    # float32 without x64: the reference is still float64
    report = dfdx.check_grad(jnp.tanh, jnp.linspace(-2, 2, 20))
    assert report.passed
    assert any("reference evaluated in float64" in n for n in report.notes)


def test_degenerate_inputs():
    with pytest.raises(DfdxError, match="no elements"):
        dfdx.check_grad(torch.sin, torch.zeros(0, dtype=torch.float64))
    with pytest.raises(DfdxError, match="inf or nan"):
        dfdx.check_grad(torch.sin, torch.tensor([float("nan")], dtype=torch.float64))
    # a 0-d input is one element
    assert (
        sum(
            dfdx.check_grad(
                torch.sin, torch.tensor(0.5, dtype=torch.float64)
            ).counts.values()
        )
        == 1
    )
    # inf/nan input elements are left out (said), the others are checked
    x = torch.tensor([float("nan"), 1.0, float("inf"), -2.0], dtype=torch.float64)
    for mode in ("full", "directional"):
        report = dfdx.check_grad(torch.tanh, x, mode=mode)
        assert report.passed, str(report)
        assert any("2 input elements are inf or nan" in n for n in report.notes)
    assert sum(dfdx.check_grad(torch.tanh, x).counts.values()) == 2
    # an infinite autodiff value (sqrt at 0) is never "ok"
    report = dfdx.check_grad(torch.sqrt, torch.tensor([0.0, 1.0], dtype=torch.float64))
    assert report.status == "inconclusive"


def test_no_warnings_on_extreme_values():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for mode in ("full", "directional"):
            dfdx.check_grad(
                torch.exp, torch.tensor([700.0, 1.0], dtype=torch.float64), mode=mode
            )
