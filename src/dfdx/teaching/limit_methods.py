"""The textbook methods that explain a limit, step by step.

:func:`explain_limit` explains a value that :func:`dfdx.limit` has already
found (and checked against 50-digit samples): it never decides the value.
It reads the form of the function and takes the method a course takes:

* direct substitution where f is continuous; the laws of sums, products
  and quotients of limits; a continuous outer function, or the known limits
  of e^u, ln u, arctan u, ... at the ends of their domain;
* 0/0: cancelling a common factor, the standard limits (sin u/u → 1,
  (1 − cos u)/u² → 1/2, (e^u − 1)/u → 1, ln(1 + u)/u → 1, ...) with their
  constants pulled out, the conjugate of a square root, L'Hôpital's rule;
* ∞/∞: the leading terms at ±∞, the dominant term, L'Hôpital's rule;
* 0·∞ rewritten as a quotient; ∞ − ∞ over a common denominator, by the
  conjugate, or by its dominant term;
* 1^∞, 0^0 and ∞^0 as exp(lim g·ln f), and the standard limit
  (1 + u)^(1/u) → e, so (1 + a/x)^x → e^a;
* the squeeze theorem for a bounded factor times one that vanishes.

Every intermediate limit a step states is SymPy's limit of that part, and a
method is used only where its conclusion is the value found. Where no
method applies, the step says that SymPy's limit algorithm gave the value.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy

from dfdx.core._timelimit import get_time_limit, time_limit
from dfdx.core.i18n import localise
from dfdx.errors import DfdxError
from dfdx.exact.simplify import tidy
from dfdx.text.functions import real_form, sigmoid
from dfdx.text.textbook import textbook

__all__ = ["LimitStep", "explain_limit", "show_value"]


@dataclass(frozen=True)
class LimitStep:
    """One step: a stable rule id, its sentence, and its level (0 for the
    main line; 1 and deeper for the limit of a part, worked out inside the
    step above it)."""

    rule: str
    text: str
    level: int = 0


_TEXT = {
    "substitute": (
        "direct substitution: f is continuous at {a}, so the limit is f({a}) = {v}",
        "直接代入：f 在 {a} 处连续，所以极限等于 f({a}) = {v}",
    ),
    "substitute_new": (
        "direct substitution: this form is continuous at {a}, so its limit is "
        "its value there, {v}",
        "直接代入：这个形式在 {a} 处连续，所以它的极限等于它在该点的值 {v}",
    ),
    "substitute_part": (
        "{g} is continuous at {a}: its limit is its value there, {v}",
        "{g} 在 {a} 处连续：它的极限等于它在该点的值 {v}",
    ),
    "cancel": (
        "cancel the common factor: for x ≠ {a}, f(x) = {g}, which is continuous "
        "at {a}: the limit is {v}",
        "约去公因式：当 x ≠ {a} 时 f(x) = {g}，它在 {a} 处连续，所以极限为 {v}",
    ),
    "cancel_part": (
        "cancel the common factor: for x ≠ {a}, {f} = {g}, which tends to {v}",
        "约去公因式：当 x ≠ {a} 时 {f} = {g}，它趋于 {v}",
    ),
    "form": (
        "substituting gives the indeterminate form {form}",
        "直接代入得到未定式 {form}",
    ),
    "form_of": (
        "{f} has the indeterminate form {form}",
        "{f} 是 {form} 型未定式",
    ),
    "standard": (
        "standard limit: {pattern} → {L} as u → 0 (here u = {u} → 0)",
        "重要极限：u → 0 时 {pattern} → {L}（这里 u = {u} → 0）",
    ),
    "standard_factor": (
        "pull out the rest: f = ({pattern})·{r}, where {g} → {c}; so the limit "
        "is {L}·{c} = {v}",
        "提出其余因子：f = ({pattern})·{r}，其中 {g} → {c}；所以极限为 {L}·{c} = {v}",
    ),
    "standard_constant": (
        "pull out the constant: f = {r}·({pattern}); so the limit is {r}·{L} = {v}",
        "提出常数：f = {r}·({pattern})；所以极限为 {r}·{L} = {v}",
    ),
    "standard_over": (
        "pull out the rest: f = {r}/({pattern}), where {g} → {c}; so the limit "
        "is {c}/{L} = {v}",
        "提出其余因子：f = {r}/({pattern})，其中 {g} → {c}；所以极限为 {c}/{L} = {v}",
    ),
    "conjugate": (
        "multiply above and below by the conjugate {c}: f = {g}",
        "分子分母同乘共轭式 {c}：f = {g}",
    ),
    "common_denominator": (
        "write it over a common denominator: f = {g}",
        "通分：f = {g}",
    ),
    "lhopital": (
        "L'Hôpital's rule ({form}): lim f/g = lim f′/g′ = lim {q}",
        "洛必达法则（{form} 型）：lim f/g = lim f′/g′ = lim {q}",
    ),
    "leading": (
        "at {a} the leading terms decide: f behaves like {g}, which tends to {v}",
        "在 {a} 处由最高次项决定：f 的表现如同 {g}，它趋于 {v}",
    ),
    "divide_power": (
        "divide above and below by {p}: f = {g}",
        "分子分母同除以 {p}：f = {g}",
    ),
    "dominant": (
        "at {a} the term {t} dominates (each other term divided by it tends to "
        "0), so f behaves like {t}, which tends to {v}",
        "在 {a} 处 {t} 占主导（其余各项除以它都趋于 0），所以 f 的表现如同 {t}，它趋于 {v}",
    ),
    "zero_times_inf": (
        "0·∞: write the product as a quotient, f = {q}",
        "0·∞ 型：把乘积写成商，f = {q}",
    ),
    "exp_log": (
        "{form}: write f = e^(g), with g = {g}",
        "{form} 型：写成 f = e^(g)，其中 g = {g}",
    ),
    "exp_log_result": (
        "g → {L}, and e^u is continuous, so the limit is {eL} = {v}",
        "g → {L}，且 e^u 连续，所以极限为 {eL} = {v}",
    ),
    "e_standard_plain": (
        "standard limit: (1 + u)^(1/u) → e as u → 0 (1^∞); here f = "
        "(1 + u)^(1/u) with u = {u} → 0, so the limit is e",
        "重要极限：u → 0 时 (1 + u)^(1/u) → e（1^∞ 型）；这里 f = (1 + u)^(1/u)，"
        "u = {u} → 0，所以极限为 e",
    ),
    "e_standard_power": (
        "standard limit: (1 + u)^(1/u) → e as u → 0 (1^∞); here f = "
        "((1 + u)^(1/u))^{k} with u = {u} → 0, so the limit is {v}",
        "重要极限：u → 0 时 (1 + u)^(1/u) → e（1^∞ 型）；这里 f = ((1 + u)^(1/u))^{k}，"
        "u = {u} → 0，所以极限为 {v}",
    ),
    "e_standard": (
        "standard limit: (1 + u)^(1/u) → e as u → 0 (1^∞); here f = "
        "((1 + u)^(1/u))^k with u = {u} → 0 and k = {k} → {c}, so the limit is "
        "e^({c}) = {v}",
        "重要极限：u → 0 时 (1 + u)^(1/u) → e（1^∞ 型）；这里 f = ((1 + u)^(1/u))^k，"
        "u = {u} → 0，k = {k} → {c}，所以极限为 {ec} = {v}",
    ),
    "squeeze": (
        "squeeze theorem: {b} stays between {lo} and {hi}, so |f| ≤ {m}|{g}|, "
        "and {g} → 0; the limit is 0",
        "夹逼定理：{b} 介于 {lo} 与 {hi} 之间，所以 |f| ≤ {m}|{g}|，而 {g} → 0；极限为 0",
    ),
    "sum": (
        "the limit of a sum is the sum of the limits: {parts} = {v}",
        "和的极限等于极限的和：{parts} = {v}",
    ),
    "product": (
        "the limit of a product is the product of the limits: {parts} = {v}",
        "积的极限等于极限的积：{parts} = {v}",
    ),
    "quotient": (
        "the limit of a quotient is the quotient of the limits (the denominator's "
        "is not 0): {n} / {d} = {v}",
        "商的极限等于极限的商（分母极限不为 0）：{n} / {d} = {v}",
    ),
    "over_zero": (
        "the numerator tends to {n} and the denominator to 0 through {sign} "
        "values, so f → {v}",
        "分子趋于 {n}，分母经{sign}值趋于 0，所以 f → {v}",
    ),
    "over_infinity": (
        "the numerator tends to {n} and the denominator grows without bound, so f → 0",
        "分子趋于 {n}，分母无界增长，所以 f → 0",
    ),
    "continuous_outer": (
        "{F} is continuous at {L}, and the inside {u} → {L}: the limit is {F_L} = {v}",
        "{F} 在 {L} 处连续，且内部 {u} → {L}：极限为 {F_L} = {v}",
    ),
    "known": (
        "{known}; here u = {u} → {L}, so f → {v}",
        "{known}；这里 u = {u} → {L}，所以 f → {v}",
    ),
    "part": (
        "the limit of {g}:",
        "{g} 的极限：",
    ),
    "sympy": (
        "no textbook method here applies: SymPy's limit algorithm (Gruntz) gives {v}",
        "这里没有适用的教科书方法：SymPy 的极限算法（Gruntz 算法）给出 {v}",
    ),
    "sympy_slow": (
        "the textbook methods took longer than {s} s here: SymPy's limit "
        "algorithm (Gruntz) gives {v}",
        "这里教科书方法用时超过 {s} 秒：SymPy 的极限算法（Gruntz 算法）给出 {v}",
    ),
    "sympy_part": (
        "the limit of {g} is {v} (SymPy's limit algorithm: no textbook method "
        "here applies)",
        "{g} 的极限为 {v}（SymPy 的极限算法：这里没有适用的教科书方法）",
    ),
}

_t = functools.partial(localise, _TEXT)

_SIGN_WORDS = {"+": ("positive", "正"), "-": ("negative", "负")}

#: most nested parts explained inside one limit (each may apply L'Hôpital)
_MAX_DEPTH = 8


def show_value(v) -> str:
    """A limit or a point as the steps write it: ∞, -∞, or textbook notation."""
    if v is sympy.oo:
        return "∞"
    if v is -sympy.oo:
        return "-∞"
    return textbook(v) if isinstance(v, sympy.Basic) else str(v)


_show = show_value


def sympy_limit(f, x, a, direction: str):
    """SymPy's one-sided limit of f (``direction`` '+' or '-'), or None where
    SymPy finds none or an unevaluated one."""
    try:
        v = sympy.limit(real_form(f), x, a, direction)
    except (NotImplementedError, ValueError, TypeError, AttributeError):
        return None
    if isinstance(v, sympy.Limit) or v.has(sympy.Limit):
        return None
    if v.has(sympy.oo, -sympy.oo) and v not in (sympy.oo, -sympy.oo):
        if not isinstance(v, sympy.AccumBounds):
            return None  # an unevaluated f(oo): not an answer
    return v


def finite_value(e):
    """`e` (a number) tidied, where it is finite and real; else None."""
    try:
        v = tidy(e) if e.is_number else e
    except Exception:
        return None
    if not v.is_number or v.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        return None
    if v.is_extended_real is False:
        return None
    return v


def direct_value(f, x, a):
    """f(a) when every part of f is defined, finite and real at a (so that
    1/log(x) at 0, which SymPy evaluates to 1/zoo = 0, is not 'substituted'),
    and f has no jump functions; else None."""
    if f.has(sympy.Abs, sympy.sign, sympy.Heaviside, sympy.Piecewise):
        return None
    for node in sympy.preorder_traversal(f):
        if node.is_Atom or not node.has(x):
            continue
        if finite_value(node.subs(x, a)) is None:
            return None
        if node.is_Pow and node.exp.has(x) and node.base.subs(x, a) == 0:
            return None  # 0^0 (x^x at 0): SymPy says 1, a limit must be found
    return finite_value(f.subs(x, a))


def _is_zero(v) -> bool:
    return v is not None and not isinstance(v, sympy.AccumBounds) and v == 0


def _is_inf(v) -> bool:
    return v is sympy.oo or v is -sympy.oo


def _is_finite(v) -> bool:
    return (
        v is not None
        and not isinstance(v, sympy.AccumBounds)
        and not _is_inf(v)
        and finite_value(v) is not None
    )


def _same(a, b) -> bool:
    if a is None or b is None:
        return False
    if _is_inf(a) or _is_inf(b):
        return a == b
    try:
        return sympy.simplify(a - b) == 0
    except Exception:
        return False


# the standard limits as u -> 0: (id, the pattern as a function of u, its
# limit, and a test that a node of f is the pattern's telltale part, giving u)
_STANDARD_FUNCTIONS = (
    sympy.sin,
    sympy.tan,
    sympy.asin,
    sympy.atan,
    sympy.sinh,
    sympy.tanh,
    sympy.cos,
)


def _u_of(node, x):
    """The inner u of a node of the kinds the standard limits use, or None."""
    if isinstance(
        node, (sympy.sin, sympy.tan, sympy.asin, sympy.atan, sympy.sinh, sympy.tanh)
    ):
        return node.args[0]
    if isinstance(node, sympy.cos):
        return node.args[0]
    if isinstance(node, sympy.exp):
        return node.args[0]
    if isinstance(node, sympy.log):
        return node.args[0] - 1
    if node.is_Pow and not node.exp.has(x) and node.base.has(x):
        return node.base - 1
    if node.is_Pow and node.exp.has(x) and not node.base.has(x) and node.base > 0:
        return node.exp
    return None


def _patterns(node, u):
    """[(pattern text, pattern expression, its limit)] for a node whose inner
    part is u."""
    U = sympy.Dummy("u")
    out = []
    simple = {
        sympy.sin: "sin(u)/u",
        sympy.tan: "tan(u)/u",
        sympy.asin: "arcsin(u)/u",
        sympy.atan: "arctan(u)/u",
        sympy.sinh: "sinh(u)/u",
        sympy.tanh: "tanh(u)/u",
    }
    for cls, text in simple.items():
        if isinstance(node, cls):
            out.append((text, cls(U) / U, sympy.Integer(1)))
    if isinstance(node, sympy.cos):
        out.append(
            ("(1 - cos(u))/u^2", (1 - sympy.cos(U)) / U**2, sympy.Rational(1, 2))
        )
    if isinstance(node, sympy.exp):
        out.append(("(e^u - 1)/u", (sympy.exp(U) - 1) / U, sympy.Integer(1)))
    if isinstance(node, sympy.log):
        out.append(("ln(1 + u)/u", sympy.log(1 + U) / U, sympy.Integer(1)))
    if node.is_Pow and not node.exp.free_symbols & node.base.free_symbols:
        if (
            node.base.free_symbols
            and not node.exp.free_symbols
            and abs(node.exp) != sympy.S.Half  # roots: the conjugate
        ):
            k = node.exp
            out.append((f"((1 + u)^({textbook(k)}) - 1)/u", ((1 + U) ** k - 1) / U, k))
        elif node.exp.free_symbols and not node.base.free_symbols:
            b = node.base
            out.append((f"({textbook(b)}^u - 1)/u", (b**U - 1) / U, sympy.log(b)))
    return [(text, p.subs(U, u), lim) for text, p, lim in out]


class _Explainer:
    def __init__(self, x, a, side: str, lang: str):
        self.x, self.a, self.lang = x, a, lang
        self.sides: tuple[str, ...]
        if a is sympy.oo:
            self.sides = ("-",)
        elif a is -sympy.oo:
            self.sides = ("+",)
        else:
            self.sides = ("-", "+") if side == "both" else (side,)
        self._memo: dict = {}
        self.budget = 60  # sub-limits asked of SymPy in one explanation

    # -- sub-limits -------------------------------------------------------
    def lim(self, e):
        """The limit of a part (the same from every side asked), or None."""
        if not e.has(self.x):
            return e
        if e in self._memo:
            return self._memo[e]
        if self.budget <= 0:
            return None
        self.budget -= 1
        values = [sympy_limit(e, self.x, self.a, d) for d in self.sides]
        v = values[0]
        if any(w is None for w in values) or any(w != v for w in values[1:]):
            v = None
        self._memo[e] = v
        return v

    def t(self, key: str, **fields) -> str:
        shown = {k: v if isinstance(v, str) else _show(v) for k, v in fields.items()}
        return _t(key, self.lang, **shown)

    def step(self, rule: str, level: int, **fields) -> LimitStep:
        return LimitStep(rule, self.t(rule, **fields), level)

    def form_step(self, f, form: str, level: int) -> LimitStep:
        """ "Substituting gives the form ..." (of f itself), or "g has the form
        ..." for a part worked out one level in."""
        if level == 0:
            return self.step("form", level, form=form)
        return self.step("form_of", level, f=f, form=form)

    @property
    def at(self) -> str:
        return _show(self.a)

    # -- the methods ------------------------------------------------------
    def explain(
        self, f, value, level: int = 0, hole: bool = False, rewritten: bool = False
    ):
        """Steps that reach `value` for f, or None where no method does.
        `rewritten`: f is a form of the function equal to it only near a (after
        a conjugate or a common denominator), never "f is continuous"."""
        if level > _MAX_DEPTH:
            return None
        x, a = self.x, self.a
        if a.is_finite:
            direct = direct_value(f, x, a)
            if direct is not None and _is_finite(value) and _same(direct, value):
                if hole:
                    return [self.step("cancel", level, a=a, g=f, v=value)]
                if level:
                    return [self.step("substitute_part", level, g=f, a=a, v=value)]
                if rewritten:
                    return [self.step("substitute_new", level, a=a, v=value)]
                return [self.step("substitute", level, a=a, v=value)]
        methods = [self._power, self._quotient, self._sum, self._product]
        if isinstance(f, sympy.Function):  # e^(-1/x^2): the outer function first
            methods.insert(0, self._compose)
        else:
            methods.append(self._compose)
        for method in methods:
            try:
                found = method(f, value, level)
            except (
                TypeError,
                ValueError,
                AttributeError,
                NotImplementedError,
                RecursionError,
                ZeroDivisionError,
            ):
                found = None
            if found is not None:
                return found
        return None

    def part(self, g, value, level: int) -> list[LimitStep]:
        """The steps for the limit of a part g of f (none for x itself or a
        constant; SymPy's word for it where no method applies)."""
        coefficient, rest = g.as_coeff_Mul()
        if (
            not g.has(self.x)
            or rest == self.x
            or (rest.is_Pow and rest.base == self.x and rest.exp.is_Integer)
        ):
            return []  # x, -x, 3x^2: their limits need no words
        if self.a.is_finite and direct_value(g, self.x, self.a) is not None:
            return []  # continuous there: its limit is its value, said above
        inner = self.explain(g, value, level + 1)
        if inner is None:
            return [self.step("sympy_part", level + 1, g=g, v=value)]
        return [self.step("part", level + 1, g=g), *inner]

    def _quotient(self, f, value, level, parts=None):
        num, den = sympy.fraction(f) if parts is None else parts
        if den == 1 or not den.has(self.x):
            return None
        ln, ld = self.lim(num), self.lim(den)
        if ln is None or ld is None:
            return None
        if isinstance(ln, sympy.AccumBounds) or isinstance(ld, sympy.AccumBounds):
            return None
        if _is_finite(ln) and _is_finite(ld) and not _is_zero(ld):
            if not _same(ln / ld, value):
                return None
            return [
                self.step("quotient", level, n=ln, d=ld, v=value),
                *self.part(num, ln, level),
                *self.part(den, ld, level),
            ]
        if _is_finite(ln) and not _is_zero(ln) and _is_zero(ld) and _is_inf(value):
            positive = (value is sympy.oo) == bool(ln > 0)
            words = _SIGN_WORDS["+" if positive else "-"]
            sign = words[0 if self.lang == "en" else 1]
            return [self.step("over_zero", level, n=ln, sign=sign, v=value)]
        if _is_finite(ln) and _is_inf(ld) and _is_zero(value):
            return [self.step("over_infinity", level, n=ln)]
        if _is_inf(ln) and _is_finite(ld) and not _is_zero(ld):
            if _is_inf(value):
                return [self.step("quotient", level, n=ln, d=ld, v=value)]
            return None
        if _is_zero(ln) and _is_zero(ld):
            form = "0/0"
        elif _is_inf(ln) and _is_inf(ld):
            form = "∞/∞"
        else:
            return None
        head = self.form_step(f, form, level)
        for method in (
            self._cancel,
            self._standard,
            self._leading,
            self._dominant_quotient,
            self._conjugate,
            self._lhopital,
        ):
            found = method(f, num, den, form, value, level)
            if found is not None:
                return [head, *found]
        return None

    def _cancel(self, f, num, den, form, value, level):
        if form != "0/0" or not self.a.is_finite:
            return None
        g = sympy.cancel(f)
        if g == f or g.has(sympy.Function):
            return None
        gv = direct_value(g, self.x, self.a)
        if gv is None or not _same(gv, value):
            return None
        key = "cancel" if level == 0 else "cancel_part"
        return [self.step(key, level, a=self.a, f=f, g=g, v=value)]

    def _standard(self, f, num, den, form, value, level):
        if form != "0/0":
            return None
        seen = set()
        for node in sympy.preorder_traversal(f):
            u = _u_of(node, self.x)
            if u is None or not u.has(self.x) or node in seen:
                continue
            seen.add(node)
            if not _is_zero(self.lim(u)):
                continue
            for text, pattern, limit in _patterns(node, u):
                for upside in (True, False):  # f = pattern·r, or f = r/pattern
                    r = sympy.cancel(
                        sympy.together(f / pattern if upside else f * pattern)
                    )
                    if r.has(node):
                        continue  # the pattern's function is still in the rest
                    c = self.lim(r)
                    if not _is_finite(c):
                        continue
                    if upside and not _same(limit * c, value):
                        continue
                    if not upside and not _same(c / limit, value):
                        continue
                    return self._standard_steps(
                        text, u, limit, r, c, value, level, upside
                    )
        return None

    def _standard_steps(self, text, u, limit, r, c, value, level, upside):
        steps = [self.step("standard", level, pattern=text, L=limit, u=u)]
        if r == 1 and upside:
            return steps
        inner = f"({textbook(u)})" if not (u.is_Symbol or u.is_Integer) else textbook(u)
        filled = text.replace("(u)", f"({textbook(u)})").replace("u", inner)
        if upside and not r.has(self.x):
            key = "standard_constant"
        else:
            key = "standard_factor" if upside else "standard_over"
        steps.append(
            self.step(
                key, level, pattern=filled, r=_factor(r), g=r, c=c, L=limit, v=value
            )
        )
        steps.extend(self.part(r, c, level))
        return steps

    def _conjugate(self, f, num, den, form, value, level):
        for which in (num, den):
            c = _conjugate_of(which)
            if c is None:
                continue
            g = sympy.cancel(sympy.expand(num * c) / sympy.expand(den * c))
            if sympy.count_ops(g) > sympy.count_ops(f) + 8:
                continue
            inner = self.explain(g, value, level, rewritten=True)
            if inner is None:
                continue
            return [self.step("conjugate", level, c=c, g=g), *inner]
        return None

    def _leading(self, f, num, den, form, value, level):
        x = self.x
        if self.a.is_finite or not (num.is_polynomial(x) and den.is_polynomial(x)):
            return None
        lead = tidy(sympy.LT(num, x) / sympy.LT(den, x))
        if not _same(self.lim(lead), value):
            return None
        return [self.step("leading", level, a=self.at, g=lead, v=value)]

    def _dominant_quotient(self, f, num, den, form, value, level):
        """∞/∞ at ±∞ with sums above or below: each replaced by its dominant
        term, or both divided by the denominator's growth x^k."""
        if self.a.is_finite or form != "∞/∞":
            return None
        dn, dd = self._dominant(num), self._dominant(den)
        if dn is not None and dd is not None and (num.is_Add or den.is_Add):
            lead = tidy(sympy.powsimp(dn / dd))
            if _same(self.lim(lead), value):
                return [self.step("leading", level, a=self.at, g=lead, v=value)]
        k = _growth_power(den, self.x, self)
        if k is None or k == 0:
            return None
        p = self.x**k
        g = _divided(num, self.x, k, self.a) / _divided(den, self.x, k, self.a)
        if g == f or g == num / den:
            return None  # no simpler: x/(1/sin(1/x)) divided by x is f again
        parts = []
        for part in sympy.fraction(g):
            v = self.lim(part)
            if not _is_finite(v):
                return None
            parts.append(v)
        if _is_zero(parts[1]) or not _same(parts[0] / parts[1], value):
            return None
        return [
            self.step("divide_power", level, p=p, g=g),
            self.step("quotient", level, n=parts[0], d=parts[1], v=value),
        ]

    def _dominant(self, e):
        """The term of a sum `e` that dominates the others at ±∞ (e itself
        where it is no sum), or None."""
        if not e.is_Add:
            return e
        terms = [t for t in e.args if t.has(self.x)]
        for t in terms:
            if all(s is t or _is_zero(self.lim(s / t)) for s in e.args):
                return t
        return None

    def _lhopital(self, f, num, den, form, value, level):
        x = self.x
        q = sympy.cancel(sympy.diff(num, x) / sympy.diff(den, x))
        # only where it simplifies: on exp(exp(x))/exp(exp(x + 1)) each
        # application makes the quotient longer
        if sympy.count_ops(q) > sympy.count_ops(f) + 4:
            return None
        if not _same(self.lim(q), value):
            return None
        inner = self.explain(q, value, level + 1)
        if inner is None:
            inner = [self.step("sympy_part", level + 1, g=q, v=value)]
        return [self.step("lhopital", level, form=form, q=q), *inner]

    def _sum(self, f, value, level):
        if not f.is_Add:
            return None
        terms = list(f.args)
        limits = [self.lim(t) for t in terms]
        if sympy.oo in limits and -sympy.oo in limits:
            return self._inf_minus_inf(f, terms, value, level, form=True)
        if any(v is None or isinstance(v, sympy.AccumBounds) for v in limits):
            # 1/x - 1/sin(x) at 0: the terms have no two-sided limit
            return self._inf_minus_inf(f, terms, value, level, form=False)
        total = sympy.Add(*limits)
        if total is sympy.nan or not _same(total, value):
            return None
        parts = " + ".join(
            f"lim {textbook(t)} ({_show(v)})" for t, v in zip(terms, limits)
        )
        steps = [self.step("sum", level, parts=parts, v=value)]
        for t, v in zip(terms, limits):
            steps.extend(self.part(t, v, level))
        return steps

    def _inf_minus_inf(self, f, terms, value, level, form: bool):
        head = [self.form_step(f, "∞ - ∞", level)] if form else []
        together = sympy.cancel(sympy.together(f))
        if together != f and sympy.fraction(together)[1] != 1:
            inner = self.explain(together, value, level, rewritten=True)
            if inner is not None:
                return [
                    *head,
                    self.step("common_denominator", level, g=together),
                    *inner,
                ]
        c = _conjugate_of(f)
        if c is not None:
            g = sympy.cancel(sympy.expand(f * c) / c)
            inner = self.explain(g, value, level, rewritten=True)
            if inner is not None:
                return [*head, self.step("conjugate", level, c=c, g=g), *inner]
        if not self.a.is_finite and form:
            t = self._dominant(f)
            if t is not None and t is not f and _same(self.lim(t), value):
                return [*head, self.step("dominant", level, a=self.at, t=t, v=value)]
        return None

    def _product(self, f, value, level):
        if not f.is_Mul:
            return None
        const = sympy.Mul(*[a for a in f.args if not a.has(self.x)])
        factors = [a for a in f.args if a.has(self.x)]
        if len(factors) < 2 and const == 1:
            return None
        limits = [self.lim(g) for g in factors]
        bounded = [
            g
            for g, v in zip(factors, limits)
            if isinstance(v, sympy.AccumBounds) or (v is None and _bounded(g))
        ]
        if bounded and _is_zero(value):
            rest = sympy.Mul(*[g for g in factors if g not in bounded])
            b = sympy.Mul(*bounded)
            if rest != 1 and _is_zero(self.lim(rest)):
                m = sympy.Abs(const) if const != 1 else None
                lo, hi = _bounds(b)
                return [
                    self.step(
                        "squeeze",
                        level,
                        b=b,
                        lo=lo,
                        hi=hi,
                        m=_factor(m) + "·" if m is not None else "",
                        g=rest,
                    ),
                    *self.part(rest, sympy.Integer(0), level),
                ]
            return None
        if any(v is None or isinstance(v, sympy.AccumBounds) for v in limits):
            return None
        zeros = [g for g, v in zip(factors, limits) if _is_zero(v)]
        infs = [g for g, v in zip(factors, limits) if _is_inf(v)]
        if zeros and infs:
            z, w = sympy.Mul(*zeros), sympy.Mul(*infs)
            others = sympy.Mul(const, *[g for g in factors if g not in zeros + infs])
            tried = []
            orders = [(w, 1 / z), (z, 1 / w)]
            if z.has(*_STANDARD_FUNCTIONS) and not w.has(sympy.log):
                # x sin(1/x): sin(1/x)/(1/x), a standard limit; x ln(x):
                # ln(x)/(1/x); x^2 e^x: x^2/e^(-x)
                orders.reverse()
            for num, den in orders:
                num = others * num
                q = sympy.Mul(num, sympy.Pow(den, -1, evaluate=False), evaluate=False)
                inner = self._quotient(q, value, level, parts=(num, den))
                if inner is not None:
                    tried.append([self.step("zero_times_inf", level, q=q), *inner])
                    if not _leans_on_sympy(tried[-1]):
                        break
            if not tried:
                return None
            return min(tried, key=lambda st: (_leans_on_sympy(st), len(st)))
        total = const * sympy.Mul(*limits)
        if total is sympy.nan or not _same(total, value):
            return None
        shown = [f"lim {textbook(g)} ({_show(v)})" for g, v in zip(factors, limits)]
        if const != 1:
            shown.insert(0, textbook(const))
        steps = [self.step("product", level, parts=" · ".join(shown), v=value)]
        for g, v in zip(factors, limits):
            steps.extend(self.part(g, v, level))
        return steps

    def _power(self, f, value, level):
        x = self.x
        if not (f.is_Pow and f.exp.has(x) and f.base.has(x)):
            return None
        b, g = f.base, f.exp
        lb, lg = self.lim(b), self.lim(g)
        if lb is None:
            return None
        if _same(lb, 1) and (_is_inf(lg) or (lg is None and _is_zero(self.lim(1 / g)))):
            form = "1^∞"  # (1 + x)^(1/x) at 0: the exponent -> ±∞ by side
        elif _is_zero(lb) and _is_zero(lg):
            form = "0^0"
        elif _is_inf(lb) and _is_zero(lg):
            form = "∞^0"
        else:
            return None
        head = self.form_step(f, form, level)
        if form == "1^∞":  # (1 + u)^(1/u) -> e, with u = b - 1
            u = sympy.cancel(b - 1)
            k = sympy.cancel(g * u)
            c = self.lim(k)
            if _is_finite(c) and _same(sympy.exp(c), value):
                if k == 1:
                    return [head, self.step("e_standard_plain", level, u=u)]
                if not k.has(x):
                    k_text = _factor(k) if not (k.is_Integer and k > 0) else textbook(k)
                    return [
                        head,
                        self.step("e_standard_power", level, u=u, k=k_text, v=value),
                    ]
                return [
                    head,
                    self.step(
                        "e_standard", level, u=u, k=k, c=c, ec=_e_power(c), v=value
                    ),
                    *self.part(k, c, level),
                ]
        inner_f = g * sympy.log(b)
        L = self.lim(inner_f)
        if L is None or not _same(_exp_of(L), value):
            return None
        steps = [head, self.step("exp_log", level, form=form, g=inner_f)]
        inner = self.explain(inner_f, L, level + 1)
        if inner is None:
            steps.append(self.step("sympy_part", level + 1, g=inner_f, v=L))
        else:
            steps.extend(inner)
        steps.append(self.step("exp_log_result", level, L=L, eL=_e_power(L), v=value))
        return steps

    def _compose(self, f, value, level):
        x = self.x
        if f.is_Pow and not f.exp.has(x):
            outer, u = (lambda t: t**f.exp), f.base
            name = textbook(sympy.Symbol("u") ** f.exp)
        elif isinstance(f, sympy.Function) and len(f.args) == 1 and f.args[0].has(x):
            outer, u = f.func, f.args[0]
            name = textbook(f.func(sympy.Symbol("u")))
        else:
            return None
        if u == x and self.a.is_finite:
            return None  # f(x) itself at a: substitution, or nothing to say
        L = self.lim(u)
        if L is None or isinstance(L, sympy.AccumBounds):
            return None
        if _is_finite(L):
            FL = finite_value(outer(L))
            if FL is None or not _same(FL, value):
                return None
            if not _continuous_at(outer, L):
                return None
            return [
                self.step(
                    "continuous_outer",
                    level,
                    F=name,
                    L=L,
                    u=u,
                    F_L=_apply_text(name, L),
                    v=value,
                ),
                *self.part(u, L, level),
            ]
        known = _known(f.func if not f.is_Pow else None, f.exp if f.is_Pow else None, L)
        if known is None:
            return None
        text, limit = known
        if not _same(limit, value):
            return None
        said = text[0 if self.lang == "en" else 1]
        if u == x:  # e^x → 0 as x → -∞: the table itself
            return [LimitStep("known", said.replace("u", x.name), level)]
        return [
            LimitStep("known", self.t("known", known=said, u=u, L=L, v=value), level),
            *self.part(u, L, level),
        ]


