"""The walk of Python's AST (of the rewritten text) into SymPy, with a
whitelist: nothing is ever passed to ``eval``, ``exec``, ``sympify`` or
``parse_expr``; and the printers of the written form (what the learner
typed, before SymPy's automatic simplification)."""

from __future__ import annotations

import ast
import bisect
import math
from typing import NoReturn

import sympy
from sympy.printing.str import StrPrinter

from dfdx.errors import ParseError
from dfdx.text._numbers import has_huge_numbers
from dfdx.text.functions import _FUNCTION_TABLE, CONSTANTS, _log, _odd_root, real_diff
from dfdx.text.grammar import (
    _CHAIN_OPS,
    _GLUED_CALL,
    _LOG_BASE,
    _MAX_POWER_BITS,
    MAX_ARGUMENTS,
    MAX_DEPTH,
    MAX_EXPONENT,
    _hidden_call,
)
from dfdx.text.notation import DERIVATIVE

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
        # (a number, or SymPy's 0 from x - x: asking a large expression
        # is_zero is an assumption query over all of it)
        if op is ast.Div and right.is_number and right.is_zero:
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
        # (the cheap test first: base.is_zero queries all of a large base)
        if exponent.is_negative and base.is_number and base.is_zero:
            self.fail("division by zero (0 to a negative power)", node, where)
        if not exponent.is_number and base.is_number and base.is_zero:
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
        if name == DERIVATIVE:
            return self._derivative(args, node)
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
            if len(args) == 1 and builder in _ZERO_ASKED:
                return _applied(builder, args[0])
            return builder(*args)
        except (TypeError, ValueError) as exc:  # e.g. max(2, nan): not comparable
            self.fail(f"{name}() cannot take these arguments ({exc})", node)

    def _derivative(self, args, node):
        """Derivative(u, x) (typed, or read from d/dx(u), (u)', \\frac{d}{dx}):
        kept unevaluated here; :func:`settle_derivatives` evaluates it once
        the whole expression is read. Derivative(u) (from (u)') takes the
        expression's one variable."""
        if not 1 <= len(args) <= 2:
            self.fail(f"{DERIVATIVE}() takes 1 or 2 arguments, got {len(args)}", node)
        if len(args) == 2 and not isinstance(args[1], sympy.Symbol):
            self.fail(
                f"d/d{args[1]}(...): differentiate by a variable, not {args[1]}",
                node,
            )
        var = args[1] if len(args) == 2 else _OPEN_VARIABLE
        return sympy.Derivative(args[0], var, evaluate=False)


_ROOTS = (sympy.sqrt,)

#: Functions whose evaluation asks of a symbolic argument only whether it is
#: zero (``if arg.is_zero:``; tests read their source to hold this): on a
#: large sum that question runs SymPy's assumption system over every term,
#: most of the time of parsing a network's loss.
_ZERO_ASKED = (sympy.sin, sympy.tanh, sympy.sinh, sympy.cosh, sympy.exp, sympy.atan)

# sample values for the variables, to show an argument is not identically 0
# (exact: a float sample reads the rounding of a cancellation, such as
# (x + 1e5)^2 - x^2 - 2e5 x - 1e10 at x = 0.5371, as a value of 5e-7)
_SAMPLE = sympy.Rational(5371, 10000)
_SAMPLE_STEP = sympy.Rational(137, 10000)


def _applied(func, arg):
    """func(arg), the same expression SymPy builds, with its question
    'is arg zero?' answered 'not identically' at once where the value of arg
    at an exact sample point is clearly not 0: then SymPy's answer cannot be True,
    and True is the only answer these functions act on.

    The answer is told to a private copy of arg (a sum or product rebuilt
    from its terms, outside SymPy's cache), and func is applied to it
    without the cache: no other thread can meet the copy while it carries
    the answer, and its assumptions are reset before it is returned inside
    the result (which equals SymPy's own func(arg))."""
    if (
        _UNCACHED_NEW is None
        or not isinstance(arg, (sympy.Add, sympy.Mul))
        or arg.is_number
    ):
        return func(arg)
    symbols = sorted(arg.free_symbols, key=lambda s: s.name)
    point = {s: _SAMPLE + _SAMPLE_STEP * k for k, s in enumerate(symbols)}
    try:
        # exact arithmetic, then 20 correct digits (evalf raises its working
        # precision until it has them, or gives up on a 0)
        value = arg.xreplace(point).evalf(20)
        clear = value.is_Float and abs(value) > 1e-10
    except (TypeError, ValueError, ArithmeticError, RecursionError):
        clear = False
    if not clear:
        return func(arg)
    private = arg.func._from_args(arg.args)
    told = type(private).default_assumptions.copy()
    told["zero"] = False
    private._assumptions = told
    try:
        return _UNCACHED_NEW(func, private)
    finally:
        private._assumptions = type(private).default_assumptions


#: Function.__new__ without SymPy's cache (which would hand the result, and
#: the private argument in it, to any thread asking for the same call); where
#: SymPy does not expose it, no shortcut is taken
_UNCACHED_NEW = getattr(sympy.Function.__new__, "__wrapped__", None)


# the variable of (u)' until the whole expression is read
_OPEN_VARIABLE = sympy.Dummy("open")


def settle_derivatives(tree, *, evaluate: bool):
    """The typed derivatives in `tree` with their variables settled ((u)'
    takes the expression's one variable), and evaluated when `evaluate`
    (each over real variables, as dfdx differentiates). Raises ValueError
    when (u)' leaves the variable open."""
    if not tree.has(sympy.Derivative):
        return tree
    if tree.has(_OPEN_VARIABLE):
        names = tree.free_symbols - {_OPEN_VARIABLE}
        if len(names) > 1:
            listed = ", ".join(sorted(s.name for s in names))
            raise ValueError(
                f"(u)' leaves the variable open (the expression has {listed}); "
                "write d/dx(u)"
            )
        var = next(iter(names), sympy.Symbol("x"))
        tree = replace_written(tree, {_OPEN_VARIABLE: var})
    if not evaluate:
        return tree
    return replacer({}, derivative=_real_derivative)(tree)


def _real_derivative(node):
    """A Derivative node's value, its variables taken real (d/dx |x| is
    sign(x), not SymPy's complex form)."""
    u = node.expr
    real = {s: sympy.Dummy(s.name, real=True) for s in u.free_symbols}
    back = {v: k for k, v in real.items()}
    out = u.xreplace(real)
    for var, count in node.variable_count:
        out = real_diff(out, real.get(var, var), count)
    return out.xreplace(back)


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


def replacer(mapping: dict, *, evaluate: bool = True, derivative=None):
    """A function e -> e with the subtrees in `mapping` replaced, remembering
    every rebuilt sub-expression across calls: forms that share sub-trees (a
    network's partial derivatives, the steps of one explanation) rebuild each
    shared one once. With ``evaluate=True`` it is ``e.xreplace(mapping)``;
    with ``evaluate=False`` nothing else is re-evaluated (see
    :func:`replace_written`). `derivative`, when given, maps each
    ``sympy.Derivative`` node (its parts replaced first) to its value."""
    memo: dict = {}

    def visit(e):
        if e in mapping:
            return mapping[e]
        if not e.args:
            return e
        if e in memo:
            return memo[e]
        args = [visit(a) for a in e.args]
        if derivative is not None and isinstance(e, sympy.Derivative):
            out = derivative(e.func(*args, evaluate=False))
        elif all(a is b for a, b in zip(args, e.args, strict=True)):
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
