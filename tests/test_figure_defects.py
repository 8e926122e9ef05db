"""Issue 24 part 7: each figure defect, fixed in its mechanism and pinned."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

import dfdx
from dfdx.plotting.figures import _exact_text, plot_error_vs_h


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _labels(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_no_truncation_guide_where_there_is_no_truncation_error():
    # central differences of a quadratic are exact: a "slope 2" guide lied
    labels = _labels(plot_error_vs_h("x^2", 1.0))
    assert "truncation guide, slope 2" not in labels
    assert (
        "central: only round-off seen at every h (no truncation error measured)"
        in labels
    )
    assert "truncation guide, slope 1" in labels  # forward still has f''/2·h
    labels = _labels(plot_error_vs_h("exp(x)", 1.0))
    assert {"truncation guide, slope 1", "truncation guide, slope 2"} <= set(labels)
    # at an inflection point (sin at 0: f'' = 0) the forward error's leading
    # term is f'''/6 h^2: the guide has the slope the data show, not the
    # textbook 1
    labels = _labels(plot_error_vs_h("sin(x)", 0.0))
    assert "truncation guide, slope 1" not in labels
    assert labels.count("truncation guide, slope 2") == 2


def test_a_quadratic_in_chinese_says_so_too():
    labels = _labels(plot_error_vs_h("3x^2 - 4x", 1.0, lang="zh"))
    assert "中心：每个 h 处都只见舍入误差（测不到截断误差）" in labels


@pytest.mark.parametrize(
    "value, text",
    [
        (np.pi / 2, "π/2"),
        (-np.pi / 2, "-π/2"),
        (3 * np.pi / 2, "3π/2"),
        (np.pi, "π"),
        (0.5, "1/2"),
        (-2.0, "-2"),
        (1.23456789, "1.23457"),  # no simple exact form: the decimal
        (np.e, "2.71828"),
    ],
)
def test_points_are_named_exactly_where_simple(value, text):
    assert _exact_text(value) == text


def test_tan_poles_are_labelled_with_pi():
    ax = dfdx.plot_function("tan(x)", xlim=(-1.4, 4.8))
    assert {"pole at x = π/2", "pole at x = 3π/2"} <= set(_labels(ax))


def test_a_pole_on_the_frame_is_moved_inside():
    # 1/x on [0, 3]: the pole line sat on the left spine, invisible
    ax = dfdx.plot_function("x^3 - 1/x", xlim=(0, 3))
    lo, hi = ax.get_xlim()
    assert lo < 0 and hi == 3
    assert "pole at x = 0" in _labels(ax)
    ax = dfdx.plot_function("x^2", xlim=(0, 3))  # no pole: the range as asked
    assert ax.get_xlim() == (0, 3)


def test_contour_labels_sit_inside_the_frame():
    ax = dfdx.plot_gradient_field("x^2 + 3y^2")
    (xlo, xhi), (ylo, yhi) = ax.get_xlim(), ax.get_ylim()
    texts = [t for t in ax.texts if t.get_text().strip()]
    assert len(texts) >= 5
    for t in texts:
        x, y = t.get_position()
        assert xlo + 0.07 * (xhi - xlo) <= x <= xhi - 0.07 * (xhi - xlo)
        assert ylo + 0.07 * (yhi - ylo) <= y <= yhi - 0.07 * (yhi - ylo)
    # drawn: every label's box lies inside the axes' box
    fig = ax.figure
    fig.canvas.draw()
    box = ax.get_window_extent()
    for t in texts:
        b = t.get_window_extent()
        assert box.x0 <= b.x0 and b.x1 <= box.x1 and box.y0 <= b.y0 and b.y1 <= box.y1


def test_tangent_plane_title_writes_no_unit_coefficient():
    title = dfdx.plot_tangent_plane("x^2 - y", at={"x": 1, "y": 0.5}).get_title()
    assert "z = 0.5 + 2(x − 1) − (y − 0.5)" in title
    title = dfdx.plot_tangent_plane("x*y", at={"x": 0, "y": 0}).get_title()
    assert title.endswith("z = 0")


def test_the_secant_legend_names_the_line_each_frame_draws(tmp_path):
    a = dfdx.animate_secants("x^2", 1.0, h_values=[1e-1, 1e-15, 1e-17])
    legend = [t.get_text() for t in a.figure.axes[0].get_legend().get_texts()]
    assert "secant through x and x + h" in legend
    a.draw(1)  # 1 + 1e-15 is held as 1 + 1.11e-15: the secant goes there
    shown = a._secant_label.get_text()
    assert shown == "secant through x and x + h as rounded (1.0000000000000011)"
    a.draw(2)  # 1 + 1e-17 rounds to 1: no secant at all
    assert (
        a._secant_label.get_text() == "no secant: x + h rounds to x (the quotient is 0)"
    )
    a.draw(0)
    assert a._secant_label.get_text() == "secant through x and x + h"


def test_chinese_summaries_are_chinese(tmp_path, capsys):
    # issue 24: the walk-through's table rows, and the tangent and animate
    # summaries, stayed English under --lang zh
    from dfdx.cli import main

    assert main(["--lang", "zh", "--outdir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "h=0.10000，数值极限=2.30000" in out and "numerical limit" not in out
    assert "f(x) = 3x^2 - 4x" in out and "f'(x) = 6x - 4" in out
    assert main(["tangent", "x^3 - 1/x", "--at", "1", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("f(x) = x^3 - 1/x 在 x = 1 处的切线：y = 4x - 4")
    assert "斜率" in out and "slope" not in out
    gif = tmp_path / "a.gif"
    args = [
        "animate",
        "x^2",
        "--at",
        "1",
        "--frames",
        "3",
        "--lang",
        "zh",
        "-o",
        str(gif),
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "帧" in out and "最佳 h" in out and "frames" not in out
    assert main(["limit", "x^2", "--at", "1", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "前向差分" in out and "数值极限" in out and "differences" not in out


def test_a_chinese_table_warns_in_chinese():
    table = dfdx.limit_table("sign(x)", 0.0, lang="zh")
    text = table.format()
    assert "不收敛" in text and "注：" in text and "not converging" not in text
    assert "does not converge" not in text
    assert "not converging" in table.format(lang="en")
