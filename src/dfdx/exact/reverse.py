"""Exact gradients by reverse accumulation over the expression's DAG.

SymPy's ``diff`` walks the whole expression once per variable, so a
gradient over n variables costs n walks. Reverse accumulation (the method
behind backpropagation, here on formulas) walks the DAG of distinct
subexpressions once from the output down: each node's adjoint ∂f/∂node is
the sum, over the nodes that use it, of their adjoint times the local
derivative. The whole gradient then costs a small multiple of one walk (the
cheap-gradient principle), and the entries share their subexpressions
(the adjoints) as objects, not copies.

Local derivatives are those of :func:`dfdx.text.functions.real_diff`, the one
derivative dfdx takes of a typed function (|u|′ = sign(u)·u′), so an entry
equals ``real_diff(f, x)`` as a function; its form may differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sympy

from dfdx.text.functions import real_diff

__all__ = ["reverse_gradient", "shared_subexpressions"]


def _is_leaf(node: sympy.Basic) -> bool:
    """A node whose arguments are not differentiated through: symbols,
    numbers, and anything with arguments that are not expressions
    (Piecewise's (value, condition) pairs, Derivative's variables)."""
    if not node.args:
        return True
    if isinstance(node, (sympy.Derivative, sympy.Subs, sympy.Piecewise)):
        return True
    return not all(isinstance(a, sympy.Expr) for a in node.args)


def _postorder(
    expr: sympy.Expr, wanted: frozenset
) -> tuple[list[sympy.Basic], dict[sympy.Basic, bool]]:
    """The distinct subexpressions that depend on a `wanted` symbol, each
    after all of its arguments; and for every node visited, whether it
    depends on one."""
    depends: dict[sympy.Basic, bool] = {}
    order: list[sympy.Basic] = []
    stack: list[tuple[sympy.Basic, bool]] = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            if node in depends:
                continue
            dep = any(depends[a] for a in node.args)
            depends[node] = dep
            if dep:
                order.append(node)
            continue
        if node in depends:
            continue
        if isinstance(node, sympy.Symbol):
            depends[node] = node in wanted
            continue
        if node.is_Number or not node.args:
            depends[node] = False
            continue
        if _is_leaf(node):
            dep = bool(node.free_symbols & wanted)
            depends[node] = dep
            if dep:
                order.append(node)
            continue
        stack.append((node, True))
        stack.extend((a, False) for a in node.args if a not in depends)
    return order, depends


class _Locals:
    """Local partial derivatives ∂node/∂(argument i), in real_diff's sense.
    Functions are differentiated once per kind, on real dummies, and the
    arguments put back."""

    def __init__(self) -> None:
        self._templates: dict[tuple, tuple[list, sympy.Expr]] = {}

    def __call__(
        self, node: sympy.Expr, i: int, depends: dict[sympy.Basic, bool]
    ) -> sympy.Expr:
        args = node.args
        if node.is_Add:
            return sympy.S.One
        if node.is_Mul:
            return sympy.Mul(*args[:i], *args[i + 1 :])
        if node.is_Pow:
            base, exp = args
            if i == 0:
                return exp * base ** (exp - 1)
            return node * sympy.log(base)
        if isinstance(node, sympy.exp):
            return node
        key = (node.func, tuple(None if depends[a] else a for a in args), i)
        template = self._templates.get(key)
        if template is None:
            dummies = [sympy.Dummy(real=True) if depends[a] else a for a in args]
            template = (dummies, real_diff(node.func(*dummies), dummies[i]))
            self._templates[key] = template
        dummies, d = template
        return d.xreplace(
            {dm: a for dm, a in zip(dummies, args, strict=True) if depends[a]}
        )


def reverse_gradient(expr: sympy.Expr, wrt: Sequence[sympy.Symbol]) -> list[sympy.Expr]:
    """∂expr/∂w for each w in `wrt`, by one reverse sweep.

    Each entry equals ``real_diff(expr, w)`` as a function (same value
    wherever both are defined, same domain). A variable `expr` does not
    depend on gets 0."""
    wanted = frozenset(wrt)
    order, depends = _postorder(expr, wanted)
    local = _Locals()
    terms: dict[sympy.Basic, list[sympy.Expr]] = {}
    if depends.get(expr, False):
        terms[expr] = [sympy.S.One]
    for node in reversed(order):
        contributions = terms.pop(node, None)
        if contributions is None:  # pragma: no cover - every node is reached
            continue
        adjoint = sympy.Add(*contributions)
        if adjoint == 0:
            continue
        if _is_leaf(node):
            for w in wanted & node.free_symbols:
                terms.setdefault(w, []).append(adjoint * real_diff(node, w))
            continue
        for i, arg in enumerate(node.args):
            if depends[arg]:
                terms.setdefault(arg, []).append(adjoint * local(node, i, depends))
    return [sympy.Add(*terms.get(w, ())) for w in wrt]


def shared_subexpressions(
    entries: Sequence[sympy.Expr], taken: Iterable[str], prefix: str = "g"
) -> tuple[list[tuple[sympy.Symbol, sympy.Expr]], list[sympy.Expr]]:
    """The subexpressions `entries` share, named ``g1``, ``g2``, … (names in
    `taken`, the user's, are skipped), and the entries written with them:
    SymPy's common-subexpression elimination, in order of use."""
    used = set(taken)

    def names():
        k = 1
        while True:
            name = f"{prefix}{k}"
            k += 1
            if name not in used:
                yield sympy.Symbol(name)

    replacements, reduced = sympy.cse(list(entries), symbols=names(), order="none")
    return list(replacements), list(reduced)
