"""Hints one step at a time: the rule to use, then that rule applied to the
expression's parts (the inner derivatives left for the learner), then the
next line of working.

A hint looks at the outermost operation of what is left to differentiate: of
the function, or, given the learner's line (``given=``), of the first
derivative still open in it (``d/dx(u)``). A hint never gives away more than
its level: level 1 names the rule and the parts, never a derivative.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy

from dfdx.core._bounded import bounded
from dfdx.core.i18n import check_lang, localise, rule_name
from dfdx.errors import DfdxError
from dfdx.exact.simplify import compare_forms
from dfdx.exact.symbolic import _wrt_symbol, real_symbols
from dfdx.teaching.answers import _decided, _split_components
from dfdx.text.builder import replace_written, settle_derivatives
from dfdx.text.expr import Expression, as_expression, parse
from dfdx.text.functions import real_diff
from dfdx.text.textbook import textbook

__all__ = ["hint", "Hint"]

_WORDS = {
    "level1": ("{rule}: {what}", "{rule}：{what}"),
    "level2": (
        "{rule}: {lhs} = {line}   (work out the derivatives left open)",
        "{rule}：{lhs} = {line}（再求出其中尚未求出的导数）",
    ),
    "level2_closed": ("{rule}: {formula}", "{rule}：{formula}"),
    "level3": ("next line: {line}", "下一行：{line}"),
    "sum": ("{f} is a sum: differentiate term by term", "{f} 是和：逐项求导"),
    "constant_multiple": (
        "{f} is the constant {c} times {g}: keep the constant, differentiate {g}",
        "{f} 是常数 {c} 乘以 {g}：保留常数，对 {g} 求导",
    ),
    "product": (
        "{f} is a product of {u} and {v}: use the product rule",
        "{f} 是 {u} 与 {v} 的乘积：用乘法法则",
    ),
    "quotient": (
        "{f} is a quotient of {u} by {v}: use the quotient rule",
        "{f} 是 {u} 除以 {v} 的商：用除法法则",
    ),
    "chain": (
        "{f} is {outer} applied to the inner function {inner}: use the chain rule",
        "{f} 是把 {outer} 作用在内层函数 {inner} 上：用链式法则",
    ),
    "power": (
        "{f} is a power of {x} with a constant exponent: use the power rule",
        "{f} 是 {x} 的常数次幂：用幂法则",
    ),
    "table": (
        "{f} is a standard function of {x}: use its derivative from the table",
        "{f} 是 {x} 的基本函数：用导数表中的公式",
    ),
    "exponential": (
        "{f} has {x} in the exponent of a constant base: use the rule for a^x",
        "{f} 的指数中含 {x}、底数是常数：用 a^x 的求导公式",
    ),
    "log_diff": (
        "{f} has {x} in both base and exponent: rewrite it as e^(v ln(u)) "
        "(logarithmic differentiation)",
        "{f} 的底数和指数都含 {x}：写成 e^(v ln(u))（对数求导法）",
    ),
    "identity": ("{f} is the variable itself", "{f} 就是自变量本身"),
    "constant": ("{f} does not depend on {x}", "{f} 与 {x} 无关"),
    "done": (
        "your line has no derivative left to work out and equals the derivative; "
        "what is left is algebra",
        "你的这一行已没有待求的导数，并且等于导数；剩下的只是化简",
    ),
    "simplified": ("simplified: {line}", "化简：{line}"),
    "wrong_given": (
        "your line is not equal to the derivative; check it first "
        "(dfdx check EXPR LINE...)",
        "你的这一行不等于导数；请先检查它（dfdx check EXPR LINE...）",
    ),
    "undecided_given": (
        "cannot decide whether your line equals the derivative; the hint assumes it",
        "无法判断你的这一行是否等于导数；以下提示假定它正确",
    ),
}

_w = functools.partial(localise, _WORDS)


@dataclass(frozen=True)
class Hint:
    """A hint: see :func:`hint`.

    Attributes
    ----------
    rule : str or None
        The rule id (as in :func:`dfdx.explain`: ``'product'``, ``'chain'``,
        ...) for the part the hint is about; None when nothing is left to
        differentiate.
    level : int
    text : str
        The hint in :attr:`lang`.
    target : Expression or None
        What the hint is about: the function, or the derivative left open in
        the given line.
    line : Expression or None
        Level 2: the rule applied, inner derivatives open (``typed`` keeps
        them); level 3: the next line. None at level 1.
    given_correct : bool or None
        With `given`, whether the learner's line equals the derivative.
    """

    rule: str | None
    level: int
    text: str
    target: Expression | None = None
    line: Expression | None = None
    given_correct: bool | None = None
    lang: str = "en"

    def to_text(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        import html

        return f"<p>{html.escape(self.text)}</p>"

    def to_dict(self) -> dict:
        return {
            "rule": self.rule,
            "level": self.level,
            "text": self.text,
            "target": None if self.target is None else str(self.target),
            "line": None if self.line is None else _line_text(self.line),
            "line_sympy": None if self.line is None else str(self.line.typed),
            "given_correct": self.given_correct,
        }


def _line_text(e: Expression) -> str:
    """A line as text: as typed while derivatives are open, else in the
    usual order of terms."""
    typed = e.typed
    return textbook(typed, order="none" if typed.has(sympy.Derivative) else None)


def _d(u, x):
    return sympy.Derivative(u, x, evaluate=False)


def _split(u, x):
    """(rule, parts for the level-1 text, the rule applied with the inner
    derivatives open or None where the rule has no inner part) for the
    outermost operation of `u`."""
    if not u.has(x):
        return "constant", {}, sympy.Integer(0)
    if u == x:
        return "identity", {}, sympy.Integer(1)
    if u.is_Add:
        return "sum", {}, sympy.Add(*[_d(t, x) for t in u.args], evaluate=False)
    if u.is_Mul:
        const = [a for a in u.args if not a.has(x)]
        vary = [a for a in u.args if a.has(x)]
        if const:
            c = sympy.Mul(*const)
            g = sympy.Mul(*vary, evaluate=False) if len(vary) > 1 else vary[0]
            return (
                "constant_multiple",
                {"c": c, "g": g},
                sympy.Mul(c, _d(g, x), evaluate=False),
            )
        den = [a.base ** (-a.exp) for a in vary if a.is_Pow and a.exp.is_negative]
        num = [a for a in vary if not (a.is_Pow and a.exp.is_negative)]
        if den and num:
            top = sympy.Mul(*num, evaluate=False) if len(num) > 1 else num[0]
            bottom = sympy.Mul(*den, evaluate=False) if len(den) > 1 else den[0]
            numerator = sympy.Add(
                sympy.Mul(_d(top, x), bottom, evaluate=False),
                sympy.Mul(-1, top, _d(bottom, x), evaluate=False),
                evaluate=False,
            )
            square = sympy.Pow(bottom, 2, evaluate=False)
            line = sympy.Mul(
                numerator, sympy.Pow(square, -1, evaluate=False), evaluate=False
            )
            return "quotient", {"u": top, "v": bottom}, line
        first = vary[0]
        rest = sympy.Mul(*vary[1:], evaluate=False) if len(vary) > 2 else vary[1]
        line = sympy.Add(
            sympy.Mul(_d(first, x), rest, evaluate=False),
            sympy.Mul(first, _d(rest, x), evaluate=False),
            evaluate=False,
        )
        return "product", {"u": first, "v": rest}, line
    if u.is_Pow:
        b, p = u.args
        if not p.has(x):
            if b == x:
                return "power", {}, None
            t = sympy.Dummy("u")
            outer = sympy.diff(t**p, t).subs(t, b)
            return _chain(b, t**p, outer, x)
        if not b.has(x):
            if p == x:
                return "exponential", {}, None
            t = sympy.Dummy("u")
            return _chain(p, b**t, u * sympy.log(b), x)
        return "log_diff", {}, sympy.Mul(u, _d(p * sympy.log(b), x), evaluate=False)
    if isinstance(u, sympy.Function) and len(u.args) == 1:
        inner = u.args[0]
        t = sympy.Dummy("u")
        outer_f = u.func(t)
        outer = sympy.diff(outer_f, t).subs(t, inner)
        if inner == x:
            return "table", {}, None
        return _chain(inner, outer_f, outer, x)
    # max, min, functions of several arguments: the rules' derivative
    return "table", {}, None


def _chain(inner, outer_f, outer, x):
    t = next(iter(outer_f.free_symbols - inner.free_symbols - {x}), None)
    shown_outer = outer_f if t is None else outer_f.xreplace({t: sympy.Symbol("u")})
    line = sympy.Mul(outer, _d(inner, x), evaluate=False)
    return "chain", {"outer": shown_outer, "inner": inner}, line


def _words(rule: str, u, x, parts: dict, lang: str) -> str:
    names = {k: textbook(v, order="none") for k, v in parts.items()}
    what = _w(rule, lang, f=textbook(u, order="none"), x=x.name, **names)
    return _w("level1", lang, rule=_rule_title(rule, lang), what=what)


def _rule_title(rule: str, lang: str) -> str:
    if rule == "table":
        return {"en": "Table of derivatives", "zh": "导数表"}[lang]
    return rule_name(rule, lang)


def _as_line(tree, back: dict) -> Expression:
    """A line of working as an Expression whose :attr:`typed` form keeps
    the open derivatives: parsed from its textbook text (which reads back
    to the same function), or the worked-out form where it does not parse."""
    tree = replace_written(tree, back)
    order = "none" if tree.has(sympy.Derivative) else None
    try:
        return parse(textbook(tree, order=order))
    except DfdxError:
        return Expression(settle_derivatives(tree, evaluate=True))


@bounded("give a hint")
def hint(
    expr,
    *,
    wrt: str | None = None,
    given=None,
    level: int = 1,
    lang: str = "en",
) -> Hint:
    """A hint for differentiating `expr`, one level at a time.

    Parameters
    ----------
    expr : str, Expression or sympy.Expr
        The function.
    wrt : str, optional
        The variable (required with several).
    given : str, optional
        The learner's line so far (it may hold open derivatives,
        ``d/dx(u)``): the hint is for the next step from it.
    level : {1, 2, 3}
        1 names the rule for the outermost operation (no formula); 2 applies
        it to this expression's parts, the inner derivatives left open; 3
        gives the next line.
    lang : {'en', 'zh'}

    Returns
    -------
    Hint

    Examples
    --------
    >>> import dfdx
    >>> print(dfdx.hint("x^2 sin(x)"))
    Product rule: x^2 sin(x) is a product of x^2 and sin(x): use the product rule
    >>> print(dfdx.hint("x^2 sin(x)", level=2))
    Product rule: d/dx(x^2 sin(x)) = d/dx(x^2) sin(x) + x^2 d/dx(sin(x))   (work out the derivatives left open)
    >>> print(dfdx.hint("sin(x^2)", given="cos(x^2) d/dx(x^2)", level=3))
    next line: 2x cos(x^2)
    """
    check_lang(lang)
    if isinstance(level, bool) or level not in (1, 2, 3):
        raise DfdxError(f"level must be 1, 2 or 3, got {level!r}")
    e = as_expression(expr, name="expr")
    sym = _wrt_symbol(e, wrt)
    e.require_derivative([sym.name])
    real, back = real_symbols(e.sympy)
    forward = {v: k for k, v in back.items()}
    x = next((r for r in back if r.name == sym.name), sympy.Symbol(sym.name, real=True))
    given_correct = None
    prefix = ""
    if given is None:
        target_tree = replace_written(e.written, forward)
        line_before = None
    else:
        if isinstance(given, str) and _split_components(given) is not None:
            raise DfdxError("given has comma-separated parts; give one line")
        g = parse(given) if isinstance(given, str) else as_expression(given)
        extra = sorted(set(g.variables) - set(e.variables) - {sym.name})
        if extra:
            raise DfdxError(
                f"given uses {', '.join(extra)}, not a variable of {e.shown_text}"
            )
        for s in g.typed.free_symbols | g.sympy.free_symbols:
            forward.setdefault(s, sympy.Symbol(s.name, real=True))
        back = {v: k for k, v in forward.items()}
        verdict = compare_forms(g.sympy.xreplace(forward), real_diff(real, x))[0]
        given_correct = _decided(verdict)
        if given_correct is False:
            return Hint(
                None, level, _w("wrong_given", lang), given_correct=False, lang=lang
            )
        if given_correct is None:
            prefix = _w("undecided_given", lang) + "\n"
        line_before = replace_written(g.typed, forward)
        opened = [
            n
            for n in sympy.preorder_traversal(line_before)
            if isinstance(n, sympy.Derivative)
        ]
        if not opened:
            if level < 3:
                return Hint(
                    None,
                    level,
                    prefix + _w("done", lang),
                    given_correct=True,
                    lang=lang,
                )
            from dfdx.exact.simplify import tidy

            neat = tidy(g.sympy)
            text = _w("simplified", lang, line=textbook(neat))
            return Hint(
                None,
                level,
                prefix + text,
                line=Expression(neat),
                given_correct=given_correct,
                lang=lang,
            )
        target_tree = opened[0].expr
        x = opened[0].variables[0]

    rule, parts, applied = _split(target_tree, x)
    target = Expression(
        settle_derivatives(replace_written(target_tree, back), evaluate=True)
    )
    if level == 1:
        text = _words(
            rule, replace_written(target_tree, back), x, _back(parts, back), lang
        )
        return Hint(rule, 1, prefix + text, target, None, given_correct, lang)
    title = _rule_title(rule, lang)
    if applied is None:  # a rule with no inner part: its formula is the step
        t = sympy.Symbol("t")
        if level == 2:
            if rule == "power":
                formula = f"d/d{t} t^n = n t^(n - 1), n = {textbook(target_tree.exp)}"
            elif rule == "exponential":
                formula = f"d/d{t} a^t = a^t ln(a), a = {textbook(target_tree.base)}"
            else:  # a function of the variable itself: its table entry
                general = textbook(target_tree.xreplace({x: t}))
                formula = f"d/d{t} {general}: look it up in the table"
            text = _w("level2_closed", lang, rule=title, formula=formula)
            return Hint(rule, 2, prefix + text, target, None, given_correct, lang)
        applied = real_diff(target_tree, x)
    lhs = f"d/d{x.name}({textbook(replace_written(target_tree, back), order='none')})"
    if level == 2:
        line = _as_line(applied, back)
        if applied.has(sympy.Derivative):
            text = _w("level2", lang, rule=title, lhs=lhs, line=_line_text(line))
        else:  # d/dx(5) = 0, d/dx(x) = 1: the rule is the whole step
            formula = f"{lhs} = {_line_text(line)}"
            text = _w("level2_closed", lang, rule=title, formula=formula)
        return Hint(rule, 2, prefix + text, target, line, given_correct, lang)
    step = settle_derivatives(applied, evaluate=True)
    if line_before is not None:  # the learner's line with that derivative done
        step = replace_written(line_before, {opened[0]: step})
    line = _as_line(step, back)
    text = _w("level3", lang, line=_line_text(line))
    return Hint(rule, 3, prefix + text, target, line, given_correct, lang)


def _back(parts: dict, back: dict) -> dict:
    return {k: replace_written(v, back) for k, v in parts.items()}
