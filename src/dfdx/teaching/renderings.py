"""A derivation's step (:class:`Step`) and its renderings: plain text,
LaTeX, Markdown and HTML, in English and Chinese."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from dfdx.core.i18n import FORMULAS, msg, rule_name
from dfdx.text.codegen import remembering
from dfdx.text.expr import Expression
from dfdx.text.textbook import TextbookPrinter

# ---------------------------------------------------------------------------
# The tree
# ---------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Step:
    """One rule application: ``d/d(wrt) expr = result``.

    Attributes
    ----------
    rule : str
        Stable rule id (``'product'``, ``'chain'``, ``'power'``, ...).
    expr : Expression
        The sub-expression differentiated here.
    result : Expression
        Its derivative, as this rule produces it.
    wrt : str
        The variable (the inner variable ``u`` for the outer part of a chain).
    children : tuple of Step
        The steps this one uses.
    lang : str
        Language of :attr:`name` and :attr:`reason`.
    partial : bool
        Whether this is a partial derivative (other variables held constant).
    """

    rule: str
    expr: Expression
    result: Expression
    wrt: str
    children: tuple[Step, ...] = ()
    lang: str = "en"
    partial: bool = False
    _message: str = ""
    _args: tuple = field(default=(), compare=False)

    @property
    def name(self) -> str:
        """The rule's name in :attr:`lang`."""
        return rule_name(self.rule, self.lang)

    @property
    def reason(self) -> str:
        """One sentence saying why, in :attr:`lang` (plain text)."""
        return _reason(self, _TextFormat(self.lang))

    def walk(self):
        """This step and all steps below it, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def __repr__(self) -> str:
        return f"Step({self.rule!r}, {str(self.expr)!r} -> {str(self.result)!r})"


class _Words(str):
    """A placeholder value that is text, not mathematics."""


def _reason(step: Step, fmt) -> str:
    args = {}
    for key, value in step._args:
        if key == "formula":
            args[key] = fmt.formula(value, step.partial)
        elif isinstance(value, sympy.Basic):
            args[key] = fmt.math(value)
        elif key.startswith("@"):  # a message id to insert as words
            args[key[1:]] = _Words(fmt.words(msg(value, step.lang)))
        else:
            args[key] = _Words(fmt.words(str(value)))
    return fmt.words_template(msg(step._message, step.lang), args)


# ---------------------------------------------------------------------------
# Formats
# ---------------------------------------------------------------------------


def _num(path) -> str:
    return ".".join(str(i) for i in path)


class _MemoStrPrinter(StrPrinter):
    # a step's result contains its children's: without remembering, a tree
    # of depth d prints the same sub-expressions d times
    _print = remembering(StrPrinter)


class _MemoTextbookPrinter(TextbookPrinter):
    _print = remembering(TextbookPrinter)


class _TextFormat:
    """Plain text, formulas in textbook notation (|x|, ln, e^x, 2x, x^2)."""

    #: the printer of formulas (SymPy's syntax in :class:`_SympyTextFormat`)
    printer_class: type = _MemoTextbookPrinter

    def __init__(self, lang: str = "en"):
        self.colon = msg("colon", lang)
        # 'none' prints the expressions being differentiated in the order they
        # were typed (set by Steps for a written tree); results use SymPy's
        self.order: str | None = None
        # how results are printed: SymPy's sorted order (None), or 'none'
        # for a large function (sorting a network's terms is most of the
        # time of writing its steps out)
        self.result_order: str | None = None
        self._printers: dict = {}

    def printed(self, printer_class, e, order: str | None) -> str:
        """`e` printed by this rendering's `printer_class` for `order`, which
        remembers sub-expressions' text for the rest of the rendering."""
        if order is None:
            order = self.result_order
        p = self._printers.get((printer_class, order))
        if p is None:
            p = self._printers[printer_class, order] = printer_class({"order": order})
        return p.doprint(e)

    def sstr(self, e, order: str | None = None) -> str:
        """`e` as text: textbook notation, or SymPy's ``sstr(e, order=order)``
        in :class:`_SympyTextFormat`."""
        return self.printed(self.printer_class, e, order)

    def expression(self, e) -> str:
        """The function being differentiated (the title)."""
        return self.sstr(e, self.order)

    def math(self, e) -> str:
        if isinstance(e, sympy.Equality):
            return f"{self.math(e.lhs)} = {self.math(e.rhs)}"
        return self.sstr(e)

    def words(self, s: str) -> str:
        return s

    def words_template(self, template: str, args: dict) -> str:
        return template.format(**args)

    def formula(self, pair, partial: bool = False) -> str:
        text = FORMULAS[pair[0]][0]
        if partial:
            text = (
                text.replace("d/d@", "∂/∂@")
                .replace("dy/d#", "∂y/∂#")
                .replace("d@/d#", "∂@/∂#")
            )
        return _fill(text, pair, exponent="({})")

    def derivative(self, e, wrt: str, partial: bool) -> str:
        op = f"∂/∂{wrt}" if partial else f"d/d{wrt}"
        body = self.sstr(e, self.order)
        if not (e.is_Atom or isinstance(e, sympy.Function)) or body.startswith("|"):
            return f"{op}({body})"
        return f"{op} {body}"

    def title(self, t: str) -> str:
        return t

    def tree(self, root: Step, lang: str) -> str:
        lines: list[str] = []

        def visit(step: Step, path: list[int], indent: int):
            label = _num(path)
            pad = " " * indent
            lines.append(
                f"{pad}{label} {step.name}{self.colon}"
                f"{self.derivative(step.expr.sympy, step.wrt, step.partial)} = "
                f"{self.math(step.result.sympy)}"
            )
            inner = indent + len(label) + 1
            lines.append(f"{' ' * inner}{_reason(step, self)}")
            for i, child in enumerate(step.children, 1):
                visit(child, [*path, i], inner)

        visit(root, [1], 0)
        return "\n".join(lines)

    def simplify(self, text: str, a, b) -> str:
        return f"{text}{self.colon}{self.math(a)} = {self.math(b)}"

    def result(self, label: str, lhs: str, value) -> str:
        return f"{label}{self.colon}{lhs} = {self.math(value)}"

    def where(self, line: str, word: str, conditions) -> str:
        shown = ", ".join(f"{self.math(u)} {_RELATION[rel]} 0" for u, rel in conditions)
        return f"{line}  ({word} {shown})"

    def join(self, parts) -> str:
        return "\n".join(parts)


