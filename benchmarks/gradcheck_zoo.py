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
