"""JavaScript for the browser: a parsed expression as JavaScript source.

SymPy's JavaScript printer writes the code; this module teaches it dfdx's own
functions (relu, sigmoid, softplus, the real odd root, a shifted logsumexp)
and the special functions derivatives bring (Heaviside, DiracDelta), each as a
call to a helper in the page's private ``_dfdx`` object (``HELPERS`` holds
their source). The helpers compute what the NumPy code of
:func:`dfdx.text.expr.lambdify_numpy` computes, with the same formulas, so in IEEE
double the page sees the same numbers, round-off included, as Python.

The code never holds a name of the user's: the variables are renamed to
``_dfdx_arg0, _dfdx_arg1, ...`` before printing, so a variable called
``Math`` or ``constructor`` cannot change what the code means.
"""

from __future__ import annotations

import functools
import math
import re

import sympy

from dfdx.errors import DfdxError
from dfdx.text.functions import real_root, relu, sigmoid, softplus

#: The helpers the generated code calls, as JavaScript source. They take the
#: same steps as the NumPy versions in dfdx.text.expr. ``touched`` records that a
#: sign, step or delta was asked for its value at exactly 0 (a kink or a jump:
#: there a derivative's formula does not decide the derivative).
HELPERS = r"""{
  touched: false,
  nonzero: function (v) { return isFinite(v) && v !== 0; },
  positive: function (v) { return isFinite(v) && v > 0; },
  nonnegative: function (v) { return isFinite(v) && v >= 0; },
  square: function (v) { return v * v; },
  relu: function (v) { return isNaN(v) ? NaN : Math.max(v, 0); },
  sigmoid: function (v) {
    var z = Math.exp(-Math.abs(v));
    return v >= 0 ? 1 / (1 + z) : z / (1 + z);
  },
  softplus: function (v) {
    if (isNaN(v)) return NaN;
    if (v === Infinity) return Infinity;
    var m = Math.max(v, 0);
    return m + Math.log1p(Math.exp(-Math.abs(v)));
  },
  real_root: function (b, p, q) {
    var body = Math.pow(Math.abs(b), p / q);
    return p % 2 ? Math.sign(b) * body : body;
  },
  logsumexp: function () {
    var top = -Infinity, i, s = 0;
    for (i = 0; i < arguments.length; i++) {
      if (isNaN(arguments[i])) return NaN;
      top = Math.max(top, arguments[i]);
    }
    var safe = isFinite(top) ? top : 0;
    for (i = 0; i < arguments.length; i++) s += Math.exp(arguments[i] - safe);
    return safe + Math.log(s);
  },
  sign: function (v) {
    if (v === 0) this.touched = true;
    return Math.sign(v);
  },
  heaviside: function (v, at0) {
    if (v === 0) { this.touched = true; return at0; }
    return v > 0 ? 1 : v < 0 ? 0 : NaN;
  },
  delta: function (v) {
    if (v === 0) { this.touched = true; return NaN; }
    return isNaN(v) ? NaN : 0;
  }
}"""

# What generated code may contain: numbers, private names, operators, calls.
# A defence in depth: no quote, no angle bracket followed by '/' or '!'.
#: A domain condition's relation as the helper that tests it (as
#: Expression._mask_outside does: a value that is not finite is outside).
_RELATION = {"ne": "nonzero", "gt": "positive", "ge": "nonnegative"}

_SAFE = re.compile(r"[\w\s.,()+\-*/%<>=!?:&|]*")


@functools.lru_cache(maxsize=1)
def _double(number) -> float:
    """The number as a JavaScript double; a DfdxError for one beyond double
    precision (the page would compute Infinity, or fail on 'inf')."""
    try:
        value = float(number)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise DfdxError(
            f"the explorer page cannot compute with the number "
            f"{sympy.Float(number, 3)}: it is "
            "beyond double precision (about 1.8e308)"
        )
    return value


