"""Issue 11 item 6: ``#@save`` collects marked code into an importable module
(d2lbook's rules), never touching its inputs and never writing half a file."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import pytest

import dfdx
from dfdx.errors import DfdxError

FIXTURES = Path(__file__).parent / "fixtures"
SOURCES = [FIXTURES / "marked.ipynb", FIXTURES / "marked.md", FIXTURES / "marked.py"]


def _digest(paths):
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"saved_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def saved(tmp_path):
    before = _digest(SOURCES)
    out = tmp_path / "helpers.py"
    result = dfdx.save_marked(SOURCES, out, d2l="dfdx")
    assert _digest(SOURCES) == before  # inputs never modified
    return result, out


def test_each_rule_saves_what_it_should(saved):
    result, out = saved
    first_lines = [code.splitlines()[0] for _, _, code in result.blocks]
    assert first_lines == [
        "def show_svg():",  # trailing mark on a def: the definition
        "def figure_size(size=(3.5, 2.5)):",  # own-line mark: next statement
        "@staticmethod",  # own-line mark above a decorator: decorators kept
        "SCALE = 2",  # trailing mark on another statement
        "def area(r):",  # Markdown ```python fence
        "def twice(v):",  # d2lbook's {.python .input} fence
        "class Point:",  # trailing mark on a class: the whole class
        "def helper():",  # a .py file
    ]
    text = out.read_text(encoding="utf-8")
    assert "#@save" not in text
    assert "def f(x)" not in text and "unsaved" not in text and "print(" not in text
    assert "not python" not in text  # a ```text fence is not code
    assert "%matplotlib" not in text


def test_imports_gathered_once_at_the_top_in_source_order(saved):
    result, out = saved
    assert result.imports == (
        "import numpy as np",
        "from matplotlib_inline import backend_inline",
        "from dfdx import d2l",
        "import math",
        "import os",
    )
    text = out.read_text(encoding="utf-8")
    assert text.count("import numpy as np") == 1
    assert text.index("import os") < text.index("def show_svg")


def test_sources_are_named_with_lines(saved):
    text = saved[1].read_text(encoding="utf-8")
    assert "# from marked.ipynb, cell 2, line 9\ndef show_svg():" in text
    assert "# from marked.md, line 19\ndef twice(v):" in text
    assert "# from marked.py, line 3\ndef helper():" in text


def test_the_module_imports_and_works(saved):
    module = _load(saved[1])
    assert module.area(1.0) == pytest.approx(3.141592653589793)
    assert module.twice(4) == 8 and module.Point(3).x == 3 and module.SCALE == 2
    assert module.helper() == os.sep
    module.figure_size((4, 3))  # uses the d2l drop-in
    assert tuple(module.d2l.plt.rcParams["figure.figsize"]) == (4.0, 3.0)


def test_a_module_that_does_not_import_is_not_written(tmp_path):
    nb = tmp_path / "n.ipynb"
    cell = "import definitely_not_installed_pkg\n\ndef g():  #@save\n    return 1\n"
    nb.write_text(json.dumps({"cells": [{"cell_type": "code", "source": cell}]}))
    out = tmp_path / "m.py"
    with pytest.raises(
        DfdxError, match="does not import .*definitely_not_installed_pkg"
    ):
        dfdx.save_marked(nb, out)
    assert not out.exists() and sorted(os.listdir(tmp_path)) == ["n.ipynb"]


def test_without_the_drop_in_a_missing_d2l_is_said(tmp_path):
    pytest.importorskip("matplotlib_inline")
    if importlib.util.find_spec("d2l") is not None:
        pytest.skip("d2l is installed here")
    with pytest.raises(DfdxError, match="No module named 'd2l'"):
        dfdx.save_marked(SOURCES[0], tmp_path / "m.py")


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not a valid notebook"),
        ('{"cells": 3}', "no list of cells"),
        ('{"cells": [{"source": "x"}]}', "cell 1 is not a valid notebook cell"),
        ('{"cells": [{"cell_type": "code", "source": 5}]}', "cell 1 has no text"),
        (
            '{"cells": [{"cell_type": "code", "source": "def f(:  #@save"}]}',
            "not valid Python",
        ),
        ('{"cells": [{"cell_type": "code", "source": "x = 1\\n#@save"}]}', "nothing"),
        ('{"cells": [{"cell_type": "code", "source": "x = 1"}]}', "no #@save marks"),
    ],
)
def test_malformed_notebooks_are_clear_errors_and_write_nothing(
    tmp_path, content, message
):
    nb = tmp_path / "bad.ipynb"
    nb.write_text(content, encoding="utf-8")
    out = tmp_path / "m.py"
    sources = [nb] if message.startswith("no #@save") else [SOURCES[2], nb]
    with pytest.raises(DfdxError, match=message):
        dfdx.save_marked(sources, out)
    assert not out.exists()


def test_an_unclosed_fence_and_unknown_sources(tmp_path):
    md = tmp_path / "a.md"
    md.write_text("```python\ndef f():  #@save\n    return 1\n", encoding="utf-8")
    with pytest.raises(DfdxError, match="line 1 is not closed"):
        dfdx.save_marked(md, tmp_path / "m.py")
    with pytest.raises(DfdxError, match="no such file"):
        dfdx.save_marked(tmp_path / "missing.ipynb", tmp_path / "m.py")
    with pytest.raises(DfdxError, match=r"\.ipynb.*\.md.*\.py"):
        dfdx.save_marked(md.with_suffix(".txt"), tmp_path / "m.py")
    with pytest.raises(DfdxError, match="must be a .py file"):
        dfdx.save_marked(SOURCES[2], tmp_path / "m.txt")
    with pytest.raises(DfdxError, match="also a source"):
        dfdx.save_marked(SOURCES[2], SOURCES[2])


def test_never_overwrites_a_file_it_did_not_write(tmp_path):
    out = tmp_path / "mine.py"
    out.write_text("# my own code\n", encoding="utf-8")
    with pytest.raises(DfdxError, match="not generated by dfdx save.*--force"):
        dfdx.save_marked(SOURCES[2], out)
    assert out.read_text(encoding="utf-8") == "# my own code\n"
    dfdx.save_marked(SOURCES[2], out, force=True)
    dfdx.save_marked(SOURCES[2], out)  # its own output: regenerated freely
    assert out.read_text(encoding="utf-8").startswith("# Generated by dfdx save")


def test_cli(tmp_path, capsys):
    from dfdx.cli import main

    out = tmp_path / "h.py"
    args = ["save", *map(str, SOURCES), "-o", str(out), "--d2l", "dfdx"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"wrote {out}: 8 saved blocks, 5 imports")
    assert "marked.md, line 19: def twice(v):" in text
    mine = tmp_path / "mine.py"
    mine.write_text("x = 1\n", encoding="utf-8")
    assert main(["save", str(SOURCES[2]), "-o", str(mine)]) == 2
    assert "--force" in capsys.readouterr().err


def test_the_learners_notebook_shape(tmp_path):
    """The seed notebook's helper cell, as a learner writes it (magics, the
    d2l import, trailing and own-line marks), becomes an importable module."""
    source = (FIXTURES / "marked.ipynb").read_text(encoding="utf-8")
    assert "%matplotlib inline" in source and "from d2l import torch as d2l" in source
    out = tmp_path / "calc.py"
    dfdx.save_marked(FIXTURES / "marked.ipynb", out, d2l="dfdx")
    sys.modules.pop("saved_calc", None)
    module = _load(out)
    assert callable(module.show_svg) and callable(module.figure_size)


@pytest.mark.parametrize(
    "sources, output", [(None, "m.py"), ([3], "m.py"), ([], "m.py"), ("a.py", None)]
)
def test_bad_arguments_are_clear_errors(sources, output, tmp_path):
    with pytest.raises(DfdxError, match="sources|output"):
        dfdx.save_marked(sources, output if output is None else tmp_path / output)


# --------------------------------------------------------------------------
# hostile files (issue: safe inside someone's session)
# --------------------------------------------------------------------------
def _marked_py(tmp_path, body="def f():  #@save\n    return 1\n"):
    src = tmp_path / "src.py"
    src.write_text(body)
    return src


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_source_is_refused_not_read(tmp_path):
    """A FIFO as source hung for ever in the read."""
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    with pytest.raises(DfdxError, match="not a regular file"):
        dfdx.save_marked(fifo, tmp_path / "out.py")


def test_writing_through_a_symlink_keeps_the_link(tmp_path):
    """-o link.py, a link to a generated module, was replaced by a file."""
    src = _marked_py(tmp_path)
    real = tmp_path / "real.py"
    dfdx.save_marked(src, real)
    link = tmp_path / "link.py"
    link.symlink_to(real)
    src.write_text("def g():  #@save\n    return 2\n")
    dfdx.save_marked(src, link)
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert "def g()" in real.read_text()


def test_a_folder_as_output_is_named_a_folder(tmp_path):
    src = _marked_py(tmp_path)
    folder = tmp_path / "pkg.py"
    folder.mkdir()
    with pytest.raises(DfdxError, match="is a folder"):
        dfdx.save_marked(src, folder)


def test_a_child_that_keeps_the_pipes_open_does_not_hold_the_check(tmp_path):
    """A process the module starts and leaves running kept the check's pipes
    open: the check waited 60 s and then misreported. The child's session is
    killed when the import ends."""
    src = _marked_py(
        tmp_path,
        "import subprocess, sys  #@save\n"
        "CHILD = subprocess.Popen([sys.executable, '-c', "
        "'import time; time.sleep(120)'])  #@save\n",
    )
    start = time.monotonic()
    saved = dfdx.save_marked(src, tmp_path / "out.py", import_check=True)
    assert time.monotonic() - start < 30
    assert saved.path.exists()


def test_deep_nesting_is_a_clear_error(tmp_path):
    nb = tmp_path / "deep.ipynb"
    nb.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(DfdxError, match="nested too deeply"):
        dfdx.save_marked(nb, tmp_path / "out.py")
    src = _marked_py(tmp_path, "x = " + "-" * 200_000 + "1  #@save\n")
    with pytest.raises(DfdxError, match="nested too deeply"):
        dfdx.save_marked(src, tmp_path / "out.py")


def test_the_import_check_can_be_turned_off(tmp_path, capsys):
    """The check runs the saved code: --no-import-check writes without it
    (here a module that would fail to import is written as it is)."""
    src = _marked_py(tmp_path, "import no_such_module_dfdx  #@save\n")
    with pytest.raises(DfdxError, match="does not import"):
        dfdx.save_marked(src, tmp_path / "out.py")
    out = tmp_path / "out.py"
    from dfdx.cli import main

    assert main(["save", str(src), "-o", str(out), "--no-import-check"]) == 0
    assert "import no_such_module_dfdx" in out.read_text()
    with pytest.raises(SystemExit):
        main(["save", "--help"])
    assert "RUNS the saved code" in " ".join(capsys.readouterr().out.split())
