"""Exact derivatives (SymPy underneath) and tangent lines.

Expressions are differentiated with real-valued symbols, so ``abs(x)`` gives
``sign(x)`` rather than SymPy's complex-variable form, and the result is mapped
back to the expression's own symbols.
"""

from __future__ import annotations

import functools
import keyword
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import sympy
from sympy.core.cache import cacheit

from dfdx.core._bounded import bounded
from dfdx.core._checks import finite_number, float_array
from dfdx.errors import DfdxError, NotDifferentiableError, UndefinedError
from dfdx.exact.simplify import TIDY_NODES, TRIG_FUNCTIONS, at_most
from dfdx.exact.symbols import real_symbols
from dfdx.text._numbers import has_huge_numbers
from dfdx.text.codegen import number_value
from dfdx.text.expr import Expression, as_expression, call_real, is_expression_like
from dfdx.text.functions import real_diff, real_form, relu, sigmoid, softplus
from dfdx.text.textbook import for_people

__all__ = [
    "diff",
    "tangent_line",
    "TangentLine",
    "one_sided_derivatives",
    "derivative_at",
    "real_symbols",
    "at_kink",
]

# Atoms whose presence means the expression may have kinks or jumps.
_NONSMOOTH = (
    sympy.Abs,
    sympy.sign,
    sympy.Heaviside,
    sympy.Max,
    sympy.Min,
    sympy.Piecewise,
    sympy.floor,
    sympy.ceiling,
    relu,
)


#: Functions whose derivative does not depend on whether their argument is
#: known to be real (no Abs, sign, Max/Min, Piecewise, floor: those use the
#: real-symbol path).
_SMOOTH = (
    *TRIG_FUNCTIONS,
    sympy.exp,
    sympy.log,
    sympy.asin,
    sympy.acos,
    sympy.atan,
    sympy.asinh,
    sympy.acosh,
    sympy.atanh,
    sympy.erf,
    sigmoid,
    softplus,
)


def _smooth_everywhere(expr) -> bool:
    """Whether expr is built from +, *, integer powers and the _SMOOTH
    functions only (fractional powers, |x|, max... take the careful path)."""
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Function):
            if not isinstance(node, _SMOOTH):
                return False
        elif isinstance(node, sympy.Pow):
            if not node.exp.is_Integer:
                return False
        elif not isinstance(node, (sympy.Add, sympy.Mul, sympy.Symbol, sympy.Number)):
            if not node.is_number:
                return False
    return True


def _wrt_symbol(e: Expression, wrt: str | None, *, name: str = "wrt"):
    if wrt is None:
        if len(e.variables) > 1:
            raise DfdxError(
                f"expression has several variables ({', '.join(e.variables)}); "
                f"say which one with {name}="
            )
        return e.symbol(e.variables[0] if e.variables else "x")
    if (
        not isinstance(wrt, str)
        or not wrt.isidentifier()
        or wrt.startswith("_")
        or keyword.iskeyword(wrt)
    ):
        raise DfdxError(f"{name} must be a variable name, got {wrt!r}")
    return e.symbol(wrt)


def _tidy(expr: sympy.Expr) -> sympy.Expr:
    """A readable form (see :func:`dfdx.exact.simplify.tidy`)."""
    from dfdx.exact.simplify import tidy

    return tidy(expr)


