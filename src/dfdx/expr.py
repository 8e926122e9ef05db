"""Safe parsing of expression text into SymPy, and the :class:`Expression` type.

Text typed by users (CLI arguments, notebook forms, the explorer page) is turned
into a SymPy expression by walking Python's :mod:`ast` with a whitelist. Nothing
is ever passed to ``eval``, ``exec``, ``sympify`` or ``parse_expr``.

Accepted: numbers, names, ``+ - * / **``, ``^`` as power, unary minus and plus,
implicit multiplication (``3x^2 - 4x``, ``2(x+1)``, ``x y``, ``(x+1)(x-1)``) and
calls of the known functions listed in :data:`FUNCTIONS`. The constants are
``pi`` and ``e``. Limits on length, nesting depth and the size of integer
powers keep inputs such as ``9**9**9**9`` from hanging anything.
"""

from __future__ import annotations

import ast
import bisect
import functools
import io
import keyword
import math
import re
import tokenize
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

import numpy as np
import sympy
from sympy.core.cache import cacheit
from sympy.printing.str import StrPrinter

from ._checks import finite_number
from ._timelimit import bounded
from .domain import Domain, conditions_of
from .errors import DfdxError, NotationWarning, ParseError

__all__ = [
    "Expression",
    "call_real",
    "parse",
    "as_expression",
    "FUNCTIONS",
    "CONSTANTS",
    "MAX_LENGTH",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_ARGUMENTS",
    "sigmoid",
    "softplus",
    "relu",
]

#: Longest expression text accepted, in characters.
MAX_LENGTH = 20_000
#: Deepest nesting of parentheses and operators accepted.
MAX_DEPTH = 60
#: Largest absolute integer exponent accepted on a symbolic base.
MAX_EXPONENT = 1000
#: Most arguments accepted by the functions of many arguments: SymPy's work on
#: max/min grows about 2**n (a gradient of max of 16 arguments took 11 s);
#: norm and logsumexp of 128 arguments take about 1.5 s.
MAX_ARGUMENTS = {"max": 12, "min": 12, "norm": 128, "logsumexp": 128}
#: Largest number of bits a constant integer power may produce.
_MAX_POWER_BITS = 4096


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

# Names of Python constructs for messages, by AST node type.
_CONSTRUCTS = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambda expressions",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Compare: "comparisons",
    ast.BoolOp: "boolean operators (and/or)",
    ast.IfExp: "conditional expressions (if/else)",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.Dict: "dictionaries",
    ast.Starred: "starred arguments",
    ast.NamedExpr: "assignment expressions (:=)",
    ast.JoinedStr: "strings",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}

_OPERATORS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
}


# ---------------------------------------------------------------------------
# Tokens: '^' -> '**' and implicit multiplication, keeping original columns.
# ---------------------------------------------------------------------------

_VALUE_END = {tokenize.NUMBER, tokenize.NAME}

# Mathematical characters with one meaning: read as their ASCII operator (one
# character each, so columns stay the same).
_UNICODE_SAME = str.maketrans(
    {
        "\u2212": "-",
        "\u00d7": "*",
        "\u00b7": "*",
        "\u22c5": "*",
        "\u2219": "*",
        "\u00f7": "/",
    }
)
# Characters that need rewriting by the user: what to write instead.
_UNICODE_HINTS = {
    "\u2032": "write the function itself; use dfdx diff for derivatives",
    "\u221e": "infinity is not a number here",
}


def _rewrite(
    text: str, functions: set[str] | None, notes: list[str] | None = None
) -> tuple[str, list[int], list[int]]:
    """Rewrite `text` into Python syntax (conventions applied go to `notes`).

    Returns the new source and two parallel sorted lists mapping offsets in the
    new source back to columns in `text`.
    """
    for pos, ch in enumerate(text):
        if ch in _UNICODE_HINTS:
            raise ParseError(
                f"character {ch!r} is not allowed; {_UNICODE_HINTS[ch]}", text, pos
            )
    text = text.translate(_UNICODE_SAME)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError) as exc:
        msg = str(exc.args[0]) if exc.args else "cannot read the text"
        col = None
        if len(exc.args) > 1 and isinstance(exc.args[1], tuple):
            col = max(exc.args[1][1] - 1, 0)
        if "EOF" in msg or "multi-line" in msg:
            msg = "unbalanced parentheses or unterminated string"
            col = None
        raise ParseError(msg, text, col) from None

    tokens = _unglue(tokens, notes)
    _refuse_ambiguous(tokens, text)
    # names used as plain variables somewhere (not directly before '('): only
    # those make 'x(x+1)' a product; 'f(x)' with f nowhere else is an unknown
    # function, not f*x
    significant = [t for t in tokens if t.type in (tokenize.NAME, tokenize.OP)]
    plain = {
        t.string
        for t, nxt in zip(significant, [*significant[1:], None])
        if t.type == tokenize.NAME and not (nxt is not None and nxt.string == "(")
    }
    out: list[str] = []
    new_offsets: list[int] = []
    old_cols: list[int] = []
    pos = 0
    prev = None  # previous significant token
    depth = 0
    for tok in tokens:
        if tok.type in (
            tokenize.NEWLINE,
            tokenize.NL,
            tokenize.ENDMARKER,
            tokenize.INDENT,
            tokenize.DEDENT,
            tokenize.COMMENT,
        ):
            if tok.type == tokenize.COMMENT:
                raise ParseError("comments ('#') are not allowed", text, tok.start[1])
            continue
        if tok.start[0] != 1:
            raise ParseError("expression must be on one line", text, None)
        string = tok.string
        if tok.type == tokenize.NUMBER and string[:2].lower() in ("0x", "0o", "0b"):
            raise ParseError(
                f"hexadecimal, octal and binary numbers ({string!r}) are not "
                "allowed; write decimal numbers (and 0*x10 for a product)",
                text,
                tok.start[1],
            )
        if tok.type == tokenize.OP and string == "^":
            string = "**"
        if tok.type == tokenize.OP and string in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ParseError(
                    f"nested too deeply (more than {MAX_DEPTH} levels)",
                    text,
                    tok.start[1],
                )
        elif tok.type == tokenize.OP and string in ")]}":
            depth -= 1
        if (
            prev is not None
            and tok.type == tokenize.NUMBER
            and (_is_value_name(prev) or prev.type == tokenize.NUMBER)
        ):
            raise ParseError(
                f"'{prev.string} {tok.string}': a number after "
                f"{'a name' if prev.type == tokenize.NAME else 'a number'} needs "
                f"'*' (write {prev.string}*{tok.string})",
                text,
                tok.start[1],
            )
        if prev is not None and _implicit_product(prev, tok, functions, plain):
            out.append("*")
            new_offsets.append(pos)
            old_cols.append(tok.start[1])
            pos += 1
        out.append(string + " ")
        new_offsets.append(pos)
        old_cols.append(tok.start[1])
        pos += len(string) + 1
        prev = tok
    return "".join(out), new_offsets, old_cols


#: Names never split into products of letters.
GREEK = frozenset(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lam lamda mu nu "
    "xi omicron rho sigma tau upsilon phi chi psi omega".split()
)
_PIECE = re.compile(r"pi(?![0-9])|[A-Za-z]\d*|\u03c0")
_PIECES = re.compile(r"(?:[A-Za-z]\d*|\u03c0)+")
_SHORT = re.compile(r"[A-Za-z]\d*")
_LOG_BASE = re.compile(r"(log|ln)_?\{?(\d+)\}?")


_NO_TOKEN = tokenize.TokenInfo(tokenize.ENDMARKER, "", (1, -9), (1, -9), "")


