"""Check a learner's derivative, and name the slip when it is wrong.

:func:`check_answer` decides whether an answer equals the true derivative
(symbolically where SymPy can show it, otherwise at 30 digits on sample points
of the common real domain, and it says which), accepting every equivalent form.
When the answer is wrong it differentiates the expression again with each of
the usual slips (a rule applied the way learners misapply it, at one place or
everywhere) and reports the slip whose result equals the answer, the step of
:func:`dfdx.explain` where the answer departs, and a point where the two differ.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy

from dfdx.core._bounded import bounded
from dfdx.core.i18n import check_lang, localise
from dfdx.errors import DfdxError
from dfdx.exact.simplify import compare_forms, same_value
from dfdx.exact.symbolic import (
    _at,
    _equal_numbers,
    _exact_point,
    _high_degree_roots,
    _wrt_symbol,
    real_symbols,
)
from dfdx.teaching.slips import SLIPS, _slipped
from dfdx.text._numbers import _short
from dfdx.text.builder import replace_written
from dfdx.text.codegen import lambdify_numpy
from dfdx.text.expr import Expression, as_expression, parse
from dfdx.text.functions import real_diff, relu
from dfdx.text.textbook import for_people, textbook

__all__ = ["check_answer", "AnswerCheck", "SLIPS"]
# most other variables for which "differentiated by the wrong variable" is
# tried (each is a derivative of the whole expression: a network with a
# hundred weights would spend seconds on them)
_MAX_WRONG_VARIABLES = 24

_WORDS = {
    "correct_symbolic": ("correct: equal to the derivative", "正确：与导数相等"),
    "correct_numeric": (
        "correct: equal to the derivative to 30 digits at {n} sample points "
        "(not shown symbolically)",
        "正确：在 {n} 个采样点上与导数相等（30 位有效数字；未能符号化证明）",
    ),
    "correct_value": ("correct: the value is {v}", "正确：数值是 {v}"),
    "correct_rounded": (
        "correct to the {k} significant digits given (the value is {v})",
        "在所给的 {k} 位有效数字内正确（准确值为 {v}）",
    ),
    "wrong": ("wrong", "错误"),
    "unknown": (
        "cannot decide: the answer and the derivative are defined together at "
        "too few real points to compare",
        "无法判断：答案与导数同时有定义的实数点太少，无法比较",
    ),
    "unknown_pieces": (
        "cannot decide: the forms have pieces (abs, max, relu, ...) that could "
        "not all be sampled (several variables, or breakpoints that cannot be "
        "listed), and they were not shown equal symbolically",
        "无法判断：式子含有分段部分（abs、max、relu 等），无法对每一段都取样"
        "（多个变量，或分段点无法列出），也未能符号化证明相等",
    ),
    "no_derivative": (
        "the derivative does not exist at {point} ({why})",
        "导数在 {point} 处不存在（{why}）",
    ),
    "convention": (
        "{v} is the value PyTorch and JAX use there by convention (a subgradient), "
        "not the derivative",
        "{v} 是 PyTorch 和 JAX 在该点按约定使用的值（一个次梯度），并不是导数",
    ),
    "expected": ("expected", "正确答案"),
    "answer": ("your answer", "你的答案"),
    "likely": ("likely mistake", "可能的错误"),
    "or": ("or", "或者"),
    "no_slip": (
        "not one of the usual slips; compare with the steps (dfdx diff --steps)",
        "不属于常见错误；请对照求导步骤（dfdx diff --steps）",
    ),
    "no_slip_many": (
        "not one of the usual slips tried (with more than {k} other variables, "
        "differentiating by a wrong one is not tried); compare with the steps "
        "(dfdx diff --steps)",
        "不属于所检查的常见错误（其他变量多于 {k} 个时，不检查是否对错了变量求导）；"
        "请对照求导步骤（dfdx diff --steps）",
    ),
    "step": ("it departs at step {label}: {rule}", "从第 {label} 步开始出错：{rule}"),
    "differs": (
        "at {point}: your answer gives {a}, the derivative {e}",
        "在 {point} 处：你的答案得 {a}，导数为 {e}",
    ),
    "component": ("∂/∂{v}", "∂/∂{v}"),
}


_w = functools.partial(localise, _WORDS)


# ---------------------------------------------------------------------------
# Comparing forms
# ---------------------------------------------------------------------------

_NICE = (1.0, 2.0, -1.0, 0.5, 3.0, -2.0, 1.5, -0.5, 0.25, 4.0, -3.0, 0.75)


def _grid(symbols):
    """Sample points (one array per symbol) over both signs."""
    k = len(symbols)
    base = np.array([*_NICE, 0.37, 1.21, 2.3, -0.71, -1.9, 3.7, -2.6, 0.83])
    return [np.roll(base, -j) for j in range(k)]


def _values(symbols, e, grid):
    try:
        fn = lambdify_numpy(symbols, e)
        with np.errstate(all="ignore"):
            out = np.asarray(fn(*grid), dtype=complex)
    except Exception:  # cannot evaluate in floats: no screen
        return None
    return np.broadcast_to(out, grid[0].shape if grid else (len(_NICE),))


def _agree_on_grid(va, vb) -> bool:
    """Same at every grid point where both are finite and real (at least 3)."""
    if va is None or vb is None:
        return False
    ok = (
        np.isfinite(va)
        & np.isfinite(vb)
        & (np.abs(va.imag) <= 1e-12 * np.maximum(1, np.abs(va)))
        & (np.abs(vb.imag) <= 1e-12 * np.maximum(1, np.abs(vb)))
    )
    if ok.sum() < 3:
        return False
    a, b = va[ok].real, vb[ok].real
    return bool(np.all(np.abs(a - b) <= 1e-9 * np.maximum(1, np.abs(a))))


def _value_30(e, point: dict, prec: int = 30):
    """e at point to `prec` digits (30 by default), as a real SymPy Float, or
    None."""
    try:
        with sympy.evaluate(False):
            at = e.xreplace(
                {
                    s: v if isinstance(v, sympy.Basic) else sympy.Float(v, prec)
                    for s, v in point.items()
                }
            )
        v = sympy.N(at, prec)
        if v.has(sympy.Function):  # Heaviside(5 - 1.0) stays as it is: evaluate
            v = sympy.N(at.doit(), prec)
    except Exception:
        return None
    if not v.is_number or v.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        return None
    re_, im = v.as_real_imag()
    if not (re_.is_Number and im.is_Number):
        return None
    if abs(im) > 1e-20 * max(1, abs(re_)):
        return None
    return sympy.Float(re_, prec)


def _counterexample(a, b, symbols, domain=None) -> dict | None:
    """A simple point where `a` and `b` are both real and differ: in the
    typed function's `domain`, off every breakpoint of their pieces, and
    where both values are the same at 30 and 60 digits (near a pole or a
    0/0 the digits shown would be noise), simplest points first."""
    from dfdx.exact.simplify import _piece_points, breakpoints

    grid = _grid(symbols)
    candidates = [
        [float(g[i]) for g in grid] for i in range(len(grid[0]) if grid else 1)
    ]
    cuts: list[float] = []
    if len(symbols) == 1:
        found = [breakpoints(f, symbols[0]) for f in (a, b)]
        cuts = sorted({c for f in found if f for c in f})
        ends = [-math.inf, *cuts, math.inf]
        for lo, hi in zip(ends, ends[1:]):
            candidates += [[v] for v in _simple_inside(lo, hi)]
        for piece in _piece_points(cuts):
            candidates += [[v] for v in sorted(piece, key=abs)]
    for values in candidates:
        if len(symbols) == 1 and any(abs(values[0] - c) < 1e-9 for c in cuts):
            continue  # on a breakpoint: the derivative may not exist there
        point = dict(zip(symbols, values, strict=True))
        if domain and domain.contains({s.name: v for s, v in point.items()}) is False:
            continue
        va, vb = _value_30(a, point), _value_30(b, point)
        if va is None or vb is None:
            continue
        if abs(va - vb) <= 1e-20 * max(1, abs(vb)):
            continue
        fine = {s: sympy.Float(v, 60) for s, v in point.items()}
        wa, wb = _value_30(a, fine, 60), _value_30(b, fine, 60)
        if wa is None or wb is None:
            continue
        if any(abs(w - v) > 1e-20 * max(1, abs(w)) for w, v in ((wa, va), (wb, vb))):
            continue  # the digits move with the precision: not to be shown
        return {
            "at": {s.name: v for s, v in point.items()},
            "answer": float(va),
            "expected": float(vb),
        }
    return None


def _simple_inside(lo: float, hi: float) -> list[float]:
    """The simplest numbers strictly between `lo` and `hi`: integers nearest
    0, then halves, then the middle."""
    out: list[float] = []
    for step in (1.0, 0.5, 0.1):
        start = math.floor(lo / step) + 1 if math.isfinite(lo) else None
        stop = math.ceil(hi / step) - 1 if math.isfinite(hi) else None
        if start is None and stop is None:
            ks = [0, 1, -1]
        elif start is None and stop is not None:
            ks = [min(stop, 0), stop - 1] if stop > 0 else [stop, stop - 1]
        elif stop is None and start is not None:
            ks = [max(start, 0), start + 1] if start < 0 else [start, start + 1]
        elif start is not None and stop is not None:
            ks = sorted(range(start, stop + 1), key=abs)[:2] if start <= stop else []
        out += [k * step for k in ks]
        if out:
            break
    if not out and math.isfinite(lo) and math.isfinite(hi):
        out.append((lo + hi) / 2)
    return out


# ---------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerCheck:
    """The verdict on one answer.

    Attributes
    ----------
    correct : bool or None
        True when the answer equals the derivative, False when it differs
        somewhere on the common real domain, None when dfdx cannot decide.
    how : str
        ``'symbolic'`` (the difference simplifies to 0), ``'numeric'`` (equal
        to 30 digits at every sample point, not shown symbolically), ``'value'``
        (a number checked with ``at=``), ``'rounded'`` (a decimal equal to the
        value rounded to the digits given), ``'different'`` or ``'unknown'``.
    mistake : str or None
        The id of the named slip (see :data:`SLIPS`) whose result equals the
        answer, when wrong and one matches.
    mistakes : tuple of str
        Every named slip whose result equals the answer (``mistake`` is the
        first): ``1/sqrt(x+1)`` for ``sqrt(x+1)`` is the ½ forgotten, and also
        the constant 1 differentiated as 1.
    mistake_text : str or None
        That slip described in :attr:`lang`.
    step : str or None
        Where in :func:`dfdx.explain`'s steps the answer departs
        (``'1.2 Chain rule: d/dx sin(x**2)'``), when the slip has one place.
    expected : Expression
        The derivative (or its value at `at`).
    answer : Expression
    counterexample : dict or None
        ``{'at': {name: value}, 'answer': a, 'expected': e}``: a point where
        the answer and the derivative differ.
    parts : tuple of AnswerCheck
        For a gradient answer, one check per component (in :attr:`variables`
        order); empty otherwise.
    """

    expression: Expression
    answer: Expression | tuple[Expression, ...]
    expected: Expression | tuple[Expression, ...]
    wrt: str
    n: int
    correct: bool | None
    how: str
    mistake: str | None = None
    mistakes: tuple[str, ...] = ()
    step: str | None = None
    counterexample: dict | None = None
    at: float | None = None
    digits: int | None = None
    lang: str = "en"
    parts: tuple[AnswerCheck, ...] = ()
    variables: tuple[str, ...] = ()
    _samples: int = field(default=0, repr=False)
    # more other variables than the wrong-variable slip is tried for
    _many_variables: bool = field(default=False, repr=False)
    # lines said after the verdict (why a derivative does not exist)
    _notes: tuple[str, ...] = field(default=(), repr=False)

    def __bool__(self) -> bool:
        return self.correct is True

    @property
    def mistake_text(self) -> str | None:
        if self.mistake is None:
            return None
        return localise(SLIPS, self.mistake, self.lang)

    def _verdict(self) -> str:
        if self.correct is None:
            return _w(
                "unknown_pieces" if self.how == "unknown_pieces" else "unknown",
                self.lang,
            )
        if self.correct is False:
            return _w("wrong", self.lang)
        if self.how == "numeric":
            return _w("correct_numeric", self.lang, n=self._samples)
        if self.how == "value":
            return _w("correct_value", self.lang, v=_show(self.expected))
        if self.how == "rounded":
            return _w(
                "correct_rounded", self.lang, k=self.digits, v=_show(self.expected)
            )
        return _w("correct_symbolic", self.lang)

    def to_text(self) -> str:
        lang = self.lang
        if self.parts:
            head = f"∇({_typed(self.expression)}) — {self._verdict()}"
            lines = [head]
            for v, part in zip(self.variables, self.parts, strict=True):
                head, *rest = part.to_text().split("\n")
                verdict = head.split("): ", 1)[-1]
                lines.append(f"  {_w('component', lang, v=v)}: {verdict}")
                lines.extend("  " + line for line in rest)
            return "\n".join(lines)
        order = "" if self.n == 1 else f"^{self.n}"
        d = "∂" if len(self.expression.variables) > 1 else "d"
        lhs = f"{d}{order}/{d}{self.wrt}{order} ({_typed(self.expression)})"
        if self.at is not None:
            lhs += f" at {self.wrt} = {_show_number(self.at)}"
        lines = [f"{lhs}: {self._verdict()}"]
        if self.how == "not_differentiable":
            lines.append(f"  {_w('answer', lang)}: {_one(self.answer).textbook}")
            lines.append(f"  {self.mistake_text}")
            lines.extend(f"  {line}" for line in self._notes)
            return "\n".join(lines)
        if self.correct is not True:
            lines.append(f"  {_w('answer', lang)}: {_one(self.answer).textbook}")
            lines.append(f"  {_w('expected', lang)}: {_one(self.expected).textbook}")
        if self.correct is False:
            if self.mistake is not None:
                lines.append(f"  {_w('likely', lang)}: {self.mistake_text}")
                for other in self.mistakes[1:]:
                    text = localise(SLIPS, other, lang)
                    lines.append(f"  {_w('or', lang)}: {text}")
                if self.step is not None:
                    label, _, rule = self.step.partition(" ")
                    lines.append(f"  {_w('step', lang, label=label, rule=rule)}")
            elif self.at is None and self._many_variables:
                k = _MAX_WRONG_VARIABLES
                lines.append(f"  {_w('no_slip_many', lang, k=k)}")
            elif self.at is None:
                lines.append(f"  {_w('no_slip', lang)}")
            if self.counterexample is not None:
                c = self.counterexample
                point = _point_text(c["at"], lang)
                lines.append(
                    "  "
                    + _w(
                        "differs",
                        lang,
                        point=point,
                        a=_show_number(c["answer"], c["expected"]),
                        e=_show_number(c["expected"], c["answer"]),
                    )
                )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(self.to_text())}</pre>"

    def to_dict(self) -> dict:
        def text(v):
            return [str(p) for p in v] if isinstance(v, tuple) else str(v)

        def book(v):
            return [p.textbook for p in v] if isinstance(v, tuple) else v.textbook

        out = {
            "expression": str(self.expression),
            "answer": text(self.answer),
            "expected": text(self.expected),
            "answer_textbook": book(self.answer),
            "expected_textbook": book(self.expected),
            "wrt": self.wrt,
            "n": self.n,
            "correct": self.correct,
            "how": self.how,
            "mistake": self.mistake,
            "mistake_text": self.mistake_text,
            "mistakes": list(self.mistakes),
            "step": self.step,
            "counterexample": self.counterexample,
            "at": self.at,
        }
        if self.parts:
            out["variables"] = list(self.variables)
            out["parts"] = [p.to_dict() for p in self.parts]
        return out


def _decided(verdict: str) -> bool | None:
    """A comparison's verdict (:func:`compare_forms`) as equal (True),
    different (False) or undecided (None)."""
    return {"symbolic": True, "numeric": True, "different": False}.get(verdict)


def _typed(e: Expression) -> str:
    """The function as typed (x*x stays a product), in textbook notation."""
    return textbook(e.written, order="none")


def _point_text(at: dict, lang: str) -> str:
    """'x = 1, y = 2'; a constant's counterexample holds at every point."""
    if not at:
        return "every point" if lang == "en" else "任意点"
    return ", ".join(f"{k} = {_show_number(v)}" for k, v in at.items())


