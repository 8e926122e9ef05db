"""Gradient fields and tangent planes, checked through their data."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

import dfdx
from dfdx import DfdxError, NotDifferentiableError
from dfdx.plotting.fields import plot_gradient_field, plot_tangent_plane


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_gradient_field_arrows_are_the_exact_gradient():
    ax = plot_gradient_field("3x1^2 + 5exp(x2)", xlim=(-2, 2), ylim=(-1, 1), density=7)
    (field,) = [c for c in ax.collections if hasattr(c, "U")]
    X, Y = field.X, field.Y
    np.testing.assert_allclose(field.U, 6 * X, rtol=1e-12)
    np.testing.assert_allclose(field.V, 5 * np.exp(Y), rtol=1e-12)
    assert len(field.U) == 49
    assert X.min() > -2 and X.max() < 2  # arrows inside the window
    assert ax.get_xlabel() == "x1" and ax.get_ylabel() == "x2"
    assert ax.get_xlim() == (-2.0, 2.0) and ax.get_ylim() == (-1.0, 1.0)
    assert "$f(x1, x2) = 3 x_{1}^{2} + 5 e^{x_{2}}$" in ax.get_title()  # mathtext


def test_gradient_field_has_contours_and_marks_the_point():
    ax = plot_gradient_field("x^2 + 2y^2", at={"x": 1, "y": -0.5}, levels=9)
    contour = ax.collections[0]
    assert type(contour).__name__ in ("QuadContourSet", "ContourSet")
    assert len(contour.levels) >= 5
    quivers = [c for c in ax.collections if hasattr(c, "U")]
    assert len(quivers) == 2
    marked = quivers[1]
    assert (marked.X[0], marked.Y[0]) == (1.0, -0.5)
    assert (marked.U[0], marked.V[0]) == (2.0, -2.0)
    (dot,) = ax.lines
    np.testing.assert_array_equal(dot.get_xydata(), [[1.0, -0.5]])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["∇f", "∇f(1, -0.5) = [2, -2]"]
    # default window: 4 wide, centred on the point
    assert ax.get_xlim() == (-1.0, 3.0) and ax.get_ylim() == (-2.5, 1.5)


def test_gradient_field_on_given_axes_and_nan_regions():
    fig, ax = plt.subplots()
    out = plot_gradient_field("log(x) + y", ax=ax, xlim=(-1, 1), ylim=(-1, 1))
    assert out is ax
    field = [c for c in ax.collections if hasattr(c, "U")][0]
    left = field.X <= 0  # log(x) is undefined there: no arrows
    assert field.Umask[left].all() and not field.Umask[~left].any()


def test_gradient_field_at_a_kink_says_why():
    with pytest.raises(NotDifferentiableError, match="subgradient"):
        plot_gradient_field("norm(x, y)", at=[0, 0])


@pytest.mark.parametrize("ext", ["svg", "png", "pdf"])
def test_outputs_by_extension(tmp_path, ext):
    path = tmp_path / f"field.{ext}"
    plot_gradient_field("x*y", at=[1, 1], output=path)
    head = path.read_bytes()[:8]
    assert {"svg": b"<?xml", "png": b"\x89PNG", "pdf": b"%PDF"}[ext] in head


def test_svg_output_is_deterministic(tmp_path):
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    plot_gradient_field("x^2 - y^2", at=[1, 1], output=a)
    plot_gradient_field("x^2 - y^2", at=[1, 1], output=b)
    assert a.read_bytes() == b.read_bytes()


def test_tangent_plane_data():
    ax = plot_tangent_plane("x^2 - y^2", at={"x": 1, "y": 0.5})
    assert ax.name == "3d"
    outline, grad_line = ax.lines
    xs, ys, zs = outline.get_data_3d()
    np.testing.assert_allclose(zs, 0.75 + 2 * (xs - 1) - 1 * (ys - 0.5))
    assert len(xs) == 5 and xs[0] == xs[-1]  # a closed outline around (a, b)
    gx, gy, gz = grad_line.get_data_3d()
    assert (gx[0], gy[0], gz[0]) == (1.0, 0.5, 0.75)
    direction = np.array([gx[1] - gx[0], gy[1] - gy[0]])
    np.testing.assert_allclose(
        direction / np.linalg.norm(direction), [2, -1] / np.sqrt(5)
    )
    assert len(ax.collections) == 3  # surface, plane, point
    point = ax.collections[2]
    np.testing.assert_allclose(np.ravel(point._offsets3d), [1.0, 0.5, 0.75])
    # issue 24: "− 1(y − 0.5)": a coefficient ±1 is not written
    assert "z = 0.75 + 2(x − 1) − (y − 0.5)" in ax.get_title()
    assert ax.get_xlim() == pytest.approx((-1.0, 3.0), abs=0.35)


def test_tangent_plane_flat_point_has_no_gradient_line(tmp_path):
    ax = plot_tangent_plane("x^2 + y^2", at=[0, 0], output=tmp_path / "p.png")
    assert len(ax.lines) == 1
    assert (tmp_path / "p.png").stat().st_size > 1000


def test_tangent_plane_on_given_3d_axes():
    fig = plt.figure()
    ax3 = fig.add_subplot(projection="3d")
    assert plot_tangent_plane("x*y", at=[1, 2], ax=ax3, size=0.5) is ax3
    xs, _, _ = ax3.lines[0].get_data_3d()
    assert xs.min() == 0.5 and xs.max() == 1.5


@pytest.mark.parametrize(
    ("func", "kwargs", "message"),
    [
        (plot_gradient_field, {"expr": "x"}, "exactly two variables, got 1 (x)"),
        (plot_gradient_field, {"expr": "x*y*z"}, "exactly two variables, got 3"),
        (
            plot_gradient_field,
            {"expr": "x*y", "xlim": (1, 0)},
            "xlim must be two finite numbers with low < high",
        ),
        (
            plot_gradient_field,
            {"expr": "x*y", "ylim": "ab"},
            "ylim must be two numbers",
        ),
        (plot_gradient_field, {"expr": "x*y", "output": "a.gif"}, "output must end in"),
        (plot_gradient_field, {"expr": "x*y", "density": 1}, "density must be an int"),
        (plot_gradient_field, {"expr": "x*y", "levels": 1.5}, "levels must be an int"),
        (plot_gradient_field, {"expr": "x*y", "at": [1]}, "at has 1 values"),
        (plot_tangent_plane, {"expr": "x*y", "at": [1, 2], "size": -1}, "size must be"),
        (plot_tangent_plane, {"expr": "x", "at": 1}, "exactly two variables"),
        (plot_tangent_plane, {"expr": "log(x)+y", "at": [0, 1]}, "undefined"),
    ],
)
def test_validation(func, kwargs, message):
    expr = kwargs.pop("expr")
    with pytest.raises(DfdxError) as info:
        func(expr, **kwargs)
    assert message in str(info.value)


def test_tangent_plane_needs_3d_axes():
    _, ax = plt.subplots()
    with pytest.raises(DfdxError, match="ax must be a 3-D axes"):
        plot_tangent_plane("x*y", at=[1, 2], ax=ax)


def test_exported():
    assert dfdx.plot_gradient_field is plot_gradient_field
    assert dfdx.plot_tangent_plane is plot_tangent_plane


def test_point_outside_the_window_is_refused():
    # the marked point and its gradient would silently not be drawn
    with pytest.raises(DfdxError, match="outside the window"):
        plot_gradient_field("x*y", at=[10, 10], xlim=(0, 1), ylim=(0, 1))
    with pytest.raises(DfdxError, match="outside the window"):
        plot_tangent_plane("x*y", at=[10, 10], xlim=(0, 1), ylim=(0, 1))


def test_output_to_missing_directory_is_a_dfdx_error(tmp_path):
    with pytest.raises(DfdxError, match="output folder does not exist"):
        plot_gradient_field("x*y", output=tmp_path / "missing" / "a.png")