def _unglue(tokens, notes: list[str] | None):
    """Split names that are products written without '*' (2xy, ax, πx, xe).

    * π glued to anything is the constant times the rest (``2πx``);
    * a run of letters whose pieces are all variables used on their own
      elsewhere (or the constants e, π) is their product: ``x^2 + 2xy + y^2``;
    * by convention, in an expression whose other variables are single letters,
      a run of two or three letters is a product (``ax^2 + bx + c``);
    otherwise a name stays one variable (``loss``, ``theta``, ``w1``). Every
    split is reported in `notes` (never silent). Function names, constants and
    Greek letters are never split, nor a name followed by '('. In input that
    writes every product with '*' (``3 * xd + x * y``), names are names.
    """
    names = [t for t in tokens if t.type == tokenize.NAME]
    if not names:
        return tokens
    explicit = _explicit_products(tokens)
    known = set(_FUNCTION_TABLE) | set(CONSTANTS) | GREEK | set(keyword.kwlist)
    sig = [t for t in tokens if t.type != tokenize.NL]
    following = {id(t): nxt for t, nxt in zip(sig, [*sig[1:], _NO_TOKEN])}
    standalone = {
        t.string
        for t in names
        if _SHORT.fullmatch(t.string) and following[id(t)].string != "("
    }
    others = {t.string for t in names if t.string not in known}
    # short runs of single letters (ax, xy, abc): products by convention
    runs = {
        o
        for o in others
        if re.fullmatch(r"[A-Za-z]{2,3}", o) and not _glued_function(o)
    }
    out = []
    prev = _NO_TOKEN
    for t in tokens:
        before, prev = prev, t
        name = t.string
        nxt = following.get(id(t), _NO_TOKEN)
        if (
            t.type != tokenize.NAME
            or name in known
            or nxt.string == "("
            or not _PIECES.fullmatch(name)
            or _SHORT.fullmatch(name)
            or _glued_function(name)
        ):
            out.append(t)
            continue
        pieces = _PIECE.findall(name)
        if len(pieces) < 2:
            out.append(t)
            continue
        obvious = ("\u03c0" in pieces and len(pieces) > 1) or all(
            p in standalone or p in CONSTANTS for p in pieces
        )
        single = all(_SHORT.fullmatch(o) or o in runs for o in others - {name})
        after_number = before.type == tokenize.NUMBER and before.end == t.start
        short = len(pieces) <= 3 and (
            any(ch.isdigit() for ch in name) or len(name.replace("\u03c0", "")) <= 3
        )
        convention = short and (
            ((after_number or single) and len(others) > 1)
            or (after_number and name in runs)
        )
        if not (obvious or convention):
            out.append(t)
            continue
        if explicit:  # said, as a split would be: the other reading is close
            if notes is not None:
                note = (
                    f"kept {name!r} as one name (every product here is written "
                    f"with '*'); write {'*'.join(pieces)} for the product"
                )
                if note not in notes:
                    notes.append(note)
            out.append(t)
            continue
        if notes is not None:
            reading = "·".join(pieces)
            if "\u03c0" in pieces or "pi" in pieces:
                why = "\u03c0 is the constant pi"
            elif obvious:
                why = "the letters are variables used elsewhere"
            elif after_number:
                why = "a number followed by letters is a product"
            else:
                why = "the other variables are single letters"
            note = (
                f"read {name!r} as the product {reading} ({why}; write "
                f"{'*'.join(pieces)} to be explicit)"
            )
            if note not in notes:
                notes.append(note)
        col = t.start[1]
        for k, p in enumerate(pieces):
            if k:
                out.append(
                    tokenize.TokenInfo(tokenize.OP, "*", (1, col), (1, col), t.line)
                )
            out.append(
                tokenize.TokenInfo(
                    tokenize.NAME, p, (1, col), (1, col + len(p)), t.line
                )
            )
            col += len(p)
    return out


def _explicit_products(tokens) -> bool:
    """Whether the input writes products with '*' and never by juxtaposition
    (programmer style: ``4 * x**2 + 3 * xd``), so a run of letters is a name."""
    sig = [
        t
        for t in tokens
        if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER)
    ]
    if not any(t.type == tokenize.OP and t.string == "*" for t in sig):
        return False
    for a, b in zip(sig, sig[1:]):
        ends = (
            a.type == tokenize.NUMBER
            or (a.type == tokenize.NAME and not keyword.iskeyword(a.string))
            or a.string in (")", "|")
        )
        starts = b.type in (tokenize.NUMBER, tokenize.NAME) or b.string in ("(", "|")
        if not (ends and starts):
            continue
        if a.type == tokenize.NAME and b.string == "(":
            continue  # a call
        if "|" in (a.string, b.string) and not (a.type, b.type) == (
            tokenize.NUMBER,
            tokenize.NAME,
        ):
            continue  # |x| bars: which bar opens is not known here
        return False
    return True


def _glued_function(name: str) -> bool:
    """'sinx', 'logx1': a function name glued to its argument (refused later
    with a hint, never split into letters)."""
    glued = _GLUED_CALL.fullmatch(name)
    return glued is not None and glued.group(1) in _FUNCTION_TABLE


def _refuse_ambiguous(tokens, text: str) -> None:
    """Refuse notation with two common readings, showing both."""
    sig = [
        t
        for t in tokens
        if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER)
    ]
    for i, t in enumerate(sig):
        nxt = sig[i + 1] if i + 1 < len(sig) else _NO_TOKEN
        prev = sig[i - 1] if i else _NO_TOKEN
        glued = nxt.start == t.end
        log_base = _LOG_BASE.fullmatch(t.string)
        if (
            t.type == tokenize.NAME
            and log_base
            and not (glued and nxt.string == "(" and log_base.group(1) == "log")
        ):
            base = log_base.group(2)
            raise ParseError(
                f"{t.string!r} is not a function here; for the base-{base} "
                f"logarithm write log(x, {base})",
                text,
                t.start[1],
            )
        if (
            t.type == tokenize.NUMBER
            and re.search(r"[eE]", t.string)
            and not t.string.lower().startswith(("0x", "0b", "0o"))
            and glued
            and (nxt.type == tokenize.NAME or nxt.string == "(")
        ):
            mant, _, exp = t.string.lower().partition("e")
            op = "-" if exp.startswith("-") else "+"
            other = f"{mant}*e {op} {exp.lstrip('+-')}*{nxt.string}"
            raise ParseError(
                f"'{t.string}{nxt.string}' is ambiguous: {t.string}*{nxt.string} "
                f"(scientific notation) or {other}; write the one you mean",
                text,
                t.start[1],
            )
        if (
            t.type == tokenize.NUMBER
            and prev is not _NO_TOKEN
            and prev.string == "/"
            and nxt is not _NO_TOKEN
            and (nxt.type == tokenize.NAME or nxt.string == "(")
            and not keyword.iskeyword(nxt.string)
        ):
            num = sig[i - 2].string if i >= 2 else "a"
            rest = "(...)" if nxt.string == "(" else nxt.string
            raise ParseError(
                f"'{num}/{t.string}{rest}' is ambiguous: ({num}/{t.string})"
                f"\u00b7{rest} or {num}/({t.string}{rest}); add the "
                "parentheses you mean",
                text,
                t.start[1],
            )
        if t.type == tokenize.OP and t.string in ("^", "**") and nxt is not _NO_TOKEN:
            j = i + 1
            sign = ""
            if sig[j].string in ("-", "+") and j + 1 < len(sig):
                sign = sig[j].string if sig[j].string == "-" else ""
                j += 1
            if (
                prev.string == "e"
                and sig[j].type == tokenize.NUMBER
                and j + 1 < len(sig)
                and sig[j + 1].type == tokenize.NAME
                and sig[j + 1].start == sig[j].end
            ):
                k, v = sig[j].string, sig[j + 1].string
                raise ParseError(
                    f"'e^{sign}{k}{v}' is ambiguous: e^({sign}{k}{v}) or "
                    f"e^{sign}{k}\u00b7{v}; write exp({sign}{k}{v}) or e^{sign}{k}*{v}",
                    text,
                    t.start[1],
                )
            if (
                sig[j].type == tokenize.NUMBER
                and sig[j].string == "1"
                and j + 2 < len(sig)
                and sig[j + 1].string == "/"
                and sig[j + 2].type == tokenize.NUMBER
            ):
                den = sig[j + 2].string
                base = prev.string or "x"
                raise ParseError(
                    f"'{base}^{sign}1/{den}' reads as ({base}^{sign}1)/{den}, "
                    f"not {base}^({sign}1/{den}); add the parentheses you mean",
                    text,
                    t.start[1],
                )


