"""Chinese text in figures (issue 11, item 5): drawn with a CJK font when one
is installed (CI installs fonts-wqy-microhei), one clear warning otherwise."""

from __future__ import annotations

import os
import warnings

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import dfdx  # noqa: E402
from dfdx import _fonts as fonts  # noqa: E402
from dfdx import d2l  # noqa: E402
from dfdx.plotting.figures import save_figure  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _require_font():
    if fonts.cjk_font() is None:
        if os.environ.get("DFDX_REQUIRE_CJK"):
            pytest.fail("CI installs a CJK font, yet none was found")
        pytest.skip("no CJK font installed (CI installs fonts-wqy-microhei)")


def _chinese_figure():
    x = np.linspace(0, 3, 50)
    ax = d2l.plot(
        x, [np.sin(x), np.cos(x)], "自变量 x", "函数值", legend=["正弦", "余弦 −cos"]
    )
    ax.set_title("三角函数，负数 −1")
    return ax


def test_chinese_text_renders_without_missing_glyphs(tmp_path):
    _require_font()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph would raise here
        ax = _chinese_figure()
        save_figure(ax, tmp_path / "zh.png")
        save_figure(ax, tmp_path / "zh.svg")
        dfdx.plot_function(
            "x^2 - 1", xlim=(-2, 2), xlabel="横轴 x", output=tmp_path / "f.png"
        )
    family = fonts.cjk_font()
    title = ax.title
    assert family in title.get_fontfamily()
    # Latin text and the minus sign keep the default font: it comes first
    assert title.get_fontfamily()[0] != family


