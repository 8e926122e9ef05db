"""The derivative as a limit: differentiability at a point, and derivatives
worked from the definition f′(x) = lim_{h→0} (f(x + h) − f(x))/h.

The chapter (d2l §2.4): 若 f′(a) 存在，则称 f 在 a 处可微 (if f′(a) exists, f is
differentiable at a). The 1.0 edition asks to prove the rules for c, xⁿ, eˣ and
ln x, and the sum, product and quotient rules, from this definition, and to find
the derivative of an inverse function.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import sympy

from dfdx.core._bounded import bounded
from dfdx.core._checks import finite_number
from dfdx.core._timelimit import time_limit as _time_limit
from dfdx.core.i18n import check_lang, localise
from dfdx.errors import DfdxError
from dfdx.exact.simplify import reduces_to_zero, same_value, tidy
from dfdx.exact.symbolic import (
    _STEPS,
    _equal_numbers,
    _finite_number,
    _num,
    _one_sided,
    _side_limit,
    _wrt_symbol,
    real_symbols,
)
from dfdx.text.expr import as_expression
from dfdx.text.functions import real_diff
from dfdx.text.textbook import for_people, textbook

__all__ = ["differentiable", "Differentiability", "from_definition", "Derivation"]

_T = {
    "yes": {
        "en": "The left and right derivatives are both {l}, so f′({a}) = {l} exists "
        "and f is differentiable at {x} = {a}.",
        "zh": "左导数和右导数都等于 {l}，所以 f′({a}) = {l} 存在，f 在 {x} = {a} 处可微。",
    },
    "undefined": {
        "en": "f is not defined at {x} = {a}, so it is not differentiable there.",
        "zh": "f 在 {x} = {a} 处没有定义，所以在那里不可微。",
    },
    "isolated": {
        "en": "f is defined at {x} = {a} (f({a}) = {v}) but at no point beside it, "
        "so no difference quotient can approach {x} = {a} and f is not "
        "differentiable there.",
        "zh": "f 在 {x} = {a} 处有定义（f({a}) = {v}），但在它附近的任何点都没有定义，"
        "没有差商能趋近 {x} = {a}，所以 f 在那里不可微。",
    },
    "removable": {
        "en": "f is not defined at {x} = {a} (a removable singularity: f(x) → {l} as "
        "{x} → {a}, so defining f({a}) = {l} would fill the hole), so it is not "
        "differentiable there.",
        "zh": "f 在 {x} = {a} 处没有定义（可去间断点：{x} → {a} 时 f(x) → {l}，"
        "补充定义 f({a}) = {l} 即可填上这个洞），所以在那里不可微。",
    },
    "undefined_jump": {
        "en": "f is not defined at {x} = {a} and jumps there (limit {l} from the left, "
        "{r} from the right), so it is not differentiable there.",
        "zh": "f 在 {x} = {a} 处没有定义，并且在那里跳跃（左极限 {l}，右极限 {r}），"
        "所以在那里不可微。",
    },
    "jump": {
        "en": "f is not continuous at {x} = {a} (f({a}) = {v}, limit {l} from the left, "
        "{r} from the right: a jump), so f′({a}) does not exist and f is not "
        "differentiable at {x} = {a}.",
        "zh": "f 在 {x} = {a} 处不连续（f({a}) = {v}，左极限 {l}，右极限 {r}：跳跃间断），"
        "所以 f′({a}) 不存在，f 在 {x} = {a} 处不可微。",
    },
    "corner": {
        "en": "The left derivative {l} and the right derivative {r} differ (a corner), "
        "so f′({a}) does not exist and f is not differentiable at {x} = {a}.",
        "zh": "左导数 {l} 与右导数 {r} 不相等（角点），所以 f′({a}) 不存在，"
        "f 在 {x} = {a} 处不可微。",
    },
    "cusp": {
        "en": "The left derivative is {l} and the right derivative is {r} (a cusp), "
        "so f′({a}) does not exist and f is not differentiable at {x} = {a}.",
        "zh": "左导数为 {l}，右导数为 {r}（尖点），所以 f′({a}) 不存在，"
        "f 在 {x} = {a} 处不可微。",
    },
    "vertical": {
        "en": "The difference quotient tends to {r} from both sides (a vertical "
        "tangent), so f′({a}) does not exist and f is not differentiable at "
        "{x} = {a}.",
        "zh": "差商从两侧都趋于 {r}（竖直切线），所以 f′({a}) 不存在，"
        "f 在 {x} = {a} 处不可微。",
    },
    "infinite": {
        "en": "The difference quotient does not have a finite limit (left derivative "
        "{l}, right derivative {r}), so f′({a}) does not exist and f is not "
        "differentiable at {x} = {a}.",
        "zh": "差商没有有限的极限（左导数 {l}，右导数 {r}），所以 f′({a}) 不存在，"
        "f 在 {x} = {a} 处不可微。",
    },
    "oscillates": {
        "en": "The difference quotient has no limit as h → 0 (it oscillates; left "
        "derivative {l}, right derivative {r}), so f′({a}) does not exist and f is "
        "not differentiable at {x} = {a}.",
        "zh": "h → 0 时差商没有极限（它来回振荡；左导数 {l}，右导数 {r}），"
        "所以 f′({a}) 不存在，f 在 {x} = {a} 处不可微。",
    },
    "endpoint": {
        "en": "f is defined only to the {side} of {x} = {a} (it is not real on the "
        "other side), so only the {side} derivative can exist (it is {d}{vt}); "
        "the two-sided f′({a}) does not exist and f is not differentiable at "
        "{x} = {a}.",
        "zh": "f 只在 {x} = {a} 的{side}侧有定义（另一侧取值不是实数），所以只可能有"
        "{side}导数（它等于 {d}{vt}）；双侧的 f′({a}) 不存在，f 在 {x} = {a} 处不可微。",
    },
    "vt": {"en": ", a vertical tangent", "zh": "，竖直切线"},
    "left": {"en": "left", "zh": "左"},
    "right": {"en": "right", "zh": "右"},
    "+inf": {"en": "+∞", "zh": "+∞"},
    "-inf": {"en": "−∞", "zh": "−∞"},
    "none": {"en": "no limit", "zh": "不存在"},
    "chapter": {
        "en": "If f′(a) exists, f is said to be differentiable at a.",
        "zh": "若 f′(a) 存在，则称 f 在 a 处可微。",
    },
    # from_definition
    "def": {"en": "definition of the derivative", "zh": "导数的定义"},
    "sub": {"en": "substitute f", "zh": "代入 f"},
    "simplify": {
        "en": "simplify the difference quotient",
        "zh": "化简差商",
    },
    "binomial": {
        "en": "binomial expansion: (x + h)ⁿ = xⁿ + n·xⁿ⁻¹·h + O(h²)",
        "zh": "二项式展开：(x + h)ⁿ = xⁿ + n·xⁿ⁻¹·h + O(h²)",
    },
    "exp_limit": {
        "en": "factor out eˣ and use lim_{{h→0}} (eʰ − 1)/h = 1",
        "zh": "提出 eˣ，并利用 lim_{{h→0}} (eʰ − 1)/h = 1",
    },
    "exponential_limit": {
        "en": "factor out aˣ (a = {a}) and use lim_{{h→0}} (aʰ − 1)/h = ln a",
        "zh": "提出 aˣ（a = {a}），并利用 lim_{{h→0}} (aʰ − 1)/h = ln a",
    },
    "log_limit": {
        "en": "ln(x + h) − ln x = ln(1 + h/x), and lim_{{t→0}} ln(1 + t)/t = 1 "
        "with t = h/x",
        "zh": "ln(x + h) − ln x = ln(1 + h/x)，令 t = h/x，"
        "利用 lim_{{t→0}} ln(1 + t)/t = 1",
    },
    "let_h_0": {
        "en": "let h → 0 (the quotient is continuous at h = 0)",
        "zh": "令 h → 0（差商在 h = 0 处连续）",
    },
    "limit": {"en": "take the limit h → 0", "zh": "求 h → 0 的极限"},
    "check": {
        "en": "this agrees with dfdx.diff",
        "zh": "与 dfdx.diff 的结果一致",
    },
    "title": {
        "en": "The derivative of {f} from the definition",
        "zh": "用定义求 {f} 的导数",
    },
}


_t = functools.partial(localise, _T)


# ---------------------------------------------------------------------------
# differentiable
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Differentiability:
    """Whether f′(a) exists, with both one-sided derivatives.

    Attributes
    ----------
    expr : str
        The function.
    wrt : str
        The variable.
    at : float
        The point a.
    value : sympy.Expr or None
        f(a), or None where f is undefined.
    left, right : sympy.Expr or None
        The left and right derivatives (limits of the difference quotient from
        each side; ``oo`` for a vertical tangent, None where undefined).
    exists : bool
        Whether f′(a) exists (f is differentiable at a).
    derivative : sympy.Expr or None
        f′(a) when it exists.
    reason : str
        Why, in one sentence.
    kind : str
        ``'yes'`` (differentiable), ``'corner'``, ``'cusp'``, ``'vertical'``
        (vertical tangent), ``'jump'``, ``'undefined'``, ``'removable'``,
        ``'undefined_jump'``, ``'endpoint'`` (f is real on one side only),
        ``'isolated'`` (f is defined at a but on neither side of it),
        ``'oscillates'`` or ``'infinite'``.
    """

    expr: str
    wrt: str
    at: float
    value: object
    left: object
    right: object
    exists: bool
    derivative: object
    reason: str
    kind: str = ""

    def __bool__(self) -> bool:
        return self.exists

    def __str__(self) -> str:
        return self.reason


@bounded("decide differentiability")
def differentiable(
    expr, at, wrt: str | None = None, *, lang: str = "en"
) -> Differentiability:
    """Is f differentiable at a? Compare the one-sided derivatives.

    Parameters
    ----------
    expr : str, Expression or sympy.Expr
        The function f.
    at : float
        The point a.
    wrt : str, optional
        The variable, when f has several.
    lang : {'en', 'zh'}, optional
        Language of :attr:`Differentiability.reason`.

    Returns
    -------
    Differentiability
        Truthy when f′(a) exists.

    Examples
    --------
    >>> import dfdx
    >>> r = dfdx.differentiable("abs(x)", at=0)
    >>> r.exists, r.left, r.right
    (False, -1, 1)
    >>> print(r)
    The left derivative -1 and the right derivative 1 differ (a corner), so f′(0) does not exist and f is not differentiable at x = 0.
    >>> print(dfdx.differentiable("3x^2 - 4x", at=1, lang="zh"))
    左导数和右导数都等于 2，所以 f′(1) = 2 存在，f 在 x = 1 处可微。
    >>> bool(dfdx.differentiable("relu(x)", at=1))
    True
    """
    check_lang(lang)
    e = as_expression(expr, name="expr")
    sym = _wrt_symbol(e, wrt)
    a, a_exact = _point(at)
    real, back = real_symbols(e.sympy)
    x = next((r for r in back if r.name == sym.name), sym)
    with _time_limit(
        _TIME_LIMIT, f"decide whether {e} is differentiable at {_fmt_point(a, a_exact)}"
    ):
        return _differentiable(e, real, x, sym.name, a, a_exact, lang)


def _differentiable(e, real, x, name, a, a_exact, lang) -> Differentiability:
    value = real.subs(x, a_exact)
    domain = e.domain
    if domain.contains({name: a_exact}) is False:
        # the typed f is undefined at a, whatever SymPy's form (x/x is 1)
        value = sympy.nan
    kw = {"x": name, "a": _fmt_point(a, a_exact)}

    def result(value, left, right, exists, key, **more):
        return Differentiability(
            str(e),
            name,
            a,
            value,
            left,
            right,
            exists,
            right if exists else None,
            _t(key, lang, **kw, **more),
            key,
        )

    # which sides of a lie in the domain (f real and finite just beside a)
    sides = {
        s: _side_in_domain(real, x, a_exact, s) and domain.near(name, a_exact, s)
        for s in (-1, 1)
    }
    f_value = _finite_number(value)
    if f_value is None:
        if not all(sides.values()):
            return result(None, None, None, False, "undefined")
        lim_l = _side_limit(real, x, a_exact, -1)
        lim_r = _side_limit(real, x, a_exact, 1)
        fl, fr = _finite_number(lim_l), _finite_number(lim_r)
        if fl is not None and fr is not None:
            if _equal_numbers(lim_l, lim_r):
                return result(None, None, None, False, "removable", l=_fmt(lim_r))
            return result(
                None,
                None,
                None,
                False,
                "undefined_jump",
                l=_fmt(lim_l),
                r=_fmt(lim_r),
            )
        return result(None, None, None, False, "undefined")
    # continuity first: a jump rules out a derivative
    limits = {s: _side_limit(real, x, a_exact, s) for s in (-1, 1) if sides[s]}
    for lim in limits.values():
        f_lim = _finite_number(lim)
        if f_lim is not None and not _equal_numbers(lim, value):
            return result(
                value,
                None,
                None,
                False,
                "jump",
                v=_fmt(value),
                l=_fmt_value(limits.get(-1), lang),
                r=_fmt_value(limits.get(1), lang),
            )
    ders = {s: _one_sided(real, x, a_exact, value, s) for s in (-1, 1) if sides[s]}
    left, right = ders.get(-1), ders.get(1)
    kw.update(l=_fmt_value(left, lang), r=_fmt_value(right, lang))
    if not (sides[-1] and sides[1]):
        s = 1 if sides[1] else -1
        d = ders.get(s)
        if d is None:  # defined at a only: an isolated point
            return result(value, left, right, False, "isolated", v=_fmt(value))
        vt = _t("vt", lang) if d in (sympy.oo, -sympy.oo) else ""
        side = _t("right" if s == 1 else "left", lang)
        return result(
            value,
            left,
            right,
            False,
            "endpoint",
            side=side,
            d=_fmt_value(d, lang),
            vt=vt,
        )
    # both sides lie in the domain from here on: both one-sided derivatives exist
    left, right = ders[-1], ders[1]
    lf, rf = _finite_number(left), _finite_number(right)
    if lf is not None and rf is not None:
        if _equal_numbers(left, right):
            return result(value, left, right, True, "yes")
        return result(value, left, right, False, "corner")
    infinite = (sympy.oo, -sympy.oo)
    if left in infinite and right in infinite:
        key = "vertical" if left == right else "cusp"
        return result(value, left, right, False, key)
    if left is sympy.nan or right is sympy.nan:
        return result(value, left, right, False, "oscillates")
    return result(value, left, right, False, "infinite")


# -- numbers near a: sampled at high precision, checked against SymPy ---------

_TIME_LIMIT = 5.0


def _side_in_domain(real, x, a, side: int) -> bool:
    return any(_num(real.subs(x, a + side * t)) is not None for t in _STEPS[:3])


def _point(at):
    """`at` as (float, exact SymPy number); floats that are exactly a multiple
    of pi or e (``math.pi / 2``) are read as such, text such as ``"pi/2"``
    is parsed safely."""
    if isinstance(at, str):
        try:
            exact = as_expression(at, name="at").sympy
        except DfdxError:
            exact = None
        if exact is None or exact.free_symbols or _finite_number(exact) is None:
            raise DfdxError(f"at must be a number, got {at!r}")
        return float(_finite_number(exact)), exact
    if isinstance(at, sympy.Basic) and at.is_number:
        f = _finite_number(at)
        if f is None:
            raise DfdxError(f"at must be a finite real number, got {at!r}")
        return f, at
    a = finite_number(at, "at")
    if isinstance(at, (int, np.integer)):
        return a, sympy.Integer(int(at))
    guess = sympy.nsimplify(a, [sympy.pi, sympy.E])
    if guess.has(sympy.pi, sympy.E) and float(guess) == a:
        return a, guess
    return a, sympy.Rational(repr(a))


def _fmt_point(a: float, exact) -> str:
    """The point as the user would write it: ``pi/2``, ``0.1``, ``1e-12``."""
    if exact.is_Rational and not exact.is_Integer:
        return repr(a)
    return _fmt(exact)


def _fmt_value(v, lang: str) -> str:
    if v is None:
        return _t("none", lang)
    if v == sympy.oo:
        return _t("+inf", lang)
    if v == -sympy.oo:
        return _t("-inf", lang)
    if v is sympy.nan or _finite_number(v) is None:
        return _t("none", lang)
    return _fmt(v)


def _fmt(v) -> str:
    v = sympy.sympify(v)
    return str(v)


# ---------------------------------------------------------------------------
# from_definition
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Derivation:
    """A derivative worked from the limit definition, line by line.

    Attributes
    ----------
    name : str
        What is differentiated (an expression, or a rule such as ``'product'``).
    lines : tuple of (str, str)
        ``(why, formula)`` pairs in plain text; each formula continues the chain
        of equalities.
    result : str
        The derivative, as text.
    lang : str
        ``'en'`` or ``'zh'``.
    """

    name: str
    lines: tuple[tuple[str, str], ...]
    result: str
    lang: str = "en"

    def to_text(self) -> str:
        """Plain text: the formula chain with each step's reason."""
        title = _t("title", self.lang, f=self.name)
        width = max(len(f) for _, f in self.lines)
        body = [f"  {f.ljust(width)}   [{why}]" for why, f in self.lines]
        return "\n".join([title, *body])

    def to_markdown(self) -> str:
        """Markdown: a numbered list of the lines."""
        title = _t("title", self.lang, f=f"`{self.name}`")
        body = [f"{i}. `{f}` — {why}" for i, (why, f) in enumerate(self.lines, 1)]
        return "\n".join([f"**{title}**", "", *body])

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        import html

        rows = "".join(
            f"<tr><td><code>{html.escape(f)}</code></td><td>{html.escape(w)}</td></tr>"
            for w, f in self.lines
        )
        title = html.escape(_t("title", self.lang, f=self.name))
        return f"<p><strong>{title}</strong></p><table>{rows}</table>"