def _factor(e) -> str:
    """`e` as a factor in a product's text: in brackets unless a symbol, a
    whole number or a call (1/3 and (1 - cos(x))/x are bracketed)."""
    text = textbook(e)
    if e.is_Symbol or (e.is_Integer and e >= 0) or isinstance(e, sympy.Function):
        return text
    return f"({text})"


def _apply_text(name: str, L) -> str:
    """The outer function's text with u replaced by the inner limit."""
    shown = textbook(L)
    if not (L.is_Symbol or (L.is_Integer and L >= 0)):
        shown = f"({shown})"
    return name.replace("(u)", f"({textbook(L)})").replace("u", shown)


def _continuous_at(outer, L) -> bool:
    """Whether the outer function is continuous at L (no kink or jump
    function; defined and real in a neighbourhood)."""
    if outer in (sympy.Abs, sympy.sign, sympy.Heaviside, sympy.floor, sympy.ceiling):
        return outer is sympy.Abs  # |u| is continuous everywhere
    if outer in (sympy.log,):
        return bool(L > 0)
    if outer in (sympy.asin, sympy.acos):
        return bool(abs(L) < 1)
    U = sympy.Dummy("u")
    try:
        here = outer(U)
    except Exception:
        return False
    if isinstance(here, sympy.Pow):
        return bool(L > 0) or (here.exp.is_integer and here.exp > 0)
    return True


