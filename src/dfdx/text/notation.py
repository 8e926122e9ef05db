"""Textbook notation read into dfdx's plain syntax, keeping the user's columns.

:func:`normalise` rewrites what learners and textbooks write into the syntax
the parser of :mod:`dfdx.text.expr` reads, and returns, for each character of the
new text, the column of the user's text it came from (so every parse error
still points at what the user typed). Readings with one meaning are taken
silently (``|x|``, ``x²``, ``√x``, ``sin^2(x)``, ``\\frac{1}{x}``); a
convention with another plausible reading is taken with a note; notation with
two common readings is refused showing both (``sin^-1(x)``, ``sin x^2``,
``sin 2x``). Nothing here evaluates anything.
"""

from __future__ import annotations

import re

from dfdx.errors import ParseError

__all__ = ["normalise"]

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUPER_RUN = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")
_LATEX_NAMES = {
    "sin", "cos", "tan", "cot", "sec", "csc", "sinh", "cosh", "tanh", "coth",
    "arcsin", "arccos", "arctan", "ln", "log", "exp", "max", "min", "pi",
    "alpha", "beta", "gamma", "delta", "theta", "lambda", "mu", "sigma", "tau",
    "phi", "omega", "epsilon", "eta", "rho", "xi",
}  # fmt: skip
_LATEX_OPS = {"cdot": "*", "times": "*", "div": "/"}
_LATEX_SPACE = {",", ";", ":", "!", " ", "quad", "qquad", "left", "right"}


#: The name the derivative notations (``d/dx(u)``, ``(u)'``,
#: ``\\frac{d}{dx}(u)``) are rewritten to: ``Derivative(u, x)``, SymPy's own
#: spelling, which means the same when typed.
DERIVATIVE = "Derivative"
# d/dx, d/dθ: the operator (not preceded by a letter, digit or '.')
_D_DX = re.compile(r"(?<![\w.])d\s*/\s*d([A-Za-z][A-Za-z0-9_]*)\s*")
_D_VAR = re.compile(r"\s*d\s*([A-Za-z][A-Za-z0-9_]*)\s*")
#: Most primes in a row (u''' is a third derivative): each wraps the whole
#: group again, so a run of thousands would take seconds to read.
MAX_PRIMES = 20
_PRIMES = re.compile("['\u2032][ '\u2032]*")


class _Out:
    """Text being built, with the source column of every character."""

    def __init__(self, functions: frozenset[str] = frozenset()) -> None:
        self.chars: list[str] = []
        self.cols: list[int] = []
        # the function names (sin(x)' differentiates the call, x(x+1)' the bracket)
        self.functions = functions

    def add(self, s: str, col: int) -> None:
        self.chars.extend(s)
        self.cols.extend([col] * len(s))

    def extend(self, other: _Out) -> None:
        self.chars.extend(other.chars)
        self.cols.extend(other.cols)

    def text(self) -> str:
        return "".join(self.chars)


def normalise(
    text: str, functions: frozenset[str] | set[str]
) -> tuple[str, list[int], list[str]]:
    """Rewrite textbook notation in `text`.

    Returns the new text, the source column of each of its characters (plus
    one past the end) and the notes on conventions applied.
    """
    notes: list[str] = []
    start = 0
    m = _LHS.match(text)
    if m:  # y = x^2, f(x) = x^2: the right-hand side
        notes.append(
            f"read {text.strip()!r} as its right-hand side {text[m.end() :].strip()!r}"
        )
        start = m.end()
    out = _Out(frozenset(functions))
    _characters(text, start, len(text), out)
    first, cols = out.text(), out.cols
    second = _Out()
    _tokens(first, cols, text, frozenset(functions), second)
    end = len(text)
    return second.text(), [*second.cols, end], notes


# ---------------------------------------------------------------------------
# Pass 1: characters (LaTeX, superscripts, roots, y = ..., σ)
# ---------------------------------------------------------------------------

_LHS = re.compile(
    r"\s*(?:[A-Za-z]\w*\s*\(\s*[A-Za-z]\w*(?:\s*,\s*[A-Za-z]\w*)*\s*\)|y)\s*=(?!=)"
)