def _is_value_name(tok) -> bool:
    return tok.type == tokenize.NAME and not keyword.iskeyword(tok.string)


def _implicit_product(
    prev,
    tok,
    functions: set[str] | None,
    plain: set[str] | frozenset[str] = frozenset(),
) -> bool:
    """Whether a '*' is implied between two adjacent tokens."""
    prev_ends_value = (
        prev.type == tokenize.NUMBER
        or _is_value_name(prev)
        or (prev.type == tokenize.OP and prev.string == ")")
    )
    if not prev_ends_value:
        return False
    if tok.type == tokenize.NUMBER:
        # '2 3' is an error, not 6; 'x 2' is an error too (write 2x or x*2)
        return prev.type == tokenize.OP
    if _is_value_name(tok):
        return True
    if tok.type == tokenize.OP and tok.string == "(":
        # '2(' and ')(' are products; 'sin(' is a call; a short variable-like
        # name ('x(', 'x1(') is a product unless undefined functions are on
        if prev.type != tokenize.NAME:
            return True
        if functions is None:  # undefined functions allowed: every name( is a call
            return False
        if prev.string in functions or prev.string in CONSTANTS:
            return prev.string in CONSTANTS
        return (
            _VARIABLE_LIKE.fullmatch(prev.string) is not None and prev.string in plain
        )
    return False


_VARIABLE_LIKE = re.compile(r"[A-Za-z]_?\d*")
# 'sinx', 'logx1', 'expz': a function name glued to x, y or z (names such as
# 'cost' stay variables)
_GLUED_CALL = re.compile(r"([a-z]+?)([xyz]_?\d*)")
# a function name after a coefficient, before a one-letter variable: 2x, 3t
_CALL_TAIL = re.compile(r"(\d+(?:\.\d+)?)?([a-z])")


def _hidden_call(name: str) -> tuple[str, str, str, str] | None:
    """(factor, function, coefficient, variable) where `name` is a function
    glued to its argument with a coefficient (sin2x, cos3t), or after a
    one-letter factor (xsinx, xcos2x); else None. (sinx alone is
    _GLUED_CALL's; cost stays a variable.)"""
    for pre in ("", name[:1]):
        rest = name[len(pre) :]
        for fn in sorted(_FUNCTION_TABLE, key=len, reverse=True):
            if len(fn) < 2 or not rest.startswith(fn):
                continue
            tail = _CALL_TAIL.fullmatch(rest[len(fn) :])
            if tail and (tail.group(1) or pre):
                return pre, fn, tail.group(1) or "", tail.group(2)
    return None


_CHAIN_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div)

# ---------------------------------------------------------------------------
# The AST walker.
# ---------------------------------------------------------------------------