@bounded("differentiate")
def diff(expr, wrt: str | None = None, n: int = 1) -> Expression:
    """Exact derivative of an expression.

    Parameters
    ----------
    expr : str, Expression or sympy.Expr
        The function, e.g. ``"3x^2 - 4x"``.
    wrt : str, optional
        The variable; required when the expression has several (that is a
        partial derivative).
    n : int, optional
        Order of the derivative, 1 or more (default 1).

    Returns
    -------
    Expression

    Examples
    --------
    >>> import dfdx
    >>> dfdx.diff("3*x**2 - 4*x")
    Expression('6*x - 4')
    >>> dfdx.diff("x^3 - 1/x")
    Expression('3*x**2 + x**(-2)')
    >>> dfdx.diff("x1*x2^2", wrt="x2")
    Expression('2*x1*x2')
    >>> dfdx.diff("sin(x)", n=2)
    Expression('-sin(x)')
    """
    e = as_expression(expr, name="expr")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise DfdxError(f"n must be a positive integer, got {n!r}")
    if n > 50:
        raise DfdxError(f"n must be at most 50, got {n!r}")
    sym = _wrt_symbol(e, wrt)
    if wrt is not None and e.variables and wrt not in e.variables:
        raise DfdxError(
            f"wrt={wrt!r} is not a variable of {for_people(e)} (variables: "
            f"{', '.join(e.variables)}){e.cancel_hint([wrt])}"
        )
    why = e.no_derivative([sym.name])
    if why is not None:  # no open set in the domain: no point to differentiate at
        d = Expression(sympy.nan)
        d.notes = (why,)
        d._domain = e.domain
        return d
    d = _derivative(e.sympy, sym, int(n))
    # f' exists only where the typed f is defined (x/x's 0 is undefined at 0)
    return d.with_domain(e.domain) if e.domain else d


#: Expressions with at most this many nodes skip the plain-symbol attempt.
_SMALL_NODES = 30


@cacheit
def _derivative(expr: sympy.Expr, sym: sympy.Symbol, n: int) -> Expression:
    """diff's work on a checked input, remembered like SymPy's own results
    (and forgotten with them by ``sympy.core.cache.clear_cache()``): the
    returned Expression is immutable, so a repeated call shares it."""
    e = Expression(expr)
    if n == 1 and not at_most(e.sympy, _SMALL_NODES) and _smooth_everywhere(e.sympy):
        # tanh, exp, sigmoid, powers...: the derivative is the same with plain
        # or real symbols, and a large one is returned as differentiated, so
        # the round trip through real symbols (rebuilding every node twice,
        # most of the time of a network loss) is skipped. A small expression
        # goes straight to the real symbols: its derivative is rarely large,
        # and differentiating it twice doubled the time of 3x^2 - 4x
        d = sympy.diff(e.sympy, sym)
        if not d.has(sympy.nan, sympy.zoo, sympy.Derivative) and not at_most(
            d, TIDY_NODES
        ):
            return Expression(d)
    real, back = real_symbols(e.sympy)
    rsym = next((r for r in back if r.name == sym.name), sym)
    # one order at a time: the (n-1)-th derivative is kept for the values at
    # jumps (see with_jump_values) without differentiating twice
    below = real_diff(real, rsym, int(n) - 1) if n > 1 else real
    d = real_diff(below, rsym)
    if d.has(sympy.nan, sympy.zoo):
        raise UndefinedError(
            f"the derivative of {for_people(e)} with respect to {sym.name} is undefined "
            f"everywhere (SymPy gives {sympy.sstr(d)[:60]})"
        )
    if d.has(sympy.Derivative):
        left = next(iter(d.atoms(sympy.Derivative))).xreplace(back)
        raise DfdxError(
            f"SymPy cannot differentiate {for_people(e)} with respect to {sym.name}: it "
            f"leaves {sympy.sstr(left)[:80]} unevaluated"
        )
    d = _tidy(d).xreplace(back)
    result = Expression(d)
    lower = e if n == 1 else Expression(below.xreplace(back))
    return result.with_jump_values(functools.partial(_exact_slope, lower, sym.name))


def _exact_slope(f: Expression, wrt: str, point: dict) -> float:
    """f'(point) with respect to `wrt` from one-sided limits, NaN where it
    does not exist (the value of a derivative where its formula has a jump)."""
    if len(f.variables) > 1:
        return math.nan
    try:
        _, slope = derivative_at(f, point.get(wrt, 0.0), wrt)
    except DfdxError:
        return math.nan
    value = _finite_number(slope)
    return math.nan if value is None else value


