"""The bug zoo and the clean traps for gradient checkers (shared by
benchmarks/bench_gradcheck.py and tests/test_gradcheck.py).

Each case is ``(name, kind, factory)`` where ``kind`` is ``'bug'`` (the
gradient is wrong: a checker must alarm) or ``'trap'`` (the gradient is right,
often at a kink or in low precision: a checker must not alarm), and
``factory(n)`` returns ``(fn, inputs)`` with about ``n`` checked elements.
"""

from __future__ import annotations

import numpy as np

# --------------------------------------------------------------------------
# PyTorch
# --------------------------------------------------------------------------


def torch_cases():
    import torch
    import torch.nn.functional as F

    f64 = torch.float64

    def gen(n, seed=0, dtype=f64, shape=None):
        g = torch.Generator().manual_seed(seed)
        return torch.randn(shape or (n,), generator=g, dtype=f64).to(dtype)

    def inject(f, rel, which=0):
        """f with its autodiff gradient for input `which` scaled by (1 + rel)."""

        class Injected(torch.autograd.Function):
            @staticmethod
            def forward(ctx, *args):
                ctx.save_for_backward(*args)
                with torch.no_grad():
                    return f(*args)

            @staticmethod
            def backward(ctx, grad):
                args = [a.detach().requires_grad_(True) for a in ctx.saved_tensors]
                with torch.enable_grad():
                    grads = list(torch.autograd.grad(f(*args), args, grad))
                grads[which] = grads[which] * (1 + rel)
                return tuple(grads)

        return Injected.apply

    def rows(n, width):
        return (max(1, n // width), width)

    W = gen(0, 1, shape=(10, 10))
    W1, b1 = gen(0, 2, shape=(4, 8)), gen(0, 3, shape=(8,))
    W2 = gen(0, 4, shape=(8, 1))

    def swish(x):
        return x * torch.sigmoid(x)

    def matmul(x):
        return x @ W

    def mlp(x):
        return torch.sigmoid(torch.tanh(x @ W1 + b1) @ W2)

    def softmax(x):
        return torch.softmax(x, dim=-1)

    def log_softmax(x):
        return torch.log_softmax(x, dim=-1)

    def layer_norm(x):
        return F.layer_norm(x, (x.shape[-1],))

    smooth = [
        ("elementwise", swish, lambda n: (n,)),
        ("matrix product", matmul, lambda n: rows(n, 10)),
        ("small MLP", mlp, lambda n: rows(n, 4)),
        ("softmax", softmax, lambda n: rows(n, 10)),
        ("log-softmax", log_softmax, lambda n: rows(n, 10)),
        ("layer norm", layer_norm, lambda n: rows(n, 10)),
    ]
    cases = []
    for rel in (1e-2, 1e-4, 1e-6):
        for name, f, shape in smooth:

            def make(n, f=f, rel=rel, shape=shape):
                return inject(f, rel), (gen(n, 5, shape=shape(n)),)

            cases.append((f"{name}, gradient off by {rel:g}", "bug", make))

    class WrongBackward(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return torch.sin(x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * torch.cos(x) * torch.cos(x)  # cos^2, not cos

    class RenormSwap(torch.autograd.Function):
        """Rows with norm > 1 are scaled to norm 1; the backward pass forgets
        the projection term for them (the branch taken in reverse is wrong)."""

        @staticmethod
        def forward(ctx, x):
            norm = x.norm(dim=-1, keepdim=True)
            scale = torch.where(norm > 1, 1 / norm, torch.ones_like(norm))
            ctx.save_for_backward(scale)
            return x * scale

        @staticmethod
        def backward(ctx, grad):
            (scale,) = ctx.saved_tensors
            return grad * scale

    class SortNoUnpermute(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return torch.sort(x).values

        @staticmethod
        def backward(ctx, grad):
            return grad  # should scatter back through the sorting permutation

    class SignFlipOne(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return torch.tanh(x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            out = grad * (1 - torch.tanh(x) ** 2)
            flip = torch.ones_like(out)
            flip.view(-1)[0] = -1
            return out * flip

    class MissingFactor(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * x  # 2 missing

    cases += [
        (
            "custom Function with a wrong backward",
            "bug",
            lambda n: (WrongBackward.apply, (gen(n, 6),)),
        ),
        (
            "renorm-like branch swap",
            "bug",
            lambda n: (RenormSwap.apply, (gen(n, 7, shape=rows(n, 10)) * 0.5,)),
        ),
        (
            "permuted gradient (sort)",
            "bug",
            lambda n: (SortNoUnpermute.apply, (gen(n, 8),)),
        ),
        (
            "sign flip in one element",
            "bug",
            lambda n: (SignFlipOne.apply, (gen(n, 9),)),
        ),
        ("missing factor 2", "bug", lambda n: (MissingFactor.apply, (gen(n, 10),))),
    ]

    def ties(n, seed, shape=None):  # integers: many exact zeros and equal values
        return torch.round(gen(n, seed, shape=shape) * 1.5)

    def maximum_tie(n):
        a = ties(n, 12)
        b = a.clone()
        b.view(-1)[::2] += 1.0
        return torch.maximum, (a.requires_grad_(), b.requires_grad_())

    cases += [
        ("relu at exact zeros", "trap", lambda n: (torch.relu, (ties(n, 11),))),
        ("abs at exact zeros", "trap", lambda n: (torch.abs, (ties(n, 13),))),
        ("maximum(a, b) with a == b", "trap", maximum_tie),
        (
            "max over rows with ties",
            "trap",
            lambda n: (
                lambda x: x.max(dim=-1).values,
                (ties(n, 14, shape=rows(n, 10)),),
            ),
        ),
        (
            "max-pool with equal values",
            "trap",
            lambda n: (
                lambda x: F.max_pool1d(x, 2),
                (ties(n, 15, shape=(1, 1, max(2, n))),),
            ),
        ),
        (
            "small MLP in float32",
            "trap",
            lambda n: (mlp_f32, (gen(n, 16, dtype=torch.float32, shape=rows(n, 4)),)),
        ),
        (
            "matrix product in float32",
            "trap",
            lambda n: (
                lambda x: x @ W.float(),
                (gen(n, 17, dtype=torch.float32, shape=rows(n, 10)),),
            ),
        ),
        (
            "tanh in float16",
            "trap",
            lambda n: (torch.tanh, (gen(n, 18, dtype=torch.float16),)),
        ),
        (
            "softmax in bfloat16",
            "trap",
            lambda n: (
                softmax,
                (gen(n, 19, dtype=torch.bfloat16, shape=rows(n, 10)),),
            ),
        ),
    ]

    def mlp_f32(x):
        return torch.sigmoid(torch.tanh(x @ W1.float() + b1.float()) @ W2.float())

    return cases


# --------------------------------------------------------------------------
# JAX (a subset: injected errors through custom_vjp, kinks, low precision)
# --------------------------------------------------------------------------


def jax_cases():
    import jax
    import jax.numpy as jnp

    def gen(n, seed, dtype=np.float32):
        return jnp.asarray(np.random.default_rng(seed).standard_normal(n).astype(dtype))

    def injected(rel):
        @jax.custom_vjp
        def f(x):
            return x * jax.nn.sigmoid(x)

        def fwd(x):
            return f(x), x

        def bwd(x, g):
            s = jax.nn.sigmoid(x)
            return (g * (s + x * s * (1 - s)) * (1 + rel),)

        f.defvjp(fwd, bwd)
        return f

    cases = []
    for rel in (1e-2, 1e-4, 1e-6):
        cases.append(
            (
                f"elementwise, gradient off by {rel:g}",
                "bug",
                lambda n, rel=rel: (injected(rel), (gen(n, 5, np.float64),)),
            )
        )

    def ties(n, seed):
        return jnp.asarray(
            np.round(np.random.default_rng(seed).standard_normal(n) * 1.5)
        )

    cases += [
        ("relu at exact zeros", "trap", lambda n: (jax.nn.relu, (ties(n, 11),))),
        ("abs at exact zeros", "trap", lambda n: (jnp.abs, (ties(n, 13),))),
        (
            "maximum(a, b) with a == b",
            "trap",
            lambda n: (jnp.maximum, (ties(n, 12), ties(n, 12))),
        ),
        ("tanh in float32", "trap", lambda n: (jnp.tanh, (gen(n, 18),))),
        ("tanh in float16", "trap", lambda n: (jnp.tanh, (gen(n, 18, np.float16),))),
    ]
    return cases


# --------------------------------------------------------------------------
# Bugs by class: what check_grad's diagnosis must name
# --------------------------------------------------------------------------

#: The class each bug of torch_cases() and jax_cases() belongs to, where it has
#: one: an injected (1 + rel) factor is a scale; cos² for cos has no class.
ZOO_CLASSES = {
    "gradient off by": "scale",
    "missing factor 2": "scale",
    "permuted gradient (sort)": "permuted",
    "sign flip in one element": "wrong_elements",
    "custom Function with a wrong backward": "no_known_pattern",
}


def zoo_class(name: str) -> str | None:
    return next((k for part, k in ZOO_CLASSES.items() if part in name), None)


def torch_diagnosis_cases():
    """(name, expected diagnosis, factory) for PyTorch: two or more custom
    autograd Functions per class, old style (ctx in forward) and new style
    (setup_context), plus right functions nondeterministic at 1e-13 (kind
    'nondeterministic', expected None: they must pass)."""
    import torch

    f64 = torch.float64

    def gen(shape, seed):
        g = torch.Generator().manual_seed(seed)
        return torch.randn(shape, generator=g, dtype=f64)

    def function(forward, backward, new_style=False):
        """A custom autograd Function from forward(*xs) and
        backward(grad, *xs) -> gradients."""
        if new_style:

            class New(torch.autograd.Function):
                @staticmethod
                def forward(*xs):
                    return forward(*xs)

                @staticmethod
                def setup_context(ctx, inputs, output):
                    ctx.save_for_backward(*inputs)

                @staticmethod
                def backward(ctx, grad):
                    return backward(grad, *ctx.saved_tensors)

            return New.apply

        class Old(torch.autograd.Function):
            @staticmethod
            def forward(ctx, *xs):
                ctx.save_for_backward(*xs)
                return forward(*xs)

            @staticmethod
            def backward(ctx, grad):
                return backward(grad, *ctx.saved_tensors)

        return Old.apply

    W = gen((5, 5), 41)
    noisy = torch.Generator().manual_seed(99)

    def jitter(t):
        """t times (1 + 1e-13 noise): a nondeterministic but right value."""
        z = torch.randn(t.shape, generator=noisy, dtype=f64)
        return t * (1 + 1e-13 * z)

    def case(forward, backward, shapes, new_style=False, seed=40):
        def make(n):
            inputs = tuple(gen(s(n), seed + k) for k, s in enumerate(shapes))
            return function(forward, backward, new_style), inputs

        return make

    vec = [lambda n: (n,)]
    square = [lambda n: (5, 5)]  # W's size, whatever n
    two = [lambda n: (n,), lambda n: (n,)]
    return [
        ("sign: sin", "sign", case(torch.sin, lambda g, x: -g * torch.cos(x), vec)),
        (
            "sign: tanh (setup_context)",
            "sign",
            case(torch.tanh, lambda g, x: -g * (1 - torch.tanh(x) ** 2), square, True),
        ),
        (
            "scale: x^2 without its 2",
            "scale",
            case(lambda x: x * x, lambda g, x: g * x, vec),
        ),
        (
            "scale: exp times 3 (setup_context)",
            "scale",
            case(torch.exp, lambda g, x: 3 * g * torch.exp(x), vec, True),
        ),
        (
            "transpose: x @ W",
            "transpose",
            case(lambda m: m @ W, lambda g, m: (g @ W.T).T, square),
        ),
        (
            "transpose: W @ x, operands' roles swapped",
            "transpose",
            case(lambda m: W @ m, lambda g, m: g.T @ W, square),
        ),
        (
            "swapped inputs: a * sin(b)",
            "swapped_inputs",
            case(
                lambda a, b: a * torch.sin(b),
                lambda g, a, b: (g * a * torch.cos(b), g * torch.sin(b)),
                two,
            ),
        ),
        (
            "swapped inputs: a * exp(b) (setup_context)",
            "swapped_inputs",
            case(
                lambda a, b: a * torch.exp(b),
                lambda g, a, b: (g * a * torch.exp(b), g * torch.exp(b)),
                two,
                True,
            ),
        ),
        (
            "permuted: sort without unpermuting",
            "permuted",
            case(lambda x: torch.sort(x).values, lambda g, x: g, vec),
        ),
        (
            "permuted: flip without flipping back",
            "permuted",
            case(
                lambda x: torch.flip(x, (0,)) * x.sum(),
                lambda g, x: g * x.sum() + (g * torch.flip(x, (0,))).sum(),
                vec,
            ),
        ),
        (
            "wrong elements: the first element's sign",
            "wrong_elements",
            case(
                torch.tanh,
                lambda g, x: (
                    g
                    * (1 - torch.tanh(x) ** 2)
                    * torch.where(torch.arange(x.numel()) == 0, -1.0, 1.0).to(f64)
                ),
                vec,
            ),
        ),
        (
            "wrong elements: row 0 scaled",
            "wrong_elements",
            case(
                torch.sin,
                lambda g, x: (
                    g
                    * torch.cos(x)
                    * torch.where(torch.arange(x.shape[0])[:, None] == 0, 1.5, 1.0).to(
                        f64
                    )
                ),
                square,
            ),
        ),
        (
            "not differentiable here: relu's backward 2 at 0",
            "not_differentiable_here",
            lambda n: (
                function(
                    torch.relu,
                    lambda g, x: (
                        g * torch.where(x > 0, 1.0, torch.where(x == 0, 2.0, 0.0))
                    ),
                ),
                (torch.round(gen((n,), 43)),),
            ),
        ),
        (
            "not differentiable here: abs's backward 3 at 0 (setup_context)",
            "not_differentiable_here",
            lambda n: (
                function(
                    torch.abs,
                    lambda g, x: g * torch.where(x == 0, 3.0, torch.sign(x)),
                    True,
                ),
                (torch.round(gen((n,), 44)),),
            ),
        ),
        (
            "zero: sin of a detached input",
            "zero",
            lambda n: (lambda x: torch.sin(x.detach()) + 0 * x, (gen((n,), 45),)),
        ),
        (
            "zero: a backward pass that returns None",
            "zero",
            case(torch.exp, lambda g, x: None, vec, True),
        ),
        (
            "ignores grad_output: a scalar loss",
            "ignores_grad_output",
            case(lambda x: (x * x).sum(), lambda g, x: 2 * x, vec),
        ),
        (
            "ignores grad_output: sin (setup_context)",
            "ignores_grad_output",
            case(torch.sin, lambda g, x: torch.cos(x), vec, True),
        ),
        (
            "nonlinear in grad_output: g squared",
            "nonlinear_in_grad_output",
            case(torch.sin, lambda g, x: g * g * torch.cos(x), vec),
        ),
        (
            "nonlinear in grad_output: a term without g",
            "nonlinear_in_grad_output",
            case(torch.sin, lambda g, x: g * torch.cos(x) + x * x, vec),
        ),
        (
            "nondeterministic, right: backward at 1e-13",
            None,
            case(torch.sin, lambda g, x: jitter(g * torch.cos(x)), vec),
        ),
        (
            "nondeterministic, right: forward and backward at 1e-13",
            None,
            case(
                lambda x: jitter(torch.sin(x)),
                lambda g, x: jitter(g * torch.cos(x)),
                vec,
            ),
        ),
        (
            "nondeterministic, wrong: backward 1.01 times, at 1e-13",
            "scale",
            case(torch.sin, lambda g, x: jitter(1.01 * g * torch.cos(x)), vec),
        ),
    ]


def jax_diagnosis_cases():
    """(name, expected diagnosis, factory) for JAX, through custom_vjp: two
    or more per class."""
    import jax
    import jax.numpy as jnp

    def custom(forward, backward):
        @jax.custom_vjp
        def f(*xs):
            return forward(*xs)

        def fwd(*xs):
            return forward(*xs), xs

        def bwd(xs, g):
            out = backward(g, *xs)
            return out if isinstance(out, tuple) else (out,)

        f.defvjp(fwd, bwd)
        return f

    def gen(shape, seed):
        return jnp.asarray(np.random.default_rng(seed).standard_normal(shape))

    W = gen((4, 4), 51)

    def case(forward, backward, shapes, seed=50):
        def make(n):
            inputs = tuple(gen(s(n), seed + k) for k, s in enumerate(shapes))
            return custom(forward, backward), inputs

        return make

    vec = [lambda n: (n,)]
    square = [lambda n: (4, 4)]
    two = [lambda n: (n,), lambda n: (n,)]
    return [
        ("sign: sin", "sign", case(jnp.sin, lambda g, x: -g * jnp.cos(x), vec)),
        (
            "sign: tanh",
            "sign",
            case(jnp.tanh, lambda g, x: -g * (1 - jnp.tanh(x) ** 2), vec),
        ),
        (
            "scale: x^2 without its 2",
            "scale",
            case(lambda x: x * x, lambda g, x: g * x, vec),
        ),
        (
            "scale: exp times 3",
            "scale",
            case(jnp.exp, lambda g, x: 3 * g * jnp.exp(x), vec),
        ),
        (
            "transpose: x @ W",
            "transpose",
            case(lambda m: m @ W, lambda g, m: (g @ W.T).T, square),
        ),
        (
            "transpose: W @ x",
            "transpose",
            case(lambda m: W @ m, lambda g, m: g.T @ W, square),
        ),
        (
            "swapped inputs: a * sin(b)",
            "swapped_inputs",
            case(
                lambda a, b: a * jnp.sin(b),
                lambda g, a, b: (g * a * jnp.cos(b), g * jnp.sin(b)),
                two,
            ),
        ),
        (
            "swapped inputs: a * exp(b)",
            "swapped_inputs",
            case(
                lambda a, b: a * jnp.exp(b),
                lambda g, a, b: (g * a * jnp.exp(b), g * jnp.exp(b)),
                two,
            ),
        ),
        (
            "permuted: sort without unpermuting",
            "permuted",
            case(jnp.sort, lambda g, x: g, vec),
        ),
        (
            "permuted: flip without flipping back",
            "permuted",
            case(
                lambda x: jnp.flip(x) * jnp.sum(x),
                lambda g, x: g * jnp.sum(x) + jnp.sum(g * jnp.flip(x)),
                vec,
            ),
        ),
        (
            "wrong elements: the first element's sign",
            "wrong_elements",
            case(
                jnp.tanh,
                lambda g, x: (
                    g
                    * (1 - jnp.tanh(x) ** 2)
                    * jnp.where(jnp.arange(x.size) == 0, -1.0, 1.0)
                ),
                vec,
            ),
        ),
        (
            "wrong elements: row 0 scaled",
            "wrong_elements",
            case(
                jnp.sin,
                lambda g, x: (
                    g * jnp.cos(x) * jnp.where(jnp.arange(4)[:, None] == 0, 1.5, 1.0)
                ),
                square,
            ),
        ),
        (
            "not differentiable here: relu's backward 2 at 0",
            "not_differentiable_here",
            lambda n: (
                custom(
                    jax.nn.relu,
                    lambda g, x: g * jnp.where(x > 0, 1.0, jnp.where(x == 0, 2.0, 0.0)),
                ),
                (jnp.round(gen((n,), 56)),),
            ),
        ),
        (
            "not differentiable here: abs's backward 3 at 0",
            "not_differentiable_here",
            lambda n: (
                custom(jnp.abs, lambda g, x: g * jnp.where(x == 0, 3.0, jnp.sign(x))),
                (jnp.round(gen((n,), 57)),),
            ),
        ),
        (
            "zero: a backward pass that returns zeros",
            "zero",
            case(jnp.sin, lambda g, x: 0.0 * g, vec),
        ),
        (
            "zero: sin of a stopped input",
            "zero",
            lambda n: (
                lambda x: jnp.sin(jax.lax.stop_gradient(x)) + 0 * x,
                (gen((n,), 58),),
            ),
        ),
        (
            "nonlinear in grad_output: g squared",
            "nonlinear_in_grad_output",
            case(jnp.sin, lambda g, x: g * g * jnp.cos(x), vec),
        ),
        (
            "nonlinear in grad_output: a term without g",
            "nonlinear_in_grad_output",
            case(jnp.sin, lambda g, x: g * jnp.cos(x) + x * x, vec),
        ),
        (
            "ignores grad_output: a scalar loss",
            "ignores_grad_output",
            case(lambda x: jnp.sum(x * x), lambda g, x: 2 * x, vec),
        ),
        (
            "ignores grad_output: sin",
            "ignores_grad_output",
            case(jnp.sin, lambda g, x: jnp.cos(x), vec),
        ),
    ]