class _Builder:
    def __init__(
        self,
        text: str,
        new_offsets: list[int],
        old_cols: list[int],
        symbols: dict[str, sympy.Symbol],
        undefined_functions: bool,
        src: str = "",
        written: bool = False,
    ):
        self.text = text
        # build the tree as written (evaluate=False) instead of SymPy's form
        self.written = written
        # the rewritten Python source the AST was parsed from (for float literals)
        self._src = src
        self.new_offsets = new_offsets
        self.old_cols = old_cols
        self.symbols = symbols
        self.undefined_functions = undefined_functions

    def col(self, offset: int | None) -> int | None:
        if offset is None:
            return None
        i = bisect.bisect_right(self.new_offsets, offset) - 1
        return self.old_cols[max(i, 0)] if self.old_cols else None

    def col_after(self, offset: int) -> int | None:
        """Column of the first token at or after new-source `offset`."""
        i = bisect.bisect_left(self.new_offsets, offset)
        return self.old_cols[min(i, len(self.old_cols) - 1)] if self.old_cols else None

    def fail(self, message: str, node: ast.AST | None = None, offset=None) -> NoReturn:
        if offset is not None:
            raise ParseError(message, self.text, self.col_after(offset))
        if node is not None:
            offset = getattr(node, "col_offset", None)
        raise ParseError(message, self.text, self.col(offset))

    def build(self, node: ast.AST, depth: int = 0):
        if depth > MAX_DEPTH:
            self.fail(f"nested too deeply (more than {MAX_DEPTH} levels)", node)
        method = getattr(self, "_" + type(node).__name__, None)
        if isinstance(node, ast.Tuple) and not node.elts:
            self.fail("empty parentheses '()'", node)
        if method is None:
            construct = _CONSTRUCTS.get(type(node), type(node).__name__)
            if isinstance(node, ast.Attribute):
                self.fail(
                    f"{construct} ('.{node.attr}') is not allowed",
                    node,
                    node.value.end_col_offset,
                )
            self.fail(f"{construct} are not allowed", node)
        return method(node, depth + 1)

    def _Constant(self, node, depth):
        value = node.value
        if isinstance(value, bool) or value is None or value is Ellipsis:
            self.fail(f"'{value}' is not a number", node)
        if isinstance(value, (str, bytes)):
            self.fail("strings are not allowed", node)
        if isinstance(value, complex):
            self.fail("complex numbers are not allowed", node)
        if isinstance(value, int):
            return sympy.Integer(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                self.fail("number too large", node)
            source = ast.get_source_segment(self._src, node) or repr(value)
            return _float_to_sympy(source.strip(), value)
        self.fail(f"unsupported constant {value!r}", node)

    def _Name(self, node, depth):
        name = node.id
        if name.startswith("_"):
            self.fail(f"names starting with '_' ({name!r}) are not allowed", node)
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name == "\u03c0":  # π
            return sympy.pi
        if name in _FUNCTION_TABLE:
            self.fail(f"function '{name}' must be called, e.g. {name}(x)", node)
        hidden = _hidden_call(name)
        if hidden:
            pre, fn, k, var = hidden
            inner = f"{k}{var}"
            readings = [f"{pre + '*' if pre else ''}{fn}({inner})"]
            if k and not pre:
                readings.append(f"{fn}({k})*{var}")
            if k and f"{fn}{k}" in _FUNCTION_TABLE:  # log10x: log10(x) first
                readings.insert(0, f"{pre + '*' if pre else ''}{fn}{k}({var})")
            self.fail(
                f"unknown name '{name}': the function {fn} is glued to its "
                f"argument; write {' or '.join(readings)}",
                node,
            )
        glued = _GLUED_CALL.fullmatch(name)
        if glued and glued.group(1) in _FUNCTION_TABLE:
            fn, arg = glued.groups()
            self.fail(
                f"unknown name '{name}': write {fn}({arg}) to call {fn} "
                f"(a function name glued to x, y or z is not a variable)",
                node,
            )
        if name not in self.symbols:
            self.symbols[name] = sympy.Symbol(name)
        return self.symbols[name]

    def _UnaryOp(self, node, depth):
        operand = self.build(node.operand, depth)
        if isinstance(node.op, ast.USub):
            return _negated(operand) if self.written else -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        op = "not" if isinstance(node.op, ast.Not) else "~"
        self.fail(f"operator '{op}' is not allowed", node)

    def _BinOp(self, node, depth):
        # a chain a + b - c * d ... nests on the left in the AST; walk it with a
        # loop so that a long (legal) sum does not count as deep nesting
        chain = []
        while isinstance(node, ast.BinOp):
            chain.append(node)
            if type(node.op) not in _CHAIN_OPS or not isinstance(node.left, ast.BinOp):
                break
            node = node.left
        for link in chain:
            op = type(link.op)
            if op not in (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow):
                self.fail(
                    f"operator '{_OPERATORS.get(op, op.__name__)}' is not allowed",
                    link,
                    link.left.end_col_offset,
                )
        value = self.build(chain[-1].left, depth)
        for link in reversed(chain):
            value = self._apply(link, value, self.build(link.right, depth))
        return value

    def _apply(self, node, left, right):
        op = type(node.op)
        if op is ast.Div and right.is_zero:
            self.fail("division by zero", node, node.left.end_col_offset)
        # (numbers stay numbers: 1/3, sqrt(2)/2 and pi/2 are constants as typed)
        if self.written and not (left.is_number and right.is_number):
            if op is ast.Pow:
                # (the evaluated parse, always first, applied the limits)
                odd = _odd_root(left, right)
                if odd is not None:
                    return odd
                if left is sympy.E:
                    return sympy.exp(right, evaluate=False)
                return sympy.Pow(left, right, evaluate=False)
            return _written_op(op, left, right)
        if op is ast.Add:
            return left + right
        if op is ast.Sub:
            return left - right
        if op is ast.Mult:
            return left * right
        if op is ast.Div:
            return left / right
        return self._power(left, right, node)

    def _power(self, base, exponent, node):
        where = node.left.end_col_offset
        if exponent.is_Integer:
            n = abs(int(exponent))
            if base.is_Rational:
                bits = max(abs(base.p).bit_length(), abs(base.q).bit_length())
                if n * bits > _MAX_POWER_BITS:
                    self.fail(
                        f"power too large (the result would have more than "
                        f"{_MAX_POWER_BITS} bits)",
                        node,
                        where,
                    )
            elif n > MAX_EXPONENT:
                self.fail(f"exponent too large (limit {MAX_EXPONENT})", node, where)
        elif exponent.is_Rational and base.is_number:
            if abs(exponent.p) > MAX_EXPONENT or exponent.q > MAX_EXPONENT:
                self.fail(f"exponent too large (limit {MAX_EXPONENT})", node, where)
        elif exponent.is_number and exponent.is_real is not False:
            value = float(exponent)
            if abs(value) > MAX_EXPONENT:
                self.fail(f"exponent too large (limit {MAX_EXPONENT})", node, where)
        if base.is_zero and exponent.is_negative:
            self.fail("division by zero (0 to a negative power)", node, where)
        if base.is_zero and not exponent.is_number:
            # 0^u is 0 where u > 0 and undefined elsewhere (SymPy's 0**u has
            # the derivative 0**u*log(0), "undefined everywhere")
            return sympy.Piecewise((sympy.S.Zero, exponent > 0))
        odd = _odd_root(base, exponent)
        if odd is not None:
            return odd
        return base**exponent

    def _Call(self, node, depth):
        if node.keywords:
            kw = node.keywords[0]
            self.fail(
                "keyword arguments are not allowed",
                kw,
                getattr(kw, "col_offset", node.col_offset),
            )
        if not isinstance(node.func, ast.Name):
            return self.build(node.func, depth)  # rejects attribute access etc.
        name = node.func.id
        if name.startswith("_"):
            self.fail(f"names starting with '_' ({name!r}) are not allowed", node)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self.fail("starred arguments are not allowed", arg)
        most = MAX_ARGUMENTS.get(name)
        if most is not None and len(node.args) > most:
            self.fail(
                f"{name}() takes at most {most} arguments here, got "
                f"{len(node.args)} (exact work on a larger {name} takes too long)",
                node,
            )
        args = [self.build(a, depth) for a in node.args]
        log_base = _LOG_BASE.fullmatch(name)
        if name not in _FUNCTION_TABLE and log_base and log_base.group(1) == "log":
            # log_2(x), log2(x), log10(x): the logarithm to that base
            if len(args) != 1:
                self.fail(f"{name}() takes 1 argument, got {len(args)}", node)
            if args[0].is_zero:
                self.fail("log(0) is undefined", node)
            base = int(log_base.group(2))
            if base < 2:
                self.fail(
                    f"log base must be a positive number other than 1, got {base}", node
                )
            return sympy.log(args[0], base)
        if name not in _FUNCTION_TABLE:
            if self.undefined_functions and name not in CONSTANTS:
                return sympy.Function(name)(*args)
            hint = ""
            if len(name) <= 2 or name in self.symbols:
                hint = f"; for a product write {name}*(...)"
            self.fail(f"unknown function '{name}'{hint}", node)
        builder, (lo, hi) = _FUNCTION_TABLE[name]
        if len(args) < lo or (hi is not None and len(args) > hi):
            want = (
                str(lo) if lo == hi else f"{lo} or more" if hi is None else f"{lo}-{hi}"
            )
            self.fail(
                f"{name}() takes {want} argument{'s' if want != '1' else ''}, "
                f"got {len(args)}",
                node,
            )
        if name in ("log", "ln") and args[0].is_zero:
            self.fail("log(0) is undefined", node)
        if name == "log" and len(args) == 2 and args[1].is_number:
            base = args[1]
            if base.is_extended_real is False or base.is_positive is False or base == 1:
                self.fail(
                    f"log base must be a positive number other than 1, got {base}",
                    node,
                )
        if builder is _log and len(args) == 1:
            builder = sympy.log
        try:
            if (
                self.written
                and (isinstance(builder, type) or builder in _ROOTS)
                and not all(a.is_number for a in args)
            ):
                return builder(*args, evaluate=False)
            return builder(*args)
        except (TypeError, ValueError) as exc:  # e.g. max(2, nan): not comparable
            self.fail(f"{name}() cannot take these arguments ({exc})", node)


_ROOTS = (sympy.sqrt,)


class _ExpressionPrinter(StrPrinter):
    """SymPy's text, except for SymPy's complex principal odd root of a base
    that may be negative (what exp(log(x)/3) becomes): printed as the
    exp-log form it is, since "x**(1/3)" reads back as the real cube root."""

    def _print_Pow(self, expr, rational=False):
        e = expr.exp
        if (
            e.is_Rational
            and not e.is_Integer
            and e.q % 2 == 1
            and expr.base.is_nonnegative is not True
            and expr.base.free_symbols
        ):
            return f"exp({self._print(e)}*log({self._print(expr.base)}))"
        return super()._print_Pow(expr, rational)


class _TypedPrinter(StrPrinter):
    """SymPy's text with the names of the parser (abs, max, min, e), so that
    the text parses back to the same tree."""

    def _print_Abs(self, expr):
        return f"abs({self._print(expr.args[0])})"

    def _print_Max(self, expr):
        return f"max({', '.join(self._print(a) for a in expr.args)})"

    def _print_Min(self, expr):
        return f"min({', '.join(self._print(a) for a in expr.args)})"

    def _print_Exp1(self, expr):
        return "e"

    def _print_Add(self, expr):
        if expr.is_number:  # a constant, evaluated as SymPy writes it
            return super()._print_Add(expr)
        out = [self._print(expr.args[0])]
        for t in expr.args[1:]:  # each term as typed: x - 4*x, x + -x*y
            if _is_negation(t):
                rest = t.args[1]
            elif t.is_Number and t.is_negative:
                rest = -t
            elif t.is_Mul and t.args[0].is_Number and t.args[0].is_negative:
                rest = sympy.Mul(-t.args[0], *t.args[1:], evaluate=False)
            else:
                out.append(" + " + self._print(t))
                continue
            text = self._print(rest)
            if rest.is_Add or text.startswith("-"):
                text = f"({text})"
            out.append(" - " + text)
        return "".join(out)

    def _print_Mul(self, expr):
        if _is_negation(expr):  # -a as typed: -(x*y), -(-x), -x**2
            a = expr.args[1]
            inner = self._print(a)
            if a.is_Add or a.is_Mul or inner.startswith("-"):
                inner = f"({inner})"
            return "-" + inner
        if expr.is_number:  # a constant, evaluated as SymPy writes it
            return super()._print_Mul(expr)
        # the factors in the order typed; a·b⁻¹ as a/b
        out = []
        for i, f in enumerate(expr.args):
            divide = f.is_Pow and f.exp is sympy.S.NegativeOne
            g = f.base if divide else f
            text = self._print(g)
            if (
                g.is_Add
                or (divide and (g.is_Mul or g.is_Pow))
                or ((divide or i > 0) and (text.startswith("-") or "/" in text))
            ):
                text = f"({text})"
            if divide:
                out.append(("1" if i == 0 else "") + "/" + text)
            else:
                out.append(("*" if i > 0 else "") + text)
        return "".join(out)


def _negated(a):
    """-a as written: a number, a product with its number negated (x - 4x
    is x + (-4)·x), or -1·a."""
    if a.is_number:
        return -a
    if a.is_Mul and a.args[0].is_Number and a.args[0] != -1:
        return sympy.Mul(-a.args[0], *a.args[1:], evaluate=False)
    return sympy.Mul(sympy.S.NegativeOne, a, evaluate=False)


def _is_negation(a) -> bool:
    return a.is_Mul and len(a.args) == 2 and a.args[0] == -1


def _written_op(op, left, right):
    """left op right as written: sums and products flattened (a + b + c is
    one sum, as the learner reads it), a - b as a + (-b), a/b as a·b⁻¹."""
    if op is ast.Add or op is ast.Sub:
        if op is ast.Sub:
            right = _negated(right)
        parts = [t for a in (left, right) for t in (a.args if a.is_Add else (a,))]
        return sympy.Add(*_merge_numbers(parts, sympy.Add), evaluate=False)
    if op is ast.Div:  # (a number's reciprocal is a number: 1/sqrt(2))
        right = sympy.Pow(right, sympy.S.NegativeOne, evaluate=right.is_number)
        if left == 1:
            return right
    parts = [
        f
        for a in (left, right)
        for f in (a.args if a.is_Mul and not _is_negation(a) else (a,))
    ]
    return sympy.Mul(*_merge_numbers(parts, sympy.Mul), evaluate=False)


def _merge_numbers(parts, op):
    """Neighbouring numbers combined, as 2*2*x reads (2*2 is 4 before x)."""
    out = []
    for p in parts:
        if out and out[-1].is_number and p.is_number:
            out[-1] = op(out[-1], p)
        else:
            out.append(p)
    return out


def replacer(mapping: dict, *, evaluate: bool = True):
    """A function e -> e with the subtrees in `mapping` replaced, remembering
    every rebuilt sub-expression across calls: forms that share sub-trees (a
    network's partial derivatives, the steps of one explanation) rebuild each
    shared one once. With ``evaluate=True`` it is ``e.xreplace(mapping)``;
    with ``evaluate=False`` nothing else is re-evaluated (see
    :func:`replace_written`)."""
    memo: dict = {}

    def visit(e):
        if e in mapping:
            return mapping[e]
        if not e.args:
            return e
        if e in memo:
            return memo[e]
        args = [visit(a) for a in e.args]
        if all(a is b for a, b in zip(args, e.args, strict=True)):
            out = e
        elif evaluate:
            out = e.func(*args)
        else:
            try:
                out = e.func(*args, evaluate=False)
            except TypeError:  # a node without an evaluate flag
                out = e.func(*args)
        memo[e] = out
        return out

    return visit


def replace_written(expr, mapping: dict):
    """`expr` with the subtrees in `mapping` replaced and nothing else
    re-evaluated (``xreplace`` would turn a written ``x*x`` into ``x**2``)."""
    return replacer(mapping, evaluate=False)(expr)


def _float_to_sympy(source: str, value: float):
    """A decimal literal as an exact SymPy Rational (0.1 means 1/10)."""
    try:
        exact = sympy.Rational(source)
    except (TypeError, ValueError):
        return sympy.Float(value)
    if has_huge_numbers(exact):  # 1e308, 1e-300: a float, not a 300-digit integer
        return sympy.Float(value)
    return exact


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


class Expression:
    """A parsed mathematical expression: callable, printable, differentiable.

    Build one with :func:`parse`. Calling it evaluates it with NumPy
    (vectorised): positionally when it has one variable, by keyword when it has
    several. Division by zero and other invalid operations give ``inf``/``nan``
    without a warning.

    Attributes
    ----------
    sympy : sympy.Expr
        The SymPy expression (plain symbols, no assumptions).
    text : str
        The text it was parsed from (or its SymPy form).
    variables : tuple of str
        Free variable names, in natural order (``x2`` before ``x10``).

    Examples
    --------
    >>> from dfdx import parse
    >>> f = parse("3x^2 - 4x")
    >>> f
    Expression('3*x**2 - 4*x')
    >>> f(1.0)
    -1.0
    >>> f.diff()
    Expression('6*x - 4')
    >>> g = parse("x1*x2 + sin(x2)")
    >>> g.variables
    ('x1', 'x2')
    >>> float(g(x1=2.0, x2=0.0))
    0.0
    """

    __slots__ = (
        "sympy",
        "_text",
        "_str",
        "_latex",
        "_variables",
        "notes",
        "_syms",
        "_func",
        "_at_jumps",
        "_source",
        "_written",
        "_domain",
        "_lost",
    )

    def __init__(self, expr, text: str | None = None):
        if not isinstance(expr, sympy.Basic):
            raise TypeError("Expression wraps a SymPy expression; use dfdx.parse(text)")
        self.sympy = expr
        # printed on first use and cached: printing a 300-operation derivative
        # costs more than computing it
        self._text = text
        self._str: str | None = None
        self._latex: str | None = None
        # found on first use: an explanation makes an Expression of every
        # step's form and result, and most are only printed
        self._syms: tuple | None = None
        self._variables: tuple[str, ...] | None = None
        self._func = None
        #: remarks on how the text was read (conventions applied), one line each
        self.notes: tuple[str, ...] = ()
        # (NumPy function of the jump arguments, exact value at a point) for a
        # derivative whose formula is not its value where sign/delta/step
        # switch; see with_jump_values
        self._at_jumps: tuple[Callable, Callable] | None = None
        # (text, undefined_functions) when parsed from text: see `written`
        self._source: tuple[str, bool] | None = None
        self._written: sympy.Expr | None = None  # parsed again on first use
        # the typed function's domain (see `domain`), and the NumPy mask of
        # what the evaluated form lost of it: (names, function, relations)
        self._domain: Domain | None = None
        self._lost: tuple | None = None

    @property
    def _symbols(self) -> tuple:
        """The free symbols, in natural order of their names."""
        if self._syms is None:
            self._syms = tuple(
                sorted(
                    (s for s in self.sympy.free_symbols if isinstance(s, sympy.Symbol)),
                    key=lambda s: _natural_key(s.name),
                )
            )
        return self._syms

    @property
    def variables(self) -> tuple[str, ...]:
        """Free variable names, in natural order (``x2`` before ``x10``)."""
        if self._variables is None:
            self._variables = tuple(s.name for s in self._symbols)
        return self._variables

    # -- display -----------------------------------------------------------
    @property
    def text(self) -> str:
        """The text it was parsed from (or its SymPy form)."""
        return self._text if self._text is not None else str(self)

    def __str__(self) -> str:
        if self._str is None:
            self._str = _ExpressionPrinter().doprint(self.sympy)
        return self._str

    def __repr__(self) -> str:
        return f"Expression({str(self)!r})"

    @property
    def latex(self) -> str:
        """The LaTeX form, without dollar signs."""
        if self._latex is None:
            self._latex = sympy.latex(self.sympy)
        return self._latex

    def _repr_latex_(self) -> str:
        return f"${self.latex}$"

    def __eq__(self, other) -> bool:
        if isinstance(other, Expression):
            return self.sympy == other.sympy
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.sympy)

    @property
    def written(self) -> sympy.Expr:
        """The expression as it was typed, not simplified: ``x*x`` stays a
        product, ``x/x`` a quotient, ``2(x+1)`` is not multiplied out and the
        terms of a sum keep their order (a SymPy tree built with
        ``evaluate=False``). :func:`dfdx.explain`, :func:`dfdx.trace` and
        :func:`dfdx.check_answer` follow this form; values and derivatives
        are those of :attr:`sympy`. Without a text it is :attr:`sympy`.

        >>> from dfdx import parse
        >>> f = parse("x*x")
        >>> f.sympy, f.written
        (x**2, x*x)
        """
        if self._source is None:
            return self.sympy
        if self._written is None:
            tree = _written_tree(*self._source, self.sympy)
            self._written = self.sympy if tree is None else tree
        return self._written

    @property
    def written_text(self) -> str:
        """:attr:`written` as text, terms in the order they were typed."""
        if self._source is None:
            return str(self)
        tree = _written_tree(*self._source, self.sympy)
        if tree is None:  # no typed tree: the text itself is the typed form
            return self.text
        return _TypedPrinter({"order": "none"}).doprint(tree)

    @property
    def shown_text(self) -> str:
        """How messages name this function: SymPy's form, or the typed form
        (:attr:`written_text`) where SymPy's form lost part of the typed
        domain (``x^2/x`` is ``x``, but undefined at 0)."""
        if self.domain.without(self.sympy):
            return self.written_text
        return str(self)

    @property
    def domain(self) -> Domain:
        """Where the function *as typed* is defined (:class:`dfdx.Domain`):
        ``x/x`` is undefined at 0 and ``sqrt(x)^2`` for x < 0, though SymPy's
        forms (``1``, ``x``) are not. Calling the expression gives NaN outside
        it, and every verdict asks it.

        >>> from dfdx import parse
        >>> f = parse("sqrt(x)^2")
        >>> f, f.domain
        (Expression('x'), Domain('x ≥ 0'))
        >>> f(4.0), f(-1.0)
        (4.0, nan)
        """
        if self._domain is None:
            written = self.written
            self._domain = Domain(
                conditions_of(written, written=written is not self.sympy)
            )
        return self._domain

    def with_domain(self, domain: Domain) -> Expression:
        """This expression restricted to `domain` as well as its own (a
        derivative exists only where its function is defined)."""
        other = Expression(self.sympy, self._text)
        other.notes = self.notes
        other._at_jumps = self._at_jumps
        other._domain = self.domain | domain
        return other

    def _lost_mask(self):
        """(names, NumPy function, relations) of the domain's conditions that
        the evaluated form does not impose itself, or () where none is lost."""
        if self._lost is None:
            lost = self.domain.without(self.sympy).conditions
            if not lost:
                self._lost = ()
            else:
                syms = sorted(
                    {s for u, _ in lost for s in u.free_symbols},
                    key=lambda s: _natural_key(s.name),
                )
                fn = lambdify_numpy(syms, sympy.Tuple(*(u for u, _ in lost)))
                self._lost = (
                    tuple(s.name for s in syms),
                    fn,
                    tuple(rel for _, rel in lost),
                )
        return self._lost

    def _mask_outside(self, out, values: dict):
        """`out` with NaN where `values` lie outside the typed domain."""
        assert self._lost  # made by _lost_mask
        names, fn, rels = self._lost
        arrays = [_as_float_array(values[n], n) for n in names]
        with np.errstate(all="ignore"):
            got = fn(*arrays)
            shape = np.broadcast_shapes(
                np.shape(out), *(np.shape(np.asarray(g)) for g in got)
            )
            inside = np.ones(shape, dtype=bool)
            for g, rel in zip(got, rels):
                g = np.asarray(g)
                if np.iscomplexobj(g):
                    ok = np.isfinite(g) & (g.imag == 0)
                    g = g.real
                else:
                    ok = np.isfinite(g)
                if rel == "ne":
                    ok &= g != 0
                elif rel == "gt":
                    ok &= g > 0
                else:
                    ok &= g >= 0
                inside &= ok
        if inside.all():
            return out
        res = np.array(np.broadcast_to(out, shape), dtype=np.result_type(out, float))
        res[~inside] = np.nan
        return res.item() if res.ndim == 0 else res

    # -- symbols -----------------------------------------------------------
    def symbol(self, name: str) -> sympy.Symbol:
        """The SymPy symbol of variable `name` (a new plain one if absent)."""
        for s in self._symbols:
            if s.name == name:
                return s
        return sympy.Symbol(name)

    def cancel_hint(self, names) -> str:
        """'; x cancels out ...' when `names` were typed in the text but are
        not variables of the (automatically simplified) expression."""
        typed = set(re.findall(r"[A-Za-z_]\w*", self.text))
        gone = [n for n in names if n in typed and n not in self.variables]
        if not gone:
            return ""
        return (
            f"; {', '.join(gone)} cancel{'s' if len(gone) == 1 else ''} out: "
            f"{self.text} simplifies to {self}"
        )

    @property
    def is_constant(self) -> bool:
        return not self._symbols

    # -- evaluation --------------------------------------------------------
    def _compiled(self):
        if self._func is None:
            from ._timelimit import time_limit

            with time_limit(None, "prepare the expression for evaluation"):
                self._func = lambdify_numpy(self._symbols, self.sympy)
        return self._func

    def __call__(self, *args, **kwargs):
        if args and kwargs:
            raise DfdxError("pass the variables either positionally or by keyword")
        lost = self._lost_mask()
        # variables that cancelled (x in x/x) still decide where it is defined
        hidden = [n for n in (lost[0] if lost else ()) if n not in self.variables]
        if args:
            if len(args) == 1 and not self._symbols and len(hidden) == 1:
                values = {hidden[0]: args[0]}
                out = self._evaluate([], args[0])
                return self._mask_outside(out, values)
            if len(args) != 1 or len(self._symbols) > 1:
                if len(self._symbols) > 1:
                    raise DfdxError(
                        f"expression has variables {', '.join(self.variables)}; "
                        "pass them by keyword, e.g. "
                        + ", ".join(f"{v}=..." for v in self.variables)
                    )
                raise DfdxError(
                    f"expression takes one value, got {len(args)} positional values"
                )
            values = {self.variables[0]: args[0]} if self._symbols else {}
            shape_source = args[0]
        else:
            missing = [v for v in self.variables if v not in kwargs]
            extra = [k for k in kwargs if k not in self.variables and k not in hidden]
            if missing:
                raise DfdxError(f"missing value for variable {', '.join(missing)}")
            if extra:
                known = ", ".join(self.variables) or "none"
                raise DfdxError(
                    f"unknown variable {', '.join(extra)} (variables: {known})"
                    + self.cancel_hint(extra)
                )
            values = kwargs
            shape_source = next(iter(kwargs.values()), 0.0)
        arrays = [_as_float_array(values[v], v) for v in self.variables]
        try:
            out = self._evaluate(arrays, shape_source)
            if self._at_jumps is not None:
                out = self._fix_jumps(out, arrays)
            if lost and all(n in values for n in lost[0]):
                out = self._mask_outside(out, values)
            if self._domain is not None and self._domain.nowhere() is not None:
                out = np.full(np.shape(out), np.nan)  # the domain is empty
                return out.item() if out.ndim == 0 else out
            return out
        except (OverflowError, TypeError, ValueError, ZeroDivisionError) as exc:
            if not self.sympy.free_symbols:
                # a constant NumPy cannot take (sqrt of an integer beyond 64
                # bits, norm(-2.25, 10^10)): SymPy's own number, rounded once
                value = _constant_value(self.sympy)
                if value is not None:
                    out = np.full(np.shape(shape_source), value)
                    return out.item() if out.ndim == 0 else out
            raise DfdxError(
                f"cannot evaluate {self} as a real number ({exc})"
            ) from None

    def with_jump_values(self, exact_at: Callable) -> Expression:
        """This expression, evaluated with `exact_at(point)` (a float, NaN when
        undefined) wherever an argument of sign, DiracDelta or a one-argument
        Heaviside is exactly 0: there the formula of a derivative is not its
        value (d/dx sign(x)|x| is sign(x)^2, 0 at 0, but the derivative is 1)."""
        args = sorted(
            {
                a.args[0]
                for a in self.sympy.atoms(sympy.sign, sympy.DiracDelta, sympy.Heaviside)
                # Heaviside(u, 0) is relu's derivative: 0 at 0 by convention
                if not (isinstance(a, sympy.Heaviside) and a.args[1:] == (0,))
            },
            key=sympy.default_sort_key,
        )
        if not args:
            return self
        other = Expression(self.sympy, self._text)
        other.notes = self.notes
        other._source, other._written = self._source, self._written
        other._domain = self._domain
        other._at_jumps = (lambdify_numpy(self._symbols, sympy.Tuple(*args)), exact_at)
        return other

    def _fix_jumps(self, out, arrays):
        jumps, exact_at = self._at_jumps
        with np.errstate(all="ignore"):
            values = [np.asarray(v, dtype=float) for v in jumps(*arrays)]
        shape = np.shape(out)
        mask = np.zeros(shape, dtype=bool)
        for v in values:
            mask |= np.broadcast_to(v == 0, shape)
        if not mask.any():
            return out
        out = np.array(out, dtype=float)
        full = [np.broadcast_to(a, shape) for a in arrays]
        for index in zip(*np.nonzero(mask)) if shape else [()]:
            point = {n: float(a[index]) for n, a in zip(self.variables, full)}
            out[index] = exact_at(point)
        return out.item() if out.ndim == 0 else out

    def _evaluate(self, arrays, shape_source):
        with np.errstate(all="ignore"):
            out = self._compiled()(*arrays)
            if not arrays:
                out = np.broadcast_to(
                    np.asarray(out, dtype=float), np.shape(shape_source)
                ).copy()
            else:
                out = np.asarray(out)
                if out.dtype == object:
                    out = out.astype(complex if _any_complex(arrays) else float)
                shape = np.broadcast_shapes(*[np.shape(a) for a in arrays])
                if out.shape != shape:
                    out = np.broadcast_to(out, shape).copy()
        if out.ndim == 0:
            return out.item()
        return out

    # -- calculus ----------------------------------------------------------
    def diff(self, wrt: str | None = None, n: int = 1) -> Expression:
        """Exact derivative; see :func:`dfdx.diff`."""
        from . import _wiring

        return _wiring.diff(self, wrt, n=n)

    def subs(self, values: Mapping[str, Any]) -> Expression:
        """Substitute values (numbers or expression text) for variables."""
        mapping = {}
        for name, value in values.items():
            mapping[self.symbol(name)] = (
                as_expression(value).sympy if isinstance(value, str) else value
            )
        return Expression(self.sympy.subs(mapping))


