"""How dfdx's costs grow with the size of a network, against the anchors.

Run from the repository root:  python benchmarks/bench_scale.py [--write]
With --write it replaces the section between the SCALE markers of
benchmarks/RESULTS.md; without it, it only prints.

Sizes: the squared-error losses of n-h-1 MLPs (tanh hidden units, sigmoid
output, one variable per weight) from 2-4-1 up to 16-64-1. For each size, in
one process, each timed as the median of 3 calls (SymPy's cache cleared
before each, which clears dfdx's too):

- parse: dfdx.parse / sympy.parse_expr of the same text;
- diff: dfdx.diff / sympy.diff with respect to the first weight;
- explain + text: dfdx.explain(...).to_text() / sympy.diff;
- gradient: dfdx.gradient / sympy.diff once per variable (the anchor only up
  to 8-32-1: above, one per variable takes minutes); and its exact value at
  a point (dfdx.gradient(..., at=...)), without an anchor;
- trace + backward: dfdx.trace(...).backward() / PyTorch eager with one
  scalar tensor per variable, and a micrograd-style pure-Python scalar
  autograd written here (the floor for Python).

A refusal (dfdx's limits) is reported as such, with its message. The growth
exponent of each column is the slope of log(time) against log(operations)
over the sizes that ran. Then, once: the secant animation against a naive
matplotlib loop that redraws the same two panels for every frame, the
computation graph's animation against drawing its figure anew per frame, and the
array path at 10^6 points against a NumPy central difference and
scipy.differentiate.

Targets (issue 23): trace + backward ≤ 1× torch (scalar) at 4-27-1 and
16-64-1; gradient ≤ 0.1× SymPy's per-variable diff at 4-27-1; explain + text
≤ 10× sympy.diff at every size; parse ≤ 1× parse_expr; animation ≤ 0.3× the
naive redraw; array path ≤ 3× the NumPy central difference and ≥ 10× faster
than scipy.differentiate.
"""

from __future__ import annotations

import gc
import math
import statistics
import sys
import time

import numpy as np
import sympy
from _results import write_section
from sympy.core.cache import clear_cache

import dfdx

START, END = "<!-- SCALE -->", "<!-- /SCALE -->"
SIZES = [(2, 4), (4, 16), (4, 27), (8, 32), (16, 64)]
#: the largest size whose SymPy per-variable gradient is measured
GRADIENT_ANCHOR_MAX = (8, 32)


def mlp_loss(n_in: int, n_hidden: int) -> str:
    xs = [f"x{i + 1}" for i in range(n_in)]
    hidden = []
    for j in range(1, n_hidden + 1):
        z = " + ".join(f"w{j}_{i + 1}*{x}" for i, x in enumerate(xs))
        hidden.append(f"v{j}*tanh({z} + b{j})")
    return f"(sigmoid({' + '.join(hidden)} + c) - t)^2"


def timed(fn, repeat: int = 3) -> float:
    """Median seconds of `fn` over `repeat` calls, SymPy's (and dfdx's)
    caches cleared before each; garbage collected first, collector off while
    timing (as timeit does)."""
    gc.collect()
    gc.disable()
    try:
        out = []
        for _ in range(repeat):
            clear_cache()
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
        return statistics.median(out)
    finally:
        gc.enable()


def attempt(fn, repeat: int = 3):
    """Seconds, or the refusal's message."""
    try:
        return timed(fn, repeat)
    except dfdx.DfdxError as exc:
        return f"refused: {str(exc).splitlines()[0][:90]}"