def _show_number(v: float, other: float | None = None) -> str:
    """`v` with 10 significant digits, or more where that is not `v` (a point
    1.000000000001 is not 1) or would look like `other`, a value it differs
    from (your answer 1 against the derivative 1.000000000002)."""
    v = float(v)
    for k in range(10, 18):
        text = f"{v:.{k}g}"
        if other is not None and text == f"{float(other):.{k}g}":
            continue
        if other is not None or float(text) == v:
            return text
    return repr(v)


def _one(e: Expression | tuple[Expression, ...]) -> Expression:
    if isinstance(e, tuple):  # a gradient's parts are single checks
        raise TypeError("expected one expression")
    return e


def _show(e: Expression | tuple[Expression, ...]) -> str:
    s = _one(e).sympy
    if s.is_Rational or s.is_Integer:
        return str(s)
    try:
        return f"{str(s)} ≈ {float(s):.10g}" if not s.is_Float else f"{float(s):.15g}"
    except (TypeError, ValueError):
        return str(s)


# ---------------------------------------------------------------------------
# check_answer
# ---------------------------------------------------------------------------


def _split_components(answer) -> list | None:
    """A gradient answer: a list/tuple, or text with top-level commas (and
    optional enclosing brackets). None for a single answer."""
    if isinstance(answer, (list, tuple)):
        return list(answer)
    if not isinstance(answer, str):
        return None
    text = answer.strip()
    if text[:1] in "([" and text[-1:] in ")]" and _closes_at_end(text):
        inner = text[1:-1]
    else:
        inner = text
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(inner):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    if not parts:
        return None
    parts.append(inner[start:])
    return parts


