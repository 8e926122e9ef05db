"""Limit tables: the chapter's five lines, schemes, errors, and the error plot."""

import math

import numpy as np
import pytest

import dfdx

CHAPTER_LINES = (
    "h=0.10000, numerical limit=2.30000\n"
    "h=0.01000, numerical limit=2.03000\n"
    "h=0.00100, numerical limit=2.00300\n"
    "h=0.00010, numerical limit=2.00030\n"
    "h=0.00001, numerical limit=2.00003"
)


def f(x):
    return 3 * x**2 - 4 * x


def test_chapter_lines_exactly_from_text(capsys):
    print(dfdx.limit_table("3*x**2 - 4*x", 1))
    assert capsys.readouterr().out == CHAPTER_LINES + "\n"


def test_chapter_lines_exactly_from_callable():
    assert str(dfdx.limit_table(f, 1)) == CHAPTER_LINES


def test_numerical_lim_is_the_chapter_formula():
    h = 0.1
    for _ in range(5):
        assert dfdx.numerical_lim(f, 1, h) == (f(1 + h) - f(1)) / h
        h *= 0.1


def test_values_follow_the_chapters_loop():
    t = dfdx.limit_table(f, 1)
    h, expected_h = 0.1, []
    for _ in range(5):
        expected_h.append(h)
        h *= 0.1
    assert t.h == tuple(expected_h)
    # forward difference of 3x^2 - 4x at 1 is exactly 2 + 3h in exact arithmetic
    np.testing.assert_allclose(t.values, [2 + 3 * h for h in expected_h], rtol=1e-9)


def test_exact_value_and_errors_for_expressions():
    t = dfdx.limit_table("3*x**2 - 4*x", 1)
    assert t.exact == 2.0
    np.testing.assert_allclose(t.errors, [0.3, 0.03, 0.003, 0.0003, 0.00003], rtol=1e-6)
    lines = t.format(exact=True).splitlines()
    assert (
        lines[0] == "h=0.10000, numerical limit=2.30000, exact=2.00000, error=3.0e-01"
    )
    assert "<th>error</th>" in t._repr_html_()


def test_callable_has_no_exact_unless_given():
    t = dfdx.limit_table(f, 1)
    assert t.exact is None and t.errors is None
    with pytest.raises(dfdx.DfdxError, match="exact derivative is not known"):
        t.format(exact=True)
    assert dfdx.limit_table(f, 1, exact=2).errors[0] == pytest.approx(0.3)


@pytest.mark.parametrize(
    "scheme, order", [("forward", 1), ("backward", 1), ("central", 2)]
)
def test_convergence_order_from_log_log_slope(scheme, order):
    t = dfdx.limit_table("exp(x)", 0.5, h=0.1, steps=4, ratio=0.5, scheme=scheme)
    errs = np.array(t.errors)
    slope = np.polyfit(np.log(t.h), np.log(errs), 1)[0]
    assert slope == pytest.approx(order, abs=0.1)


def test_round_off_takes_over_at_tiny_h():
    t = dfdx.limit_table("exp(x)", 0, steps=16)
    errs = t.errors
    best = int(np.argmin(errs))
    assert 6 <= best <= 9  # near sqrt(eps) ~ 1e-8 for forward differences
    assert errs[-1] > 100 * errs[best]
    assert t.format().splitlines()[-1].startswith("h=1e-16, numerical limit=")


def test_central_differences_are_exact_on_quadratics():
    t = dfdx.limit_table("3*x**2 - 4*x", 1, scheme="central", steps=2)
    assert max(t.errors) < 1e-13


def test_no_exact_value_at_a_kink():
    t = dfdx.limit_table("abs(x)", 0)
    assert t.exact is None
    assert t.values[0] == pytest.approx(1.0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(h=0), "h must be positive, got 0"),
        (dict(h=-0.1), "h must be positive"),
        (dict(steps=0), "steps must be between 1 and 40, got 0"),
        (dict(steps=2.5), "steps must be an integer, got 2.5"),
        (dict(ratio=1.5), "ratio must be between 0 and 1, got 1.5"),
        (
            dict(scheme="sideways"),
            "scheme must be one of forward, backward, central, got 'sideways'",
        ),
    ],
)
def test_validation_messages(kwargs, message):
    with pytest.raises(dfdx.DfdxError, match=message.replace("(", r"\(")):
        dfdx.limit_table(f, 1, **kwargs)


