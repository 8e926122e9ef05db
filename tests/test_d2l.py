"""The d2l drop-in (``from dfdx import d2l``): compatibility with d2l's helpers
for up to four curves, and the defects it fixes.

Expected data is written out explicitly: it is what d2l's ``plot`` draws, as
DESIGN.md describes it (one-axis X/Y wrapped in a list, ``Y=None`` plotted
against the index, one X shared by several Y, fmts ``('-', 'm--', 'g-.', 'r:')``
in turn, then labels, scales, limits, legend and grid).
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_hex

import dfdx
from dfdx import DfdxError, d2l

C0, C1 = "#1f77b4", "#ff7f0e"  # matplotlib's first two default colours


@pytest.fixture(autouse=True)
def _clean_figures():
    with plt.rc_context():
        yield
    plt.close("all")


def styles(ax):
    """(linestyle, colour as hex) of each line of `ax`, in drawing order."""
    return [(line.get_linestyle(), to_hex(line.get_color())) for line in ax.lines]


def data(ax):
    return [line.get_xydata().tolist() for line in ax.lines]


def legend_texts(ax):
    legend = ax.get_legend()
    return None if legend is None else [t.get_text() for t in legend.get_texts()]


def grid_on(ax):
    ticks = [*ax.xaxis.get_major_ticks(), *ax.yaxis.get_major_ticks()]
    return bool(ticks) and all(t.gridline.get_visible() for t in ticks)


# --- the module -------------------------------------------------------------


def test_module_attributes():
    assert d2l.plt is plt
    assert dfdx.d2l is d2l
    for name in ("use_svg_display", "set_figsize", "set_axes", "plot"):
        assert callable(getattr(d2l, name))
    assert not hasattr(d2l, "np")
    assert set(d2l.__all__) == {
        "plt",
        "use_svg_display",
        "set_figsize",
        "set_axes",
        "plot",
    }


def test_signatures_match_d2l():
    import inspect

    sig = inspect.signature(d2l.plot)
    assert list(sig.parameters) == [
        "X",
        "Y",
        "xlabel",
        "ylabel",
        "legend",
        "xlim",
        "ylim",
        "xscale",
        "yscale",
        "fmts",
        "figsize",
        "axes",
    ]
    defaults = {k: p.default for k, p in sig.parameters.items()}
    assert defaults["fmts"] == ("-", "m--", "g-.", "r:")
    assert defaults["figsize"] == (3.5, 2.5)
    assert defaults["legend"] is None  # no mutable default
    assert defaults["xscale"] == defaults["yscale"] == "linear"
    assert list(inspect.signature(d2l.set_axes).parameters) == [
        "axes",
        "xlabel",
        "ylabel",
        "xlim",
        "ylim",
        "xscale",
        "yscale",
        "legend",
    ]
    assert inspect.signature(d2l.set_figsize).parameters["figsize"].default == (
        3.5,
        2.5,
    )


# --- the chapter's code -----------------------------------------------------


def test_chapter_tangent_code_verbatim():
    with warnings.catch_warnings():
        warnings.simplefilter("error")

        # d2l §2.4, only the import line changed
        def f(x):
            return 3 * x**2 - 4 * x

        x = np.arange(0, 3, 0.1)
        d2l.plot(
            x, [f(x), 2 * x - 3], "x", "f(x)", legend=["f(x)", "Tangent line (x=1)"]
        )

    ax = plt.gca()
    assert len(ax.lines) == 2
    curve, tangent = (line.get_xydata() for line in ax.lines)
    assert curve.shape == tangent.shape == (30, 2)
    assert curve[0].tolist() == [0.0, 0.0]
    assert curve[10] == pytest.approx([1.0, -1.0])  # f(1) = -1
    assert curve[-1] == pytest.approx([2.9, 13.63])  # 3 * 2.9**2 - 4 * 2.9
    assert tangent[0].tolist() == [0.0, -3.0]
    assert tangent[10] == pytest.approx([1.0, -1.0])  # touches f at x = 1
    assert tangent[-1] == pytest.approx([2.9, 2.8])
    assert styles(ax) == [("-", C0), ("--", "#bf00bf")]  # '-', 'm--'
    assert ax.get_xlabel() == "x" and ax.get_ylabel() == "f(x)"
    assert legend_texts(ax) == ["f(x)", "Tangent line (x=1)"]
    assert grid_on(ax)
    assert [float(v) for v in plt.rcParams["figure.figsize"]] == [3.5, 2.5]


def test_chapter_exercise_1_plots_without_warning():
    # x**3 - 1/x divides by zero at x = 0 in the user's own NumPy code; d2l
    # then gets -inf, which dfdx.d2l draws without any warning.
    def g(x):
        with np.errstate(divide="ignore"):
            return x**3 - 1 / x

    x = np.arange(0, 3, 0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = d2l.plot(
            x, [g(x), 4 * x - 4], "x", "g(x)", legend=["g(x)", "Tangent line (x=1)"]
        )
        ax.figure.canvas.draw()
    curve, tangent = (line.get_xydata() for line in ax.lines)
    assert curve[0].tolist() == [0.0, -np.inf]
    assert curve[10] == pytest.approx([1.0, 0.0])
    assert tangent[10] == pytest.approx([1.0, 0.0])


# --- d2l compatibility, up to four curves -----------------------------------


def test_single_curve():
    ax = d2l.plot([0, 1, 2, 3], [0, 1, 4, 9])
    assert ax is plt.gca()
    assert data(ax) == [[[0, 0], [1, 1], [2, 4], [3, 9]]]
    assert styles(ax) == [("-", C0)]
    assert ax.get_xlabel() == "" and ax.get_ylabel() == ""
    assert legend_texts(ax) is None
    assert ax.get_xscale() == ax.get_yscale() == "linear"
    assert grid_on(ax)


def test_two_curves_numpy_shared_x_with_labels_limits_legend():
    x = np.array([0.0, 0.5, 1.0])
    ax = d2l.plot(
        x,
        [x**2, 2 * x],
        xlabel="x",
        ylabel="y",
        legend=["x^2", "2x"],
        xlim=(0, 1),
        ylim=(-1, 3),
    )
    assert data(ax) == [
        [[0.0, 0.0], [0.5, 0.25], [1.0, 1.0]],
        [[0.0, 0.0], [0.5, 1.0], [1.0, 2.0]],
    ]
    assert styles(ax) == [("-", C0), ("--", "#bf00bf")]
    assert ax.lines[1].get_color() == "m"
    assert ax.get_xlim() == (0.0, 1.0) and ax.get_ylim() == (-1.0, 3.0)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "y")
    assert legend_texts(ax) == ["x^2", "2x"]
    assert grid_on(ax)


def test_four_curves_use_the_four_formats():
    x = [0, 1]
    ys = [[0, 1], [1, 2], [2, 3], [3, 4]]
    ax = d2l.plot(x, ys, legend=["a", "b", "c", "d"])
    assert data(ax) == [
        [[0, 0], [1, 1]],
        [[0, 1], [1, 2]],
        [[0, 2], [1, 3]],
        [[0, 3], [1, 4]],
    ]
    assert [line.get_linestyle() for line in ax.lines] == ["-", "--", "-.", ":"]
    assert [line.get_color() for line in ax.lines[1:]] == ["m", "g", "r"]
    assert to_hex(ax.lines[0].get_color()) == C0
    assert legend_texts(ax) == ["a", "b", "c", "d"]


def test_one_x_per_y_series():
    ax = d2l.plot([[0, 1], [5, 6, 7]], [[1, 2], [3, 4, 5]], fmts=["r:", "g-."])
    assert data(ax) == [[[0, 1], [1, 2]], [[5, 3], [6, 4], [7, 5]]]
    assert styles(ax) == [(":", "#ff0000"), ("-.", "#008000")]


def test_y_none_plots_against_the_index():
    ax = d2l.plot(np.array([3.0, 1.0, 2.0]))
    assert data(ax) == [[[0.0, 3.0], [1.0, 1.0], [2.0, 2.0]]]

    ax = d2l.plot([[1, 4, 9], [2, 3]], legend=["sq", "two"])
    assert data(ax) == [[[0, 1], [1, 4], [2, 9]], [[0, 2], [1, 3]]]
    assert styles(ax) == [("-", C0), ("--", "#bf00bf")]
    assert legend_texts(ax) == ["sq", "two"]


def test_two_d_array_y_rows_are_curves():
    ax = d2l.plot(np.array([1.0, 2.0]), np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert data(ax) == [[[1.0, 1.0], [2.0, 2.0]], [[1.0, 3.0], [2.0, 4.0]]]


def test_log_scales_and_limits():
    h = np.array([1e-1, 1e-2, 1e-3])
    ax = d2l.plot(
        h,
        [h, h**2],
        "h",
        "error",
        xscale="log",
        yscale="log",
        xlim=(1e-3, 1e-1),
        ylim=(1e-6, 1),
        legend=["forward", "central"],
    )
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert ax.get_xlim() == pytest.approx((1e-3, 1e-1))
    assert ax.get_ylim() == pytest.approx((1e-6, 1.0))
    assert ax.lines[1].get_xydata() == pytest.approx(
        np.array([[1e-1, 1e-2], [1e-2, 1e-4], [1e-3, 1e-6]])
    )
    assert legend_texts(ax) == ["forward", "central"]
    assert grid_on(ax)


def test_axes_argument_draws_there_and_clears_it():
    fig, (left, right) = plt.subplots(1, 2)
    right.plot([9, 9], [9, 9])  # old content, cleared as d2l does
    result = d2l.plot([0, 1], [[0, 1], [1, 0]], "x", "y", axes=right)
    assert result is right
    assert len(left.lines) == 0
    assert data(right) == [[[0, 0], [1, 1]], [[0, 1], [1, 0]]]
    assert styles(right) == [("-", C0), ("--", "#bf00bf")]
    assert right.get_xlabel() == "x"
    assert grid_on(right) and not grid_on(left)


def test_plot_sets_figsize_for_new_figures():
    d2l.plot([0, 1], [0, 1], figsize=(6, 2))
    assert [float(v) for v in plt.rcParams["figure.figsize"]] == [6.0, 2.0]
    assert list(plt.figure().get_size_inches()) == [6.0, 2.0]


def test_set_axes_as_d2l():
    fig, ax = plt.subplots()
    ax.plot([1, 10], [1, 100])
    d2l.set_axes(ax, "a", "b", (1, 10), (1, 100), "log", "linear", ["line"])
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("a", "b")
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "linear")
    assert ax.get_xlim() == (1.0, 10.0) and ax.get_ylim() == (1.0, 100.0)
    assert legend_texts(ax) == ["line"]
    assert grid_on(ax)
    d2l.set_axes(ax, None, None, None, None, "linear", "linear", [])
    assert grid_on(ax)  # always on; d2l's axes.grid() would toggle it off


def test_set_figsize():
    d2l.set_figsize((5, 4))
    assert tuple(plt.rcParams["figure.figsize"]) == (5.0, 4.0)
    d2l.set_figsize()
    assert tuple(plt.rcParams["figure.figsize"]) == (3.5, 2.5)


def test_torch_tensors_as_in_d2l():
    torch = pytest.importorskip("torch")
    x = torch.arange(0.0, 3.0)
    y = (x**2).requires_grad_()  # d2l would fail on a tensor that needs grad
    ax = d2l.plot(x, [y, 2 * x])
    assert data(ax) == [
        [[0.0, 0.0], [1.0, 1.0], [2.0, 4.0]],
        [[0.0, 0.0], [1.0, 2.0], [2.0, 4.0]],
    ]
    ax = d2l.plot(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert data(ax) == [[[0.0, 1.0], [1.0, 2.0]], [[0.0, 3.0], [1.0, 4.0]]]


# --- defects fixed ------------------------------------------------------------


def test_more_curves_than_formats_are_all_drawn_cycling():
    x = [0, 1]
    ys = [[0, k] for k in range(6)]
    ax = d2l.plot(x, ys)
    assert data(ax) == [[[0, 0], [1, k]] for k in range(6)]  # d2l drops 2
    assert [line.get_linestyle() for line in ax.lines] == [
        "-",
        "--",
        "-.",
        ":",
        "-",
        "--",
    ]
    assert [to_hex(line.get_color()) for line in ax.lines][:4] == [
        C0,
        "#bf00bf",
        "#008000",
        "#ff0000",
    ]
    # issue 11: d2l gave curve 6 exactly curve 2's look; a marker (and for a
    # format without colour, a new colour) now tells them apart
    looks = [
        (line.get_linestyle(), to_hex(line.get_color()), line.get_marker())
        for line in ax.lines
    ]
    assert len(set(looks)) == 6
    assert looks[5][:2] == looks[1][:2] and looks[5][2] != looks[1][2]


def test_single_format_string_and_empty_fmts():
    ax = d2l.plot([0, 1], [[0, 1], [1, 0]], fmts="r--")
    assert styles(ax) == [("--", "#ff0000"), ("--", "#ff0000")]  # red, as asked
    assert ax.lines[0].get_marker() != ax.lines[1].get_marker()  # yet distinct
    with pytest.raises(DfdxError, match="fmts is empty"):
        d2l.plot([0, 1], [0, 1], fmts=())


def test_returns_the_axes():
    ax = d2l.plot([1, 2, 3])
    assert isinstance(ax, Axes)
    assert ax is plt.gca()


def test_no_shared_mutable_legend():
    first = d2l.plot([0, 1], [0, 1])
    assert legend_texts(first) is None
    second = d2l.plot([0, 1], [0, 1], legend=["a"])
    assert legend_texts(second) == ["a"]
    third = d2l.plot([0, 1], [0, 1])
    assert legend_texts(third) is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([],), "X is empty: nothing to plot"),
        ((np.array([]),), "X is empty: nothing to plot"),
        ((np.array([]), [1, 2]), "X is empty: nothing to plot"),
        (([[1], []],), r"X\[1\] is empty: nothing to plot"),
        (([1, 2], []), "Y is empty: nothing to plot"),
        (([1, 2], np.array([])), "Y is empty: nothing to plot"),
        (([1, 2], [[1, 2], []]), r"Y\[1\] is empty: nothing to plot"),
    ],
)
def test_empty_series_error(args, message):
    fig, ax = plt.subplots()
    ax.plot([5, 6], [5, 6])
    with pytest.raises(DfdxError, match=f"^{message}$") as info:
        d2l.plot(*args, axes=ax)
    assert isinstance(info.value, ValueError)
    assert len(ax.lines) == 1  # nothing cleared or drawn


@pytest.mark.parametrize(
    ("X", "Y", "message"),
    [
        ([1, 2, 3], [1, 2], "X has 3 values but Y has 2"),
        (np.arange(3), [[1, 2, 3], [1, 2]], r"X has 3 values but Y\[1\] has 2"),
        (
            [[1, 2], [1, 2, 3]],
            [[1, 2], [1, 2]],
            r"X\[1\] has 3 values but Y\[1\] has 2",
        ),
        ([[1, 2], [3, 4]], [[1, 2], [1, 2], [5, 6]], "X has 2 series but Y has 3"),
    ],
)
def test_mismatched_lengths_error(X, Y, message):
    with pytest.raises(DfdxError, match=message) as info:
        d2l.plot(X, Y)
    assert isinstance(info.value, ValueError)


def test_not_a_series_error():
    with pytest.raises(DfdxError, match="Y must be a list, an array or a tensor"):
        d2l.plot([1, 2], 3.0)


def test_one_row_2d_x_is_shared_not_multiplied():
    # d2l computes X * len(Y), which multiplies a NumPy array's values.
    ax = d2l.plot(np.array([[0.0, 1.0]]), np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert data(ax) == [[[0.0, 1.0], [1.0, 2.0]], [[0.0, 3.0], [1.0, 4.0]]]


# --- use_svg_display and imports, in fresh interpreters ----------------------

SRC = str(Path(dfdx.__file__).resolve().parents[1])


def run_python(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": SRC, "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_import_does_not_load_ipython_or_torch():
    result = run_python(
        "import sys\n"
        "import dfdx.plotting.d2l\n"
        "from dfdx import d2l\n"
        "assert 'IPython' not in sys.modules, 'IPython'\n"
        "assert 'torch' not in sys.modules, 'torch'\n"
        "assert 'matplotlib_inline' not in sys.modules, 'matplotlib_inline'\n"
        "print('ok')\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"


def test_use_svg_display_outside_ipython_is_a_silent_no_op():
    result = run_python(
        "import sys\n"
        "from dfdx import d2l\n"
        "assert d2l.use_svg_display() is None\n"
        "d2l.set_figsize((4, 3))\n"
        "d2l.plot([0, 1], [0, 1])\n"
        "assert 'IPython' not in sys.modules\n"
        "import IPython\n"
        "d2l.use_svg_display()\n"
        "assert IPython.get_ipython() is None, 'a stray shell was created'\n"
        "print('ok')\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"
    assert result.stderr == ""


def test_use_svg_display_inside_ipython_selects_svg():
    pytest.importorskip("IPython")
    result = run_python(
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "from matplotlib.figure import Figure\n"
        "shell = InteractiveShell.instance()\n"
        "from dfdx import d2l\n"
        "d2l.use_svg_display()\n"
        "formatters = shell.display_formatter.formatters\n"
        "assert Figure in formatters['image/svg+xml'].type_printers\n"
        "assert Figure not in formatters['image/png'].type_printers\n"
        "print('ok')\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")


# --- regressions found by attacking the drop-in (h-found) --------------------


def test_plot_list_of_0d_tensors_is_one_series():
    torch = pytest.importorskip("torch")
    ax = d2l.plot([torch.tensor(1.0), torch.tensor(2.0)], [3.0, 4.0])
    assert ax.lines[0].get_xydata().tolist() == [[1.0, 3.0], [2.0, 4.0]]


def test_plot_tuple_of_numbers_is_one_series():
    ax = d2l.plot((1.0, 2.0, 3.0))
    assert ax.lines[0].get_xydata().tolist() == [[0, 1.0], [1, 2.0], [2, 3.0]]


@pytest.mark.parametrize("data", [{"a": 1.0}, "abc"])
def test_plot_refuses_mappings_and_text(data):
    # a dict used to be plotted silently as a categorical axis
    with pytest.raises(DfdxError, match="must be a list, an array or a tensor"):
        d2l.plot(data)


def test_plot_legend_longer_than_curves_is_an_error():
    # matplotlib silently drops the extra entries
    with pytest.raises(DfdxError, match="legend has 2 entries but there are 1"):
        d2l.plot([0.0, 1.0], [[0.0, 1.0]], legend=["a", "b"])
