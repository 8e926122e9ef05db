"""The explorer page: generated JavaScript against Python, the page in a real
headless Chromium (network blocked), injection, errors, the CLI.

The browser tests need Playwright and a system Chromium (Debian's
``chromium``; ``.ci/run`` installs it and sets DFDX_REQUIRE_BROWSER, which turns
a missing browser into a failure instead of a skip).
"""

import contextlib
import json
import math
import os
import shutil

import numpy as np
import pytest
import sympy

import dfdx
from dfdx.cli import main
from dfdx.errors import DfdxError, ParseError, UndefinedError
from dfdx.jscode import HELPERS, javascript
from dfdx.plotting.sampling import evaluate

# Every function the parser knows, in at least one expression (38 in all).
EXPRESSIONS = [
    "x^3 - 2x",
    "sin(x) + cos(2x)",
    "tan(x/3)",
    "cot(x) + sec(x/4)",
    "csc(x + 0.1)",
    "asin(x/3) + acos(x/4)",
    "atan(x) + arctan(2x)",
    "arcsin(x/5) - arccos(x/6)",
    "acot(x) + arccot(x + 1)",
    "asec(x) + arcsec(x - 3)",
    "acsc(x) + arccsc(x + 4)",
    "sinh(x) + cosh(x/2)",
    "tanh(x) + coth(x)",
    "sech(x) + csch(x)",
    "asinh(x) + arsinh(2x) + arcsinh(x/3)",
    "acosh(x) + arcosh(x + 2) + arccosh(x + 3)",
    "atanh(x/3) + artanh(x/4) + arctanh(x/5)",
    "exp(-x^2/2)",
    "log(x) + ln(x + 1)",
    "log2(x) + log10(x)",
    "log(x, 3) + log(x + 5, 2)",
    "sqrt(x^2 + 1) + sqrt(x)",
    "cbrt(x) + root(x, 5)",
    "x^(1/3) + x^(2/5)",
    "abs(x) * x",
    "sign(x) + abs(x - 1)",
    "sigmoid(x) + sigmoid(-3x)",
    "relu(x) + ReLU(1 - x)",
    "softplus(x) + softplus(-40x)",
    "max(x, x^2) + min(x, 1 - x)",
    "max(x, 0.5, sin(x))",
    "norm(x, 1)",
    "norm(x, 2, x^2)",
    "logsumexp(x, 2x, 800)",
    "x^x",
    "e^x * pi",
    "1/(x^2 - 1)",
    "x^-1.5 + 2^x",
]
POINTS = [-2.3, -0.7, -0.2, 0.3, 0.9, 1.7, 2.6]


def _find_chromium():
    for name in (os.environ.get("DFDX_CHROMIUM"), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


@contextlib.contextmanager
def _without_memory_cap():
    """Playwright's driver (Node) and Chromium reserve far more address space
    than the test processes' memory cap (conftest.py) allows: both are
    started with the cap lifted (they inherit the limit they start with)."""
    try:
        import resource
    except ImportError:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.fixture(scope="module")
def browser():
    chromium = _find_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if chromium is None or sync_playwright is None:
        why = "no system Chromium" if chromium is None else "Playwright missing"
        if os.environ.get("DFDX_REQUIRE_BROWSER"):
            pytest.fail(f"{why}: the browser tests cannot run")
        pytest.skip(why)
    with _without_memory_cap():
        driver = sync_playwright().start()
        b = driver.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
    try:
        yield b
    finally:
        b.close()
        driver.stop()


class Page:
    """A page opened from a file with every network request refused; records
    requests, console errors and script errors."""

    def __init__(self, browser, path):
        self.context = browser.new_context(viewport={"width": 1200, "height": 1100})
        self.requests, self.errors = [], []
        self.context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith("file:")
                else route.abort()
            ),
        )
        self.page = self.context.new_page()
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on(
            "console",
            lambda m: self.errors.append(m.text) if m.type == "error" else None,
        )
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.errors.append("dialog"), d.dismiss()))
        self.page.goto(path.as_uri())
        self.page.wait_for_selector("body[data-ready='1']", timeout=30_000)

    def value(self, id_):
        return float(self.page.get_attribute(f"#{id_}", "data-value"))

    def set_range(self, id_, value):
        self.page.eval_on_selector(
            f"#{id_}",
            "(e, v) => { e.value = v; e.dispatchEvent(new Event('input')); }",
            str(value),
        )

    def close(self):
        self.context.close()