def test_no_cjk_font_is_one_clear_warning(tmp_path, monkeypatch):
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    monkeypatch.setattr(fonts, "_warned", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        save_figure(_chinese_figure(), tmp_path / "a.png")
        save_figure(_chinese_figure(), tmp_path / "b.png")
    ours = [w for w in caught if issubclass(w.category, fonts.NoCJKFontWarning)]
    assert len(ours) == 1
    assert "apt-get install fonts-noto-cjk" in str(ours[0].message)
    assert not [w for w in caught if "Glyph" in str(w.message)]


def test_latin_only_figures_are_untouched(tmp_path):
    before = list(matplotlib.rcParams["font.family"])
    ax = dfdx.plot_function("sin(x)", xlim=(-3, 3))
    save_figure(ax, tmp_path / "s.png")
    assert list(matplotlib.rcParams["font.family"]) == before


def test_has_cjk():
    assert fonts.has_cjk("损失 loss") and fonts.has_cjk("データ")
    assert not fonts.has_cjk("x² − 1, α, ∇f")


def test_figures_in_chinese(tmp_path):
    _require_font()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = dfdx.plot_tangent("x^3 - 1/x", 1, xlim=(-1, 3), lang="zh")
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend[1:] == ["切线（x=1）：y = 4x - 4", "极点 x = 0"]
        table = dfdx.limit_table("exp(x)", 0.0, steps=4)
        ax = table.plot(lang="zh", output=tmp_path / "e.png")
        assert ax.get_xlabel() == "步长 h" and "精确值" in ax.get_ylabel()
        assert "前向差分 (f(x+h) − f(x))/h" in [line.get_label() for line in ax.lines]
    with pytest.raises(dfdx.DfdxError, match="lang must be"):
        dfdx.plot_function("x", lang="fr")


def test_cli_figures_in_chinese(tmp_path, capsys):
    _require_font()
    from dfdx.cli import main

    out = tmp_path / "t.png"
    assert main(["tangent", "x^2", "--at", "1", "-o", str(out), "--lang", "zh"]) == 0
    assert out.stat().st_size > 0
    out = tmp_path / "p.svg"
    assert (
        main(["plot", "tan(x)", "--xlim", "-4", "4", "-o", str(out), "--lang", "zh"])
        == 0
    )
    assert out.read_text(encoding="utf-8").startswith("<?xml")
    out = tmp_path / "e.png"
    assert (
        main(["limit", "exp(x)", "--at", "0", "--plot", str(out), "--lang", "zh"]) == 0
    )
    assert out.stat().st_size > 0


def test_exercise_figure_follows_the_language(tmp_path, monkeypatch):
    _require_font()
    from dfdx.plotting import figures

    seen = []
    real = figures.plot_function

    def spy(*args, **kwargs):
        ax = real(*args, **kwargs)
        seen.append([t.get_text() for t in ax.get_legend().get_texts()])
        return ax

    monkeypatch.setattr(figures, "plot_function", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = dfdx.exercises(6, lang="zh", outdir=tmp_path)
    assert result.ok
    assert seen and seen[0][1] == "切线（x=1）：y = 4x - 4"


def test_field_figures_in_chinese():
    _require_font()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = dfdx.plot_gradient_field("x^2 - y^2", at={"x": 1, "y": 0.5}, lang="zh")
        assert ax.get_title().endswith("：等高线与梯度")
        ax = dfdx.plot_tangent_plane("x^2 - y^2", at={"x": 1, "y": 0.5}, lang="zh")
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend == ["切平面", "∇f = [2, -1] (最速上升方向)"]
        assert "切平面，切点 (1, 0.5)" in ax.get_title()
        ax.figure.canvas.draw()  # the Chinese glyphs are found


def test_math_beside_chinese_words_draws_no_missing_glyph_boxes(tmp_path, caplog):
    # mathtext draws the words outside $...$ of a text with its own fonts (no
    # Chinese glyphs, only a logged "does not have a glyph"): a title such as
    # "$e^{x}$，x = 0 处" showed boxes. Beside Chinese words the expression is
    # written in plain Unicode.
    _require_font()
    from dfdx.plotting.figures import plot_error_vs_h

    figures = [
        plot_error_vs_h("exp(x)", 0.0, lang="zh").figure,
        dfdx.plot_gradient_field("x^2 - y^2", at={"x": 1, "y": 0.5}, lang="zh").figure,
        dfdx.plot_tangent_plane("3x^2 + y^2", at={"x": 1, "y": 0.5}, lang="zh").figure,
        dfdx.animate_secants("exp(x)", at=0, h_values=[1, 1e-8], lang="zh").figure,
    ]
    with caplog.at_level("WARNING"):
        for i, fig in enumerate(figures):
            save_figure(fig, tmp_path / f"{i}.png")
    assert not [r for r in caplog.records if "glyph" in r.getMessage()]
    titles = [
        t.get_text() for fig in figures for t in fig.findobj(matplotlib.text.Text)
    ]
    assert not [t for t in titles if "$" in t and fonts.has_cjk(t)]
    assert any(t.startswith("exp(x)，x = 0 处") for t in titles)


def test_computation_graph_in_chinese(tmp_path):
    """The graph's drawing and its animation in Chinese: the words are
    Chinese, every box is wide enough for its Chinese text, and the PNG and
    GIF are written with no missing-glyph warning (warnings are errors)."""
    _require_font()
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    g = dfdx.trace("(sigmoid(w*x + b) - t)^2", at={"w": 0.5, "x": 2, "b": -0.5, "t": 1})
    g.backward()
    fig = g.figure(lang="zh")
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert any("\n值 " in t for t in texts)
    assert any("\n梯度 " in t for t in texts)
    assert any("处" in t for t in texts) and any("局部导数" in t for t in texts)
    # the layout reserves room by the text's width in monospace cells, a
    # Chinese character taking two: each drawn box fits the room reserved
    renderer = canvas.get_renderer()
    sizes = g._box_sizes(None, {n.id: n.grad for n in g.nodes}, None, "zh")
    drawn = 0
    for t in fig.findobj(matplotlib.text.Text):
        gid = t.get_gid() or ""
        if not gid.startswith("node-"):
            continue
        box = t.get_bbox_patch().get_window_extent(renderer)
        half_width = sizes[gid[5:]][0]
        assert box.width / fig.dpi <= 2 * half_width + 0.02, t.get_text()
        drawn += 1
    assert drawn == len(g.nodes)
    save_figure(fig, tmp_path / "graph.png")
    anim = g.animate(tmp_path / "bp.gif", lang="zh")
    assert anim.captions[0].startswith("前向：输入")
    assert anim.captions[-1].startswith("完成：")
    assert (tmp_path / "bp.gif").stat().st_size > 10_000


def test_no_cjk_font_is_one_line_from_the_figures_and_the_cli(
    tmp_path, monkeypatch, capsys
):
    """--lang zh without a CJK font: the CLI printed nothing, and Python gave
    five "Glyph ... missing" warnings (raised while the figure was laid out)
    before dfdx's one warning."""
    from dfdx.cli import main

    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    monkeypatch.setattr(fonts, "_warned", False)
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            dfdx.plot_tangent("x^2", at=1, lang="zh", output=tmp_path / "t.png")
        assert [w.category for w in caught] == [fonts.NoCJKFontWarning]
        monkeypatch.setattr(fonts, "_warned", False)
        out = tmp_path / "c.png"
        assert (
            main(["tangent", "x^2", "--at", "1", "--lang", "zh", "-o", str(out)]) == 0
        )
    err = capsys.readouterr().err
    assert err.count("dfdx: warning:") == 1 and "no CJK font" in err
    assert "Glyph" not in err
