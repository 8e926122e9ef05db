"""Partial derivatives, gradients, Jacobians and Hessians.

For expressions (text, :class:`~dfdx.text.expr.Expression` or SymPy) the answers are
exact (SymPy underneath, real-valued symbols). Without a point you get a small
frozen result object that prints as the formula; with ``at=`` you get a float
:class:`numpy.ndarray` in ``wrt`` order. For a Python callable the work is
handed to the numerical engine, :mod:`dfdx.numeric`.

Vector and matrix variables (``x.T*A*x``, ``norm(x)^2``, ``norm(X)^2``) are
handled by :func:`matrix_rule`, and the book's rules are collected by
:func:`gradient_rules`. The convention is d2l's: vectors are **columns**, and
the gradient of a scalar with respect to an n-vector is an n-vector (for an
m-vector-valued f it is the n×m matrix with entries ∂f_j/∂x_i, so that
∇ₓAx = Aᵀ).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from keyword import iskeyword
from typing import TYPE_CHECKING

import numpy as np
import sympy
from sympy.core.cache import cacheit

from dfdx.core._bounded import bounded
from dfdx.errors import DfdxError, NotDifferentiableError, UndefinedError
from dfdx.exact.reverse import reverse_gradient, shared_subexpressions
from dfdx.exact.simplify import at_most, ops, tidy
from dfdx.exact.symbolic import _SMOOTH as _SMOOTH_FUNCTIONS
from dfdx.exact.symbolic import (
    _finite_number,
    _fmt_number,
    _fmt_sym,
    _tidy,
    at_kink,
    derivative_at,
    diff,
    real_symbols,
)
from dfdx.text.builder import replacer
from dfdx.text.codegen import _natural_key, numpy_source
from dfdx.text.expr import Expression, as_expression, is_expression_like
from dfdx.text.functions import real_diff
from dfdx.text.textbook import for_people

if TYPE_CHECKING:
    from dfdx.numeric import DerivativeResult

__all__ = [
    "partial",
    "gradient",
    "jacobian",
    "hessian",
    "SymbolicGradient",
    "SharedGradient",
    "SymbolicJacobian",
    "SymbolicHessian",
]

#: Most variables a symbolic Jacobian or Hessian is taken over (their
#: entries grow with the square).
MAX_VARIABLES = 256

#: Most variables a symbolic gradient is taken over: one reverse sweep
#: gives them all (a 16-64-1 network's loss has 1 170).
MAX_GRADIENT_VARIABLES = 10_000


# ---------------------------------------------------------------------------
# helpers: variables and points
# ---------------------------------------------------------------------------


def _wrt_names(
    variables: Sequence[str], wrt, *, what: str = "f", limit: int = MAX_VARIABLES
) -> tuple[str, ...]:
    """The variables to differentiate by, validated (at most `limit`)."""
    if wrt is None:
        if not variables:
            raise DfdxError(
                f"{what} has no variables; say which ones to differentiate by with wrt="
            )
        if len(variables) > limit:
            raise DfdxError(
                f"{what} has {len(variables)} variables; the limit is {limit} "
                "(say which ones with wrt=)"
            )
        return tuple(variables)
    if isinstance(wrt, str):
        names = [w.strip() for w in wrt.split(",")]
    elif isinstance(wrt, Sequence):
        names = list(wrt)
    else:
        raise DfdxError(f"wrt must be a variable name or a list of names, got {wrt!r}")
    if not names:
        raise DfdxError("wrt must name at least one variable, got an empty list")
    for w in names:
        if not isinstance(w, str) or not w.isidentifier():
            raise DfdxError(f"wrt must hold variable names, got {w!r}")
    dupes = sorted({w for w in names if names.count(w) > 1})
    if dupes:
        raise DfdxError(f"wrt names {', '.join(dupes)} more than once")
    if len(names) > limit:
        raise DfdxError(f"wrt has {len(names)} variables; the limit is {limit}")
    return tuple(names)


def _point(
    at, names: tuple[str, ...], needed: Sequence[str], expr: Expression | None = None
) -> dict[str, float]:
    """A point (mapping, sequence in `names` order, or number) as {name: float}.
    `expr`, when given, explains names that cancelled out of it."""
    if isinstance(at, Mapping):
        values = dict(at)
        allowed = {*needed, *names}
        unknown = [k for k in values if k not in allowed]
        if unknown:
            known = ", ".join(dict.fromkeys([*needed, *names]))
            hint = expr.cancel_hint([str(k) for k in unknown]) if expr else ""
            raise DfdxError(
                f"at: unknown variable {', '.join(map(str, unknown))} "
                f"(variables: {known}){hint}"
            )
    elif isinstance(at, (Sequence, np.ndarray)) and not isinstance(at, str):
        seq = list(np.ravel(at)) if isinstance(at, np.ndarray) else list(at)
        if len(seq) != len(names):
            raise DfdxError(
                f"at has {len(seq)} values but wrt has {len(names)} variables "
                f"({', '.join(names)})"
            )
        values = dict(zip(names, seq, strict=True))
    else:
        if len(names) != 1:
            raise DfdxError(
                f"at must give a value for each of {', '.join(names)}, got {at!r}"
            )
        values = {names[0]: at}
    missing = [v for v in dict.fromkeys([*needed, *names]) if v not in values]
    if missing:
        raise DfdxError(f"at: missing value for variable {', '.join(missing)}")
    out = {}
    for key, value in values.items():
        if isinstance(value, bool):
            raise DfdxError(f"at: value of {key} must be a number, got {value!r}")
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise DfdxError(
                f"at: value of {key} must be a number, got {value!r}"
            ) from None
        if not math.isfinite(v):
            raise DfdxError(f"at: value of {key} must be finite, got {value!r}")
        out[key] = v
    return out


def _exact(v: float):
    return sympy.Integer(int(v)) if v.is_integer() else sympy.Rational(repr(v))


def _label(values: Mapping[str, float]) -> str:
    return ", ".join(f"{k} = {_fmt_number(v)}" for k, v in values.items())


def _subs(e: Expression, values: Mapping[str, float]) -> sympy.Expr:
    return e.sympy.xreplace({e.symbol(k): _exact(v) for k, v in values.items()})


def _is_norm_at_origin(f: Expression, names, values) -> sympy.Expr | None:
    """c if f = c·‖x‖₂ over the variables `names` and the point is the origin."""
    if any(values[n] != 0 for n in names):
        return None
    syms = [f.symbol(n) for n in names]
    if set(f.variables) - set(names):
        return None
    try:
        ratio = tidy(f.sympy**2 / sympy.Add(*[s**2 for s in syms]))
    except (TypeError, ValueError, RecursionError):  # pragma: no cover
        return None
    if ratio.is_number and ratio.is_positive:
        return sympy.sqrt(ratio)
    return None


def _too_large(value) -> bool:
    """Whether an exact value is a finite real number beyond float range."""
    try:
        v = sympy.sympify(value).evalf(30)
        return bool(v.is_real and v.is_finite and abs(v) > sys.float_info.max)
    except (TypeError, ValueError, AttributeError):  # pragma: no cover
        return False


def _undefined(f: Expression, values, what: str = "f") -> None:
    """Raise: f has no float value at `values` (undefined, or too large)."""
    exact = _subs(f, values)
    if _too_large(exact):
        raise UndefinedError(
            f"{what} = {for_people(f)} at {_label(values)} is about {sympy.N(exact, 4)}, "
            "too large for a float (overflow)"
        )
    raise UndefinedError(f"{what} = {for_people(f)} is undefined at {_label(values)}")


def _line(f: Expression, values: Mapping[str, float], name: str) -> Expression:
    """f along the variable `name`, the others fixed at `values`, with what
    is left of f's typed domain (|√x|·y is still undefined left of x = 0)."""
    others = {k: v for k, v in values.items() if k != name}
    line = Expression(_subs(f, others))
    kept = f.domain.fixed({k: _exact(v) for k, v in others.items()})
    return line.with_domain(kept) if kept else line