class Value:
    """micrograd's scalar: the floor for autograd in pure Python."""

    __slots__ = ("data", "grad", "_back", "_prev")

    def __init__(self, data, prev=(), back=None):
        self.data, self.grad, self._prev, self._back = data, 0.0, prev, back

    def __add__(self, o):
        o = o if isinstance(o, Value) else Value(o)
        out = Value(self.data + o.data, (self, o))

        def back():
            self.grad += out.grad
            o.grad += out.grad

        out._back = back
        return out

    __radd__ = __add__

    def __mul__(self, o):
        o = o if isinstance(o, Value) else Value(o)
        out = Value(self.data * o.data, (self, o))

        def back():
            self.grad += o.data * out.grad
            o.grad += self.data * out.grad

        out._back = back
        return out

    __rmul__ = __mul__

    def __sub__(self, o):
        return self + (-1.0) * o

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,))

        def back():
            self.grad += (1 - t * t) * out.grad

        out._back = back
        return out

    def sigmoid(self):
        s = 1 / (1 + math.exp(-self.data))
        out = Value(s, (self,))

        def back():
            self.grad += s * (1 - s) * out.grad

        out._back = back
        return out

    def square(self):
        out = Value(self.data * self.data, (self,))

        def back():
            self.grad += 2 * self.data * out.grad

        out._back = back
        return out

    def backward(self):
        order, seen = [], set()
        stack = [(self, False)]
        while stack:
            v, done = stack.pop()
            if done:
                order.append(v)
            elif id(v) not in seen:
                seen.add(id(v))
                stack.append((v, True))
                stack.extend((p, False) for p in v._prev)
        self.grad = 1.0
        for v in reversed(order):
            if v._back:
                v._back()


def network(n_in, n_hidden, at, make, tanh, sigmoid, square):
    """The loss, built from the point's values by the given operations."""
    x = [make(at[f"x{i + 1}"]) for i in range(n_in)]
    total = make(at["c"])
    for j in range(1, n_hidden + 1):
        z = make(at[f"b{j}"])
        for i in range(n_in):
            z = z + make(at[f"w{j}_{i + 1}"]) * x[i]
        total = total + make(at[f"v{j}"]) * tanh(z)
    return square(sigmoid(total) - make(at["t"]))


def micrograd_run(n_in, n_hidden, at):
    def run():
        loss = network(
            n_in,
            n_hidden,
            at,
            Value,
            Value.tanh,
            Value.sigmoid,
            Value.square,
        )
        loss.backward()

    return run


def torch_run(n_in, n_hidden, at):
    import torch

    def run():
        def make(v):
            return torch.tensor(v, dtype=torch.float64, requires_grad=True)

        loss = network(
            n_in, n_hidden, at, make, torch.tanh, torch.sigmoid, lambda u: u * u
        )
        loss.backward()

    return run


def point(variables) -> dict:
    return {v: 0.1 + 0.37 * ((i * 7) % 11) / 11 - 0.15 for i, v in enumerate(variables)}


def measure(n_in: int, n_hidden: int) -> dict:
    text = mlp_loss(n_in, n_hidden)
    e = dfdx.parse(text)
    ops = sympy.count_ops(e.sympy)
    first = f"w1_{1}"
    at = point(e.variables)
    row = {"size": f"{n_in}-{n_hidden}-1", "ops": ops, "vars": len(e.variables)}
    pyexpr = text.replace("^", "**")
    local = {"sigmoid": dfdx.parse("sigmoid(x)").sympy.func}
    row["parse"] = (
        attempt(lambda: dfdx.parse(text)),
        timed(lambda: sympy.parse_expr(pyexpr, local_dict=local)),
    )
    w = sympy.Symbol(first)
    t_sd = timed(lambda: sympy.diff(e.sympy, w))
    row["diff"] = (attempt(lambda: dfdx.diff(e, first)), t_sd)
    row["explain"] = (attempt(lambda: dfdx.explain(e, first).to_text(), 1), t_sd)
    symbols = [sympy.Symbol(v) for v in e.variables]
    anchor = None
    if (n_in, n_hidden) <= GRADIENT_ANCHOR_MAX:
        anchor = timed(lambda: [sympy.diff(e.sympy, s) for s in symbols], 1)
    row["gradient"] = (attempt(lambda: dfdx.gradient(e), 1), anchor)
    row["gradient_at"] = attempt(lambda: dfdx.gradient(e, at=at), 1)
    row["trace"] = (
        attempt(lambda: dfdx.trace(e, at).backward()),
        timed(torch_run(n_in, n_hidden, at)),
        timed(micrograd_run(n_in, n_hidden, at)),
    )
    print(row, flush=True)
    return row