def _group(text: str, i: int, end: int, open_: str, close: str) -> int:
    """Index just past the bracket group starting at text[i] == open_."""
    depth = 0
    for j in range(i, end):
        if text[j] == open_:
            depth += 1
        elif text[j] == close:
            depth -= 1
            if depth == 0:
                return j + 1
    raise ParseError(f"unbalanced '{open_}'", text, i)


def _characters(text: str, i: int, end: int, out: _Out) -> None:
    while i < end:
        ch = text[i]
        if ch == "\\":
            i = _latex(text, i, end, out)
            continue
        if ch == "d":
            m = _D_DX.match(text, i, end)
            if m:
                i = _derivative_of_group(text, m.end(), end, m.group(1), i, out)
                continue
        if ch in "'\u2032":
            run = _PRIMES.match(text, i, end)
            if run and len(run.group().replace(" ", "")) > MAX_PRIMES:
                raise ParseError(
                    f"more than {MAX_PRIMES} primes in a row; write d/dx(...) "
                    "for each derivative",
                    text,
                    i,
                )
            if _is_prime(text, i, out):
                _prime(text, i, out)
                i += 1
            else:  # a string: kept whole, for the parser to refuse as one
                k = text.find("'", i + 1, end)
                k = end if k < 0 else k + 1
                for j in range(i, k):
                    out.add(text[j], j)
                i = k
            continue
        if ch in "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺":
            m = _SUPER_RUN.match(text, i, end)
            assert m is not None
            digits = m.group().translate(_SUPERSCRIPTS)
            out.add("^(", i)
            for k, d in enumerate(digits):
                out.add(d, i + k)
            out.add(")", m.end() - 1)
            i = m.end()
            continue
        if ch in "√∛∜":
            name = {"√": "sqrt", "∛": "cbrt", "∜": "root4"}[ch]
            i = _root(text, i, end, name, out)
            continue
        if ch == "σ":
            out.add("sigmoid", i)
            i += 1
            continue
        if ch == "_" and i + 1 < end and text[i + 1] == "{":  # log_{2}: log_2
            j = _group(text, i + 1, end, "{", "}")
            out.add("_", i)
            _characters(text, i + 2, j - 1, out)
            i = j
            continue
        if ch == "{" and out.chars and out.chars[-1] in "^*":  # x^{2}, e^{2x}
            j = _group(text, i, end, "{", "}")
            out.add("(", i)
            _characters(text, i + 1, j - 1, out)
            out.add(")", j - 1)
            i = j
            continue
        out.add(ch, i)
        i += 1


def _derivative_of_group(
    text: str, j: int, end: int, var: str, start: int, out: _Out
) -> int:
    """d/dx(u), d/dx[u], \\frac{d}{dx}\\left(u\\right): ``Derivative((u),x)``;
    `j` is just past the operator. Returns the index past the group."""
    while j < end and text[j] == " ":
        j += 1
    if text.startswith("\\left", j):
        j += len("\\left")
    if j >= end or text[j] not in "([{":
        raise ParseError(
            f"write what d/d{var} differentiates in brackets: d/d{var}(...)",
            text,
            start,
        )
    close = {"(": ")", "[": "]", "{": "}"}[text[j]]
    k = _group(text, j, end, text[j], close)
    inner = text[j + 1 : k - 1].strip()
    if not inner or inner == "\\right":
        raise ParseError(f"d/d{var}() has nothing to differentiate", text, start)
    out.add(f"{DERIVATIVE}((", start)
    _characters(text, j + 1, k - 1, out)
    out.add(f"),{var})", k - 1)
    return k


def _is_prime(text: str, i: int, out: _Out) -> bool:
    """Whether the quote at text[i] is a prime: ′ always; ' after a bracket,
    a name or another prime (elsewhere it opens a string, refused as such)."""
    if text[i] == "\u2032":
        return True
    n = len(out.chars)
    while n and out.chars[n - 1] == " ":
        n -= 1
    return bool(n) and (out.chars[n - 1] in ")'" or out.chars[n - 1].isalnum())


