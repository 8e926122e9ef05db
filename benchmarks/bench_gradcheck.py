"""Gradient checkers side by side on the bug zoo and the clean traps.

Run from the repository root:  python benchmarks/bench_gradcheck.py [--write] [--quick]
With --write it replaces the section between the GRADCHECK markers of
benchmarks/RESULTS.md. --quick skips the 100 000-element runs.

Checkers, in one process on the same cases (benchmarks/gradcheck_zoo.py):
dfdx.check_grad in 'full' and 'directional' mode, torch.autograd.gradcheck
(slow mode up to 1 000 elements, fast mode at every size) and, when JAX is
installed, jax.test_util.check_grads (on the JAX subset of the zoo, float64
enabled as a careful user would). A bug counts as caught when the checker
reports failure; a trap counts as a false alarm when it reports failure or
raises. Function calls are counted by wrapping the function.
"""

from __future__ import annotations

import importlib.util
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gradcheck_zoo  # noqa: E402
from _results import write_section  # noqa: E402

import dfdx  # noqa: E402

START, END = "<!-- GRADCHECK -->", "<!-- /GRADCHECK -->"
FULL_AT_LARGE = {  # the cases run in full mode at 100 000 elements (minutes each)
    "elementwise, gradient off by 1e-06",
    "relu at exact zeros",
}


def counted(fn):
    calls = [0]

    def wrapper(*args):
        calls[0] += 1
        return fn(*args)

    wrapper.__name__ = getattr(fn, "__name__", "fn")
    return wrapper, calls


def run_dfdx(fn, inputs, mode, diagnosis=None):
    f, calls = counted(fn)
    t = time.perf_counter()
    try:
        report = dfdx.check_grad(f, *inputs, mode=mode)
        alarm = report.status == "failed"
        outcome = report.status
        if diagnosis is not None:
            diagnosis.append(report.diagnosis)
    except dfdx.DfdxError as exc:
        alarm, outcome = True, f"error: {exc}"
    return alarm, outcome, calls[0], time.perf_counter() - t


def run_torch(fn, inputs, fast):
    import torch

    f, calls = counted(fn)
    args = [
        a.detach().clone().requires_grad_(True)
        if isinstance(a, torch.Tensor) and a.is_floating_point()
        else a
        for a in inputs
    ]
    t = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ok = torch.autograd.gradcheck(
                f, tuple(args), fast_mode=fast, raise_exception=False
            )
        alarm, outcome = not ok, "passed" if ok else "failed"
    except Exception as exc:  # gradcheck refuses some dtypes
        alarm, outcome = True, f"error: {type(exc).__name__}"
    return alarm, outcome, calls[0], time.perf_counter() - t


def run_jax(fn, inputs):
    from jax.test_util import check_grads

    f, calls = counted(fn)
    t = time.perf_counter()
    try:
        check_grads(f, tuple(inputs), order=1, modes=["rev"])
        alarm, outcome = False, "passed"
    except AssertionError:
        alarm, outcome = True, "failed"
    except Exception as exc:
        alarm, outcome = True, f"error: {type(exc).__name__}"
    return alarm, outcome, calls[0], time.perf_counter() - t


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    dfdx.set_time_limit(600)
    sizes = (10, 1000) if quick else (10, 1000, 100_000)
    rows = []  # (size, checker, case, kind, alarm, outcome, calls, seconds)
    torch_cases = gradcheck_zoo.torch_cases()
    for n in sizes:
        for name, kind, make in torch_cases:
            checkers = [
                ("dfdx directional", lambda fn, x: run_dfdx(fn, x, "directional"))
            ]
            if n <= 1000 or name in FULL_AT_LARGE:
                checkers.append(("dfdx full", lambda fn, x: run_dfdx(fn, x, "full")))
            checkers.append(
                ("torch gradcheck fast", lambda fn, x: run_torch(fn, x, True))
            )
            if n <= 1000:
                checkers.append(
                    ("torch gradcheck", lambda fn, x: run_torch(fn, x, False))
                )
            for checker, run in checkers:
                fn, inputs = make(n)
                rows.append((n, checker, name, kind, *run(fn, inputs)))
            print(f"{n:>7} {name}", flush=True)
    has_jax = importlib.util.find_spec("jax") is not None
    if has_jax:
        import jax

        jax.config.update("jax_enable_x64", True)
        for n in sizes[:2]:
            for name, kind, make in gradcheck_zoo.jax_cases():
                for checker, run in [
                    ("dfdx full (JAX)", lambda fn, x: run_dfdx(fn, x, "full")),
                    (
                        "dfdx directional (JAX)",
                        lambda fn, x: run_dfdx(fn, x, "directional"),
                    ),
                    ("jax check_grads", run_jax),
                ]:
                    fn, inputs = make(n)
                    rows.append((n, checker, name, kind, *run(fn, inputs)))
    classes = by_class(has_jax)
    section = render(rows, has_jax, quick, classes)
    print(section)
    write_section(section, START, END)