def _s(e) -> str:
    """`e` in textbook notation (a derivation is read by people)."""
    return textbook(e)


def _p(e) -> str:
    """`e` as text, in parentheses when it is a sum or negative."""
    text = _s(e)
    return f"({text})" if e.is_Add or text.startswith("-") else text


# generic proofs: name -> (title, [(reason en, reason zh, formula)], result)
_GENERIC = {
    "sum": (
        "f(x) + g(x)",
        [
            (
                "definition of the derivative",
                "导数的定义",
                "(f + g)′(x) = lim_{h→0} [f(x+h) + g(x+h) − f(x) − g(x)]/h",
            ),
            (
                "regroup the terms",
                "重新组合各项",
                "= lim_{h→0} ([f(x+h) − f(x)]/h + [g(x+h) − g(x)]/h)",
            ),
            (
                "the limit of a sum is the sum of the limits",
                "和的极限等于极限的和",
                "= lim_{h→0} [f(x+h) − f(x)]/h + lim_{h→0} [g(x+h) − g(x)]/h",
            ),
            (
                "each limit is a derivative (definition)",
                "每个极限都是导数（定义）",
                "= f′(x) + g′(x)",
            ),
        ],
        "f′(x) + g′(x)",
    ),
    "product": (
        "f(x)·g(x)",
        [
            (
                "definition of the derivative",
                "导数的定义",
                "(f·g)′(x) = lim_{h→0} [f(x+h)·g(x+h) − f(x)·g(x)]/h",
            ),
            (
                "add and subtract f(x)·g(x+h)",
                "加上再减去 f(x)·g(x+h)",
                "= lim_{h→0} [f(x+h)·g(x+h) − f(x)·g(x+h) + f(x)·g(x+h) − f(x)·g(x)]/h",
            ),
            (
                "regroup",
                "重新组合",
                "= lim_{h→0} ([f(x+h) − f(x)]/h · g(x+h) + f(x) · [g(x+h) − g(x)]/h)",
            ),
            (
                "limits of the difference quotients are f′(x) and g′(x); "
                "g is differentiable, hence continuous, so g(x+h) → g(x)",
                "差商的极限分别是 f′(x) 和 g′(x)；g 可微因而连续，所以 g(x+h) → g(x)",
                "= f′(x)·g(x) + f(x)·g′(x)",
            ),
        ],
        "f′(x)·g(x) + f(x)·g′(x)",
    ),
    "quotient": (
        "f(x)/g(x)",
        [
            (
                "definition of the derivative (g(x) ≠ 0)",
                "导数的定义（g(x) ≠ 0）",
                "(f/g)′(x) = lim_{h→0} [f(x+h)/g(x+h) − f(x)/g(x)]/h",
            ),
            (
                "common denominator",
                "通分",
                "= lim_{h→0} [f(x+h)·g(x) − f(x)·g(x+h)] / (h·g(x+h)·g(x))",
            ),
            (
                "add and subtract f(x)·g(x)",
                "加上再减去 f(x)·g(x)",
                "= lim_{h→0} ([f(x+h) − f(x)]/h · g(x) − f(x) · [g(x+h) − g(x)]/h)"
                " / (g(x+h)·g(x))",
            ),
            (
                "take the limits; g(x+h) → g(x) because g is continuous",
                "求极限；g 连续，所以 g(x+h) → g(x)",
                "= (f′(x)·g(x) − f(x)·g′(x)) / g(x)²",
            ),
        ],
        "(f′(x)·g(x) − f(x)·g′(x)) / g(x)²",
    ),
    "constant_multiple": (
        "c·f(x)",
        [
            (
                "product rule with g(x) = c",
                "在乘法法则中取 g(x) = c",
                "(c·f)′(x) = c′·f(x) + c·f′(x)",
            ),
            (
                "the derivative of a constant is 0 (from the definition: (c − c)/h = 0)",
                "常数的导数为 0（由定义：(c − c)/h = 0）",
                "= 0·f(x) + c·f′(x)",
            ),
            (
                "so the constant multiple rule is a special case of the product rule",
                "所以常数倍法则是乘法法则的特例",
                "= c·f′(x)",
            ),
        ],
        "c·f′(x)",
    ),
    "inverse": (
        "f⁻¹(y)",
        [
            ("f⁻¹ undoes f", "f⁻¹ 是 f 的反函数", "f⁻¹(f(x)) = x"),
            (
                "differentiate both sides with the chain rule",
                "两边用链式法则求导",
                "(f⁻¹)′(f(x)) · f′(x) = 1",
            ),
            (
                "divide by f′(x), which must not be 0",
                "两边除以 f′(x)（要求 f′(x) ≠ 0）",
                "(f⁻¹)′(f(x)) = 1 / f′(x)",
            ),
            (
                "write y = f(x), so x = f⁻¹(y)",
                "记 y = f(x)，则 x = f⁻¹(y)",
                "(f⁻¹)′(y) = 1 / f′(f⁻¹(y))",
            ),
            (
                "example: f(x) = eˣ, f⁻¹(y) = ln y",
                "例：f(x) = eˣ，f⁻¹(y) = ln y",
                "(ln y)′ = 1 / e^(ln y) = 1/y",
            ),
        ],
        "1 / f′(f⁻¹(y))",
    ),
}
_ALIASES = {
    "f(x)+g(x)": "sum",
    "f(x)*g(x)": "product",
    "f(x)g(x)": "product",
    "f(x)/g(x)": "quotient",
    "c*f(x)": "constant_multiple",
    "cf(x)": "constant_multiple",
    "inverse_function": "inverse",
}