# the limits of elementary functions at the ends of their domains:
# (function, where u goes) -> ((en text, zh text), the limit)
def _known(func, power, L):
    oo = sympy.oo
    table = {
        (sympy.exp, -oo): (("e^u → 0 as u → -∞", "u → -∞ 时 e^u → 0"), 0),
        (sympy.exp, oo): (("e^u → ∞ as u → ∞", "u → ∞ 时 e^u → ∞"), oo),
        (sympy.log, oo): (("ln(u) → ∞ as u → ∞", "u → ∞ 时 ln(u) → ∞"), oo),
        (sympy.atan, oo): (
            ("arctan(u) → π/2 as u → ∞", "u → ∞ 时 arctan(u) → π/2"),
            sympy.pi / 2,
        ),
        (sympy.atan, -oo): (
            ("arctan(u) → -π/2 as u → -∞", "u → -∞ 时 arctan(u) → -π/2"),
            -sympy.pi / 2,
        ),
        (sympy.tanh, oo): (("tanh(u) → 1 as u → ∞", "u → ∞ 时 tanh(u) → 1"), 1),
        (sympy.tanh, -oo): (("tanh(u) → -1 as u → -∞", "u → -∞ 时 tanh(u) → -1"), -1),
        (sigmoid, oo): (("sigmoid(u) → 1 as u → ∞", "u → ∞ 时 sigmoid(u) → 1"), 1),
        (sigmoid, -oo): (("sigmoid(u) → 0 as u → -∞", "u → -∞ 时 sigmoid(u) → 0"), 0),
    }
    if power is not None:
        if not _is_inf(L) or not power.is_real:
            return None
        if power.is_positive:
            if L is oo:
                return (("u^p → ∞ as u → ∞ for p > 0", "p > 0 时 u → ∞ 有 u^p → ∞"), oo)
            if power.is_integer:
                v = oo if power.is_even else -oo
                return (
                    (
                        f"u^{power} → {_show(v)} as u → -∞",
                        f"u → -∞ 时 u^{power} → {_show(v)}",
                    ),
                    v,
                )
            return None
        if power.is_negative:
            return (("u^p → 0 as u → ±∞ for p < 0", "p < 0 时 u → ±∞ 有 u^p → 0"), 0)
        return None
    found = table.get((func, L))
    if found is None:
        return None
    return found[0], sympy.sympify(found[1])


