"""The domain of an expression as it was typed.

SymPy simplifies while it builds: ``x/x`` becomes ``1``, ``sqrt(x)^2`` becomes
``x`` and ``exp(log(x))`` becomes ``x``, and the points where the typed
function is undefined (x = 0; x < 0; x ≤ 0) are gone from the result. The
domain is read from the typed tree instead (:attr:`dfdx.Expression.written`):
every denominator is non-zero, every logarithm's argument positive, every even
root's argument non-negative, every real power's base positive, tan/sec and
cot/csc away from their poles, asin/acos/atanh/acosh within their ranges.

A :class:`Domain` is a conjunction of such conditions, each ``u ≠ 0``,
``u > 0`` or ``u ≥ 0`` for a sub-expression ``u`` of the typed function.
Evaluators mask the points outside it (NaN), and the verdicts (differentiable,
tangent lines, limits, answer checks) ask :meth:`Domain.contains` before they
trust a value of the simplified form.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

import sympy

__all__ = ["Domain", "Emptiness", "conditions_of"]

#: (u, relation): relation "ne" (u ≠ 0), "gt" (u > 0) or "ge" (u ≥ 0).
Condition = tuple[sympy.Expr, str]

_SHOWN = {"ne": "≠", "gt": ">", "ge": "≥"}

# condition sub-expressions with at most this many nodes are first tried for
# a proof that they always hold (1 + exp(-x) > 0), which drops them
_PROVE_NODES = 25


def _evaluated(node, memo: dict):
    """`node` rebuilt with SymPy's evaluation (the typed tree is unevaluated)."""
    got = memo.get(node)
    if got is not None:
        return got
    if not node.args or isinstance(node, (sympy.Number, sympy.NumberSymbol)):
        result = node
    else:
        args = [_evaluated(a, memo) for a in node.args]
        try:
            result = node.func(*args)
        except (TypeError, ValueError):
            result = node
    memo[node] = result
    return result


def _node_conditions(node, ev, enforced_only: bool = False) -> list[Condition]:
    """The conditions under which the single operation `node` is defined,
    given `ev`, the evaluated form of a sub-expression. With `enforced_only`,
    only those that floating-point evaluation of `node` enforces itself (NaN
    or an infinity outside them; not x^x's x > 0: (-1.0)**(-1.0) is -1)."""
    out: list[Condition] = []
    if isinstance(node, sympy.Pow):
        base, exp = node.args
        if base.is_number and exp.is_number:
            return out
        b = ev(base)
        if exp.is_Integer:
            if exp.is_negative:
                out.append((b, "ne"))
        elif exp.is_Rational:
            if exp.q % 2 == 0:
                out.append((b, "gt" if exp.is_negative else "ge"))
            elif exp.is_negative:
                out.append((b, "ne"))
        elif exp.is_number:
            out.append((b, "gt" if exp.is_negative else "ge"))
        elif not (base.is_number and base.is_positive) and not enforced_only:
            # a real power with a variable exponent: its base must be positive
            out.append((b, "gt"))
        return out
    func = node.func
    if func is sympy.log:
        out.append((ev(node.args[0]), "gt"))
        if len(node.args) > 1:
            out.append((ev(node.args[1]), "gt"))
    elif func in (sympy.tan, sympy.sec):
        out.append((sympy.cos(ev(node.args[0])), "ne"))
    elif func in (sympy.cot, sympy.csc):
        out.append((sympy.sin(ev(node.args[0])), "ne"))
    elif func is sympy.coth or func is sympy.csch:
        out.append((ev(node.args[0]), "ne"))
    elif func in (sympy.asin, sympy.acos):
        u = ev(node.args[0])
        out += [(1 + u, "ge"), (1 - u, "ge")]
    elif func is sympy.atanh:
        u = ev(node.args[0])
        out += [(1 + u, "gt"), (1 - u, "gt")]
    elif func is sympy.acoth:
        u = ev(node.args[0])
        out.append((u**2 - 1, "gt"))
    elif func is sympy.acosh:
        out.append((ev(node.args[0]) - 1, "ge"))
    elif func in (sympy.asec, sympy.acsc):
        u = ev(node.args[0])
        out.append((u**2 - 1, "ge"))
    elif func.__name__ == "real_root":
        b, p, _ = node.args
        if p.is_negative:
            out.append((ev(b), "ne"))
    return out


