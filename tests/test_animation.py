"""Issue 11 item 2: secants closing on the tangent, into the round-off regime."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
import sympy
from PIL import Image

import dfdx
from dfdx.errors import DfdxError, NotDifferentiableError, UndefinedError


@pytest.fixture(scope="module")
def square():
    return dfdx.animate_secants("x^2", at=1)


def test_default_frames_run_from_1_to_1e_15_past_the_best_h(square):
    hs = [fr.h for fr in square.frames]
    assert len(hs) == 31 and hs[0] == 1.0 and hs[-1] == pytest.approx(1e-15)
    assert square.slope == 2.0
    best = square.frames[square.best]
    assert 1e-9 <= best.h <= 1e-7 and best.error < 1e-7
    # past the best h the error grows again: round-off, shown, not hidden
    assert square.frames[-1].error > 1e3 * best.error


def test_quotients_are_pythons_double_precision_quotients(square):
    for fr in square.frames:
        x1 = 1.0 + fr.h
        assert fr.x1 == x1
        assert fr.quotient == (x1 * x1 - 1.0) / fr.h  # x**2 exactly as Python
    assert square.frames[-1].quotient == 2.220446049250313  # not 2


def test_quotients_agree_with_exact_secant_slopes_where_round_off_is_small():
    a = dfdx.animate_secants("sin(x)", at=1, h_values=[1, 0.1, 1e-3])
    x, h = sympy.symbols("x h")
    for fr in a.frames:
        exact = ((sympy.sin(1 + h) - sympy.sin(1)) / h).subs(h, fr.h).evalf(50)
        assert fr.quotient == pytest.approx(float(exact), rel=1e-10)
        assert fr.error == pytest.approx(abs(float(exact) - math.cos(1)), rel=1e-6)


def test_each_frames_drawn_secant_has_the_quotient_as_its_slope(square):
    for i in (0, 5, square.best, len(square) - 1):
        square.draw(i)
        fr = square.frames[i]
        xs, ys = (np.asarray(v, dtype=float) for v in square.secant_line.get_data())
        slope = (ys[-1] - ys[0]) / (xs[-1] - xs[0])
        assert slope == pytest.approx(fr.quotient, rel=1e-9)
        px, py = (np.asarray(v, dtype=float) for v in square.points.get_data())
        assert list(px) == [1.0, fr.x1] and list(py) == [fr.f0, fr.f1]
        # the marker on the error curve sits at this frame's (h, error)
        mx, my = square.marker.get_data()
        assert list(mx) == [fr.h] and list(my) == [fr.error]
        assert f"{fr.quotient:.12g}" in square.axes[0].get_title()


def test_tangent_is_drawn_above_the_secant_and_legends_sit_outside_the_axes(square):
    tangent = next(ln for ln in square.axes[0].lines if ln.get_linestyle() == "--")
    assert tangent.get_zorder() > square.secant_line.get_zorder()
    fig = square.figure
    fig.canvas.draw()
    for ax in square.axes:
        legend = ax.get_legend().get_window_extent()
        assert legend.y1 <= ax.get_window_extent().y0  # below the plot area


def test_x_plus_h_that_rounds_to_x_is_said():
    a = dfdx.animate_secants("x^2", at=1e6, h_values=[1.0, 1e-12])
    assert a.frames[1].x1 == 1e6 and a.frames[1].quotient == 0.0
    a.draw(1)
    assert "rounds to x" in a.axes[0].get_title()


def test_gif_has_one_image_per_frame_and_is_written_atomically(square, tmp_path):
    out = tmp_path / "secants.gif"
    square.save(out)
    with Image.open(out) as im:
        assert im.n_frames == len(square.frames)
        assert im.size[0] >= 900
    assert sorted(os.listdir(tmp_path)) == ["secants.gif"]


def test_html_page_plays_offline(tmp_path):
    a = dfdx.animate_secants("x^3", at=0.5, h_values=[1, 1e-4, 1e-12])
    out = tmp_path / "s.html"
    a.save(out)
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<title>" in page
    assert page.count("data:image/png;base64") == 3
    assert "http://" not in page.split("<body>")[0]
    assert a._repr_html_().count("data:image/png;base64") == 3


def test_formats_and_ffmpeg(square, tmp_path, monkeypatch):
    with pytest.raises(DfdxError, match=r"\.gif, \.mp4, \.html"):
        square.save(tmp_path / "s.png")
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(DfdxError, match="needs ffmpeg"):
        square.save(tmp_path / "s.mp4")
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"h_values": []}, "non-empty"),
        ({"h_values": [0.1, -1]}, "finite positive"),
        ({"h_values": [0.1, float("nan")]}, "finite positive"),
        ({"h_values": np.full(61, 0.1)}, "at most 60"),
        ({"h_values": "abc"}, "h_values must be numbers"),
        ({"fps": 0}, "fps"),
        ({"xlim": (2, 1)}, "xlim"),
    ],
)
def test_bad_arguments_are_refused(kwargs, message, tmp_path):
    with pytest.raises(DfdxError, match=message):
        dfdx.animate_secants("x^2", at=1, path=tmp_path / "a.gif", **kwargs)


def test_no_tangent_no_animation():
    with pytest.raises(UndefinedError):
        dfdx.animate_secants("log(x)", at=-1)
    with pytest.raises(NotDifferentiableError):
        dfdx.animate_secants("abs(x)", at=0)
    with pytest.raises(DfdxError, match="at must be finite"):
        dfdx.animate_secants("x^2", at=float("inf"))
    for bad in (True, "one", None, [1.0]):
        with pytest.raises(DfdxError, match="at must be a number"):
            dfdx.animate_secants("x^2", at=bad)


def test_a_pole_inside_the_window_is_drawn_as_in_the_static_plots():
    a = dfdx.animate_secants("tan(x)", at=1.2, h_values=[1, 0.1, 1e-8])
    poles = [ln for ln in a.axes[0].lines if "pole" in ln.get_label()]
    assert len(poles) == 1 and poles[0].get_xdata()[0] == pytest.approx(math.pi / 2)
    assert a.frames[0].f1 == pytest.approx(math.tan(2.2))


def test_a_callable_uses_a_numerical_reference():
    a = dfdx.animate_secants(lambda t: t**3, at=2.0, h_values=[0.5, 1e-6])
    assert a.slope == pytest.approx(12.0, rel=1e-9)
    assert "numerical" in a.axes[1].get_ylabel()


def test_chinese_frames():
    import os

    from dfdx import _fonts as fonts

    if fonts.cjk_font() is None:  # as the other font tests do
        if os.environ.get("DFDX_REQUIRE_CJK"):
            pytest.fail("CI installs a CJK font, yet none was found")
        pytest.skip("no CJK font installed (CI installs fonts-wqy-microhei)")
    a = dfdx.animate_secants("x^2", at=1, h_values=[1, 1e-8], lang="zh")
    assert "割线" in a.figure.get_suptitle()
    a.draw(1)
    assert "误差" in a.axes[0].get_title()
    a.figure.canvas.draw()  # no missing-glyph warning (warnings are errors)


def test_cli_writes_the_gif(tmp_path, capsys):
    from dfdx.cli import main

    out = tmp_path / "s.gif"
    assert main(["animate", "x^2", "--at", "1", "--frames", "7", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "7 frames" in text and "best h" in text
    with Image.open(out) as im:
        assert im.n_frames == 7
    assert main(["animate", "x^2", "--at", "1", "-o", str(tmp_path / "s.png")]) == 2
    assert "the animation file must end in .gif" in capsys.readouterr().err


def test_to_gif_bytes_for_a_saved_notebook():
    import io

    a = dfdx.animate_secants("x^2", at=1, h_values=[1, 1e-4, 1e-12])
    data = a.to_gif(fps=2, dpi=50)
    assert data.startswith(b"GIF89a")
    with Image.open(io.BytesIO(data)) as im:
        assert im.n_frames == 3 and im.size[0] == pytest.approx(10.5 * 50, abs=2)
    with pytest.raises(DfdxError, match="fps"):
        a.to_gif(fps=-1)


def test_an_animation_is_laid_out_once_not_per_frame(tmp_path, monkeypatch):
    """Constrained layout run for every frame was two thirds of the time to
    write a GIF; it now runs once (frame 0: a frame changes data and a line
    of title only), and the figure keeps its layout engine afterwards."""
    import matplotlib.layout_engine as cl
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    calls = []
    real = cl.do_constrained_layout

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(cl, "do_constrained_layout", counting)
    anim = dfdx.animate_secants(
        "x^2", at=1, h_values=[1.0, 0.1, 0.01, 1e-3, 1e-6, 1e-9]
    )
    calls.clear()
    anim.save(tmp_path / "a.gif", fps=4, dpi=50)
    assert len(calls) == 1
    assert isinstance(anim.figure.get_layout_engine(), ConstrainedLayoutEngine)
    from PIL import Image

    with Image.open(tmp_path / "a.gif") as im:
        assert im.n_frames == len(anim)


def _whole_frames(anim):
    """Every frame drawn whole (the reference for the partial redraw)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    out = []
    with anim._laid_out_once():
        canvas = FigureCanvasAgg(anim.figure)
        for i in range(len(anim)):
            anim.draw(i)
            canvas.draw()
            out.append(np.asarray(canvas.buffer_rgba()).copy())
    return out


