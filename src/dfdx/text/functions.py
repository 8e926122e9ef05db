"""The functions and constants of the expression grammar: the deep-learning
functions as SymPy functions (they keep their names in formulas and steps:
sigma(x), not 1/(1 + exp(-x))), their NumPy versions, and the table of the
names accepted in expression text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sympy

# ---------------------------------------------------------------------------
# Deep-learning functions as SymPy functions, so they keep their names in
# formulas and steps (sigma(x), not 1/(1 + exp(-x))).
# ---------------------------------------------------------------------------


def _with_power(tex: str, exp) -> str:
    """LaTeX of a function call, raised to `exp` when SymPy prints a power."""
    return tex if exp is None else f"{tex}^{{{exp}}}"


class sigmoid(sympy.Function):
    r"""The logistic sigmoid :math:`\sigma(x) = 1/(1 + e^{-x})`."""

    nargs = 1

    @classmethod
    def eval(cls, arg):
        # zero only as a number: asking a symbolic sum is_zero runs the
        # assumptions over every term (a quarter second on a network's
        # pre-activation, paid at every rebuild); a sum that is zero only by
        # its symbols' assumptions stays sigmoid(...), which is still right
        if arg.is_number and arg.is_zero:
            return sympy.S.Half
        if arg is sympy.oo:
            return sympy.S.One
        if arg is sympy.S.NegativeInfinity:
            return sympy.S.Zero
        if arg.is_Float:
            return 1 / (1 + sympy.exp(-arg))
        return None

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return 1 / (1 + sympy.exp(-arg))

    def _eval_evalf(self, prec):
        return self.rewrite(sympy.exp)._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _latex(self, printer, exp=None):
        return _with_power(rf"\sigma\left({printer._print(self.args[0])}\right)", exp)


class softplus(sympy.Function):
    r"""The softplus function :math:`\log(1 + e^{x})`."""

    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_number and arg.is_zero:  # as in sigmoid
            return sympy.log(2)
        if arg is sympy.oo:
            return sympy.oo
        if arg is sympy.S.NegativeInfinity:
            return sympy.S.Zero
        if arg.is_Float:
            return sympy.log(1 + sympy.exp(arg))
        return None

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])

    def _eval_rewrite_as_log(self, arg, **kwargs):
        return sympy.log(1 + sympy.exp(arg))

    _eval_rewrite_as_exp = _eval_rewrite_as_log

    def _eval_evalf(self, prec):
        return self.rewrite(sympy.log)._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _latex(self, printer, exp=None):
        return _with_power(
            rf"\operatorname{{softplus}}\left({printer._print(self.args[0])}\right)",
            exp,
        )


class relu(sympy.Function):
    r"""The rectified linear unit :math:`\max(0, x)`.

    Its derivative is the Heaviside step with value 0 at 0, the convention
    PyTorch uses (``relu'(0) = 0``); mathematically relu is not differentiable
    at 0.
    """

    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_number and arg.is_extended_real:
            return sympy.Max(0, arg)
        if arg.is_nonnegative:
            return arg
        if arg.is_nonpositive:
            return sympy.S.Zero
        return None

    def fdiff(self, argindex=1):
        return sympy.Heaviside(self.args[0], 0)

    def _eval_rewrite_as_Max(self, arg, **kwargs):
        return sympy.Max(0, arg)

    def _eval_rewrite_as_Piecewise(self, arg, **kwargs):
        return sympy.Piecewise((0, arg < 0), (arg, True))

    def _eval_evalf(self, prec):
        return sympy.Max(0, self.args[0])._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _latex(self, printer, exp=None):
        return _with_power(
            rf"\operatorname{{ReLU}}\left({printer._print(self.args[0])}\right)", exp
        )


def _np_sigmoid(x):
    x = np.asarray(x)
    if np.iscomplexobj(x):
        return 1 / (1 + np.exp(-x))
    # exp(-|x|) never overflows; both branches are the same function.
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def _np_softplus(x):
    x = np.asarray(x)
    if np.iscomplexobj(x):
        return np.log1p(np.exp(x))
    return np.logaddexp(0, x)


def _np_relu(x):
    return np.maximum(x, 0)


class real_root(sympy.Function):
    r"""The real q-th root of b for an odd q, the textbook meaning of
    ``b**(1/q)``:
    ``x^(1/3)`` is -2 at x = -8 (SymPy's ``x**(1/3)`` is the complex principal
    root there). ``real_root(b, p, q)`` is the real ``b**(p/q)``, kept as
    ``real_root(b, 1, q)**p`` (``cbrt(x)**2``).

    Only the parser makes it, from what was typed (``x^(1/3)``, ``cbrt(x)``,
    ``root(x, 3)``), and it prints as ``cbrt(x)`` or ``root(x, 5)``: SymPy's
    own rewrites (``sqrt(x)**(2/3)`` and
    ``exp(log(x)/3)`` become ``x**(1/3)``) can never produce it, so a form
    that is not real for x < 0 is never read as real there."""

    nargs = 3

    @classmethod
    def eval(cls, b, p, q):
        if not (p.is_Integer and q.is_Integer and q.is_positive and q % 2 == 1):
            raise ValueError("real_root(b, p, q) needs integers p and odd q > 0")
        r = sympy.Rational(p, q)
        if r.is_Integer:
            return b**r
        if b.is_zero:
            return sympy.S.Zero if r.is_positive else sympy.S.ComplexInfinity
        if p != 1:  # x^(2/3) = cbrt(x)**2 and x^(-2/3) = 1/cbrt(x)**2, exactly
            return cls(b, 1, r.q) ** r.p
        if b.is_negative:  # the real root of a negative number, exactly
            return (-1) ** int(p) * (-b) ** r
        if b.is_nonnegative:  # there the principal root is the real one
            return b**r
        return None

    @property
    def exponent(self) -> sympy.Rational:
        return sympy.Rational(self.args[1], self.args[2])

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise sympy.ArgumentIndexError(self, argindex)
        b, p, q = self.args
        return self.exponent * real_root(b, p - q, q)  # eval: 1/... if p < q

    def as_real_form(self):
        """sign(b)·|b|^(p/q) for an odd p, |b|^(p/q) for an even one."""
        b, p, q = self.args
        body = sympy.Abs(b) ** self.exponent
        return sympy.sign(b) * body if int(p) % 2 else body

    def _eval_rewrite_as_Abs(self, b, p, q, **kwargs):
        return self.as_real_form()

    def _eval_evalf(self, prec):
        return self.as_real_form()._eval_evalf(prec)

    def _eval_is_extended_real(self):
        b = self.args[0]
        if b.is_extended_real and (self.exponent.is_positive or b.is_nonzero):
            return True
        return None

    def _eval_as_leading_term(self, x, logx, cdir):
        return self.as_real_form().as_leading_term(x, logx=logx, cdir=cdir)

    def _eval_nseries(self, x, n, logx, cdir=0):
        return self.as_real_form()._eval_nseries(x, n, logx, cdir)

    def _sympystr(self, printer):
        # cbrt(x), root(x, 5): never x**(1/3), which is SymPy's complex
        # principal root (what exp(log(x)/3) becomes)
        b, _, q = self.args
        inner = printer._print(b)
        return f"cbrt({inner})" if q == 3 else f"root({inner}, {q})"

    def _latex(self, printer, exp=None):
        b, _, q = self.args
        tex = rf"\sqrt[{q}]{{{printer._print(b)}}}"
        return tex if exp is None else rf"\left({tex}\right)^{{{exp}}}"


def _np_real_root(b, p, q):
    b = np.asarray(b)
    body = np.abs(b) ** (float(p) / float(q))
    return np.sign(b) * body if int(p) % 2 else body


class _RealAbs(sympy.Function):
    """|u| for a u that is real wherever it is defined (every dfdx function
    is, on its real domain): d|u| = sign(u)·du. SymPy, which treats √x - 1
    as possibly complex, differentiated |√x - 1| through atan2(0, x) and
    sin² + cos²."""

    def fdiff(self, argindex=1):
        return _RealSign(self.args[0])


class _RealSign(sympy.Function):
    """sign(u) for such a u: its derivative is 0 away from u = 0 (the jump
    at 0 is the kink dfdx reports, never a value)."""

    def fdiff(self, argindex=1):
        return 2 * sympy.DiracDelta(self.args[0])


def _real_abs(e):
    """`e` with |b^(p/q)| for an even q (√b, 1/√b) written b^(p/q) (where the
    root is real it is not negative; elsewhere neither form is real), then
    each |u| (and sign(u)) whose u SymPy does not know to be real replaced by
    the real-domain forms above."""
    e = e.replace(
        lambda n: (
            isinstance(n, sympy.Abs)
            and n.args[0].is_Pow
            and n.args[0].exp.is_Rational
            and n.args[0].exp.q % 2 == 0
        ),
        lambda n: n.args[0],
    )
    return e.replace(
        lambda n: (
            isinstance(n, (sympy.Abs, sympy.sign))
            and n.args[0].is_extended_real is not True
        ),
        lambda n: (_RealAbs if isinstance(n, sympy.Abs) else _RealSign)(n.args[0]),
    )


def _signed_again(e):
    return e.replace(_RealAbs, sympy.Abs).replace(_RealSign, sympy.sign)


def real_diff(e, x, n: int = 1):
    """``sympy.diff(e, x, n)`` for a function of real variables on its real
    domain: |u| differentiates to sign(u)·u′ even where SymPy cannot tell
    that u is real (|√x − 1|, whose SymPy derivative goes through atan2 and
    sin² + cos²), and |√u| is √u. Every derivative dfdx computes of a typed
    function goes through here."""
    if n == 0:
        return e
    if not e.has(sympy.Abs, sympy.sign):
        return sympy.diff(e, x, n)
    return _signed_again(sympy.diff(_real_abs(e), x, n))


def real_form(expr):
    """`expr` with each :class:`real_root` written with sign and Abs (for
    SymPy's limits and for printers that know only SymPy's functions)."""
    if not expr.has(real_root):
        return expr
    return expr.replace(real_root, lambda b, p, q: real_root(b, p, q).as_real_form())


def _odd_root(base, exponent):
    """base^(p/q) with an odd q as the real root (x^(1/3) = -2 at x = -8), or
    None: other exponents, and bases known to be nonnegative, keep SymPy's
    power (the same there)."""
    if not exponent.is_Rational or exponent.is_Integer or exponent.q % 2 == 0:
        return None
    if base.is_nonnegative:
        return None
    return real_root(base, exponent.p, exponent.q)


def _root(x, n):
    """root(x, n): the real n-th root for an odd n, the square-root-like
    principal one (not real below 0) for an even n."""
    if not (n.is_Integer and n.is_positive):
        raise ValueError("root(x, n) needs a positive whole number n")
    if n == 1:
        return x
    odd = _odd_root(x, sympy.Rational(1, n))
    return odd if odd is not None else x ** sympy.Rational(1, n)


#: NumPy implementations of the functions SymPy does not know, for lambdify.
NUMPY_FUNCTIONS: dict[str, Callable] = {
    "sigmoid": _np_sigmoid,
    "softplus": _np_softplus,
    "relu": _np_relu,
    "real_root": _np_real_root,
}


def _log(x, base=None):
    return sympy.log(x) if base is None else sympy.log(x, base)


def _norm(*args):
    return sympy.sqrt(sympy.Add(*[a**2 for a in args]))


def _logsumexp(*args):
    return sympy.log(sympy.Add(*[sympy.exp(a) for a in args]))


# name -> (builder, allowed argument counts (min, max or None for any))
_FUNCTION_TABLE: dict[str, tuple[Callable, tuple[int, int | None]]] = {
    "sin": (sympy.sin, (1, 1)),
    "cos": (sympy.cos, (1, 1)),
    "tan": (sympy.tan, (1, 1)),
    "cot": (sympy.cot, (1, 1)),
    "sec": (sympy.sec, (1, 1)),
    "csc": (sympy.csc, (1, 1)),
    "asin": (sympy.asin, (1, 1)),
    "acos": (sympy.acos, (1, 1)),
    "atan": (sympy.atan, (1, 1)),
    "arcsin": (sympy.asin, (1, 1)),
    "arccos": (sympy.acos, (1, 1)),
    "arctan": (sympy.atan, (1, 1)),
    "acot": (sympy.acot, (1, 1)),
    "asec": (sympy.asec, (1, 1)),
    "acsc": (sympy.acsc, (1, 1)),
    "arccot": (sympy.acot, (1, 1)),
    "arcsec": (sympy.asec, (1, 1)),
    "arccsc": (sympy.acsc, (1, 1)),
    "sinh": (sympy.sinh, (1, 1)),
    "coth": (sympy.coth, (1, 1)),
    "sech": (sympy.sech, (1, 1)),
    "csch": (sympy.csch, (1, 1)),
    "arsinh": (sympy.asinh, (1, 1)),
    "arcosh": (sympy.acosh, (1, 1)),
    "artanh": (sympy.atanh, (1, 1)),
    "cosh": (sympy.cosh, (1, 1)),
    "tanh": (sympy.tanh, (1, 1)),
    "asinh": (sympy.asinh, (1, 1)),
    "acosh": (sympy.acosh, (1, 1)),
    "atanh": (sympy.atanh, (1, 1)),
    "arcsinh": (sympy.asinh, (1, 1)),
    "arccosh": (sympy.acosh, (1, 1)),
    "arctanh": (sympy.atanh, (1, 1)),
    "exp": (sympy.exp, (1, 1)),
    "log": (_log, (1, 2)),
    "ln": (sympy.log, (1, 1)),
    "log2": (lambda x: sympy.log(x, 2), (1, 1)),
    "log10": (lambda x: sympy.log(x, 10), (1, 1)),
    "sqrt": (sympy.sqrt, (1, 1)),
    "cbrt": (lambda u: _root(u, sympy.Integer(3)), (1, 1)),
    "root": (_root, (2, 2)),
    "abs": (sympy.Abs, (1, 1)),
    "sign": (sympy.sign, (1, 1)),
    "sigmoid": (sigmoid, (1, 1)),
    "relu": (relu, (1, 1)),
    "ReLU": (relu, (1, 1)),
    "softplus": (softplus, (1, 1)),
    "max": (sympy.Max, (2, None)),
    "min": (sympy.Min, (2, None)),
    "norm": (_norm, (1, None)),
    "logsumexp": (_logsumexp, (1, None)),
}

#: The function names accepted in expression text.
FUNCTIONS: tuple[str, ...] = tuple(sorted(_FUNCTION_TABLE))

#: The constant names accepted in expression text.
CONSTANTS: dict[str, Any] = {"pi": sympy.pi, "e": sympy.E}