def animation() -> tuple[float, float]:
    """animate_secants (31 frames drawn to Agg, as its writers draw them)
    against a naive loop that redraws the same two panels with plain
    matplotlib for every frame."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    hs = 10.0 ** -np.arange(0, 15.25, 0.5)

    def ours():
        # each frame rendered as save() and to_gif() render them: the layout
        # computed once, each axes redrawn from its first changed artist
        a = dfdx.animate_secants("x^2", 1.0, h_values=hs)
        for _ in a._frames_rgba():
            pass
        plt.close("all")

    def naive():
        xs = np.linspace(-1, 3, 400)
        for h in hs:
            fig, (ax1, ax2) = plt.subplots(
                1, 2, figsize=(10.5, 4.6), layout="constrained"
            )
            ax1.plot(xs, xs**2)
            q = ((1 + h) ** 2 - 1) / h
            ax1.plot(xs, 1 + q * (xs - 1))
            ax1.plot(xs, 1 + 2 * (xs - 1), "--")
            ax1.legend(["f", "secant", "tangent"])
            ax2.loglog(hs, np.abs(((1 + hs) ** 2 - 1) / hs - 2) + 1e-300)
            ax2.loglog([h], [abs(q - 2) + 1e-300], "o")
            ax1.set_title(f"h = {h:.1e}")
            fig.canvas.draw()
            plt.close(fig)

    ours()  # imports and fonts once
    return timed(ours, 3), timed(naive, 3)


GRAPH = "sigmoid(w1*x1 + w2*x2 + b)^2 + tanh(x1*x2)"
GRAPH_AT = {"w1": 0.5, "x1": 1.0, "w2": -0.3, "x2": 2.0, "b": 0.1}


def graph_animation() -> tuple[float, float, int]:
    """ComputationGraph.animate's frames drawn to Agg as its writers draw
    them, against the naive way: the figure cleared and the graph drawn anew
    for every frame (what it did before)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    g = dfdx.trace(GRAPH, GRAPH_AT)

    def ours():
        for _ in g.animate()._frames_rgba():
            pass

    def naive():
        a = g.animate()
        canvas = FigureCanvasAgg(a.figure)
        for i in range(len(a)):
            a._drawn = None  # no update in place
            a.draw(i)
            canvas.draw()

    ours()
    return timed(ours, 3), timed(naive, 3), len(g.animate())


def array_path() -> tuple[float, float, float, float]:
    """derivative(np.sin) at 10^6 points against NumPy's central difference
    (h = eps^(1/3)) and scipy.differentiate; max abs error of ours."""
    x = np.linspace(-3, 3, 1_000_000)

    def central():
        h = np.finfo(float).eps ** (1 / 3) * np.maximum(1, np.abs(x))
        return (np.sin(x + h) - np.sin(x - h)) / (2 * h)

    t_ours = timed(lambda: dfdx.derivative(np.sin, x))
    t_c = timed(central)
    try:
        from scipy.differentiate import derivative as sd

        sd(np.sin, x)  # its first call costs 2-3 times the next ones
        t_s = timed(lambda: sd(np.sin, x), 3)
    except ImportError:
        t_s = math.nan
    err = float(np.max(np.abs(np.asarray(dfdx.derivative(np.sin, x).df) - np.cos(x))))
    return t_ours, t_c, t_s, err


