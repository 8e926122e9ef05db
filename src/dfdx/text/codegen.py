"""Expressions as NumPy code (:func:`lambdify_numpy`, SymPy's printer with
dfdx's functions and private argument names) and the numeric value of a
constant expression (:func:`number_value`: double precision where it is
enough, mpmath where it is not)."""

from __future__ import annotations

import functools
import inspect
import math
import re
from collections.abc import Callable

import numpy as np
import sympy

from dfdx.errors import DfdxError, ParseError
from dfdx.text._numbers import (
    _FLOAT_MAX,
    _MAX_EXACT_TOWER,
    _short,
    _tower_depth,
    distinct_nodes,
)
from dfdx.text.functions import NUMPY_FUNCTIONS

# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def _natural_key(name: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def _lambdify_modules():
    return [NUMPY_FUNCTIONS, _NUMPY_HELPERS, "numpy"]


def _np_delta(x):
    """DiracDelta as a real function: 0 away from 0, undefined (NaN) at 0."""
    x = np.asarray(x, dtype=float)
    return np.where(x == 0, np.nan, 0.0)


def _np_logsumexp(*args):
    """log(exp(a) + exp(b) + ...) without overflow (shifted by the maximum)."""
    arrays = np.broadcast_arrays(*[np.asarray(a, dtype=float) for a in args])
    stacked = np.stack(arrays)
    top = np.max(stacked, axis=0)
    safe = np.where(np.isfinite(top), top, 0.0)
    return safe + np.log(np.sum(np.exp(stacked - safe), axis=0))


# Helpers the generated code calls. Their names start with '_dfdx_': user
# variable names cannot start with '_', and the generated function takes its
# arguments as dummies, so no user name can shadow a NumPy or helper name.
_NUMPY_HELPERS: dict[str, Callable] = {
    "_dfdx_delta": _np_delta,
    "_dfdx_logsumexp": _np_logsumexp,
}


@functools.lru_cache(maxsize=1)
def remembering(base):
    """A ``_print`` for a subclass of the SymPy printer `base` that prints each
    compound sub-expression once per printer and reuses its text: in a
    derivative (and in an explanation, whose steps contain each other) the
    same sub-expressions recur many times. Equal SymPy expressions have equal
    structure and so equal text; atoms (whose Float text can depend on the
    nesting level) and calls with keyword arguments (a power's base, LaTeX's
    exponent) are not remembered."""

    def _print(self, expr, **kwargs):
        if kwargs or not isinstance(expr, sympy.Basic) or expr.is_Atom:
            return base._print(self, expr, **kwargs)
        memo = self.__dict__.setdefault("_dfdx_memo", {})
        text = memo.get(expr)
        if text is None:
            text = memo[expr] = base._print(self, expr)
        return text

    return _print


def private_symbols(base):
    """A ``_print_Symbol`` for a subclass of the code printer `base`: the
    symbols in the instance's ``names`` (symbol -> name) are written under
    those names, the arguments' private names. This does what
    ``expr.xreplace({x: _dfdx_arg0, ...})`` did without rebuilding the
    expression (which re-evaluates every function in it: most of the time of
    compiling a network's derivative)."""

    def _print_Symbol(self, expr):
        name = self.names.get(expr)
        return name if name is not None else base._print_Symbol(self, expr)

    return _print_Symbol