def _close(a, b, rel=1e-12):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= rel * max(abs(a), abs(b)) + 1e-300


def _python_quotients(e, x0, h):
    f0, f1, fm = evaluate(e, np.array([x0, x0 + h, x0 - h]))
    return (f1 - f0) / h, (f1 - fm) / (2 * h)


def test_generated_javascript_agrees_with_python(browser):
    """f and f' of 38 expressions, every function the parser knows, at 7
    points: the browser's values equal NumPy's to 1e-12 (NaN where NumPy has
    NaN: outside the domain)."""
    x = sympy.Symbol("x")
    cases = []
    for text in EXPRESSIONS:
        e = dfdx.parse(text)
        d = e.diff("x")
        for expr in (e, d):
            code = javascript(expr, [x])
            cases.append((text, code, evaluate(expr, np.array(POINTS)).tolist()))
    page = browser.new_page()
    try:
        got = page.evaluate(
            """([helpers, cases, xs]) => {
                const H = new Function("return " + helpers + ";")();
                return cases.map(c => {
                    const g = new Function("_dfdx", "_dfdx_arg0", "return (" + c + ");");
                    return xs.map(x => { const v = g(H, x);
                        return isFinite(v) ? v : null; });
                });
            }""",
            [HELPERS, [c[1] for c in cases], POINTS],
        )
    finally:
        page.close()
    finite = 0
    for (text, code, want), have in zip(cases, got):
        for x0, a, b in zip(POINTS, want, have):
            b = math.nan if b is None else b
            assert _close(a, b), f"{text}: {code} at x = {x0}: Python {a!r}, JS {b!r}"
            finite += math.isfinite(a)
    assert finite > 400  # most points are inside the domains


#: forms whose SymPy form lost part of the typed domain, the typed value
#: (None where undefined) at -1, 0, 1 and 4: the typed functions, not the forms
CANCELLED = {
    "x^2/x": [-1.0, None, 1.0, 4.0],
    "x/x": [1.0, None, 1.0, 1.0],
    "sqrt(x)^2": [None, 0.0, 1.0, 4.0],
    "log(x) - log(x)": [None, None, 0.0, 0.0],
    "x*log(x)/log(x)": [None, None, None, 4.0],
}


def test_javascript_is_undefined_where_the_typed_function_is(browser):
    """The page's code of f and f' is NaN outside the typed domain (x²/x at 0),
    as Python is, though SymPy's form (x) is defined there."""
    x = sympy.Symbol("x")
    xs = [-1.0, 0.0, 1.0, 4.0]
    codes = []
    for text in CANCELLED:
        e = dfdx.parse(text)
        codes += [javascript(e, [x]), javascript(e.diff("x"), [x])]
    page = browser.new_page()
    try:
        got = page.evaluate(
            """([helpers, codes, xs]) => {
                const H = new Function("return " + helpers + ";")();
                return codes.map(c => {
                    const g = new Function("_dfdx", "_dfdx_arg0", "return (" + c + ");");
                    return xs.map(x => { const v = g(H, x);
                        return isFinite(v) ? v : null; });
                });
            }""",
            [HELPERS, codes, xs],
        )
    finally:
        page.close()
    for i, (text, want) in enumerate(CANCELLED.items()):
        f_js, df_js = got[2 * i], got[2 * i + 1]
        assert f_js == want, text
        python = [None if math.isnan(v) else v for v in dfdx.parse(text)(np.array(xs))]
        assert python == want, text
        # f' exists only where f is defined (here: wherever the value is)
        assert [v is None for v in df_js] == [v is None for v in want], text


def test_the_page_of_a_cancelled_variable_names_it():
    """t/t is 1 for t ≠ 0: the page is about t and says what was typed."""
    page = dfdx.explore("t/t", at=1)
    assert page.label == "f(t) = t/t"
    assert "nonzero(_dfdx_arg0)" in page.function_js
    assert dfdx.explore("x^2/x", at=1).label == "f(x) = x²/x"


