"""Function and tangent plots: poles break the line, no warnings, data checked."""

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest

import dfdx
from dfdx import d2l
from dfdx.plotting.sampling import sample


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _segments(line):
    """Pieces of a line between NaN breaks, as (x, y) arrays."""
    xy = line.get_xydata()
    ok = np.isfinite(xy[:, 1])
    pieces, start = [], None
    for i, good in enumerate(ok):
        if good and start is None:
            start = i
        if not good and start is not None:
            pieces.append(xy[start:i])
            start = None
    if start is not None:
        pieces.append(xy[start:])
    return pieces


def test_exercise_1_on_the_books_grid_has_no_warning_and_no_connector():
    x = np.arange(0, 3, 0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = dfdx.plot_function("x^3 - 1/x", x, tangent_at=1)
    curve, tangent = ax.lines[0], ax.lines[1]
    # the curve never crosses x = 0 with a straight segment
    for piece in _segments(curve):
        assert not (piece[:, 0].min() < 0 < piece[:, 0].max())
    # the finite part is x^3 - 1/x exactly
    xy = curve.get_xydata()
    ok = np.isfinite(xy[:, 1])
    np.testing.assert_allclose(xy[ok, 1], xy[ok, 0] ** 3 - 1 / xy[ok, 0], rtol=1e-12)
    # every grid point except the pole is drawn
    assert set(np.round(x[1:], 12)) <= set(np.round(xy[ok, 0], 12))
    # the tangent y = 4x - 4 with its equation in the legend
    tx, ty = tangent.get_xydata().T
    np.testing.assert_allclose(ty, 4 * tx - 4)
    assert tangent.get_label() == "Tangent line at $x = 1$: $y = 4 x - 4$"
    assert tangent.get_linestyle() == "--"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "pole at x = 0" in legend
    lo, hi = ax.get_ylim()
    assert lo > -100 and hi < 100  # readable, not squashed by the pole


def test_pole_inside_range_breaks_the_line():
    ax = dfdx.plot_function("1/x", xlim=(-1, 1))
    pieces = _segments(ax.lines[0])
    assert len(pieces) == 2
    assert pieces[0][:, 0].max() < 0 < pieces[1][:, 0].min()
    assert pieces[0][-1, 1] < -1e3 and pieces[1][0, 1] > 1e3  # climbs towards the pole


def test_tan_has_two_poles_marked():
    s = sample(dfdx.parse("tan(x)"), xlim=(-4, 4))
    np.testing.assert_allclose(s.poles, [-np.pi / 2, np.pi / 2], atol=1e-9)


def test_jump_is_broken_but_not_called_a_pole():
    s = sample(dfdx.parse("sign(x)"), xlim=(-1, 1.3))
    assert s.poles == () and s.jumps == pytest.approx((0.0,), abs=1e-9)


def test_steep_but_continuous_function_is_not_broken():
    s = sample(dfdx.parse("tanh(50x)"), xlim=(-1, 1))
    assert s.poles == () and s.jumps == () and np.isfinite(s.y).all()


def test_smooth_function_is_drawn_as_is():
    ax = dfdx.plot_function("sin(x)", xlim=(0, 3))
    x, y = ax.lines[0].get_xydata().T
    np.testing.assert_allclose(y, np.sin(x), atol=1e-15)
    assert len(ax.lines) == 1


def test_callable_input_and_tangent_from_numbers():
    ax = dfdx.plot_tangent(np.exp, 0.0, xlim=(-1, 1))
    assert ax.lines[0].get_label() == "exp(x)"
    tx, ty = ax.lines[1].get_xydata().T
    np.testing.assert_allclose(ty, tx + 1, atol=1e-9)


@pytest.mark.parametrize("ext", ["svg", "png", "pdf"])
def test_output_by_extension(tmp_path, ext):
    out = tmp_path / f"f.{ext}"
    dfdx.plot_function("x^2", xlim=(-1, 1), output=out)
    head = out.read_bytes()[:8]
    assert {"svg": b"<?xml", "png": b"\x89PNG", "pdf": b"%PDF"}[ext] in head


def test_svg_output_is_deterministic(tmp_path):
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    dfdx.plot_tangent("x^3 - 1/x", 1, x=np.arange(0, 3, 0.1), output=a)
    plt.close("all")
    dfdx.plot_tangent("x^3 - 1/x", 1, x=np.arange(0, 3, 0.1), output=b)
    assert a.read_bytes() == b.read_bytes()


def test_plot_validation(tmp_path):
    with pytest.raises(dfdx.DfdxError, match=r"output must end in .svg, .png, .pdf"):
        dfdx.plot_function("x", output=tmp_path / "f.jpg")
    with pytest.raises(dfdx.DfdxError, match="output folder does not exist"):
        dfdx.plot_function("x", output=tmp_path / "missing" / "f.svg")
    with pytest.raises(
        dfdx.DfdxError, match="xlim must be two finite numbers with low < high"
    ):
        dfdx.plot_function("x", xlim=(1, 0))
    with pytest.raises(dfdx.DfdxError, match="undefined .* at every point"):
        dfdx.plot_function("log(x)", xlim=(-3, -1))
    with pytest.raises(dfdx.DfdxError, match="several variables"):
        dfdx.plot_function("x*y")


def test_chapter_tangent_code_through_d2l_drop_in():
    """The chapter's code with only the import line changed."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")

        def f(x):
            return 3 * x**2 - 4 * x

        x = np.arange(0, 3, 0.1)
        d2l.plot(
            x, [f(x), 2 * x - 3], "x", "f(x)", legend=["f(x)", "Tangent line (x=1)"]
        )
    ax = plt.gca()
    np.testing.assert_allclose(ax.lines[0].get_xydata()[:, 1], 3 * x**2 - 4 * x)
    np.testing.assert_allclose(ax.lines[1].get_xydata()[:, 1], 2 * x - 3)
    assert ax.lines[1].get_linestyle() == "--" and ax.lines[1].get_color() == "m"


def test_exercise_1_through_d2l_with_expressions_has_no_warning():
    """Exercise 1 via the drop-in: dfdx expressions evaluate x = 0 quietly."""
    g = dfdx.parse("x^3 - 1/x")
    t = dfdx.tangent_line(g, 1)
    x = np.arange(0, 3, 0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d2l.plot(
            x, [g(x), t(x)], "x", "g(x)", legend=["g(x)", f"Tangent line (x=1): {t}"]
        )
    ax = plt.gca()
    y = ax.lines[0].get_xydata()[:, 1]
    assert y[0] == -np.inf
    np.testing.assert_allclose(y[1:], x[1:] ** 3 - 1 / x[1:])
    np.testing.assert_allclose(ax.lines[1].get_xydata()[:, 1], 4 * x - 4)


# --- regressions found by attacking the sampler (h-found) --------------------


def test_sign_jump_on_a_grid_point_has_no_vertical_connector():
    # linspace(-2, 2, 801) has x = 0: sign(0) = 0 used to be joined to both
    # sides, drawing a vertical line from -1 to 1, and no jump was reported
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = dfdx.plot_function("sign(x)", xlim=(-2, 2))
    for piece in _segments(ax.lines[0]):
        assert len(set(piece[:, 1])) == 1  # each piece is flat: -1, 0 or 1
    s = sample(dfdx.parse("sign(x)"), xlim=(-2, 2))
    assert s.jumps == pytest.approx((0.0,), abs=1e-12) and s.poles == ()


def test_jump_on_a_grid_point_with_slope_reaches_the_jump():
    s = sample(dfdx.parse("x - sign(x)/2 + sign(x - 1)"), xlim=(-2, 3))
    assert s.jumps == pytest.approx((0.0, 1.0), abs=1e-12)
    ok = np.isfinite(s.y)
    # the curve gets within 1e-12 of x = 1 from the left, at y = 1 - 1/2 - 1
    left = s.x[ok & (s.x < 1)]
    assert 1 - left.max() < 1e-12
    assert s.y[ok & (s.x < 1)][-1] == pytest.approx(-0.5)


def test_tan_squared_even_poles_are_found():
    # no sign change on either side: used to be drawn as two spikes to 1.6e6
    s = sample(dfdx.parse("tan(x)^2"), xlim=(-4, 4))
    np.testing.assert_allclose(s.poles, [-np.pi / 2, np.pi / 2], atol=1e-9)
    assert s.ylim is not None and s.ylim[1] < 1e3


@pytest.mark.parametrize("text", ["exp(1/x)", "exp(-1/x)"])
def test_one_sided_blow_up_is_a_pole_at_zero(text):
    # exp(1/x) overflows just right of 0: used to be "undefined" with a y-axis
    # up to 1e86; exp(-1/x) put its pole at the overflow edge x = -0.0012
    s = sample(dfdx.parse(text), xlim=(-2, 2))
    assert s.poles == pytest.approx((0.0,), abs=1e-9)
    assert s.ylim is not None and s.ylim[1] < 1e5


@pytest.mark.parametrize("text, xlim", [("log(x)", (-1, 3)), ("log(abs(x))", (-3, 3))])
def test_logarithmic_blow_up_at_zero_is_a_pole(text, xlim):
    s = sample(dfdx.parse(text), xlim=xlim)
    assert s.poles == pytest.approx((0.0,), abs=1e-9)


@pytest.mark.parametrize(
    "text, xlim",
    [
        ("sqrt(1 - x^2)", (-2, 2)),
        ("sqrt(x)", (-1, 4)),
        ("sin(1/x)", (-1, 1)),
        ("exp(x)", (-10, 800)),
        ("x^x", (-2, 2)),
    ],
)
def test_domain_edges_oscillation_and_overflow_are_not_poles(text, xlim):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = sample(dfdx.parse(text), xlim=xlim)
    assert s.poles == () and s.jumps == ()


def test_undefined_point_between_two_limits_is_a_jump():
    s = sample(dfdx.parse("abs(x)/x"), xlim=(-1, 1))
    assert s.jumps == (0.0,) and s.poles == ()


@pytest.mark.parametrize(
    "text, x, poles",
    [
        ("1/(x^2 - 1)", None, [-1.0, 1.0]),
        ("1/sin(x)", None, [-2 * np.pi, -np.pi, 0.0, np.pi, 2 * np.pi]),
        ("x/(x - 1)", np.arange(0, 3, 0.1), [1.0]),
    ],
)
def test_poles_against_their_exact_places(text, x, poles):
    s = sample(dfdx.parse(text), x, xlim=(-7, 7))
    np.testing.assert_allclose(s.poles, poles, atol=1e-9)
    assert s.jumps == ()


def test_function_too_large_to_draw_is_refused_not_a_matplotlib_crash():
    # exp(x) up to x = 1000 used to crash inside matplotlib's tick code
    with pytest.raises(dfdx.DfdxError, match="too large to draw on linear axes"):
        dfdx.plot_function("exp(x)", xlim=(-1, 1000))
    ax = dfdx.plot_function("exp(x)", xlim=(-1, 1000), ylim=(0, 10))
    assert ax.get_ylim() == (0.0, 10.0)


def test_mathtext_check_reads_every_math_piece():
    """Labels are typeset only when matplotlib's mathtext parses every $...$
    piece (SymPy writes LaTeX mathtext lacks, such as cases); otherwise the
    figure gets the plain text."""
    from dfdx.plotting.figures import _mathtext_draws

    assert _mathtext_draws("Tangent line at $x = 1$: $y = 4 x - 4$")
    assert not _mathtext_draws(r"$f(x) = \begin{cases} x \end{cases}$")
    assert not _mathtext_draws(r"at $x = 1$: $\begin{cases} x \end{cases}$")
    assert _mathtext_draws("no math at all")