def _equal_numbers(a, b) -> bool:
    """Whether the numbers `a` and `b` are equal. Unequal where their values
    differ relative to their size (two limits 1e-12 apart, or 1e-20 and
    2e-20, however small); where they agree to 1e-9, equal if either is a
    Float (a sampled limit, known only to its digits), else if the cheap
    rewrites reduce a - b to 0, or their difference evaluated to 50 digits
    is below 1e-40 of their size, or vanishes as the precision grows. No
    SymPy simplify or ``equals`` (they import sympy.physics)."""
    from dfdx.exact.simplify import reduces_to_zero

    a, b = sympy.sympify(a), sympy.sympify(b)
    fa, fb = _finite_number(a), _finite_number(b)
    if fa is not None and fb is not None:
        # (both within 1e-30 of 0 can still be equal: 30 digits of an exact 0
        # written another way may come out as noise)
        if abs(fa - fb) > max(1e-9 * max(abs(fa), abs(fb)), 1e-30):
            return False
    if a == b:
        return True
    if fa is None or fb is None:
        return False
    if a.has(sympy.Float) or b.has(sympy.Float):
        return True
    if not _high_degree_roots(a - b) and reduces_to_zero(a - b):
        return True
    try:
        gap = sympy.N(a - b, 50)  # the difference to 50 digits of its own
        if not gap.is_number:
            return False
        if gap == 0 or abs(gap) <= sympy.Float(10, 50) ** -40 * max(abs(fa), abs(fb)):
            return True
        # an exact 0 written another way: its difference shrinks with the
        # precision it is evaluated at (a true 1e-131 does not)
        return bool(abs(sympy.N(a - b, 100)) < sympy.Float(10, 50) ** -30 * abs(gap))
    except (TypeError, ValueError, ArithmeticError):
        return False


def _finite_number(value, prec: int = 30) -> float | None:
    """`value` as a float if it is a finite real number (evaluated with `prec`
    digits), else None."""
    if value is None:
        return None
    kind, c = number_value(value, prec)
    if kind != "finite":
        return None
    if abs(c.imag) > 1e-12 * max(1.0, abs(c.real)):
        return None
    return c.real


def at_kink(expr: sympy.Expr, point: dict) -> bool:
    """Whether `point` ({symbol: exact value}) sits where a non-smooth piece of
    `expr` switches: an argument of abs/sign/relu/Heaviside is 0, or two
    arguments of max/min tie. (Piecewise, floor and ceiling always count.)"""
    if not expr.has(*_NONSMOOTH):
        return False
    for atom in expr.atoms(*_NONSMOOTH):
        if isinstance(atom, (sympy.Piecewise, sympy.floor, sympy.ceiling)):
            return True
        args = [arg.xreplace(point) for arg in atom.args]
        if isinstance(atom, (sympy.Max, sympy.Min)):
            nums = [_finite_number(arg) for arg in args]
            if any(v is None for v in nums) or len(set(nums)) < len(nums):
                return True
        elif args and _finite_number(args[0]) in (None, 0.0):
            return True
    return False


# -- one-sided limits: SymPy's answer, checked against high-precision samples --

# t = 1e-4, 1e-8, ..., 1e-24: where the one-sided quotients are sampled
_STEPS = tuple(sympy.Rational(1, 10**k) for k in (4, 8, 12, 16, 20, 24))


def _num(e, prec: int = 50):
    """`e` as a real float at high precision, or None (undefined / not real)."""
    return _finite_number(e, prec)


