"""Real limits with steps: lim_{x→a} f(x), one-sided or two-sided.

:func:`limit` asks SymPy for each one-sided limit, checks the answer against
50-digit samples of f approaching the point from that side, and explains it
with the steps a course uses: direct substitution, cancelling a common factor,
the standard limits sin(u)/u → 1 and (1 + u)^(1/u) → e, L'Hôpital's rule
(naming its 0/0 or ∞/∞ form), leading terms at infinity, and one-sided limits
that differ. Infinite and non-existent limits are said as such.

(``dfdx.limit_table`` and ``dfdx limit`` are the difference-quotient table of
the chapter; this module is the limit of an expression, ``dfdx lim``.)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import mpmath
import sympy

from dfdx.core._bounded import bounded
from dfdx.core.i18n import check_lang, localise
from dfdx.errors import DfdxError
from dfdx.exact.symbolic import _wrt_symbol, real_symbols
from dfdx.teaching.limit_methods import LimitStep, explain_limit
from dfdx.teaching.limit_methods import show_value as _show
from dfdx.teaching.limit_methods import sympy_limit as _sympy_limit
from dfdx.text.expr import Expression, as_expression, parse
from dfdx.text.functions import real_form
from dfdx.text.textbook import textbook

__all__ = ["limit", "LimitResult", "LimitStep"]

_TEXT = {
    "sides_differ": (
        "the one-sided limits differ (left {l}, right {r}), so the two-sided "
        "limit does not exist",
        "左右极限不相等（左极限 {l}，右极限 {r}），所以极限不存在",
    ),
    "infinite": (
        "f grows without bound: the limit is {v} (it does not exist as a number)",
        "f 无界增长：极限为 {v}（不是有限数，极限不存在）",
    ),
    "oscillates": (
        "f oscillates between {lo} and {hi} without settling: the limit does not exist",
        "f 在 {lo} 与 {hi} 之间振荡而不趋于定值：极限不存在",
    ),
    "domain": (
        "f is not real to the {gone} of {a}: the limit is taken from the {kept}, "
        "the only side where f is defined",
        "f 在 {a} 的{gone}侧不是实数：只能从{kept}侧取极限（f 只在这一侧有定义）",
    ),
    "not_real": (
        "f is not real on either side of {a}: there is no real limit",
        "f 在 {a} 两侧都不是实数：没有实数极限",
    ),
    "side": (
        "from the {side}: {v}",
        "{side}极限：{v}",
    ),
}
_SIDE_WORDS = {"-": ("left", "左"), "+": ("right", "右")}


_t = functools.partial(localise, _TEXT)


@dataclass(frozen=True)
class LimitResult:
    """lim_{x→at} of an expression.

    Attributes
    ----------
    value : sympy.Expr or None
        The limit (a number, ``oo`` or ``-oo``), or None when it does not
        exist (sides differ, oscillation) or cannot be found.
    left, right : sympy.Expr or None
        The one-sided limits (None where not asked, or for an oscillation).
    exists : bool
        Whether the limit exists as a finite number.
    status : str
        ``'finite'``, ``'infinite'`` (``value`` is ±oo), ``'sides differ'``,
        ``'oscillates'`` or ``'unknown'`` (SymPy could not decide).
    checked : str
        How 50-digit samples approaching the point compare: ``'agrees'``,
        ``'slow'`` (they move toward the value but too slowly to confirm it)
        or ``'disagrees'`` (then do not trust the value: it is reported, with
        this flag, never silently).
    steps : tuple of LimitStep
    """

    expression: Expression
    variable: str
    at: sympy.Expr
    side: str
    value: sympy.Expr | None
    left: sympy.Expr | None
    right: sympy.Expr | None
    status: str
    checked: str
    steps: tuple[LimitStep, ...]
    lang: str = "en"

    @property
    def exists(self) -> bool:
        return self.status == "finite"

    def to_text(self) -> str:
        arrow = {"both": "", "+": "⁺", "-": "⁻"}[self.side] if self.at.is_finite else ""
        e = self.expression
        # the typed form where SymPy's lost part of its domain (x^2/x)
        tree = e.written  # as typed: 1/x - 1/sin(x), x^2/x
        shown = textbook(tree, order="none" if tree is not e.sympy else None)
        if tree.is_Add:  # lim (√(x^2 + x) - x): the limit is of the whole sum
            shown = f"({shown})"
        head = f"lim_{{{self.variable}→{_show(self.at)}{arrow}}} {shown}"
        if self.value is not None:
            head += f" = {_show(self.value)}"
        elif self.lang == "en":
            head += " does not exist" if self.status != "unknown" else ": unknown"
        else:
            head += " 不存在" if self.status != "unknown" else "：无法确定"
        lines = [head]
        number = [0]
        for step in self.steps:
            del number[step.level + 1 :]
            while len(number) <= step.level:
                number.append(0)
            number[step.level] += 1
            label = ".".join(str(n) for n in number)
            pad = "  " * (step.level + 1)
            lines.append(f"{pad}{label}. {step.text}")
        if self.checked == "disagrees":
            lines.append(
                "  warning: 50-digit samples approaching the point do not agree "
                "with this value"
                if self.lang == "en"
                else "  警告：逼近该点的 50 位精度采样与此值不一致"
            )
        elif self.checked == "slow":
            lines.append(
                "  note: samples approach this value too slowly to confirm it numerically"
                if self.lang == "en"
                else "  注意：采样值趋近得太慢，无法用数值确认"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(self.to_text())}</pre>"

    def to_dict(self) -> dict:
        def show(v):
            return None if v is None else str(v)

        return {
            "expression": str(self.expression),
            "variable": self.variable,
            "at": str(self.at),
            "side": self.side,
            "value": show(self.value),
            "left": show(self.left),
            "right": show(self.right),
            "exists": self.exists,
            "status": self.status,
            "checked": self.checked,
            "steps": [
                {"rule": s.rule, "text": s.text, "level": s.level} for s in self.steps
            ],
        }


def _point(at) -> sympy.Expr:
    if isinstance(at, bool):
        raise DfdxError(f"at must be a number, inf or -inf, got {at!r}")
    if isinstance(at, str):
        text = at.strip().lower().replace(" ", "")
        if text in ("inf", "+inf", "oo", "+oo", "infinity", "∞", "+∞"):
            return sympy.oo
        if text in ("-inf", "-oo", "-infinity", "-∞"):
            return -sympy.oo
        e = parse(at)
        if e.variables:
            raise DfdxError(f"at must be a number, got {at!r} (it has variables)")
        value = e.sympy
    elif isinstance(at, float):
        if at in (float("inf"), float("-inf")):
            return sympy.oo if at > 0 else -sympy.oo
        if at != at:
            raise DfdxError("at must be a number, got nan")
        value = sympy.Rational(repr(at))
    else:
        value = as_expression(at, name="at").sympy
    if value in (sympy.oo, -sympy.oo):
        return value
    if not value.is_number or value.is_extended_real is False:
        raise DfdxError(f"at must be a real number, got {at!r}")
    return value


def _kind(v) -> str:
    if v is None:
        return "unknown"
    if isinstance(v, sympy.AccumBounds):
        return "oscillates"
    if v in (sympy.oo, -sympy.oo):
        return "infinite"
    if v is sympy.zoo or v.has(sympy.nan, sympy.zoo) or v.is_extended_real is False:
        return "unknown"
    return "finite"


def _sample(fn, a, direction: str, k: int, dps: int):
    with mpmath.workdps(dps):
        if a is sympy.oo:
            t = mpmath.mpf(10) ** k
        elif a is -sympy.oo:
            t = -(mpmath.mpf(10) ** k)
        else:
            centre = mpmath.mpf(sympy.N(a, dps + 10))
            # steps relative to |a| (1/x at a = 1e-300 must not be sampled
            # across its pole at 0), absolute at a = 0
            h = mpmath.mpf(10) ** (-k) * (abs(centre) if centre != 0 else 1)
            t = centre + (h if direction == "+" else -h)
        try:
            v = mpmath.mpmathify(fn(t))
        except (ZeroDivisionError, ValueError, OverflowError, TypeError):
            return None
        if isinstance(v, mpmath.mpc):
            if abs(v.imag) > mpmath.mpf(10) ** -30 * max(1, abs(v)):
                return "complex"
            v = v.real
        return v


#: Largest |u| for which exp(u) is evaluated at a sample point: beyond it the
#: result's exponent alone has too many digits (exp(exp(exp(x))) at x = 10**6
#: kept a C big-integer operation busy for 25 s, past any time limit).
_MAX_EXPONENT = 1e15


@functools.lru_cache(maxsize=1)
def _mpmath_modules() -> tuple:
    """lambdify's modules for mpmath code: dfdx's functions (relu, sigmoid,
    softplus, Heaviside, real_root) first, then mpmath."""
    import mpmath

    from dfdx.exact.simplify import _mpmath_functions

    return (_mpmath_functions(mpmath.mp), "mpmath")


def _growth_guards(f, x):
    """mpmath functions of the exponents in f (exp(u): u; b**p: p*ln|b|),
    innermost first."""
    guards = []
    for node in sympy.postorder_traversal(f):
        if isinstance(node, (sympy.exp, sympy.sinh, sympy.cosh)) and node.has(x):
            arg = node.args[0]
        elif node.is_Pow and node.exp.has(x):
            arg = node.exp * sympy.log(sympy.Abs(node.base))
        else:
            continue
        guards.append(
            sympy.lambdify(x, arg, modules=list(_mpmath_modules()), docstring_limit=0)
        )
    return guards


def _tame(guards, a, direction: str, k: int) -> bool:
    """Whether every exponent of f stays below _MAX_EXPONENT at the k-th point
    (checked innermost first, so no check itself explodes)."""
    for guard in guards:
        v = _sample(guard, a, direction, k, 15)
        if v == "complex" or v is None:
            continue
        if v > _MAX_EXPONENT:  # e^(-10^18) is merely tiny: only growth explodes
            return False
    return True


@functools.lru_cache(maxsize=16)  # the domain test and the check share them
def _samples(f, x, a, direction: str):
    """f at points approaching a from one side, nearest last: each at 50 and
    100 digits, kept only where the two agree (1 - cos(x) at x = 1e-30 loses
    every digit to cancellation at 50). 'complex' when f is not real there."""
    fn = sympy.lambdify(
        x, real_form(f), modules=list(_mpmath_modules()), docstring_limit=0
    )
    growth = _growth_guards(f, x)
    out = []
    complex_ = 0
    for k in range(3, 31, 3):
        if not _tame(growth, a, direction, k):
            continue
        lo, hi = _sample(fn, a, direction, k, 50), _sample(fn, a, direction, k, 100)
        if lo == "complex" or hi == "complex":
            complex_ += 1
            continue
        if lo is None or hi is None:
            continue
        if abs(lo - hi) > mpmath.mpf(10) ** -20 * max(1, abs(hi)):
            continue
        out.append(hi)
    if not out and complex_:
        return "complex"
    return tuple(out)


def _check(f, x, a, direction: str, value) -> str:
    try:
        vals = _samples(f, x, a, direction)
    except Exception:
        return "slow"
    if vals == "complex" or len(vals) < 3:
        return "slow"
    kind = _kind(value)
    if kind == "finite":
        target = mpmath.mpf(sympy.N(value, 50))
        errs = [abs(v - target) for v in vals]
        scale = max(1, abs(target))
        if errs[-1] <= mpmath.mpf(10) ** -6 * scale:
            return "agrees"
        if errs[-1] < errs[0] and errs[-1] < mpmath.mpf("0.1") * scale:
            return "slow"
        return "disagrees"
    if kind == "infinite":
        sign = 1 if value is sympy.oo else -1
        tail = vals[-3:]
        if all(sign * v > 0 for v in tail) and abs(tail[-1]) > abs(tail[0]):
            return "agrees"
        return "disagrees" if any(sign * v < 0 for v in tail) else "slow"
    return "agrees" if kind == "oscillates" else "slow"


def _not_real(e, name: str, a, side: str, lang: str) -> LimitResult:
    """The result where f is not real on any side asked."""
    return LimitResult(
        expression=e,
        variable=name,
        at=a,
        side=side,
        value=None,
        left=None,
        right=None,
        status="not real",
        checked="agrees",
        steps=(LimitStep("not_real", _t("not_real", lang, a=a)),),
        lang=lang,
    )


def _in_domain_near(domain, name: str, a, sides) -> bool:
    """Whether the typed function is defined at points approaching `a` from
    at least one of `sides` ('-', '+'; at ±oo, large points of that sign)."""
    if not domain:
        return True
    if not a.is_finite:
        sign = 1 if a is sympy.oo else -1
        return any(
            domain.contains({name: sign * sympy.Integer(10) ** k}) is not False
            for k in (4, 8, 12)
        )
    return any(domain.near(name, a, -1 if d == "-" else 1) for d in sides)


@bounded("find the limit")
def limit(
    expr, at, *, wrt: str | None = None, side: str = "both", lang: str = "en"
) -> LimitResult:
    """The limit of `expr` as its variable approaches `at`, with steps.

    Parameters
    ----------
    expr : str, Expression or sympy.Expr
        The function, e.g. ``"sin(x)/x"``.
    at : number, str
        The point: a number, a constant expression (``"pi/2"``), or
        ``"inf"`` / ``"-inf"``.
    wrt : str, optional
        The variable, when the expression has several.
    side : {'both', '+', '-'}
        Two-sided (default), from the right (``'+'``) or from the left.
    lang : {'en', 'zh'}

    Returns
    -------
    LimitResult
        ``.value`` (None when the limit does not exist), ``.left``,
        ``.right``, ``.status``, ``.checked`` and ``.steps``.

    Examples
    --------
    >>> import dfdx
    >>> dfdx.limit("sin(x)/x", 0).value
    1
    >>> dfdx.limit("(1+x)^(1/x)", 0).value
    E
    >>> r = dfdx.limit("abs(x)/x", 0)
    >>> r.value, r.left, r.right, r.status
    (None, -1, 1, 'sides differ')
    """
    check_lang(lang)
    if side not in ("both", "+", "-"):
        raise DfdxError(f"side must be 'both', '+' or '-', got {side!r}")
    e = as_expression(expr, name="expr")
    sym = _wrt_symbol(e, wrt)
    a = _point(at)
    real, back = real_symbols(e.sympy)
    others = [s for s in real.free_symbols if s.name != sym.name]
    if others:
        raise DfdxError(
            f"the limit is in {sym.name} alone; the expression also has "
            f"{', '.join(sorted(s.name for s in others))}: give them values first"
        )
    x = next(
        (s for s in real.free_symbols if s.name == sym.name),
        sympy.Symbol(sym.name, real=True),
    )
    if not a.is_finite:
        side = "-" if a is sympy.oo else "+"
        sides = [side]
    else:
        sides = ["-", "+"] if side == "both" else [side]
    steps: list[LimitStep] = []
    if not _in_domain_near(e.domain, sym.name, a, sides):
        # the typed f (exp(log(x)) at -1) is undefined on the side(s) asked
        return _not_real(e, sym.name, a, side, lang)
    if len(sides) == 2:
        # a side where the typed f is undefined (sqrt(x)^2 left of 0), or where
        # SymPy's form is not real (sqrt(x))
        outside = [
            d
            for d in sides
            if not e.domain.near(sym.name, a, -1 if d == "-" else 1)
            or _samples(real, x, a, d) == "complex"
        ]
        if len(outside) == 1:  # sqrt(x) at 0: only the right side is real
            sides = [d for d in sides if d not in outside]
            gone, kept = (_SIDE_WORDS[outside[0]], _SIDE_WORDS[sides[0]])
            i = 0 if lang == "en" else 1
            steps.append(
                LimitStep("domain", _t("domain", lang, a=a, gone=gone[i], kept=kept[i]))
            )
        if len(outside) == 2:
            return _not_real(e, sym.name, a, side, lang)
    found = {d: _sympy_limit(real, x, a, d) for d in sides}
    kinds = {d: _kind(v) for d, v in found.items()}
    left, right = found.get("-"), found.get("+")
    value = None
    if len(sides) == 2 and "unknown" not in kinds.values() and found["-"] != found["+"]:
        if "oscillates" in kinds.values():
            status = "oscillates"
        else:
            status = "sides differ"
        for d in sides:
            word = _SIDE_WORDS[d][0 if lang == "en" else 1]
            steps.append(
                LimitStep("side", _t("side", lang, side=word, v=_show(found[d])))
            )
        if status == "sides differ":
            steps.append(
                LimitStep(
                    "sides_differ",
                    _t("sides_differ", lang, l=_show(left), r=_show(right)),
                )
            )
    else:
        v = found[sides[0]]
        kind = kinds[sides[0]]
        if kind == "unknown" or (len(sides) == 2 and "unknown" in kinds.values()):
            status = "unknown"
        elif kind == "oscillates":
            status = "oscillates"
        else:
            status = kind
            value = v
            # undefined at a as typed (x^2/x at 0), though SymPy's form is
            # not: never "f is continuous at a"
            hole = bool(a.is_finite) and e.domain.contains({sym.name: a}) is False
            steps.extend(explain_limit(real, x, a, v, side=side, lang=lang, hole=hole))
            if kind == "infinite":
                steps.append(LimitStep("infinite", _t("infinite", lang, v=_show(v))))
    if status == "oscillates":
        bounds = next(v for v in found.values() if isinstance(v, sympy.AccumBounds))
        steps.append(
            LimitStep(
                "oscillates", _t("oscillates", lang, lo=bounds.min, hi=bounds.max)
            )
        )
        left = None if isinstance(left, sympy.AccumBounds) else left
        right = None if isinstance(right, sympy.AccumBounds) else right
    checks = [_check(real, x, a, d, found[d]) for d in sides if kinds[d] != "unknown"]
    checked = (
        "disagrees"
        if "disagrees" in checks
        else ("slow" if "slow" in checks or not checks else "agrees")
    )
    back_map = {k: v for k, v in back.items()}
    return LimitResult(
        expression=e,
        variable=sym.name,
        at=a,
        side=side,
        value=None if value is None else value.xreplace(back_map),
        left=left,
        right=right,
        status=status,
        checked=checked,
        steps=tuple(steps),
        lang=lang,
    )
