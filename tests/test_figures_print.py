"""Figures a teacher can print (issue 11, item 1): checked through their data."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import dfdx  # noqa: E402
from dfdx import d2l  # noqa: E402
from dfdx.plotting.figures import plot_error_vs_h  # noqa: E402
from dfdx.plotting.legend import data_points, legend_overlaps, place_legend  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


LEGEND_CASES = {
    # issue 11's examples: "dfdx plot tan(x) --xlim -4 4" and the gradient
    # fields had the legend over the curve / the arrows
    "plot tan(x) --xlim -4 4": lambda: dfdx.plot_function("tan(x)", xlim=(-4, 4)),
    "gradient field x^2 - y^2 at (1, 0.5)": lambda: dfdx.plot_gradient_field(
        "x^2 - y^2", at={"x": 1, "y": 0.5}
    ),
    "x^3 - 1/x on [-3, 3]": lambda: dfdx.plot_function("x^3 - 1/x", xlim=(-3, 3)),
    "tangent of x^3 - 1/x at 1": lambda: dfdx.plot_tangent(
        "x^3 - 1/x", at=1, xlim=(0, 3)
    ),
    "error vs h, sin at 1": lambda: plot_error_vs_h("sin(x)", 1.0),
    "error vs h, exp at 0": lambda: plot_error_vs_h("exp(x)", 0.0),
}


@pytest.mark.parametrize("make", LEGEND_CASES.values(), ids=LEGEND_CASES.keys())
def test_legends_cover_no_data(make):
    ax = make()
    ax.figure.canvas.draw()
    assert ax.get_legend() is not None
    assert len(data_points(ax)) > 50  # the check sees the drawing
    assert legend_overlaps(ax) == 0


def test_a_legend_with_nowhere_to_go_goes_outside():
    fig, ax = plt.subplots()
    xs = np.linspace(0, 1, 200)
    for k in range(40):  # lines everywhere in the axes
        ax.plot(xs, (xs + k / 40) % 1, label=f"curve {k}" if k < 3 else None)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    legend = place_legend(ax)
    box = legend.get_window_extent(fig.canvas.get_renderer())
    assert box.x0 > ax.get_window_extent().x1  # right of the axes
    assert legend_overlaps(ax) == 0


def test_error_vs_h_guides_read_as_the_slopes_they_name():
    ax = plot_error_vs_h("sin(x)", 1.0)
    assert not ax.xaxis_inverted()  # h grows to the right
    lines = {line.get_label(): line for line in ax.lines}
    for label, slope in [
        ("round-off ~ eps·|f|/h (slope −1)", -1),
        ("truncation guide, slope 1", 1),
        ("truncation guide, slope 2", 2),
    ]:
        line = lines[label]
        h, e = np.asarray(line.get_xydata()).T
        fitted = np.polyfit(np.log10(h), np.log10(e), 1)[0]
        assert fitted == pytest.approx(slope, abs=1e-9)
        # drawn above the data curves
        assert line.get_zorder() > lines["forward (f(x+h) − f(x))/h"].get_zorder()


def test_d2l_more_curves_than_formats_stay_distinguishable():
    x = np.linspace(0, 1, 50)
    ax = d2l.plot(x, [x * k for k in range(1, 9)], "x", "y")
    styles = [
        (
            matplotlib.colors.to_hex(line.get_color()),
            line.get_linestyle(),
            line.get_marker(),
        )
        for line in ax.lines
    ]
    assert len(set(styles)) == 8
    # the first four are d2l's own formats, unchanged
    assert [s[1] for s in styles[:4]] == ["-", "--", "-.", ":"]
    assert [s[0] for s in styles[1:4]] == ["#bf00bf", "#008000", "#ff0000"]
    assert styles[5][:2] == styles[1][:2]  # curve 6: curve 2's format ...
    assert styles[5][2] != styles[1][2]  # ... with a marker that tells them apart


def test_png_is_printable(tmp_path):
    from PIL import Image

    path = tmp_path / "f.png"
    dfdx.plot_function("sin(x)", xlim=(-3, 3), output=path)
    with Image.open(path) as im:
        dpi = im.info.get("dpi", (0, 0))[0]
        assert round(dpi) >= 150


def test_tangent_plane_point_and_arrow_are_drawn_above_the_surface(tmp_path):
    from PIL import Image

    path = tmp_path / "plane.png"
    ax = dfdx.plot_tangent_plane("x^2 - y^2", at={"x": 1, "y": 0.5}, output=path)
    assert ax.computed_zorder is False  # our order, not mplot3d's depth sort
    surfaces = [c for c in ax.collections if c.__class__.__name__ == "Poly3DCollection"]
    arrow = next(line for line in ax.lines if line.get_label().startswith("∇f"))
    point = next(
        c for c in ax.collections if c.__class__.__name__ == "Path3DCollection"
    )
    top = max(s.get_zorder() for s in surfaces)
    assert arrow.get_zorder() > top and point.get_zorder() > top
    with Image.open(path) as im:  # was 413 x 416 px at 100 dpi
        assert round(im.info["dpi"][0]) >= 150 and min(im.size) >= 600


@pytest.mark.parametrize("f", ["x^(1/3)", "cbrt(x)", "x^(2/3)", "sqrt(abs(x))"])
def test_a_vertical_tangent_or_domain_edge_is_not_called_a_jump(f):
    """dfdx plot "x^(1/3)" labelled a 'jump at x = 0': the bisection's gap
    there shrinks like width^(1/3), it does not stay."""
    ax = dfdx.plot_function(f, xlim=(-2, 2))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert not any("jump" in t for t in labels)


@pytest.mark.parametrize(
    "f, at", [("sign(x)", 0), ("x + sign(x)", 0), ("relu(x) + sign(x-1)", 1)]
)
def test_real_jumps_are_still_found(f, at):
    ax = dfdx.plot_function(f, xlim=(-2, 2))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"jump at x = {at}" in labels