def _explain_failure(f: Expression, names, values, bad: str, component) -> None:
    """Raise the right error for a gradient that has no value at `values`."""
    label = _label(values)
    if _finite_number(_subs(f, values)) is None:
        _undefined(f, values)
    if _too_large(_subs(component, values)):
        raise UndefinedError(
            f"∂f/∂{bad} = {component} at {label} is about "
            f"{sympy.N(_subs(component, values), 4)}, too large for a float "
            "(overflow)"
        )
    c = _is_norm_at_origin(f, names, values)
    if c is not None:
        # f = ±c·‖x‖₂; which sign shows one step away from the origin
        probe = _finite_number(_subs(f, {**values, names[0]: 1.0})) or 0.0
        scale = "" if c == 1 else f"{c}·"
        bound = "1" if c == 1 else str(c)
        if probe > 0:
            raise NotDifferentiableError(
                f"f = {for_people(f)} ({scale}the Euclidean norm ‖x‖₂) is not differentiable "
                f"at {label}: its gradient x/‖x‖₂ is 0/0 there (the cone has a "
                f"tip). Being convex, it has subgradients there: every g with "
                f"‖g‖₂ ≤ {bound}, i.e. f(y) ≥ f(0) + gᵀy for all y; g = 0 is the "
                "usual choice (PyTorch's backward returns 0)"
            )
        raise NotDifferentiableError(
            f"f = {for_people(f)} (−{scale}‖x‖₂) is not differentiable at {label}: its "
            "gradient −x/‖x‖₂ is 0/0 there. It is concave, so it has no "
            f"subgradient there, only supergradients: every g with ‖g‖₂ ≤ {bound}"
        )
    # restrict f to the line through the point along `bad`, look at both sides
    line = _line(f, values, bad)
    left = right = None
    reason = f"∂f/∂{bad} = {component} has no finite value there"
    try:
        derivative_at(line, values[bad], bad)
    except NotDifferentiableError as exc:
        left, right = exc.left, exc.right
        gone = [
            side
            for side, k in (("left", -1), ("right", 1))
            if not line.domain.near(bad, _exact(values[bad]), k)
        ]
        if left is None and right is None and len(gone) == 1:
            # no one-sided slopes: the line leaves the typed domain (√x at 0)
            reason = (
                f"along {bad}: it is not defined to the {gone[0]} of "
                f"{_fmt_number(values[bad])} (its domain: {f.domain})"
            )
        else:
            reason = (
                f"along {bad}: left derivative {_fmt_sym(left)}, "
                f"right derivative {_fmt_sym(right)}"
            )
    except DfdxError:  # pragma: no cover - f itself is defined here
        pass
    convex = (
        ". If f is convex, a subgradient g (any vector with f(y) ≥ f(x) + "
        "gᵀ(y − x) for all y) can stand in for the gradient there"
        if left is not None or right is not None
        else ""
    )
    raise NotDifferentiableError(
        f"f = {for_people(f)} is not differentiable at {label} ({reason}){convex}",
        left=left,
        right=right,
    )


