"""dfdx's readable forms against SymPy's simplify, on small derivatives.

Run from the repository root:  python benchmarks/bench_tidy.py [--write]
With --write it replaces the section between the TIDY markers of
benchmarks/RESULTS.md.

dfdx.simplify.tidy does not call sympy.simplify (whose first call imports
sympy.physics); on forms of at most FULL_SIMPLIFY_OPS operations with
functions it tries a few rewrites that stand in for it. This script makes the
derivatives of random small expressions (seeded; sin, cos, exp, log, tanh,
sqrt, sigmoid, tan, atan, powers, products, sums, quotients of x and y) and,
for each one tidy treats that way, compares tidy's form with the shortest of
the derivative and simplify's form (what tidy returned before): same form,
shorter, as short but different, longer (SymPy's operation count), and the
time of each, in one process, SymPy's cache cleared before every call.
"""

from __future__ import annotations

import random
import time

import sympy
from _results import write_section
from sympy.core.cache import clear_cache

from dfdx.functions import sigmoid
from dfdx.simplify import (
    FULL_SIMPLIFY_OPS,
    TIDY_NODES,
    _transcendental,
    at_most,
    ops,
    tidy,
)

START, END = "<!-- TIDY -->", "<!-- /TIDY -->"

x = sympy.Symbol("x", real=True)
y = sympy.Symbol("y", real=True)
UNARY = [
    sympy.sin,
    sympy.cos,
    sympy.exp,
    sympy.log,
    sympy.tanh,
    sympy.sqrt,
    sigmoid,
    lambda u: u**2,
    lambda u: u**3,
    lambda u: 1 / u,
    sympy.tan,
    sympy.atan,
]


def random_expression(rnd: random.Random, depth: int):
    if depth == 0 or rnd.random() < 0.25:
        return rnd.choice(
            [x, x, x, sympy.Integer(2), sympy.Integer(3), sympy.Rational(1, 2), y]
        )
    k = rnd.random()
    if k < 0.4:
        return rnd.choice(UNARY)(random_expression(rnd, depth - 1))
    a, b = random_expression(rnd, depth - 1), random_expression(rnd, depth - 1)
    if k < 0.7:
        return a * b
    if k < 0.9:
        return a + b
    return a / b


def corpus(size: int = 300, seed: int = 1) -> list:
    rnd = random.Random(seed)
    found: set = set()
    while len(found) < size:
        e = random_expression(rnd, 3)
        if e.has(x):
            found.add(e)
    forms = []
    for e in sorted(found, key=sympy.default_sort_key):
        d = sympy.diff(e, x)
        n = ops(d)
        # the forms tidy gives the rewrites that stand in for simplify
        if at_most(d, TIDY_NODES) and 2 < n <= FULL_SIMPLIFY_OPS and _transcendental(d):
            forms.append(d)
    return forms


def simplify_form(d):
    """The shortest of `d` and SymPy's simplify of it (the form before)."""
    s = sympy.simplify(d)
    return min(
        [d, s], key=lambda c: (ops(c), len(sympy.srepr(c)) if c is not d else -1)
    )


def timed(fn, d):
    clear_cache()
    t = time.perf_counter()
    out = fn(d)
    return out, time.perf_counter() - t


def main() -> None:
    forms = corpus()
    tally = {
        "same": 0,
        "shorter": 0,
        "as short": 0,
        "longer: tanh kept": 0,
        "longer": 0,
    }
    t_ours = t_theirs = worst_ours = worst_theirs = 0.0
    longer = []
    for d in forms:
        ours, a = timed(tidy, d)
        theirs, b = timed(simplify_form, d)
        t_ours, t_theirs = t_ours + a, t_theirs + b
        worst_ours, worst_theirs = max(worst_ours, a), max(worst_theirs, b)
        if ours == theirs:
            tally["same"] += 1
        elif ops(ours) < ops(theirs):
            tally["shorter"] += 1
        elif ops(ours) == ops(theirs):
            tally["as short"] += 1
        elif theirs.has(sympy.cosh) and not d.has(sympy.cosh):
            tally["longer: tanh kept"] += 1
        else:
            tally["longer"] += 1
            longer.append((d, ours, theirs))
    lines = [
        START,
        "",
        "## Readable forms without SymPy's simplify (benchmarks/bench_tidy.py)",
        "",
        f"Derivatives of {len(forms)} random small expressions (at most "
        f"{FULL_SIMPLIFY_OPS} operations, with functions); tidy's form against the "
        "shortest of the derivative and SymPy's simplify of it, in SymPy's operation "
        "count; times with SymPy's cache cleared before each call. By choice tidy "
        "keeps tanh's derivative as 1 - tanh(u)^2, the form deep learning uses, "
        "where simplify may write 1/cosh(u)^2 (one operation shorter): those rows "
        "are counted apart.",
        "",
        "| same form | shorter | as short, different | longer: 1 - tanh² kept "
        "| longer | tidy total (worst) | simplify total (worst) |",
        "|---|---|---|---|---|---|---|",
        f"| {tally['same']} | {tally['shorter']} | {tally['as short']} | "
        f"{tally['longer: tanh kept']} | {tally['longer']} | "
        f"{t_ours:.2f} s ({worst_ours:.2f} s) | "
        f"{t_theirs:.2f} s ({worst_theirs:.2f} s) |",
        "",
    ]
    for d, ours, theirs in longer:
        lines.append(
            f"- longer: `{sympy.sstr(d)}`: tidy `{sympy.sstr(ours)}` ({ops(ours)} "
            f"operations), simplify `{sympy.sstr(theirs)}` ({ops(theirs)})"
        )
    lines += ["", END]
    section = "\n".join(lines)
    print(section)
    write_section(section, START, END)


if __name__ == "__main__":
    main()
