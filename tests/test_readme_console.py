"""Every `$ dfdx ...` example in the README is run, and prints what the README
shows (stdout, then stderr; exit code 0, or 2 for an example of an error).

Rows of difference-quotient tables below h = 1e-9 are dominated by round-off:
their digits past eps/h come from the platform's libm, so there (and only
there) numbers may differ by 8·eps/h; the README says so beside that example."""

from __future__ import annotations

import math
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
_NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")


def _examples():
    text = README.read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"(?ms)^```(?:text|console|bash)\n(.*?)^```", text):
        lines = block.splitlines()
        if not lines or not lines[0].startswith("$ dfdx"):
            continue
        current = None
        for line in lines:
            if line.startswith("$ dfdx"):
                current = [line[2:], []]
                out.append(current)
            elif current is not None:
                current[1].append(line)
    return [(cmd, "\n".join(expected).strip("\n")) for cmd, expected in out]


EXAMPLES = _examples()


def test_the_readme_has_console_examples():
    assert len(EXAMPLES) >= 10


def _roundoff_h(line: str) -> float | None:
    m = re.match(r"h=(\S+), numerical limit", line)
    h = float(m.group(1)) if m else None
    return h if h is not None and h < 1e-9 else None


def _same(expected: str, actual: str) -> bool:
    if expected == actual:
        return True
    h = _roundoff_h(expected)
    if h is None:
        return False
    a, b = _NUMBER.findall(expected), _NUMBER.findall(actual)
    if len(a) != len(b) or _NUMBER.sub("#", expected) != _NUMBER.sub("#", actual):
        return False
    tol = 8 * 2.0**-52 / h
    return all(math.isclose(float(x), float(y), abs_tol=tol) for x, y in zip(a, b))


@pytest.mark.parametrize("command, expected", EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_console_example(command, expected, tmp_path):
    if "--check" in command:  # its table has a column per installed framework
        pytest.importorskip("torch", reason="the --check example shows PyTorch")
        pytest.importorskip("jax", reason="the --check example shows JAX")
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONIOENCODING="utf-8")
    argv = shlex.split(command)[1:]
    if "tests/fixtures/" in command:  # the README's example files, as in a checkout
        shutil.copytree(
            README.parent / "tests" / "fixtures", tmp_path / "tests" / "fixtures"
        )
    proc = subprocess.run(
        [sys.executable, "-m", "dfdx", *argv],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )
    actual = (proc.stdout + proc.stderr).strip("\n")
    wants_error = "dfdx: error:" in expected
    assert proc.returncode == (2 if wants_error else 0), proc.stderr
    exp_lines, act_lines = expected.splitlines(), actual.splitlines()
    assert len(exp_lines) == len(act_lines), f"\n{actual}"
    for e, a in zip(exp_lines, act_lines):
        assert _same(e, a), f"README: {e!r}\nactual: {a!r}"