def _evaluate(
    f: Expression | None, comps: Sequence[Expression], names, values, labels
) -> np.ndarray:
    """Exact values of `comps` (∂f/∂names[i]) at `values` as floats, or a
    clear error; `labels` name the entries in messages."""
    out = np.empty(len(comps))
    if f is not None and f.domain.contains(values) is False:
        # the typed function's domain, not SymPy's form: |√x| is not a
        # function of x < 0 even though SymPy's Abs of i·0.85 is 0.85
        raise UndefinedError(
            f"f = {for_people(f)} is undefined at {_label(values)} "
            f"(its domain: {f.domain})"
        )
    if f is not None and _finite_number(_subs(f, values)) is None:
        _undefined(f, values)
    fast = _shared_values(comps, values) if len(comps) >= SHARED_MIN_ENTRIES else None
    for i, comp in enumerate(comps):
        v = fast[i] if fast is not None else _finite_number(_subs(comp, values))
        if v is None:
            if f is None:
                if _too_large(_subs(comp, values)):
                    raise UndefinedError(
                        f"{labels[i]} = {comp} at {_label(values)} is about "
                        f"{sympy.N(_subs(comp, values), 4)}, too large for a "
                        "float (overflow)"
                    )
                raise UndefinedError(
                    f"{labels[i]} = {comp} has no finite value at {_label(values)}"
                )
            _explain_failure(f, names, values, names[i], comp)
        out[i] = v
    if f is not None and _at_kink(f, values):
        # sign(0) = 0 and Heaviside(0) look finite; check the kinks honestly
        for n in names:
            if n not in f.variables:
                continue
            line = _line(f, values, n)
            try:
                derivative_at(line, values[n], n)
            except NotDifferentiableError:
                _explain_failure(f, names, values, n, diff(f, n))
    return out


#: Gradients with at least this many entries are evaluated through their
#: shared subexpressions (each once), not entry by entry.
SHARED_MIN_ENTRIES = 8

#: The functions the shared evaluation goes through: smooth ones, whose value
#: at a number known to 30 digits is known to about 30 digits. Kinks (abs,
#: sign, max, relu, Piecewise) are evaluated exactly, entry by entry.
_SMOOTH = (sympy.Add, sympy.Mul, sympy.Pow, *_SMOOTH_FUNCTIONS)


