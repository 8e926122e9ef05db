"""The chapter's exercises (d2l §2.4 微积分), solved: both editions.

Numbering follows the 1.0 edition (10 exercises); the four exercises of the 0.17
and Chinese editions are its exercises 6–9 and can be asked for by their own
numbers with ``edition='0.17'``. Each solution has its answer, its steps, a
numeric check (central differences with NumPy against the exact value) and, for
the plotting exercise, a figure written to ``outdir``.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass, field

import numpy as np

from dfdx.core._bounded import bounded
from dfdx.core.i18n import check_lang, localise
from dfdx.errors import DfdxError

__all__ = ["exercises", "Exercise", "Exercises", "EDITIONS"]

#: Editions and how their exercise numbers map to the 1.0 numbering.
EDITIONS = {"1.0": {i: i for i in range(1, 11)}, "0.17": {1: 6, 2: 7, 3: 8, 4: 9}}
_ZH_NUMBER = {v: k for k, v in EDITIONS["0.17"].items()}

_QUESTIONS = {
    1: {
        "en": "Using the definition and limits, prove the rules for (i) f(x) = c, "
        "(ii) f(x) = xⁿ, (iii) f(x) = eˣ and (iv) f(x) = log x.",
        "zh": "用导数的定义和极限证明：(i) f(x) = c，(ii) f(x) = xⁿ，(iii) f(x) = eˣ，"
        "(iv) f(x) = log x 的求导公式。",
    },
    2: {
        "en": "In the same vein, prove the product, sum and quotient rules from first "
        "principles.",
        "zh": "同样地，从定义出发证明乘法法则、加法法则和除法法则。",
    },
    3: {
        "en": "Prove that the constant multiple rule follows as a special case of the "
        "product rule.",
        "zh": "证明常数倍法则是乘法法则的特例。",
    },
    4: {"en": "Calculate the derivative of f(x) = xˣ.", "zh": "求 f(x) = xˣ 的导数。"},
    5: {
        "en": "What does it mean that f′(x) = 0 for some x? Give an example of a "
        "function f and a location x for which this might hold.",
        "zh": "f′(x) = 0 意味着什么？举出一个函数 f 和一个使之成立的点 x。",
    },
    6: {
        "en": "Plot the function y = f(x) = x³ − 1/x and plot its tangent line at x = 1.",
        "zh": "绘制函数 y = f(x) = x³ − 1/x 和它在 x = 1 处的切线。",
    },
    7: {
        "en": "Find the gradient of the function f(x) = 3x₁² + 5e^(x₂).",
        "zh": "求函数 f(x) = 3x₁² + 5e^(x₂) 的梯度。",
    },
    8: {
        "en": "What is the gradient of the function f(x) = ‖x‖₂? What happens for x = 0?",
        "zh": "函数 f(x) = ‖x‖₂ 的梯度是什么？x = 0 时会怎样？",
    },
    9: {
        "en": "Write out the chain rule for the case where u = f(x, y, z) and "
        "x = x(a, b), y = y(a, b), z = z(a, b).",
        "zh": "写出 u = f(x, y, z)，其中 x = x(a, b)，y = y(a, b)，z = z(a, b) 时的"
        "链式法则。",
    },
    10: {
        "en": "Given an invertible function f(x), compute the derivative of its "
        "inverse f⁻¹(x).",
        "zh": "给定可逆函数 f(x)，求其反函数 f⁻¹(x) 的导数。",
    },
}

_WORDS = {
    "exercise": {"en": "Exercise", "zh": "练习"},
    "editions": {
        "en": "1.0 edition no. {n}{zh}",
        "zh": "1.0 版第 {n} 题{zh}",
    },
    "zh_no": {
        "en": "; 0.17/Chinese edition no. {m}",
        "zh": "；0.17 版/中文版第 {m} 题",
    },
    "answer": {"en": "Answer", "zh": "答案"},
    "steps": {"en": "Steps", "zh": "步骤"},
    "check": {"en": "Numeric check", "zh": "数值验证"},
    "figure": {"en": "Figure", "zh": "图"},
    "no_figure": {
        "en": "not drawn (pass outdir= to write it)",
        "zh": "未绘制（传入 outdir= 以写出图像）",
    },
    "check_line": {
        "en": "{what} at {at}: {numeric} vs exact {exact} (error {error})",
        "zh": "{what} 在 {at} 处的中心差分值 {numeric}，精确值 {exact}，误差 {error}",
    },
    "check_line_nowhere": {
        "en": "{what}: {numeric} vs exact {exact} (error {error})",
        "zh": "{what} 的中心差分值 {numeric}，精确值 {exact}，误差 {error}",
    },
    "ok": {"en": "agrees", "zh": "一致"},
    "bad": {"en": "DISAGREES", "zh": "不一致"},
    "at0": {
        "en": "At x = 0 the gradient is undefined: along any direction e, "
        "‖t·e‖₂ = |t|, whose left and right derivatives (−1 and 1) differ, so "
        "‖x‖₂ is not differentiable at 0.",
        "zh": "在 x = 0 处梯度没有定义：沿任意方向 e，‖t·e‖₂ = |t|，其左右导数"
        "（−1 和 1）不相等，所以 ‖x‖₂ 在 0 处不可微。",
    },
    "subgrad": {
        "en": "‖x‖₂ is convex, so it has subgradients at 0: every g with ‖g‖₂ ≤ 1 "
        "(f(y) ≥ f(0) + gᵀy for all y). PyTorch's backward returns g = 0 there.",
        "zh": "‖x‖₂ 是凸函数，在 0 处有次梯度：所有满足 ‖g‖₂ ≤ 1 的向量 g"
        "（对所有 y 有 f(y) ≥ f(0) + gᵀy）。PyTorch 的反向传播在这里返回 g = 0。",
    },
    "meaning": {
        "en": "f′(x) = 0 means the tangent at x is horizontal: f is locally flat "
        "there (a stationary point). Examples: f(x) = x² at x = 0 (a minimum), "
        "f(x) = −x² at 0 (a maximum) and f(x) = x³ at 0 (neither: an inflection "
        "point), so f′(x) = 0 alone does not say which.",
        "zh": "f′(x) = 0 表示 x 处的切线是水平的：f 在那里局部平坦（驻点）。例如 "
        "f(x) = x² 在 x = 0（极小值）、f(x) = −x² 在 0（极大值）、f(x) = x³ 在 0"
        "（都不是，是拐点），所以仅凭 f′(x) = 0 不能判断是哪一种。",
    },
    "chain9": {
        "en": "Each path from u to a through x, y or z contributes the product of the "
        "derivatives along it; the paths add up.",
        "zh": "从 u 经 x、y 或 z 到 a 的每条路径贡献沿路导数的乘积，各条路径相加。",
    },
    "instance": {
        "en": "checked on f = x·y + z², x = a + b, y = a·b, z = a − b",
        "zh": "在 f = x·y + z²，x = a + b，y = a·b，z = a − b 上验证",
    },
}


_w = functools.partial(localise, _WORDS)


@dataclass(frozen=True)
class Check:
    """A numeric check: central difference against the exact value."""

    what: str
    numeric: float
    exact: float
    at: str = ""

    @property
    def error(self) -> float:
        return abs(self.numeric - self.exact) / max(1.0, abs(self.exact))

    @property
    def ok(self) -> bool:
        return self.error < 1e-6

    def render(self, lang: str = "en") -> str:
        """The check as one line in `lang` (without the verdict)."""
        return _w(
            "check_line" if self.at else "check_line_nowhere",
            lang,
            what=self.what,
            at=self.at,
            numeric=f"{self.numeric:.10g}",
            exact=f"{self.exact:.10g}",
            error=f"{self.error:.1e}",
        )

    def __str__(self) -> str:
        return self.render("en")


@dataclass(frozen=True)
class Exercise:
    """One exercise, solved.

    Attributes
    ----------
    number : int
        Its number in the 1.0 edition.
    zh_number : int or None
        Its number in the 0.17 and Chinese editions, if it is there.
    question, answer : str
        In :attr:`lang`.
    steps : str
        The working (rule steps, a derivation from the definition, ...).
    checks : tuple of Check
        Numeric checks; :attr:`ok` when all agree.
    figure : str or None
        Path of the figure written, for the plotting exercise.
    lang : str
    """

    number: int
    zh_number: int | None
    question: str
    answer: str
    steps: str
    checks: tuple[Check, ...] = ()
    figure: str | None = None
    lang: str = "en"
    _figure_note: str = field(default="", repr=False)

    @property
    def ok(self) -> bool:
        """Whether every numeric check agrees with the exact answer."""
        return all(c.ok for c in self.checks)

    def to_text(self) -> str:
        lang = self.lang
        zh = _w("zh_no", lang, m=self.zh_number) if self.zh_number else ""
        colon = "：" if lang == "zh" else ": "
        left, right = ("（", "）") if lang == "zh" else (" (", ")")
        head = (
            f"{_w('exercise', lang)} {self.number}"
            f"{left}{_w('editions', lang, n=self.number, zh=zh)}{right}"
        )
        lines = [head, self.question, f"{_w('answer', lang)}{colon}{self.answer}"]
        lines.append(f"{_w('steps', lang)}{colon}")
        lines += ["  " + ln for ln in self.steps.splitlines()]
        for c in self.checks:
            verdict = _w("ok" if c.ok else "bad", lang)
            sep = "，" if lang == "zh" else " "
            lines.append(f"{_w('check', lang)}{colon}{c.render(lang)}{sep}{verdict}")
        if self.number == 6:
            lines.append(
                f"{_w('figure', lang)}{colon}{self.figure or self._figure_note}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def to_dict(self) -> dict:
        return {
            "number": self.number,
            "zh_number": self.zh_number,
            "question": self.question,
            "answer": self.answer,
            "steps": self.steps,
            "checks": [
                {
                    "what": c.what,
                    "at": c.at,
                    "numeric": c.numeric,
                    "exact": c.exact,
                    "error": c.error,
                    "ok": c.ok,
                }
                for c in self.checks
            ],
            "figure": self.figure,
            "ok": self.ok,
        }


@dataclass(frozen=True)
class Exercises:
    """Solved exercises; iterate, index by 1.0-edition number, or print."""

    items: tuple[Exercise, ...]
    lang: str = "en"

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, number: int) -> Exercise:
        for ex in self.items:
            if ex.number == number:
                return ex
        raise KeyError(number)

    @property
    def ok(self) -> bool:
        return all(ex.ok for ex in self.items)

    def to_text(self) -> str:
        return "\n\n".join(ex.to_text() for ex in self.items)

    def __str__(self) -> str:
        return self.to_text()

    def to_dict(self) -> list[dict]:
        return [ex.to_dict() for ex in self.items]


# ---------------------------------------------------------------------------
# numeric helpers
# ---------------------------------------------------------------------------


def _central(f, x: float, h: float = 1e-5) -> float:
    h = h * max(1.0, abs(x))
    return float((f(x + h) - f(x - h)) / (2 * h))


def _check(what: str, at: str, f, x: float, exact: float) -> Check:
    return Check(what, _central(f, x), float(exact), at)


# ---------------------------------------------------------------------------
# the solutions
# ---------------------------------------------------------------------------


def _ex1(lang, outdir):
    from dfdx.teaching.definition import from_definition

    parts = [
        from_definition("c", wrt="x", lang=lang),
        from_definition("x^n", wrt="x", lang=lang),
        from_definition("exp(x)", lang=lang),
        from_definition("log(x)", lang=lang),
    ]
    answer = "(c)′ = 0, (xⁿ)′ = n·xⁿ⁻¹, (eˣ)′ = eˣ, (ln x)′ = 1/x"
    checks = (
        _check("d/dx 7", "x = 1.5", lambda x: 7.0 + 0 * x, 1.5, 0.0),
        _check("d/dx x^3", "x = 1.5", lambda x: x**3, 1.5, 3 * 1.5**2),
        _check("d/dx e^x", "x = 1.5", np.exp, 1.5, math.exp(1.5)),
        _check("d/dx ln(x)", "x = 1.5", np.log, 1.5, 1 / 1.5),
    )
    return answer, "\n".join(p.to_text() for p in parts), checks, None


def _fg_checks():
    f, g = np.sin, np.exp
    x = 0.7
    fp, gp = math.cos(x), math.exp(x)
    fx, gx = math.sin(x), math.exp(x)
    return (
        _check("(sin + exp)′", "x = 0.7", lambda t: f(t) + g(t), x, fp + gp),
        _check("(sin·exp)′", "x = 0.7", lambda t: f(t) * g(t), x, fp * gx + fx * gp),
        _check(
            "(sin/exp)′",
            "x = 0.7",
            lambda t: f(t) / g(t),
            x,
            (fp * gx - fx * gp) / gx**2,
        ),
    )


def _ex2(lang, outdir):
    from dfdx.teaching.definition import from_definition

    parts = [from_definition(k, lang=lang) for k in ("product", "sum", "quotient")]
    answer = "(f·g)′ = f′g + fg′, (f + g)′ = f′ + g′, (f/g)′ = (f′g − fg′)/g²"
    return answer, "\n".join(p.to_text() for p in parts), _fg_checks(), None


def _ex3(lang, outdir):
    from dfdx.teaching.definition import from_definition

    d = from_definition("constant_multiple", lang=lang)
    checks = (
        _check("(3·sin)′", "x = 0.7", lambda t: 3 * np.sin(t), 0.7, 3 * math.cos(0.7)),
    )
    return "(c·f)′ = c·f′", d.to_text(), checks, None


def _ex4(lang, outdir):
    from dfdx.teaching.steps import explain

    s = explain("x^x", lang=lang)
    exact = 4 * (math.log(2) + 1)
    checks = (_check("d/dx x^x", "x = 2", lambda x: x**x, 2.0, exact),)
    return s.final.textbook, s.to_text(), checks, None


def _ex5(lang, outdir):
    from dfdx.teaching.steps import explain

    steps = "\n".join(explain(e, lang=lang).to_text() for e in ("x^2", "x^3"))
    checks = (
        _check("d/dx x^2", "x = 0", lambda x: x**2, 0.0, 0.0),
        _check("d/dx x^3", "x = 0", lambda x: x**3, 0.0, 0.0),
    )
    return _w("meaning", lang), steps, checks, None


def _ex6(lang, outdir):
    from dfdx.exact.symbolic import tangent_line
    from dfdx.teaching.steps import explain

    t = tangent_line("x^3 - 1/x", at=1)
    steps = explain("x^3 - 1/x", lang=lang).to_text()
    steps += f"\ng(1) = {t.value:g}, g′(1) = {t.slope:g} → {t}"
    checks = (
        _check("d/dx (x^3 - 1/x)", "x = 1", lambda x: x**3 - 1 / x, 1.0, t.slope),
    )
    figure = None
    if outdir is not None:
        import matplotlib.pyplot as plt

        from dfdx.core import _wiring  # figures are above the exercises

        plot_function = _wiring.plot_function

        figure = os.path.join(os.fspath(outdir), "exercise6_tangent.svg")
        # the book's grid, which hits the pole at x = 0
        grid = np.arange(0, 3, 0.1)
        ax = plot_function("x^3 - 1/x", grid, tangent_at=1, output=figure, lang=lang)
        plt.close(ax.figure)
    return str(t), steps, checks, figure


def _ex7(lang, outdir):
    from dfdx.several.multivariate import gradient
    from dfdx.teaching.steps import explain
    from dfdx.text.expr import parse

    text = "3x1^2 + 5exp(x2)"
    f = parse(text)
    grad = gradient(f)
    exact = gradient(f, at={"x1": 1.0, "x2": 0.0})
    steps = "\n".join(explain(f, wrt=v, lang=lang).to_text() for v in ("x1", "x2"))
    checks = (
        _check("∂f/∂x1", "(1, 0)", lambda t: f(x1=t, x2=0.0), 1.0, exact[0]),
        _check("∂f/∂x2", "(1, 0)", lambda t: f(x1=1.0, x2=t), 0.0, exact[1]),
    )
    return "[" + ", ".join(g.textbook for g in grad) + "]", steps, checks, None


def _ex8(lang, outdir):
    from dfdx.errors import NotDifferentiableError
    from dfdx.several.multivariate import gradient
    from dfdx.teaching.steps import explain
    from dfdx.text.expr import parse

    f = parse("norm(x1, x2, x3)")
    grad = gradient(f)
    steps = explain(f, wrt="x1", lang=lang).to_text()
    steps += "\n∇‖x‖₂ = [" + ", ".join(g.textbook for g in grad) + "] = x/‖x‖₂"
    # dfdx.gradient refuses the point 0 (NotDifferentiableError): say why
    try:
        gradient(f, at=[0.0, 0.0, 0.0])
    except NotDifferentiableError:
        steps += "\n" + _w("at0", lang) + "\n" + _w("subgrad", lang)
    else:  # pragma: no cover - would be a bug in dfdx.gradient
        raise AssertionError("the gradient of the norm at 0 must be refused")
    p = np.array([1.0, 2.0, 2.0])
    exact = gradient(f, at=p)
    checks = tuple(
        _check(
            f"∂‖x‖/∂x{i + 1}",
            "(1, 2, 2)",
            lambda t, i=i: f(
                **{v: (t if j == i else p[j]) for j, v in enumerate(("x1", "x2", "x3"))}
            ),
            p[i],
            exact[i],
        )
        for i in range(3)
    )
    answer = "∇‖x‖₂ = x/‖x‖₂ (x ≠ 0); " + _w("at0", lang)
    return answer, steps, checks, None


def _ex9(lang, outdir):
    from dfdx.several.chain import chain_rule

    generic = "u = f(x, y, z); x = x(a, b); y = y(a, b); z = z(a, b)"
    rules = [chain_rule(generic, wrt=w) for w in ("a", "b")]
    answer = ", ".join(r.formula for r in rules)
    concrete = "u = x*y + z^2; x = a + b; y = a*b; z = a - b"
    instance = chain_rule(concrete, wrt="a")
    steps = "\n".join(
        [
            _w("chain9", lang),
            *(r.to_text(lang) for r in rules),
            _w("instance", lang),
            instance.to_text(lang),
        ]
    )
    a0, b0 = 1.5, 0.5
    exact = float(instance.result(a=a0, b=b0))
    checks = (
        _check(
            "∂u/∂a",
            "(a, b) = (1.5, 0.5)",
            lambda a: (a + b0) * (a * b0) + (a - b0) ** 2,
            a0,
            exact,
        ),
    )
    return answer, steps, checks, None


def _ex10(lang, outdir):
    from dfdx.teaching.definition import from_definition

    d = from_definition("inverse", lang=lang)
    checks = (
        _check("(ln y)′ = 1/e^(ln y)", "y = 2", np.log, 2.0, 1 / math.exp(math.log(2))),
    )
    return "(f⁻¹)′(y) = 1 / f′(f⁻¹(y))", d.to_text(), checks, None


_SOLVERS = {
    1: _ex1,
    2: _ex2,
    3: _ex3,
    4: _ex4,
    5: _ex5,
    6: _ex6,
    7: _ex7,
    8: _ex8,
    9: _ex9,
    10: _ex10,
}


def _check_outdir(outdir) -> None:
    """Make the figure folder, or say clearly why it cannot be written."""
    if not isinstance(outdir, (str, os.PathLike)):
        raise DfdxError(f"outdir must be a folder path, got {outdir!r}")
    if os.path.exists(outdir) and not os.path.isdir(outdir):
        raise DfdxError(f"outdir {os.fspath(outdir)!r} is a file, not a folder")
    parent = os.path.dirname(os.path.abspath(os.fspath(outdir)))
    if not os.path.isdir(outdir) and not os.path.isdir(parent):
        # like the other commands: a missing folder is made, a missing path not
        raise DfdxError(
            f"outdir {os.fspath(outdir)!r}: its parent folder {parent!r} does not exist"
        )
    try:
        os.makedirs(outdir, exist_ok=True)
    except OSError as exc:
        raise DfdxError(
            f"outdir {os.fspath(outdir)!r} cannot be created ({exc.strerror})"
        ) from None
    if not os.access(outdir, os.W_OK | os.X_OK):
        raise DfdxError(f"outdir {os.fspath(outdir)!r} is not writable")


@bounded("solve the exercises")
def exercises(
    number: int | None = None,
    *,
    edition: str = "1.0",
    lang: str = "en",
    outdir=None,
) -> Exercises:
    """Solve the chapter's exercises.

    Parameters
    ----------
    number : int, optional
        One exercise (default: all). Numbered as in `edition`.
    edition : {'1.0', '0.17'}, optional
        Numbering: the 1.0 edition's ten exercises (default), or the four of the
        0.17 and Chinese editions (their 1–4 are the 1.0 edition's 6–9).
    lang : {'en', 'zh'}, optional
        Language of the questions, answers and steps.
    outdir : str or path, optional
        Folder for the figure of the plotting exercise (not drawn without it).

    Returns
    -------
    Exercises
        Iterable of :class:`Exercise`; ``ex[4]`` is exercise 4 (1.0 numbering).

    Examples
    --------
    >>> import dfdx
    >>> ex = dfdx.exercises(4)
    >>> ex[4].answer
    'x^x·(ln(x) + 1)'
    >>> ex.ok
    True
    >>> dfdx.exercises(2, edition="0.17", lang="zh")[7].answer
    '[6x1, 5 e^(x2)]'
    """
    check_lang(lang)
    if edition not in EDITIONS:
        raise DfdxError(
            f"edition must be one of {', '.join(map(repr, EDITIONS))}, got {edition!r}"
        )
    table = EDITIONS[edition]
    if outdir is not None:
        _check_outdir(outdir)
    if number is None:
        numbers = sorted(table.values())
    else:
        if isinstance(number, bool) or not isinstance(number, (int, np.integer)):
            raise DfdxError(f"number must be an integer, got {number!r}")
        if int(number) not in table:
            raise DfdxError(
                f"number must be between 1 and {len(table)} for the {edition} "
                f"edition, got {number!r}"
            )
        numbers = [table[int(number)]]
    items = []
    for n in numbers:
        answer, steps, checks, figure = _SOLVERS[n](lang, outdir)
        items.append(
            Exercise(
                number=n,
                zh_number=_ZH_NUMBER.get(n),
                question=_QUESTIONS[n][lang],
                answer=answer,
                steps=steps,
                checks=tuple(checks),
                figure=figure,
                lang=lang,
                _figure_note=_w("no_figure", lang),
            )
        )
    return Exercises(tuple(items), lang)