def _closes_at_end(text: str) -> bool:
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0 and i != len(text) - 1:
                return False
    return True


def _significant_digits(text: str) -> int | None:
    """Significant digits of a decimal written by the user ('0.333' -> 3);
    None for an exact number."""
    m = re.fullmatch(r"\s*[-+]?(\d*)\.(\d*)(?:[eE][-+]?\d+)?\s*", text)
    if not m:
        return None
    digits = (m.group(1) + m.group(2)).lstrip("0")
    return max(len(digits), 1)


def _step_of(expr: Expression, wrt: str, node, back: dict, lang: str) -> str | None:
    """'1.2 Chain rule: d/dx sin(x**2)' for the explain() step at `node`."""
    from dfdx.teaching.steps import explain

    try:
        steps = explain(expr, wrt, lang=lang)
    except DfdxError:
        return None
    target = replace_written(node, back)

    def visit(step, path):
        if step.expr.sympy == target and step.rule not in ("partial", "rewrite"):
            return path, step
        for i, child in enumerate(step.children, 1):
            found = visit(child, [*path, i])
            if found:
                return found
        return None

    found = visit(steps.root, [1])
    if not found:
        return None
    path, step = found
    label = ".".join(map(str, path))
    return f"{label} {step.name}: d/d{wrt} {step.expr.textbook}"