def conditions_of(
    tree: sympy.Basic, *, written: bool = True, enforced_only: bool = False
) -> tuple[Condition, ...]:
    """The conditions of every operation of `tree`, once each, in the order
    met (inner operations first). With `written`, `tree` is an unevaluated
    typed tree and each condition's sub-expression is given in SymPy's
    evaluated form."""
    memo: dict = {}
    ev = (lambda n: _evaluated(n, memo)) if written else (lambda n: n)
    seen: set = set()
    found: dict[Condition, None] = {}

    # under |u|, re(u), im(u), arg(u) a non-real u gives a real value, so
    # the realness conditions (u ≥ 0 of √u, u > 0 of ln u) beneath them are
    # not enforced by the form: SymPy's |√x| is 1 at x = -1
    shielded = _under_real_parts(tree) if enforced_only else set()

    def visit(node):
        stack = [(node, False)]
        while stack:
            n, done = stack.pop()
            if done:
                for c in _node_conditions(n, ev, enforced_only):
                    if n in shielded and c[1] != "ne":
                        continue
                    found.setdefault(c, None)
                continue
            if n in seen or not n.args:
                continue
            seen.add(n)
            stack.append((n, True))
            stack.extend((a, False) for a in reversed(n.args))

    visit(tree)
    return tuple(c for c in found if not always_holds(c))


#: Functions whose value is real even for a non-real argument.
_REAL_PARTS = (sympy.Abs, sympy.re, sympy.im, sympy.arg)


def _under_real_parts(tree: sympy.Basic) -> set:
    """The sub-expressions of `tree` that lie beneath one of _REAL_PARTS."""
    out: set = set()
    stack = (
        [
            a
            for n in sympy.preorder_traversal(tree)
            if isinstance(n, _REAL_PARTS)
            for a in n.args
        ]
        if tree.has(*_REAL_PARTS)
        else []
    )
    while stack:
        n = stack.pop()
        if n in out:
            continue
        out.add(n)
        stack.extend(n.args)
    return out


def always_holds(cond: Condition) -> bool:
    """Whether `cond` holds at every real point (proved by SymPy on small
    sub-expressions only: an assumption query on a large one is slow)."""
    u, rel = cond
    if u.is_number:
        value = _decide(u, rel)
        return value is True
    if sympy.count_ops(u, visual=False) > _PROVE_NODES:
        return False
    real = u.xreplace({s: sympy.Dummy(s.name, real=True) for s in u.free_symbols})
    if rel == "ne":
        return bool(real.is_zero is False or real.is_positive or real.is_negative)
    if rel == "gt":
        return bool(real.is_positive)
    return bool(real.is_nonnegative)


# points where a condition is first tested for vanishing identically
_PROBES = (sympy.Rational(37, 100), sympy.Rational(-121, 100), sympy.Rational(23, 10))


def _vanishing(conditions) -> tuple[sympy.Expr, str] | None:
    """The first condition u ≠ 0 or u > 0 whose u is 0 everywhere."""
    for u, rel in conditions:
        if rel == "ge" or not u.free_symbols:
            continue
        symbols = sorted(u.free_symbols, key=lambda s: s.name)
        tiny = True
        for k, a in enumerate(_PROBES):
            point = {s: a + sympy.Rational(j + k, 7) for j, s in enumerate(symbols)}
            try:
                v = sympy.N(u.xreplace(point), 30)
            except (TypeError, ValueError, ArithmeticError, RecursionError):
                tiny = False
                break
            if not v.is_number or not abs(v) < sympy.Float("1e-20"):
                tiny = False
                break
        if not tiny:
            continue
        try:
            zero = sympy.simplify(u) == 0 or u.equals(0) is True
        except (TypeError, ValueError, ArithmeticError, RecursionError):
            zero = False
        if zero:
            return u, rel
    return None