#: The generic rules :func:`from_definition` proves, by name.
GENERIC_RULES = tuple(_GENERIC)


@bounded("derive from the definition")
def from_definition(expr, wrt: str | None = None, *, lang: str = "en") -> Derivation:
    """Work out a derivative from the limit of the difference quotient.

    Parameters
    ----------
    expr : str, Expression or sympy.Expr
        A function such as ``"x^3"``, ``"x^n"`` (with ``wrt='x'``), ``"exp(x)"``,
        ``"log(x)"``, ``"7"``; or one of the generic rules ``'sum'``,
        ``'product'``, ``'quotient'``, ``'constant_multiple'``, ``'inverse'``
        (also written ``"f(x)*g(x)"``, ``"f(x)+g(x)"``, ``"f(x)/g(x)"``,
        ``"c*f(x)"``).
    wrt : str, optional
        The variable, when the expression has several.
    lang : {'en', 'zh'}, optional
        Language of the reasons.

    Returns
    -------
    Derivation

    Examples
    --------
    >>> import dfdx
    >>> print(dfdx.from_definition("x^2"))
    The derivative of x^2 from the definition
      f′(x) = lim_{h→0} ((h + x)^2 - x^2)/h   [definition of the derivative]
      = lim_{h→0} (h + 2x)                    [simplify the difference quotient]
      = 2x                                    [let h → 0 (the quotient is continuous at h = 0)]
    >>> dfdx.from_definition("product").result
    'f′(x)·g(x) + f(x)·g′(x)'
    """
    check_lang(lang)
    if isinstance(expr, str):
        key = expr.replace(" ", "")
        key = _ALIASES.get(key, key)
        if key in _GENERIC:
            name, rows, result = _GENERIC[key]
            lines = tuple((en if lang == "en" else zh, f) for en, zh, f in rows)
            return Derivation(name, lines, result, lang)
    e = as_expression(expr, name="expr")
    sym = _wrt_symbol(e, wrt)
    e.require_derivative([sym.name])
    with _time_limit(
        _TIME_LIMIT, f"work out the derivative of {e} from the definition"
    ):
        try:
            return _from_definition(e, sym, lang)
        except (NotImplementedError, ValueError, TypeError, AttributeError):
            raise DfdxError(
                f"cannot work out the derivative of {for_people(e)} from the definition: "
                "SymPy cannot take this limit"
            ) from None