def _leans_on_sympy(steps) -> bool:
    return any(st.rule in ("sympy", "sympy_part") for st in steps)


def _e_power(c) -> str:
    """e^c as text, with brackets unless c is a symbol or a whole number."""
    if _is_inf(c):
        return f"e^({_show(c)})"
    return textbook(sympy.exp(c, evaluate=False))


def _exp_of(L):
    if L is sympy.oo:
        return sympy.oo
    if L is -sympy.oo:
        return sympy.Integer(0)
    return sympy.exp(L)


def _bounded(g) -> bool:
    return isinstance(g, (sympy.sin, sympy.cos)) or (
        g.is_Pow
        and isinstance(g.base, (sympy.sin, sympy.cos))
        and g.exp.is_positive
        and g.exp.is_integer
    )


def _bounds(b):
    """The bounds of a product of sines and cosines (and their powers)."""
    if all((f.is_Pow and f.exp.is_even) for f in sympy.Mul.make_args(b)):
        return sympy.Integer(0), sympy.Integer(1)
    return sympy.Integer(-1), sympy.Integer(1)


def _conjugate_of(e):
    """For a sum A + B where A is a square root: A - B; else None."""
    if not e.is_Add or len(e.args) != 2:
        return None
    a, b = sorted(e.args, key=lambda t: not _has_root(t))
    if not _has_root(a):
        return None
    return a - b