def _shared_values(
    comps: Sequence[Expression], values: Mapping[str, float]
) -> list[float] | None:
    """The float values of `comps` at `values`, each shared subexpression
    evaluated once; None where this cannot be trusted (then each entry is
    evaluated exactly). The intermediates are numbers with 30 digits, so the
    whole is computed twice, at 30 and at 45 digits: the two agree to 17
    digits (a float's) unless rounding was amplified, and then the exact
    path decides."""
    exprs = [c.sympy for c in comps]
    point = {}
    seen: set = set()
    stack = list(exprs)
    while stack:  # every distinct node once, across all the entries
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if node.is_Symbol:
            if node.name not in values:
                return None
            point[node] = _exact(values[node.name])
        elif node.args:
            if not isinstance(node, _SMOOTH):
                return None
            stack.extend(node.args)
    named, reduced = shared_subexpressions(exprs, {s.name for s in point})

    def run(prec: int) -> list | None:
        env = dict(point)
        for name, e in named:
            v = sympy.N(e.xreplace(env), prec)
            if not (v.is_Number and v.is_real and v.is_finite):
                return None
            env[name] = v
        out = [sympy.N(r.xreplace(env), prec) for r in reduced]
        return (
            out if all(v.is_Number and v.is_real and v.is_finite for v in out) else None
        )

    low, high = run(30), run(45)
    if low is None or high is None:
        return None
    out = []
    for a, b in zip(low, high, strict=True):
        fb = float(b)
        if not math.isfinite(fb) or abs(a - b) > 1e-17 * abs(b):
            return None
        out.append(fb)
    return out


def _at_kink(f: Expression, values: Mapping[str, float]) -> bool:
    """Whether the point sits where a non-smooth piece of f switches."""
    return at_kink(f.sympy, {f.symbol(k): _exact(v) for k, v in values.items()})


#: Derivatives with more operations than this are not run through SymPy's
#: simplify (it can take many seconds on a 50-operation trigonometric form).
MAX_SIMPLIFY_OPS = 40


#: Gradients over at least this many variables of expressions with more
#: than REVERSE_MIN_NODES nodes are taken by reverse accumulation (one sweep
#: for all variables); smaller ones per variable, in SymPy's own forms.
REVERSE_MIN_VARIABLES = 2
REVERSE_MIN_NODES = 4 * MAX_SIMPLIFY_OPS + 1


def _partials(e: Expression, names) -> tuple[Expression, ...]:
    """(∂e/∂n for n in names), exact; each simplified only when small.
    Refused where the typed function has no open set to differentiate on."""
    e.require_derivative(names)
    return _partials_of(e.sympy, tuple(names))


@cacheit
def _partials_of(expr: sympy.Expr, names: tuple[str, ...]) -> tuple[Expression, ...]:
    """_partials, remembered like SymPy's own results (and cleared with them
    by ``sympy.core.cache.clear_cache()``). The form with real symbols is
    made once for all of them (rebuilding a network's loss with real symbols
    re-evaluates every function in it)."""
    if len(names) >= REVERSE_MIN_VARIABLES and not at_most(expr, REVERSE_MIN_NODES):
        return _reverse_partials(expr, names)
    real, back = real_symbols(expr)
    by_name = {r.name: r for r in back}
    plain = replacer(back)  # one memo: the partials share most of their nodes
    return tuple(
        Expression(
            plain(
                _tidy_if_small(
                    real_diff(real, by_name.get(wrt, sympy.Symbol(wrt, real=True)))
                )
            )
        )
        for wrt in names
    )


def _tidy_if_small(d: sympy.Expr) -> sympy.Expr:
    """`d` simplified when it is small enough for SymPy's simplify."""
    # count_ops walks the whole tree; count_ops gives an operation at most 4
    # arguments (x/y: 5 nodes, 1 operation), so past 4 * 40 + 1 nodes it
    # exceeds 40
    if at_most(d, 4 * MAX_SIMPLIFY_OPS + 1) and ops(d) <= MAX_SIMPLIFY_OPS:
        return _tidy(d)
    return d


def _reverse_partials(
    expr: sympy.Expr, names: tuple[str, ...]
) -> tuple[Expression, ...]:
    """_partials of a large expression by one reverse sweep over the user's
    own symbols (its local derivatives are real_diff's, so no rebuild with
    real symbols is needed; that rebuild alone costs more than the sweep).
    The few entries small enough to simplify are simplified over real
    symbols, as the per-variable path does."""
    by_name = {s.name: s for s in expr.free_symbols if isinstance(s, sympy.Symbol)}
    symbols = [by_name.get(n, sympy.Symbol(n)) for n in names]
    out = []
    for d in reverse_gradient(expr, symbols):
        if at_most(d, 4 * MAX_SIMPLIFY_OPS + 1) and ops(d) <= MAX_SIMPLIFY_OPS:
            real, back = real_symbols(d)
            d = replacer(back)(_tidy(real))
        out.append(Expression(d))
    return tuple(out)


