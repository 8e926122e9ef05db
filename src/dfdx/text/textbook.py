"""Expressions printed as a textbook writes them: ``|x|``, ``ln(x)``,
``e^x``, ``π``, ``√x``, ``2x``, ``x^2``, ``x sin(x)``.

Every text printed here parses back (with :func:`dfdx.parse`) to the same
function: a product is written side by side only where the parser reads it
as a product, ``2 e`` keeps its space (``2e`` is refused as an unfinished
exponent), and SymPy's complex principal root of a base that may be
negative is written in its exp-log form (``x^(1/3)`` reads back as the real
cube root).
"""

from __future__ import annotations

import re

import sympy
from sympy.printing.precedence import precedence
from sympy.printing.str import StrPrinter

__all__ = ["textbook", "TextbookPrinter", "for_people"]

# a plain name (not a call, not a power's base) opening the next factor
_NAME = re.compile(r"[A-Za-zπ]\w*(?![\w(^])")
# a call opening the next factor: sin(x)
_CALL = re.compile(r"[A-Za-z]{2,}\(")
# a variable's name ending the text before a product's '*' (x, x1, 2x1)
_ENDS_IN_NAME = re.compile(r"[A-Za-zπ]\w*$")
# a coefficient ending the text before a product's '*' (not an exponent's digits)
_COEFFICIENT = re.compile(r"(?:^|[(\-/ ])\d+(?:\.\d+)?$")


def _joint(left: str, right: str) -> str:
    """What stands for SymPy's '*' between the texts `left` and `right`."""
    r = right[:1]
    if _COEFFICIENT.search(left):
        if right.startswith("d/d"):
            return " "  # 3 d/dx(x^2): '3d' would be a product with d
        if r.isdigit() or r in ".-":
            return "·"  # 2·3^x: digits never touch
        if r == "e":
            return " "  # 2 e: '2e' is an unfinished exponent
        if _CALL.match(right):
            return " "  # 2 sin(x)
        if r.isalpha() or r in "(√|π∛":
            return ""  # 2x, 2(x + 1), 2√x, 2π
        return "·"
    if r.isdigit() or r == ".":
        return "·"  # x·2 (a written product): 'x 2' is refused as ambiguous
    if r == "(" and left.endswith(")"):
        return ""  # (x + 1)(x - 1)
    if r == "(" and left[-1:].isalnum():
        return "·"  # x·(x + 1): 'y(' could read as a call
    if (
        _ENDS_IN_NAME.search(left)
        and r.isalpha()
        and not _CALL.match(right)
        and not right.startswith("e^")  # x e^x
    ):
        return "·"  # x·y, a·x^2: 'x y' reads as one word at a glance
    return " "  # x sin(x), x^2 y


def _join_products(text: str) -> str:
    parts = text.split("*")  # the nested products are printed already: no '*'
    out = parts[0]
    for part in parts[1:]:
        out += _joint(out, part) + part
    return out


# a denominator that needs no brackets: x, x^2, 3, 2^x (not 2x: a/2x reads (a/2)x)
_BARE = re.compile(r"(?:[A-Za-zπ]\w*|\d+(?:\.\d+)?)(?:\^(?:[A-Za-z]\w*|\d+))?")
_BRACKET_POWER = re.compile(r"\((?P<inner>.*)\)\^\w+")


def _lighter_denominator(text: str) -> str:
    """a/(x^2) as a/x^2 and a/((2x)) as a/(2x): SymPy brackets a typed
    power or product in a denominator twice."""
    if not text.endswith(")"):
        return text
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(text[i], 0)
        if depth == 0:
            break
    if i == 0 or text[i - 1] != "/":
        return text
    inner = text[i + 1 : -1]
    power = _BRACKET_POWER.fullmatch(inner)
    root = inner.startswith("√(") and inner.endswith(")") and _balanced(inner[2:-1])
    if _BARE.fullmatch(inner) or root or (power and _balanced(power.group("inner"))):
        return text[:i] + inner
    if inner.startswith("(") and inner.endswith(")") and _balanced(inner[1:-1]):
        return text[:i] + inner
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