def _trend(values, candidate=None):
    """The limit of a sequence sampled at t = 1e-4, 1e-8, ..., 1e-24: a float,
    +-oo, or nan (no limit). A `candidate` limit (SymPy's) is accepted when
    the samples close in on it."""
    if any(v is None for v in values):
        return sympy.nan
    if candidate is not None:
        if candidate in (sympy.oo, -sympy.oo):
            sign = 1 if candidate == sympy.oo else -1
            if all(sign * v > 0 for v in values) and all(
                abs(b) > abs(a) for a, b in zip(values, values[1:])
            ):
                return candidate
        else:
            c = _finite_number(candidate)
            if c is not None:
                dist = [abs(v - c) for v in values]
                scale = max(1.0, abs(c))
                if dist[-1] <= 1e-3 * scale and all(
                    b <= a or b <= 1e-12 * scale for a, b in zip(dist, dist[1:])
                ):
                    return candidate
    steps = [abs(b - a) for a, b in zip(values, values[1:])]
    last = values[-1]
    if steps[-1] <= 1e-9 * max(1.0, abs(last)) and steps[-1] <= steps[-2]:
        if abs(last) <= steps[-1]:
            # still moving by more than its own size: it tends to 0 (x at
            # t = 1e-24 is 1e-24, and 1e-24 is not a jump from f(0) = 0)
            return 0.0
        return last
    if all(v * last > 0 for v in values) and all(
        abs(b) > 2 * abs(a) for a, b in zip(values, values[1:])
    ):
        return sympy.oo if last > 0 else -sympy.oo
    return sympy.nan


def _exact(value):
    """A readable exact number for a sampled limit."""
    if not isinstance(value, float):
        return value
    # a sampled limit is good to about 1e-15 relative: a simple number within
    # 1e-13 of it is taken for it (within 1e-9, 1 + 2e-12 was shown as 1)
    guess = sympy.nsimplify(value, [sympy.pi, sympy.E], tolerance=1e-13)
    if abs(float(guess) - value) <= 1e-13 * max(1.0, abs(value)):
        return guess
    return sympy.Float(value, 12)


def _symbolic_limit(e, t):
    if has_huge_numbers(e) or _high_degree_roots(e):
        # SymPy's series would grind through huge integers or radicals
        return None
    try:
        value = sympy.limit(real_form(e), t, 0, "+")
    except (NotImplementedError, ValueError, TypeError, AttributeError):
        return None
    if value in (sympy.oo, -sympy.oo) or _finite_number(value) is not None:
        return value
    return None


def _at(e, x, value):
    """`e` with `x` = `value`, nothing evaluated exactly: at x = 1 + 10^-24,
    x^x would be an exact root of a 25-digit rational (minutes, in one
    arithmetic operation no time limit can interrupt); N evaluates it."""
    with sympy.evaluate(False):
        return e.xreplace({x: value})


def _one_sided(real, x, a, fa, side: int):
    t = sympy.Symbol("t", positive=True)
    quotient = (real.subs(x, a + side * t) - fa) / (side * t)
    values = [_num(_at(quotient, t, s)) for s in _STEPS]
    return _exact(_trend(values, _symbolic_limit(quotient, t)))


def _side_limit(real, x, a, side: int):
    t = sympy.Symbol("t", positive=True)
    values = [_num(_at(real, x, a + side * s)) for s in _STEPS]
    return _exact(_trend(values, _symbolic_limit(real.subs(x, a + side * t), t)))


def one_sided_derivatives(expr, at, wrt: str | None = None):
    """Left and right derivatives of `expr` at `at`: limits of the difference
    quotient, SymPy's exact limit when high-precision samples (t = 1e-4 ...
    1e-24) close in on it, else the limit the samples show. Returns SymPy
    values: numbers, ``oo``/``-oo``, or ``nan`` where there is no limit."""
    e = as_expression(expr, name="expr")
    sym = _wrt_symbol(e, wrt)
    real, back = real_symbols(e.sympy)
    rsym = next((r for r in back if r.name == sym.name), sym)
    a = _exact_point(at)
    fa = real.subs(rsym, a)
    left = _one_sided(real, rsym, a, fa, -1)
    right = _one_sided(real, rsym, a, fa, 1)
    return left, right


