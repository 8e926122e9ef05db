"""The symbolic gradient by reverse accumulation (issue 23, part 2): every
entry against SymPy's own per-variable ``diff`` (real variables) at random
points to 30 digits; the entries share their subexpressions; the named
intermediates (text, LaTeX, generated NumPy code) against the gradient's
values and PyTorch autograd."""

from __future__ import annotations

import random
import subprocess
import sys

import numpy as np
import pytest
import sympy
from bench_scale import mlp_loss
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.strategies import expressions

import dfdx
from dfdx.exact.reverse import reverse_gradient, shared_subexpressions
from dfdx.exact.symbols import real_symbols
from dfdx.several import multivariate
from dfdx.text._numbers import distinct_nodes
from dfdx.text.expr import as_expression
from dfdx.text.functions import real_diff, relu, sigmoid, softplus

X, Y, Z = sympy.symbols("x y z")


def value(expr, point):
    """expr at `point` to 30 digits, or None where it has no finite real
    value."""
    try:
        v = sympy.N(expr.xreplace(point), 30)
    except (TypeError, ValueError, ZeroDivisionError):  # pragma: no cover
        return None
    if not (v.is_number and v.is_real and v.is_finite):
        return None
    return v


def same_function(a, b, symbols, seed: int, points: int = 3, domain=None) -> None:
    """a and b agree to 30 digits at random points (40-digit floats, not far
    from rationals with large denominators, so no kink is hit by chance; not
    exact rationals, whose powers in exact arithmetic can take minutes);
    undefined at the same ones. Points outside `domain` (the typed
    function's) are skipped: |√x| is no function of x < 0, although SymPy
    gives it values there, and the two forms may differ there."""
    rnd = random.Random(seed)
    for _ in range(points):
        pt = {
            s: sympy.Float(sympy.Rational(rnd.randint(-9973, 9973), 2039), 40)
            for s in symbols
        }
        if domain is not None and domain.contains(pt) is False:
            continue
        va, vb = value(a, pt), value(b, pt)
        assert (va is None) == (vb is None), (a, b, pt, va, vb)
        if va is not None:
            assert abs(va - vb) <= sympy.Float("1e-25", 30) * (1 + abs(vb)), (
                a,
                b,
                pt,
            )


_UNARY = [
    sympy.sin,
    sympy.exp,
    sympy.tanh,
    sympy.Abs,
    sympy.sqrt,
    sigmoid,
    relu,
    softplus,
    lambda u: sympy.log(u**2 + 1),
    lambda u: u if u.is_number else sympy.Max(u, 0) + sympy.Min(u, 1),
]


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(
    expressions(
        [X, Y, Z, X, sympy.Integer(2), sympy.Rational(-3, 7)],
        _UNARY,
        [2, 3, -1, sympy.Rational(1, 2), Y],
        max_leaves=8,
    ),
    st.integers(0, 10**6),
)
def test_every_entry_equals_the_per_variable_derivative(e, seed):
    symbols = [X, Y, Z]
    got = reverse_gradient(e, symbols)
    domain = as_expression(e).domain
    for s, d in zip(symbols, got, strict=True):
        same_function(d, per_variable(e, s), symbols, seed, domain=domain)


def per_variable(e, s):
    """dfdx's per-variable derivative: real_diff over real symbols, mapped
    back (the parser's abs(exp(x)) is SymPy's exp(re(x)) over plain x)."""
    real, back = real_symbols(e)
    forward = {v: k for k, v in back.items()}
    return real_diff(real, forward.get(s, s)).xreplace(back)


@pytest.mark.parametrize("size", [(2, 4), (4, 16)])
def test_a_network_gradient_equals_sympy_diff_at_30_digits(size):
    e = dfdx.parse(mlp_loss(*size))
    g = dfdx.gradient(e)
    symbols = sorted(e.sympy.free_symbols, key=str)
    assert g.variables == e.variables and len(g) == len(symbols)
    # every entry of the small one; every 9th of the larger (30-digit values
    # of SymPy's per-variable derivatives are what takes the time)
    step = 1 if size == (2, 4) else 9
    for k in range(0, len(g), step):
        v, c = g.variables[k], g.components[k]
        same_function(c.sympy, sympy.diff(e.sympy, sympy.Symbol(v)), symbols, k, 2)


def test_large_gradients_take_the_reverse_sweep(monkeypatch):
    calls = []
    real = multivariate._reverse_partials

    def spy(expr, names):
        calls.append(len(names))
        return real(expr, names)

    monkeypatch.setattr(multivariate, "_reverse_partials", spy)
    sympy.core.cache.clear_cache()
    dfdx.gradient(mlp_loss(4, 16))
    assert calls == [102]
    calls.clear()
    assert str(dfdx.gradient("3x1^2 + 5exp(x2)")) == "[6*x1, 5*exp(x2)]"
    assert calls == []  # small ones keep SymPy's per-variable forms


def test_the_entries_share_their_subexpressions():
    """The cheap-gradient principle, counted rather than timed: all 168
    entries of a 4-27-1 loss together hold a small multiple of f's distinct
    nodes (168 separate derivatives would hold about 168 times as many)."""
    e = dfdx.parse(mlp_loss(4, 27))
    symbols = sorted(e.sympy.free_symbols, key=str)
    entries = reverse_gradient(e.sympy, symbols)
    together = set()
    for d in entries:
        together.update(distinct_nodes(d))
    assert len(together) <= 4 * len(set(distinct_nodes(e.sympy)))