class Emptiness(NamedTuple):
    """Why a domain has no interior: no open set on which the function is
    defined, so it has no derivative anywhere.

    kind is "vanishes" (a denominator, or a logarithm's argument, is 0 for
    every value of the variables), "never" (the conditions hold together at
    no real point) or "points" (they hold only where ``conditions[0]``'s
    expression is 0: finitely many points, or a curve or surface). `points`
    lists them for a function of one variable, where they are known."""

    kind: str
    conditions: tuple[Condition, ...]
    points: tuple = ()

    def blocks(self, wrt: Iterable[str] | None = None) -> bool:
        """Whether it rules out differentiating along `wrt` (all variables
        when None): a domain that is empty does; one that holds only where
        u = 0 does along u's variables only (``y*sqrt(-x^2)`` is defined on
        the line x = 0, open along y)."""
        if self.kind != "points" or wrt is None:
            return True
        names = set(wrt)
        return any(s.name in names for u, _ in self.conditions for s in u.free_symbols)

    def text(self, printer=None, variables: Iterable[str] = ()) -> str:
        """One sentence for people; `printer` writes each expression."""
        show = printer or sympy.sstr
        names = ", ".join(variables) or "its variables"
        u, rel = self.conditions[0]
        if self.points:  # one variable: the conditions' own
            names = next(iter(u.free_symbols)).name
        if self.kind == "vanishes":
            return (
                f"the function as typed is defined nowhere: {show(u)} is 0 for "
                f"every value of {names}"
            )
        held = " and ".join(f"{show(v)} {_SHOWN[r]} 0" for v, r in self.conditions)
        if self.kind == "never" and not any(v.free_symbols for v, _ in self.conditions):
            # asin(2): a number out of range
            return (
                f"the function as typed is defined nowhere: it needs {held}, "
                "which does not hold"
            )
        if self.kind == "never":
            return (
                f"the function as typed is defined nowhere: {held} "
                f"{'holds' if len(self.conditions) == 1 else 'hold together'} "
                f"for no real value of {names}"
            )
        where = (
            " or ".join(f"{names} = {show(p)}" for p in self.points)
            if self.points
            else f"{show(u)} = 0"
        )
        return (
            f"the function as typed is defined only where {where} ({held} "
            f"{'holds' if len(self.conditions) == 1 else 'hold together'} "
            "nowhere else), with no open interval around any point"
        )


# points tried for a witness that the conditions hold on an open set
_WITNESSES = (
    sympy.Rational(37, 100),
    sympy.Rational(-121, 100),
    sympy.Rational(23, 10),
    sympy.Rational(-7, 2),
    sympy.Rational(1, 1000),
    sympy.Rational(-1, 1000),
    sympy.Integer(17),
    sympy.Integer(-23),
)

# functions whose value jumps: a strict inequality at a point need not hold
# beside it
_JUMPS = (sympy.sign, sympy.floor, sympy.ceiling, sympy.Heaviside, sympy.Piecewise)

# condition expressions larger than this are not solved over one variable
_SOLVE_NODES = 30


