"""dfdx on the expressions deep learning has, side by side with SymPy and PyTorch.

Run from the repository root:  python benchmarks/bench_symbolic.py [--write]
With --write it replaces the section between the SYMBOLIC markers of
benchmarks/RESULTS.md.

Expressions (generated here): 3x^2 - 4x and the squared-error losses of
1-5-1, 4-16-1 and 4-27-1 MLPs (tanh hidden units, sigmoid output), written out
with one variable per weight. For each, in one process:

- dfdx.diff / sympy.diff, with respect to the first weight;
- dfdx.explain plus rendering to text / sympy.diff;
- dfdx.gradient (the formula, every weight) / SymPy's own gradient
  ([sympy.diff(f, w) for w in weights]);
- trace().backward() on a built graph / PyTorch eager autograd of the same
  scalar computation (Python floats in, one backward call);

cold (the median of 5 calls, SymPy's cache cleared before each) and warm
(the median of 5 repeated calls). Before the first case every function runs once, untimed, on
an unrelated expression, so one-time imports count in the CLI row only. Then the wall time of ``dfdx diff "3x^2 - 4x"`` against
``python -c "import numpy, sympy"`` (paired, alternating, 9 runs each).
Targets (issue 9): diff <= 2x, explain + text <= 10x, gradient <= 2x,
backward <= 5x torch, CLI <= 1.3x the import.
"""

from __future__ import annotations

import gc
import os
import statistics
import subprocess
import sys
import time

import sympy
from _results import write_section
from sympy.core.cache import clear_cache

import dfdx

START, END = "<!-- SYMBOLIC -->", "<!-- /SYMBOLIC -->"


def mlp_loss(n_in: int, n_hidden: int) -> str:
    xs = [f"x{i + 1}" for i in range(n_in)] if n_in > 1 else ["x"]
    hidden = []
    for j in range(1, n_hidden + 1):
        z = " + ".join(
            f"w{j}*{x}" if n_in == 1 else f"w{j}_{i + 1}*{x}" for i, x in enumerate(xs)
        )
        hidden.append(f"v{j}*tanh({z} + b{j})")
    return f"(sigmoid({' + '.join(hidden)} + c) - t)^2"


CASES = [
    ("3x^2 - 4x", "3x^2 - 4x", "x"),
    ("1-5-1 MLP loss", mlp_loss(1, 5), "w1"),
    ("4-16-1 MLP loss", mlp_loss(4, 16), "w1_1"),
    ("4-27-1 MLP loss", mlp_loss(4, 27), "w1_1"),
]


def timed(fn, cold: bool, repeat: int = 5) -> float:
    """Median seconds of `fn`: cold, 5 calls each after clearing SymPy's
    cache; warm, `repeat` calls after one untimed call. As timeit does, the
    garbage collector is off while timing (garbage is collected first), so a
    collection of earlier garbage is not charged to whichever call it hits."""
    gc.collect()
    gc.disable()
    try:
        times = []
        if not cold:
            fn()
        for _ in range(5 if cold else repeat):
            if cold:
                clear_cache()
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return statistics.median(times)
    finally:
        gc.enable()


def weights(e) -> list[str]:
    return [v for v in e.variables if v not in ("t", "x") and not v.startswith("x")]


def point(e) -> dict:
    return {v: 0.1 + 0.37 * ((i * 7) % 11) / 11 for i, v in enumerate(e.variables)}


def torch_backward(e, at):
    import torch

    symbols = [sympy.Symbol(v) for v in e.variables]
    private = [sympy.Symbol(f"_a{i}") for i in range(len(symbols))]
    from dfdx.agreement import _elementary

    body = _elementary(e.sympy.xreplace(dict(zip(symbols, private, strict=True))))
    fn = sympy.lambdify(private, body, modules="torch")

    def run():
        args = [
            torch.tensor(at[v], dtype=torch.float64, requires_grad=True)
            for v in e.variables
        ]
        fn(*args).backward()

    return run


def cli_ratio(runs: int = 9) -> tuple[float, float]:
    """Median wall times of the CLI and of the bare import, as a user's
    machine runs them: with Python's bytecode cache (an environment that sets
    PYTHONDONTWRITEBYTECODE, as some sandboxes do, would make every run
    compile dfdx's sources again, about 30 ms, while NumPy and SymPy come
    with compiled files from their wheels). One untimed run writes the cache."""
    dfdx_cmd = [sys.executable, "-m", "dfdx", "diff", "3x^2 - 4x"]
    base_cmd = [sys.executable, "-c", "import numpy, sympy"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(dfdx_cmd, check=True, capture_output=True, env=env)
    a, b = [], []
    for _ in range(runs):
        for cmd, out in ((dfdx_cmd, a), (base_cmd, b)):
            t = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, env=env)
            out.append(time.perf_counter() - t)
    return statistics.median(a), statistics.median(b)


