"""The catalogue of slips: the wrong derivatives learners write (a dropped
term of the product rule, a missing inner derivative, a sign of the
derivative of cos...), each built from the expression's own parts, so a
wrong answer can be named by the slip that gives it."""

from __future__ import annotations

import sympy

from dfdx.text.functions import real_root

#: The named slips: id -> (English, Chinese) description.
SLIPS: dict[str, tuple[str, str]] = {
    "chain_inner": (
        "forgot the chain rule's inner derivative: d/dx f(g(x)) = "
        "f′(g(x))·g′(x), and the factor g′(x) is missing",
        "链式法则漏乘了内层函数的导数：d/dx f(g(x)) = f′(g(x))·g′(x)，缺少因子 g′(x)",
    ),
    "log_no_inner": (
        "the derivative of ln u was written 1/u without the factor u′: "
        "d/dx ln u = u′/u",
        "把 ln u 的导数写成了 1/u，漏乘 u′：d/dx ln u = u′/u",
    ),
    "product_as_derivatives": (
        "the product rule was written as f′·g′; it is (f·g)′ = f′·g + f·g′",
        "把乘法法则写成了 f′·g′；正确的是 (f·g)′ = f′·g + f·g′",
    ),
    "product_missing_term": (
        "a term of the product rule is missing: (f·g)′ = f′·g + f·g′ has a "
        "term for each factor",
        "乘法法则少了一项：(f·g)′ = f′·g + f·g′，每个因子都对应一项",
    ),
    "quotient_swapped": (
        "the quotient rule's numerator has its terms swapped (a sign error): "
        "(f/g)′ = (f′·g − f·g′)/g²",
        "除法法则分子的两项写反了（符号错误）：(f/g)′ = (f′·g − f·g′)/g²",
    ),
    "quotient_plus": (
        "the quotient rule's numerator has + where it has −: "
        "(f/g)′ = (f′·g − f·g′)/g², not (f′·g + f·g′)/g²",
        "除法法则分子中的减号写成了加号：(f/g)′ = (f′·g − f·g′)/g²，"
        "而不是 (f′·g + f·g′)/g²",
    ),
    "quotient_no_square": (
        "the quotient rule's denominator is not squared: (f/g)′ = (f′·g − f·g′)/g²",
        "除法法则的分母没有平方：(f/g)′ = (f′·g − f·g′)/g²",
    ),
    "quotient_as_derivatives": (
        "the quotient rule was written as f′/g′; it is (f/g)′ = (f′·g − f·g′)/g²",
        "把除法法则写成了 f′/g′；正确的是 (f/g)′ = (f′·g − f·g′)/g²",
    ),
    "power_not_lowered": (
        "the power rule's exponent was not lowered: d/dx xⁿ = n·xⁿ⁻¹, not n·xⁿ",
        "幂法则的指数没有减 1：d/dx xⁿ = n·xⁿ⁻¹，而不是 n·xⁿ",
    ),
    "power_exponent_raised": (
        "the power rule's exponent was raised instead of lowered: "
        "d/dx xⁿ = n·xⁿ⁻¹, not n·xⁿ⁺¹",
        "幂法则的指数加了 1 而不是减 1：d/dx xⁿ = n·xⁿ⁻¹，而不是 n·xⁿ⁺¹",
    ),
    "power_no_coefficient": (
        "the power rule's factor n is missing: d/dx xⁿ = n·xⁿ⁻¹ (for a square "
        "root that is the ½: d/dx √x = 1/(2√x))",
        "幂法则漏掉了系数 n：d/dx xⁿ = n·xⁿ⁻¹（平方根的系数是 ½：d/dx √x = 1/(2√x)）",
    ),
    "power_sign_dropped": (
        "the minus sign of a negative exponent was dropped: d/dx x⁻ⁿ = −n·x⁻ⁿ⁻¹ "
        "(d/dx 1/x = −1/x²)",
        "丢掉了负指数带来的负号：d/dx x⁻ⁿ = −n·x⁻ⁿ⁻¹（d/dx 1/x = −1/x²）",
    ),
    "power_rule_on_exponential": (
        "the power rule was applied to a variable exponent: d/dx aˣ = aˣ·ln a "
        "and d/dx eˣ = eˣ, not x·aˣ⁻¹",
        "把幂法则用在了变量指数上：d/dx aˣ = aˣ·ln a，d/dx eˣ = eˣ，而不是 x·aˣ⁻¹",
    ),
    "exponential_rule_on_power": (
        "the variable base was treated as a constant: for f(x)^g(x) use "
        "logarithmic differentiation, d/dx xˣ = xˣ·(ln x + 1)",
        "把变量底数当成了常数：f(x)^g(x) 要用对数求导法，d/dx xˣ = xˣ·(ln x + 1)",
    ),
    "exponential_missing_log": (
        "the factor ln a is missing: d/dx aˣ = aˣ·ln a (only eˣ is its own derivative)",
        "漏掉了因子 ln a：d/dx aˣ = aˣ·ln a（只有 eˣ 的导数是它自身）",
    ),
    "log_base_as_ln": (
        "a logarithm to base a was differentiated as ln: d/dx logₐ x = "
        "1/(x·ln a), not 1/x",
        "把以 a 为底的对数当成了 ln 求导：d/dx logₐ x = 1/(x·ln a)，而不是 1/x",
    ),
    "trig_swapped": (
        "a trigonometric derivative was taken from its partner function: "
        "d/dx sin x = cos x, d/dx cos x = −sin x, d/dx tan x = sec² x, "
        "d/dx sec x = sec x·tan x",
        "三角函数的导数用了与之配对的函数的公式：d/dx sin x = cos x，"
        "d/dx cos x = −sin x，d/dx tan x = sec² x，d/dx sec x = sec x·tan x",
    ),
    "trig_sign": (
        "sign error in a trigonometric derivative: d/dx sin x = cos x, "
        "d/dx cos x = −sin x",
        "三角函数求导的符号错了：d/dx sin x = cos x，d/dx cos x = −sin x",
    ),
    "constant_nonzero": (
        "a constant term was differentiated as non-zero: the derivative of a "
        "constant is 0",
        "常数项的导数不是 0：常数的导数是 0",
    ),
    "partial_not_held": (
        "the other variables were not held constant: in a partial derivative "
        "every other variable is a constant",
        "没有把其他变量当作常数：求偏导数时其他变量都是常数",
    ),
    "wrong_variable": (
        "this is the derivative with respect to another variable",
        "这是对另一个变量的导数",
    ),
    "not_differentiable": (
        "the derivative does not exist at this point, so no number is its value",
        "该点处导数不存在，所以没有哪个数是它的值",
    ),
}