def _numpy_printer_class():
    """The NumPy printer class for lambdify_numpy (defined once)."""
    from sympy.printing.numpy import NumPyPrinter

    class Printer(NumPyPrinter):
        names: dict = {}
        _print_Symbol = private_symbols(NumPyPrinter)
        _print = remembering(NumPyPrinter)

        def _print_ComplexInfinity(self, expr):
            return self._module_format(self._module + ".nan")

        def _print_DiracDelta(self, expr):
            if len(expr.args) != 1:  # derivatives of the delta: undefined
                raise DfdxError(f"cannot evaluate {expr} as a real function")
            return f"_dfdx_delta({self._print(expr.args[0])})"

        def _print_Derivative(self, expr):
            raise DfdxError(
                f"cannot evaluate {_short(expr)}: SymPy left the derivative unevaluated"
            )

        def _print_Subs(self, expr):
            raise DfdxError(f"cannot evaluate {_short(expr)}: an unevaluated Subs")

        def _print_Piecewise(self, expr):
            # SymPy's printer runs simplify_logic on conditions holding an ITE,
            # which can factor huge integers for minutes; rewrite ITE plainly
            from sympy.logic.boolalg import ITE

            def plain(cond):
                return cond.replace(
                    ITE,
                    lambda a, b, c: sympy.Or(
                        sympy.And(a, b), sympy.And(sympy.Not(a), c)
                    ),
                )

            exprs = ",".join(self._print(arg.expr) for arg in expr.args)
            conds = ",".join(self._print(plain(arg.cond)) for arg in expr.args)
            return (
                f"{self._module_format(self._module + '.select')}([{conds}], "
                f"[{exprs}], default={self._print(sympy.nan)})"
            )

        def _print_log(self, expr):
            arg = expr.args[0]
            if arg.is_Add and all(isinstance(t, sympy.exp) for t in arg.args):
                inner = ", ".join(self._print(t.args[0]) for t in arg.args)
                return f"_dfdx_logsumexp({inner})"
            return super()._print_log(expr)

    return Printer


def _numpy_printer(order: str | None = None):
    return _numpy_printer_class()(
        {
            "fully_qualified_modules": False,
            "inline": True,
            "allow_unknown_functions": True,
            "strict": False,
            "order": order,
        }
    )


def lambdify_numpy(symbols, expr, *, order: str | None = None):
    """A NumPy function of `expr` with positional arguments `symbols`.

    The arguments are dummies and helpers have private names, so no variable
    name can collide with a NumPy function (``maximum``, ``select``); the
    special functions SymPy's printer cannot write (DiracDelta, ``zoo``) get
    real-valued meanings (NaN where undefined), and ``log(exp(a) + exp(b))`` is
    evaluated without overflow. An unevaluated derivative is a DfdxError.
    ``order='none'`` writes sums and products in SymPy's internal order
    instead of sorting them first (several times faster to compile for
    large expressions; the values can differ in the last bits).
    """
    from sympy.core.function import AppliedUndef

    undefined = sorted(
        {type(a).__name__ for a in distinct_nodes(expr) if isinstance(a, AppliedUndef)}
    )
    if undefined:
        raise DfdxError(
            f"cannot evaluate {_short(expr)}: "
            + (
                f"{undefined[0]} is an undefined function (a name with no values)"
                if len(undefined) == 1
                else f"{', '.join(undefined)} are undefined functions (names "
                "with no values)"
            )
        )
    # private argument names, written by the printer (no rebuilt expression),
    # so no variable ('maximum') can stand for a NumPy function in the code
    private = [sympy.Symbol(f"_dfdx_arg{i}") for i in range(len(symbols))]
    printer = _numpy_printer(order)
    if all(isinstance(s, sympy.Symbol) for s in symbols):
        printer.names = {s: p.name for s, p in zip(symbols, private, strict=True)}
    else:
        expr = expr.xreplace(dict(zip(symbols, private, strict=True)))
    try:
        # in a tuple: lambdify puts the name of every symbol of an expression
        # into the code's namespace (hiding NumPy's maximum behind a variable
        # called maximum), but not those of a tuple's entries
        fn = sympy.lambdify(
            private,
            (expr,),
            modules=_lambdify_modules(),
            printer=printer,
            dummify=False,  # the arguments already have private names
            docstring_limit=0,  # no str() of the whole form for a docstring
            use_imps=False,  # no implemented_function: skip the walk for them
        )
    except DfdxError:
        raise
    except (TypeError, ValueError, KeyError, NameError, SyntaxError) as exc:
        raise DfdxError(f"cannot evaluate {_short(expr)} numerically ({exc})") from None

    def evaluate(*args):
        return fn(*args)[0]

    return evaluate


