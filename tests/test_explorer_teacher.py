"""Issue 24 part 5: the explorer a teacher projects, each addition checked in
the system Chromium (through Playwright, the network refused)."""

import math

import numpy as np
import pytest
from tests.test_explorer import Page, _close, browser  # noqa: F401 (fixture)

import dfdx
from dfdx.plotting.sampling import evaluate


def _open(browser, tmp_path, f, **kw):  # noqa: F811
    path = tmp_path / "page.html"
    dfdx.explore(f, path=path, **kw)
    return Page(browser, path)


def _layout(p, plot, key):
    return p.page.evaluate(f"document.getElementById('{plot}').layout.{key}")


def _traces(p, plot):
    return p.page.evaluate(
        f"document.getElementById('{plot}').data.map(t => [t.name, t.x, t.y])"
    )


def test_backward_forward_and_central_side_by_side(browser, tmp_path):  # noqa: F811
    e = dfdx.parse("exp(x)")
    p = _open(browser, tmp_path, e, at=0.5)
    try:
        for logh in ("-1", "-4", "-9"):
            p.set_range("h-slider", logh)
            h = p.value("h-value")
            x0 = 0.5
            f0, f1, fm = (
                float(evaluate(e, np.array([v]))[0]) for v in (x0, x0 + h, x0 - h)
            )
            assert _close(p.value("backward"), (f0 - fm) / h)
            assert _close(p.value("forward"), (f1 - f0) / h)
            assert _close(p.value("central"), (f1 - fm) / (2 * h))
            exact = math.exp(0.5)
            assert _close(p.value("backward-error"), abs((f0 - fm) / h - exact))
        # one row per quotient, its error beside it
        rows = p.page.locator("table tr").all_text_contents()
        kinds = ("backward quotient", "forward quotient", "central quotient")
        assert [r for r in rows if r.startswith(kinds)] == [
            r for r in rows if "quotient (" in r
        ]
        assert sum(r.startswith(kinds) for r in rows) == 3
        names = [t[0] for t in _traces(p, "plot-error")]
        assert "|backward − exact|" in names
        assert p.errors == []
    finally:
        p.close()


def test_at_a_corner_the_three_quotients_tell_the_sides_apart(browser, tmp_path):  # noqa: F811
    # issue 24: at a corner the learner saw forward 1 and central 0, never -1
    p = _open(browser, tmp_path, "abs(x)", at=0)
    try:
        p.set_range("h-slider", "-3")
        assert p.value("forward") == 1 and p.value("backward") == -1
        assert p.value("central") == 0
    finally:
        p.close()


def test_play_runs_h_from_1_down_to_1e_15(browser, tmp_path):  # noqa: F811
    p = _open(browser, tmp_path, "sin(x)", at=1)
    try:
        p.set_range("h-slider", "-15")  # at the end: play starts again from 1
        p.page.click("#play")
        assert p.page.get_attribute("body", "data-playing") == "1"
        assert "pause" in p.page.text_content("#play")
        seen = []
        for _ in range(400):
            seen.append(p.value("h-value"))
            if p.page.get_attribute("body", "data-playing") == "0":
                break
            p.page.wait_for_timeout(50)
        assert p.page.get_attribute("body", "data-playing") == "0"
        assert p.value("h-value") == pytest.approx(1e-15)
        assert max(seen) > 0.5  # it started near h = 1
        assert seen == sorted(seen, reverse=True)  # h only falls
        assert "play" in p.page.text_content("#play")
        # pause stops it where it is
        p.page.click("#play")
        p.page.wait_for_timeout(300)
        p.page.click("#play")
        h = p.value("h-value")
        p.page.wait_for_timeout(300)
        assert p.value("h-value") == h and 1e-15 < h < 1
        assert p.errors == []
    finally:
        p.close()