def test_the_page_in_a_browser_matches_python(browser, tmp_path):
    path = tmp_path / "explore.html"
    e = dfdx.parse("x^3 - 2x")
    dfdx.explore(e, at=1, path=path)
    p = Page(browser, path)
    try:
        assert p.value("x0-value") == 1 and p.value("h-value") == 0.5
        assert p.value("exact") == 1.0  # 3x^2 - 2 at 1
        for logh in ("-1", "-3", "-8", "-12", "-15"):
            p.set_range("h-slider", logh)
            h = 10.0 ** float(logh)
            assert _close(p.value("h-value"), h)
            h = p.value("h-value")
            forward, central = _python_quotients(e, 1.0, h)
            assert _close(p.value("forward"), forward), logh
            assert _close(p.value("central"), central), logh
            assert _close(p.value("forward-error"), abs(forward - 1.0)), logh
        # h = 1e-15: round-off, as Python: the quotient is 1.11..., not 1
        assert p.value("forward") == pytest.approx(1.1102230246251565, rel=1e-12)
        # the x0 slider, moved from the keyboard as a user would
        p.page.focus("#x0-slider")
        p.page.keyboard.press("ArrowRight")
        x0 = p.value("x0-value")
        assert x0 == pytest.approx(1.02)
        forward, central = _python_quotients(e, x0, 1e-15)
        assert _close(p.value("forward"), forward)
        assert _close(p.value("exact"), 3 * x0 * x0 - 2, rel=1e-15)
        # the number box
        p.page.fill("#x0-input", "-1.5")
        p.page.press("#x0-input", "Enter")
        assert p.value("x0-value") == -1.5
        assert p.value("f0") == evaluate(e, np.array([-1.5]))[0]
        # a value outside the window moves the window to it (issue 24: it
        # silently became the edge value, then was clamped with a note)
        p.page.fill("#x0-input", "10")
        p.page.press("#x0-input", "Enter")
        assert p.value("x0-value") == 10.0
        lo, hi = p.page.evaluate("document.getElementById('plot-f').layout.xaxis.range")
        assert lo < 10 < hi and hi - lo == pytest.approx(6.0)  # the width kept
        assert "outside" in p.page.text_content("#notes")
        assert _close(p.value("f0"), 10.0**3 - 20)
        # the derivative toggle shows f' (a second curve with data)
        p.page.check("#show-derivative")
        visible = p.page.evaluate("document.getElementById('plot-f').data[1].visible")
        assert visible is True
        p.page.screenshot(path=str(tmp_path / "explore.png"), full_page=True)
        assert (tmp_path / "explore.png").stat().st_size > 10_000
        assert p.errors == []
        assert [u for u in p.requests if not u.startswith("file:")] == []
    finally:
        p.close()


def test_dragging_along_the_curve_moves_x0(browser, tmp_path):
    path = tmp_path / "drag.html"
    e = dfdx.parse("sin(x)")
    dfdx.explore(e, at=0, path=path, xlim=(-3, 3))
    p = Page(browser, path)
    try:
        box = p.page.locator("#plot-f .nsewdrag").first.bounding_box()
        y = box["y"] + box["height"] / 2
        p.page.mouse.move(box["x"] + box["width"] * 0.5, y)
        p.page.mouse.down()
        p.page.mouse.move(box["x"] + box["width"] * 0.75, y, steps=8)
        p.page.mouse.up()
        x0 = p.value("x0-value")
        assert 1.0 < x0 < 2.0  # three quarters across -3..3 is 1.5
        assert p.value("f0") == pytest.approx(math.sin(x0), rel=1e-15)
        assert _close(p.value("exact"), math.cos(x0))
        assert p.errors == []
    finally:
        p.close()


def test_a_kink_is_said_not_hidden(browser, tmp_path):
    """relu at 0: the formula of f' gives Heaviside(0) = 0; the page does not
    show that as the derivative, it says the derivative may not exist."""
    path = tmp_path / "relu.html"
    dfdx.explore("relu(x)", at=0, path=path)
    p = Page(browser, path)
    try:
        assert math.isnan(p.value("exact"))
        assert "kink" in p.page.text_content("#notes")
        p.page.fill("#x0-input", "1")
        p.page.press("#x0-input", "Enter")
        assert p.value("exact") == 1.0 and p.page.text_content("#notes") == ""
    finally:
        p.close()


def test_poles_and_overflow_are_said_and_drawn_without_errors(browser, tmp_path):
    """1/x at its pole and at 1e-300 (f' overflows): plotly is never given
    an infinity or a 1e300 coordinate (it logged SVG errors), f is undefined
    at the pole, and an infinite f' is called infinite, not undefined."""
    path = tmp_path / "pole.html"
    dfdx.explore("1/x", at=1, path=path)
    p = Page(browser, path)
    try:
        for x0, note in (("0", "f is undefined"), ("1e-300", "infinite")):
            p.page.fill("#x0-input", x0)
            p.page.press("#x0-input", "Enter")
            p.set_range("h-slider", "-1")
            assert note in p.page.text_content("#notes")
        assert math.isnan(p.value("f0")) is False  # f(1e-300) = 1e300
        assert p.value("exact") == -math.inf
        p.page.fill("#x0-input", "0")
        p.page.press("#x0-input", "Enter")
        assert math.isnan(p.value("f0")) and math.isnan(p.value("forward"))
        assert math.isnan(p.value("exact"))
        assert p.errors == []
    finally:
        p.close()