_ROUGH_UNARY: dict[type, Callable] = {
    sympy.exp: np.exp,
    sympy.log: np.log,
    sympy.sin: np.sin,
    sympy.cos: np.cos,
    sympy.tan: np.tan,
    sympy.sinh: np.sinh,
    sympy.cosh: np.cosh,
    sympy.tanh: np.tanh,
    sympy.asin: np.arcsin,
    sympy.acos: np.arccos,
    sympy.atan: np.arctan,
    sympy.Abs: np.abs,
}


def _rough_value(value) -> complex:
    """A constant SymPy expression in complex floating point (inf on
    overflow, NaN where unknown): a cheap first look before exact evaluation."""

    def walk(node, depth=0):
        if depth > 200:
            raise RecursionError
        if node.is_Number or node in (sympy.pi, sympy.E, sympy.I):
            if node.is_Float and abs(node) >= _FLOAT_MAX:
                return np.complex128(math.inf)
            return np.complex128(complex(node))
        if not isinstance(node, sympy.Expr):
            raise LookupError(node)
        args = [walk(a, depth + 1) for a in node.args]
        if node.is_Add:
            return np.sum(args)
        if node.is_Mul:
            return np.prod(args)
        if node.is_Pow:
            base, exp = args
            if (
                base.imag == 0
                and exp.imag == 0
                and (base.real >= 0 or float(exp.real).is_integer())
            ):
                return np.complex128(np.power(base.real, exp.real))
            return np.power(base, exp)
        fn = _ROUGH_UNARY.get(type(node))
        if fn is not None and len(args) == 1:
            return np.complex128(fn(args[0]))
        raise LookupError(node)  # anything else: the generated code below

    with np.errstate(all="ignore"):
        try:
            return complex(walk(value))
        except LookupError:
            pass
        except (TypeError, ValueError, OverflowError, RecursionError):
            return complex(math.nan)
        except ZeroDivisionError:
            return complex(math.inf)
        try:
            return complex(lambdify_numpy([], value)())
        except Exception:  # code SymPy cannot write for NumPy: no rough value
            return complex(math.nan)


def number_value(value, prec: int = 30):
    """The value of a constant SymPy expression as ``(kind, number)``.

    ``kind`` is ``'finite'`` (``number`` a complex with `prec` digits),
    ``'overflow'`` (a finite number beyond float range; ``number`` a SymPy
    Float with 3 digits, or None when it is too large to write down) or
    ``'undefined'`` (infinite, NaN, or not a number). A float evaluation comes
    first, so towers such as exp(exp(exp(1000))) are never evaluated exactly.
    """
    try:
        value = sympy.sympify(value)
    except (sympy.SympifyError, TypeError):
        return "undefined", None
    if not isinstance(value, sympy.Expr) or value.free_symbols:
        return "undefined", None
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        return "undefined", None
    rough = _rough_value(value)
    finite = math.isfinite(rough.real) and math.isfinite(rough.imag)
    if not finite and _tower_depth(value) > _MAX_EXACT_TOWER:
        # inf (or inf - inf, inf * 0) in floats: exact work could take forever
        huge = math.isinf(rough.real) or math.isinf(rough.imag)
        return ("overflow" if huge else "unknown"), None
    try:
        number = sympy.N(value, prec)
    except (TypeError, ValueError, ZeroDivisionError, AttributeError, OverflowError):
        return "undefined", None
    if number.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) or not number.is_number:
        return "undefined", None
    try:
        c = complex(number)
    except OverflowError:
        c = complex(math.inf)
    except (TypeError, ValueError):
        return "undefined", None
    if math.isfinite(c.real) and math.isfinite(c.imag):
        return "finite", c
    return "overflow", number