def _prime(text: str, i: int, out: _Out) -> None:
    """(u)' and sin(x)': the derivative of the bracket (or call) before the
    prime, ``Derivative((u))``; its variable is settled once the whole
    expression is read."""
    n = len(out.chars)
    while n and out.chars[n - 1] == " ":
        n -= 1
    if not n or out.chars[n - 1] != ")":
        raise ParseError(
            "a prime differentiates the bracket before it: write (u)' or d/dx(u)",
            text,
            i,
        )
    depth, m = 0, n - 1
    while m >= 0:
        if out.chars[m] == ")":
            depth += 1
        elif out.chars[m] == "(":
            depth -= 1
            if depth == 0:
                break
        m -= 1
    if m < 0:
        raise ParseError("unbalanced ')' before the prime", text, i)
    start = m
    while start and (out.chars[start - 1].isalnum() or out.chars[start - 1] == "_"):
        start -= 1
    if "".join(out.chars[start:m]) in out.functions | {DERIVATIVE}:
        m = start  # sin(x)': the call, not only its bracket
    del out.chars[n:], out.cols[n:]
    # x(x+1)': x·(x+1)′, a product, as x(x+1) is
    glue = " " if m and (out.chars[m - 1].isalnum() or out.chars[m - 1] == "_") else ""
    out.chars[m:m] = list(f"{glue}{DERIVATIVE}(")
    out.cols[m:m] = [out.cols[m]] * (len(glue) + len(DERIVATIVE) + 1)
    out.add(")", i)


# a power right after a root's bare argument (√x^2, √x², √x**3)
_ROOT_POWER = re.compile(
    r"\s*(?:(?:\^|\*\*)\s*(-?\d+(?:\.\d*)?(?![\w(])|[A-Za-z_]\w*(?!\())?"
    r"|(?P<sup>[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+))"
)


def _root(text: str, i: int, end: int, name: str, out: _Out) -> int:
    """√x, √(x+1), √{x}, ∛x: the root of the next group or name/number."""
    j = i + 1
    while j < end and text[j] == " ":
        j += 1
    if j < end and text[j] in "({":
        close = ")" if text[j] == "(" else "}"
        k = _group(text, j, end, text[j], close)
    else:
        m = re.compile(r"\d+(?:\.\d*)?|[A-Za-z_][A-Za-z0-9_]*|π").match(text, j, end)
        if not m:
            raise ParseError(
                f"'{text[i]}' needs something to take the root of", text, i
            )
        k = m.end()
        power = _ROOT_POWER.match(text, k, end)
        if power:  # √x^2: √(x^2) or (√x)^2?
            p = power.group().strip()
            if not (power.group(1) or power.group("sup")):  # ^(...): longer
                p += "..."
            raise ParseError(
                f"'{text[i:k]}{p}' is ambiguous: {text[i]}({text[j:k]}{p}) or "
                f"({text[i:k]}){p}; add the parentheses you mean",
                text,
                i,
            )
    if name == "root4":
        out.add("(", i)
        _characters(text, j, k, out)
        out.add(")^(1/4)", k - 1)
    else:
        out.add(f"{name}(", i)
        _characters(text, j, k, out)
        out.add(")", k - 1)
    return k


def _latex(text: str, i: int, end: int, out: _Out) -> int:
    m = re.compile(r"\\([A-Za-z]+|.)").match(text, i, end)
    if not m:
        raise ParseError("a lone backslash", text, i)
    cmd = m.group(1)
    j = m.end()
    if cmd in ("frac", "dfrac", "tfrac"):
        parts = []
        for _ in range(2):
            while j < end and text[j] == " ":
                j += 1
            if j >= end or text[j] != "{":
                raise ParseError(
                    f"\\{cmd} needs two groups: \\{cmd}{{a}}{{b}}", text, i
                )
            k = _group(text, j, end, "{", "}")
            parts.append((j + 1, k - 1))
            j = k
        if text[parts[0][0] : parts[0][1]].strip() == "d":
            var = _D_VAR.fullmatch(text, parts[1][0], parts[1][1])
            if var:  # \frac{d}{dx}(u)
                return _derivative_of_group(text, j, end, var.group(1), i, out)
        out.add("((", i)
        _characters(text, parts[0][0], parts[0][1], out)
        out.add(")/(", parts[1][0] - 1)
        _characters(text, parts[1][0], parts[1][1], out)
        out.add("))", j - 1)
        return j
    if cmd == "sqrt":
        index = None
        if j < end and text[j] == "[":
            k = _group(text, j, end, "[", "]")
            index = (j + 1, k - 1)
            j = k
        if j >= end or text[j] != "{":
            raise ParseError("\\sqrt needs a group: \\sqrt{x}", text, i)
        k = _group(text, j, end, "{", "}")
        if index is None:
            out.add("sqrt(", i)
            _characters(text, j + 1, k - 1, out)
            out.add(")", k - 1)
        else:
            out.add("((", i)
            _characters(text, j + 1, k - 1, out)
            out.add(")^(1/(", index[0])
            _characters(text, index[0], index[1], out)
            out.add(")))", k - 1)
        return k
    if cmd in _LATEX_OPS:
        out.add(_LATEX_OPS[cmd], i)
        return j
    if cmd in _LATEX_SPACE:
        out.add(" ", i)
        return j
    if cmd in _LATEX_NAMES:
        out.add(" " + ("lam" if cmd == "lambda" else cmd) + " ", i)
        return j
    raise ParseError(f"LaTeX command \\{cmd} is not supported here", text, i)