def test_other_validation_messages():
    with pytest.raises(dfdx.DfdxError, match="x must be finite"):
        dfdx.limit_table(f, math.inf)
    with pytest.raises(
        dfdx.DfdxError, match="f must be a callable or expression text, got int"
    ):
        dfdx.limit_table(3, 1)
    with pytest.raises(dfdx.DfdxError, match="several variables"):
        dfdx.limit_table("x*y", 1)
    with pytest.raises(dfdx.DfdxError, match="every difference quotient is inf or nan"):
        dfdx.limit_table("log(x)", -1)
    with pytest.raises(dfdx.DfdxError, match="h must be nonzero"):
        dfdx.numerical_lim(f, 1, 0)


def test_error_plot_data(tmp_path):
    t = dfdx.limit_table("exp(x)", 0, steps=16)
    ax = t.plot(output=tmp_path / "err.svg")
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    labels = [line.get_label() for line in ax.lines]
    assert labels[0].startswith("forward") and labels[1].startswith("central")
    h, err = ax.lines[0].get_xydata().T
    expected = np.abs((np.exp(h) - 1) / h - 1)
    ok = np.isfinite(err)
    np.testing.assert_allclose(err[ok], expected[ok], rtol=1e-12)
    # the truncation part has slope 1 (forward) and 2 (central)
    big = h > 1e-3
    assert np.polyfit(np.log(h[big]), np.log(err[big]), 1)[0] == pytest.approx(
        1, abs=0.05
    )
    hc, errc = ax.lines[1].get_xydata().T
    assert np.polyfit(np.log(hc[big]), np.log(errc[big]), 1)[0] == pytest.approx(
        2, abs=0.05
    )
    marks = [line for line in ax.lines if line.get_label() == "table rows (forward)"]
    assert len(marks) == 1
    assert (tmp_path / "err.svg").read_text().startswith("<?xml")


def test_show_exact_option_prints_errors():
    t = dfdx.limit_table("3*x**2 - 4*x", 1, show_exact=True, steps=1)
    assert str(t) == "h=0.10000, numerical limit=2.30000, exact=2.00000, error=3.0e-01"
    with pytest.raises(
        dfdx.DfdxError, match="show_exact=True needs the exact derivative"
    ):
        dfdx.limit_table(f, 1, show_exact=True)


# --- regressions found by attacking the API (h-found) ------------------------


@pytest.mark.parametrize(
    "func, message",
    [
        (lambda x: None, "f must return a real number, got NoneType at x = 1.1"),
        (lambda x: [x, x], r"one number per point, got shape \(2,\)"),
        (lambda x: x + 1j, "f returned a complex value"),
        (lambda x: 1 / 0, "f raised ZeroDivisionError at x = 1.1: division by zero"),
        (lambda: 1, "f raised TypeError"),
        (lambda x: object(), "f must return a real number, got object"),
    ],
)
def test_limit_table_of_misbehaving_callable(func, message):
    # before: raw TypeError / ZeroDivisionError from the subtraction
    with pytest.raises(dfdx.DfdxError, match=message):
        dfdx.limit_table(func, 1)
    with pytest.raises(dfdx.DfdxError, match=message):
        dfdx.numerical_lim(func, 1, 0.1)


def test_limit_table_callable_returning_0d_array_and_numpy_scalars():
    t = dfdx.limit_table(lambda x: np.array(3 * x**2 - 4 * x), 1)
    assert str(t) == CHAPTER_LINES
    assert dfdx.numerical_lim(lambda x: np.float32(x) * 0 + 1, 1.0, 0.1) == 0.0


def test_limit_table_overflow_says_so():
    # before: "f is not defined near x = 1e+300" for x^2
    with pytest.raises(dfdx.DfdxError, match="too large for floating point"):
        dfdx.limit_table("x^2", 1e300)
    with pytest.raises(dfdx.DfdxError, match="too large for floating point"):
        dfdx.limit_table("x^2", 1, h=1e300)


def test_error_plot_refuses_a_point_without_derivative():
    with pytest.raises(
        dfdx.NotDifferentiableError, match="left derivative -1, right derivative 1"
    ):
        dfdx.limit_table("abs(x)", 0).plot()