@pytest.mark.parametrize(
    ("f", "at", "lang"),
    [
        ("x^2", 1.0, "en"),
        ("sin(x)", 0.5, "zh"),
        ("sqrt(x)", 1e-8, "en"),  # frames where x - h leaves the domain
        ("x^3", 100.0, "en"),  # x + h rounds to x at the smallest h
    ],
)
def test_frames_redrawn_in_place_are_pixel_identical_to_whole_redraws(f, at, lang):
    """The GIF writer redraws only each axes' artists from the first one a
    frame changes; every pixel of every frame must be what a whole redraw
    gives (the same artists, in the same order, on the same pixels)."""
    try:
        anim = dfdx.animate_secants(f, at, lang=lang)
    except DfdxError:
        pytest.skip("no animation at this point")
    # two animations, one way each: a figure laid out a second time can
    # move by a pixel (constrained layout starts from where it left off)
    want = _whole_frames(dfdx.animate_secants(f, at, lang=lang))
    assert anim._redraw_plan() is not None  # the partial path is taken
    got = [rgba.copy() for rgba in anim._frames_rgba()]
    assert len(got) == len(want)
    for i, (a, b) in enumerate(zip(got, want, strict=True)):
        assert np.array_equal(a, b), f"frame {i} differs"
    # and the artists are back to normal drawing afterwards
    assert not any(a.get_animated() for a in anim.figure.findobj())


