"""Readable forms of derivatives, fast: :func:`tidy` and :func:`same_value`.

SymPy's ``simplify`` tries everything; on the derivative of a small network's
loss it runs for seconds (and imports ``sympy.physics`` on the way). dfdx does
not call it: the shortest of a few cheap, bounded rewrites (``factor_terms``,
``together``/``cancel``, ``powsimp``, ``factor``/``expand`` on small forms),
and on small forms with functions the rewrites that made ``simplify``'s
results (trigonometric identities of the factored form, exponentials
combined, products multiplied out, one fraction). Every rewrite is an
identity, so the result is always equal to what was differentiated; only its
length varies.

Whether two forms are equal is decided by rearranging first, by sampling at
30 digits second and by cheap symbolic rewrites last.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import sympy
from sympy.core.cache import cacheit

from dfdx.core._timelimit import time_limit
from dfdx.errors import DfdxError
from dfdx.text._numbers import has_huge_numbers
from dfdx.text.codegen import number_value

__all__ = [
    "tidy",
    "same_value",
    "compare_forms",
    "equal_by_rearranging",
    "reduces_to_zero",
    "at_most",
    "FULL_SIMPLIFY_OPS",
    "TIDY_NODES",
    "TRIG_FUNCTIONS",
]

#: Forms with functions and at most this many operations also get the
#: rewrites of :func:`_small_forms` (trigsimp among them), which stand in for
#: SymPy's full simplify. Their time grows fast and unevenly with size
#: (simplify's, on random smooth derivatives: median 0.03 s at 6 to 10
#: operations, 0.15 s at 16 to 20, up to 3 s at 21 to 25), so the choice is
#: made by size and the time limit is only a safety net far above the usual
#: time: a limit that expires in ordinary use would make the form shown
#: depend on the machine's load.
FULL_SIMPLIFY_OPS = 12
#: Forms with more nodes than this (about 60 operations) are returned as they
#: are.
TIDY_NODES = 150
#: Each cheap rewrite gets this long (a safety net: they take milliseconds).
REWRITE_SECONDS = 1.0

_FAILURES = (
    DfdxError,
    TypeError,
    ValueError,
    AttributeError,
    RecursionError,
    NotImplementedError,
    sympy.PolynomialError,
)


@cacheit
def ops(e) -> int:
    """``sympy.count_ops(e)``, remembered like SymPy's own results (it walks
    the whole tree; repeated gradients and tidies ask again for the same
    forms)."""
    return sympy.count_ops(e)


def at_most(expr, limit: int) -> bool:
    """Whether expr has at most `limit` nodes (stops counting past it: cheap
    on any size, unlike count_ops)."""
    for count, _ in enumerate(sympy.preorder_traversal(expr), 1):
        if count > limit:
            return False
    return True


def _try(fn, e, seconds=REWRITE_SECONDS):
    try:
        with time_limit(seconds, "rewrite"):
            return fn(e)
    except _FAILURES:
        return None


#: Trigonometric and hyperbolic functions (trigsimp's domain).
TRIG_FUNCTIONS = (
    sympy.sin,
    sympy.cos,
    sympy.tan,
    sympy.cot,
    sympy.sec,
    sympy.csc,
    sympy.sinh,
    sympy.cosh,
    sympy.tanh,
    sympy.coth,
    sympy.sech,
    sympy.csch,
)


def _rewrites(e, n: int):
    """Cheap identities, cheapest first; the costly ones only on small forms.
    (Measured on the derivatives of network losses, 80 to 550 operations: no
    rewrite shortened one, and each cost 2 to 15 times the differentiation;
    hence TIDY_NODES.)"""
    yield sympy.factor_terms
    yield sympy.powsimp
    yield _together
    if n <= 40:
        high = _high_power_of_sum(e)
        if not high:
            yield sympy.cancel
        if not _high_power_of_number(e):
            yield sympy.factor
        if not high:
            yield sympy.expand
    # no trigsimp: on 20 to 40 operations it takes 0.1 to 1 s, so whether it
    # finished within a time limit would decide the form shown (different
    # under load); small trigonometric forms get it inside simplify


#: A sum raised to a larger integer power is not multiplied out by cancel or
#: expand: (x + 1)^999 has 1 000 terms expanded, never a shorter form, and
#: each took most of a second (factor, fast on it, still runs).
MAX_EXPANDED_POWER = 12


def _high_power_of_sum(e) -> bool:
    return any(
        p.base.is_Add and p.exp.is_Integer and abs(int(p.exp)) > MAX_EXPANDED_POWER
        for p in e.atoms(sympy.Pow)
    )


def _high_power_of_number(e) -> bool:
    """Whether e has a number to a large power, e^800 or e^(801/2): factor
    takes the number as a generator and works with a polynomial of that
    degree in it (10 s on logsumexp(x, 2x, 800)'s derivative; 340 s with
    e^(801/2)), where cancel and expand stay fast."""
    powers = [(p.base, p.exp) for p in e.atoms(sympy.Pow)]
    powers += [(sympy.E, f.args[0]) for f in e.atoms(sympy.exp)]
    return any(
        base.is_number
        and exp.is_Rational
        and max(abs(exp.p), exp.q) > MAX_EXPANDED_POWER
        for base, exp in powers
    )


def _small_forms():
    """The rewrites that stand in for SymPy's simplify on small forms with
    functions (it imports sympy.physics, 0.1 s, on its first call). Measured
    on the derivatives of 138 random small expressions (benchmarks/
    bench_tidy.py): the shortest of these and :func:`_rewrites` is
    simplify's form for 118, shorter for 2, one operation longer for 1, as
    long for 5 and, for 12, keeps 1 - tanh(u)^2 where simplify writes
    1/cosh(u)^2 (see _new_constants), in about three quarters of simplify's
    time.
    trigsimp alone, exptrigsimp, logcombine and the other factored forms
    never gave the shortest form there, so they are not tried."""
    yield lambda u: sympy.factor_terms(
        sympy.trigsimp(sympy.factor_terms(u, sign=False), deep=True), sign=False
    )
    yield lambda u: sympy.powsimp(u, combine="exp", deep=True)
    yield sympy.expand_mul
    yield lambda u: sympy.factor_terms(sympy.together(u, deep=True), sign=False)


def _transcendental(e) -> bool:
    """Whether e has functions or non-integer powers (beyond rational functions)."""
    if e.atoms(sympy.Function):
        return True
    return any(not p.exp.is_Integer for p in e.atoms(sympy.Pow))


def _together(e):
    return sympy.factor_terms(sympy.together(e))


def _partial_domain(expr) -> bool:
    """Whether `expr` has a Piecewise with no branch for the remaining inputs
    (undefined there, as 0^u is for u <= 0)."""
    return any(p.args[-1].cond is not sympy.true for p in expr.atoms(sympy.Piecewise))


def _new_constants(form, expr) -> bool:
    """Whether `form` brings in pi or a Piecewise that `expr` does not have:
    simplify's harmonic form sin(x) + cos(x) -> sqrt(2)*sin(x + pi/4) is
    shorter in operations but no learner would recognise it."""
    if form.has(sympy.pi) and not expr.has(sympy.pi):
        return True
    # simplify(sign(x)/Abs(x)) is Piecewise((0, Eq(x, 0)), (1/x, True)): a value
    # at x = 0, where the form is 0/0, undefined. A Piecewise that was not
    # there before is never taken.
    if form.has(sympy.Piecewise) and not expr.has(sympy.Piecewise):
        return True
    # trigsimp writes tanh's derivative 1 - tanh(u)^2, the form deep learning
    # uses, as 1/cosh(u)^2: a hyperbolic function the form did not have is
    # never brought in (sinh(x)^2 + cosh(x)^2 -> cosh(2x) still is taken)
    return any(form.has(f) and not expr.has(f) for f in _HYPERBOLIC)


_HYPERBOLIC = (sympy.sinh, sympy.cosh, sympy.sech, sympy.csch, sympy.coth)


def tidy(expr: sympy.Expr) -> sympy.Expr:
    """A readable form of `expr`: the shortest (in SymPy operations) of the
    form itself and cheap rewrites of it (more of them on small forms with
    functions). Never slower than about a second; equal to `expr` everywhere
    `expr` is defined."""
    if not at_most(expr, TIDY_NODES) or has_huge_numbers(expr):
        return expr
    n = ops(expr)
    if n <= 2:  # 6*x - 4 is as short as it gets
        return expr
    candidates = [expr]
    rewrites = list(_rewrites(expr, n))
    if n <= FULL_SIMPLIFY_OPS and _transcendental(expr):
        # polynomials and rational functions are done by factor/cancel/expand
        rewrites = [*_small_forms(), *rewrites]
    for rewrite in rewrites:
        out = _try(rewrite, expr)
        if out is not None and not _new_constants(out, expr):
            candidates.append(out)
    partial = _partial_domain(expr)
    kept = [c for c in candidates if not partial or _partial_domain(c)]
    # a fraction inside a fraction costs two operations more, but never so
    # that the form chosen has more operations than the one given
    kept = [c for c in kept if c is expr or ops(c) <= n]
    return min(
        kept,
        key=lambda c: (
            ops(c) + 2 * _compound_fractions(c),
            _fractions(c),  # on a tie, one fraction rather than a sum of them
            len(sympy.srepr(c)) if c is not expr else -1,
        ),
    )


def _fractions(e) -> int:
    """How many denominators `e` has (negative powers)."""
    return sum(1 for n in sympy.preorder_traversal(e) if n.is_Pow and n.exp.is_negative)


def _compound_fractions(e) -> int:
    """How many fractions sit inside the numerator of another fraction:
    ``(cos(x) - sin(x)/x)/x`` has one, ``(x cos(x) - sin(x))/x^2`` none. A
    textbook writes the second, so :func:`tidy` counts each such fraction as
    two more operations."""
    count = 0
    for node in sympy.preorder_traversal(e):
        if not node.is_Mul:
            continue
        dens = [a for a in node.args if a.is_Pow and a.exp.is_negative]
        if not dens:
            continue
        for a in node.args:
            if a.is_Add and any(
                t.is_Pow and t.exp.is_negative
                for term in a.args
                for t in sympy.preorder_traversal(term)
            ):
                count += 1
    return count


_SAMPLE_VALUES = (0.37, 1.21, 2.3, -0.71, -1.9, 0.05, 3.7, -2.6, 0.83, -0.29)


def _sample_points(symbols, points: int):
    """Points where the variables have distinct values near each base value:
    the j-th variable 0.13 j from it for the first ten, then more finely, so
    that the values stay within about 1.5 of the base however many
    variables there are (a network's 100 weights spread over 13 units
    saturate its sigmoid, whose derivative then vanishes to 30 digits)."""
    for i, v in enumerate(_SAMPLE_VALUES[:points]):
        sign = (-1) ** i
        yield [
            v + sign * (0.13 * (j % 10) + 0.0137 * (j // 10))
            for j in range(len(symbols))
        ]


def _compare(va, vb) -> int:
    """1 equal, 0 no evidence (undefined or not real there, or too small for
    30 digits to tell), -1 different.

    Equal means equal relative to the values themselves: two values both
    near 0 (1 - sigmoid(z) of a saturated network, rounded to 0 or to
    noise at 30 digits, or a true 1e-90) are no evidence that the forms
    agree, since a form three times the other would agree as well."""
    if va is None or vb is None:
        return 0
    try:
        za, zb = complex(va), complex(vb)
    except (TypeError, ValueError, OverflowError):
        return 0
    if not all(math.isfinite(z.real) and math.isfinite(z.imag) for z in (za, zb)):
        return 0
    if any(abs(z.imag) > 1e-12 * max(1.0, abs(z)) for z in (za, zb)):
        return 0  # outside the real domain, where dfdx does not compare
    gap, scale = abs(za - zb), max(abs(za), abs(zb))
    if gap > 1e-12 * max(1.0, scale):
        return -1
    return 1 if scale > 0 and gap <= 1e-12 * scale else 0


def _mpmath_functions(ctx):
    """Functions of dfdx and SymPy that mpmath lacks, for sampling in the
    mpmath context `ctx` (``mpmath.mp``: 30 digits; ``mpmath.fp``: floats)."""

    def heaviside(u, h0=0.5):
        return ctx.mpf(1) if u > 0 else (ctx.mpf(0) if u < 0 else h0)

    return {
        "sigmoid": lambda u: 1 / (1 + ctx.exp(-u)),
        "softplus": lambda u: ctx.log(1 + ctx.exp(u)),
        "relu": lambda u: u if u > 0 else ctx.mpf(0),
        "Heaviside": heaviside,
        "sign": ctx.sign,
        "DiracDelta": lambda u: ctx.mpf(0) if u != 0 else ctx.nan,
        "real_root": lambda b, p, q: (
            (ctx.sign(b) if int(p) % 2 else 1) * abs(b) ** (ctx.mpf(int(p)) / int(q))
        ),
    }


def _in_floats(fn, own):
    """The mpmath function `fn` made by lambdify, run in mpmath's float
    context instead (the same code with fp's functions): a float screen
    without compiling the form a second time. None if the code uses a name
    that fp lacks."""
    import types

    import mpmath

    floats = _mpmath_functions(mpmath.fp)
    names = {}
    for name in fn.__code__.co_names:
        value = fn.__globals__.get(name)
        if value is None:  # a builtin (abs) or not a global
            continue
        if name in own:
            names[name] = floats[name]
        elif name == "mpf" and value is mpmath.mpf:
            # the printer writes Floats exactly, as mpf((sign, man, exp, bc))
            names[name] = lambda v: float(mpmath.mpf(v))
        elif getattr(mpmath, name, None) is value and hasattr(mpmath.fp, name):
            names[name] = getattr(mpmath.fp, name)
        else:
            return None
    return types.FunctionType(fn.__code__, names)


@functools.lru_cache(maxsize=1)
def _sample_printer():
    """SymPy's mpmath printer, writing the arguments under private names,
    each compound sub-expression once, and the ones in ``temps`` as the names
    of the variables that hold them (the class is made once)."""
    from sympy.printing.pycode import MpmathPrinter

    from dfdx.text.codegen import private_symbols, remembering

    remembered = remembering(MpmathPrinter)

    class Printer(MpmathPrinter):
        names: dict = {}
        # sub-expression -> the local variable that holds its value
        temps: dict = {}
        _print_Symbol = private_symbols(MpmathPrinter)

        def _print(self, expr, **kwargs):
            if not kwargs and isinstance(expr, sympy.Basic):
                name = self.temps.get(expr)
                if name is not None:
                    return name
            return remembered(self, expr, **kwargs)

    return Printer


@functools.lru_cache(maxsize=1)
def _mpmath_names() -> dict:
    """mpmath's public names: the namespace lambdify gives mpmath code."""
    import mpmath

    return {k: getattr(mpmath, k) for k in dir(mpmath) if not k.startswith("_")}


def _repeated(forms) -> list:
    """The compound sub-expressions that occur more than once in `forms`,
    each after those it contains. Nothing inside a Piecewise is counted: its
    branches are evaluated only where their conditions hold, so hoisting one
    out could evaluate it where it is undefined."""
    count: dict = {}
    post: list = []

    def visit(e):
        if not e.args:
            return
        n = count.get(e)
        if n is not None:
            count[e] = n + 1
            return
        count[e] = 1
        if not isinstance(e, sympy.Piecewise):
            for a in e.args:
                visit(a)
        post.append(e)

    for f in forms:
        visit(f)
    return [
        e
        for e in post
        if count[e] > 1
        and isinstance(e, sympy.Expr)
        and (e.is_Add or e.is_Mul or e.is_Pow or isinstance(e, sympy.Function))
    ]


def _compiled(printer, args, forms, own: dict):
    """The function of `args` returning the tuple of `forms`, as
    ``sympy.lambdify(args, forms, modules=[own, 'mpmath'], printer=printer)``
    makes it, from the same printer's code, with each sub-expression that
    occurs more than once computed once, into a local variable (a network's
    derivative repeats its hidden layer's activations many times). Lambdify's
    own work around the printing (sorting the arguments, two walks of the
    forms, the namespace) cost three times the printing on a network's
    derivative. `printer` is one of :func:`_sample_printer`'s."""
    printer.temps = {}
    printer._not_supported = set()
    printer._number_symbols = set()
    lines = []
    for i, e in enumerate(_repeated(forms)):
        name = f"_dfdx_t{i}"
        lines.append(f"    {name} = {printer._print(e)}\n")
        printer.temps[e] = name
    body = ", ".join(printer._print(f) for f in forms)
    if printer._not_supported or printer._number_symbols:
        # code that SymPy's printer cannot write as plain Python
        raise ValueError("the forms cannot be written as mpmath code")
    names = ", ".join(a.name for a in args)
    source = f"def _dfdx_forms({names}):\n" + "".join(lines) + f"    return ({body},)\n"
    namespace = {**_mpmath_names(), **own}
    exec(compile(source, "<dfdx sample check>", "exec"), namespace)
    return namespace["_dfdx_forms"]


def _samples_mpmath(ra, rb, symbols, points, per_point: bool = False):
    """The 30-digit comparison with both forms compiled once (mpmath); None
    when a form cannot be compiled or evaluated that way."""
    import mpmath

    from dfdx.text.codegen import lambdify_numpy

    Printer = _sample_printer()
    own = _mpmath_functions(mpmath.mp)
    private = [sympy.Symbol(f"_dfdx_arg{i}") for i in range(len(symbols))]

    # order 'none': sums and products as SymPy stores them, not sorted first
    # (sorting was most of the time on a network's derivative); private
    # argument names, so no variable hides an mpmath function; both forms in
    # one tuple, so that lambdify does not put the symbols' names into the
    # code's namespace either
    printer = Printer(
        {
            "fully_qualified_modules": False,
            "inline": True,
            "allow_unknown_functions": True,
            "user_functions": {k: k for k in own},
            "order": "none",
        }
    )
    printer.names = {s: p.name for s, p in zip(symbols, private, strict=True)}
    try:
        both = _compiled(printer, private, (ra, rb), own)
    except Exception:  # a printer gap: the slow path decides
        return None
    # a float screen first: where either form overflows float64 (an exp
    # tower), 30-digit arithmetic could need unbounded memory and time. The
    # same code in floats where it can; else NumPy
    rough_both = _in_floats(both, own)
    if rough_both is None:
        try:
            rough_both = lambdify_numpy(symbols, sympy.Tuple(ra, rb), order="none")
        except DfdxError:
            return None
    seen = 0
    verdicts: list = []
    listed = _sample_points(symbols, points) if isinstance(points, int) else points
    with mpmath.workdps(30):
        for values in listed:
            verdicts.append(None)  # no evidence unless compared below
            try:
                with np.errstate(all="ignore"):
                    rough = [complex(v) for v in rough_both(*values)]
            except Exception:  # the float form cannot say: no evidence
                continue
            if not all(np.isfinite(z) and abs(z) < 1e300 for z in rough):
                continue
            args = [mpmath.mpf(v) for v in values]
            try:
                va, vb = both(*args)
            except (ZeroDivisionError, ValueError, OverflowError, ArithmeticError):
                continue  # undefined there: no evidence
            except MemoryError:
                continue
            except (NameError, TypeError, AttributeError):
                return None
            verdict = _compare(va, vb)
            verdicts[-1] = verdict
            if verdict < 0 and not per_point:
                return -1
            seen += verdict
    return verdicts if per_point else seen


def _samples(ra, rb, points: int = 8, huge: bool | None = None):
    """How many sample points (30 digits) ra and rb were compared at, or -1 if
    they differ at one. `huge`: whether ra - rb has huge numbers, when the
    caller knows."""
    # every symbol of either form (not of their difference: 2x + 5 - 2x
    # has none, yet both forms need x to be evaluated)
    symbols = sorted(ra.free_symbols | rb.free_symbols, key=lambda s: s.name)
    if huge is None:
        huge = has_huge_numbers(ra - rb)
    if not huge:
        fast = _samples_mpmath(ra, rb, symbols, points)
        if fast is not None:
            return fast
    seen = 0
    for values in _sample_points(symbols, points):
        point = {s: sympy.Float(v, 30) for s, v in zip(symbols, values, strict=True)}
        with sympy.evaluate(False):  # no exact powers of Floats while substituting
            at_a, at_b = ra.xreplace(point), rb.xreplace(point)
        kind_a, va = number_value(at_a, 30)
        kind_b, vb = number_value(at_b, 30)
        if kind_a != "finite" or kind_b != "finite":
            continue  # undefined or beyond float range there: no evidence
        verdict = _compare(va, vb)
        if verdict < 0:
            return -1
        seen += verdict
    return seen


class _NoProof(Exception):
    """A rule of :class:`_Rearranged` would change the domain, or the
    expression has something it does not handle."""


#: Powers of a numeric factor pulled out of a power, (2x)^n = 2^n x^n, for
#: |n| up to this (a larger n would make a huge number for nothing).
_POWER_OF_CONTENT = 64


class _Rearranged:
    """Expressions as (numeric coefficient, key): a key is a number standing
    for what the field rules alone cannot change, so that two expressions
    with equal pairs are equal. Sums and products are taken in any order and
    grouping, numeric coefficients are collected (``-1*2*t`` is ``-2t``),
    numeric factors move through sums (``2(s - t)`` is ``2s - 2t``, and
    ``t - s`` is ``-(s - t)``) and integer powers of one base merge (``x*x``
    is ``x^2``). Each distinct node is visited once and each key is a
    shallow tuple made once (hash-consed), so the cost is linear in the
    distinct nodes. Raises _NoProof where a rule would change the domain
    (``x - x`` or ``x/x`` vanishing), for undefined numbers and for
    non-commutative symbols."""

    def __init__(self):
        self._memo: dict = {}
        self._ids: dict = {}
        self._products: dict = {}  # key of a product -> its (base, power) items
        self._sums: dict = {}  # key of a sum -> its (term, coefficient) items
        self.one = self._key(("1",))

    def _key(self, parts) -> int:
        return self._ids.setdefault(parts, len(self._ids))

    def _product(self, c, factors: dict):
        items = list(factors.items())
        if any(n == 0 for _, n in items):
            raise _NoProof  # x/x: the factor is gone, and x = 0 with it
        if not items:
            return c, self.one
        if len(items) == 1 and items[0][1] == 1:
            return c, items[0][0]
        frozen = frozenset(items)
        k = self._key(("*", frozen))
        self._products[k] = frozen
        return c, k

    def _factors(self, k: int, n: int, into: dict) -> None:
        if k == self.one:
            return
        items = self._products.get(k)
        if items is None:
            into[k] = into.get(k, 0) + n
            return
        for base, m in items:
            into[base] = into.get(base, 0) + m * n

    def __call__(self, e):
        done = self._memo.get(e)
        if done is None:
            done = self._memo[e] = self._visit(e)
        return done

    def _visit(self, e):
        from fractions import Fraction

        if e.is_Rational:
            return Fraction(int(e.p), int(e.q)), self.one
        if e.is_Atom:
            if e in (sympy.nan, sympy.zoo, sympy.oo, -sympy.oo) or not e.is_commutative:
                raise _NoProof
            return Fraction(1), self._key(("a", e))
        if e.is_Mul:
            c = Fraction(1)
            factors: dict = {}
            for a in e.args:
                ca, ka = self(a)
                c *= ca
                self._factors(ka, 1, factors)
            if c == 0:
                raise _NoProof  # 0*(1/x): SymPy's 0 drops where x = 0
            return self._product(c, factors)
        if e.is_Add:
            terms: dict = {}
            for a in e.args:
                ca, ka = self(a)
                inner = self._sums.get(ka)
                if inner is None:
                    terms[ka] = terms.get(ka, 0) + ca
                else:
                    for k, c in inner:
                        terms[k] = terms.get(k, 0) + ca * c
            if any(c == 0 for c in terms.values()):
                raise _NoProof  # x - x: the term is gone, with its domain
            if len(terms) == 1:
                ((k, c),) = terms.items()
                return c, k
            g = Fraction(
                math.gcd(*(c.numerator for c in terms.values())),
                math.lcm(*(c.denominator for c in terms.values())),
            )
            if terms[min(terms)] < 0:  # the sign, by the term made first
                g = -g
            frozen = frozenset((k, c / g) for k, c in terms.items())
            k = self._key(("+", frozen))
            self._sums[k] = frozen
            return g, k
        if e.is_Pow and e.exp.is_Integer:
            n = int(e.exp)
            cb, kb = self(e.base)
            if cb == 0:
                raise _NoProof
            factors = {}
            if abs(n) <= _POWER_OF_CONTENT:
                c = cb**n
                self._factors(kb, n, factors)
            else:
                c = Fraction(1)
                self._factors(self._key(("^", cb, kb, n)), 1, factors)
            return self._product(c, factors)
        # a function, a non-integer power, anything else: by its arguments
        return Fraction(1), self._key(("f", e.func, tuple(self(a) for a in e.args)))


def reduces_to_zero(e, n: int | None = None) -> bool:
    """Whether cheap rewrites turn `e` (with `n` operations, counted if not
    given) into 0: ``expand`` up to 200 operations, ``cancel`` up to 120 and,
    up to twice FULL_SIMPLIFY_OPS, the rewrites that stand in for SymPy's
    simplify, with ``exptrigsimp``. False means only: not shown that way."""
    if e == 0:
        return True
    if n is None:
        n = ops(e) if at_most(e, 1000) else 1000
    tries = [sympy.expand] if n <= 200 else []
    if n <= 120:
        tries.append(sympy.cancel)
    if n <= 2 * FULL_SIMPLIFY_OPS:
        tries += [*_small_forms(), sympy.exptrigsimp]
    return any(_try(fn, e) == 0 for fn in tries)


def equal_by_rearranging(a, b) -> bool:
    """Whether `a` and `b` are equal by the field rules alone (see
    :class:`_Rearranged`; False means only: not shown that way)."""
    try:
        same = _Rearranged()
        return same(a) == same(b)
    except (_NoProof, RecursionError):
        return False


def same_value(a, b) -> str:
    """How forms `a` and `b` compare as real functions: ``'symbolic'`` (equal
    by rearranging, or their difference, with real symbols, rewrites to 0),
    ``'numeric'`` (equal to 30 digits at every sample point of their common
    real domain where 30 digits can tell, at least 3, but not reduced to 0
    by the rewrites tried, none past 200 operations), ``'different'`` (they differ at a sample point)
    or ``'unknown'`` (too few such sample points)."""
    return compare_forms(a, b)[0]


#: Pieces: functions whose value switches where an argument crosses 0 (or
#: two arguments tie), and those with infinitely many switches.
_SWITCHING = (sympy.Abs, sympy.sign, sympy.Heaviside, sympy.Max, sympy.Min)
_ENDLESS = (sympy.floor, sympy.ceiling, sympy.frac)
#: Most breakpoints of the pieces sampled one by one.
MAX_BREAKPOINTS = 40
#: Points sampled beyond the breakpoints and between them.
_FAR = (10, 100, 1000)


def _switch_arguments(e) -> list | None:
    """The expressions whose sign decides which piece of `e` applies (the
    argument of abs/sign/Heaviside/relu, the differences of max/min's
    arguments, the sides of Piecewise conditions), or None where the pieces
    cannot be listed (floor, ceiling)."""
    from dfdx.text.functions import relu

    if e.has(*_ENDLESS):
        return None
    out = []
    for atom in e.atoms(*_SWITCHING, relu, sympy.Piecewise):
        if isinstance(atom, (sympy.Max, sympy.Min)):
            args = atom.args
            out += [p - q for i, p in enumerate(args) for q in args[i + 1 :]]
        elif isinstance(atom, sympy.Piecewise):
            for cond in (c for _, c in atom.args):
                for rel in cond.atoms(sympy.core.relational.Relational):
                    out.append(rel.lhs - rel.rhs)
        else:
            out.append(atom.args[0])
    return out


def breakpoints(e, x) -> list[float] | None:
    """The real points where a piece of `e` (a function of `x` alone) may
    switch, sorted; [] for a smooth form; None where they cannot be listed
    (infinitely many, as for abs(sin(x)), or SymPy cannot solve in time)."""
    args = _switch_arguments(e)
    if args is None:
        return None
    found: set[float] = set()
    for u in args:
        if not u.has(x):
            continue
        solved = _try(lambda v: sympy.solveset(v, x, sympy.S.Reals), u)
        if solved is sympy.S.EmptySet:
            continue
        if solved is None or not isinstance(solved, sympy.FiniteSet):
            return None
        for root in solved:
            value = _try(lambda r: complex(sympy.N(r, 30)), root)
            if value is None or abs(value.imag) > 1e-12 * max(1, abs(value)):
                return None
            found.add(value.real)
        if len(found) > MAX_BREAKPOINTS:
            return None
    return sorted(found)


def _piece_points(cuts: list[float]) -> list[list[float]]:
    """Sample points for every piece between the `cuts`: both sides of each
    cut, the middle of each piece, and far out on both ends. One list per
    piece, in order."""
    if not cuts:
        return [[0.37, 1.21, -0.71, -1.9, 2.3, -2.6, *_FAR, *(-f for f in _FAR)]]
    pieces: list[list[float]] = []
    lo = cuts[0]
    pieces.append(
        [lo - 1e-3 * max(1, abs(lo)), lo - 0.5, lo - 1.3, *(lo - f for f in _FAR)]
    )
    for left, right in zip(cuts, cuts[1:]):
        gap = right - left
        d = min(1e-3 * max(1, abs(left), abs(right)), gap / 4)
        pieces.append([left + d, left + gap / 2, right - d, left + gap * 0.37])
    hi = cuts[-1]
    pieces.append(
        [hi + 1e-3 * max(1, abs(hi)), hi + 0.5, hi + 1.3, *(hi + f for f in _FAR)]
    )
    return pieces


def _by_pieces(a, b, x, cuts) -> tuple[str, int]:
    """Compare `a` and `b` on every piece: 'different' at a point of one,
    'numeric' when each piece where either is real had a telling point,
    else 'unknown'."""
    pieces = _piece_points(cuts)
    flat = [[v] for piece in pieces for v in piece]
    verdicts = _samples_mpmath(a, b, [x], flat, per_point=True)
    if verdicts is None:  # not compilable for mpmath: the SymPy path
        verdicts = []
        for (v,) in flat:
            point = {x: sympy.Float(v, 30)}
            with sympy.evaluate(False):
                at_a, at_b = a.xreplace(point), b.xreplace(point)
            kind_a, va = number_value(at_a, 30)
            kind_b, vb = number_value(at_b, 30)
            ok = kind_a == "finite" and kind_b == "finite"
            verdicts.append(_compare(va, vb) if ok else None)
    if any(v is not None and v < 0 for v in verdicts):
        return "different", 0
    seen, i, complete = 0, 0, True
    for piece in pieces:
        got = verdicts[i : i + len(piece)]
        i += len(piece)
        seen += sum(v for v in got if v)
        if any(v == 0 for v in got) and not any(v == 1 for v in got):
            # compared there, but 30 digits could not tell: unless both forms
            # are exactly 0 on the piece (relu′ left of its corner)
            if not all(_both_zero(a, b, x, v) for v in piece):
                complete = False
    return ("numeric" if complete and seen >= 3 else "unknown"), seen


def _both_zero(a, b, x, v: float) -> bool:
    """Whether `a` and `b` are both exactly 0 at x = `v` (evaluated at 60
    digits after exact substitution: a true 1e-40 is not 0 there)."""
    point = {x: sympy.Float(v, 60)}
    for form in (a, b):
        try:
            with sympy.evaluate(False):
                at = form.xreplace(point)
            value = sympy.N(at.doit(), 60)
        except Exception:
            return False
        if value != 0:
            return False
    return True


def compare_forms(a, b) -> tuple[str, int]:
    """:func:`same_value`'s verdict and the number of sample points at which
    the two forms were found equal to 30 digits (0 for a verdict reached
    without sampling). Forms with pieces (abs, max, relu, ...) of one
    variable are sampled on every piece, both sides of every breakpoint and
    far out; with several variables, or pieces that cannot be listed,
    samples can only show them different, never equal ('unknown')."""
    if a == b or equal_by_rearranging(a, b):
        return "symbolic", 0
    diff = a - b
    symbols = (a.free_symbols | b.free_symbols) - {sympy.Symbol("_")}
    pieces = _switch_arguments(a) != [] or _switch_arguments(b) != []
    if pieces:
        cuts = None
        if len(symbols) == 1:
            x = next(iter(symbols))
            cuts_a, cuts_b = breakpoints(a, x), breakpoints(b, x)
            if cuts_a is not None and cuts_b is not None:
                cuts = sorted(set(cuts_a) | set(cuts_b))
        if cuts is not None and len(cuts) <= MAX_BREAKPOINTS:
            verdict, seen = _by_pieces(a, b, next(iter(symbols)), cuts)
            if verdict == "different":
                return verdict, 0
        else:
            seen = _samples(a, b)
            if seen < 0:
                return "different", 0
            verdict = "unknown"
        n = ops(diff) if at_most(diff, 1000) else 1000
        if n <= 200:
            from dfdx.exact.symbols import real_symbols

            if reduces_to_zero(real_symbols(diff)[0], n):
                return "symbolic", seen
        return verdict, seen
    huge = has_huge_numbers(diff)
    seen = _samples(a, b, huge=huge)
    if seen < 0:
        return "different", 0
    if huge:
        return ("numeric" if seen >= 3 else "unknown"), seen
    # count_ops gives each operation at most four arguments below it (x/y
    # is Mul(x, Pow(y, -1)): one operation, five nodes), so more than 1 000
    # nodes is more than 200 operations: no rewrite would be tried, and
    # counting them (45 ms on a network's derivative) is skipped
    n = ops(diff) if at_most(diff, 1000) else 1000
    if n <= 200:  # rewrites follow: with real symbols (sqrt(x^2) is |x|)
        from dfdx.exact.symbols import real_symbols

        diff = real_symbols(diff)[0]
    if reduces_to_zero(diff, n):
        return "symbolic", seen
    # too few points where 30 digits could tell (an identity whose sides
    # cancel to rounding noise, a saturated sigmoid): no claim
    return ("numeric" if seen >= 3 else "unknown"), seen