@pytest.mark.parametrize(
    "text",
    [
        "abs(x - y) + max(x, y, z)*relu(z - 1) + x*y*z",
        "x^x + y^(1/3) + sqrt(x^2 + y^2 + z^2)",
        "logsumexp(x, y, z) + softplus(x*y) - ln(1 + z^2)",
        "abs(exp(x)) + abs(x*y)^2 + sqrt(z^2)",
        sympy.Piecewise((X**2, X < Y), (Y * Z, True)) + sympy.exp(X * Y),
    ],
)
def test_pieces_and_roots_match_the_per_variable_path(text):
    e = as_expression(text)
    symbols = [e.symbol(v) for v in e.variables]
    for s, d in zip(symbols, reverse_gradient(e.sympy, symbols), strict=True):
        same_function(d, per_variable(e.sympy, s), symbols, 7, 4, e.domain)


def test_a_kink_reads_as_sign_zero_on_both_paths():
    e = dfdx.parse("abs(x - y)*z + z")
    symbols = [e.symbol(v) for v in e.variables]
    at = {symbols[0]: 1, symbols[1]: 1, symbols[2]: 2}
    for s, d in zip(symbols, reverse_gradient(e.sympy, symbols), strict=True):
        assert d.xreplace(at) == per_variable(e.sympy, s).xreplace(at)


def test_a_variable_f_does_not_use_gets_zero():
    assert reverse_gradient(X * Y, [X, Z, Y]) == [Y, 0, X]
    assert reverse_gradient(X, [X]) == [1]
    assert reverse_gradient(sympy.Integer(3), [X]) == [0]


# --- named intermediates ---------------------------------------------------


def test_intermediates_skip_the_users_names():
    named, entries = shared_subexpressions(
        [sympy.sin(X) ** 2 * Y, sympy.sin(X) ** 2 * Z], {"g1", "x", "y", "z"}
    )
    assert [str(n) for n, _ in named] == ["g2"]
    assert entries == [sympy.Symbol("g2") * Y, sympy.Symbol("g2") * Z]


def substituted(shared) -> list[sympy.Expr]:
    """The entries with every intermediate put back."""
    back: dict = {}
    for name, e in shared.intermediates:
        back[sympy.Symbol(name)] = e.sympy.xreplace(back)
    return [e.sympy.xreplace(back) for e in shared.entries]


def test_the_shared_form_is_the_gradient():
    e = dfdx.parse(mlp_loss(2, 4))
    g = dfdx.gradient(e)
    sg = g.shared()
    assert len(sg.intermediates) > 5
    symbols = sorted(e.sympy.free_symbols, key=str)
    for a, b in zip(substituted(sg), g.components, strict=True):
        same_function(a, b.sympy, symbols, 3, 1)
    text = sg.to_text()
    assert text.splitlines()[1] == "where"
    assert "g1 = tanh(b1 + w1_1·x1 + w1_2·x2)" in text
    assert "∂f/∂w1_1 = " in text
    assert sg.latex.startswith(r"\begin{aligned}g_{1} &= \tanh")
    assert sg.to_dict()["gradient"][0] == str(sg.entries[0])


def test_generated_code_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    e = dfdx.parse(mlp_loss(4, 16))
    g = dfdx.gradient(e)
    namespace: dict = {}
    exec(g.shared().to_code("grad_loss"), namespace)
    rnd = np.random.default_rng(5)
    point = {v: float(rnd.uniform(-1, 1)) for v in e.variables}
    got = namespace["grad_loss"](**point)
    tensors = {
        v: torch.tensor(x, dtype=torch.float64, requires_grad=True)
        for v, x in point.items()
    }
    xs = [tensors[f"x{i}"] for i in range(1, 5)]
    total = tensors["c"]
    for j in range(1, 17):
        z = (
            sum(tensors[f"w{j}_{i}"] * xs[i - 1] for i in range(1, 5))
            + tensors[f"b{j}"]
        )
        total = total + tensors[f"v{j}"] * torch.tanh(z)
    loss = (torch.sigmoid(total) - tensors["t"]) ** 2
    loss.backward()
    want = np.array([tensors[v].grad.item() for v in g.variables])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(got, g.at(point), rtol=1e-12, atol=1e-14)


def test_generated_code_survives_names_of_modules_and_arrays():
    g = dfdx.gradient("np*functools*relu(g1) + sigmoid(np)")
    code = g.shared().to_code()
    namespace: dict = {}
    exec(code, namespace)
    fn = namespace["grad_f"]
    got = fn(functools=2.0, g1=np.array([-1.0, 3.0]), np=0.5)
    want = np.array([g.at({"functools": 2, "g1": v, "np": 0.5}) for v in (-1.0, 3.0)]).T
    np.testing.assert_allclose(got, want, rtol=1e-14)
    with pytest.raises(dfdx.DfdxError, match="is a variable of f"):
        g.shared().to_code("np")
    with pytest.raises(dfdx.DfdxError, match="Python function name"):
        g.shared().to_code("def")


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "dfdx", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_shared_and_code():
    text = "(sigmoid(w1*x1 + w2*x2) - t)^2"
    out = run_cli("grad", text, "--shared")
    assert out.returncode == 0, out.stderr
    assert "  g1 = sigmoid(w1·x1 + w2·x2)" in out.stdout
    assert "∂f/∂w1 = g3·x1" in out.stdout
    code = run_cli("grad", text, "--code")
    assert code.returncode == 0, code.stderr
    namespace: dict = {}
    exec(code.stdout, namespace)
    point = {"t": 1.0, "w1": 0.5, "w2": -0.25, "x1": 2.0, "x2": 1.0}
    want = dfdx.gradient(text, at=point)
    np.testing.assert_allclose(namespace["grad_f"](**point), want, rtol=1e-14)
    bad = run_cli("grad", text, "--code", "--at", "t=1")
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr and "--at" in bad.stderr
