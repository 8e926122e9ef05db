"""The README's Python examples are real: run them as doctests in a scratch folder."""

import doctest
import re
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_examples_run_and_print_what_the_readme_says(tmp_path, monkeypatch):
    pytest.importorskip("torch", reason="the README's check_grad examples need PyTorch")
    monkeypatch.chdir(tmp_path)  # examples write figures into the current folder
    # a code fence ends an example's expected output, as a blank line would
    text = re.sub(r"(?m)^```.*$", "", README.read_text(encoding="utf-8"))
    test = doctest.DocTestParser().get_doctest(text, {}, "README.md", str(README), 0)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    try:
        runner.run(test)
    finally:
        plt.close("all")
    result = runner.summarize(verbose=False)
    assert result.attempted > 40
    assert result.failed == 0
