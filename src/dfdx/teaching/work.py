"""Check a learner's working line by line: where it first goes wrong, and
what kind of slip that is.

Each line of the working is the derivative at that stage: it may still hold
derivatives not yet worked out (``d/dx(x^2)·sin(x) + x^2·d/dx(sin(x))``,
``(x^2)'``, ``\\frac{d}{dx}(x^2)``). A line is right when its function equals
the derivative (the equality of :func:`dfdx.check_answer`, which knows pieces
and domains). At the first wrong line the slip is named by comparing it with
the line before: a rule misapplied to one of that line's open derivatives
(the slips of :data:`dfdx.SLIPS`), or, where the line before was algebra, an
algebra slip (a sign lost on a term, a dropped term, a wrong factor).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy

from dfdx.core._bounded import bounded
from dfdx.core.i18n import check_lang, localise
from dfdx.errors import DfdxError
from dfdx.exact.simplify import compare_forms
from dfdx.exact.symbolic import _wrt_symbol, real_symbols
from dfdx.teaching.answers import (
    SLIPS,
    _agree_on_grid,
    _check_one,
    _counterexample,
    _decided,
    _grid,
    _point_text,
    _show_number,
    _split_components,
    _step_of,
    _values,
)
from dfdx.teaching.slips import _slipped
from dfdx.text.builder import replace_written
from dfdx.text.expr import Expression, as_expression, parse
from dfdx.text.functions import real_diff
from dfdx.text.textbook import for_people, textbook

__all__ = ["check_work", "WorkCheck", "LineCheck", "ALGEBRA_SLIPS"]

#: Most lines of working read.
MAX_LINES = 40
# most terms of a line tried as the one an algebra slip changed
_MAX_TERMS = 40

#: Algebra slips between two lines: id -> (English, Chinese), with {t} the
#: term and {c} the factor where they apply.
ALGEBRA_SLIPS: dict[str, tuple[str, str]] = {
    "algebra_sign": (
        "the whole line changed sign: a minus sign was lost or added",
        "整行变了号：丢掉或多加了一个负号",
    ),
    "algebra_sign_term": (
        "a sign was lost on the term {t} (it became {neg}), as when expanding "
        "brackets or moving a term",
        "项 {t} 的符号错了（变成了 {neg}），常见于去括号或移项",
    ),
    "algebra_dropped_term": (
        "the term {t} of the line before was dropped",
        "上一行中的项 {t} 被漏掉了",
    ),
    "algebra_doubled_term": (
        "the term {t} was counted twice",
        "项 {t} 被算了两次",
    ),
    "algebra_factor": (
        "the whole line was multiplied by {c}: a wrong factor",
        "整行被乘以了 {c}：系数错了",
    ),
    "algebra_factor_term": (
        "the term {t} was multiplied by {c}: a wrong factor",
        "项 {t} 被乘以了 {c}：系数错了",
    ),
    "algebra_other": (
        "this line is not equal to the line before: an algebra slip that is "
        "not one of the usual ones (a sign, a dropped term, a factor)",
        "这一行与上一行不相等：属于代数错误，但不是常见的几种（符号、漏项、系数）",
    ),
    "rule_other": (
        "a derivative of the line before was worked out wrongly, not by one of "
        "the usual slips; compare with the steps (dfdx diff --steps)",
        "上一行中的某个导数算错了，但不属于常见错误；请对照求导步骤（dfdx diff --steps）",
    ),
}

_WORDS = {
    "right": ("the working is correct", "推导正确"),
    "wrong_at": ("the working goes wrong at line {k}", "推导从第 {k} 行开始出错"),
    "undecided": (
        "cannot decide line {k}; no line was found wrong",
        "无法判断第 {k} 行；未发现错误的行",
    ),
    "line": ("line {k}", "第 {k} 行"),
    "ok": ("equal to the derivative", "与导数相等"),
    "ok_numeric": (
        "equal to the derivative (to 30 digits at {n} sample points)",
        "与导数相等（在 {n} 个采样点上 30 位有效数字相同）",
    ),
    "bad": ("wrong", "错误"),
    "carried": ("wrong, following from line {j}", "错误，由第 {j} 行推出"),
    "unknown": ("cannot decide", "无法判断"),
    "expected": ("the derivative", "导数"),
    "likely": ("likely mistake", "可能的错误"),
    "or": ("or", "或者"),
    "in": ("in {d}", "出现在 {d} 中"),
    "step": ("it departs at step {label}: {rule}", "从第 {label} 步开始出错：{rule}"),
    "differs": (
        "at {point}: line {k} gives {a}, the derivative {e}",
        "在 {point} 处：第 {k} 行得 {a}，导数为 {e}",
    ),
    "final_right": (
        "the last line is right, but line {k} is not: two slips cancelled",
        "最后一行正确，但第 {k} 行有误：两处错误相互抵消",
    ),
}

_w = functools.partial(localise, _WORDS)


@dataclass(frozen=True)
class LineCheck:
    """The verdict on one line of working.

    Attributes
    ----------
    number : int
        1-based line number.
    answer : Expression
        The line as parsed (its :attr:`~dfdx.Expression.typed` form keeps the
        derivatives not yet worked out).
    correct : bool or None
        Whether the line's function equals the derivative (None: cannot decide).
    how : str
        As :attr:`dfdx.AnswerCheck.how`: ``'symbolic'``, ``'numeric'``,
        ``'different'`` or ``'unknown'``.
    follows : bool or None
        For a wrong line after the first wrong one: whether it equals the line
        before (the earlier mistake carried on). None where not asked.
    """

    number: int
    answer: Expression
    correct: bool | None
    how: str
    follows: bool | None = None
    _samples: int = field(default=0, repr=False)

    def to_dict(self) -> dict:
        return {
            "line": self.number,
            "text": self.answer.text,
            "textbook": _shown(self.answer),
            "sympy": str(self.answer),
            "correct": self.correct,
            "how": self.how,
            "follows": self.follows,
        }


@dataclass(frozen=True)
class WorkCheck:
    """The verdict on a derivation: see :func:`check_work`.

    Attributes
    ----------
    correct : bool or None
        True when every line equals the derivative, False when one does not,
        None when no line is wrong but one cannot be decided.
    first_wrong : int or None
        1-based number of the first wrong line.
    mistake : str or None
        The slip at the first wrong line: an id of :data:`dfdx.SLIPS` (a rule
        misapplied) or of :data:`ALGEBRA_SLIPS` (algebra between two lines).
    mistakes : tuple of str
        Every slip that fits (``mistake`` is the first).
    kind : str or None
        ``'rule'`` or ``'algebra'``: the kind of the slip.
    mistake_text : str or None
        The slip described in :attr:`lang`.
    step : str or None
        The step of :func:`dfdx.explain` where the working departs, where the
        slip has one place.
    counterexample : dict or None
        ``{'at': {name: value}, 'answer': a, 'expected': e}``: a point where
        the first wrong line and the derivative differ.
    lines : tuple of LineCheck
        The verdict per line.
    """

    expression: Expression
    wrt: str
    expected: Expression
    lines: tuple[LineCheck, ...]
    correct: bool | None
    first_wrong: int | None = None
    mistake: str | None = None
    mistakes: tuple[str, ...] = ()
    kind: str | None = None
    step: str | None = None
    counterexample: dict | None = None
    lang: str = "en"
    # the derivative of the line before where a rule slip was made (d/dx(u))
    where: str | None = None
    # the term and factor an algebra slip names
    _fields: dict = field(default_factory=dict, repr=False)

    def __bool__(self) -> bool:
        return self.correct is True

    def _slip_text(self, key: str) -> str:
        if key in ALGEBRA_SLIPS:
            return localise(ALGEBRA_SLIPS, key, self.lang, **self._fields)
        return localise(SLIPS, key, self.lang)

    @property
    def mistake_text(self) -> str | None:
        if self.mistake is None:
            return None
        return self._slip_text(self.mistake)

    def _head(self) -> str:
        if self.correct is True:
            return _w("right", self.lang)
        if self.correct is False:
            return _w("wrong_at", self.lang, k=self.first_wrong)
        k = next(ln.number for ln in self.lines if ln.correct is None)
        return _w("undecided", self.lang, k=k)

    def _line_verdict(self, ln: LineCheck) -> str:
        lang = self.lang
        if ln.correct is True:
            if ln.how == "numeric":
                return "✓ " + _w("ok_numeric", lang, n=ln._samples)
            return "✓ " + _w("ok", lang)
        if ln.correct is None:
            return "? " + _w("unknown", lang)
        if ln.follows:
            return "✗ " + _w("carried", lang, j=ln.number - 1)
        return "✗ " + _w("bad", lang)

    def to_text(self) -> str:
        lang = self.lang
        d = "∂" if len(self.expression.variables) > 1 else "d"
        out = [f"{d}/{d}{self.wrt} ({_shown(self.expression)}): {self._head()}"]
        shown = [_shown(ln.answer) for ln in self.lines]
        width = max(len(s) for s in shown)
        for ln, s in zip(self.lines, shown, strict=True):
            label = _w("line", lang, k=ln.number)
            out.append(f"  {label}: {s.ljust(width)}   {self._line_verdict(ln)}")
        if self.correct is not True:
            out.append(f"  {_w('expected', lang)}: {self.expected.textbook}")
        if self.correct is False:
            if self.mistake is not None:
                text = self.mistake_text or ""
                if self.where is not None:
                    text += f" ({_w('in', lang, d=self.where)})"
                out.append(f"  {_w('likely', lang)}: {text}")
                for other in self.mistakes[1:]:
                    out.append(f"  {_w('or', lang)}: {self._slip_text(other)}")
            if self.step is not None:
                label, _, rule = self.step.partition(" ")
                out.append(f"  {_w('step', lang, label=label, rule=rule)}")
            c = self.counterexample
            if c is not None:
                point = _point_text(c["at"], lang)
                out.append(
                    "  "
                    + _w(
                        "differs",
                        lang,
                        point=point,
                        k=self.first_wrong,
                        a=_show_number(c["answer"], c["expected"]),
                        e=_show_number(c["expected"], c["answer"]),
                    )
                )
            if self.lines[-1].correct is True:
                out.append(f"  {_w('final_right', lang, k=self.first_wrong)}")
        return "\n".join(out)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(self.to_text())}</pre>"

    def to_dict(self) -> dict:
        return {
            "expression": str(self.expression),
            "expression_textbook": self.expression.textbook,
            "wrt": self.wrt,
            "expected": str(self.expected),
            "expected_textbook": self.expected.textbook,
            "correct": self.correct,
            "first_wrong": self.first_wrong,
            "mistake": self.mistake,
            "mistake_text": self.mistake_text,
            "mistakes": list(self.mistakes),
            "kind": self.kind,
            "where": self.where,
            "step": self.step,
            "counterexample": self.counterexample,
            "lines": [ln.to_dict() for ln in self.lines],
        }


def _shown(e: Expression) -> str:
    """A line as the learner wrote it, in textbook notation (its open
    derivatives kept)."""
    return textbook(e.typed, order="none")


# ---------------------------------------------------------------------------
# check_work
# ---------------------------------------------------------------------------


@bounded("check the working")
def check_work(
    expr,
    lines,
    *,
    wrt: str | None = None,
    lang: str = "en",
) -> WorkCheck:
    """Check a derivation line by line; find the first wrong line and name
    its slip.

    Parameters
    ----------
    expr : str, Expression or sympy.Expr
        The function differentiated.
    lines : str or sequence of str
        The working: each line is the derivative at that stage, and may
        still hold derivatives not yet worked out, written ``d/dx(u)``,
        ``(u)'`` or ``\\frac{d}{dx}(u)``.
    wrt : str, optional
        The variable (required for a function of several variables).
    lang : {'en', 'zh'}

    Returns
    -------
    WorkCheck
        Truthy exactly when every line is right.

    Examples
    --------
    >>> import dfdx
    >>> r = dfdx.check_work("x^2 sin(x)", [
    ...     "d/dx(x^2) sin(x) + x^2 d/dx(sin(x))",
    ...     "2x sin(x) - x^2 cos(x)",
    ... ])
    >>> r.first_wrong, r.mistake
    (2, 'trig_sign')
    """
    check_lang(lang)
    e = as_expression(expr, name="expr")
    if isinstance(lines, (str, Expression)):
        lines = [lines]
    if not isinstance(lines, Sequence) or not lines:
        raise DfdxError("lines must be a non-empty list of the working's lines")
    if len(lines) > MAX_LINES:
        raise DfdxError(f"at most {MAX_LINES} lines of working, got {len(lines)}")
    sym = _wrt_symbol(e, wrt)
    e.require_derivative([sym.name])
    parsed = []
    for k, line in enumerate(lines, 1):
        if isinstance(line, str) and _split_components(line) is not None:
            raise DfdxError(
                f"line {k} has comma-separated parts; give one derivative per line"
            )
        try:
            a = parse(line) if isinstance(line, str) else as_expression(line)
        except DfdxError as exc:
            raise type(exc)(f"line {k}: {exc}") from None
        extra = sorted(set(a.variables) - set(e.variables) - {sym.name})
        if extra:
            raise DfdxError(
                f"line {k} uses {', '.join(extra)}, which "
                f"{'is' if len(extra) == 1 else 'are'} not a variable of {for_people(e)}"
            )
        parsed.append(a)

    real, back = real_symbols(e.sympy)
    forward = {v: k for k, v in back.items()}
    x = next((r for r in back if r.name == sym.name), sympy.Symbol(sym.name, real=True))
    for a in parsed:  # the lines' own symbols, real as the function's are
        for s in a.sympy.free_symbols | a.typed.free_symbols:
            if s not in forward:
                forward[s] = next(
                    (r for r in back if r.name == s.name),
                    sympy.Symbol(s.name, real=True),
                )
    back = {v: k for k, v in forward.items()}
    expected = real_diff(real, x)

    checks: list[LineCheck] = []
    first = None
    reals = [a.sympy.xreplace(forward) for a in parsed]
    for k, (a, ra) in enumerate(zip(parsed, reals, strict=True), 1):
        verdict, seen = compare_forms(ra, expected)
        correct = _decided(verdict)
        follows = None
        if correct is False and first is not None:
            follows = _decided(compare_forms(ra, reals[k - 2])[0])
        if correct is False and first is None:
            first = k
        checks.append(LineCheck(k, a, correct, verdict, follows, seen))

    verdicts = [c.correct for c in checks]
    overall = False if False in verdicts else (None if None in verdicts else True)
    shown = Expression(expected.xreplace(back))
    base = dict(
        expression=e,
        wrt=sym.name,
        expected=_tidy(shown),
        lines=tuple(checks),
        correct=overall,
        lang=lang,
    )
    if first is None:
        return WorkCheck(**base)

    k = first
    symbols = sorted(
        expected.free_symbols | reals[k - 1].free_symbols, key=lambda s: s.name
    )
    if k == 1:  # the slip against d/dx f, as check_answer names it
        one = _check_one(e, parsed[0], sym.name, 1, None, lang)
        return WorkCheck(
            **base,
            first_wrong=1,
            mistake=one.mistake,
            mistakes=one.mistakes,
            kind="rule" if one.mistake else None,
            step=one.step,
            counterexample=one.counterexample,
        )
    counter = _counterexample(reals[k - 1], expected, symbols, e.domain)
    prev_typed = replace_written(parsed[k - 2].typed, forward)
    found = _rule_slip(prev_typed, x, reals[k - 1], symbols)
    if found is not None:
        slips, node, where = found
        step = None
        if node is not None and len(slips) == 1:
            step = _step_of(e, sym.name, node, back, lang)
        return WorkCheck(
            **base,
            first_wrong=k,
            mistake=slips[0],
            mistakes=slips,
            kind="rule",
            step=step,
            counterexample=counter,
            where=None if where is None else textbook(replace_written(where, back)),
        )
    slip, fields = _algebra_slip(
        parsed[k - 2].written.xreplace(forward), reals[k - 2], reals[k - 1], symbols
    )
    if slip == "algebra_other" and prev_typed.has(sympy.Derivative):
        slip = "rule_other"
    fields = {name: textbook(v.xreplace(back)) for name, v in fields.items()}
    return WorkCheck(
        **base,
        first_wrong=k,
        mistake=slip,
        mistakes=(slip,),
        kind="algebra" if slip.startswith("algebra") else "rule",
        counterexample=counter,
        _fields=fields,
    )


def _tidy(e: Expression) -> Expression:
    """The derivative's shortest form as printed: of SymPy's tidy form and
    that over one denominator ((x cos(x) - sin(x))/x^2, not
    (cos(x) - sin(x)/x)/x)."""
    from dfdx.exact.simplify import tidy

    neat = tidy(e.sympy)
    forms = [neat, sympy.together(neat)]
    shown = [textbook(f) for f in forms]
    best = min(range(len(forms)), key=lambda i: (shown[i].count("/"), len(shown[i])))
    return Expression(forms[best])


def _equal(a, b, symbols, grid, va=None) -> bool:
    """Whether forms `a` and `b` are equal: a grid screen, then the
    comparison that knows pieces."""
    va = _values(symbols, a, grid) if va is None else va
    if not _agree_on_grid(va, _values(symbols, b, grid)):
        return False
    return compare_forms(a, b)[0] in ("symbolic", "numeric")


def _open_derivatives(tree, x) -> list:
    """The outermost first-order derivatives by `x` in `tree`, once each."""
    found: dict = {}

    def visit(n):
        if isinstance(n, sympy.Derivative):
            if n.variable_count == ((x, 1),):
                found.setdefault(n, None)
            return
        for a in n.args:
            visit(a)

    visit(tree)
    return list(found)


def _rule_slip(prev, x, current, symbols):
    """(slips, node, the derivative where made) when `current` is `prev`
    with one of its open derivatives worked out by a named slip (the others
    right), else None."""
    opened = _open_derivatives(prev, x)
    if not opened:
        return None
    right = {d: real_diff(d.expr, x) for d in opened}
    grid = _grid(symbols)
    va = _values(symbols, current, grid)
    if va is None:
        return None
    for d in opened:
        found: list[str] = []
        first = None
        others = {o: v for o, v in right.items() if o is not d}
        for slip, node, g in [*_slipped(d.expr, x), *_left_out(prev, d)]:
            if slip in found or g.has(sympy.nan) or g.free_symbols - set(symbols):
                continue
            candidate = prev.xreplace({**others, d: g}).doit()
            if _equal(current, candidate, symbols, grid, va):
                if not found:
                    first = node
                found.append(slip)
        if found:
            return tuple(found), first, None if found == ["product_missing_term"] else d
    return None


def _left_out(prev, d):
    """The open derivative `d` left out. Where `d` is a factor of a term of
    a sum whose other terms hold open derivatives too (the product or
    quotient rule written out), taken as 0: a term of that rule dropped.
    Elsewhere, where it is a factor, taken as 1: the chain rule's inner
    derivative forgotten."""
    factor = in_rule_sum = False
    for node in sympy.preorder_traversal(prev):
        if isinstance(node, sympy.Mul) and d in node.args:
            factor = True
        if isinstance(node, sympy.Add):
            holders = [t for t in node.args if t.has(sympy.Derivative)]
            if len(holders) > 1 and any(
                isinstance(t, sympy.Mul) and d in t.args for t in holders
            ):
                in_rule_sum = True
    # no node: the rule that slipped is not one step of explain()'s tree
    if in_rule_sum:
        yield "product_missing_term", None, sympy.Integer(0)
    elif factor:
        yield "chain_inner", None, sympy.Integer(1)


def _terms(written, evaluated) -> list:
    """The terms a slip between two lines may have changed: the line's
    terms as written and as expanded."""
    out: dict = {}
    for tree in (written, evaluated, sympy.expand(evaluated)):
        for t in sympy.Add.make_args(tree):
            if t != 0:
                out.setdefault(t.doit(), None)
            if len(out) >= _MAX_TERMS:
                return list(out)
    return list(out)


def _constant_ratio(a, b, symbols, grid):
    """c when a = c·b for a constant rational c (checked exactly), else None."""
    va, vb = _values(symbols, a, grid), _values(symbols, b, grid)
    if va is None or vb is None:
        return None
    ok = np.isfinite(va) & np.isfinite(vb) & (np.abs(vb) > 1e-12)
    if ok.sum() < 3:
        return None
    r = (va[ok] / vb[ok]).real
    if not np.allclose(r, r[0], rtol=1e-9, atol=1e-12):
        return None
    c = sympy.nsimplify(float(r[0]), rational=True, tolerance=1e-10)
    if not c.is_Rational or c.q > 12 or abs(c.p) > 1000:
        return None
    if compare_forms(a, c * b)[0] not in ("symbolic", "numeric"):
        return None
    return c


def _algebra_slip(written, prev, current, symbols) -> tuple[str, dict]:
    """The algebra slip between line `prev` (its written form `written`)
    and line `current`, with the term and factor it names."""
    grid = _grid(symbols)
    c = _constant_ratio(current, prev, symbols, grid)
    if c is not None and c != 1:
        if c == -1:
            return "algebra_sign", {}
        return "algebra_factor", {"c": c}
    change = sympy.expand(current - prev)
    for t in _terms(written, prev):
        k = _constant_ratio(change, t, symbols, grid)
        if k is None or k == 0 or (t.is_number and k not in (-2, -1, 1)):
            continue  # a constant term: any constant change is some multiple
        if k == -2:
            return "algebra_sign_term", {"t": t, "neg": -t}
        if k == -1:
            return "algebra_dropped_term", {"t": t}
        if k == 1:
            return "algebra_doubled_term", {"t": t}
        return "algebra_factor_term", {"t": t, "c": k + 1}
    return "algebra_other", {}