HOSTILE = [
    "</script><script>window.__pwned = 1</script>",
    '"><img src=x onerror="window.__pwned = 1">',
    "'; window.__pwned = 1; '",
    "<!-- {f} {{ }} \u2028 & &amp;",
]


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_labels_stay_text(browser, tmp_path, label):
    path = tmp_path / "hostile.html"
    page = dfdx.explore("x^2", at=1, label=label, path=path)
    data = page.html.split('id="dfdx-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data and ">" not in data
    assert json.loads(data)["label"] == label
    p = Page(browser, path)
    try:
        assert p.page.evaluate("window.__pwned") is None
        title = p.page.text_content("#title")
        assert label in title
        assert p.page.locator("img").count() == 0
        assert p.errors == []
    finally:
        p.close()


def test_chinese_page(browser, tmp_path):
    path = tmp_path / "zh.html"
    dfdx.explore("exp(x)", at=0, lang="zh", path=path)
    p = Page(browser, path)
    try:
        assert p.page.evaluate("document.documentElement.lang") == "zh"
        assert "探索" in p.page.text_content("#title")
        assert "前向差商" in p.page.text_content("table")
        assert p.value("exact") == 1.0
        p.page.screenshot(path=str(tmp_path / "zh.png"), full_page=True)
        assert p.errors == []
    finally:
        p.close()


def test_expressions_cannot_carry_markup():
    with pytest.raises(ParseError):
        dfdx.explore("x</script><script>alert(1)</script>")
    with pytest.raises(ParseError):
        dfdx.explore('x + "<img onerror=1>"')


def test_variable_names_do_not_reach_the_code():
    """A variable called Math or constructor is renamed: the code keeps
    JavaScript's Math."""
    page = dfdx.explore("sin(Math) + Math^2", at=1)
    assert page.function_js == "_dfdx.square(_dfdx_arg0) + Math.sin(_dfdx_arg0)"
    code = javascript(dfdx.parse("constructor^3").sympy, [sympy.Symbol("constructor")])
    assert code == "Math.pow(_dfdx_arg0, 3)"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"f": "x*y"}, "one variable"),
        ({"f": math.sin}, "needs an expression"),
        ({"f": "log(x)", "at": -1}, "undefined at x = -1"),
        ({"f": "x^2", "at": 9, "xlim": (0, 2)}, "outside xlim"),
        ({"f": "x^2", "h": 0}, "h must be from 1e-15 to 1"),
        ({"f": "x^2", "h": True}, "h must be a number, got True"),
        ({"f": "x^2", "h": "big"}, "h must be a number"),
        ({"f": "x^2", "at": True}, "at"),
        ({"f": "x^2", "lang": "fr"}, "lang must be one of"),
        ({"f": "x^2", "label": 3}, "label must be text"),
        ({"f": "x^2", "path": "page.png"}, "the explorer page must end in .html"),
        ({"f": "x^2", "xlim": (2, 1)}, "xlim"),
        ({"f": "log(x)", "at": -2, "xlim": (-3, -1)}, "undefined"),
        ({"f": "x^2", "at": 1e300}, "too narrow"),
        ({"f": "x^2", "at": 1, "xlim": (1, 1 + 1e-14)}, "too narrow"),
        ({"f": "x^2", "at": 0, "xlim": (-1e308, 1e308)}, "too wide"),
    ],
)
def test_bad_input_is_refused(kwargs, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = kwargs.pop("f")
    with pytest.raises((DfdxError, UndefinedError)) as info:
        dfdx.explore(f, **kwargs)
    assert message in str(info.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "call",
    [
        lambda e: e(1.0),
        lambda e: dfdx.explore(e, at=1),
        lambda e: dfdx.animate_secants(e, at=1),
        lambda e: dfdx.limit_table(e, 1),
    ],
)
def test_undefined_functions_are_refused_not_crashed(call):
    """A name with no values (undefined_functions=True) used to reach NumPy's
    generated code as a NameError; evaluating it is now a DfdxError."""
    e = dfdx.parse("g(x) + h(x)", undefined_functions=True)
    with pytest.raises(DfdxError, match="undefined"):
        call(e)


def test_huge_values_still_make_a_page():
    """f near the largest doubles: the y-range stays finite (the page's JSON
    holds no infinity)."""
    page = dfdx.explore("1e307 * x", at=1, xlim=(0, 17))
    assert all(math.isfinite(v) for v in page.ylim)


def test_cli_explore(tmp_path, capsys):
    out = tmp_path / "page.html"
    code = main(["explore", "x^3 - 2x", "--at", "1", "-o", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "f' in the browser: 3*_dfdx.square(_dfdx_arg0) - 2" in printed
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    code = main(["explore", "x*y", "-o", str(tmp_path / "bad.html")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "one variable" in err
    assert not (tmp_path / "bad.html").exists()


def test_notebook_display_is_the_same_page(browser, tmp_path):
    """_repr_html_ (how Jupyter and VS Code show the page): an iframe whose
    srcdoc is the page; it runs there, and a hostile label stays text."""
    label = '</iframe><script>window.__pwned = 1</script>"'
    page = dfdx.explore("x^2", at=1, label=label)
    host = tmp_path / "notebook.html"
    host.write_text(f"<html><body>{page._repr_html_()}</body></html>", "utf-8")
    context = browser.new_context()
    try:
        p = context.new_page()
        errors = []
        p.on("pageerror", lambda e: errors.append(str(e)))
        p.goto(host.as_uri())
        frame = p.frames[1]
        frame.wait_for_selector("body[data-ready='1']", timeout=30_000)
        assert float(frame.get_attribute("#exact", "data-value")) == 2.0
        assert label in frame.text_content("#title")
        assert p.evaluate("window.__pwned") is None
        assert frame.evaluate("window.__pwned") is None
        assert errors == []
    finally:
        context.close()


PLOTLY_MARKUP = [
    '<a href="https://x.example">go</a>',
    '<span style="font-size:80px;fill:red">big</span>',
    "<b>bold</b> &amp; <i>it</i><br>",
]


@pytest.mark.parametrize("label", PLOTLY_MARKUP)
def test_labels_are_text_in_plotly_too(browser, tmp_path, label):
    """plotly renders a subset of HTML in trace names and axis titles: a
    label with a link became a clickable link in the legend, a span's style
    applied. The legend must show the label's characters."""
    path = tmp_path / "markup.html"
    dfdx.explore("x^2", at=1, label=label, path=path)
    p = Page(browser, path)
    try:
        legend = p.page.locator("#plot-f .legendtext").all_text_contents()
        assert legend[0] == label
        assert p.page.locator("#plot-f a").count() == 0
        assert p.page.locator("#plot-f [style*='80px']").count() == 0
        assert p.errors == []
    finally:
        p.close()


@pytest.mark.parametrize(
    "text", ["x*1e-320", "x*1e-308", "1e-300*x^2", "1e307*x", "1e308*x^2"]
)
def test_pages_at_the_ends_of_double_precision_load(browser, tmp_path, text):
    """x*1e-320 gave a y-range plotly cannot scale (no page, exit 0);
    1e308*x^2's derivative printed 'inf' into the code (ReferenceError)."""
    path = tmp_path / "ends.html"
    dfdx.explore(text, at=1, path=path)
    p = Page(browser, path)  # waits for the page to say it is ready
    try:
        assert p.errors == []
    finally:
        p.close()


def test_a_constant_beyond_double_precision_is_refused_not_printed():
    from dfdx.jscode import javascript

    x = sympy.Symbol("x")
    for big in (sympy.Float("2e308"), sympy.Integer(10) ** 400):
        with pytest.raises(DfdxError, match="beyond double precision"):
            javascript(big * x, [x])
    with pytest.raises(DfdxError, match="beyond double precision"):
        javascript(x / sympy.Integer(10) ** 400, [x])


def test_writing_the_page_loads_no_matplotlib(tmp_path):
    """The page is HTML: making and saving it imported pyplot (0.8 s) for two
    label helpers. A fresh interpreter checks it (import-linter checks the
    modules' imports too)."""
    import subprocess
    import sys

    code = (
        "import sys, dfdx\n"
        f"dfdx.explore('x^3 - 1/x', at=1.0, path={str(tmp_path / 'p.html')!r})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"
    assert (tmp_path / "p.html").stat().st_size > 1000