def _any_complex(arrays) -> bool:
    return any(np.iscomplexobj(a) for a in arrays)


def _as_float_array(value, name: str):
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError, OverflowError):  # ragged nesting
        raise DfdxError(f"value of {name} must be numeric, got {value!r:.60}") from None
    if arr.dtype == object or arr.dtype.kind not in "biufc":
        raise DfdxError(f"value of {name} must be numeric, got {value!r:.60}")
    if arr.dtype.kind in "biu":
        arr = arr.astype(float)
    return arr if arr.ndim else arr[()]


@cacheit  # SymPy's cache: clear_cache() empties it with SymPy's own results
def _parse_cached(text: str, undefined_functions: bool) -> Expression:
    return _parse(text, undefined_functions)


def _parse(text: str, undefined_functions: bool) -> Expression:
    result, notes = _build(text, undefined_functions, written=False)
    if not isinstance(result, sympy.Expr):
        raise ParseError("not a mathematical expression", text)
    if result.has(sympy.zoo, sympy.nan):
        raise ParseError("expression is undefined everywhere (division by zero)", text)
    _check_real_and_finite(result, text)
    parsed = Expression(result, text.strip())
    parsed.notes = tuple(notes)
    parsed._source = (text, undefined_functions)
    return parsed


@cacheit
def _written_tree(text: str, undefined_functions: bool, evaluated: sympy.Expr):
    """The tree of `text` as written (see :attr:`Expression.written`), or
    None where it could disagree with `evaluated`."""
    try:
        tree, _ = _build(text, undefined_functions, written=True)
    except ParseError:
        return None
    if not isinstance(tree, sympy.Expr) or tree.doit(deep=True) != evaluated:
        return None  # e.g. 0^x, which the parser defines piecewise
    return tree