def _check_no_options(options, what: str) -> None:
    if options:
        raise DfdxError(
            f"options {', '.join(sorted(options))} apply to Python callables "
            f"(numerical {what}); an expression's {what} is exact"
        )


def _is_expr(f) -> bool:
    """Expression text, Expression, SymPy, or a plain number (a constant)."""
    if isinstance(f, (int, float)) and not isinstance(f, bool):
        return True
    return is_expression_like(f)


def _numerically(kind: str, f, point, wrt, options) -> DerivativeResult:
    """The numerical gradient / jacobian / hessian of a Python callable."""
    from dfdx import numeric

    label = {"gradient": "gradient", "jacobian": "Jacobian", "hessian": "Hessian"}
    if wrt is not None:
        raise DfdxError("wrt applies to expressions; a callable takes one array")
    if point is None:
        raise DfdxError(f"a numerical {label[kind]} needs the point: give x= or at=")
    return getattr(numeric, kind)(f, point, **options)


def _resolve_point(x, at):
    if x is not None and at is not None:
        raise DfdxError("give the point once: either x or at, not both")
    return at if at is not None else x


# ---------------------------------------------------------------------------
# result objects
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SymbolicGradient:
    """The exact gradient of a scalar expression.

    Behaves like a tuple of its components (``len``, iteration, indexing).
    ``at(point)`` evaluates it; ``str`` gives ``[6*x1, 5*exp(x2)]``.

    Attributes
    ----------
    function : Expression
        The function f.
    variables : tuple of str
        The variables, in the order of the components.
    components : tuple of Expression
        ∂f/∂v for each v in `variables`.
    """

    function: Expression
    variables: tuple[str, ...]
    components: tuple[Expression, ...]

    def __len__(self) -> int:
        return len(self.components)

    def __iter__(self):
        return iter(self.components)

    def __getitem__(self, i):
        return self.components[i]

    def __str__(self) -> str:
        return "[" + ", ".join(str(c) for c in self.components) + "]"

    def __repr__(self) -> str:
        return f"SymbolicGradient({str(self)!r}, variables={self.variables!r})"

    @property
    def matrix(self) -> sympy.Matrix:
        """The gradient as a SymPy column vector."""
        return sympy.Matrix([c.sympy for c in self.components])

    @property
    def latex(self) -> str:
        """``\\nabla f = `` and the column vector, in LaTeX."""
        return r"\nabla f = " + sympy.latex(self.matrix)

    def _repr_latex_(self) -> str:
        return f"${self.latex}$"

    def at(self, point) -> np.ndarray:
        """The gradient's value at `point` (mapping, or sequence in
        `variables` order) as a float array."""
        values = _point(point, self.variables, self.function.variables, self.function)
        labels = [f"∂f/∂{v}" for v in self.variables]
        return _evaluate(self.function, self.components, self.variables, values, labels)

    def to_dict(self) -> dict:
        return {
            "function": str(self.function),
            "variables": list(self.variables),
            "gradient": [str(c) for c in self.components],
            "latex": self.latex,
        }

    def shared(self) -> SharedGradient:
        """The gradient with the subexpressions its entries share named once
        (``g1 = tanh(…)``, …): backpropagation's intermediates, written out.
        The names skip every name f uses."""
        taken = {*self.function.variables, *self.variables}
        named, entries = shared_subexpressions(
            [c.sympy for c in self.components], taken
        )
        return SharedGradient(
            self.function,
            self.variables,
            tuple((str(s), Expression(v)) for s, v in named),
            tuple(Expression(e) for e in entries),
        )