def warm_up() -> None:
    """One untimed call of everything measured, on an unrelated expression:
    one-time imports and first-call set-up (SymPy's lazy imports, dfdx's
    modules) are start-up costs, which the CLI row measures, not per call."""
    e = dfdx.parse("a*tanh(b*c) + sigmoid(c)^2")
    sympy.diff(e.sympy, sympy.Symbol("a"))
    dfdx.diff(e, "a")
    dfdx.explain(e, "b").to_text()
    dfdx.gradient(e)
    at = point(e)
    dfdx.trace(e, at).backward()
    torch_backward(e, at)()


def measure(name: str, text: str, wrt: str) -> list[tuple]:
    e = dfdx.parse(text)
    ops = sympy.count_ops(e.sympy)
    ws = weights(e) if len(e.variables) > 1 else ["x"]
    sym_w = [sympy.Symbol(w) for w in ws]
    at = point(e)
    rows = []
    for cold in (True, False):
        t_sd = timed(lambda: sympy.diff(e.sympy, sympy.Symbol(wrt)), cold)
        t_d = timed(lambda: dfdx.diff(e, wrt), cold)
        t_e = timed(lambda: dfdx.explain(e, wrt).to_text(), cold, repeat=3)
        t_sg = timed(lambda: [sympy.diff(e.sympy, w) for w in sym_w], cold, repeat=3)
        t_g = timed(lambda: dfdx.gradient(e, wrt=ws), cold, repeat=3)
        graph = dfdx.trace(e, at)
        t_b = timed(graph.backward, False)
        t_t = timed(torch_backward(e, at), False)
        kind = "cold" if cold else "warm"
        rows.append((name, ops, kind, t_sd, t_d, t_e, t_sg, t_g, t_b, t_t))
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    old = dfdx.set_time_limit(600)
    warm_up()
    rows = []
    for name, text, wrt in CASES:
        rows += measure(name, text, wrt)
    cli, base = cli_ratio()
    dfdx.set_time_limit(old)
    section = render(rows, cli, base)
    print(section)
    write_section(section, START, END)


def render(rows, cli, base) -> str:
    L = [
        START,
        "",
        "## Symbolic work on deep-learning expressions (benchmarks/bench_symbolic.py)",
        "",
    ]
    L.append(
        "Ratios to the anchor measured in the same run (lower is better); "
        "targets: diff ≤ 2×, explain + text ≤ 10×, gradient ≤ 2×, backward ≤ 5×. "
        "Timed as timeit does (garbage collector off during each call). "
        "Cold: the median of 5 calls with SymPy's cache cleared before each, which also clears dfdx's "
        "(the remembered results of diff, gradient and explain); warm: the "
        "median of repeated calls, answered from those caches by both "
        "libraries (SymPy's diff and gradient, dfdx's diff, gradient and "
        "explain with its text), so the warm rows compare cache look-ups. "
        "Every function ran once on another expression first (one-time "
        "imports are in the CLI row)."
    )
    L += [
        "",
        "| expression | ops | cache | sympy.diff | dfdx.diff | explain + text | SymPy gradient | dfdx.gradient | backward | torch autograd |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    worst = {"diff": 0.0, "explain": 0.0, "gradient": 0.0, "backward": 0.0}
    for name, ops, cache, t_sd, t_d, t_e, t_sg, t_g, t_b, t_t in rows:
        r = (t_d / t_sd, t_e / t_sd, t_g / t_sg, t_b / t_t)
        for key, v in zip(worst, r, strict=True):
            worst[key] = max(worst[key], v)
        L.append(
            f"| {name} | {ops} | {cache} | {t_sd * 1e3:.1f} ms | {t_d * 1e3:.1f} ms ({r[0]:.1f}×) "
            f"| {t_e * 1e3:.0f} ms ({r[1]:.1f}×) | {t_sg * 1e3:.0f} ms | {t_g * 1e3:.0f} ms ({r[2]:.1f}×) "
            f"| {t_b * 1e6:.0f} µs ({r[3]:.1f}×) | {t_t * 1e6:.0f} µs |"
        )
    targets = {"diff": 2, "explain": 10, "gradient": 2, "backward": 5}
    L += [""]
    for key, v in worst.items():
        verdict = "met" if v <= targets[key] else "**missed**"
        L.append(f"- worst {key} ratio {v:.1f}× (target ≤ {targets[key]}×): {verdict}")
    ratio = cli / base
    verdict = "met" if ratio <= 1.3 else "**missed**"
    L.append(
        f'- `dfdx diff "3x^2 - 4x"` wall time {cli:.2f} s against '
        f'`python -c "import numpy, sympy"` {base:.2f} s: {ratio:.2f}× (target ≤ 1.3×): {verdict}'
    )
    L += ["", END]
    return "\n".join(L)


if __name__ == "__main__":
    main()
