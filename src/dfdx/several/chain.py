"""The multivariate chain rule as a sum over paths.

``u = f(x, y, z); x = x(a, b); y = y(a, b); z = z(a, b)`` is a small dependency
graph: u depends on x, y, z, and each of them on a and b. The chain rule says
that ∂u/∂a is a sum with one term per path from u down to a, each term the
product of the local derivatives along the path:

    ∂u/∂a = ∂u/∂x·∂x/∂a + ∂u/∂y·∂y/∂a + ∂u/∂z·∂z/∂a

That sum over paths is exactly what backpropagation computes, one node at a
time (see :mod:`dfdx.several.graph`). Unknown functions such as ``f(x, y, z)`` stay
symbolic; with concrete definitions the sum is also simplified and checked
against differentiating the substituted u directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

import sympy

from dfdx.core._bounded import bounded
from dfdx.core._timelimit import time_limit
from dfdx.errors import DfdxError, ParseError, UndefinedError
from dfdx.exact.simplify import reduces_to_zero, same_value
from dfdx.exact.symbolic import _tidy
from dfdx.text.codegen import _natural_key
from dfdx.text.domain import Domain, always_holds
from dfdx.text.expr import Expression, parse
from dfdx.text.textbook import for_people, textbook

__all__ = ["chain_rule", "ChainRule", "ChainTerm", "MAX_PATHS"]

#: Most paths (terms) a chain rule may have.
MAX_PATHS = 500
#: Most definitions accepted.
MAX_DEFINITIONS = 50
#: Most operations of the output written out in the inputs.
MAX_EXPANDED = 20_000
#: Above this many operations the result is not simplified (SymPy's simplify
#: can take minutes on large expressions); the check then uses expansion only.
MAX_SIMPLIFY = 150


def _d(top: str, bottom: str) -> str:
    return f"∂{top}/∂{bottom}"


def _d_latex(top: str, bottom: str) -> str:
    return rf"\frac{{\partial {_latex_name(top)}}}{{\partial {_latex_name(bottom)}}}"


def _latex_name(name: str) -> str:
    return sympy.latex(sympy.Symbol(name))


_WORDS = {
    "en": {
        "paths": "paths: ",
        "none": "none",
        "check": "check against direct differentiation: ",
        "equal": "equal",
        "unequal": "NOT equal",
        "undecided": "not decided (the rewrites tried did not reduce the difference to 0)",
    },
    "zh": {
        "paths": "路径：",
        "none": "无",
        "check": "与直接求导比较：",
        "equal": "相等",
        "unequal": "不相等",
        "undecided": "未能判定（所尝试的化简没有把差化为 0）",
    },
}


@dataclass(frozen=True)
class ChainTerm:
    """One path through the dependency graph and its product of local
    derivatives.

    Attributes
    ----------
    path : tuple of str
        The nodes from the output down to the input, e.g. ``('u', 'x', 'a')``.
    factors : tuple of Expression
        The local derivatives along the path (∂u/∂x, ∂x/∂a), each in the
        variables of its own definition.
    value : Expression
        Their product with every intermediate variable replaced by its
        definition, i.e. in the inputs only.
    """

    path: tuple[str, ...]
    factors: tuple[Expression, ...]
    value: Expression

    @property
    def notation(self) -> str:
        """``∂u/∂x·∂x/∂a``."""
        return "·".join(_d(a, b) for a, b in pairwise(self.path))

    @property
    def latex(self) -> str:
        return " ".join(_d_latex(a, b) for a, b in pairwise(self.path))

    def __str__(self) -> str:
        return self.notation


@dataclass(frozen=True)
class ChainRule:
    """∂output/∂wrt as a sum over paths, from :func:`chain_rule`.

    Attributes
    ----------
    output : str
        The variable differentiated (the first definition's name).
    wrt : str
        The input it is differentiated by.
    definitions : tuple of (str, Expression)
        The definitions, in the order given.
    inputs : tuple of str
        Names used but not defined, in natural order.
    terms : tuple of ChainTerm
        One per path from `output` to `wrt`.
    total : Expression
        The sum of the terms, in the inputs only (undefined functions stay
        symbolic, as SymPy derivatives).
    result : Expression or None
        The simplified total when every definition is concrete (no unknown
        functions); None otherwise.
    check : bool or None
        Whether the sum over paths equals differentiating the substituted
        output directly (SymPy); None if SymPy could not decide.
    """

    output: str
    wrt: str
    definitions: tuple[tuple[str, Expression], ...]
    inputs: tuple[str, ...]
    terms: tuple[ChainTerm, ...]
    total: Expression
    result: Expression | None
    check: bool | None

    @property
    def formula(self) -> str:
        """``∂u/∂a = ∂u/∂x·∂x/∂a + ...`` (0 when no path leads to `wrt`)."""
        rhs = " + ".join(t.notation for t in self.terms) or "0"
        return f"{_d(self.output, self.wrt)} = {rhs}"

    @property
    def paths(self) -> tuple[tuple[str, ...], ...]:
        return tuple(t.path for t in self.terms)

    def __str__(self) -> str:
        return self.to_text()

    def to_text(self, lang: str = "en") -> str:
        """The formula, the products along each path, the result and the check,
        in English (``'en'``) or Chinese (``'zh'``)."""
        if lang not in _WORDS:
            raise DfdxError(f"lang must be 'en' or 'zh', got {lang!r}")
        w = _WORDS[lang]
        lines = [self.formula]
        pad = " " * len(_d(self.output, self.wrt))
        if self.result is not None and self.terms:
            products = " + ".join(
                "·".join(_paren(f) for f in t.factors) for t in self.terms
            )
            lines.append(f"{pad} = {products}")
            lost = self.result.domain.without(self.result.sympy)
            where = f"  ({lost.restriction_text(textbook)})" if lost else ""
            lines.append(f"{pad} = {self.result.textbook}{where}")
        paths = "; ".join(" → ".join(p) for p in self.paths) or w["none"]
        lines.append(f"{w['paths']}{paths}")
        if self.check is not None:
            lines.append(w["check"] + (w["equal"] if self.check else w["unequal"]))
        else:
            lines.append(w["check"] + w["undecided"])
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"ChainRule({self.formula!r})"

    @property
    def latex(self) -> str:
        """The sum over paths in LaTeX, and the simplified result if any."""
        rhs = " + ".join(t.latex for t in self.terms) or "0"
        out = f"{_d_latex(self.output, self.wrt)} = {rhs}"
        if self.result is not None:
            out += f" = {self.result.latex}"
        return out

    def _repr_latex_(self) -> str:
        return f"${self.latex}$"

    def to_dict(self) -> dict:
        return {
            "output": self.output,
            "wrt": self.wrt,
            "formula": self.formula,
            "terms": [
                {
                    "path": list(t.path),
                    "notation": t.notation,
                    "factors": [str(f) for f in t.factors],
                    "value": str(t.value),
                }
                for t in self.terms
            ],
            "total": str(self.total),
            "result": None if self.result is None else str(self.result),
            "check": self.check,
            "latex": self.latex,
        }


def _paren(e: Expression) -> str:
    s = e.textbook
    return s if re.fullmatch(r"[\w.]+", s) else f"({s})"


def _split(definitions: str) -> list[tuple[str, str]]:
    if not isinstance(definitions, str):
        raise DfdxError(
            f"definitions must be text like 'u = x*y; x = a + b', "
            f"got {type(definitions).__name__}"
        )
    parts = [p.strip() for p in re.split(r"[;\n]", definitions)]
    parts = [p for p in parts if p]
    if not parts:
        raise DfdxError("definitions are empty; write e.g. 'u = x*y; x = a + b'")
    if len(parts) > MAX_DEFINITIONS:
        raise DfdxError(f"too many definitions ({len(parts)}; limit {MAX_DEFINITIONS})")
    out = []
    for part in parts:
        name, sep, rhs = part.partition("=")
        name = name.strip()
        if not sep:
            raise DfdxError(f"definition {part!r} has no '='; write NAME = EXPRESSION")
        if not name.isidentifier() or name.startswith("_"):
            raise DfdxError(
                f"left side of {part!r} must be a variable name, got {name!r}"
            )
        if not rhs.strip():
            raise DfdxError(f"definition of {name} has nothing after '='")
        out.append((name, rhs.strip()))
    return out


def _find_cycle(deps: dict[str, list[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(v: str) -> list[str] | None:
        state[v] = 1
        stack.append(v)
        for w in deps.get(v, ()):
            if state.get(w) == 1:
                return stack[stack.index(w) :] + [w]
            if w not in state:
                found = visit(w)
                if found:
                    return found
        stack.pop()
        state[v] = 2
        return None

    for v in deps:
        if v not in state:
            found = visit(v)
            if found:
                return found
    return None


@bounded("apply the chain rule")
def chain_rule(definitions: str, wrt: str) -> ChainRule:
    """The multivariate chain rule, one term per path through the definitions.

    Parameters
    ----------
    definitions : str
        ``NAME = EXPRESSION`` pairs separated by ``;`` or new lines. The first
        one defines the output. Names used but not defined are the inputs.
        Unknown functions (``f(x, y, z)``, ``x(a, b)``) are allowed and stay
        symbolic.
    wrt : str
        The input to differentiate by.

    Returns
    -------
    ChainRule
        ``.terms`` (one per path), ``.formula``, ``.total``; for concrete
        definitions also ``.result`` (simplified) and ``.check``.

    Raises
    ------
    DfdxError
        For bad syntax (the message names the definition), a name defined
        twice, a cycle, a definition the output does not use, or a `wrt`
        that is not an input.

    Examples
    --------
    >>> import dfdx
    >>> r = dfdx.chain_rule("u = f(x, y, z); x = x(a, b); y = y(a, b); "
    ...                     "z = z(a, b)", wrt="a")
    >>> print(r.formula)
    ∂u/∂a = ∂u/∂x·∂x/∂a + ∂u/∂y·∂y/∂a + ∂u/∂z·∂z/∂a
    >>> r.check
    True
    >>> r = dfdx.chain_rule("u = x*y + z^2; x = a + b; y = a - b; z = a*b", "a")
    >>> print(r)
    ∂u/∂a = ∂u/∂x·∂x/∂a + ∂u/∂y·∂y/∂a + ∂u/∂z·∂z/∂a
          = y·1 + x·1 + 2z·b
          = 2a·(b^2 + 1)
    paths: u → x → a; u → y → a; u → z → a
    check against direct differentiation: equal
    """
    pairs = _split(definitions)
    names = [n for n, _ in pairs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DfdxError(f"{', '.join(dupes)} is defined more than once")
    parsed: dict[str, sympy.Expr] = {}
    typed: dict[str, Expression] = {}
    for name, rhs in pairs:
        try:
            e = parse(rhs, undefined_functions=True)
        except ParseError as exc:
            raise DfdxError(f"in the definition {name} = {rhs}: {exc}") from None
        parsed[name] = e.sympy
        typed[name] = e
    output = names[0]
    # dependencies (names in each definition), in order of appearance
    deps: dict[str, list[str]] = {}
    used: set[str] = set()
    for name in names:
        syms = sorted(
            (s.name for s in parsed[name].free_symbols if isinstance(s, sympy.Symbol)),
            key=lambda s: pairs[names.index(name)][1].find(s),
        )
        deps[name] = syms
        used.update(syms)
    cycle = _find_cycle(deps)
    if cycle:
        raise DfdxError(f"definitions form a cycle: {' → '.join(cycle)}")
    reachable: set[str] = set()
    todo = [output]
    while todo:
        v = todo.pop()
        if v in reachable:
            continue
        reachable.add(v)
        todo.extend(deps.get(v, ()))
    unused = [n for n in names[1:] if n not in reachable]
    if unused:
        raise DfdxError(
            f"{', '.join(unused)} is defined but {output} does not depend on it"
        )
    inputs = tuple(sorted(used - set(names), key=_natural_key))
    if not isinstance(wrt, str) or not wrt.isidentifier():
        raise DfdxError(f"wrt must be a variable name, got {wrt!r}")
    if wrt in parsed:
        raise DfdxError(
            f"wrt={wrt!r} is defined ({wrt} = {pairs[names.index(wrt)][1]}); "
            f"differentiate by an input: {', '.join(inputs) or 'none'}"
        )
    if wrt not in inputs:
        raise DfdxError(
            f"wrt={wrt!r} does not occur in the definitions "
            f"(inputs: {', '.join(inputs) or 'none'})"
        )

    # real symbols for differentiation (abs -> sign, not the complex form)
    real = {n: sympy.Symbol(n, real=True) for n in [*names, *inputs]}
    plain = {real[n]: sympy.Symbol(n) for n in real}
    to_real = {sympy.Symbol(n): real[n] for n in real}
    defs = {n: parsed[n].xreplace(to_real) for n in names}

    # size of each definition written out in the inputs (a tree count, without
    # building the tree: nested definitions can grow exponentially)
    sizes: dict[str, int] = {}

    def size(n: str) -> int:
        if n not in defs:
            return 1
        if n not in sizes:
            total_size = 0
            for node in sympy.preorder_traversal(defs[n]):
                is_def = isinstance(node, sympy.Symbol) and node.name in defs
                total_size += size(node.name) if is_def else 1
            sizes[n] = total_size
        return sizes[n]

    if size(output) > MAX_EXPANDED:
        raise DfdxError(
            f"{output} written out in the inputs has about {size(output)} "
            f"operations (limit {MAX_EXPANDED}); the definitions nest too deeply"
        )

    # each defined name in the inputs only (substitute from the bottom up)
    expanded: dict[str, sympy.Expr] = {}

    def expand(n: str) -> sympy.Expr:
        if n not in defs:
            return real[n]
        if n not in expanded:
            expanded[n] = defs[n].xreplace({real[d]: expand(d) for d in deps[n]})
        return expanded[n]

    def in_inputs(e: sympy.Expr) -> sympy.Expr:
        return e.subs({real[d]: expand(d) for d in names if real[d] in e.free_symbols})

    # paths from output to wrt (depth first, in order of appearance)
    paths: list[tuple[str, ...]] = []

    def walk(v: str, path: tuple[str, ...]):
        if len(paths) > MAX_PATHS:
            raise DfdxError(f"more than {MAX_PATHS} paths from {output} to {wrt}")
        if v == wrt:
            paths.append(path)
            return
        for w in deps.get(v, ()):
            walk(w, (*path, w))

    walk(output, (output,))
    local: dict[tuple[str, str], sympy.Expr] = {}
    terms = []
    total = sympy.S.Zero
    for path in paths:
        factors = []
        for a, b in pairwise(path):
            if (a, b) not in local:
                local[a, b] = _tidy(sympy.diff(defs[a], real[b]))
            factors.append(local[a, b])
        value = in_inputs(sympy.Mul(*factors))
        total += value
        terms.append(
            ChainTerm(
                path=path,
                factors=tuple(Expression(f.xreplace(plain)) for f in factors),
                value=Expression(value.xreplace(plain)),
            )
        )
    direct = sympy.diff(expand(output), real[wrt])
    small = sympy.count_ops(total) + sympy.count_ops(direct) <= MAX_SIMPLIFY
    check: bool | None
    try:
        if sympy.expand(total - direct) == 0:
            check = True
        elif small and reduces_to_zero(total - direct):
            check = True
        else:
            # not shown equal is not shown unequal: only a sample point where
            # the two differ says NOT equal
            with time_limit(2.0, "check the chain rule"):
                check = False if same_value(total, direct) == "different" else None
    except (TypeError, ValueError, RecursionError, DfdxError):  # slow or failed
        check = None
    concrete = not any(
        isinstance(f, sympy.core.function.AppliedUndef)
        for e in defs.values()
        for f in e.atoms(sympy.Function)
    )
    if not concrete:
        result = None
    elif small:
        result = Expression(_simplest(total).xreplace(plain))
    else:
        result = Expression(total.xreplace(plain))  # not simplified: too large
    if result is not None:
        # where every definition, as typed, is defined (y = u^2/u: u ≠ 0),
        # in the inputs: the result holds there only
        conditions = [
            (in_inputs(u.xreplace(to_real)).xreplace(plain), rel)
            for n in names
            if n in reachable
            for u, rel in typed[n].domain.conditions
        ]
        conditions = [c for c in conditions if not always_holds(c)]
        if conditions:
            domain = Domain(conditions)
            empty = domain.no_interior()
            if empty is not None and empty.blocks([wrt]):
                raise UndefinedError(
                    f"{output}, written in {', '.join(inputs)}, has no derivative: "
                    f"{empty.text(for_people, inputs)}"
                )
            result = result.with_domain(domain)
    return ChainRule(
        output=output,
        wrt=wrt,
        definitions=tuple((n, Expression(parsed[n])) for n in names),
        inputs=inputs,
        terms=tuple(terms),
        total=Expression(total.xreplace(plain)),
        result=result,
        check=check,
    )


def _simplest(e: sympy.Expr) -> sympy.Expr:
    """The shortest of simplify, factor and expand."""
    candidates = [e, _tidy(e)]
    for fn in (sympy.factor, sympy.expand):
        try:
            candidates.append(fn(e))
        except (TypeError, ValueError, sympy.PolynomialError):  # pragma: no cover
            pass
    return min(candidates, key=lambda c: (sympy.count_ops(c), len(str(c))))