def test_the_slope_is_written_beside_the_secant(browser, tmp_path):  # noqa: F811
    p = _open(browser, tmp_path, "x^2", at=1)
    try:
        p.set_range("h-slider", "-1")
        notes = _layout(p, "plot-f", "annotations")
        assert len(notes) == 1
        assert notes[0]["text"] == f"secant slope {p.value('forward'):.12g}"
        # it sits on the secant's line (or at the edge of the view)
        x, y = notes[0]["x"], notes[0]["y"]
        assert y == pytest.approx(1 + p.value("forward") * (x - 1))
    finally:
        p.close()


def test_the_derivative_is_traced_point_by_point(browser, tmp_path):  # noqa: F811
    p = _open(browser, tmp_path, "sin(x)", at=0, xlim=(-3, 3))
    try:
        for x0 in ("0.5", "1", "-2"):
            p.page.fill("#x0-input", x0)
            p.page.press("#x0-input", "Enter")
        name, xs, ys = next(
            t for t in _traces(p, "plot-f") if t[0].startswith("f′(x₀) traced")
        )
        assert xs == [0, 0.5, 1, -2]
        for x, y in zip(xs, ys):
            assert y == pytest.approx(math.cos(x), rel=1e-15)
    finally:
        p.close()


def test_zoom_to_the_point_and_back(browser, tmp_path):  # noqa: F811
    p = _open(browser, tmp_path, "x^3 - 2x", at=1.4)
    try:
        before_x = _layout(p, "plot-f", "xaxis.range")
        before_y = _layout(p, "plot-f", "yaxis.range")
        p.page.click("#zoom")
        lo, hi = _layout(p, "plot-f", "xaxis.range")
        assert hi - lo == pytest.approx((before_x[1] - before_x[0]) / 10)
        assert (lo + hi) / 2 == pytest.approx(1.4)
        ylo, yhi = _layout(p, "plot-f", "yaxis.range")
        f0 = 1.4**3 - 2.8
        assert ylo < f0 < yhi and yhi - ylo < (before_y[1] - before_y[0]) / 3
        # the slider now moves within the zoomed window, more finely
        assert float(p.page.get_attribute("#x0-slider", "min")) == pytest.approx(lo)
        p.page.click("#reset")
        assert _layout(p, "plot-f", "xaxis.range") == pytest.approx(before_x)
        assert _layout(p, "plot-f", "yaxis.range") == pytest.approx(before_y)
        assert p.errors == []
    finally:
        p.close()


@pytest.mark.parametrize("f", ["relu(x)", "abs(x)"])
def test_at_a_kink_the_error_panel_explains(browser, tmp_path, f):  # noqa: F811
    # issue 24: an empty log-log plot with junk axes
    p = _open(browser, tmp_path, f, at=0)
    try:
        assert _traces(p, "plot-error") == []
        assert _layout(p, "plot-error", "xaxis.visible") is False
        note = p.page.get_attribute("#plot-error", "data-note")
        assert "kink" in note and "forward 1" in note
        shown = p.page.locator("#plot-error .annotation-text").all_text_contents()
        assert shown and "kink" in " ".join(shown)
        # away from the kink the curves come back
        p.page.fill("#x0-input", "1")
        p.page.press("#x0-input", "Enter")
        assert len(_traces(p, "plot-error")) > 3
        assert p.page.get_attribute("#plot-error", "data-note") is None
    finally:
        p.close()


def test_readouts_are_rounded_and_keep_their_width(browser, tmp_path):  # noqa: F811
    # issue 24: "exact f'(x0)" showed 3.879999999999999; the h readout
    # (1.7782794100389227e-7) changed width and made the sliders jump
    p = _open(browser, tmp_path, "x^3 - 2x", at=1.4)
    try:
        assert p.page.text_content("#exact") == "3.88"
        assert p.value("exact") == 3 * 1.4 * 1.4 - 2  # the double itself is kept
        widths, slider = set(), set()
        for logh in ("0", "-0.75", "-6.75", "-12.35", "-15"):
            p.set_range("h-slider", logh)
            assert len(p.page.text_content("#h-value")) <= 9
            widths.add(p.page.locator("#h-value").bounding_box()["width"])
            slider.add(p.page.locator("#h-slider").bounding_box()["width"])
        assert len(widths) == 1 and len(slider) == 1
    finally:
        p.close()