def derivative_at(expr, at, wrt: str | None = None):
    """f(a) and f'(a) exactly, or a clear error where either does not exist.

    Returns
    -------
    value, slope : sympy.Expr
        Exact values (use ``float()`` for numbers).

    Raises
    ------
    UndefinedError
        When f is undefined at `at` (e.g. ``1/x`` at 0, ``log(x)`` at -1).
    NotDifferentiableError
        When f is defined but has no derivative there (``abs(x)`` at 0,
        ``sqrt(x)`` at 0); the message gives the one-sided derivatives.
    """
    e = as_expression(expr, name="f")
    sym = _wrt_symbol(e, wrt)
    a = _exact_point(at)
    label = f"{sym.name} = {_fmt_number(at)}"
    real, back = real_symbols(e.sympy)
    rsym = next((r for r in back if r.name == sym.name), sym)
    value = real.subs(rsym, a)
    domain = e.domain
    typed = e.written_text if domain else str(e)
    if domain.contains({sym.name: a}) is False:
        raise UndefinedError(
            f"f({sym.name}) = {typed} is undefined at {label} (its domain: {domain})"
        )
    if _finite_number(value) is None:
        _refuse_overflow(value, f"f({_fmt_number(at)})", e)
        raise UndefinedError(f"f({sym.name}) = {for_people(e)} is undefined at {label}")
    # a side that only the typed form lacks (sqrt(x)^2 is x, also left of 0);
    # where SymPy's form lacks it too, the one-sided limits below say so
    lost = domain.without(e.sympy)
    one_side = [s for s in (-1, 1) if not lost.near(sym.name, a, s)]
    if one_side:
        gone = "left" if one_side[0] == -1 else "right"
        raise NotDifferentiableError(
            f"f({sym.name}) = {typed} is not differentiable at {label}: it is "
            f"not defined to the {gone} of {_fmt_number(at)} (its domain: {domain})",
            left=None,
            right=None,
        )
    if domain and not any(domain.near(sym.name, a, s) for s in (-1, 1)):
        raise NotDifferentiableError(
            f"f({sym.name}) = {typed} is not differentiable at {label}: it is "
            f"defined there but at no point beside it (its domain: {domain})",
            left=None,
            right=None,
        )
    d = real_diff(real, rsym)
    slope = d.subs(rsym, a)
    if _finite_number(slope) is None:
        _refuse_overflow(slope, f"f'({_fmt_number(at)})", e)
    if _finite_number(slope) is not None and not at_kink(real, {rsym: a}):
        return value, slope
    # kinks, cusps, vertical tangents: look at the one-sided limits
    try:
        left, right = one_sided_derivatives(e, a, sym.name)
    except (NotImplementedError, ValueError, TypeError):
        left = right = None
    lf = _finite_number(left) if left is not None else None
    rf = _finite_number(right) if right is not None else None
    if lf is not None and rf is not None and _equal_numbers(left, right):
        return value, left
    sides = f"left derivative {_fmt_sym(left)}, right derivative {_fmt_sym(right)}"
    # a jump shows up as infinite one-sided quotients: say what really happens
    limits = [_side_limit(real, rsym, a, side) for side in (-1, 1)]
    fa = _finite_number(value)
    if fa is not None and any(
        _finite_number(lim) is not None and not _equal_numbers(lim, value)
        for lim in limits
    ):
        sides = (
            f"f is not continuous there: f({_fmt_number(at)}) = {_fmt_sym(value)}, "
            f"limit {_fmt_sym(limits[0])} from the left and {_fmt_sym(limits[1])} "
            "from the right"
        )
    if left is not None and left == right and left in (sympy.oo, -sympy.oo):
        # continuous there (checked above) with an infinite slope on both sides
        sides += f": a vertical tangent, the line {sym.name} = {_fmt_number(at)}"
    raise NotDifferentiableError(
        f"f({sym.name}) = {for_people(e)} is not differentiable at {label} ({sides})",
        left=left,
        right=right,
    )