# slips whose 'everywhere' form means nothing (dropping every term is 0)
_SITE_ONLY = {"product_missing_term"}
# most places a slip is tried one at a time
_MAX_SITES = 12
_TRIG = (sympy.sin, sympy.cos, sympy.tan, sympy.cot, sympy.sec, sympy.csc)
# each trigonometric function's partner, whose derivative is mixed up with it
_PARTNER = {
    sympy.sin: sympy.cos,
    sympy.cos: sympy.sin,
    sympy.tan: sympy.sec,
    sympy.sec: sympy.tan,
    sympy.cot: sympy.csc,
    sympy.csc: sympy.cot,
}


# ---------------------------------------------------------------------------
# Differentiation with one slip
# ---------------------------------------------------------------------------


class _Slipper:
    """Differentiate like the rules of :func:`dfdx.explain`, but with `slip`
    applied at its `target`-th place (every place when `target` is None).
    With no slip the result equals ``sympy.diff``."""

    def __init__(self, x, slip: str | None = None, target: int | None = None):
        self.x = x
        self.slip = slip
        self.target = target
        self.sites = 0
        self.fired_at = None
        self.others_vary = slip == "partial_not_held"

    def fire(self, slip: str, node) -> bool:
        if slip != self.slip:
            return False
        k = self.sites
        self.sites += 1
        if self.target is None or self.target == k:
            if self.fired_at is None:
                self.fired_at = node
            return True
        return False

    def _varies(self, e) -> bool:
        if self.others_vary:
            return bool(e.free_symbols)
        return e.has(self.x)

    def d(self, e):
        if e.is_Symbol:
            if e == self.x:
                return sympy.S.One
            if self.others_vary:
                self.fire("partial_not_held", e)
                return sympy.S.One
            return sympy.S.Zero
        if not self._varies(e):
            return sympy.S.Zero
        if e.is_Add:
            parts = []
            for term in e.args:
                if not self._varies(term):
                    if self.fire("constant_nonzero", term):
                        parts.append(term)
                    continue
                parts.append(self.d(term))
            return sympy.Add(*parts)
        if e.is_Mul:
            return self._mul(e)
        root = _root_power(e)
        if root is not None:  # x^(2/3) as typed: the power rule, real roots
            b, p = root
            return self._power_rule(e, b, p, lambda k: real_root(b, k.p, k.q))
        if e.is_Pow:
            return self._pow(e)
        if isinstance(e, sympy.exp):
            return self._exp(e)
        if isinstance(e, sympy.log) and len(e.args) == 1:
            u = e.args[0]
            du = self.d(u)
            if u != self.x and self.fire("log_no_inner", e):
                return 1 / u
            return du / u
        if isinstance(e, sympy.Function) and len(e.args) == 1:
            u = e.args[0]
            du = self.d(u)
            t = sympy.Dummy("t", real=True)
            outer = sympy.diff(e.func(t), t).xreplace({t: u})
            if isinstance(e, _TRIG) and self.fire("trig_sign", e):
                outer = -outer
            elif isinstance(e, _TRIG) and self.fire("trig_swapped", e):
                outer = sympy.diff(_PARTNER[e.func](t), t).xreplace({t: u})
            if u != self.x and self.fire("chain_inner", e):
                return outer
            return outer * du
        return sympy.diff(e, self.x)  # no rule with a named slip

    def _mul(self, e):
        const, rest = e.as_independent(
            *(e.free_symbols if self.others_vary else {self.x})
        )
        if const != 1:
            # log_a(u) is ln(u)/ln(a) in SymPy: the slip forgets the 1/ln(a)
            bases = [
                f.base
                for f in sympy.Mul.make_args(const)
                if f.is_Pow and f.exp == -1 and isinstance(f.base, sympy.log)
            ]
            if bases and isinstance(rest, sympy.log) and self.fire("log_base_as_ln", e):
                return const * sympy.Mul(*bases) * self.d(rest)
            return const * self.d(rest)
        factors = rest.args if rest.is_Mul else (rest,)
        if len(factors) == 1:
            return self.d(factors[0])
        den = [
            f.base ** (-f.exp)
            for f in factors
            if f.is_Pow and f.exp.is_number and f.exp.is_negative
        ]
        num = [
            f
            for f in factors
            if not (f.is_Pow and f.exp.is_number and f.exp.is_negative)
        ]
        if den and num:
            u, v = sympy.Mul(*num), sympy.Mul(*den)
            du, dv = self.d(u), self.d(v)
            if self.fire("quotient_swapped", e):
                return (u * dv - du * v) / v**2
            if self.fire("quotient_plus", e):
                return (du * v + u * dv) / v**2
            if self.fire("quotient_no_square", e):
                return (du * v - u * dv) / v
            if self.fire("quotient_as_derivatives", e):
                return du / dv if dv != 0 else sympy.nan
            return (du * v - u * dv) / v**2
        # f·(the rest), as explain() splits a product
        u, v = factors[0], sympy.Mul(*factors[1:])
        du, dv = self.d(u), self.d(v)
        terms = []
        if not self.fire("product_missing_term", e):
            terms.append(du * v)
        if not self.fire("product_missing_term", e):
            terms.append(u * dv)
        if self.fire("product_as_derivatives", e):
            return du * dv
        return sympy.Add(*terms)

    def _power_rule(self, e, b, p, power):
        """d/dx b^p for a constant p, where power(k) is b^k."""
        db = self.d(b)
        if self.fire("power_not_lowered", e):
            return p * power(p) * db
        if self.fire("power_exponent_raised", e):
            return p * power(p + 1) * db
        if p != 1 and self.fire("power_no_coefficient", e):
            return power(p - 1) * db
        if p.is_negative and self.fire("power_sign_dropped", e):
            return -p * power(p - 1) * db
        if b != self.x and self.fire("chain_inner", e):
            return p * power(p - 1)
        return p * power(p - 1) * db

    def _pow(self, e):
        b, p = e.base, e.exp
        vb, vp = self._varies(b), self._varies(p)
        if vb and not vp:
            return self._power_rule(e, b, p, lambda k: b**k)
        if vp and not vb:
            dp = self.d(p)
            if self.fire("power_rule_on_exponential", e):
                return p * b ** (p - 1) * dp
            if b != sympy.E and self.fire("exponential_missing_log", e):
                return b**p * dp
            if p != self.x and self.fire("chain_inner", e):
                return b**p * sympy.log(b)
            return b**p * sympy.log(b) * dp
        db, dp = self.d(b), self.d(p)
        if self.fire("power_rule_on_exponential", e):
            return p * b ** (p - 1) * db
        if self.fire("exponential_rule_on_power", e):
            return b**p * sympy.log(b) * dp
        return e * (dp * sympy.log(b) + p * db / b)

    def _exp(self, e):
        u = e.args[0]
        du = self.d(u)
        if self.fire("power_rule_on_exponential", e):
            return u * sympy.exp(u - 1) * du
        if u != self.x and self.fire("chain_inner", e):
            return e
        return e * du


def _root_power(e):
    """(b, p/q) for a real root as typed: real_root(b, p, q), or
    real_root(b, 1, q)**m (x^(2/3)); None for anything else."""
    if isinstance(e, real_root):
        return e.args[0], e.exponent
    if e.is_Pow and isinstance(e.base, real_root) and e.exp.is_Integer:
        return e.base.args[0], e.base.exponent * e.exp
    return None


def _slipped(f, x):
    """(slip, node where it was made or None, derivative) for every slip, at
    each place it applies (up to _MAX_SITES) and everywhere at once."""
    for slip in SLIPS:
        if slip == "wrong_variable":
            continue
        every = _Slipper(x, slip)
        g = every.d(f)
        if every.sites == 0:
            continue
        if every.sites == 1:
            yield slip, every.fired_at, g
            continue
        for k in range(min(every.sites, _MAX_SITES)):
            one = _Slipper(x, slip, k)
            g_one = one.d(f)
            yield slip, one.fired_at, g_one
        if slip not in _SITE_ONLY:
            yield slip, None, g
