"""Every `$ dfdx ...` example in the README is run, and prints what the README
shows (stdout, then stderr; exit code 0, or 2 for an example of an error).

Rows of difference-quotient tables carry round-off: f's values have the
platform libm's last bits, and the quotient divides their difference by h. So
a row's numbers may differ by 8·eps·|f(a)|/h (the error model; at h = 1e-7
that shows in twelve digits) and nothing else may differ; the README says so
beside that example."""

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


_ROW = re.compile(r"h=(\S+), numerical limit=")
_HEADER = re.compile(r"^f\((\w+)\) = (.+), \1 = ([^,]+),")


def _f_scale(expected: str) -> float | None:
    """|f(a)| from a table's header line 'f(x) = ..., x = a, ...' (the size
    of the values whose rounding the quotients divide by h)."""
    import dfdx

    for line in expected.splitlines():
        m = _HEADER.match(line)
        if m:
            var, text, at = m.groups()
            try:
                return abs(float(dfdx.parse(text)(**{var: float(at)})))
            except (dfdx.DfdxError, ValueError, TypeError):
                return None
    return None


def _same(expected: str, actual: str, scale: float | None = None) -> bool:
    """Equal, or a difference-quotient row whose numbers differ by no more
    than the error model allows: f's values carry the platform libm's last
    bits, about eps*|f|, and the quotient divides their difference by h. So a
    row may differ by 8*eps*|f(a)|/h (at h = 1e-7 for exp at 0: 2e-8, which
    the twelve printed digits show) and nowhere else."""
    if expected == actual:
        return True
    m = _ROW.match(expected)
    if m is None or scale is None:
        return False
    h = float(m.group(1))
    a, b = _NUMBER.findall(expected), _NUMBER.findall(actual)
    if len(a) != len(b) or _NUMBER.sub("#", expected) != _NUMBER.sub("#", actual):
        return False
    tol = 8 * 2.0**-52 * max(scale, 1e-300) / h
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
    # dfdx check's verdict "wrong" exits with 1
    wrong = re.search(r": wrong$|goes wrong at line", expected.splitlines()[0])
    assert proc.returncode == (2 if wants_error else 1 if wrong else 0), proc.stderr
    exp_lines, act_lines = expected.splitlines(), actual.splitlines()
    assert len(exp_lines) == len(act_lines), f"\n{actual}"
    scale = _f_scale(expected)
    for e, a in zip(exp_lines, act_lines):
        assert _same(e, a, scale), f"README: {e!r}\nactual: {a!r}"