def _build(text: str, undefined_functions: bool, written: bool):
    """The SymPy tree of `text` (unevaluated when `written`) and the notes on
    how it was read."""
    depth = deepest = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    if deepest > MAX_DEPTH:
        raise ParseError(
            f"nested too deeply ({deepest} levels of brackets; limit {MAX_DEPTH})"
        )
    if len(text) > MAX_LENGTH:
        raise ParseError(
            f"expression too long ({len(text)} characters; limit {MAX_LENGTH})"
        )
    stripped = text.strip()
    if not stripped:
        raise ParseError("empty expression", text)
    # keep columns of `text`: strip only what tokenize would ignore anyway
    lead = len(text) - len(text.lstrip())
    body = text[lead:].rstrip()
    notes: list[str] = []
    from .notation import normalise

    plain, plain_cols, notes = normalise(body, frozenset(_FUNCTION_TABLE))
    try:
        src, new_offsets, old_cols = _rewrite(
            plain, None if undefined_functions else set(_FUNCTION_TABLE), notes
        )
    except ParseError as exc:  # columns of the rewritten text -> the user's
        col = None if exc.column is None else plain_cols[min(exc.column, len(plain))]
        raise ParseError(exc.message, body, col) from None
    old_cols = [plain_cols[min(c, len(plain))] + lead for c in old_cols]
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as exc:
        offset = (exc.offset or 1) - 1
        i = bisect.bisect_right(new_offsets, offset) - 1
        col = old_cols[max(i, 0)] if old_cols else None
        raise ParseError("invalid syntax", text, col) from None
    except (RecursionError, MemoryError):
        raise ParseError(_too_deep(src), text) from None
    builder = _Builder(
        text, new_offsets, old_cols, {}, undefined_functions, src, written=written
    )
    try:
        return builder.build(tree.body), notes
    except RecursionError:
        raise ParseError(_too_deep(src), text) from None


