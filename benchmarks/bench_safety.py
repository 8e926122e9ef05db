"""How fast hostile or heavy input is answered (parser limits, SymPy work bounds).

Run from the repository root:  python benchmarks/bench_safety.py
With --write it replaces the section between the SAFETY markers of
benchmarks/RESULTS.md
(kept below the numeric benchmark's NOTES marker, so both scripts can rerun).
Each case runs in this process; the time is the worst of 3 runs. Target (issue
2): every parser refusal within a second.
"""

from __future__ import annotations

import time

from _results import write_section

import dfdx

START, END = "<!-- SAFETY -->", "<!-- /SAFETY -->"

PARSER_CASES = [
    ("9**9**9**9", "9**9**9**9"),
    ("x**(10**100)", "x**(10**100)"),
    ("100 000 characters", "x" * 100_000),
    ("10 000 nested parentheses", "(" * 10_000 + "x" + ")" * 10_000),
    ("__import__('os').system('x')", "__import__('os').system('x')"),
    ("(10**1000)**1000", "(10**1000)**1000"),
]

HEAVY_CASES = [
    (
        "gradient of a nested 100-operation expression",
        lambda: dfdx.gradient(
            "y/(2 + sin(norm(logsumexp(norm(x, z), sigmoid(y)), z + y/(2 + sin(x)))))",
            at=[1, 1, 1],
        ),
    ),
    (
        "diff of sqrt(1 + (sin(x)/(2 + sin(x z)) + tanh(x) norm(z, 2))^2)",
        lambda: dfdx.diff(
            "sqrt(1 + (sin(x)/(2 + sin(x*z)) + tanh(x)*norm(z, 2))^2)", wrt="x"
        ),
    ),
    (
        "chain rule, 40 nested levels (refused)",
        lambda: dfdx.chain_rule(
            "; ".join(
                [f"v{i} = v{i + 1} + v{i + 1}^2" for i in range(40)] + ["v40 = a"]
            ),
            wrt="a",
        ),
    ),
    (
        "tangent of relu(sin(x)) at the kink",
        lambda: dfdx.tangent_line("relu(sin(x))", 0),
    ),
    ("explain a 30-deep sin", lambda: str(dfdx.explain("sin(" * 30 + "x" + ")" * 30))),
]


def worst_of(fn, runs: int = 3) -> tuple[float, str]:
    worst, outcome = 0.0, ""
    for _ in range(runs):
        start = time.perf_counter()
        try:
            fn()
            outcome = "answered"
        except dfdx.DfdxError as exc:
            outcome = f"refused: {str(exc)[:70]}"
        worst = max(worst, time.perf_counter() - start)
    return worst, outcome


def main() -> None:
    lines = [START, "", "## Hostile and heavy input (benchmarks/bench_safety.py)", ""]
    lines += ["| input | worst of 3 (s) | outcome |", "|---|---|---|"]
    slowest = 0.0
    for name, text in PARSER_CASES:
        t, outcome = worst_of(lambda text=text: dfdx.parse(text))
        slowest = max(slowest, t)
        lines.append(f"| parse `{name}` | {t:.4f} | {outcome} |")
    for name, fn in HEAVY_CASES:
        t, outcome = worst_of(fn)
        lines.append(f"| {name} | {t:.3f} | {outcome} |")
    verdict = "met" if slowest < 1.0 else "**missed**"
    lines += [
        "",
        f"Target: every parser refusal within 1 s: slowest {slowest:.4f} s, {verdict}.",
        "",
        END,
    ]
    section = "\n".join(lines)
    print(section)
    write_section(section, START, END)


if __name__ == "__main__":
    main()