@bounded("check the answer")
def check_answer(
    expr,
    answer,
    *,
    wrt: str | Sequence[str] | None = None,
    n: int = 1,
    at=None,
    lang: str = "en",
) -> AnswerCheck:
    """Check a learner's derivative of `expr`; name the slip when it is wrong.

    Parameters
    ----------
    expr : str, Expression or sympy.Expr
        The function differentiated, e.g. ``"sin(x^2)"``.
    answer : str, Expression, number, or a list of them
        The learner's derivative (any equivalent form is accepted). With
        several variables and no `wrt`, a gradient: a list, or text with the
        components separated by commas (``"2xy, x^2"``), in the order of
        :attr:`Expression.variables` or of `wrt` when it is a list.
    wrt : str or list of str, optional
        The variable (required for a partial derivative of a function of
        several variables), or the gradient's variables in order.
    n : int, optional
        Order of the derivative (default 1).
    at : number, optional
        Check a number: the derivative's value at ``wrt = at``. A decimal
        answer is correct when it is the value rounded to the digits given.
    lang : {'en', 'zh'}
        Language of the verdict and the mistake.

    Returns
    -------
    AnswerCheck
        Truthy exactly when the answer is correct.

    Examples
    --------
    >>> import dfdx
    >>> bool(dfdx.check_answer("x^2*sin(x)", "x*(2 sin(x) + x cos(x))"))
    True
    >>> r = dfdx.check_answer("sin(x^2)", "cos(x^2)")
    >>> r.correct, r.mistake
    (False, 'chain_inner')
    >>> dfdx.check_answer("x^3", "3x^3").mistake
    'power_not_lowered'
    """
    check_lang(lang)
    e = as_expression(expr, name="expr")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= 20:
        raise DfdxError(f"n must be an integer from 1 to 20, got {n!r}")
    n = int(n)
    many = isinstance(wrt, (list, tuple))
    components = _split_components(answer)
    if many or (components is not None and wrt is None):
        return _check_gradient(e, answer, components, wrt, n, at, lang)
    if components is not None:
        raise DfdxError(
            f"answer has {len(components)} comma-separated parts but wrt={wrt!r} "
            "asks for one derivative"
        )
    return _check_one(e, answer, wrt, n, at, lang)