class TextbookPrinter(StrPrinter):
    """SymPy's str printer, writing textbook notation (see :func:`textbook`)."""

    def _print_re(self, expr):
        # dfdx's variables are real: SymPy's |2^x| = 2^re(x) for a symbol it
        # does not know to be real is 2^x
        return self._print(expr.args[0])

    def _print_Exp1(self, expr):
        return "e"

    def _print_Pi(self, expr):
        return "π"

    def _print_Abs(self, expr):
        inner = self._print(expr.args[0])
        if expr.args[0].has(sympy.Abs):  # ||x| - 1|: bars inside bars misread
            return f"abs({inner})"
        return f"|{inner}|"

    def _print_log(self, expr):
        return f"ln({self._print(expr.args[0])})"

    def _print_exp(self, expr):
        return self._power_text("e", expr.args[0])

    def _print_Max(self, expr):
        return f"max({', '.join(self._print(a) for a in expr.args)})"

    def _print_Min(self, expr):
        return f"min({', '.join(self._print(a) for a in expr.args)})"

    def _print_real_root(self, expr):
        base, n = expr.args
        if n == 3:
            return f"∛({self._print(base)})"
        return f"root({self._print(base)}, {self._print(n)})"

    def _print_Derivative(self, expr):
        out = self._print(expr.expr)
        for var, count in expr.variable_count:
            for _ in range(int(count)):
                out = f"d/d{self._print(var)}({out})"
        return out

    def _power_text(self, base: str, exponent) -> str:
        e = self._print(exponent)
        simple = (
            (exponent.is_Symbol and len(e) == 1)  # e^(x2): e^x2 reads as e^x·2
            or (exponent.is_Integer and exponent >= 0)
        ) and not e.startswith("-")
        return f"{base}^{e}" if simple else f"{base}^({e})"

    def _print_Pow(self, expr, rational=False):
        b, e = expr.base, expr.exp
        if (
            e.is_Rational
            and not e.is_Integer
            and e.q % 2 == 1
            and b.is_nonnegative is not True
            and b.free_symbols
        ):  # SymPy's principal root: x^(1/3) would read back as the real root
            return self._power_text("e", sympy.Mul(e, sympy.log(b), evaluate=False))
        if e is sympy.S.Half:
            return self._root_text(b)
        if e.is_Rational and e.is_negative and e != -1:
            if e == -sympy.S.Half:
                return f"1/{self._root_text(b)}"
            return f"1/{self._print_Pow(sympy.Pow(b, -e, evaluate=False))}"
        if e == -1:
            return _lighter_denominator(
                f"1/{self.parenthesize(b, precedence(expr), strict=False)}"
            )
        base = self.parenthesize(b, precedence(expr), strict=False)
        if b.is_Pow or (b.is_Number and b.is_negative) or isinstance(b, sympy.exp):
            base = f"({self._print(b)})"
        elif b.is_Rational and not b.is_Integer:
            base = f"({self._print(b)})"
        return self._power_text(base, e)

    def _root_text(self, b) -> str:
        inner = self._print(b)
        if b.is_Symbol or (b.is_Integer and b >= 0):
            return f"√{inner}"
        return f"√({inner})"

    def _print_Mul(self, expr):
        return _lighter_denominator(_join_products(super()._print_Mul(expr)))


def textbook(expr, *, order: str | None = None) -> str:
    """`expr` (a SymPy expression) in textbook notation; ``order="none"``
    keeps the terms in the order of the tree (a typed form).

    >>> import sympy
    >>> x = sympy.Symbol("x")
    >>> textbook(3*x**2 - 4*x + sympy.Abs(x) + sympy.log(x) + sympy.exp(2*x))
    '3x^2 - 4x + e^(2x) + ln(x) + |x|'
    """
    return TextbookPrinter({"order": order}).doprint(expr)


def for_people(x) -> str:
    """`x` for a message to a person: an Expression or a SymPy expression in
    textbook notation, anything else as its text (never an error of its own:
    it runs while another error is being reported)."""
    try:
        book = getattr(x, "textbook", None)
        if isinstance(book, str):
            return book
        if isinstance(x, sympy.Basic):
            return textbook(x)
    except Exception:  # a message must still be written
        pass
    return str(x)