@pytest.mark.parametrize(
    ("f", "at", "lang"),
    [
        ("x*y + exp(x*y)", {"x": 0.5, "y": 2}, "en"),
        (
            "sigmoid(w1*x1 + w2*x2 + b)^2 + tanh(x1*x2)",
            {"w1": 0.5, "x1": 1.0, "w2": -0.3, "x2": 2.0, "b": 0.1},
            "zh",
        ),
    ],
)
def test_graph_animation_frames_are_pixel_identical_to_whole_redraws(f, at, lang):
    """A graph animation updates its texts in place and redraws only the
    regions of the texts that changed (and the texts those regions meet):
    every pixel of every frame must be what clearing the figure and drawing
    the frame from scratch gives."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    g = dfdx.trace(f, at)
    reference = g.animate(lang=lang)
    canvas = FigureCanvasAgg(reference.figure)
    want = []
    for i in range(len(reference)):
        reference._drawn = None  # no in-place update: a figure drawn anew
        reference.draw(i)
        canvas.draw()
        want.append(np.asarray(canvas.buffer_rgba()).copy())
    anim = g.animate(lang=lang)
    got = [rgba.copy() for rgba in anim._frames_rgba()]
    assert len(got) == len(want) == len(anim)
    for i, (a, b) in enumerate(zip(got, want, strict=True)):
        assert np.array_equal(a, b), f"frame {i} differs"
    assert anim._drawn is not None  # the in-place path was taken
    assert not np.array_equal(got[0], got[-1])


def test_no_frames_title_runs_into_the_figures_title():
    """A long frame text is raised above the y axis's offset text ("1e6");
    the layout was made for frame 0's shorter text, and the raised one ran
    into the figure's title (x^3 at 100, h = 1e-12)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    anim = dfdx.animate_secants("x^3", 100.0)
    canvas = FigureCanvasAgg(anim.figure)
    with anim._laid_out_once():
        renderer = canvas.get_renderer()
        for i in range(len(anim)):
            anim.draw(i)
            canvas.draw()
            top = anim.figure._suptitle.get_window_extent(renderer)
            title = anim._title.get_window_extent(renderer)
            assert title.y1 <= top.y0, f"frame {i}: {title} reaches {top}"


def test_saving_twice_gives_the_same_file():
    """The layout is computed once and kept: run again, constrained layout
    started from where it had left the axes and moved them (two GIFs of one
    animation differed)."""
    anim = dfdx.animate_secants("x^2", 1.0)
    first = anim.to_gif(dpi=60)
    anim.figure.canvas.draw()  # e.g. shown in a notebook in between
    assert anim.to_gif(dpi=60) == first
    assert dfdx.animate_secants("x^2", 1.0).to_gif(dpi=60) == first
