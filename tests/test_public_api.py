"""The public API is pinned: every name of dfdx.__all__, every module path the
documentation imports from, and the hooks the layers are wired with.

Moving code between modules (docs/architecture.md) must not change any of
these; a name removed from here is a change users see."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import dfdx

ROOT = Path(__file__).resolve().parents[1]

PUBLIC = {
    "ALGEBRA_SLIPS", "Hint", "LineCheck", "WorkCheck", "check_work", "hint",
    "Agreement", "AnswerCheck", "ChainRule", "ComputationGraph", "Derivation",
    "DerivativeResult", "DfdxError", "Differentiability", "Domain", "Exercise",
    "Exercises", "Explorer", "Expression", "GradCheckError", "GradCheckReport",
    "LimitResult", "LimitStep", "LimitTable", "MatrixRule",
    "NotDifferentiableError", "NotationWarning", "ParseError", "SavedModule",
    "SecantAnimation", "SharedGradient", "Step", "Steps", "SymbolicGradient", "SymbolicHessian",
    "SymbolicJacobian", "TangentLine", "UndefinedError", "__version__", "agree",
    "animate_secants", "chain_rule", "check_answer", "check_grad", "d2l",
    "derivative", "diff", "differentiable", "exercises", "explain", "explore",
    "from_definition", "get_memory_limit", "get_time_limit", "gradient",
    "gradient_rules", "hessian", "jacobian", "limit", "limit_table",
    "matrix_rule", "numerical_lim", "parse", "partial", "plot_function",
    "plot_gradient_field", "plot_tangent", "plot_tangent_plane", "save_marked",
    "set_memory_limit", "set_time_limit", "tangent_line", "trace",
}  # fmt: skip

#: module paths that code outside dfdx imports (the README, docstrings,
#: notebooks, the d2l drop-in), with a name each must still offer
PATHS = {
    "dfdx.d2l": "plot",
    "dfdx.plotting.d2l": "plot",
    "dfdx.numeric": "derivative",
    "dfdx.plotting.figures": "plot_function",
    "dfdx.plotting.animation": "GraphAnimation",
    "dfdx.plotting.fonts": "NoCJKFontWarning",
    "dfdx.plotting.explorer": "explore",
    "dfdx.cli": "main",
    "dfdx.expr": "parse",
    "dfdx.symbolic": "diff",
    "dfdx.multivariate": "gradient",
}


def test_all_is_pinned_and_every_name_resolves():
    assert set(dfdx.__all__) == PUBLIC
    for name in dfdx.__all__:
        assert getattr(dfdx, name) is not None, name


@pytest.mark.parametrize(("path", "name"), sorted(PATHS.items()))
def test_documented_module_paths_still_work(path, name):
    if path == "dfdx.d2l":
        module = dfdx.d2l
    else:
        module = importlib.import_module(path)
    assert hasattr(module, name)


def _documented_imports() -> set[tuple[str, str]]:
    texts = [(ROOT / "README.md").read_text(encoding="utf-8")]
    # in the source, the examples of docstrings only (its own imports are
    # checked by importing it)
    texts += [
        "\n".join(
            line.split(">>>", 1)[1]
            for line in p.read_text(encoding="utf-8").splitlines()
            if ">>>" in line
        )
        for p in (ROOT / "src").rglob("*.py")
    ]
    texts += [
        p.read_text(encoding="utf-8") for p in (ROOT / "notebooks").glob("*.ipynb")
    ]
    found = set()
    for text in texts:
        for module, names in re.findall(
            r"from (dfdx(?:\.[a-z_0-9]+)*) import ([A-Za-z_0-9, ]+)", text
        ):
            for name in names.split(","):
                name = name.strip().split(" as ")[0].strip()
                if name and not name.startswith("_"):
                    found.add((module, name))
    return found


def test_every_import_the_documentation_shows_works():
    """Scanned, not listed: a `from dfdx.x import y` added to the README, a
    docstring or a notebook is checked too."""
    found = _documented_imports()
    assert ("dfdx", "d2l") in found and ("dfdx.numeric", "jacobian") in found
    for module, name in sorted(found):
        if module == "dfdx":
            assert hasattr(dfdx, name), (module, name)
        else:
            assert hasattr(importlib.import_module(module), name), (module, name)


def test_the_layers_are_wired_in_a_fresh_interpreter():
    """Expression.diff, text given to the numeric engine, LimitTable.plot and
    ComputationGraph.animate reach the layer above through dfdx._wiring, set
    by the package's __init__: they work whichever module is imported
    first, and `import dfdx` still loads neither SymPy nor matplotlib."""
    code = (
        "import sys\n"
        "from dfdx.numeric import derivative\n"
        "assert 'sympy' not in sys.modules and 'matplotlib' not in sys.modules\n"
        "print(derivative('x^3', 2.0).df)\n"
        "from dfdx.expr import parse\n"
        "print(parse('sin(x)').diff())\n"
        "from dfdx import _wiring\n"
        "print(sorted(k for k, v in vars(_wiring).items()\n"
        "             if callable(v) and getattr(v, '__module__', '') == 'dfdx'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert float(lines[0]) == pytest.approx(12.0, rel=1e-12)
    assert lines[1] == "cos(x)"
    assert lines[2] == str(
        sorted(
            [
                "diff",
                "graph_animation",
                "plot_error_vs_h",
                "plot_function",
                "read_expression",
            ]
        )
    )


def test_module_paths_from_before_the_subpackages_are_the_same_modules():
    """dfdx.expr, dfdx.symbolic, dfdx._timelimit... (before the layers became
    subpackages) import as the moved modules themselves: one object, its own
    name and spec, so a monkeypatch through either path is seen by both."""
    code = (
        "import importlib, dfdx\n"
        "for old, new in sorted(dfdx._MOVED.items()):\n"
        "    a = importlib.import_module('dfdx.' + old)\n"
        "    b = importlib.import_module('dfdx.' + new)\n"
        "    assert a is b and a.__name__ == a.__spec__.name == 'dfdx.' + new, old\n"
        "    assert getattr(dfdx, old) is b, old\n"
        "print(len(dfdx._MOVED))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert int(out.stdout) >= 30