def _check_gradient(e, answer, components, wrt, n, at, lang) -> AnswerCheck:
    names = tuple(wrt) if isinstance(wrt, (list, tuple)) else tuple(e.variables)
    if components is None:
        components = [answer]
    if at is not None:
        raise DfdxError("at= checks one derivative's value; give wrt= for it")
    if len(components) != len(names):
        raise DfdxError(
            f"the gradient of {for_people(e)} has {len(names)} components "
            f"({', '.join(names) or 'none'}), the answer has {len(components)}"
        )
    parts = tuple(
        _check_one(e, c, v, n, None, lang)
        for c, v in zip(components, names, strict=True)
    )
    verdicts = [p.correct for p in parts]
    correct = False if False in verdicts else (None if None in verdicts else True)
    how = (
        "different"
        if correct is False
        else ("unknown" if correct is None else "symbolic")
    )
    if correct and any(p.how == "numeric" for p in parts):
        how = "numeric"
    return AnswerCheck(
        expression=e,
        answer=tuple(_one(p.answer) for p in parts),
        expected=tuple(_one(p.expected) for p in parts),
        wrt=",".join(names),
        n=n,
        correct=correct,
        how=how,
        mistake=next((p.mistake for p in parts if p.mistake), None),
        mistakes=tuple(dict.fromkeys(m for p in parts for m in p.mistakes)),
        lang=lang,
        parts=parts,
        variables=names,
        _samples=min((p._samples for p in parts), default=0),
    )