class _SympyTextFormat(_TextFormat):
    """Plain text with formulas in SymPy's syntax (``3*x**2``, ``Abs(x)``,
    ``log(x)``), for programmers: ``dfdx diff --steps --format sympy``."""

    printer_class = _MemoStrPrinter

    def derivative(self, e, wrt: str, partial: bool) -> str:
        op = f"∂/∂{wrt}" if partial else f"d/d{wrt}"
        body = self.sstr(e, self.order)
        if not (e.is_Atom or isinstance(e, sympy.Function)):
            body = f"({body})"
        return f"{op} {body}"


def _fill(text: str, pair, exponent: str) -> str:
    """Put the variable names into a formula: ``@`` (and ``#``, the outer
    variable of the chain rule); a long name in an exponent gets brackets."""
    var = pair[1]
    if len(var) > 1:
        text = text.replace("^@", "^" + exponent.format(var))
    text = text.replace("@", var)
    if len(pair) > 2:
        text = text.replace("#", pair[2])
    return text


def _latex_formula(pair, partial: bool) -> str:
    text = FORMULAS[pair[0]][1]
    if partial:
        text = (
            text.replace(r"\frac{d}{d@}", r"\frac{\partial}{\partial @}")
            .replace(r"\frac{dy}{d#}", r"\frac{\partial y}{\partial #}")
            .replace(r"\frac{d@}{d#}", r"\frac{\partial @}{\partial #}")
        )
    names = tuple(_latex(sympy.Symbol(v)) for v in pair[1:])
    return _fill(text, (pair[0], *names), exponent="{}")