_FLOAT_MAX = sympy.Float(float(np.finfo(float).max))

#: exp/power nesting above which a constant beyond float range is not
#: evaluated exactly (exp(exp(exp(10))) has more digits than any computer
#: holds; its evaluation cannot be interrupted).
_MAX_EXACT_TOWER = 1


#: Digits beyond which a number in an expression keeps SymPy's polynomial
#: algorithms (gcd, series, simplify) away: their big-integer arithmetic on
#: such numbers runs in C and cannot be stopped by a time limit.
HUGE_DIGITS = 40


def _too_deep(src: str) -> str:
    """Why Python's parser ran out of depth: brackets, or a long flat chain of
    operators (x + x + ... nests one level per term)."""
    operators = sum(src.count(op) for op in "+-*/")
    if operators > 1000:
        return (
            f"too many operators in a row for the parser ({operators}; a sum or "
            "product of about 2 000 terms is the most it takes): split it into "
            "several expressions"
        )
    return "nested too deeply"


def distinct_nodes(expr):
    """Each distinct node of `expr` once (any order): what ``atoms()`` walks,
    without walking a repeated sub-tree again (a network's derivative repeats
    its hidden layer's activations many times, so ``atoms()`` visits ten
    times its distinct nodes)."""
    if not isinstance(expr, sympy.Basic):  # a mutable matrix
        expr = sympy.ImmutableMatrix(expr)
    seen = {expr}
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        for a in node.args:
            if a not in seen:
                seen.add(a)
                stack.append(a)