def _as_answer(answer, name: str = "answer") -> tuple[Expression, int | None]:
    digits = None
    if isinstance(answer, str):
        digits = _significant_digits(answer)
        return parse(answer), digits
    if isinstance(answer, float):
        digits = _significant_digits(repr(answer))
    return as_expression(answer, name=name), digits


def _check_one(e: Expression, answer, wrt, n, at, lang) -> AnswerCheck:
    sym = _wrt_symbol(e, wrt)
    a, digits = _as_answer(answer)
    extra = sorted(set(a.variables) - set(e.variables) - {sym.name})
    if extra:
        raise DfdxError(
            f"the answer uses {', '.join(extra)}, which "
            f"{'is' if len(extra) == 1 else 'are'} not a variable of {for_people(e)}"
        )
    if wrt is not None and e.variables and wrt not in e.variables:
        raise DfdxError(
            f"wrt={wrt!r} is not a variable of the expression "
            f"(variables: {', '.join(e.variables)})"
        )
    e.require_derivative([sym.name])
    real, back = real_symbols(e.sympy)
    x = next((r for r in back if r.name == sym.name), sympy.Symbol(sym.name, real=True))
    forward = {v: k for k, v in back.items()}
    ra = a.sympy.xreplace(forward)
    expected = real_diff(real, x, n)
    base = dict(expression=e, answer=a, wrt=sym.name, n=n, lang=lang)
    if at is not None:
        return _check_value(real, ra, x, expected, at, digits, back, base)
    verdict, agreed = compare_forms(ra, expected)
    shown = Expression(_tidy(expected).xreplace(back))
    symbols = sorted(expected.free_symbols | ra.free_symbols, key=lambda s: s.name)
    if verdict in ("symbolic", "numeric"):
        return AnswerCheck(
            expected=shown,
            correct=True,
            how=verdict,
            _samples=agreed,
            **base,
        )
    if verdict == "unknown":
        how = "unknown"
        if _has_pieces(ra) or _has_pieces(expected):
            how = "unknown_pieces"
        return AnswerCheck(expected=shown, correct=None, how=how, **base)
    written = e.written
    if written is not e.sympy:  # the slips follow the typed form (x*x: product)
        forward.update(
            {s: sympy.Symbol(s.name, real=True) for s in written.free_symbols}
        )
        back.update({v: k for k, v in forward.items()})
        written = replace_written(written, forward)
    else:  # the typed form is SymPy's: in real symbols, as the answer is
        written = real
    mistakes, node = _find_slip(written, x, n, ra, symbols)
    step = None
    if node is not None and n == 1:
        step = _step_of(e, sym.name, node, back, lang)
    return AnswerCheck(
        expected=shown,
        correct=False,
        how="different",
        mistake=mistakes[0] if mistakes else None,
        mistakes=mistakes,
        step=step if len(mistakes) == 1 else None,
        counterexample=_counterexample(ra, expected, symbols, e.domain),
        _many_variables=len(real.free_symbols - {x}) > _MAX_WRONG_VARIABLES,
        **base,
    )