_FLOAT_MAX = float(np.finfo(float).max)


def _refuse_overflow(value, what: str, e) -> None:
    """Raise a clear DfdxError when `value` is a finite real number that no
    float can hold (exp(x) at 800): that is not "undefined"."""
    kind, v = number_value(value, 30)
    if kind == "overflow":
        size = "beyond float range" if v is None else sympy.sstr(sympy.Float(v, 3))
        raise DfdxError(
            f"{what} = {size} for f = {for_people(e)}: too large "
            "for floating point (largest float ≈ 1.8e308)"
        )


def _fmt_sym(v) -> str:
    if v is None:
        return "unknown"
    if v == sympy.oo:
        return "+inf"
    if v == -sympy.oo:
        return "-inf"
    if v is sympy.nan or v == sympy.zoo or v.has(sympy.I) or v.is_real is False:
        return "does not exist"
    return str(v)


def _fmt_number(v) -> str:
    """Short decimal for a number: 1.0 -> '1', 0.5 -> '0.5', 1/3 -> '0.333333'."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if f == 0:
        return "0"
    if f.is_integer() and abs(f) < 1e15:
        return str(int(f))
    r = repr(f)
    return r if len(r) <= 10 else f"{f:.6g}"


@dataclass(frozen=True)
class TangentLine:
    """The tangent line y = slope·x + intercept to f at x = `point`.

    Callable (vectorised): ``t(x)`` is the line's value at x. ``exact`` says
    whether the slope comes from an exact derivative (expression input) or a
    numerical one (callable input), in which case ``error`` is an estimate of
    the slope's absolute error.
    """

    point: float
    value: float
    slope: float
    intercept: float
    exact: bool
    variable: str = "x"
    function: str = ""
    error: float = 0.0
    method: str = "exact"
    _symbolic: tuple = field(default=(), repr=False, compare=False)

    def __call__(self, x):
        a = float_array(x, "x")
        return self.slope * (a if a.ndim else float(a)) + self.intercept

    def equation(self, *, digits: int = 6) -> str:
        """``'y = 2x - 3'``: exact coefficients when known, else `digits` significant."""
        if self.exact and self._symbolic:
            m, b = self._symbolic
            return _line_text(m, b, self.variable, exact=True, digits=digits)
        return _line_text(self.slope, self.intercept, self.variable, digits=digits)

    def __str__(self) -> str:
        text = self.equation()
        if not self.exact:
            text += f"  (numerical slope, error ≈ {self.error:.1e})"
        return text

    @property
    def latex(self) -> str:
        if self.exact and self._symbolic:
            m, b = self._symbolic
            if m.is_Rational and b.is_Rational:
                v = sympy.Symbol(self.variable)
                lhs = "y" if self.variable != "y" else "f(y)"
                return f"{lhs} = " + sympy.latex(sympy.expand(m * v + b))
        return self.equation()

    def _repr_latex_(self) -> str:
        return f"${self.latex}$"


def _coef_text(v, digits: int) -> str:
    """A coefficient as text: exact when short (2, -0.75, 1/3), else `digits`
    significant digits."""
    v = sympy.sympify(v)
    if v.is_Integer:
        return str(v)
    if v.is_Rational:
        f = float(v)
        short = f"{f:.8g}"
        if sympy.Rational(short) == v:
            return short
        if len(str(v.p)) + len(str(v.q)) <= 12:
            return f"{v.p}/{v.q}"
        return f"{f:.{digits}g}"
    return f"{float(v):.{digits}g}"


def _line_text(m, b, var: str, *, exact: bool = False, digits: int = 6) -> str:
    """'y = 2x - 3' from slope and intercept (exact SymPy numbers or floats)."""
    if not exact:
        m, b = float(m), float(b)
        # a whole float is written as an integer up to 1e15 (1e308 is not
        # a 309-digit integer to a reader)
        m = (
            sympy.Integer(int(m))
            if m.is_integer() and abs(m) < 1e15
            else sympy.Float(m)
        )
        b = (
            sympy.Integer(int(b))
            if b.is_integer() and abs(b) < 1e15
            else sympy.Float(b)
        )
    ms = _coef_text(m, digits)
    bs = _coef_text(b, digits)
    parts = []
    if ms not in ("0", "-0"):
        if "/" in ms:
            ms = f"({ms})"
        parts.append({"1": "", "-1": "-"}.get(ms, ms) + var)
    if bs not in ("0", "-0") or not parts:
        if parts:
            sign = " - " if bs.startswith("-") else " + "
            parts.append(sign + bs.lstrip("-"))
        else:
            parts.append(bs)
    lhs = "y" if var != "y" else "f(y)"
    return f"{lhs} = " + "".join(parts)


def _numeric_slope(f: Callable, a: float) -> tuple[float, float, float]:
    """f(a), f'(a) and an error estimate for a Python callable."""
    from dfdx.numeric import derivative

    fa = call_real(f, a)
    try:
        res = derivative(f, a)
    except DfdxError:
        raise
    except Exception as exc:  # the user's function failed on an array of points
        raise DfdxError(
            f"could not differentiate f numerically at x = {_fmt_number(a)}: called "
            f"on a NumPy array of points, f raised {type(exc).__name__}: {exc} "
            "(make f work elementwise on arrays, e.g. with np.sin instead of math.sin)"
        ) from exc
    if res.status < 0 and not np.isfinite(res.df):
        raise NotDifferentiableError(
            f"could not find a finite derivative of the function at x = {_fmt_number(a)}"
        )
    if res.status in (-1, -4):  # did not converge: a jump, a kink, noise...
        raise NotDifferentiableError(
            f"could not find a reliable derivative of the function at x = "
            f"{_fmt_number(a)} ({res.message}: estimate {float(res.df):.6g} "
            f"± {float(res.error):.2g}); it may not be differentiable there"
        )
    # a symmetric stencil cannot see a kink exactly at x (|x| at 0 gives 0):
    # compare the one-sided derivatives, each with its own error estimate
    left = derivative(f, a, method="backward")
    right = derivative(f, a, method="forward")
    lo, hi = float(left.df), float(right.df)
    allowed = 4 * (float(left.error) + float(right.error)) + 1e-9 * max(
        abs(lo), abs(hi)
    )
    if not (np.isfinite(lo) and np.isfinite(hi)) or abs(hi - lo) > allowed:
        raise NotDifferentiableError(
            f"the function appears not to be differentiable at x = {_fmt_number(a)}: "
            f"numerical one-sided derivatives differ (left ≈ {lo:.6g}, "
            f"right ≈ {hi:.6g})",
            left=lo,
            right=hi,
        )
    return fa, float(res.df), float(res.error)