def _from_definition(e, sym, lang) -> Derivation:
    real, back = real_symbols(e.sympy)
    x = next((r for r in back if r.name == sym.name), sympy.Symbol(sym.name, real=True))
    h = sympy.Symbol("h", real=True)
    lim = "lim_{h→0} "
    fxh = real.subs(x, x + h)
    quotient = (fxh - real) / h
    lines = [(_t("def", lang), f"f′({x}) = {lim}({_s(fxh)} - {_p(real)})/h")]
    exact = real_diff(real, x)
    if not real.has(x):
        simple = tidy(quotient)
        lines.append((_t("simplify", lang), f"= {lim}{_s(simple)}"))
        result = sympy.S.Zero
        lines.append((_t("limit", lang), "= 0"))
    elif isinstance(real, sympy.exp) and real.args[0] == x:
        lines.append((_t("exp_limit", lang), f"= {_s(real)} · {lim}(e^h - 1)/h"))
        result = real
        lines.append((_t("limit", lang), f"= {_s(real)}"))
    elif real.is_Pow and real.exp == x and not real.base.has(x):
        a = real.base
        lines.append(
            (
                _t("exponential_limit", lang, a=_s(a)),
                f"= {_s(real)} · {lim}({_s(a**h)} - 1)/h",
            )
        )
        result = real * sympy.log(a)
        lines.append((_t("limit", lang), f"= {_s(result)}"))
    elif isinstance(real, sympy.log) and real.args[0] == x:
        lines.append((_t("log_limit", lang), f"= {lim}ln(1 + h/{x})/h"))
        result = 1 / x
        lines.append((_t("limit", lang), f"= {_s(result)}"))
    elif real.is_Pow and real.base == x and not real.exp.has(x) and real.exp.is_Symbol:
        n = real.exp
        lines.append((_t("binomial", lang), f"= {lim}({_s(n * x ** (n - 1))} + O(h))"))
        result = n * x ** (n - 1)
        lines.append((_t("limit", lang), f"= {_s(result)}"))
    else:
        simple = (
            sympy.cancel(sympy.expand(quotient))
            if real.is_polynomial(x)
            else tidy(quotient)
        )
        at0 = simple.subs(h, 0)
        if (
            _finite_number(at0.subs(x, sympy.Rational(7, 5))) is not None
            and not simple.has(sympy.zoo)
            and reduces_to_zero(at0 - exact)
        ):
            lines.append((_t("simplify", lang), f"= {lim}({_s(simple)})"))
            result = tidy(at0)
            lines.append((_t("let_h_0", lang), f"= {_s(result)}"))
        else:
            result = sympy.limit(quotient, h, 0)
            if not reduces_to_zero(result - exact):
                # a^x and x^x: SymPy's limit does better with exp(x*log(a))
                result = sympy.limit(quotient.rewrite(sympy.exp), h, 0)
            lines.append((_t("limit", lang), f"= {_s(result)}"))
    if result.has(sympy.oo, sympy.zoo, sympy.nan) or same_value(result, exact) not in (
        "symbolic",
        "numeric",
    ):
        raise DfdxError(
            f"cannot work out the derivative of {for_people(e)} from the definition: SymPy's "
            f"limit of the difference quotient gives {_s(result)}, not a derivative"
        )
    result = result.xreplace(back)
    lines = [(w, f.replace(str(h) + " ", "h ")) for w, f in lines]
    return Derivation(textbook(e.sympy), tuple(lines), _s(result), lang)


__all__ += ["GENERIC_RULES"]
