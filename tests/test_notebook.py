"""The chapter's notebook runs in a real Jupyter kernel through the d2l drop-in."""

import pytest

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")

from pathlib import Path  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "calculus.ipynb"


def _execute(path, tmp_path):
    """The notebook run afresh in a real kernel (its saved outputs replaced)."""
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(
        nb,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    return nb


def test_chapter_notebook_executes_in_a_kernel(tmp_path):
    nb = _execute(NOTEBOOK, tmp_path)
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
    # the two animations, made afresh in the kernel
    assert _gifs(nb) == [16, 21]


def test_chinese_notebook_executes_in_a_kernel(tmp_path):
    nb = _execute(NOTEBOOK.with_name("calculus-zh.ipynb"), tmp_path)
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
    assert "常数倍法则" in text[3] and "结果：d/dx(3x^2 - 4x) = 6x - 4" in text[3]
    assert "对数求导法" in text[4]
    assert "不可微" in text[5]
    assert "练习 9" in text[7] and "数值验证" in text[7] and "不一致" not in text[7]
    assert _gifs(nb) == [16, 21]


def _gifs(nb):
    import base64
    import io

    from PIL import Image

    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if "image/gif" in o.get("data", {}):
                with Image.open(
                    io.BytesIO(base64.b64decode(o["data"]["image/gif"]))
                ) as im:
                    out.append(im.n_frames)
    return out


@pytest.mark.parametrize("name", ["calculus.ipynb", "calculus-zh.ipynb"])
def test_notebooks_are_saved_with_their_outputs(name):
    """Figures and animations show on GitHub and in VS Code: every code cell is
    saved with outputs (python notebooks/build.py), none of them an error, and
    the two animations are GIFs (16 secants, 2·10 + 1 graph frames)."""
    nb = nbformat.read(NOTEBOOK.with_name(name), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("outputs") for c in code), "run: python notebooks/build.py"
    assert not [o for c in code for o in c.outputs if o.get("output_type") == "error"]
    assert _gifs(nb) == [16, 21]


_SPEAKS = {
    "animate",
    "animate_secants",
    "differentiable",
    "exercises",
    "explain",
    "explore",
    "limit_table",
    "plot_function",
}


def test_the_chinese_notebook_is_chinese_throughout():
    """issue 24: calculus-zh.ipynb drew the tangent plot and the backprop
    animation in English: every dfdx call that writes words is asked for
    Chinese, and the book's tangent plot has a Chinese legend."""
    import ast

    nb = nbformat.read(NOTEBOOK.with_name("calculus-zh.ipynb"), as_version=4)
    calls = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(
            line for line in cell.source.splitlines() if not line.startswith("%")
        )
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in _SPEAKS:
                    langs = [k.value for k in node.keywords if k.arg == "lang"]
                    calls.append((node.func.attr, langs))
                if node.func.attr == "plot":  # d2l.plot: the legend's words
                    legend = next(k.value for k in node.keywords if k.arg == "legend")
                    assert any(
                        "\u4e00" <= ch <= "\u9fff"
                        for elt in legend.elts
                        for ch in elt.value
                    )
    assert {name for name, _ in calls} >= {"animate", "animate_secants", "limit_table"}
    for name, langs in calls:
        assert len(langs) == 1 and langs[0].value == "zh", name


def test_saved_gifs_are_readable_at_their_size():
    """issue 24: the notebooks' GIFs were stored at 72 dpi (graph text about 7
    pixels high); at the default resolution the smallest text of every
    animation is at least 12 pixels high, and the saved GIFs are that size."""
    import base64
    import io

    from matplotlib.text import Text
    from PIL import Image

    import dfdx
    from dfdx.plotting.animation import MIN_TEXT_PIXELS

    for name, lang in (("calculus.ipynb", "en"), ("calculus-zh.ipynb", "zh")):
        secants = dfdx.animate_secants("exp(x)", at=0, h_values=[1.0, 0.1], lang=lang)
        graph = dfdx.trace(
            "(sigmoid(w*x + b) - t)^2", at={"w": 0.5, "x": 2, "b": -0.5, "t": 1}
        ).animate(lang=lang)
        widths = []
        for anim in (secants, graph):
            dpi = anim.readable_dpi()
            sizes = [
                t.get_fontsize()
                for t in anim.figure.findobj(Text)
                if t.get_visible() and t.get_text().strip()
            ]
            assert min(sizes) * dpi / 72 >= MIN_TEXT_PIXELS
            widths.append(round(anim.figure.get_size_inches()[0] * dpi))
        nb = nbformat.read(NOTEBOOK.with_name(name), as_version=4)
        saved = []
        for cell in nb.cells:
            for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
                if "image/gif" in o.get("data", {}):
                    data = base64.b64decode(o["data"]["image/gif"])
                    with Image.open(io.BytesIO(data)) as im:
                        saved.append(im.size[0])
        assert saved == widths, name