class _LatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer, also for powers of sigmoid, softplus and relu
    (their own ``_latex`` does not take the ``exp`` argument SymPy passes)."""

    printmethod = "_dfdx_latex"
    # the natural logarithm as a textbook writes it: \ln, not \log
    _default_settings = {**LatexPrinter._default_settings, "ln_notation": True}

    def _own(self, expr, exp=None):
        tex = expr._latex(self)
        return tex if exp is None else f"{tex}^{{{exp}}}"

    _print_sigmoid = _print_softplus = _print_relu = _own


def _latex(e, order: str | None = None) -> str:
    return _LatexPrinter({"order": order}).doprint(e)


class _MemoLatexPrinter(_LatexPrinter):
    _print = remembering(_LatexPrinter)


class _LatexMath:
    """Formulas in LaTeX, shared by the LaTeX and Markdown renderers."""

    def tex(self, e, order: str | None = None) -> str:
        """``_latex(e, order)``."""
        return self.printed(_MemoLatexPrinter, e, order)  # type: ignore[attr-defined]

    def formula(self, pair, partial: bool = False) -> str:
        return _latex_formula(pair, partial)

    def derivative(self, e, wrt: str, partial: bool) -> str:
        v = _latex(sympy.Symbol(wrt))
        op = (
            rf"\frac{{\partial}}{{\partial {v}}}" if partial else rf"\frac{{d}}{{d{v}}}"
        )
        return rf"{op}\left({self.tex(e, self.order)}\right)"  # type: ignore[attr-defined]

    def expression(self, e) -> str:
        return self.tex(e, self.order)  # type: ignore[attr-defined]


class _LatexFormat(_LatexMath, _TextFormat):
    def math(self, e) -> str:
        return self.tex(e)

    def words(self, s: str) -> str:
        out = []
        for ch in s:
            if ch in "#$%&_{}":
                out.append("\\" + ch)
            elif ch == "\\":
                out.append(r"\textbackslash{}")
            elif ch in "^~":
                out.append(r"\textasciicircum{}" if ch == "^" else r"\textasciitilde{}")
            else:
                out.append(ch)
        return "".join(out)

    def words_template(self, template: str, args: dict) -> str:
        # placeholders are math, the rest is text
        pieces = _split_template(template)
        out = []
        for is_field, piece in pieces:
            if is_field:
                value = args[piece]
                out.append(value if isinstance(value, _Words) else f"${value}$")
            else:
                out.append(self.words(piece))
        return "".join(out)

    def title(self, t: str) -> str:
        return rf"&\text{{{t}}}"

    def tree(self, root: Step, lang: str) -> str:
        lines: list[str] = []

        def visit(step: Step, path: list[int]):
            pad = r"\quad " * (len(path) - 1)
            lines.append(
                rf"&{pad}\text{{{_num(path)} {self.words(step.name)}{self.colon}}}\ "
                f"{self.derivative(step.expr.sympy, step.wrt, step.partial)} = "
                f"{self.math(step.result.sympy)}"
            )
            lines.append(rf"&{pad}\qquad\text{{{_reason(step, self)}}}")
            for i, child in enumerate(step.children, 1):
                visit(child, [*path, i])

        visit(root, [1])
        return " \\\\\n".join(lines)

    def simplify(self, text: str, a, b) -> str:
        return rf"&\text{{{self.words(text)}{self.colon}}}\ {self.math(a)} = {self.math(b)}"

    def result(self, label: str, lhs: str, value) -> str:
        return rf"&\text{{{self.words(label)}{self.colon}}}\ {lhs} = {self.math(value)}"

    def where(self, line: str, word: str, conditions) -> str:
        shown = ",\\ ".join(
            f"{self.math(u)} {_LATEX_RELATION[rel]} 0" for u, rel in conditions
        )
        return rf"{line} \quad \text{{({self.words(word)} }}{shown}\text{{)}}"

    def join(self, parts) -> str:
        return "\\begin{aligned}\n" + " \\\\\n".join(parts) + "\n\\end{aligned}"


class _MarkdownFormat(_LatexMath, _TextFormat):
    def math(self, e) -> str:
        return self.tex(e)

    def words_template(self, template: str, args: dict) -> str:
        out = []
        for is_field, piece in _split_template(template):
            if not is_field:
                out.append(piece)
            else:
                value = args[piece]
                out.append(value if isinstance(value, _Words) else f"${value}$")
        return "".join(out)

    def title(self, t: str) -> str:
        return f"**{t}**\n"

    def tree(self, root: Step, lang: str) -> str:
        lines: list[str] = []

        def visit(step: Step, depth: int, index: int):
            pad = "   " * depth
            lines.append(
                f"{pad}{index}. **{step.name}**{self.colon}"
                f"${self.derivative(step.expr.sympy, step.wrt, step.partial)} = "
                f"{self.math(step.result.sympy)}$  "
            )
            lines.append(f"{pad}   {_reason(step, self)}")
            for i, child in enumerate(step.children, 1):
                visit(child, depth + 1, i)

        visit(root, 0, 1)
        return "\n".join(lines) + "\n"

    def simplify(self, text: str, a, b) -> str:
        return f"{text}{self.colon}${self.math(a)} = {self.math(b)}$\n"

    def result(self, label: str, lhs: str, value) -> str:
        return f"**{label}**{self.colon}${lhs} = {self.math(value)}$"

    def where(self, line: str, word: str, conditions) -> str:
        shown = ", ".join(
            f"{self.math(u)} {_LATEX_RELATION[rel]} 0" for u, rel in conditions
        )
        return f"{line} ({word} ${shown}$)"

    def join(self, parts) -> str:
        return "\n".join(parts)


class _HtmlFormat(_TextFormat):
    def math(self, e) -> str:
        return "<code>" + html.escape(_TextFormat.math(self, e)) + "</code>"

    def expression(self, e) -> str:
        return "<code>" + html.escape(_TextFormat.expression(self, e)) + "</code>"

    def words(self, s: str) -> str:
        return html.escape(s)

    def words_template(self, template: str, args: dict) -> str:
        out = []
        for is_field, piece in _split_template(template):
            out.append(args[piece] if is_field else html.escape(piece))
        return "".join(out)

    def formula(self, pair, partial: bool = False) -> str:
        return (
            "<code>" + html.escape(_TextFormat.formula(self, pair, partial)) + "</code>"
        )

    def derivative(self, e, wrt: str, partial: bool) -> str:
        return (
            "<code>"
            + html.escape(_TextFormat.derivative(self, e, wrt, partial))
            + "</code>"
        )

    def title(self, t: str) -> str:
        return f'<p class="dfdx-title"><strong>{t}</strong></p>'

    def tree(self, root: Step, lang: str) -> str:
        def visit(step: Step) -> str:
            head = (
                f'<span class="dfdx-rule" data-rule="{step.rule}">'
                f"{html.escape(step.name)}</span>{self.colon}"
                f"{self.derivative(step.expr.sympy, step.wrt, step.partial)} = "
                f"{self.math(step.result.sympy)}"
            )
            body = f'<div class="dfdx-reason">{_reason(step, self)}</div>'
            kids = ""
            if step.children:
                kids = "<ol>" + "".join(visit(c) for c in step.children) + "</ol>"
            return f"<li>{head}{body}{kids}</li>"

        return f"<ol>{visit(root)}</ol>"

    def simplify(self, text: str, a, b) -> str:
        return (
            f'<p class="dfdx-simplify">{html.escape(text)}{self.colon}'
            f"{self.math(a)} = {self.math(b)}</p>"
        )

    def result(self, label: str, lhs: str, value) -> str:
        return (
            f'<p class="dfdx-result"><strong>{html.escape(label)}</strong>{self.colon}'
            f"{lhs} = {self.math(value)}</p>"
        )

    def where(self, line: str, word: str, conditions) -> str:
        shown = ", ".join(
            f"{self.math(u)} {html.escape(_RELATION[rel])} 0" for u, rel in conditions
        )
        return line.replace("</p>", f" ({html.escape(word)} {shown})</p>")

    def join(self, parts) -> str:
        return '<div class="dfdx-steps">' + "\n".join(parts) + "</div>"


#: a domain condition's relation with 0, as text and in LaTeX
_RELATION = {"ne": "≠", "gt": ">", "ge": "≥"}
_LATEX_RELATION = {"ne": r"\neq", "gt": ">", "ge": r"\geq"}


def _split_template(template: str):
    """[(is_field, text)] for a str.format template with simple {name} fields."""
    import string

    out = []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        if literal:
            out.append((False, literal))
        if name is not None:
            out.append((True, name))
    return out
