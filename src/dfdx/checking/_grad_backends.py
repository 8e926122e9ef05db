"""The frameworks behind :func:`dfdx.check_grad`: PyTorch and JAX.

A backend turns the user's function and inputs into a *target*: the checked
tensors as flat float64 NumPy arrays, their autodiff vector-Jacobian product
(computed by the framework, in the user's dtype), and a scalar function
``g(θ) = <v, fn(θ)>`` evaluated in float64 where the function allows it. The
checking algorithm (:mod:`dfdx.checking.gradcheck`) sees only targets, never tensors.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from dfdx.core._timelimit import user_code
from dfdx.errors import DfdxError

__all__ = ["Target", "make_target", "detect_backend"]

_INSTALL = {
    "torch": "PyTorch is not installed: pip install 'dfdx[torch]'",
    "jax": "JAX is not installed: pip install 'dfdx[jax]'",
}


def _require(backend: str):
    if importlib.util.find_spec(backend) is None:
        raise DfdxError(
            f"check_grad with backend={backend!r} needs {_INSTALL[backend]}"
        )


def _is_torch(obj) -> bool:
    return (type(obj).__module__ or "").startswith("torch")


def _is_jax(obj) -> bool:
    mod = type(obj).__module__ or ""
    return mod.startswith("jax") or mod.startswith("jaxlib")


def detect_backend(fn, inputs) -> str:
    """'torch' or 'jax' from the function and inputs (a Module or a tensor
    means torch, a JAX array means JAX)."""
    if _is_torch_module(fn) or any(_is_torch(a) for a in inputs):
        return "torch"
    if any(_is_jax(a) for a in inputs):
        return "jax"
    raise DfdxError(
        "check_grad cannot tell the framework from the inputs (no torch tensor, "
        "torch.nn.Module or JAX array): pass backend='torch' or backend='jax'"
    )


def _is_torch_module(fn) -> bool:
    for klass in type(fn).__mro__:
        if klass.__module__ == "torch.nn.modules.module" and klass.__name__ == "Module":
            return True
    return False


def _fname(fn) -> str:
    return getattr(fn, "__name__", None) or type(fn).__name__


_EPS = {
    "float64": 2.0**-52,
    "float32": 2.0**-23,
    "float16": 2.0**-10,
    "bfloat16": 2.0**-7,
}


class Target:
    """What the checking algorithm needs, framework-free.

    Attributes
    ----------
    names, shapes, dtypes : lists, one entry per checked tensor
    base : list of flat float64 arrays (the checked values)
    ad : list of flat float64 arrays (autodiff's vector-Jacobian product)
    eps_ad : machine epsilon of the dtype autodiff ran in (the coarsest)
    eps_eval : machine epsilon of the reference evaluation (float64 when the
        function accepts float64 inputs)
    scale : sum of |v * y| at the base point (the size of g's rounding)
    notes : what the reader must know (float64 refused, ...)
    nfev : calls of the function made for the reference
    """

    def __init__(self) -> None:
        self.names: list[str] = []
        self.shapes: list[tuple] = []
        self.dtypes: list[str] = []
        self.base: list[np.ndarray] = []
        self.ad: list[np.ndarray] = []
        self.eps_ad = _EPS["float64"]
        self.eps_eval = _EPS["float64"]
        self.eval_dtype = "float64"
        self.scale = 0.0
        self.g0 = 0.0  # g is measured from the base outputs: 0 there
        self.value = 0.0  # <v, fn(θ)> at the base point
        self.dsum = 0.0  # sum |v*(y - y0)| of the last call (its float64 sum)
        self.notes: list[str] = []
        self.nfev = 0
        self.amplification = 1.0  # forward rounding in the user dtype, in eps
        self.changed = 0.0  # sum |v*y| over the outputs the last call changed
        self.ad64: list[np.ndarray] | None = (
            None  # float64 autodiff, low precision only
        )
        self.backend = ""
        self._round: list[Callable[[np.ndarray], np.ndarray]] = []
        # measured nondeterminism: of g between identical calls, and of the
        # vector-Jacobian product per element (None: none seen)
        self.spread = 0.0
        self.ad_spread: list[np.ndarray] | None = None

    def _run(self, call, when: str, *args):
        """call(*args): the user's fn (and torch/JAX around it), its errors
        reported as fn's, saying `when`."""
        try:
            with user_code():
                return call(*args)
        except DfdxError:
            raise
        except Exception as exc:
            raise _fn_error(self._fn, exc, when) from exc

    def vjp(self, scale: float) -> list[np.ndarray]:
        """Autodiff's vector-Jacobian product again, with the cotangent scaled
        by `scale` (flat float64 arrays, one per checked tensor): a correct
        backward pass is linear in it, and gives the same values each call."""
        return self._run(self._vjp, "in its backward pass", scale)

    _vjp: Callable[[float], list[np.ndarray]]

    def jvp(self, tangents: list[np.ndarray]) -> float:
        """``<v, J u>`` by forward-mode autodiff, u given as flat float64
        arrays, one per checked tensor."""
        return self._run(self._jvp, "in forward-mode autodiff", tangents)

    _jvp: Callable[[list[np.ndarray]], float]

    # the backend's two operations, given by connect(): write values into
    # checked tensor k (an element index or a slice), and evaluate
    # (g, size of the outputs that changed, sum |v * (y - y0)|)
    _set: Callable[[int, Any, Any], None]
    _g: Callable[[], tuple[float, float, float]]
    _fn: Any

    def connect(self, write, evaluate, fn) -> None:
        self._set, self._g, self._fn = write, evaluate, fn

    def representable(self, k: int, values: np.ndarray) -> np.ndarray:
        """values rounded to what tensor k can hold in the reference dtype."""
        return self._round[k](values)

    def g(self) -> float:
        self.nfev += 1
        value, self.changed, self.dsum = self._run(self._g, "at a perturbed input")
        return value

    def noise(self) -> float:
        """Rounding of the last g(): eps times the size of the outputs that
        call changed (unchanged outputs are bit-identical and add exact zeros),
        plus the float64 sum of the changes."""
        return (
            self.eps_eval * self.changed
            + 4 * _EPS["float64"] * self.dsum
            + 4 * self.spread
        )

    def g_element(self, k: int, j: int, value: float) -> float:
        """g with element j of tensor k set to value (restored afterwards)."""
        self._set(k, j, value)
        try:
            return self.g()
        finally:
            self._set(k, j, self.base[k][j])

    def g_shifted(self, deltas: list[np.ndarray]) -> float:
        """g at base + deltas (deltas already representable)."""
        for k, d in enumerate(deltas):
            self._set(k, slice(None), self.base[k] + d)
        try:
            return self.g()
        finally:
            for k in range(len(deltas)):
                self._set(k, slice(None), self.base[k])


def _backend_of(backend: str, fn, inputs) -> str:
    """'torch' or 'jax', installed, for a callable `fn` (else a clear error)."""
    if backend == "auto":
        backend = detect_backend(fn, inputs)
    if backend not in ("torch", "jax"):
        raise DfdxError(f"backend must be 'auto', 'torch' or 'jax', got {backend!r}")
    _require(backend)
    if not callable(fn):
        raise DfdxError(f"fn must be callable, got {type(fn).__name__}")
    return backend


def make_target(backend, fn, inputs, *, params, seed, forward: bool = False) -> Target:
    """The target of `fn` at `inputs`; with `forward`, autodiff's values come
    from forward mode (Target.jvp), and the backward pass is not run."""
    backend = _backend_of(backend, fn, inputs)
    rng = np.random.default_rng(seed)
    if backend != "torch" and params is not None:
        raise DfdxError("params= is for torch.nn.Module; JAX functions take arrays")
    # the user's fn and its autodiff run to their end: the time limit is
    # checked between calls (see user_code), never inside torch, JAX or fn
    with user_code():
        if backend == "torch":
            return _torch_target(fn, inputs, params, rng, forward)
        return _jax_target(fn, inputs, rng, forward)


def first_gradient(backend, fn, inputs, *, params, seed):
    """A function of the same inputs returning autodiff's gradient of
    ``<w, fn>`` (w a fixed random cotangent; 1 for a scalar output) with
    respect to the checked inputs, differentiable again: checking it checks
    the double backward pass (what torch's gradgradcheck checks)."""
    backend = _backend_of(backend, fn, inputs)
    if params is not None or _is_torch_module(fn):
        raise DfdxError(
            "order=2 checks a function of tensors; for a module's inputs pass "
            "lambda x: model(x) (its parameters are not checked at order 2)"
        )
    rng = np.random.default_rng(seed + 7919)
    fname = _fname(fn)
    if backend == "torch":
        import torch

        def floating(a):
            return isinstance(a, torch.Tensor) and a.is_floating_point()

        chosen = [i for i, a in enumerate(inputs) if floating(a) and a.requires_grad]
        chosen = chosen or [i for i, a in enumerate(inputs) if floating(a)]
        weights: dict = {}

        def gradient(*xs):
            with torch.enable_grad():
                args = list(xs)
                for i in chosen:
                    if not args[i].requires_grad:  # the reference's copies
                        args[i] = args[i].detach().requires_grad_(True)
                outs = _outputs(fn(*args), floating, fname)
                if not weights:
                    weights["w"] = [
                        torch.from_numpy(rng.standard_normal(tuple(o.shape)))
                        if o.dim()
                        else torch.ones((), dtype=torch.float64)
                        for o in outs
                    ]
                w = [
                    wk.to(o.dtype).to(o.device)
                    for wk, o in zip(weights["w"], outs, strict=True)
                ]
                pairs = [
                    (o, wk) for o, wk in zip(outs, w, strict=True) if o.requires_grad
                ]
                wrt = [args[i] for i in chosen]
                got = (
                    torch.autograd.grad(
                        [o for o, _ in pairs],
                        wrt,
                        grad_outputs=[wk for _, wk in pairs],
                        create_graph=True,
                        allow_unused=True,
                    )
                    if pairs
                    else (None,) * len(wrt)
                )
            return tuple(
                torch.zeros_like(x) if g is None else g
                for x, g in zip(wrt, got, strict=True)
            )

        gradient.__name__ = f"gradient of {fname}"
        return gradient
    import jax
    import jax.numpy as jnp

    chosen = [
        i
        for i, a in enumerate(inputs)
        if hasattr(a, "dtype") and np.issubdtype(np.dtype(a.dtype), np.floating)
    ]
    weights = {}

    def jgradient(*xs):
        def part(*checked):
            args = list(xs)
            for i, c in zip(chosen, checked, strict=True):
                args[i] = c
            return fn(*args)

        out, pullback = jax.vjp(part, *[xs[i] for i in chosen])
        leaves, tree = jax.tree_util.tree_flatten(out)
        if not weights:
            weights["w"] = [
                rng.standard_normal(tuple(o.shape)) if o.shape else np.ones(())
                for o in leaves
            ]
        w = [
            jnp.asarray(wk, dtype=o.dtype)
            for wk, o in zip(weights["w"], leaves, strict=True)
        ]
        return tuple(pullback(jax.tree_util.tree_unflatten(tree, w)))

    jgradient.__name__ = f"gradient of {fname}"
    return jgradient


def _fn_error(fn, exc: BaseException, when: str) -> DfdxError:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return DfdxError(f"{_fname(fn)} raised {type(exc).__name__} {when}: {text}")


def _outputs(out, is_array, fname: str) -> list:
    """The floating outputs of fn as a list (a tensor, or a tuple/list of them)."""
    items = list(out) if isinstance(out, (tuple, list)) else [out]
    arrays = [o for o in items if is_array(o)]
    if not arrays:
        raise DfdxError(
            f"{fname} must return a floating tensor (or a tuple of them), "
            f"got {type(out).__name__}"
        )
    return arrays


# --------------------------------------------------------------------------
# PyTorch
# --------------------------------------------------------------------------
def _torch_target(fn, inputs, params, rng, forward=False) -> Target:
    import torch

    is_module = _is_torch_module(fn)
    fname = _fname(fn)

    def floating(a):
        return isinstance(a, torch.Tensor) and a.is_floating_point()

    for i, a in enumerate(inputs):
        if isinstance(a, torch.Tensor) and a.is_complex():
            raise DfdxError(f"input {i} is complex; check_grad checks real inputs")
    # which tensors are checked
    chosen_inputs = [i for i, a in enumerate(inputs) if floating(a) and a.requires_grad]
    named_params: list[tuple[str, Any]] = []
    if is_module:
        all_params = dict(fn.named_parameters())
        if params is None or params is True:
            named_params = [(n, p) for n, p in all_params.items() if p.requires_grad]
        elif params is False:
            named_params = []
        else:
            if isinstance(params, str):
                params = [params]
            try:
                wanted = list(params)
            except TypeError:
                raise DfdxError(
                    "params must be None, True, False or a list of parameter names, "
                    f"got {params!r}"
                ) from None
            missing = [n for n in wanted if n not in all_params]
            if missing:
                raise DfdxError(
                    f"{fname} has no parameter {missing[0]!r}; it has "
                    f"{', '.join(all_params) or 'none'}"
                )
            named_params = [(n, all_params[n]) for n in wanted]
    elif params is not None:
        raise DfdxError("params= is for torch.nn.Module; fn is a plain function")
    if not chosen_inputs and not named_params:
        chosen_inputs = [i for i, a in enumerate(inputs) if floating(a)]
    if not chosen_inputs and not named_params:
        raise DfdxError(
            "nothing to check: no floating-point tensor among the inputs"
            + (" and no parameters" if is_module else "")
        )
    t = Target()
    t.backend = "torch"

    # autodiff in the user's dtypes, on detached copies of the inputs
    leaves = {i: inputs[i].detach().clone().requires_grad_(True) for i in chosen_inputs}
    args = [leaves.get(i, a) for i, a in enumerate(inputs)]
    try:
        with torch.enable_grad():
            out = fn(*args)
    except Exception as exc:
        raise _fn_error(fn, exc, "when called with the inputs") from exc
    outs = _outputs(out, floating, fname)
    for o in outs:
        if o.is_complex():
            raise DfdxError(f"{fname} returns a complex tensor; check real outputs")
    vs = []
    masked = 0
    for o in outs:
        z = torch.from_numpy(rng.standard_normal(tuple(o.shape)))
        v = z.to(o.dtype) if o.dim() else torch.ones((), dtype=o.dtype)
        bad = ~torch.isfinite(o.detach())
        if bool(bad.any()):  # outputs that are inf/nan here carry no gradient
            v = torch.where(bad, torch.zeros_like(v), v)
            masked += int(bad.sum())
        vs.append(v)
    if masked:
        _note_masked(t.notes, masked, sum(int(np.prod(v.shape)) for v in vs))
    wrt = [leaves[i] for i in chosen_inputs] + [p for _, p in named_params]
    diff_outs = [(o, v) for o, v in zip(outs, vs, strict=True) if o.requires_grad]
    grads: tuple
    if forward:
        if named_params:
            raise DfdxError(
                "forward-mode checks take a function of tensors; for a module's "
                "inputs pass lambda x: model(x) and params=False"
            )
        grads = (None,) * len(wrt)  # autodiff's values come from jvp()
    elif diff_outs:
        try:
            grads = torch.autograd.grad(
                [o for o, _ in diff_outs],
                wrt,
                grad_outputs=[v for _, v in diff_outs],
                allow_unused=True,
            )
        except Exception as exc:
            raise _fn_error(fn, exc, "in its backward pass") from exc
    else:
        grads = (None,) * len(wrt)
        t.notes.append(
            f"{fname}'s output does not require grad (detached?): autodiff gives 0"
        )

    def again(scale: float) -> list[np.ndarray]:
        fresh = {
            i: inputs[i].detach().clone().requires_grad_(True) for i in chosen_inputs
        }
        with torch.enable_grad():
            out2 = fn(*[fresh.get(i, a) for i, a in enumerate(inputs)])
        wrt2 = [fresh[i] for i in chosen_inputs] + [p for _, p in named_params]
        pairs = [
            (o, v * scale)
            for o, v in zip(_outputs(out2, floating, fname), vs, strict=True)
            if o.requires_grad
        ]
        found = (
            torch.autograd.grad(
                [o for o, _ in pairs],
                wrt2,
                grad_outputs=[v for _, v in pairs],
                allow_unused=True,
            )
            if pairs
            else (None,) * len(wrt2)
        )
        return [
            np.zeros(w.numel())
            if gr is None
            else gr.detach().to("cpu", torch.float64).reshape(-1).numpy().copy()
            for w, gr in zip(wrt2, found, strict=True)
        ]

    t._vjp = again

    def tangent_product(us: list[np.ndarray]) -> float:
        with warnings.catch_warnings():
            # torch's forward-AD module warns that torch.jit.script is
            # deprecated, on import and on use: nothing the user can act on
            warnings.filterwarnings(
                "ignore", message=".*torch.jit.script.*", category=DeprecationWarning
            )
            import torch.autograd.forward_ad as fwad

            with fwad.dual_level():
                args = list(inputs)
                for n, i in enumerate(chosen_inputs):
                    x = inputs[i].detach()
                    tan = torch.from_numpy(np.asarray(us[n]).reshape(tuple(x.shape)))
                    args[i] = fwad.make_dual(x, tan.to(x.dtype).to(x.device))
                total = 0.0
                for o, v in zip(_outputs(fn(*args), floating, fname), vs, strict=True):
                    tan = fwad.unpack_dual(o).tangent
                    if tan is None:
                        continue
                    vd = v.to(tan.device)
                    prod = tan.to(torch.float64) * vd.to(torch.float64)
                    total += float(torch.where(vd != 0, prod, 0.0).sum())
        return total

    t._jvp = tangent_product
    names = [f"input {i}" if len(inputs) > 1 else "input" for i in chosen_inputs]
    names += [n for n, _ in named_params]
    tensors = [inputs[i] for i in chosen_inputs] + [p for _, p in named_params]
    dtypes_ad = set()
    for name, tensor, gr in zip(names, tensors, grads, strict=True):
        t.names.append(name)
        t.shapes.append(tuple(tensor.shape))
        dt = str(tensor.dtype).replace("torch.", "")
        t.dtypes.append(dt)
        dtypes_ad.add(dt)
        t.base.append(
            tensor.detach().to("cpu", torch.float64).reshape(-1).numpy().copy()
        )
        if gr is None:
            t.ad.append(np.zeros(tensor.numel()))
        else:
            t.ad.append(gr.detach().to("cpu", torch.float64).reshape(-1).numpy().copy())
    for o in outs:
        dtypes_ad.add(str(o.dtype).replace("torch.", ""))
    t.eps_ad = max(_EPS.get(d, _EPS["float16"]) for d in dtypes_ad)

    # the reference: float64 copies, perturbed in place
    y_user = [o.detach().to(torch.float64) for o in outs]
    v64 = [v.to(torch.float64) for v in vs]
    v_dev = [v.to(o.device) for v, o in zip(v64, outs, strict=True)]
    single = not isinstance(out, (tuple, list))

    def build(dtype):
        """(call, tensors to perturb) evaluating fn with floating data in dtype."""
        if is_module:
            model = copy.deepcopy(fn)
            if dtype is not None:
                model = model.to(dtype)
            pmap = dict(model.named_parameters())
            ptens = [pmap[n].data for n, _ in named_params]
        else:
            model = fn
            ptens = []
        cast = [
            (a.detach().clone().to(dtype) if dtype is not None else a.detach().clone())
            if floating(a)
            else a
            for a in inputs
        ]
        cast = [c.contiguous() if isinstance(c, torch.Tensor) else c for c in cast]
        return model, cast, [cast[i] for i in chosen_inputs] + ptens

    def g_of(model, cast, first=False):
        """g = <v, fn(...)> in float64; on the first call also sum |v * y| and
        the output dtypes, and check the outputs' structure."""
        with torch.no_grad():
            y = model(*cast)
            ys = _outputs(y, floating, fname) if first or not single else [y]
            if first and len(ys) != len(v64):
                raise DfdxError(
                    f"{fname} returned {len(ys)} outputs, expected {len(v64)}"
                )
            total = 0.0
            absum = 0.0
            for n, (yk, vk) in enumerate(zip(ys, v_dev, strict=True)):
                if tuple(yk.shape) != tuple(vk.shape):
                    raise DfdxError(
                        f"{fname} returned shape {tuple(yk.shape)}, expected "
                        f"{tuple(vk.shape)}"
                    )
                y64 = yk.to(torch.float64)
                if first:
                    prod = y64 * vk
                    if masked:
                        prod = torch.where(vk != 0, prod, 0.0)
                    total += float(prod.sum())
                    absum += float(prod.abs().sum())
                    gap = (y_user[n] - y64) * vk
                    drift[0] += float(torch.where(vk != 0, gap, 0.0).abs().sum())
                    if n == 0:
                        y0.clear()
                        size0.clear()
                    y0.append(y64.clone())
                    size0.append(prod.abs())
                else:
                    # g relative to the base outputs: unchanged outputs add
                    # exact zeros, so the sum has no rounding from them
                    moved = y64 - y0[n]
                    dprod = moved * vk
                    if masked:
                        dprod = torch.where(vk != 0, dprod, 0.0)
                    sums = torch.stack(
                        [
                            dprod.sum(),
                            dprod.abs().sum(),
                            ((moved != 0) * size0[n]).sum(),
                        ]
                    ).tolist()  # one synchronisation for the three sums
                    total += sums[0]
                    dsum[0] += sums[1]
                    absum += sums[2]
        return total, absum, [str(yk.dtype).replace("torch.", "") for yk in ys]

    drift = [0.0]
    dsum = [0.0]
    y0: list = []
    size0: list = []  # |v * y| at the base point, per output element
    model, cast, ptensors = build(torch.float64)
    try:
        g0, absum, out_dtypes = g_of(model, cast, first=True)
        if any(d != "float64" for d in out_dtypes):
            raise DfdxError(f"returned {', '.join(sorted(set(out_dtypes)))} output")
        eval_dtype = "float64"
    except Exception as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        model, cast, ptensors = build(None)
        try:
            g0, absum, out_dtypes = g_of(model, cast, first=True)
        except DfdxError:
            raise
        except Exception as exc2:
            raise _fn_error(fn, exc2, "when called again with the inputs") from exc2
        eval_dtype = max(
            set(t.dtypes) | set(out_dtypes), key=lambda d: _EPS.get(d, _EPS["float16"])
        )
        if eval_dtype != "float64":
            t.notes.append(
                f"{fname} cannot be evaluated in float64 ({why}); the reference is "
                f"computed in {eval_dtype}, with steps and tolerances scaled to it"
            )
    t.eval_dtype = eval_dtype
    t.eps_eval = _EPS.get(eval_dtype, _EPS["float16"])
    t.value, t.scale = g0, absum  # g is measured from here on (g0 = 0)
    if eval_dtype == "float64" and t.eps_ad > _EPS["float64"] and not forward:
        # autodiff of the float64 copy: the size of autodiff's own rounding
        try:
            leaves64 = {
                i: cast[i].detach().clone().requires_grad_(True) for i in chosen_inputs
            }
            args64 = [leaves64.get(i, c) for i, c in enumerate(cast)]
            with torch.enable_grad():
                ys64 = _outputs(model(*args64), floating, fname)
            pmap64 = dict(model.named_parameters()) if is_module else {}
            wrt64 = [leaves64[i] for i in chosen_inputs]
            wrt64 += [pmap64[n] for n, _ in named_params]
            pairs = [
                (o, v) for o, v in zip(ys64, v_dev, strict=True) if o.requires_grad
            ]
            if pairs:
                g64 = torch.autograd.grad(
                    [o for o, _ in pairs],
                    wrt64,
                    grad_outputs=[v for _, v in pairs],
                    allow_unused=True,
                )
                t.ad64 = [
                    np.zeros(w.numel())
                    if gr is None
                    else gr.detach().to("cpu", torch.float64).reshape(-1).numpy().copy()
                    for w, gr in zip(wrt64, g64, strict=True)
                ]
        except Exception:  # no float64 autodiff: the rounding model alone
            t.ad64 = None
    if eval_dtype == "float64" and absum > 0:
        t.amplification = max(1.0, drift[0] / (absum * t.eps_ad))
    t.nfev = 1
    flats: list = [p.view(-1) if p.is_contiguous() else None for p in ptensors]
    for k, p in enumerate(ptensors):
        if flats[k] is None:  # a non-contiguous parameter: make it contiguous
            p.set_(p.contiguous())
            flats[k] = p.view(-1)
        dt = p.dtype
        t._round.append(_torch_rounder(dt))

    # CPU tensors NumPy can view are written through the view (an element
    # write costs 0.1 µs there, against several µs through tensor indexing)
    views = [
        f.numpy()
        if f.device.type == "cpu"
        and f.dtype in (torch.float64, torch.float32, torch.float16)
        else None
        for f in flats
    ]

    def _set(k, idx, values):
        view = views[k]
        if view is not None:
            view[idx] = values
            return
        flat = flats[k]
        with torch.no_grad():
            if isinstance(idx, slice):
                flat.copy_(torch.from_numpy(np.asarray(values, dtype=np.float64)))
            else:
                flat[idx] = float(values)

    def _g():
        dsum[0] = 0.0
        g, changed, _ = g_of(model, cast)
        return g, changed, dsum[0]

    t.connect(_set, _g, fn)
    return t


def _torch_rounder(dtype):
    import torch

    if dtype == torch.float64:
        return _as_float64

    def rnd(a):
        arr = torch.from_numpy(np.atleast_1d(np.asarray(a, dtype=np.float64)))
        out = arr.to(dtype).to(torch.float64).numpy()
        return out if np.ndim(a) else out[0]

    return rnd


def _x64(jax):
    """A context in which JAX makes float64 arrays (the name moved in 0.7)."""
    if hasattr(jax, "enable_x64"):
        return jax.enable_x64(True)
    from jax.experimental import enable_x64  # jax < 0.7

    return enable_x64()


def _note_masked(notes: list, count: int, total: int) -> None:
    if count == total:
        raise DfdxError("fn is not finite at the inputs (every output is inf or nan)")
    notes.append(
        f"{count} output element{'s are' if count > 1 else ' is'} not finite at the "
        "inputs and left out of the check"
    )


def _as_float64(a):
    return np.asarray(a, dtype=np.float64)


def _via_dtype(dtype, a):
    return np.asarray(a).astype(dtype).astype(np.float64)


# --------------------------------------------------------------------------
# JAX
# --------------------------------------------------------------------------
def _jax_target(fn, inputs, rng, forward=False) -> Target:
    import jax
    import jax.numpy as jnp

    fname = _fname(fn)

    def floating(a):
        return hasattr(a, "dtype") and np.issubdtype(np.dtype(a.dtype), np.floating)

    for i, a in enumerate(inputs):
        if hasattr(a, "dtype") and np.issubdtype(np.dtype(a.dtype), np.complexfloating):
            raise DfdxError(f"input {i} is complex; check_grad checks real inputs")
    chosen = [i for i, a in enumerate(inputs) if floating(a)]
    if not chosen:
        raise DfdxError("nothing to check: no floating-point array among the inputs")
    t = Target()
    t.backend = "jax"

    def with_checked(xs, template):
        args = list(template)
        for i, x in zip(chosen, xs, strict=True):
            args[i] = x
        return args

    def is_out(o):
        return hasattr(o, "dtype") and np.issubdtype(np.dtype(o.dtype), np.floating)

    try:
        out, vjp = jax.vjp(
            lambda *xs: fn(*with_checked(xs, inputs)), *[inputs[i] for i in chosen]
        )
    except Exception as exc:
        raise _fn_error(fn, exc, "when called with the inputs") from exc
    leaves, tree = jax.tree_util.tree_flatten(out)
    if not leaves or not all(is_out(o) for o in leaves):
        raise DfdxError(
            f"{fname} must return floating arrays, got {type(out).__name__}"
        )
    vs = []
    masked = 0
    for o in leaves:
        shape = tuple(o.shape)
        z = rng.standard_normal(shape) if shape else np.ones(())
        bad = ~np.isfinite(np.asarray(o, dtype=np.float64))
        if bad.any():
            z = np.where(bad, 0.0, z)
            masked += int(bad.sum())
        vs.append(jnp.asarray(z, dtype=o.dtype))
    if masked:
        _note_masked(t.notes, masked, sum(int(np.prod(v.shape)) for v in vs))
    try:
        grads = (
            [jnp.zeros(inputs[i].shape) for i in chosen]
            if forward  # autodiff's values come from jvp()
            else vjp(jax.tree_util.tree_unflatten(tree, vs))
        )
    except Exception as exc:
        raise _fn_error(fn, exc, "in its backward pass") from exc

    def again(scale: float) -> list[np.ndarray]:
        scaled = [v * jnp.asarray(scale, dtype=v.dtype) for v in vs]
        return [
            np.asarray(gr, dtype=np.float64).reshape(-1).copy()
            for gr in vjp(jax.tree_util.tree_unflatten(tree, scaled))
        ]

    t._vjp = again

    def tangent_product(us: list[np.ndarray]) -> float:
        prim = [inputs[i] for i in chosen]
        tans = [
            jnp.asarray(np.asarray(u).reshape(p.shape), dtype=p.dtype)
            for u, p in zip(us, prim, strict=True)
        ]
        _, tout = jax.jvp(lambda *xs: fn(*with_checked(xs, inputs)), prim, tans)
        total = 0.0
        for tan, v in zip(jax.tree_util.tree_leaves(tout), vs, strict=True):
            prod = np.asarray(tan, dtype=np.float64) * np.asarray(v, dtype=np.float64)
            total += float(np.sum(np.where(np.asarray(v) != 0, prod, 0.0)))
        return total

    t._jvp = tangent_product
    dts = set()
    for i, gr in zip(chosen, grads, strict=True):
        a = inputs[i]
        t.names.append(f"input {i}" if len(inputs) > 1 else "input")
        t.shapes.append(tuple(a.shape))
        dt = str(np.dtype(a.dtype))
        t.dtypes.append(dt)
        dts.add(dt)
        t.base.append(np.asarray(a, dtype=np.float64).reshape(-1).copy())
        t.ad.append(np.asarray(gr, dtype=np.float64).reshape(-1).copy())
    dts |= {str(np.dtype(o.dtype)) for o in leaves}
    t.eps_ad = max(_EPS.get(d, _EPS["float16"]) for d in dts)
    v64 = [np.asarray(v, dtype=np.float64) for v in vs]
    y_user = [np.asarray(o, dtype=np.float64) for o in leaves]
    drift = [0.0]
    dsum = [0.0]
    y0: list = []
    current = [b.copy() for b in t.base]
    dtypes = [np.dtype(inputs[i].dtype) for i in chosen]

    def g_of(dtype64: bool, first=False):
        args = list(inputs)
        for k, i in enumerate(chosen):
            arr = current[k].reshape(t.shapes[k])
            args[i] = (
                jnp.asarray(arr, dtype=jnp.float64)
                if dtype64
                else jnp.asarray(arr.astype(dtypes[k]))
            )
        if dtype64:
            for i, a in enumerate(args):
                if i not in chosen and floating(a):
                    args[i] = jnp.asarray(np.asarray(a, dtype=np.float64))
        y = fn(*args)
        ys = jax.tree_util.tree_leaves(y)
        if len(ys) != len(v64):
            raise DfdxError(f"{fname} returned {len(ys)} outputs, expected {len(v64)}")
        total = absum = 0.0
        for n, (yk, vk) in enumerate(zip(ys, v64, strict=True)):
            a = np.asarray(yk, dtype=np.float64)
            if a.shape != vk.shape:
                raise DfdxError(
                    f"{fname} returned shape {a.shape}, expected {vk.shape}"
                )
            if first:
                prod = a * vk
                if masked:
                    prod = np.where(vk != 0, prod, 0.0)
                total += float(np.sum(prod))
                absum += float(np.sum(np.abs(prod)))
                gap = np.where(vk != 0, (y_user[n] - a) * vk, 0.0)
                drift[0] += float(np.sum(np.abs(gap)))
                if n == 0:
                    y0.clear()
                y0.append(a)
            else:  # relative to the base outputs, as for PyTorch
                moved = a - y0[n]
                dprod = moved * vk
                if masked:
                    dprod = np.where(vk != 0, dprod, 0.0)
                total += float(np.sum(dprod))
                sizes = np.where(moved != 0, np.abs(a * vk), 0.0)
                if masked:
                    sizes = np.where(vk != 0, sizes, 0.0)
                absum += float(np.sum(sizes))
                dsum[0] += float(np.sum(np.abs(dprod)))
        return total, absum, [str(np.dtype(yk.dtype)) for yk in ys]

    use64 = True
    try:
        with _x64(jax):
            g0, absum, out_dtypes = g_of(True, first=True)
        if any(d != "float64" for d in out_dtypes):
            raise DfdxError(f"returned {', '.join(sorted(set(out_dtypes)))} output")
    except Exception as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        use64 = False
        try:
            g0, absum, out_dtypes = g_of(False, first=True)
        except Exception as exc2:
            raise _fn_error(fn, exc2, "when called again with the inputs") from exc2
        ev = max(set(t.dtypes) | set(out_dtypes), key=lambda d: _EPS.get(d, 1e-3))
        t.eval_dtype = ev
        t.eps_eval = _EPS.get(ev, _EPS["float16"])
        if ev != "float64":
            t.notes.append(
                f"{fname} cannot be evaluated in float64 ({why}); the reference is "
                f"computed in {ev}, with steps and tolerances scaled to it"
            )
    t.value, t.scale, t.nfev = g0, absum, 1  # g is measured from here on
    if use64 and t.eps_ad > _EPS["float64"] and not forward:
        try:
            with _x64(jax):
                args64 = [
                    jnp.asarray(np.asarray(a, dtype=np.float64)) if floating(a) else a
                    for a in inputs
                ]
                _, vjp64 = jax.vjp(
                    lambda *xs: fn(*with_checked(xs, args64)),
                    *[args64[i] for i in chosen],
                )
                v64j = [jnp.asarray(v) for v in v64]
                g64 = vjp64(jax.tree_util.tree_unflatten(tree, v64j))
            t.ad64 = [np.asarray(gr, dtype=np.float64).reshape(-1).copy() for gr in g64]
        except Exception:
            t.ad64 = None
    if use64 and absum > 0:
        t.amplification = max(1.0, drift[0] / (absum * t.eps_ad))
    for k in range(len(chosen)):
        if use64:
            t._round.append(_as_float64)
        else:
            t._round.append(functools.partial(_via_dtype, dtypes[k]))

    def _set(k, idx, values):
        current[k][idx] = values

    def _g():
        dsum[0] = 0.0
        if use64:
            with _x64(jax):
                g, changed, _ = g_of(True)
        else:
            g, changed, _ = g_of(False)
        return g, changed, dsum[0]

    t.connect(_set, _g, fn)
    return t
