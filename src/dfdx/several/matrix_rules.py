"""The book's matrix rules (d2l 2.4.8): the gradient of Ax, x^T A, x^T A x
and ||x||^2 worked entry by entry in a small size, checked against the
closed form, and said in the book's convention."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import sympy

from dfdx.core._bounded import bounded
from dfdx.errors import DfdxError
from dfdx.exact.simplify import reduces_to_zero
from dfdx.text.codegen import _natural_key, lambdify_numpy

if TYPE_CHECKING:
    pass


# ---------------------------------------------------------------------------
# vector and matrix variables
# ---------------------------------------------------------------------------

__all__ = ["matrix_rule", "gradient_rules", "MatrixRule", "BOOK_RULES"]

_CONVENTION = (
    "column vectors (d2l); the gradient of a scalar by an n-vector is an "
    "n-vector, by an n×n matrix an n×n matrix; of an m-vector by an n-vector "
    "the n×m matrix [∂f_j/∂x_i]"
)


@dataclass(frozen=True)
class MatrixRule:
    """A gradient rule for vector/matrix variables, shown and checked.

    Attributes
    ----------
    expression : str
        The function as given (``x.T*A*x``).
    wrt : str
        The variable differentiated by (``x``).
    gradient : str
        The closed form, e.g. ``A*x + A.T*x``.
    n : int
        The size used for the checks (x is n×1, A and X are n×n).
    symbolic_check : bool
        The closed form, written out entry by entry, equals the gradient
        computed entry by entry (SymPy, exact).
    numeric_error : float
        Largest absolute difference between the closed form and central
        differences at random A, x (seed `seed`).
    convention : str
        The layout convention.
    """

    expression: str
    wrt: str
    gradient: str
    n: int
    symbolic_check: bool
    numeric_error: float
    seed: int
    convention: str = _CONVENTION
    latex: str = ""
    components: sympy.Matrix | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """Both checks passed (exact equality; numeric error below 1e-6)."""
        return self.symbolic_check and self.numeric_error < 1e-6

    def __str__(self) -> str:
        mark = "ok" if self.ok else "FAILED"
        return (
            f"∇_{self.wrt} {self.expression} = {self.gradient}   "
            f"[{mark}: exact for n = {self.n}, numeric error "
            f"{self.numeric_error:.1e}]"
        )

    def _repr_latex_(self) -> str:
        return f"${self.latex}$"

    def to_dict(self) -> dict:
        return {
            "expression": self.expression,
            "wrt": self.wrt,
            "gradient": self.gradient,
            "n": self.n,
            "symbolic_check": self.symbolic_check,
            "numeric_error": self.numeric_error,
            "convention": self.convention,
        }


class _MatrixBuilder:
    """Build a SymPy matrix expression from text, whitelisting its pieces:
    one-letter names (lower case: n-vectors, upper case: n×n matrices),
    ``.T``, ``+ - * @``, numbers, ``^``/``**`` with integer exponents,
    ``norm(v)`` (Euclidean) and ``norm(M)`` (Frobenius)."""

    def __init__(self, n: int):
        self.n = n
        self.symbols: dict[str, sympy.MatrixSymbol] = {}

    def fail(self, message: str):
        raise DfdxError(f"expr: {message}")

    def build(self, node, depth=0):
        if depth > 30:
            self.fail("nested too deeply")
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            if isinstance(node.value, bool):
                self.fail(f"'{node.value}' is not a number")
            return sympy.nsimplify(node.value)
        if isinstance(node, ast.Name):
            name = node.id
            if len(name) != 1 or not name.isalpha():
                self.fail(
                    f"matrix variables are single letters (x, A, X), got {name!r}"
                )
            if name not in self.symbols:
                shape = (self.n, 1) if name.islower() else (self.n, self.n)
                self.symbols[name] = sympy.MatrixSymbol(name, *shape)
            return self.symbols[name]
        if isinstance(node, ast.Attribute):
            if node.attr != "T":
                self.fail(f"only .T (transpose) is allowed, got .{node.attr}")
            inner = self.build(node.value, depth + 1)
            if not isinstance(inner, sympy.MatrixExpr):
                self.fail(".T applies to a vector or matrix, not to a number or norm")
            return inner.T
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self.operand(self.build(node.operand, depth + 1))
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                return self.power(node, depth)
            a = self.operand(self.build(node.left, depth + 1))
            b = self.operand(self.build(node.right, depth + 1))
            try:
                if isinstance(node.op, ast.Add):
                    return a + b
                if isinstance(node.op, ast.Sub):
                    return a - b
                if isinstance(node.op, (ast.Mult, ast.MatMult)):
                    return a * b
            except (sympy.ShapeError, TypeError, ValueError) as exc:
                self.fail(f"shapes do not fit ({exc})")
            self.fail("only + - * @ ^ are allowed")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id != "norm" or len(node.args) != 1 or node.keywords:
                self.fail("the only function is norm(v) or norm(M)")
            return ("norm", self.build(node.args[0], depth + 1))
        self.fail(f"{type(node).__name__} is not allowed in a matrix expression")

    def operand(self, value):
        """A norm used inside a larger expression must be squared."""
        if isinstance(value, tuple):
            if len(value) == 3 and value[2] == 2:
                return self.squared_norm(value[1])
            self.fail(
                "norm(...) to a power other than 2 must be the whole expression "
                "(e.g. norm(x) or norm(x)^3)"
            )
        return value

    def power(self, node, depth):
        base = self.build(node.left, depth + 1)
        exp = self.build(node.right, depth + 1)
        if not (isinstance(exp, sympy.Expr) and exp.is_Integer and 0 < exp <= 10):
            self.fail("exponents must be whole numbers from 1 to 10")
        if isinstance(base, tuple):
            return ("norm", base[1], int(exp))
        self.fail("only norm(...) may be raised to a power")

    def squared_norm(self, v):
        return (v.T * v) if v.shape[1] == 1 else sympy.Trace(v.T * v)


def _finish(builder: _MatrixBuilder, value):
    """Turn a built value into (sympy expr to differentiate, norm info)."""
    if isinstance(value, tuple):
        v = value[1]
        p = value[2] if len(value) == 3 else 1
        if p == 2:
            return builder.squared_norm(v), None
        return None, (v, p)
    return value, None


@bounded("check the matrix rule")
def matrix_rule(
    expr: str, *, n: int = 3, wrt: str | None = None, seed: int = 0
) -> MatrixRule:
    """The gradient of a vector/matrix expression, in closed form and checked.

    Parameters
    ----------
    expr : str
        A matrix expression: one-letter names (lower case: n-vectors, upper
        case: n×n matrices), ``.T``, ``+ - * @``, numbers, and ``norm(v)``
        (Euclidean) or ``norm(M)`` (Frobenius), possibly to an integer power.
        Examples: ``"A*x"``, ``"x.T*A"``, ``"x.T*A*x"``, ``"norm(x)^2"``,
        ``"norm(X)^2"``, ``"norm(x)"``.
    n : int, optional
        Size used for the exact and numeric checks (2 to 6, default 3).
    wrt : str, optional
        The variable (default: ``x`` if present, else ``X``).
    seed : int, optional
        Seed of the random A, x for the numeric check.

    Returns
    -------
    MatrixRule

    Notes
    -----
    Column-vector convention (d2l): ∇ₓAx = Aᵀ, ∇ₓxᵀA = A, ∇ₓxᵀAx = (A + Aᵀ)x,
    ∇ₓ‖x‖² = 2x, ∇_X‖X‖_F² = 2X, ∇ₓ‖x‖₂ = x/‖x‖₂ (for x ≠ 0).

    Examples
    --------
    >>> import dfdx
    >>> r = dfdx.matrix_rule("x.T*A*x")
    >>> r.gradient
    'A*x + A.T*x'
    >>> r.ok
    True
    >>> dfdx.matrix_rule("norm(x)").gradient
    'x/norm(x)'
    """
    if not isinstance(expr, str):
        raise DfdxError(f"expr must be text, got {type(expr).__name__}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 2 <= n <= 6:
        raise DfdxError(f"n must be an integer from 2 to 6, got {n!r}")
    if len(expr) > 200:
        raise DfdxError(f"expr too long ({len(expr)} characters; limit 200)")
    if (
        isinstance(seed, bool)
        or not isinstance(seed, (int, np.integer))
        or not 0 <= seed < 2**63
    ):
        raise DfdxError(f"seed must be a non-negative integer, got {seed!r}")
    text = expr.strip().replace("^", "**")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise DfdxError(f"expr: invalid syntax in {expr!r}") from None
    builder = _MatrixBuilder(int(n))
    value = builder.build(tree.body)
    f, norm = _finish(builder, value)
    names = sorted(builder.symbols)
    if wrt is None:
        wrt = "x" if "x" in names else "X" if "X" in names else None
        if wrt is None:
            raise DfdxError(
                f"expr {expr!r} has no x or X; say which variable with wrt="
            )
    if wrt not in builder.symbols:
        raise DfdxError(
            f"wrt={wrt!r} is not a variable of {expr!r} (variables: {', '.join(names)})"
        )
    W = builder.symbols[wrt]
    if norm is not None:
        v, p = norm
        if v != W and v != W.T:
            # the closed forms below are for the norm of the variable itself
            raise DfdxError(
                f"norm(...) to a power other than 2 takes the variable itself "
                f"(norm({wrt})^p); for {_matrix_text(v)} use the squared norm, "
                f"norm({_matrix_text(v)})^2"
            )
        closed_sym = None
        closed_text = (
            f"{wrt}/norm({wrt})" if p == 1 else f"{p}*norm({wrt})**{p - 2}*{wrt}"
        )
    else:
        shape = getattr(f, "shape", (1, 1))
        if shape[1] != 1 and shape[0] != 1:
            raise DfdxError(
                f"expr {expr!r} is an {shape[0]}×{shape[1]} matrix; "
                "give a scalar or a vector"
            )
        if f == 0 or (isinstance(f, sympy.MatrixExpr) and f.is_ZeroMatrix):
            raise DfdxError(
                f"expr {expr!r} is identically 0; its gradient is 0 for any {wrt}"
            )
        try:
            closed_sym = sympy.diff(f, W)
        except Exception as exc:  # SymPy's matrix calculus has gaps
            raise DfdxError(f"cannot differentiate {expr!r} by {wrt}: {exc}") from None
        if isinstance(closed_sym, sympy.Derivative):  # pragma: no cover
            raise DfdxError(f"cannot differentiate {expr!r} by {wrt} in closed form")
        closed_text = str(closed_sym)

    # explicit matrices: x -> (x1, ..., xn), A -> (A11 ... Ann)
    explicit = {}
    for name, S in builder.symbols.items():
        rows, cols = S.shape
        if cols == 1:
            explicit[S] = sympy.Matrix(
                rows, 1, lambda i, j, nm=name: sympy.Symbol(f"{nm}{i + 1}", real=True)
            )
        else:
            explicit[S] = sympy.Matrix(
                rows,
                cols,
                lambda i, j, nm=name: sympy.Symbol(f"{nm}{i + 1}{j + 1}", real=True),
            )
    Wx = explicit[W]

    def write_out(m):
        m = sympy.sympify(m).xreplace(explicit).doit()
        if isinstance(m, sympy.MatrixExpr):
            m = m.as_explicit()
        elif not isinstance(m, sympy.MatrixBase):
            m = sympy.Matrix([[m]])
        return sympy.Matrix(m)

    if norm is not None:
        v, p = norm
        sq = sum(e**2 for e in Wx)
        fx = sympy.sqrt(sq) ** p
        nrm_x = sympy.sqrt(sq)
        closed_x = Wx * (1 / nrm_x if p == 1 else p * nrm_x ** (p - 2))
    else:
        fx = write_out(f)
        closed_x = write_out(closed_sym)
    # entry-by-entry gradient in the column convention
    f_entries = list(fx) if isinstance(fx, sympy.MatrixBase) else [fx]
    w_entries = list(Wx)  # row-major for matrices
    if len(f_entries) == 1:
        comp = sympy.Matrix(
            Wx.shape[0], Wx.shape[1], lambda i, j: sympy.diff(f_entries[0], Wx[i, j])
        )
    else:
        comp = sympy.Matrix(
            len(w_entries),
            len(f_entries),
            lambda i, j: sympy.diff(f_entries[j], w_entries[i]),
        )
    closed_cmp = closed_x  # no silent transposes: the layout must match
    symbolic_ok = closed_cmp.shape == comp.shape and all(
        reduces_to_zero(a - b) for a, b in zip(closed_cmp, comp, strict=True)
    )
    # numeric: random values, central differences on f vs closed form
    rng = np.random.default_rng(seed)
    syms = sorted(
        {s for m in explicit.values() for s in m}, key=lambda s: _natural_key(s.name)
    )
    vals = {s: float(rng.uniform(-2, 2)) for s in syms}
    ffun = lambdify_numpy(syms, sympy.Matrix(f_entries))
    cfun = lambdify_numpy(syms, closed_cmp)
    base = np.array([vals[s] for s in syms])
    index = {s: k for k, s in enumerate(syms)}
    h = 1e-6
    num = np.empty(comp.shape)
    for i in range(comp.shape[0]):
        for j in range(comp.shape[1]):
            if len(f_entries) == 1:
                s, out = Wx[i, j], 0
            else:
                s, out = w_entries[i], j
            up, dn = base.copy(), base.copy()
            up[index[s]] += h
            dn[index[s]] -= h
            num[i, j] = (np.ravel(ffun(*up))[out] - np.ravel(ffun(*dn))[out]) / (2 * h)
    closed_num = np.asarray(cfun(*base), dtype=float)
    err = float(np.max(np.abs(closed_num - num)))
    latex = rf"\nabla_{{{wrt}}} " + _matrix_latex(value, wrt) + " = "
    if closed_sym is None:
        w = wrt
        latex += (
            rf"\frac{{{w}}}{{\|{w}\|_2}}"
            if p == 1
            else (rf"{p} \|{w}\|_2^{{{p - 2}}} {w}" if p != 3 else rf"3 \|{w}\|_2 {w}")
        )
    else:
        latex += sympy.latex(closed_sym)
    return MatrixRule(
        expression=expr.strip(),
        wrt=wrt,
        gradient=closed_text,
        n=int(n),
        symbolic_check=bool(symbolic_ok),
        numeric_error=err,
        seed=seed,
        latex=latex,
        components=comp,
    )


def _matrix_text(v) -> str:
    return str(v).replace("'", "")


def _matrix_latex(value, wrt: str) -> str:
    if isinstance(value, tuple):
        v = value[1]
        p = value[2] if len(value) == 3 else 1
        sub = "_F" if v.shape[1] != 1 else "_2"
        power = "" if p == 1 else f"^{{{p}}}"
        return rf"\|{sympy.latex(v)}\|{sub}{power}"
    return sympy.latex(value)


#: The book's gradient rules: (expression, the book's way of writing the answer).
BOOK_RULES = (
    ("A*x", "A.T"),
    ("x.T*A", "A"),
    ("x.T*A*x", "(A + A.T)*x"),
    ("norm(x)^2", "2*x"),
    ("norm(X)^2", "2*X"),
    ("norm(x)", "x/norm(x)"),
)


def gradient_rules(*, n: int = 3, seed: int = 0) -> tuple[MatrixRule, ...]:
    """The book's gradient rules, each derived by SymPy and checked exactly
    (entry by entry, size `n`) and numerically (random A, x).

    ∇ₓAx = Aᵀ, ∇ₓxᵀA = A, ∇ₓxᵀAx = (A + Aᵀ)x, ∇ₓ‖x‖² = 2x, ∇_X‖X‖_F² = 2X,
    and ∇ₓ‖x‖₂ = x/‖x‖₂ (x ≠ 0). Column vectors, as in d2l.

    Returns
    -------
    tuple of MatrixRule

    Examples
    --------
    >>> import dfdx
    >>> for r in dfdx.gradient_rules():
    ...     print(r.expression, "->", r.gradient, r.ok)
    A*x -> A.T True
    x.T*A -> A True
    x.T*A*x -> A*x + A.T*x True
    norm(x)^2 -> 2*x True
    norm(X)^2 -> 2*X True
    norm(x) -> x/norm(x) True
    """
    return tuple(matrix_rule(e, n=n, seed=seed) for e, _ in BOOK_RULES)