def _constant_value(e) -> float | None:
    """A constant SymPy expression as the nearest float (NaN where it is not
    real; inf beyond float range), or None when SymPy cannot evaluate it."""
    try:
        z = complex(sympy.N(e, 30))
    except (TypeError, ValueError, OverflowError, ArithmeticError):
        return None
    if z.imag != 0 and abs(z.imag) > 1e-25 * max(1.0, abs(z.real)):
        return math.nan
    return z.real


def has_huge_numbers(expr, digits: int = HUGE_DIGITS) -> bool:
    """Whether `expr` contains a rational with more than `digits` digits in its
    numerator or denominator (1e308 as 10**308, 1e-300)."""
    bits = digits * 3.33
    for atom in distinct_nodes(expr):
        if isinstance(atom, sympy.Rational) and (
            max(abs(atom.p).bit_length(), abs(atom.q).bit_length()) > bits
        ):
            return True
    return False


def _tower_depth(expr) -> int:
    """How deeply exp, powers and hyperbolic functions nest in `expr`."""
    growth = (sympy.exp, sympy.Pow, sympy.sinh, sympy.cosh, sympy.factorial)
    best = 0
    stack = [(expr, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, growth):
            depth += 1
            best = max(best, depth)
        stack.extend((a, depth) for a in node.args)
    return best


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


def _short(value) -> str:
    text = sympy.sstr(value)
    if len(text) > 40 or (value.is_Float and len(text) > 12):
        if value.is_Number:
            return "about " + sympy.sstr(sympy.Float(value, 3))
        return text[:37] + "..."
    return text


@bounded("parse the expression")
def parse(text: str, *, undefined_functions: bool = False) -> Expression:
    """Parse expression text safely into an :class:`Expression`.

    Parameters
    ----------
    text : str
        The expression, e.g. ``"3x^2 - 4x"`` or ``"sin(x1) * exp(-x2)"``.
        ``^`` is power; multiplication may be implicit (``2x``, ``2(x+1)``,
        ``x y``). Known functions: see :data:`FUNCTIONS`; constants ``pi``, ``e``.
    undefined_functions : bool, optional
        Accept calls of unknown functions (``f(x, y)``) as undefined SymPy
        functions, for the chain rule. Default False: unknown functions are an
        error.

    Returns
    -------
    Expression

    Raises
    ------
    ParseError
        For anything outside the whitelist; the message names the construct and
        its column (see also ``ParseError.caret``).

    Examples
    --------
    >>> from dfdx import parse
    >>> parse("2(x+1)^2")
    Expression('2*(x + 1)**2')
    >>> parse("x.real")
    Traceback (most recent call last):
    ...
    dfdx.errors.ParseError: attribute access ('.real') is not allowed at column 2
    """
    if isinstance(text, Expression):
        return text
    if not isinstance(text, str):
        raise DfdxError(f"expression must be text, got {type(text).__name__}")
    for ch in text[: MAX_LENGTH + 1]:
        if "\ud800" <= ch <= "\udfff" or (
            ch.isspace() is False and not ch.isprintable()
        ):
            raise ParseError(
                f"character {ch!r} is not allowed (not a printable character)",
                text.encode("utf-8", "backslashreplace").decode("ascii", "replace"),
                None,
            )
    parsed = _parse_cached(text, bool(undefined_functions))
    for note in parsed.notes:
        warnings.warn(note, NotationWarning, stacklevel=2)
    return parsed


def as_expression(obj, *, name: str = "f") -> Expression:
    """Turn text, an :class:`Expression`, a SymPy expression or a number into an
    :class:`Expression`; raise :class:`DfdxError` naming `name` otherwise."""
    if isinstance(obj, Expression):
        return obj
    if isinstance(obj, str):
        return parse(obj)
    if isinstance(obj, bool):
        raise DfdxError(f"{name} must be an expression, got {obj!r}")
    if isinstance(obj, (int, float)):
        if isinstance(obj, float) and not math.isfinite(obj):  # ints are exact
            raise DfdxError(f"{name} must be finite, got {obj!r}")
        return Expression(
            sympy.Rational(repr(obj)) if isinstance(obj, float) else sympy.Integer(obj)
        )
    if isinstance(obj, sympy.Basic):
        if not isinstance(obj, sympy.Expr):
            raise DfdxError(
                f"{name} must be a scalar expression, got {type(obj).__name__}"
            )
        return Expression(obj)
    raise DfdxError(
        f"{name} must be expression text, an Expression or a SymPy expression, "
        f"got {type(obj).__name__}"
    )


def is_expression_like(obj) -> bool:
    """True for text, :class:`Expression` and SymPy expressions (not callables)."""
    if isinstance(obj, (str, Expression)):
        return True
    mod = type(obj).__module__ or ""
    return mod.startswith("sympy")


def call_real(f: Callable, x: float, *, name: str = "f") -> float:
    """``f(x)`` for a user's callable as a real float (NaN where f is
    undefined), or a :class:`DfdxError` saying what f did wrong: raised an
    exception, returned something that is not one real number."""
    where = f"x = {x!r}"
    try:
        out = f(x)
    except DfdxError:
        raise
    except Exception as exc:
        raise DfdxError(
            f"{name} raised {type(exc).__name__} at {where}: {exc}"
        ) from exc
    try:
        arr = np.asarray(out)
    except Exception:  # an object NumPy cannot take
        arr = np.asarray(None, dtype=object)
    if arr.dtype.kind not in "biufc":
        raise DfdxError(
            f"{name} must return a real number, got {type(out).__name__} at {where}"
        )
    if arr.size != 1:
        raise DfdxError(
            f"{name} must return one number per point, got shape {arr.shape} at {where}"
        )
    value = arr.reshape(())[()]
    if np.iscomplexobj(arr):
        if value.imag != 0:
            raise DfdxError(f"{name} returned a complex value {value} at {where}")
        value = value.real
    return float(value)


def variable_values(expr: Expression, at, *, name: str = "at") -> dict[str, Any]:
    """Normalise a point given as a number, a sequence (in ``expr.variables``
    order) or a mapping {name: value} into a mapping; validate names."""
    if isinstance(at, Mapping):
        values = dict(at)
    elif isinstance(at, (Sequence, np.ndarray)) and not isinstance(at, str):
        seq = list(np.ravel(at)) if isinstance(at, np.ndarray) else list(at)
        if len(seq) != len(expr.variables):
            raise DfdxError(
                f"{name} has {len(seq)} values but the expression has "
                f"{len(expr.variables)} variables ({', '.join(expr.variables)})"
            )
        values = dict(zip(expr.variables, seq))
    else:
        if len(expr.variables) > 1:
            raise DfdxError(
                f"{name} must give a value for each of {', '.join(expr.variables)}"
            )
        values = {expr.variables[0] if expr.variables else "x": at}
    for key, value in values.items():
        if not isinstance(key, str):
            raise DfdxError(f"{name}: variable names must be text, got {key!r}")
        finite_number(value, f"{name}: value of {key}")
    return values