def exponent(rows, key, index=0) -> str:
    pts = [
        (r["ops"], r[key][index])
        for r in rows
        if isinstance(r[key][index], float) and r[key][index] > 0
    ]
    if len(pts) < 2:
        return "—"
    lx = np.log([p[0] for p in pts])
    ly = np.log([p[1] for p in pts])
    return f"{np.polyfit(lx, ly, 1)[0]:.2f}"


def exponent_of(rows, key) -> str:
    """exponent() of a column with no anchor (a time or a refusal per row)."""
    return exponent([{**r, key: (r[key],)} for r in rows], key)


def cell(ours, anchor) -> str:
    if isinstance(ours, str):
        return ours
    if anchor is None or not anchor:
        return f"{ours * 1e3:.1f} ms"
    return f"{ours * 1e3:.1f} ms ({ours / anchor:.2g}×)"


def render(rows, anim, arr) -> str:
    L = [
        START,
        "",
        "## How the costs grow with the network (benchmarks/bench_scale.py)",
        "",
    ]
    L.append(
        "One process; each time the median of 3 calls with SymPy's cache (and "
        "dfdx's) cleared before each (explain and gradient: 1 call). Ratios to "
        "the anchor of the same row: parse → sympy.parse_expr, diff and "
        "explain → sympy.diff, gradient → sympy.diff once per variable, "
        "trace + backward → PyTorch eager with scalar tensors (micrograd-style "
        "pure Python beside it). The growth exponent is the slope of log(time) "
        "against log(operations)."
    )
    L += [
        "",
        "| size | ops | variables | parse | diff | explain + text | gradient | gradient at a point | trace + backward | torch (scalar) | micrograd-style |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        tr = r["trace"]
        L.append(
            f"| {r['size']} | {r['ops']} | {r['vars']} | {cell(*r['parse'])} | "
            f"{cell(*r['diff'])} | {cell(*r['explain'])} | {cell(*r['gradient'])} | "
            f"{cell(r['gradient_at'], None)} | {cell(tr[0], tr[1])} | {tr[1] * 1e3:.1f} ms | {tr[2] * 1e3:.1f} ms |"
        )
    L.append(
        "| growth exponent | | | "
        + " | ".join(
            exponent(rows, k) for k in ("parse", "diff", "explain", "gradient")
        )
        + f" | {exponent_of(rows, 'gradient_at')} | {exponent(rows, 'trace')}"
        + f" | {exponent(rows, 'trace', 1)} | {exponent(rows, 'trace', 2)} |"
    )
    ours, naive, g_ours, g_naive, g_frames = anim
    t_ours, t_c, t_s, err = arr
    L += [
        "",
        f"- secant animation, 31 frames: {ours:.2f} s against a naive redraw "
        f"{naive:.2f} s: {ours / naive:.2f}× (target ≤ 0.3×)",
        f"- computation graph animation ({GRAPH}, {g_frames} frames): "
        f"{g_ours:.2f} s against the figure drawn anew per frame {g_naive:.2f} s: "
        f"{g_ours / g_naive:.2f}× (target ≤ 0.3×)",
        f"- derivative(np.sin) at 10^6 points: {t_ours * 1e3:.0f} ms; NumPy central "
        f"difference {t_c * 1e3:.0f} ms ({t_ours / t_c:.1f}×, target ≤ 3×); "
        f"scipy.differentiate {t_s * 1e3:.0f} ms ({t_s / t_ours:.1f}× slower than "
        f"dfdx, target ≥ 10×); max abs error {err:.1e}",
        "",
        END,
    ]
    return "\n".join(L)


def main() -> None:
    old = dfdx.set_time_limit(
        float(sys.argv[sys.argv.index("--limit") + 1]) if "--limit" in sys.argv else 600
    )
    try:
        rows = [measure(n, h) for n, h in SIZES]
        anim = animation() + graph_animation()
        arr = array_path()
    finally:
        dfdx.set_time_limit(old)
    section = render(rows, anim, arr)
    print(section)
    write_section(section, START, END)


if __name__ == "__main__":
    main()
