"""The chapter's notebook runs in a real Jupyter kernel through the d2l drop-in."""

import pytest

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")

from pathlib import Path  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "calculus.ipynb"


def test_chapter_notebook_executes_in_a_kernel(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    outputs = [cell.get("outputs", []) for cell in nb.cells if cell.cell_type == "code"]
    errors = [o for cell in outputs for o in cell if o.get("output_type") == "error"]
    assert not errors
    stderr = [
        o["text"]
        for cell in outputs
        for o in cell
        if o.get("output_type") == "stream" and o.get("name") == "stderr"
    ]
    assert not any("Warning" in text for text in stderr), stderr
    # the chapter's five lines, printed by the learner's own loop
    first = "".join(o.get("text", "") for o in outputs[0])
    assert first.splitlines() == [
        "h=0.10000, numerical limit=2.30000",
        "h=0.01000, numerical limit=2.03000",
        "h=0.00100, numerical limit=2.00300",
        "h=0.00010, numerical limit=2.00030",
        "h=0.00001, numerical limit=2.00003",
    ]
    # the table's rich display shows exact values and errors
    html = [
        o["data"]["text/html"] for o in outputs[1] if "text/html" in o.get("data", {})
    ]
    assert html and "<th>error</th>" in html[0]
    # use_svg_display() switched the inline backend to SVG inside the kernel
    figures = [o["data"] for o in outputs[2] if o.get("output_type") == "display_data"]
    assert figures and "image/svg+xml" in figures[0]
    # LaTeX display of the derivative
    assert any("text/latex" in o.get("data", {}) for o in outputs[3])

    # rich displays of what dfdx adds: steps (HTML, both languages), gradient and
    # chain rule (LaTeX), graph (SVG), numerical derivative (HTML)
    def mimes(i):
        return {k for o in outputs[i] for k in o.get("data", {})}

    assert "text/html" in mimes(7) and "text/html" in mimes(8)
    assert "乘法法则" not in str(outputs[7]) and "常数倍法则" in str(outputs[8])
    assert "text/latex" in mimes(9) and "text/latex" in mimes(10)
    assert "image/svg+xml" in mimes(11)
    assert "text/html" in mimes(12)


def test_chinese_notebook_executes_in_a_kernel(tmp_path):
    nb = nbformat.read(NOTEBOOK.with_name("calculus-zh.ipynb"), as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    outputs = [cell.get("outputs", []) for cell in nb.cells if cell.cell_type == "code"]
    assert not [o for cell in outputs for o in cell if o.get("output_type") == "error"]
    stderr = [
        o["text"]
        for cell in outputs
        for o in cell
        if o.get("output_type") == "stream" and o.get("name") == "stderr"
    ]
    assert not any("Warning" in text for text in stderr), stderr
    text = ["".join(o.get("text", "") for o in cell) for cell in outputs]
    assert text[0].splitlines()[-1] == "h=0.00001, numerical limit=2.00003"
    assert "常数倍法则" in text[3] and "结果：d/dx (3*x**2 - 4*x) = 6*x - 4" in text[3]
    assert "对数求导法" in text[4]
    assert "不可微" in text[5]
    assert "练习 9" in text[7] and "数值验证" in text[7] and "不一致" not in text[7]