def _open_witness(conditions) -> bool:
    """Whether a sample point satisfies every u > 0 / u ≥ 0 strictly and
    every u ≠ 0 (|u| clear of 0), with each u continuous there (no sign,
    floor, Piecewise): then they all hold on an open set around it, which
    proves an interior (a u ≠ 0 that is 0 on a whole interval, such as
    x - sqrt(x^2) for x > 0, is 0 at the sample point too)."""
    us = [(u, rel) for u, rel in conditions if u.free_symbols]
    if not us:
        return True
    if any(u.has(*_JUMPS) for u, _ in us):
        return False
    symbols = sorted(set().union(*(u.free_symbols for u, _ in us)), key=str)
    tiny = sympy.Float("1e-15")
    for k, a in enumerate(_WITNESSES):
        point = {s: a + sympy.Rational(j * (k + 1), 11) for j, s in enumerate(symbols)}
        ok = True
        for u, rel in us:
            try:
                v = sympy.N(u.xreplace(point), 20)
            except (TypeError, ValueError, ArithmeticError, RecursionError):
                ok = False
                break
            if not (v.is_number and v.is_real):
                ok = False
                break
            if not (abs(v) > tiny if rel == "ne" else v > tiny):
                ok = False
                break
        if ok:
            return True
    return False


def _real_form(u: sympy.Expr) -> sympy.Expr:
    return u.xreplace({s: sympy.Dummy(s.name, real=True) for s in u.free_symbols})


# condition expressions of one variable at most this large have their range
# found (sin(x) - 1 ≤ 0), within _RANGE_SECONDS
_RANGE_NODES = 12
_RANGE_SECONDS = 1.0


def _sign_of(u: sympy.Expr) -> str | None:
    """'negative' (u < 0 everywhere), 'nonpositive' (u ≤ 0 everywhere) or
    None where that is not proved: SymPy's assumptions over real variables,
    then, for one variable, the range of u (sin(x) - 1 lies in [-2, 0])."""
    real = _real_form(u)
    if real.is_negative:
        return "negative"
    if real.is_nonpositive:
        return "nonpositive"
    if len(u.free_symbols) != 1 or sympy.count_ops(u, visual=False) > _RANGE_NODES:
        return None
    from sympy.calculus.util import function_range

    from dfdx.core._timelimit import time_limit
    from dfdx.errors import DfdxError

    x = next(iter(real.free_symbols))
    try:
        with time_limit(_RANGE_SECONDS, "find the range of a domain condition"):
            got = function_range(real, x, sympy.S.Reals)
    except (DfdxError, NotImplementedError, TypeError, ValueError, ArithmeticError):
        return None
    if not isinstance(got, sympy.Interval) or not got.sup.is_number:
        return None
    if got.sup.is_negative or (got.sup.is_zero and got.right_open):
        return "negative"
    if got.sup.is_nonpositive:
        return "nonpositive"
    return None


def _thin_zeros(u: sympy.Expr) -> bool:
    """Whether u = 0 holds on no open set, proved: u is a polynomial (and not
    0), or a function of one variable whose zeros SymPy lists as points or
    sequences of points (sin(x) - 1: π/2 + 2πn). Not said of x - sqrt(x^2),
    which is 0 on all of x ≥ 0."""
    symbols = sorted(u.free_symbols, key=str)
    if u.is_polynomial(*symbols):
        return _vanishing(((u, "ne"),)) is None
    if len(symbols) != 1 or sympy.count_ops(u, visual=False) > _RANGE_NODES:
        return False
    from dfdx.core._timelimit import time_limit
    from dfdx.errors import DfdxError

    real = _real_form(u)
    x = next(iter(real.free_symbols))
    try:
        with time_limit(_RANGE_SECONDS, "find the zeros of a domain condition"):
            zeros = sympy.solveset(real, x, sympy.S.Reals)
    except (DfdxError, NotImplementedError, TypeError, ValueError, ArithmeticError):
        return False
    parts = zeros.args if isinstance(zeros, sympy.Union) else (zeros,)
    return all(
        isinstance(p, (sympy.FiniteSet, sympy.ImageSet)) or p is sympy.S.EmptySet
        for p in parts
    )