@bounded("find the tangent line")
def tangent_line(f, at) -> TangentLine:
    """The tangent line to f at x = `at`.

    Parameters
    ----------
    f : str, Expression, sympy.Expr or callable
        The function. For expressions the slope is exact; for a Python callable
        it is a numerical derivative, and the result says so (``exact=False``,
        with an error estimate).
    at : float
        The point of tangency.

    Returns
    -------
    TangentLine

    Raises
    ------
    UndefinedError
        If f is undefined at `at`.
    NotDifferentiableError
        If f has no derivative at `at` (the message gives both one-sided
        derivatives).

    Examples
    --------
    >>> import dfdx
    >>> t = dfdx.tangent_line("3x^2 - 4x", at=1)
    >>> print(t)
    y = 2x - 3
    >>> t.slope, t.intercept
    (2.0, -3.0)
    >>> print(dfdx.tangent_line("x^3 - 1/x", at=1))
    y = 4x - 4
    """
    a = finite_number(at, "at")
    if is_expression_like(f):
        e = as_expression(f, name="f")
        if len(e.variables) > 1:
            raise DfdxError(
                f"f has several variables ({', '.join(e.variables)}); a tangent "
                "line needs a function of one variable"
            )
        var = e.variables[0] if e.variables else "x"
        value, slope = derivative_at(e, at, var)
        a_exact = _exact_point(at)
        intercept = value - slope * a_exact
        return TangentLine(
            point=a,
            value=float(value),
            slope=float(slope),
            intercept=float(intercept),
            exact=True,
            variable=var,
            function=str(e),
            _symbolic=_exact_coefficients(slope, intercept),
        )
    if not callable(f):
        raise DfdxError(
            f"f must be an expression or a callable, got {type(f).__name__}"
        )
    value, slope, err = _numeric_slope(f, a)
    if not math.isfinite(value):
        raise UndefinedError(f"the function is undefined at x = {_fmt_number(a)}")
    return TangentLine(
        point=a,
        value=value,
        slope=slope,
        intercept=value - slope * a,
        exact=False,
        function=getattr(f, "__name__", "f"),
        error=err,
        method="numerical",
    )