@dataclass(frozen=True)
class SharedGradient:
    """A gradient written with named intermediates, as backpropagation
    computes it: each subexpression the entries share is computed once,
    under a name (``g1``, ``g2``, …) that f does not use.

    ``str`` and :meth:`to_text` give the textbook form, :attr:`latex` an
    aligned LaTeX block, and :meth:`to_code` a standalone NumPy function.

    Attributes
    ----------
    function : Expression
    variables : tuple of str
    intermediates : tuple of (str, Expression)
        The names and what they stand for, each using only the variables and
        the names before it.
    entries : tuple of Expression
        ∂f/∂v for each v in `variables`, written with the intermediates.
    """

    function: Expression
    variables: tuple[str, ...]
    intermediates: tuple[tuple[str, Expression], ...]
    entries: tuple[Expression, ...]

    def to_text(self) -> str:
        """The intermediates, then one line per entry, in textbook notation."""
        lines = [f"f = {self.function.textbook}"]
        if self.intermediates:
            lines.append("where")
            lines += [f"  {n} = {e.textbook}" for n, e in self.intermediates]
        lines += [
            f"∂f/∂{v} = {e.textbook}"
            for v, e in zip(self.variables, self.entries, strict=True)
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    @property
    def latex(self) -> str:
        """An ``aligned`` block: the intermediates, then the entries."""
        rows = [
            f"{sympy.latex(sympy.Symbol(n))} &= {e.latex}"
            for n, e in self.intermediates
        ]
        rows += [
            rf"\frac{{\partial f}}{{\partial {sympy.latex(sympy.Symbol(v))}}} "
            f"&= {e.latex}"
            for v, e in zip(self.variables, self.entries, strict=True)
        ]
        return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"

    def _repr_latex_(self) -> str:
        return f"$${self.latex}$$"

    def to_code(self, name: str = "grad_f") -> str:
        """A standalone Python module (NumPy only) defining ``name``: it takes
        the variables (f's, in natural order) as arguments, computes each
        intermediate once, and returns the gradient as an array in
        `variables` order. Works on arrays elementwise, too."""
        if not isinstance(name, str) or not name.isidentifier() or iskeyword(name):
            raise DfdxError(f"name must be a Python function name, got {name!r}")
        parameters = sorted(
            {*self.function.variables, *self.variables}, key=_natural_key
        )
        if name in parameters:
            raise DfdxError(f"name {name!r} is a variable of f; choose another")
        return numpy_source(
            name,
            parameters,
            [(n, e.sympy) for n, e in self.intermediates],
            [e.sympy for e in self.entries],
            doc=f"The gradient of f, in the order {', '.join(self.variables)}.",
        )

    def to_dict(self) -> dict:
        return {
            "function": str(self.function),
            "variables": list(self.variables),
            "intermediates": {n: str(e) for n, e in self.intermediates},
            "gradient": [str(e) for e in self.entries],
            "latex": self.latex,
        }


@dataclass(frozen=True)
class SymbolicJacobian:
    """The exact Jacobian: rows are functions, columns are variables
    (entry (i, j) is ∂f_i/∂x_j).

    Attributes
    ----------
    functions : tuple of Expression
    variables : tuple of str
    rows : tuple of tuple of Expression
    """

    functions: tuple[Expression, ...]
    variables: tuple[str, ...]
    rows: tuple[tuple[Expression, ...], ...]

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.rows), len(self.variables))

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, i):
        if isinstance(i, tuple):
            r, c = i
            return self.rows[r][c]
        return self.rows[i]

    def __str__(self) -> str:
        return (
            "["
            + ", ".join("[" + ", ".join(str(e) for e in row) + "]" for row in self.rows)
            + "]"
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r}, variables={self.variables!r})"

    @property
    def matrix(self) -> sympy.Matrix:
        return sympy.Matrix([[e.sympy for e in row] for row in self.rows])

    @property
    def latex(self) -> str:
        return r"J = " + sympy.latex(self.matrix)

    def _repr_latex_(self) -> str:
        return f"${self.latex}$"

    def _needed(self) -> list[str]:
        names: dict[str, None] = {}
        for f in self.functions:
            names.update(dict.fromkeys(f.variables))
        return sorted(names, key=_natural_key)

    def at(self, point) -> np.ndarray:
        """The value at `point` as a 2-D float array."""
        values = _point(point, self.variables, self._needed())
        out = np.empty(self.shape)
        for i, (f, row) in enumerate(zip(self.functions, self.rows, strict=True)):
            labels = [f"∂f{i + 1}/∂{v}" for v in self.variables]
            out[i] = _evaluate(f, row, self.variables, values, labels)
        return out

    def to_dict(self) -> dict:
        return {
            "functions": [str(f) for f in self.functions],
            "variables": list(self.variables),
            "matrix": [[str(e) for e in row] for row in self.rows],
            "latex": self.latex,
        }