def _tidy(expr):
    from dfdx.exact.simplify import tidy

    return tidy(expr)


def _candidates(real, x, n):
    """(slip, node, derivative) for each slip, made at the last
    differentiation (and, for n > 1, at the first one)."""
    before = real_diff(real, x, n - 1) if n > 1 else real
    yield from _slipped(before, x)
    if n > 1:
        for slip, node, g in _slipped(real, x):
            yield slip, node, real_diff(g, x, n - 1)
    others = sorted(real.free_symbols - {x}, key=lambda s: s.name)
    if len(others) <= _MAX_WRONG_VARIABLES:
        for other in others:
            yield "wrong_variable", None, real_diff(real, other, n)


def _find_slip(real, x, n, ra, symbols) -> tuple[tuple[str, ...], object]:
    """Every slip whose result equals the answer `ra` (in SLIPS order: where
    two fit, both are named), and the node where the first was made."""
    grid = _grid(symbols)
    va = _values(symbols, ra, grid)
    if va is None:
        return (), None
    equal: dict = {}  # derivative -> equals the answer (two slips, one form)
    found: list[str] = []
    first = None
    for slip, node, g in _candidates(real, x, n):
        if slip in found or g.has(sympy.nan) or g.free_symbols - set(symbols):
            continue
        if g not in equal:
            equal[g] = _agree_on_grid(va, _values(symbols, g, grid)) and same_value(
                ra, g
            ) in ("symbolic", "numeric")
        if equal[g]:
            if not found:
                first = node
            found.append(slip)
    return tuple(found), first


def _point_of(at):
    """`at` as an exact SymPy number: text or an expression read exactly
    ("pi/5"), a number as :func:`dfdx.exact.symbolic._exact_point` reads it (0.1
    is 1/10, as the parser reads it)."""
    if isinstance(at, (str, Expression)) or (
        isinstance(at, sympy.Basic) and not at.is_number
    ):
        exact = as_expression(at, name="at").sympy
        if exact.free_symbols or not exact.is_number:
            raise DfdxError(f"at must be a number, got {at!r}")
    else:
        exact = _exact_point(at)
    value = _value_30(exact, {})
    if value is None or not math.isfinite(float(value)):
        raise DfdxError(f"at must be a finite real number, got {_short(exact)}")
    return exact


def _same_number(got, want, answer, exact) -> bool:
    """Whether the answer's value `got` is the derivative's `want` (both to
    30 digits): equal relative to their size; where both are too close to 0
    for 30 digits to tell (-20*exp(-100) against 0), decided on the numbers
    `answer` and `exact` themselves (see symbolic._equal_numbers)."""
    gap, scale = abs(got - want), max(abs(got), abs(want))
    tol = sympy.Float(10, 30) ** -25
    if gap <= tol * scale:
        return True
    if gap > tol * max(1, scale):
        return False
    return _equal_numbers(answer, exact)


