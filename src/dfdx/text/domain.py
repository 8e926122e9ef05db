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

import sympy

__all__ = ["Domain", "conditions_of"]

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

    __slots__ = ("conditions", "_nowhere")

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