def _exact_coefficients(slope, intercept) -> tuple:
    """Readable exact slope and intercept, or () where they hold roots of
    high degree (x^x at 1.000000000001 has 1000000000001^(1/10^12)-like
    powers: exact algebra on them runs for minutes in single operations
    that no time limit interrupts, and shows nothing a learner can read), or
    numbers of more than HUGE_DIGITS digits (a tangent at x = 1e-300 is
    exact in 300-digit rationals, whose gcd in the tidying ran in C for a
    minute on a busy machine)."""
    if any(_high_degree_roots(c) or has_huge_numbers(c) for c in (slope, intercept)):
        return ()
    return (_tidy(slope), _tidy(intercept))


def _high_degree_roots(e) -> bool:
    """Whether `e` has a power with a rational exponent of denominator above
    _MAX_ROOT_DEGREE (SymPy's exact algebra on such roots can run for
    minutes inside single operations)."""
    return any(
        p.exp.is_Rational and p.exp.q > _MAX_ROOT_DEGREE for p in e.atoms(sympy.Pow)
    )


#: Roots of higher degree than this are not handled exactly for display.
_MAX_ROOT_DEGREE = 1000


def _exact_point(at):
    """A point as an exact SymPy number: floats by their shortest decimal
    (0.1 -> 1/10, float32 0.1 -> 1/10), so exact answers stay readable.
    Never hands text to SymPy."""
    from decimal import Decimal
    from fractions import Fraction

    if isinstance(at, np.ndarray) and at.ndim == 0:
        at = at[()]
    if isinstance(at, sympy.Basic) and at.is_number:
        return at
    if isinstance(at, (bool, np.bool_)):
        raise DfdxError(f"at must be a number, got {at!r}")
    if isinstance(at, (int, np.integer)):
        return sympy.Integer(int(at))
    if isinstance(at, Fraction):
        return sympy.Rational(at.numerator, at.denominator)
    if isinstance(at, Decimal) and at.is_finite():
        return sympy.Rational(str(at))
    if isinstance(at, np.floating) and np.isfinite(at):
        # numpy prints the shortest decimal of its own precision
        return sympy.Rational(
            str(np.format_float_positional(at, unique=True, trim="0"))
        )
    value = finite_number(at, "at")
    if value != 0 and not float(value).is_integer():
        # math.pi / 2 means pi/2: a float that is exactly a simple multiple of
        # pi or e is read as that (tan(x) at math.pi/2 is undefined, not huge)
        guess = sympy.nsimplify(value, [sympy.pi, sympy.E])
        if guess.has(sympy.pi, sympy.E) and float(guess) == value:
            return guess
    return sympy.Rational(repr(value))