def _check_real_and_finite(result: sympy.Expr, text: str) -> None:
    """Refuse constants that are not real (sqrt(-1), (-8)^(1/3), log(-1)) or
    that no float can hold (10^400, 1e308*10, exp(1000)): evaluating them
    would raise or give complex numbers and inf."""
    for node in sympy.preorder_traversal(result):
        if isinstance(node, sympy.Number):
            if abs(node) > _FLOAT_MAX:
                raise ParseError(
                    f"number too large for floating point ({_short(node)})", text
                )
        elif node.is_number and node.is_extended_real is False:
            raise ParseError(
                f"{_short(node)} is not a real number (SymPy takes the principal "
                "complex value of roots and logarithms of negative numbers; "
                "dfdx works with real functions)",
                text,
            )
    if result.is_number:
        kind, value = number_value(result, 20)
        if kind != "finite":
            raise ParseError(
                f"the value of {_short(result)} is too large for floating point"
                if kind == "overflow"
                else f"{_short(result)} is not a real number",
                text,
            )
        exact = sympy.N(result, 20)  # finite: cheap; keeps tiny magnitudes
        re_part, im_part = exact.as_real_imag()
        if im_part != 0 and abs(im_part) > 1e-12 * abs(exact):
            raise ParseError(
                f"{_short(result)} is not a real number (about "
                f"{sympy.sstr(sympy.N(exact, 3))})",
                text,
            )


# ---------------------------------------------------------------------------
# NumPy source code for people to read and keep
# ---------------------------------------------------------------------------

#: dfdx's functions and helpers in generated source: the helper defined in
#: the source for each (its NumPy version, renamed).
_SOURCE_HELPERS: dict[str, Callable] = {
    **{f"_dfdx_{name}": fn for name, fn in NUMPY_FUNCTIONS.items()},
    **_NUMPY_HELPERS,
}

#: Modules the generated code names, and the private names it imports them
#: under (a variable called ``np`` or ``functools`` cannot hide them).
_SOURCE_MODULES = {"numpy": "_np", "functools": "_functools"}


@functools.lru_cache(maxsize=1)
def _source_printer_class():
    base = _numpy_printer_class()

    class SourcePrinter(base):  # type: ignore[misc, valid-type]
        def _module_format(self, fqn, register=True):
            head, _, rest = fqn.partition(".")
            if head in _SOURCE_MODULES and rest:
                if register:
                    self.module_imports[head].add(rest)
                return f"{_SOURCE_MODULES[head]}.{rest}"
            return super()._module_format(fqn, register)

        def _print_Function(self, expr):
            helper = f"_dfdx_{type(expr).__name__}"
            if helper in _SOURCE_HELPERS:
                args = ", ".join(self._print(a) for a in expr.args)
                return f"{helper}({args})"
            return super()._print_Function(expr)

    return SourcePrinter


def numpy_source(
    name: str,
    parameters: list[str],
    assignments: list[tuple[str, sympy.Expr]],
    results: list[sympy.Expr],
    doc: str = "",
) -> str:
    """The text of a standalone Python module defining ``name(*parameters)``:
    it computes `assignments` in order (name = expression) and returns the
    `results` as a NumPy array. NumPy is imported as ``_np`` and dfdx's
    functions (sigmoid, relu, ...) are defined in the text under names that
    start with ``_dfdx_``; user names cannot start with '_', so none can
    hide them."""
    printer = _source_printer_class()(
        {
            "fully_qualified_modules": True,
            "inline": True,
            "allow_unknown_functions": True,
            "strict": False,
        }
    )
    body = [f"    {target} = {printer.doprint(value)}" for target, value in assignments]
    out = ", ".join(printer.doprint(r) for r in results)
    body.append(f"    return _np.stack(_np.broadcast_arrays({out})).astype(float)")
    code = "\n".join(body)
    helpers = [
        re.sub(
            r"^def \w+", f"def {h}", re.sub(r"\bnp\.", "_np.", inspect.getsource(fn))
        )
        for h, fn in _SOURCE_HELPERS.items()
        if re.search(rf"\b{h}\(", code)
    ]
    used = code + "".join(helpers)
    lines = [
        f"import {m} as {alias}"
        for m, alias in _SOURCE_MODULES.items()
        if f"{alias}." in used
    ]
    lines += ["", ""]
    for h in helpers:
        lines += [h.rstrip(), "", ""]
    lines.append(f"def {name}({', '.join(parameters)}):")
    if doc:
        lines.append("    " + repr(doc))
    lines.append(code)
    return "\n".join(lines) + "\n"