@dataclass(frozen=True)
class SymbolicHessian(SymbolicJacobian):
    """The exact Hessian of one scalar expression (symmetric; entry (i, j) is
    ∂²f/∂x_i∂x_j). Same interface as :class:`SymbolicJacobian`."""

    @property
    def function(self) -> Expression:
        return self.functions[0]

    @property
    def latex(self) -> str:
        return r"H = " + sympy.latex(self.matrix)

    def at(self, point) -> np.ndarray:
        f = self.function
        values = _point(point, self.variables, f.variables, f)
        if _finite_number(_subs(f, values)) is None:
            _undefined(f, values)
        out = np.empty(self.shape)
        for i, row in enumerate(self.rows):
            v = self.variables[i]
            labels = [f"∂²f/∂{v}∂{w}" for w in self.variables]
            first = diff(f, v)
            if _at_kink(first, values):
                # row i is the gradient of ∂f/∂v: a kink there (sign(0),
                # Heaviside(0)) must not pass for a finite second derivative
                try:
                    out[i] = _evaluate(first, row, self.variables, values, labels)
                except NotDifferentiableError as exc:
                    side = (
                        ""
                        if exc.left is None and exc.right is None
                        else f" (left derivative {_fmt_sym(exc.left)}, "
                        f"right derivative {_fmt_sym(exc.right)})"
                    )
                    raise NotDifferentiableError(
                        f"f = {for_people(f)} has no Hessian at {_label(values)}: its first "
                        f"derivative ∂f/∂{v} = {first} is not differentiable "
                        f"there{side}",
                        left=exc.left,
                        right=exc.right,
                    ) from None
            else:
                out[i] = _evaluate(None, row, self.variables, values, labels)
        return out


# ---------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------


@bounded("take the partial derivative")
def partial(expr, wrt: str) -> Expression:
    """The exact partial derivative ∂f/∂`wrt`.

    Parameters
    ----------
    expr : str, Expression or sympy.Expr
        The function, e.g. ``"3x1^2 + 5exp(x2)"``.
    wrt : str
        The variable; it must occur in `expr`.

    Returns
    -------
    Expression

    Examples
    --------
    >>> import dfdx
    >>> dfdx.partial("3x1^2 + 5exp(x2)", "x1")
    Expression('6*x1')
    >>> dfdx.partial("x*y^2", "y")
    Expression('2*x*y')
    """
    e = as_expression(expr, name="expr")
    if not isinstance(wrt, str) or not wrt.isidentifier():
        raise DfdxError(f"wrt must be a variable name, got {wrt!r}")
    if wrt not in e.variables:
        known = ", ".join(e.variables) or "none"
        raise DfdxError(
            f"wrt={wrt!r} is not a variable of {for_people(e)} (variables: {known}); "
            "the partial derivative would be 0"
        )
    return diff(e, wrt)


@bounded("compute the gradient")
def gradient(
    f, x=None, *, wrt=None, at=None, **options
) -> SymbolicGradient | np.ndarray | DerivativeResult:
    """The gradient ∇f: exact for expressions, numerical for Python callables.

    Parameters
    ----------
    f : str, Expression, sympy.Expr or callable
        A scalar function of several variables. Text such as
        ``"3x1^2 + 5exp(x2)"`` is parsed safely; a Python callable taking a
        1-D array is differentiated numerically by :func:`dfdx.numeric.gradient`.
    x : mapping, sequence or float, optional
        The point; the same as `at` (use one of them).
    wrt : str or sequence of str, optional
        The variables, in the order of the result (``"x1,x2"`` or
        ``["x1", "x2"]``). Default: the expression's variables in natural
        order (``x2`` before ``x10``). Variables not in f give 0.
    at : mapping or sequence or float, optional
        The point: ``{"x1": 1, "x2": 0}``, or values in `wrt` order.
    **options
        Options of the numerical engine (Python callables only).

    Returns
    -------
    SymbolicGradient or numpy.ndarray
        Without a point, the exact gradient (prints as ``[6*x1, 5*exp(x2)]``);
        with one, its value as a float array in `wrt` order. For callables,
        the numerical engine's result object (``.df`` is the gradient).

    Raises
    ------
    UndefinedError
        If f is undefined at the point.
    NotDifferentiableError
        If f is defined but has no gradient there (e.g. ``norm(x1, x2)`` at
        the origin); the message says why and what the subgradients are.

    Examples
    --------
    >>> import dfdx
    >>> g = dfdx.gradient("3x1^2 + 5exp(x2)")
    >>> print(g)
    [6*x1, 5*exp(x2)]
    >>> dfdx.gradient("3x1^2 + 5exp(x2)", at={"x1": 1, "x2": 0})
    array([6., 5.])
    >>> print(dfdx.gradient("norm(x, y)"))
    [x/sqrt(x**2 + y**2), y/sqrt(x**2 + y**2)]
    >>> dfdx.gradient("norm(x1, x2)", at=[3, 4])
    array([0.6, 0.8])
    """
    point = _resolve_point(x, at)
    if not _is_expr(f):
        if not callable(f):
            raise DfdxError(
                f"f must be an expression or a callable, got {type(f).__name__}"
            )
        return _numerically("gradient", f, point, wrt, options)
    _check_no_options(options, "gradient")
    e = as_expression(f, name="f")
    names = _wrt_names(e.variables, wrt, limit=MAX_GRADIENT_VARIABLES)
    g = SymbolicGradient(e, names, _partials(e, names))
    return g if point is None else g.at(point)