def by_class(has_jax: bool) -> list:
    """(checker, class, examples, caught, diagnosed) over the zoo's bugs by
    class (gradcheck_zoo.torch_diagnosis_cases and jax_diagnosis_cases, at
    100 elements; nondeterministic right functions count as the class
    'nondeterministic, right': passed is right) and the zoo's bugs with a
    class (ZOO_CLASSES)."""
    out: dict = {}

    def add(checker, cls, caught, diagnosed):
        row = out.setdefault((checker, cls), [0, 0, 0])
        row[0] += 1
        row[1] += caught
        row[2] += diagnosed

    cases = [("torch", c) for c in gradcheck_zoo.torch_diagnosis_cases()]
    cases += [
        ("torch", (name, gradcheck_zoo.zoo_class(name), make))
        for name, kind, make in gradcheck_zoo.torch_cases()
        if kind == "bug" and gradcheck_zoo.zoo_class(name)
    ]
    if has_jax:
        cases += [("jax", c) for c in gradcheck_zoo.jax_diagnosis_cases()]
    for framework, (name, cls, make) in cases:
        label = cls or "nondeterministic, right (must pass)"
        for mode in ("full", "directional"):
            got: list = []
            fn, inputs = make(100)
            alarm = run_dfdx(fn, inputs, mode, got)[0]
            right = (not alarm) if cls is None else alarm
            diagnosed = bool(got) and got[0] == cls if cls else right
            add(f"dfdx {mode}", label, right, diagnosed)
        if framework == "torch":
            for fast in (False, True):
                fn, inputs = make(100)
                alarm = run_torch(fn, inputs, fast)[0]
                name_ = "torch gradcheck" + (" fast" if fast else "")
                add(name_, label, (not alarm) if cls is None else alarm, False)
        else:
            fn, inputs = make(100)
            alarm = run_jax(fn, inputs)[0]
            add("jax check_grads", label, (not alarm) if cls is None else alarm, False)
        print(f"    by class: {name}", flush=True)
    return [(k[0], k[1], *v) for k, v in sorted(out.items(), key=lambda kv: kv[0])]


def _median(values) -> str:
    values = sorted(values)
    return str(values[len(values) // 2]) if values else "-"


def render(rows, has_jax, quick, classes=()) -> str:
    import platform

    import torch

    L = [
        START,
        "",
        "## Gradient checkers on the bug zoo (benchmarks/bench_gradcheck.py)",
        "",
    ]
    L.append(
        f"torch {torch.__version__}"
        + (
            f", jax {__import__('jax').__version__}"
            if has_jax
            else ", JAX not installed"
        )
        + f", {platform.machine()}, CPU. Bugs must be caught, traps must not alarm."
    )
    L += [
        "",
        "| size | checker | bugs caught | false alarms on traps "
        "| calls when it passes (median) | calls on bugs (median) | seconds (total) |",
    ]
    L.append("|---|---|---|---|---|---|---|")
    keys = sorted({(r[0], r[1]) for r in rows}, key=lambda k: (k[0], k[1]))
    for n, checker in keys:
        sel = [r for r in rows if r[0] == n and r[1] == checker]
        bugs = [r for r in sel if r[3] == "bug"]
        traps = [r for r in sel if r[3] == "trap"]
        caught = sum(r[4] for r in bugs)
        alarms = sum(r[4] for r in traps)
        passing = [r[6] for r in sel if r[5] == "passed"]
        on_bugs = [r[6] for r in bugs]
        secs = sum(r[7] for r in sel)
        L.append(
            f"| {n} | {checker} | {caught}/{len(bugs)} | {alarms}/{len(traps)} | "
            f"{_median(passing)} | {_median(on_bugs)} | {secs:.2f} |"
        )
    L += ["", "Misses and false alarms, per case:", ""]
    L += [
        "| size | checker | case | kind | outcome | calls |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        wrong = (r[3] == "bug") != bool(r[4])
        if wrong:
            L.append(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[5][:60]} | {r[6]} |")
    # time of full mode against gradcheck (slow mode) at 1 000 elements
    ratios = []
    for r in rows:
        if r[0] == 1000 and r[1] == "dfdx full":
            other = [
                s
                for s in rows
                if s[0] == 1000 and s[1] == "torch gradcheck" and s[2] == r[2]
            ]
            if other and other[0][7] > 0:
                ratios.append((r[7] / other[0][7], r[2]))
    if ratios:
        ratios.sort()
        med = ratios[len(ratios) // 2][0]
        L += [
            "",
            f"dfdx full / torch gradcheck time at 1 000 elements: median {med:.2f}x, "
            f"worst {ratios[-1][0]:.2f}x ({ratios[-1][1]}).",
        ]
    per: dict[int, list[int]] = {}
    for r in rows:
        if r[1] == "dfdx directional" and r[5] == "passed" and "tie" not in r[2]:
            per.setdefault(r[0], []).append(r[6])
    if per:
        L.append(
            "dfdx directional, calls of fn (the autodiff call included) on the "
            "passing cases without ties, by size (median / max): "
            + ", ".join(f"{n}: {_median(v)} / {max(v)}" for n, v in sorted(per.items()))
            + "."
        )
    if classes:
        checkers = sorted({c[0] for c in classes})
        kinds = sorted({c[1] for c in classes})
        L += [
            "",
            "### By class of bug, at 100 elements (caught / diagnosed / examples)",
            "",
            "Diagnosed: `report.diagnosis` names the class (dfdx only: the other "
            "checkers report a mismatch and nothing more). 'no_known_pattern' is "
            "the class of a bug with none (cos² for cos): diagnosed means saying "
            "so. Nondeterministic right functions (1e-13 noise in the forward "
            "and backward passes) must pass: caught counts the passes there.",
            "",
            "| class | " + " | ".join(checkers) + " |",
            "|---|" + "---|" * len(checkers),
        ]
        cell = {(c[0], c[1]): c for c in classes}
        for kind in kinds:
            row = []
            for ch in checkers:
                c = cell.get((ch, kind))
                if c is None:
                    row.append("-")
                elif ch.startswith("dfdx"):
                    row.append(f"{c[3]} / {c[4]} / {c[2]}")
                else:
                    row.append(f"{c[3]} / - / {c[2]}")
            L.append(f"| {kind} | " + " | ".join(row) + " |")
    if quick:
        L.append("(--quick: the 100 000-element runs were skipped.)")
    L += ["", END]
    return "\n".join(L)


if __name__ == "__main__":
    main()