def _proved_empty_or_thin(conditions) -> Emptiness | None:
    """A condition that holds nowhere (u > 0 with u ≤ 0 everywhere, u ≥ 0
    with u < 0 everywhere), two that hold together nowhere (u > 0 and
    -u ≥ 0), or conditions that hold only where u = 0 (u ≥ 0 with u ≤ 0
    everywhere; u ≥ 0 and -u ≥ 0), proved by SymPy's assumptions over real
    variables or the range of u."""
    thin = None
    bounds = [(u, rel) for u, rel in conditions if rel != "ne" and u.free_symbols]
    for n, (u, rel) in enumerate(bounds):
        for v, rel2 in bounds[n + 1 :]:
            if sympy.expand(u + v) != 0:
                continue
            pair = ((u, rel), (v, rel2))
            if "gt" in (rel, rel2):
                return Emptiness("never", pair)
            if thin is None and _thin_zeros(u):
                thin = Emptiness("points", pair)
    for u, rel in bounds:
        if sympy.count_ops(u, visual=False) > _PROVE_NODES:
            continue
        sign = _sign_of(u)
        if sign is None:
            continue
        if rel == "gt" or sign == "negative":
            return Emptiness("never", ((u, rel),))
        if thin is None and _thin_zeros(u):
            thin = Emptiness("points", ((u, rel),))
    return thin


def _one_variable_set(conditions):
    """The set where the conditions on one variable hold, solved exactly
    (rational functions of small size only), with the conditions that made
    it; None where it is not solved."""
    symbols = set().union(*(u.free_symbols for u, _ in conditions))
    if len(symbols) != 1:
        return None
    x = next(iter(symbols))
    xr = sympy.Dummy(x.name, real=True)
    region = sympy.S.Reals
    used = []
    for u, rel in conditions:
        if rel == "ne":
            continue  # removes isolated points (u ≡ 0 is found by _vanishing)
        small = sympy.count_ops(u, visual=False) <= _SOLVE_NODES
        if not small or not u.is_rational_function(x):
            return None
        num, den = sympy.fraction(sympy.together(u))
        if sympy.degree(num, x) > 4 or (den.has(x) and sympy.degree(den, x) > 4):
            return None
        ur = u.xreplace({x: xr})
        try:
            part = sympy.solve_univariate_inequality(
                ur > 0 if rel == "gt" else ur >= 0, xr, relational=False
            )
        except (NotImplementedError, TypeError, ValueError, ArithmeticError):
            return None
        if not isinstance(part, (sympy.Interval, sympy.Union, sympy.FiniteSet)) and (
            part is not sympy.S.EmptySet
        ):
            return None
        used.append((u, rel))
        region = sympy.Intersection(region, part)
    return region, used


def _emptiness(conditions, gone) -> Emptiness | None:
    """no_interior's work; `gone` is Domain.nowhere()'s condition."""
    for u, rel in conditions:
        # a condition on numbers alone that fails: cos(2)^x needs cos(2) > 0
        if not u.free_symbols and _decide(u, rel) is False:
            return Emptiness("never", ((u, rel),))
    if gone is not None:
        return Emptiness("vanishes", (gone,))
    if _open_witness(conditions):
        return None
    proved = _proved_empty_or_thin(conditions)
    if proved is not None and proved.kind == "never":
        return proved
    solved = _one_variable_set(conditions)
    if solved is not None:
        region, used = solved
        if region is sympy.S.EmptySet:
            return Emptiness("never", tuple(used))
        if isinstance(region, sympy.FiniteSet):
            return Emptiness("points", tuple(used), tuple(region.args))
        return None
    return proved