def _has_root(t) -> bool:
    """Whether a square root (or its reciprocal) is anywhere in t."""
    return any(
        p.is_Pow and abs(p.exp) == sympy.S.Half for p in sympy.preorder_traversal(t)
    )


def _divided(e, x, k, a):
    """`e`/x^k with x^k taken inside sums and roots (x > 0 at +∞; at -∞ only
    into odd roots of even powers... so only where the sign is safe)."""
    if e.is_Add:
        return sympy.Add(*[_divided(t, x, k, a) for t in e.args])
    if e.is_Pow and e.exp.is_Rational and not e.exp.is_Integer and e.base.has(x):
        inner = k / e.exp
        if a is sympy.oo or (inner.is_Integer and inner.is_even):
            return sympy.expand(e.base / x**inner) ** e.exp
    return sympy.expand(e / x**k)


def _growth_power(den, x, explainer):
    """The k with den/x^k tending to a finite non-zero limit at ±∞ (tried
    over halves up to 8), or None."""
    for twice in range(1, 17):
        k = sympy.Rational(twice, 2)
        v = explainer.lim(den / x**k)
        if _is_finite(v) and not _is_zero(v):
            return k
        if _is_zero(v):
            return None
    return None


def explain_limit(
    f, x, a, value, *, side: str = "both", lang: str = "en", hole: bool = False
) -> list[LimitStep]:
    """The steps that explain lim_{x→a} f = `value` (found and checked by the
    caller): `side` is 'both', '+' or '-' (ignored at ±∞); `hole` says that
    the typed function has no value at a though SymPy's form f does."""
    explainer = _Explainer(x, a, side, lang)
    seconds = EXPLAIN_SHARE * get_time_limit()
    try:
        with time_limit(seconds, "explain the limit"):
            found = _explained(explainer, f, value, hole)
    except DfdxError:  # too long: the value stands, said to be SymPy's
        text = explainer.t("sympy_slow", s=f"{seconds:.2g}", v=value)
        return [LimitStep("sympy", text)]
    if found is None:
        return [LimitStep("sympy", explainer.t("sympy", v=value))]
    return found


#: The share of dfdx's time limit (:func:`dfdx.set_time_limit`, 5 s by
#: default) the methods may take to explain one limit; the value, found and
#: checked before, is given either way.
EXPLAIN_SHARE = 0.4


def _explained(explainer, f, value, hole):
    f = f.replace(sympy.cot, lambda u: sympy.cos(u) / sympy.sin(u))
    f = f.replace(sympy.sec, lambda u: 1 / sympy.cos(u))
    f = f.replace(sympy.csc, lambda u: 1 / sympy.sin(u))
    return explainer.explain(f, value, 0, hole=hole)
