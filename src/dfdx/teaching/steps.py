"""Step-by-step derivatives: a tree of named rules, rendered as text, Markdown,
LaTeX or HTML, in English or Chinese.

The tree follows the expression's own structure (``exp(-x^2)*log(x)`` is a
product, not a quotient): each node applies one rule (constant multiple, sum,
product, quotient, power, chain, ...) to one sub-expression and says why in one
sentence. The last line is always equal to :func:`dfdx.diff`; when the form the
rules produce differs from it, both are shown with the simplification between
them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import sympy
from sympy.core.cache import cacheit

from dfdx.core._bounded import bounded
from dfdx.core.i18n import check_lang, msg
from dfdx.errors import DfdxError
from dfdx.exact.simplify import at_most
from dfdx.exact.symbolic import _wrt_symbol, diff, real_symbols
from dfdx.teaching.renderings import (
    Step,
    _HtmlFormat,
    _LatexFormat,
    _MarkdownFormat,
    _MemoTextbookPrinter,
    _SympyTextFormat,
    _TextFormat,
)
from dfdx.text.builder import replace_written, replacer
from dfdx.text.expr import Expression, as_expression
from dfdx.text.functions import real_diff, real_root, relu, sigmoid, softplus

__all__ = ["explain", "Steps", "Step"]

# one-argument functions whose derivative is looked up in the table:
# SymPy class -> (rule id, formula id)
_TABLE = {
    sympy.exp: ("exp", "exp"),
    sympy.log: ("log", "log"),
    sympy.sin: ("trig", "sin"),
    sympy.cos: ("trig", "cos"),
    sympy.tan: ("trig", "tan"),
    sympy.cot: ("trig", "cot"),
    sympy.sec: ("trig", "sec"),
    sympy.csc: ("trig", "csc"),
    sympy.asin: ("inverse_trig", "asin"),
    sympy.acos: ("inverse_trig", "acos"),
    sympy.atan: ("inverse_trig", "atan"),
    sympy.acot: ("inverse_trig", "acot"),
    sympy.sinh: ("hyperbolic", "sinh"),
    sympy.cosh: ("hyperbolic", "cosh"),
    sympy.tanh: ("hyperbolic", "tanh"),
    sympy.coth: ("hyperbolic", "coth"),
    sympy.asinh: ("inverse_hyperbolic", "asinh"),
    sympy.acosh: ("inverse_hyperbolic", "acosh"),
    sympy.atanh: ("inverse_hyperbolic", "atanh"),
    sigmoid: ("sigmoid", "sigmoid"),
    softplus: ("softplus", "softplus"),
    relu: ("relu", "relu"),
    sympy.Abs: ("abs", "abs"),
}
# rules whose reason has its own message (the others use "table")
_OWN_REASON = {"exp", "log", "sigmoid", "softplus", "relu", "abs"}

#: Functions with more nodes than this have their steps' results printed in
#: SymPy's internal order of terms, not sorted (every textbook function is far
#: below it; a 4-16-1 network's loss is past it).
LARGE_NODES = 200
_INNER_NAMES = ("u", "v", "w", "t", "s")


@dataclass(frozen=True, repr=False)
class Steps:
    """A step-by-step derivative: the rule tree and its renderers.

    Attributes
    ----------
    expr : Expression
        The function.
    wrt : str
        The variable.
    root : Step
        The tree of rule applications.
    result : Expression
        The derivative, in :func:`dfdx.diff`'s form (the final line).
    lang : str
        ``'en'`` or ``'zh'``.

    Notes
    -----
    ``str(steps)`` is :meth:`to_text`; notebooks show :meth:`to_html`.
    """

    expr: Expression
    wrt: str
    root: Step
    result: Expression
    lang: str = "en"
    # each rendering, made once (explain returns the same Steps for the same
    # input while SymPy's cache holds it)
    _rendered: dict = field(default_factory=dict, init=False, compare=False)
    # what `final` printed when it compared the forms (a printer's memory of
    # sub-expressions): each text rendering starts from a copy of it
    _book: dict = field(default_factory=dict, init=False, compare=False)

    @functools.cached_property
    def _agreement(self) -> str:
        """The message id of the "Simplify" line (checked when first shown)."""
        return _agreement(self.root.result.sympy, self.result.sympy)

    @functools.cached_property
    def _result_order(self) -> str | None:
        """How results are printed: sorted as SymPy prints them, or in
        SymPy's internal order ('none') for a function of more than
        LARGE_NODES nodes, whose sorting costs more than its steps."""
        return None if at_most(self.expr.sympy, LARGE_NODES) else "none"

    @property
    def rule_form(self) -> Expression:
        """The derivative as the rules produce it (before simplification)."""
        return self.root.result

    @functools.cached_property
    def final(self) -> Expression:
        """The form the Result line shows: :attr:`result` (dfdx.diff's form),
        or the rule form where that is shorter in textbook notation (a final
        form is never longer than the rule's own)."""
        rule, tidy_ = self.root.result, self.result
        if rule.sympy == tidy_.sympy:
            return tidy_
        # one remembering printer for both: they share most sub-expressions
        printer = _MemoTextbookPrinter({"order": self._result_order})
        a, b = printer.doprint(rule.sympy), printer.doprint(tidy_.sympy)
        self._book["memo"] = printer.__dict__.get("_dfdx_memo", {})
        if a == b:
            return rule  # the same text: no "Simplify" line between them
        return rule if (a.count("/"), len(a)) < (b.count("/"), len(b)) else tidy_

    @property
    def simplified(self) -> bool:
        """Whether the final line differs in form from the rule form."""
        return self.root.result.sympy != self.result.sympy

    @property
    def rules(self) -> tuple[str, ...]:
        """The rule ids used, in the order of the steps (depth first)."""
        return tuple(s.rule for s in self.root.walk())

    def __iter__(self):
        return self.root.walk()

    def __repr__(self) -> str:
        return (
            f"Steps({str(self.expr)!r}, wrt={self.wrt!r}, result={str(self.result)!r}, "
            f"{len(list(self.root.walk()))} steps, lang={self.lang!r})"
        )

    def __str__(self) -> str:
        return self.to_text()

    # -- renderers -------------------------------------------------------
    def _render(self, fmt) -> str:
        kind = type(fmt).__name__
        text = self._rendered.get(kind)
        if text is None:
            text = self._rendered[kind] = self._render_now(fmt)
        return text

    def _render_now(self, fmt) -> str:
        if type(fmt) in (_TextFormat, _HtmlFormat):
            # textbook text: start from what `final` printed (a copy of its
            # memory: a rendering's printer is its own, whatever the thread)
            memo = self._book.get("memo") if self.final is not None else None
            printer = _MemoTextbookPrinter({"order": self._result_order})
            printer.__dict__["_dfdx_memo"] = dict(memo or {})
            fmt._printers[(_MemoTextbookPrinter, self._result_order)] = printer
        fmt.result_order = self._result_order
        written = self.expr.written
        if written is not self.expr.sympy:
            fmt.order = "none"
        title = fmt.words_template(
            msg("title", self.lang),
            {"f": fmt.expression(written), "x": fmt.math(sympy.Symbol(self.wrt))},
        )
        final = fmt.derivative(written, self.wrt, self.root.partial)
        parts = [fmt.title(title)]
        parts.append(fmt.tree(self.root, self.lang))
        shown = self.final
        if shown.sympy != self.root.result.sympy:
            parts.append(
                fmt.simplify(
                    msg(self._agreement, self.lang),
                    self.root.result.sympy,
                    shown.sympy,
                )
            )
        line = fmt.result(msg("result", self.lang), final, shown.sympy)
        # where the final form dropped part of the typed domain (x^2/x: 1)
        lost = self.expr.domain.without(shown.sympy).conditions
        if lost:
            line = fmt.where(line, msg("where", self.lang), lost)
        parts.append(line)
        return fmt.join(parts)

    @bounded("write out the steps")
    def to_text(self) -> str:
        """Plain text for the terminal: numbered steps, each with its reason.

        Examples
        --------
        >>> import dfdx
        >>> print(dfdx.explain("3x^2 - 4x").to_text())
        Derivative of 3x^2 - 4x with respect to x
        1 Difference rule: d/dx(3x^2 - 4x) = 6x - 4
          The derivative of a difference is the difference of the derivatives, so differentiate the 2 terms one by one.
          1.1 Constant multiple rule: d/dx(3x^2) = 6x
              A constant factor stays in front: differentiate x^2 and multiply by 3.
              1.1.1 Power rule: d/dx(x^2) = 2x
                    d/dx xⁿ = n·xⁿ⁻¹ with the integer exponent n = 2.
          1.2 Constant multiple rule: d/dx(-4x) = -4
              A constant factor stays in front: differentiate x and multiply by -4.
              1.2.1 Derivative of the variable: d/dx x = 1
                    The derivative of x with respect to itself is 1.
        Result: d/dx(3x^2 - 4x) = 6x - 4
        """
        return self._render(_TextFormat(self.lang))

    @bounded("write out the steps")
    def to_sympy_text(self) -> str:
        """:meth:`to_text` with formulas in SymPy's syntax (``3*x**2``,
        ``Abs(x)``, ``log(x)``) for programmers."""
        return self._render(_SympyTextFormat(self.lang))

    @bounded("write out the steps")
    def to_markdown(self) -> str:
        """Markdown (nested numbered list, math in ``$...$``)."""
        return self._render(_MarkdownFormat(self.lang))

    @bounded("write out the steps")
    def to_latex(self) -> str:
        """LaTeX: an ``aligned`` block with one line per step (for MathJax or
        amsmath; the Chinese text needs a CJK-capable engine in a document)."""
        return self._render(_LatexFormat(self.lang))

    @bounded("write out the steps")
    def to_html(self) -> str:
        """An HTML fragment (nested ordered lists), escaped and well formed."""
        return self._render(_HtmlFormat(self.lang))

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_latex_(self) -> str:
        return "$$" + self.to_latex() + "$$"


# ---------------------------------------------------------------------------
# Building the tree
# ---------------------------------------------------------------------------


class _Builder:
    def __init__(self, lang: str, back: dict, taken: set[str], written: bool = False):
        self.lang = lang
        self.back = dict(back)
        self.taken = set(taken)
        # the tree is the learner's written form: keep it as it is
        self.written = written
        # sees the inner variables added to back later (new names, so no
        # remembered sub-expression holds one)
        self._plain = replacer(self.back, evaluate=not written)
        # id(step) -> (step, its result with the real symbols it was computed
        # in), so that a parent uses that form instead of rebuilding it from
        # the step's plain-symbol result (a rebuild re-evaluates every
        # function in it under the real assumptions: most of explain's time
        # on a network's loss)
        self._results: dict[int, tuple[Step, sympy.Expr]] = {}

    def _back(self, e):
        """`e` with the user's plain symbols again (one memo for the whole
        tree: a step's result holds its children's)."""
        return self._plain(e)

    def _expression(self, e) -> Expression:
        return Expression(self._back(sympy.sympify(e)))

    def step(self, rule, f, result, var, children=(), /, message=None, **args) -> Step:
        made = Step(
            rule=rule,
            expr=self._expression(f),
            result=self._expression(result),
            wrt=var.name,
            children=tuple(children),
            lang=self.lang,
            _message=message or rule,
            _args=tuple(
                (k, self._back(v) if isinstance(v, sympy.Basic) else v)
                for k, v in args.items()
            ),
        )
        self._results[id(made)] = (made, sympy.sympify(result))
        return made

    def inner_symbol(self, f) -> sympy.Symbol:
        used = self.taken | {s.name for s in f.free_symbols}
        for name in _INNER_NAMES:
            if name not in used:
                break
        else:  # pragma: no cover - needs five single-letter variables
            i = 1
            while f"u{i}" in used:
                i += 1
            name = f"u{i}"
        sym = sympy.Symbol(name, real=True)
        self.back[sym] = sympy.Symbol(name)
        return sym

    # -- dispatch --------------------------------------------------------
    def d(self, f, x) -> Step:
        if not f.has(x):
            message = "constant_other" if f.free_symbols else "constant"
            return self.step("constant", f, 0, x, message=message, f=f, x=x)
        if f == x:
            return self.step("identity", f, 1, x, x=x)
        if f.is_Add:
            return self.d_add(f, x)
        if f.is_Mul:
            return self.d_mul(f, x)
        if f.is_Pow:
            return self.d_pow(f, x)
        if isinstance(f, real_root):
            return self.d_real_root(f, x)
        if isinstance(f, sympy.log) and len(f.args) == 1:
            arg = f.args[0]
            if (
                arg.is_Add
                and len(arg.args) > 1
                and all(isinstance(t, sympy.exp) for t in arg.args)
            ):
                return self.d_logsumexp(f, x)
        # |u| = sign(u)·u′ for every u: dfdx's functions are real on their
        # domain (sqrt(x) is undefined for x < 0, not imaginary), so u is
        # real wherever |u| is defined
        if f.func in _TABLE and len(f.args) == 1:
            return self.d_function(f, x)
        if isinstance(f, (sympy.Max, sympy.Min)):
            return self.d_max(f, x)
        return self.step("sympy", f, real_diff(f, x), x, f=f)

    def d_add(self, f, x) -> Step:
        terms = f.args if self.written else f.as_ordered_terms()
        children = [self.d(t, x) for t in terms]
        result = sympy.Add(*[self._real(c) for c in children])
        rule = (
            "difference" if any(t.could_extract_minus_sign() for t in terms) else "sum"
        )
        return self.step(rule, f, result, x, children, n=sympy.Integer(len(terms)))

    def _real(self, step: Step):
        """The result of `step` (made by this builder) in real symbols."""
        return self._results[id(step)][1]

    def d_mul(self, f, x) -> Step:
        const = [a for a in f.args if not a.has(x)]
        rest = [a for a in f.args if a.has(x)]
        if const:
            c = sympy.Mul(*const)
            g = self._product(rest)
            child = self.d(g, x)
            result = c * self._real(child)
            logs = [
                a
                for a in const
                if a.is_Pow
                and a.exp == -1
                and isinstance(a.base, sympy.log)
                and a.base.args[0].is_number
            ]
            if logs and isinstance(g, sympy.log):
                b = logs[0].base.args[0]
                return self.step("log_base", f, result, x, [child], b=b, c=c, f=g)
            return self.step("constant_multiple", f, result, x, [child], c=c, f=g)
        den = [a for a in rest if a.is_Pow and a.exp.is_number and a.exp.is_negative]
        num = [a for a in rest if a not in den]
        if den and num:
            top = self._product(num)
            bottom = self._product([self._reciprocal(a) for a in den])
            ct, cb = self.d(top, x), self.d(bottom, x)
            dt, db = self._real(ct), self._real(cb)
            result = (dt * bottom - top * db) / bottom**2
            return self.step(
                "quotient",
                f,
                result,
                x,
                [ct, cb],
                formula=("quotient", x.name),
                f=top,
                g=bottom,
            )
        first, second = rest[0], self._product(rest[1:])
        c1, c2 = self.d(first, x), self.d(second, x)
        result = self._real(c1) * second + first * self._real(c2)
        return self.step(
            "product",
            f,
            result,
            x,
            [c1, c2],
            formula=("product", x.name),
            f=first,
            g=second,
        )

    def _product(self, factors):
        if self.written and len(factors) > 1:
            return sympy.Mul(*factors, evaluate=False)
        return sympy.Mul(*factors)

    def _reciprocal(self, a):
        if self.written and a.exp == -1:
            return a.base
        return 1 / a

    def d_pow(self, f, x) -> Step:
        base, expo = f.base, f.exp
        if not expo.has(x):
            if base == x:
                n = expo
                kind = (
                    "power_integer"
                    if n.is_Integer
                    else "power_rational"
                    if n.is_Rational
                    else "power_real"
                )
                return self.step(
                    "power",
                    f,
                    n * x ** (n - 1),
                    x,
                    message=kind,
                    formula=("power", x.name),
                    n=n,
                    x=x,
                )
            return self.chain(f, base, lambda u: u**expo, x)
        if not base.has(x):
            if expo == x:
                return self.step(
                    "exponential",
                    f,
                    f * sympy.log(base),
                    x,
                    formula=("exponential", x.name),
                    a=base,
                )
            return self.chain(f, expo, lambda u: base**u, x)
        # f(x)^g(x): logarithmic differentiation
        g = expo * sympy.log(base)
        child = self.d(g, x)
        result = f * self._real(child)
        return self.step("log_diff", f, result, x, [child], f=f, g=g, x=x)

    def d_real_root(self, f, x) -> Step:
        """The power rule for a real root x^(p/q) (odd q), as for any power."""
        base, p, q = f.args
        if base != x:
            return self.chain(f, base, lambda u: real_root(u, p, q), x)
        n = f.exponent
        return self.step(
            "power",
            f,
            n * real_root(x, p - q, q),
            x,
            message="power_rational",
            formula=("power", x.name),
            n=n,
            x=x,
        )

    def d_function(self, f, x) -> Step:
        arg = f.args[0]
        if arg != x:
            return self.chain(f, arg, f.func, x)
        rule, key = _TABLE[f.func]
        result = real_diff(f, x)
        message = rule if rule in _OWN_REASON else "table"
        return self.step(
            rule, f, result, x, message=message, formula=(key, x.name), v=x
        )

    def chain(self, f, inner, outer, x) -> Step:
        u = self.inner_symbol(f)
        outer_step = self.d(outer(u), u)
        inner_step = self.d(inner, x)
        du = self._real(outer_step).xreplace({u: inner})
        result = du * self._real(inner_step)
        return self.step(
            "chain",
            f,
            result,
            x,
            [outer_step, inner_step],
            formula=("chain", u.name, x.name),
            f=f,
            u=u,
            inner=inner,
            x=x,
        )

    def d_max(self, f, x) -> Step:
        children = [self.d(a, x) for a in f.args]
        result = sympy.Add(
            *[f.fdiff(i + 1) * self._real(c) for i, c in enumerate(children)]
        )
        is_max = isinstance(f, sympy.Max)
        if len(f.args) == 2:
            where = {"where": sympy.Eq(f.args[0], f.args[1], evaluate=False)}
        else:
            where = {"@where": "max_where" if is_max else "min_where"}
        return self.step(
            "max",
            f,
            result,
            x,
            children,
            f=f,
            **where,
            torch="maximum" if is_max else "minimum",
            **{"@which": "max_which" if is_max else "min_which"},
        )

    def d_logsumexp(self, f, x) -> Step:
        terms = f.args[0].args
        exps = [t.args[0] for t in terms]
        total = f.args[0]
        children = [self.d(a, x) for a in exps]
        result = sympy.Add(
            *[t / total * self._real(c) for t, c in zip(terms, children, strict=True)]
        )
        return self.step(
            "logsumexp", f, result, x, children, f=f, formula=("logsumexp", x.name)
        )


# ---------------------------------------------------------------------------
# Public function
# ---------------------------------------------------------------------------


@bounded("explain the derivative")
def explain(expr, wrt: str | None = None, *, lang: str = "en") -> Steps:
    """Differentiate step by step, naming every rule.

    Parameters
    ----------
    expr : str, Expression or sympy.Expr
        The function, e.g. ``"x^3 - 1/x"`` or ``"exp(-x^2)*log(x)"``.
    wrt : str, optional
        The variable; required when the expression has several. With several
        variables the first step says that the others are held constant
        (a partial derivative).
    lang : {'en', 'zh'}, optional
        Language of the rule names and reasons (default English).

    Returns
    -------
    Steps
        ``.result`` is the derivative (equal to :func:`dfdx.diff`), ``.root``
        the tree of :class:`Step` nodes; render with ``str()``,
        ``.to_markdown()``, ``.to_latex()`` or ``.to_html()``.

    Raises
    ------
    DfdxError
        For text that does not parse, a missing or unknown `wrt`, or an
        unknown `lang`.

    Examples
    --------
    >>> import dfdx
    >>> s = dfdx.explain("x^x")
    >>> s.result
    Expression('x**x*(log(x) + 1)')
    >>> s.rules
    ('log_diff', 'product', 'identity', 'log')
    >>> print(dfdx.explain("sigmoid(x)", lang="zh"))
    sigmoid(x) 对 x 的导数
    1 sigmoid 函数求导：d/dx sigmoid(x) = (1 - sigmoid(x)) sigmoid(x)
      sigmoid 的导数可以用它自身表示：d/dx σ(x) = σ(x)·(1 − σ(x))。
    结果：d/dx sigmoid(x) = (1 - sigmoid(x)) sigmoid(x)
    >>> dfdx.explain("exp(-x^2)*log(x)").root.rule
    'product'
    """
    check_lang(lang)
    e = as_expression(expr, name="expr")
    sym = _wrt_symbol(e, wrt)
    if wrt is not None and e.variables and wrt not in e.variables:
        raise DfdxError(
            f"wrt={wrt!r} is not a variable of the expression "
            f"(variables: {', '.join(e.variables)})"
        )
    e.require_derivative([sym.name])
    return _explained(_Input(e, sym, lang))


class _Input:
    """explain's input as a cache key: equal when the expression, its written
    form, its text, the variable and the language are."""

    __slots__ = ("e", "sym", "lang", "_key")

    def __init__(self, e: Expression, sym, lang: str):
        self.e, self.sym, self.lang = e, sym, lang
        self._key = (e.sympy, e.written, e._text, sym, lang)

    def __hash__(self) -> int:
        return hash(self._key)

    def __eq__(self, other) -> bool:
        return isinstance(other, _Input) and self._key == other._key


@cacheit
def _explained(given: _Input) -> Steps:
    """The Steps of one input, remembered like SymPy's own results (and
    forgotten with them by ``sympy.core.cache.clear_cache()``): explaining
    the same function again, and showing it again, costs a lookup."""
    e, sym, lang = given.e, given.sym, given.lang
    written = e.written
    if written is e.sympy:
        real, back = real_symbols(e.sympy)
    else:
        # the rules follow the learner's form (x*x: the product rule; x/x,
        # whose value has no x, the quotient rule)
        forward = {s: sympy.Symbol(s.name, real=True) for s in written.free_symbols}
        real = replace_written(written, forward)
        back = {v: k for k, v in forward.items()}
    x = next((r for r in back if r.name == sym.name), None)
    if x is None:
        x = sympy.Symbol(sym.name, real=True)
        back[x] = sym
    builder = _Builder(
        lang, back, {s.name for s in real.free_symbols}, written is not e.sympy
    )
    root = builder.d(real, x)
    # the builder's memo has most of real's sub-trees in plain symbols already
    rewritten = builder._plain(real) if written is e.sympy else None
    if written is e.sympy and rewritten != e.sympy:
        # with real symbols SymPy rewrites some forms (|x|**3 -> x**2*|x|): say so
        root = Step(
            rule="rewrite",
            expr=e,
            result=root.result,
            wrt=x.name,
            children=(root,),
            lang=lang,
            _message="rewrite",
            _args=(("x", sympy.Symbol(x.name)), ("f", e.sympy), ("g", rewritten)),
        )
    others = sorted((s for s in real.free_symbols if s != x), key=lambda s: s.name)
    if others:
        names = sympy.Symbol(", ".join(s.name for s in others))
        root = Step(
            rule="partial",
            expr=root.expr,
            result=root.result,
            wrt=x.name,
            children=(_as_partial(root),),
            lang=lang,
            partial=True,
            _message="partial",
            _args=(("x", sympy.Symbol(x.name)), ("others", names)),
        )
    final = diff(e, sym.name)
    return Steps(expr=e, wrt=sym.name, root=root, result=final, lang=lang)


def _agreement(a, b) -> str:
    """How the rule form `a` and diff's form `b` were shown equal: the id of
    the message for the "Simplify" line (see :func:`dfdx.exact.simplify.same_value`:
    samples at 30 digits first, then cheap symbolic rewrites of the
    difference, with real symbols)."""
    from dfdx.exact.simplify import same_value

    return {
        "symbolic": "simplify",
        "numeric": "simplify_numeric",
    }.get(same_value(a, b), "simplify_unchecked")


def _as_partial(step: Step) -> Step:
    return Step(
        rule=step.rule,
        expr=step.expr,
        result=step.result,
        wrt=step.wrt,
        children=tuple(
            _as_partial(c) if c.wrt == step.wrt else c for c in step.children
        ),
        lang=step.lang,
        partial=True,
        _message=step._message,
        _args=step._args,
    )