def _printer_class():
    from sympy.printing.jscode import JavascriptCodePrinter

    class Printer(JavascriptCodePrinter):
        def _call(self, name, args):
            return f"_dfdx.{name}({', '.join(self._print(a) for a in args)})"

        def _print_Function(self, expr):
            name = type(expr).__name__
            if isinstance(expr, relu | sigmoid | softplus):
                return self._call(name, expr.args)
            if isinstance(expr, real_root):
                b, p, q = expr.args
                return f"_dfdx.real_root({self._print(b)}, {int(p)}, {int(q)})"
            # Math.* or a rewrite (cot -> 1/tan); _print_not_supported otherwise
            return super()._print_Function(expr)

        def _print_sign(self, expr):
            return self._call("sign", expr.args)

        def _print_Heaviside(self, expr):
            at0 = expr.args[1] if len(expr.args) > 1 else sympy.Rational(1, 2)
            return self._call("heaviside", [expr.args[0], at0])

        def _print_DiracDelta(self, expr):
            if len(expr.args) != 1:
                raise DfdxError("the explorer page cannot compute a delta's derivative")
            return self._call("delta", expr.args)

        def _print_log(self, expr):
            arg = expr.args[0]
            if arg.is_Add and all(isinstance(t, sympy.exp) for t in arg.args):
                return self._call("logsumexp", [t.args[0] for t in arg.args])
            return super()._print_Function(expr)

        def _print_Pow(self, expr):
            if expr.exp == 2:  # NumPy squares by one product, as this does
                return self._call("square", [expr.base])
            return super()._print_Pow(expr)

        def _print_Float(self, expr):
            return f"({_double(expr)!r})"

        def _print_Integer(self, expr):
            _double(expr)
            return super()._print_Integer(expr)

        def _print_Rational(self, expr):
            _double(expr.p), _double(expr.q)
            return super()._print_Rational(expr)

        def _print_NaN(self, expr):
            return "NaN"

        _print_ComplexInfinity = _print_NaN

        def _print_Infinity(self, expr):
            return "Infinity"

        def _print_NegativeInfinity(self, expr):
            return "(-Infinity)"

        def _print_Piecewise(self, expr):
            # nested conditionals; NaN where no piece applies (as NumPy's select)
            code = "NaN"
            for arg in reversed(expr.args):
                cond = self._print(arg.cond)
                code = f"(({cond}) ? ({self._print(arg.expr)}) : {code})"
            return code

        def _print_BooleanTrue(self, expr):
            return "true"

        def _print_BooleanFalse(self, expr):
            return "false"

        def _print_not_supported(self, expr):
            raise DfdxError(
                f"the explorer page cannot compute {type(expr).__name__} in JavaScript"
            )

        def _print_Derivative(self, expr):
            raise DfdxError(
                "the explorer page cannot compute an unevaluated derivative"
            )

        _print_Subs = _print_Derivative

    return Printer


def javascript(expr, symbols) -> str:
    """`expr` as one JavaScript expression of ``_dfdx_arg0, _dfdx_arg1, ...``
    (the `symbols` in order), calling the helpers of ``HELPERS`` as ``_dfdx``.

    `expr` is a SymPy expression or a :class:`dfdx.Expression`; for an
    Expression the code is NaN outside the domain of the function as typed
    (``x/x`` evaluates to 1 but is undefined at 0), as calling it is in Python.

    >>> import sympy
    >>> from dfdx import parse
    >>> e = parse("relu(x)^2 + Math")
    >>> javascript(e.sympy, [sympy.Symbol(v) for v in e.variables])
    '_dfdx_arg0 + _dfdx.square(_dfdx.relu(_dfdx_arg1))'

    Raises DfdxError for what JavaScript cannot compute (an unevaluated
    derivative, an undefined function).
    """
    lost: tuple = ()
    if not isinstance(expr, sympy.Basic):  # an Expression: its typed domain too
        lost = expr.domain.without(expr.sympy).conditions
        expr = expr.sympy
    private = {s: sympy.Symbol(f"_dfdx_arg{i}") for i, s in enumerate(symbols)}
    used = expr.free_symbols.union(*(u.free_symbols for u, _ in lost))
    extra = used - set(private)
    if extra:
        names = ", ".join(sorted(str(s) for s in extra))
        raise DfdxError(f"the page's function has variables it is not given: {names}")
    printer = _printer_class()({"strict": False, "human": True})
    code = printer.doprint(expr.xreplace(private))
    if lost:
        guard = " && ".join(
            f"_dfdx.{_RELATION[rel]}({printer.doprint(u.xreplace(private))})"
            for u, rel in lost
        )
        code = f"(({guard}) ? ({code}) : NaN)"
    if not _SAFE.fullmatch(code) or "</" in code or "<!" in code:
        raise DfdxError(
            "the explorer page cannot compute this expression in JavaScript"
        )
    return code