@bounded("compute the Jacobian")
def jacobian(
    f, x=None, *, wrt=None, at=None, **options
) -> SymbolicJacobian | np.ndarray | DerivativeResult:
    """The Jacobian of a vector of functions: exact for expressions, numerical
    for Python callables.

    Parameters
    ----------
    f : str, Expression, sequence of them, or callable
        The functions f_1 ... f_m (one expression gives a 1×n Jacobian). A
        Python callable (array in, array out) is handed to
        :func:`dfdx.numeric.jacobian`.
    x, at : mapping or sequence, optional
        The point (give one of them).
    wrt : str or sequence of str, optional
        The variables (columns). Default: all variables, in natural order.
    **options
        Options of the numerical engine (Python callables only).

    Returns
    -------
    SymbolicJacobian or numpy.ndarray
        The exact m×n Jacobian (entry (i, j) is ∂f_i/∂x_j), or its value as a
        2-D float array when a point is given.

    Examples
    --------
    >>> import dfdx
    >>> J = dfdx.jacobian(["x*y", "x + y^2"])
    >>> print(J)
    [[y, x], [1, 2*y]]
    >>> dfdx.jacobian(["x*y", "x + y^2"], at={"x": 2, "y": 3})
    array([[3., 2.],
           [1., 6.]])
    """
    point = _resolve_point(x, at)
    if callable(f) and not _is_expr(f):
        return _numerically("jacobian", f, point, wrt, options)
    _check_no_options(options, "Jacobian")
    if _is_expr(f):
        items = [f]
    elif isinstance(f, Sequence) and not isinstance(f, str):
        items = list(f)
        if not items:
            raise DfdxError("f must hold at least one expression, got an empty list")
    else:
        raise DfdxError(
            f"f must be an expression, a list of expressions or a callable, "
            f"got {type(f).__name__}"
        )
    funcs = tuple(as_expression(item, name=f"f[{i}]") for i, item in enumerate(items))
    allvars: dict[str, None] = {}
    for e in funcs:
        allvars.update(dict.fromkeys(e.variables))
    names = _wrt_names(sorted(allvars, key=_natural_key), wrt)
    rows = tuple(_partials(e, names) for e in funcs)
    J = SymbolicJacobian(funcs, names, rows)
    return J if point is None else J.at(point)


@bounded("compute the Hessian")
def hessian(
    f, x=None, *, wrt=None, at=None, **options
) -> SymbolicHessian | np.ndarray | DerivativeResult:
    """The Hessian (matrix of second partial derivatives): exact for
    expressions, numerical for Python callables.

    Parameters
    ----------
    f : str, Expression, sympy.Expr or callable
        A scalar function; callables go to :func:`dfdx.numeric.hessian`.
    x, at : mapping or sequence, optional
        The point (give one of them).
    wrt : str or sequence of str, optional
        The variables. Default: all, in natural order.
    **options
        Options of the numerical engine (Python callables only).

    Returns
    -------
    SymbolicHessian or numpy.ndarray

    Examples
    --------
    >>> import dfdx
    >>> H = dfdx.hessian("x^2 y + y^3")
    >>> print(H)
    [[2*y, 2*x], [2*x, 6*y]]
    >>> dfdx.hessian("x^2 y + y^3", at=[1, 2])
    array([[ 4.,  2.],
           [ 2., 12.]])
    """
    point = _resolve_point(x, at)
    if not _is_expr(f):
        if not callable(f):
            raise DfdxError(
                f"f must be an expression or a callable, got {type(f).__name__}"
            )
        return _numerically("hessian", f, point, wrt, options)
    _check_no_options(options, "Hessian")
    e = as_expression(f, name="f")
    names = _wrt_names(e.variables, wrt)
    firsts = _partials(e, names)
    table: dict[tuple[int, int], Expression] = {}
    for i, d in enumerate(firsts):
        for j, dij in enumerate(_partials(d, names[i:]), i):
            table[i, j] = table[j, i] = dij
    rows = tuple(
        tuple(table[i, j] for j in range(len(names))) for i in range(len(names))
    )
    H = SymbolicHessian((e,), names, rows)
    return H if point is None else H.at(point)