# ---------------------------------------------------------------------------
# Pass 2: tokens (|x|, sin^2 x, sin x, aliases)
# ---------------------------------------------------------------------------

_TOKEN = re.compile(
    r"(?P<num>\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
    r"|(?P<name>[A-Za-z_]\w*|π)"
    r"|(?P<space>\s+)"
    r"|(?P<pow>\*\*|\^)"
    r"|(?P<other>.)",
    re.S,
)


def _scan(text: str):
    return [(m.lastgroup, m.group(), m.start()) for m in _TOKEN.finditer(text)]


def _ends_value(tok) -> bool:
    return tok is not None and (tok[0] in ("num", "name") or tok[1] == ")")


class _Emitter:
    """Copies slices of the pass-1 text (with their columns) or new text."""

    def __init__(self, text: str, cols: list[int], out: _Out):
        self.text, self.cols, self.out = text, cols, out
        self.done = 0  # text[:done] has been emitted or consumed

    def col(self, pos: int) -> int:
        if pos < len(self.cols):
            return self.cols[pos]
        return self.cols[-1] + 1 if self.cols else 0

    def copy_to(self, end: int) -> None:
        for i in range(self.done, end):
            self.out.add(self.text[i], self.col(i))
        self.done = max(self.done, end)

    def new(self, s: str, pos: int) -> None:
        self.out.add(s, self.col(pos))


def _tokens(
    text: str, cols: list[int], source: str, functions: frozenset[str], out: _Out
) -> None:
    sig = [t for t in _scan(text) if t[0] != "space"]
    em = _Emitter(text, cols, out)

    def fail(message: str, pos: int):
        raise ParseError(message, source, em.col(pos))

    bars: list[tuple[int, str]] = []
    called: dict[int, str] = {}  # an opening bar right after a function name
    prev = None
    k = 0
    n = len(sig)
    while k < n:
        kind, s, pos = sig[k]
        nxt = sig[k + 1] if k + 1 < n else None
        if s == "|":
            em.copy_to(pos)
            em.done = pos + 1
            if bars and _ends_value(prev):
                opened, closing = bars.pop()
                if opened in called and nxt is not None and nxt[0] == "pow":
                    # sin|x|^2: sin(|x|)^2 or sin(|x|^2)?
                    inner = em.text[opened : pos + 1]
                    power = em.text[nxt[2] : nxt[2] + len(nxt[1])]
                    after = sig[k + 2] if k + 2 < n else None
                    if after is not None and after[0] in ("num", "name"):
                        power += after[1]
                    else:
                        power += "..."
                    name = called[opened]
                    fail(
                        f"'{name}{inner}{power}' is ambiguous: "
                        f"{name}({inner}){power} or {name}({inner}{power}); "
                        "add the parentheses you mean",
                        opened,
                    )
                em.new(closing, pos)
                prev = ("other", ")", pos)
            else:
                if _ends_value(prev):  # 2|x|: a product
                    em.new("*", pos)
                bars.append((pos, ")"))
                em.new("abs(", pos)
                prev = ("other", "(", pos)
            k += 1
            continue
        if kind == "name" and s in functions and nxt is not None and nxt[1] == "|":
            # ln|x|: the function of |x|
            em.copy_to(pos + len(s))
            em.done = nxt[2] + 1
            em.new("(abs(", nxt[2])
            bars.append((nxt[2], "))"))
            called[nxt[2]] = s
            prev = ("other", "(", nxt[2])
            k += 2
            continue
        if kind == "name" and s in functions and nxt is not None and nxt[1] != "(":
            em.copy_to(pos)
            k = _bare_function(sig, k, s, em, fail, functions)
            prev = ("other", ")", pos)
            continue
        if (
            kind == "name"
            and s in ("e", "E")
            and prev is not None
            and prev[0] == "num"
            and prev[2] + len(prev[1]) == pos
        ):
            after = nxt[1] if nxt is not None else ""
            if after not in ("^", "**", "("):
                fail(
                    f"'{prev[1]}{s}' is ambiguous: an unfinished exponent "
                    f"({prev[1]}e3 is {prev[1]}·10³) or {prev[1]}·e; write "
                    f"{prev[1]}*e or a full number",
                    prev[2],
                )
        em.copy_to(pos + len(s))
        prev = (kind, s, pos)
        k += 1
    em.copy_to(len(text))
    if bars:
        fail("'|' is not closed: write |x| for the absolute value", bars[-1][0])