def test_y_range_is_around_the_point(browser, tmp_path):  # noqa: F811
    # issue 24: exp on 0 ± 3 spanned 0 to 20, flattening the secant at 0
    p = _open(browser, tmp_path, "exp(x)", at=0)
    try:
        lo, hi = _layout(p, "plot-f", "yaxis.range")
        assert lo < 1 < hi and hi - lo < 10
        # dragging the point out of view brings the view with it
        p.page.fill("#x0-input", "2.9")
        p.page.press("#x0-input", "Enter")
        lo, hi = _layout(p, "plot-f", "yaxis.range")
        assert lo < math.exp(2.9) < hi
    finally:
        p.close()


def test_no_axis_title_overlaps_its_tick_labels(browser, tmp_path):  # noqa: F811
    p = _open(browser, tmp_path, "exp(x)", at=0)
    try:
        for plot in ("plot-f", "plot-error"):
            title = p.page.locator(f"#{plot} .ytitle").bounding_box()
            ticks = [
                t.bounding_box()
                for t in p.page.locator(f"#{plot} .yaxislayer-above .ytick text").all()
            ]
            assert ticks
            right = title["x"] + title["width"]
            assert all(right <= t["x"] + 0.5 for t in ticks), plot
            xt = p.page.locator(f"#{plot} .xtitle").bounding_box()
            xticks = [
                t.bounding_box()
                for t in p.page.locator(f"#{plot} .xaxislayer-above .xtick text").all()
            ]
            assert all(t["y"] + t["height"] <= xt["y"] + 0.5 for t in xticks), plot
    finally:
        p.close()


def test_truncation_and_roundoff_apart_with_the_best_h(browser, tmp_path):  # noqa: F811
    p = _open(browser, tmp_path, "exp(x)", at=0)
    try:
        traces = {t[0]: t for t in _traces(p, "plot-error")}
        hs = np.array(traces["|forward − exact|"][1])
        # truncation of the forward quotient: |f''(0)|·h/2 = h/2
        trunc = traces["truncation |f″(x₀)|·h/2 (forward, backward)"][2]
        np.testing.assert_allclose(trunc, hs / 2, rtol=1e-12)
        central = traces["truncation |f‴(x₀)|·h²/6 (central)"][2]
        np.testing.assert_allclose(central, hs**2 / 6, rtol=1e-12)
        rnd = traces["round-off ≈ eps·|f(x₀)|/h"][2]
        np.testing.assert_allclose(rnd, 2.0**-52 / hs, rtol=1e-12)
        # the best h: the least forward error measured, marked and named
        errs = np.array(
            [np.inf if v is None else v for v in traces["|forward − exact|"][2]]
        )
        best = hs[int(np.argmin(errs))]
        marked = traces["best h (least error, forward and central)"][1][0]
        assert marked == best and 1e-9 < best < 1e-7
        assert float(p.page.get_attribute("#plot-error", "data-best-forward")) == best
        # a quadratic's central quotient has no truncation error: no line
        p2 = _open(browser, tmp_path, "x^2", at=1)
        try:
            traces = {t[0]: t for t in _traces(p2, "plot-error")}
            assert all(
                v is None for v in traces["truncation |f‴(x₀)|·h²/6 (central)"][2]
            )
        finally:
            p2.close()
    finally:
        p.close()


def test_chinese_buttons_and_notes(browser, tmp_path):  # noqa: F811
    p = _open(browser, tmp_path, "abs(x)", at=0, lang="zh")
    try:
        assert "播放" in p.page.text_content("#play")
        assert "放大" in p.page.text_content("#zoom")
        assert "折点" in p.page.get_attribute("#plot-error", "data-note")
        assert "后向差商" in p.page.text_content("table")
        assert p.errors == []
    finally:
        p.close()