def _decide(v, rel: str) -> bool | None:
    """Whether the number `v` satisfies `rel`: False where `v` is not a finite
    real number; None where 60 digits cannot tell."""
    try:
        approx = sympy.N(v, 30)
    except (TypeError, ValueError, ArithmeticError, RecursionError):
        return None
    if not approx.is_number or approx.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        return False
    re, im = approx.as_real_imag()
    if im != 0 and abs(im) > 1e-25 * max(1, abs(re)):
        return False
    if abs(re) > sympy.Float("1e-20"):
        return re != 0 if rel == "ne" else bool(re > 0)
    # too close to 0 for 30 digits: exactly 0, or a tiny number?
    zero = v.is_zero if hasattr(v, "is_zero") else None
    if zero is None:
        fine = sympy.N(v, 80)
        fine_re = sympy.re(fine)
        if fine_re == 0 or abs(fine_re) < sympy.Float("1e-70"):
            zero = True
        else:
            return fine_re != 0 if rel == "ne" else bool(fine_re > 0)
    if zero:
        return rel == "ge"
    positive = v.is_positive
    if rel == "ne":
        return True
    return positive


class Domain:
    """Where a typed expression is defined: all of :attr:`conditions` hold.

    Examples
    --------
    >>> from dfdx import parse
    >>> d = parse("x/x").domain
    >>> print(d)
    x ≠ 0
    >>> d.contains({"x": 0}), d.contains({"x": 2})
    (False, True)
    >>> print(parse("sqrt(x)^2 + 1/(x - 1)").domain)
    x ≥ 0, x - 1 ≠ 0
    >>> print(parse("x^2").domain)
    all real numbers
    """

    __slots__ = ("conditions", "_nowhere", "_empty")

    def __init__(self, conditions: Iterable[Condition] = ()):
        kept = dict.fromkeys(conditions)
        rels: dict = {}
        for u, rel in kept:
            rels.setdefault(u, set()).add(rel)
        for u, have in rels.items():
            if "gt" in have or {"ne", "ge"} <= have:
                # u > 0 holds for u ≠ 0 and u ≥ 0 (both together are u > 0)
                for rel in ("ne", "ge"):
                    kept.pop((u, rel), None)
                if (u, "gt") not in kept:
                    kept[(u, "gt")] = None
        self.conditions: tuple[Condition, ...] = tuple(kept)
        self._nowhere: tuple | None = None
        self._empty: tuple | None = None

    def no_interior(self) -> Emptiness | None:
        """Why no open set lies in the domain (:class:`Emptiness`), or None:
        the typed function is defined nowhere (``log(-x^2)``,
        ``sqrt(x - 1) + sqrt(-x - 1)``) or only at points (``sqrt(-x^2)``:
        x = 0 alone), so it has no derivative anywhere. Said only where it is
        proved: a denominator shown to be 0 by SymPy, conditions solved
        exactly over one variable, or SymPy's sign assumptions; None where
        a sample point satisfies every condition strictly (an open set
        around it), and where nothing is proved either way.

        >>> from dfdx import parse
        >>> print(parse("sqrt(-x^2)").domain.no_interior().text())
        the function as typed is defined only where x = 0 (-x**2 ≥ 0 holds nowhere else), with no open interval around any point
        >>> parse("sqrt(x)").domain.no_interior() is None
        True
        """
        if self._empty is None:
            self._empty = (
                _emptiness(self.conditions, self.nowhere())
                if self.conditions
                else None,
            )
        return self._empty[0]

    def nowhere(self) -> tuple[sympy.Expr, str] | None:
        """A condition that holds at no point, making the domain empty, or
        None: a denominator that is 0 for every value of its variables
        (``sin(x)^2 + cos(x)^2 - 1``), so the typed function is nowhere
        defined. Said only when SymPy shows the expression is 0 (it vanishes
        to 30 digits at three sample points first)."""
        if self._nowhere is None:
            self._nowhere = (_vanishing(self.conditions),)
        return self._nowhere[0]

    def __bool__(self) -> bool:
        """True where there is any restriction."""
        return bool(self.conditions)

    def __eq__(self, other) -> bool:
        return isinstance(other, Domain) and set(self.conditions) == set(
            other.conditions
        )

    def __hash__(self) -> int:
        return hash(frozenset(self.conditions))

    def __str__(self) -> str:
        if not self.conditions:
            return "all real numbers"
        return ", ".join(
            f"{sympy.sstr(u)} {_SHOWN[rel]} 0" for u, rel in self.conditions
        )

    def __repr__(self) -> str:
        return f"Domain({str(self)!r})"

    def __or__(self, other: Domain) -> Domain:
        """Both restrictions (the intersection of the two domains)."""
        return Domain(self.conditions + other.conditions)

    def fixed(self, point: Mapping) -> Domain:
        """The domain with the variables in `point` ({name: number}) fixed
        there: where a function restricted to a line or plane is defined.
        A condition left on numbers alone is dropped where it holds."""
        values = {
            (k if isinstance(k, str) else k.name): sympy.sympify(v)
            for k, v in point.items()
        }
        kept = []
        for u, rel in self.conditions:
            subs = {s: values[s.name] for s in u.free_symbols if s.name in values}
            v = u.xreplace(subs)
            if v.free_symbols or _decide(v, rel) is not True:
                kept.append((v, rel))
        return Domain(kept)

    def without(self, form: sympy.Basic) -> Domain:
        """The conditions that `form`'s own operations do not impose (what a
        simplified form lost of the typed domain)."""
        own = {
            _same_zeros(c)
            for c in conditions_of(form, written=False, enforced_only=True)
        }
        return Domain(c for c in self.conditions if _same_zeros(c) not in own)

    def contains(self, point: Mapping) -> bool | None:
        """Whether `point` ({name or symbol: number}) lies in the domain:
        decided exactly (60 digits, then SymPy's zero test); None where that
        cannot tell."""
        if not self.conditions:
            return True
        mapping = {}
        for key, value in point.items():
            name = key if isinstance(key, str) else getattr(key, "name", str(key))
            mapping[name] = sympy.sympify(value)
        unknown = False
        for u, rel in self.conditions:
            subs = {s: mapping[s.name] for s in u.free_symbols if s.name in mapping}
            if len(subs) < len(u.free_symbols):
                unknown = True
                continue
            with sympy.evaluate(False):
                v = u.xreplace(subs)
            verdict = _decide(v, rel)
            if verdict is False:
                return False
            if verdict is None:
                unknown = True
        return None if unknown else True

    def near(self, name: str, at, side: int, point: Mapping | None = None) -> bool:
        """Whether points just beside `at` (on `side`: -1 left, +1 right) of
        the variable `name` lie in the domain (exact points at 10^-4, 10^-8
        and 10^-12 from `at`; the others fixed at `point`)."""
        if not self.conditions:
            return True
        a = sympy.sympify(at)
        rest = dict(point or {})
        for k in (4, 8, 12):
            rest[name] = a + side * sympy.Rational(1, 10**k)
            if self.contains(rest) is not False:
                return True
        return False

    def restriction_text(self, printer=None) -> str:
        """``for x ≠ 0, x ≥ 0``, or '' without conditions; `printer` writes
        each expression (SymPy's ``sstr`` by default; the textbook printer
        for people)."""
        if not self.conditions:
            return ""
        show = printer or sympy.sstr
        return "for " + ", ".join(
            f"{show(u)} {_SHOWN[rel]} 0" for u, rel in self.conditions
        )


def _same_zeros(condition: tuple) -> tuple:
    """A condition u ≠ 0 with u written by the zeros that decide it: integer
    powers and constant factors dropped (x**2 ≠ 0 is x ≠ 0, as 1/x**2 imposes
    it), so that a form's own condition is recognised however it is
    written. Other relations are kept as they are."""
    u, rel = condition
    if rel != "ne":
        return condition

    def core(v):
        if v.is_Pow and v.exp.is_Integer and v.exp > 0:
            return core(v.base)
        if v.is_Mul:
            factors = [core(f) for f in v.args if not f.is_number]
            return sympy.Mul(*sorted(factors, key=sympy.default_sort_key))
        return v

    return core(u), rel
