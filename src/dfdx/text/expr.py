"""Safe parsing of expression text into SymPy, and the :class:`Expression` type.

The parser's parts live below this module, one concept each:
:mod:`dfdx.text.functions` (the grammar's functions and constants),
:mod:`dfdx.text.grammar` (tokens, implicit products, the input limits),
:mod:`dfdx.text.builder` (the whitelisted AST walk, the written form's printers),
:mod:`dfdx.text.codegen` (NumPy code, numeric values) and :mod:`dfdx.text._numbers`.
Their public names are importable from here as before.

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
import math
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import sympy
from sympy.core.cache import cacheit

from dfdx.core._bounded import bounded
from dfdx.core._checks import finite_number
from dfdx.errors import DfdxError, NotationWarning, ParseError, UndefinedError
from dfdx.text._numbers import _constant_value, _too_deep
from dfdx.text.builder import (
    _Builder,
    _ExpressionPrinter,
    _TypedPrinter,
    settle_derivatives,
)
from dfdx.text.codegen import _check_real_and_finite, _natural_key, lambdify_numpy
from dfdx.text.domain import Domain, conditions_of
from dfdx.text.functions import (
    _FUNCTION_TABLE,
    CONSTANTS,
    FUNCTIONS,
    relu,
    sigmoid,
    softplus,
)
from dfdx.text.grammar import (
    MAX_ARGUMENTS,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_LENGTH,
    _rewrite,
)
from dfdx.text.notation import DERIVATIVE
from dfdx.text.textbook import for_people, textbook

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
        "_by_name",
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
        self._by_name: dict | None = None
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
    def textbook(self) -> str:
        """The expression in textbook notation (``|x|``, ``ln(x)``, ``e^x``,
        ``π``, ``√x``, ``2x``, ``x^2``); it parses back to the same function.
        ``str()`` gives SymPy's syntax.

        >>> from dfdx import parse
        >>> parse("3*x**2 - 4*x + abs(x) + log(x)").textbook
        '3x^2 - 4x + ln(x) + |x|'
        """
        return textbook(self.sympy)

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
        if self._written is None:
            tree = self.typed
            if tree is not self.sympy and tree.has(sympy.Derivative):
                tree = settle_derivatives(tree, evaluate=True)
            self._written = tree
        return self._written

    @property
    def typed(self) -> sympy.Expr:
        """:attr:`written` with the derivatives typed in the text kept
        unevaluated (``d/dx(x^2)*sin(x)``: ``Derivative(x**2, x)*sin(x)``), as
        :func:`dfdx.check_work` reads a line of working."""
        if self._source is None:
            return self.sympy
        tree = _written_tree(*self._source, self.sympy)
        return self.sympy if tree is None else tree

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
            domain = Domain(conditions_of(written, written=written is not self.sympy))
            typed = self.typed
            if typed is not written and typed.has(sympy.Derivative):
                # d/dx(x/x): the typed function's hole stays in its derivative
                domain = domain | Domain(conditions_of(typed, written=True))
            self._domain = domain
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
    @property
    def symbols(self) -> tuple:
        """The SymPy symbols of the variables, in the order of
        :attr:`variables`."""
        return self._symbols

    def symbol(self, name: str) -> sympy.Symbol:
        """The SymPy symbol of variable `name` (a new plain one if absent)."""
        if len(self._symbols) < 8:
            for s in self._symbols:
                if s.name == name:
                    return s
            return sympy.Symbol(name)
        if self._by_name is None:  # a network's loss: a lookup per call
            self._by_name = {s.name: s for s in self._symbols}
        found = self._by_name.get(name)
        return found if found is not None else sympy.Symbol(name)

    def no_derivative(self, wrt: Sequence[str] | None = None) -> str | None:
        """Why the function *as typed* has no derivative anywhere, in one
        sentence, or None: its domain holds no open set
        (:meth:`Domain.no_interior`). With `wrt`, only differentiation along
        those variables counts: ``y*sqrt(-x^2)``, defined on the line x = 0,
        has a derivative along y there.

        >>> from dfdx import parse
        >>> print(parse("log(-x^2)").no_derivative())
        the function as typed is defined nowhere: -x^2 > 0 holds for no real value of x
        >>> parse("y*sqrt(-x^2)").no_derivative(["y"]) is None
        True
        """
        empty = self.domain.no_interior()
        if empty is None or not empty.blocks(wrt):
            return None
        return empty.text(for_people, self.variables)

    def require_derivative(self, wrt: Sequence[str] | None = None) -> None:
        """Raise :class:`dfdx.UndefinedError` where :meth:`no_derivative`
        says why there is none."""
        why = self.no_derivative(wrt)
        if why is not None:
            raise UndefinedError(f"{for_people(self.written)} has no derivative: {why}")

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
            from dfdx.core._timelimit import time_limit

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
        from dfdx.core import _wiring

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
    if not isinstance(tree, sympy.Expr) or (
        settle_derivatives(tree, evaluate=True).doit(deep=True) != evaluated
    ):
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
    from dfdx.text.notation import normalise

    known = frozenset(_FUNCTION_TABLE) | {DERIVATIVE}
    plain, plain_cols, notes = normalise(body, known)
    try:
        src, new_offsets, old_cols = _rewrite(
            plain, None if undefined_functions else set(known), notes
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
        built = builder.build(tree.body)
    except RecursionError:
        raise ParseError(_too_deep(src), text) from None
    if isinstance(built, sympy.Basic):
        try:
            built = settle_derivatives(built, evaluate=not written)
        except ValueError as exc:
            raise ParseError(str(exc), text) from None
    return built, notes


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