def _check_value(real, ra, x, expected, at, digits, back, base) -> AnswerCheck:
    if ra.free_symbols:
        raise DfdxError(
            f"with at= the answer must be a number, got {base['answer']} "
            f"(variables: {', '.join(sorted(s.name for s in ra.free_symbols))})"
        )
    exact_at = _point_of(at)
    at = float(exact_at.evalf(30))
    others = real.free_symbols - {x}
    if others:
        raise DfdxError(
            f"at= gives only {x.name}; the expression also has "
            f"{', '.join(sorted(s.name for s in others))}"
        )
    # the exact point: the one shown, not its nearest float
    point = {x: exact_at}
    e = base["expression"]
    if e.domain.contains({x.name: exact_at}) is False:
        raise DfdxError(
            f"{e.written_text} is not defined at {x.name} = {at:g} (its domain: "
            f"{e.domain}), so neither is its derivative"
        )
    missing = _no_derivative(e, x.name, exact_at, base, ra, at, digits)
    if missing is not None:
        return missing
    want = _value_30(expected, point)
    if want is None:
        raise DfdxError(
            f"the derivative is not defined (or not real) at {x.name} = {at:g}"
        )
    got = _value_30(ra, {})
    if got is None:
        raise DfdxError(f"the answer {base['answer']} is not a real number")
    exact_value = _exact_value(expected, x, exact_at)
    exact = Expression(exact_value)
    if digits is None:
        # the exact value, not evaluated (its shown form may be 15 digits)
        ok = _same_number(got, want, ra, _at(expected, x, exact_at))
        how = "value"
    else:
        scale = (
            10 ** (math.floor(math.log10(abs(float(want)))) - digits + 1)
            if want != 0
            else 10**-digits
        )
        ok = bool(abs(float(got) - float(want)) <= 0.5 * scale * (1 + 1e-9))
        how = "rounded"
    counter = None
    mistake = None
    if not ok:
        how = "different"
        counter = {"at": {x.name: at}, "answer": float(got), "expected": float(want)}
        # a slip explains the answer when it gives the answer's value: to 25
        # digits for an exact answer, to the digits given for a decimal
        near = (
            sympy.Float(10, 30) ** -25 * max(abs(got), abs(want))
            if digits is None
            else 0.5 * scale * (1 + 1e-9)
        )
        for slip, _node, g in _candidates(real, x, base["n"]):
            vg = _value_30(g, point)
            if vg is not None and abs(vg - got) <= near:
                mistake = slip
                break
    return AnswerCheck(
        expected=exact,
        correct=ok,
        how=how,
        mistake=mistake,
        mistakes=() if mistake is None else (mistake,),
        counterexample=counter,
        at=at,
        digits=digits,
        **base,
    )


def _has_pieces(e) -> bool:
    from dfdx.exact.simplify import _switch_arguments

    return _switch_arguments(e) != []


def _no_derivative(e, name, exact_at, base, ra, at, digits) -> AnswerCheck | None:
    """The verdict where f′ does not exist at the point (a corner, a cusp, an
    endpoint, a jump), or None where it exists."""
    from dfdx.errors import NotDifferentiableError
    from dfdx.exact.symbolic import at_kink, derivative_at

    real = real_symbols(e.sympy)[0]
    rx = next((s for s in real.free_symbols if s.name == name), None)
    kink = rx is not None and at_kink(real, {rx: exact_at})
    if (
        not kink
        and e.domain.near(name, exact_at, -1)
        and e.domain.near(name, exact_at, 1)
    ):
        return None
    try:
        derivative_at(e, exact_at, name)
    except NotDifferentiableError as err:
        why = str(err).split(" (", 1)[-1].rstrip(")") if " (" in str(err) else ""
        if not why:
            why = str(err)
        lang = base["lang"]
        point = f"{name} = {_show_number(at)}"
        notes = []
        if e.sympy.has(relu) and err.left is not None and err.right is not None:
            got = _value_30(ra, {})
            for side in (err.left, err.right):
                if got is not None and _value_30(side, {}) == got and side == 0:
                    notes.append(_w("convention", lang, v=_show(Expression(side))))
        return AnswerCheck(
            expected=Expression(sympy.nan),
            correct=False,
            how="not_differentiable",
            mistake="not_differentiable",
            at=at,
            digits=digits,
            _notes=(_w("no_derivative", lang, point=point, why=why), *notes),
            **base,
        )
    return None


def _exact_value(expected, x, exact_at):
    """The derivative's value at the point, exact where that is readable; 15
    digits where it holds roots of high degree (x^x at 1.000000000001 is
    1000000000001^(1000000000001/10^12)/10^12... exactly)."""
    try:
        v = expected.xreplace({x: exact_at})
        if v.is_number and not _high_degree_roots(v):
            return v
    except Exception:  # noqa: S110 - the value in digits below
        pass
    return sympy.Float(_value_30(expected, {x: exact_at}), 15)