def _bare_function(sig, k: int, name: str, em: _Emitter, fail, functions) -> int:
    """sin^2(x), sin^2 x, sin x, ln x: returns the index after the call."""
    n = len(sig)
    pos = sig[k][2]
    end_of_name = pos + len(sig[k][1])

    def plain() -> int:
        em.copy_to(end_of_name)
        return k + 1

    j = k + 1
    power = None
    if sig[j][0] == "pow":
        # sin^2(x) = (sin x)^2; sin^-1(x) has two readings
        p = j + 1
        if p < n and sig[p][1] == "-":
            fail(
                f"'{name}^-1' is ambiguous: the inverse function a{name} or "
                f"1/{name}; write a{name}(x) or 1/{name}(x)",
                sig[j][2],
            )
        if p < n and sig[p][1] == "(" and p + 2 < n and sig[p + 2][1] == ")":
            exp_tok, after = sig[p + 1], p + 3
        else:
            exp_tok, after = (sig[p], p + 1) if p < n else (None, p)
        if exp_tok is None or exp_tok[0] != "num":
            return plain()
        if exp_tok[1] == "-1" or float(exp_tok[1]) < 0:
            fail(f"'{name}^{exp_tok[1]}' is ambiguous", sig[j][2])
        power = exp_tok[1]
        j = after
        if j >= n:
            fail(f"'{name}^{power}' needs an argument: {name}^{power}(x)", pos)
    if sig[j][1] == "(":
        if not power:
            return plain()
        depth, m = 0, j
        while m < n:
            if sig[m][1] == "(":
                depth += 1
            elif sig[m][1] == ")":
                depth -= 1
                if depth == 0:
                    break
            m += 1
        if m >= n:
            fail("unbalanced parentheses", sig[j][2])
        em.done = sig[j][2]
        em.new("(" + name, pos)
        em.copy_to(sig[m][2] + 1)
        em.new(f")^{power}", sig[m][2])
        return m + 1
    arg = sig[j]
    if arg[0] not in ("name", "num") or arg[1] in functions:
        if power:
            fail(f"'{name}^{power}' needs an argument: {name}^{power}(x)", pos)
        return plain()
    follow = sig[j + 1] if j + 1 < n else None
    if follow is not None and (
        follow[0] in ("pow", "num")
        or follow[1] in ("(", ".")
        or (follow[0] == "name" and follow[1] not in functions)
    ):
        stop = follow[2] + len(follow[1])
        if follow[0] == "pow" and j + 2 < n:
            stop = sig[j + 2][2] + len(sig[j + 2][1])
        rest = em.text[follow[2] : stop]
        gap = em.text[arg[2] + len(arg[1]) : follow[2]]
        joined = f"{arg[1]}{gap}{rest}"
        other = (
            f"({name} {arg[1]}){rest}"
            if follow[0] == "pow"
            else f"{name}({arg[1]})·{rest}"
        )
        fail(
            f"'{name} {joined}' is ambiguous: {name}({joined}) or {other}; add the "
            "parentheses you mean",
            arg[2],
        )
    em.done = arg[2] + len(arg[1])
    prefix = "(" if power else ""
    em.new(prefix + name + "(", pos)
    em.new(arg[1], arg[2])
    em.new(")" + (f")^{power}" if power else ""), arg[2] + len(arg[1]) - 1)
    return j + 1
