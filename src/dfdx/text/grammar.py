"""Expression text as tokens: the limits on input, ``^`` read as ``**``,
implicit products (``3x^2``, ``2(x+1)``, ``x y``), glued names (``xsin(x)``)
and the ambiguous ones refused, keeping the columns of the text typed (for
messages that point at it)."""

from __future__ import annotations

import ast
import functools
import io
import keyword
import re
import tokenize

from dfdx.errors import ParseError
from dfdx.text.functions import _FUNCTION_TABLE, CONSTANTS

#: Longest expression text accepted, in characters.
MAX_LENGTH = 20_000
#: Deepest nesting of parentheses and operators accepted.
MAX_DEPTH = 60
#: Largest absolute integer exponent accepted on a symbolic base.
MAX_EXPONENT = 1000
#: Most arguments accepted by the functions of many arguments: SymPy's work on
#: max/min grows about 2**n (a gradient of max of 16 arguments took 11 s);
#: norm and logsumexp of 128 arguments take about 1.5 s.
MAX_ARGUMENTS = {"max": 12, "min": 12, "norm": 128, "logsumexp": 128}
#: Largest number of bits a constant integer power may produce.
_MAX_POWER_BITS = 4096


# ---------------------------------------------------------------------------
# Tokens: '^' -> '**' and implicit multiplication, keeping original columns.
# ---------------------------------------------------------------------------

_VALUE_END = {tokenize.NUMBER, tokenize.NAME}

# Mathematical characters with one meaning: read as their ASCII operator (one
# character each, so columns stay the same).
_UNICODE_SAME = str.maketrans(
    {
        "\u2212": "-",
        "\u00d7": "*",
        "\u00b7": "*",
        "\u22c5": "*",
        "\u2219": "*",
        "\u00f7": "/",
    }
)
# Characters that need rewriting by the user: what to write instead.
_UNICODE_HINTS = {
    "\u221e": "infinity is not a number here",
}


def _rewrite(
    text: str, functions: set[str] | None, notes: list[str] | None = None
) -> tuple[str, list[int], list[int]]:
    """Rewrite `text` into Python syntax (conventions applied go to `notes`).

    Returns the new source and two parallel sorted lists mapping offsets in the
    new source back to columns in `text`.
    """
    for pos, ch in enumerate(text):
        if ch in _UNICODE_HINTS:
            raise ParseError(
                f"character {ch!r} is not allowed; {_UNICODE_HINTS[ch]}", text, pos
            )
    text = text.translate(_UNICODE_SAME)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError) as exc:
        msg = str(exc.args[0]) if exc.args else "cannot read the text"
        col = None
        if len(exc.args) > 1 and isinstance(exc.args[1], tuple):
            col = max(exc.args[1][1] - 1, 0)
        if "EOF" in msg or "multi-line" in msg:
            msg = "unbalanced parentheses or unterminated string"
            col = None
        raise ParseError(msg, text, col) from None

    tokens = _unglue(tokens, notes)
    _refuse_ambiguous(tokens, text)
    # names used as plain variables somewhere (not directly before '('): only
    # those make 'x(x+1)' a product; 'f(x)' with f nowhere else is an unknown
    # function, not f*x
    significant = [t for t in tokens if t.type in (tokenize.NAME, tokenize.OP)]
    plain = {
        t.string
        for t, nxt in zip(significant, [*significant[1:], None])
        if t.type == tokenize.NAME and not (nxt is not None and nxt.string == "(")
    }
    out: list[str] = []
    new_offsets: list[int] = []
    old_cols: list[int] = []
    pos = 0
    prev = None  # previous significant token
    depth = 0
    for tok in tokens:
        if tok.type in (
            tokenize.NEWLINE,
            tokenize.NL,
            tokenize.ENDMARKER,
            tokenize.INDENT,
            tokenize.DEDENT,
            tokenize.COMMENT,
        ):
            if tok.type == tokenize.COMMENT:
                raise ParseError("comments ('#') are not allowed", text, tok.start[1])
            continue
        if tok.start[0] != 1:
            raise ParseError("expression must be on one line", text, None)
        string = tok.string
        if tok.type == tokenize.NUMBER and string[:2].lower() in ("0x", "0o", "0b"):
            raise ParseError(
                f"hexadecimal, octal and binary numbers ({string!r}) are not "
                "allowed; write decimal numbers (and 0*x10 for a product)",
                text,
                tok.start[1],
            )
        if tok.type == tokenize.OP and string == "^":
            string = "**"
        if tok.type == tokenize.OP and string in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ParseError(
                    f"nested too deeply (more than {MAX_DEPTH} levels)",
                    text,
                    tok.start[1],
                )
        elif tok.type == tokenize.OP and string in ")]}":
            depth -= 1
        if (
            prev is not None
            and tok.type == tokenize.NUMBER
            and (_is_value_name(prev) or prev.type == tokenize.NUMBER)
        ):
            raise ParseError(
                f"'{prev.string} {tok.string}': a number after "
                f"{'a name' if prev.type == tokenize.NAME else 'a number'} needs "
                f"'*' (write {prev.string}*{tok.string})",
                text,
                tok.start[1],
            )
        if prev is not None and _implicit_product(prev, tok, functions, plain):
            out.append("*")
            new_offsets.append(pos)
            old_cols.append(tok.start[1])
            pos += 1
        out.append(string + " ")
        new_offsets.append(pos)
        old_cols.append(tok.start[1])
        pos += len(string) + 1
        prev = tok
    return "".join(out), new_offsets, old_cols


#: Names never split into products of letters.
GREEK = frozenset(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lam lamda mu nu "
    "xi omicron rho sigma tau upsilon phi chi psi omega".split()
)
_PIECE = re.compile(r"pi(?![0-9])|[A-Za-z]\d*|\u03c0")
_PIECES = re.compile(r"(?:[A-Za-z]\d*|\u03c0)+")
_SHORT = re.compile(r"[A-Za-z]\d*")
_LOG_BASE = re.compile(r"(log|ln)_?\{?(\d+)\}?")


_NO_TOKEN = tokenize.TokenInfo(tokenize.ENDMARKER, "", (1, -9), (1, -9), "")


def _unglue(tokens, notes: list[str] | None):
    """Split names that are products written without '*' (2xy, ax, πx, xe).

    * π glued to anything is the constant times the rest (``2πx``);
    * a run of letters whose pieces are all variables used on their own
      elsewhere (or the constants e, π) is their product: ``x^2 + 2xy + y^2``;
    * by convention, in an expression whose other variables are single letters,
      a run of two or three letters is a product (``ax^2 + bx + c``);
    otherwise a name stays one variable (``loss``, ``theta``, ``w1``). Every
    split is reported in `notes` (never silent). Function names, constants and
    Greek letters are never split, nor a name followed by '('. In input that
    writes every product with '*' (``3 * xd + x * y``), names are names.
    """
    names = [t for t in tokens if t.type == tokenize.NAME]
    if not names:
        return tokens
    explicit = _explicit_products(tokens)
    known = set(_FUNCTION_TABLE) | set(CONSTANTS) | GREEK | set(keyword.kwlist)
    sig = [t for t in tokens if t.type != tokenize.NL]
    following = {id(t): nxt for t, nxt in zip(sig, [*sig[1:], _NO_TOKEN])}
    standalone = {
        t.string
        for t in names
        if _SHORT.fullmatch(t.string) and following[id(t)].string != "("
    }
    others = {t.string for t in names if t.string not in known}
    # short runs of single letters (ax, xy, abc): products by convention
    runs = {
        o
        for o in others
        if re.fullmatch(r"[A-Za-z]{2,3}", o) and not _glued_function(o)
    }
    out = []
    prev = _NO_TOKEN
    for t in tokens:
        before, prev = prev, t
        name = t.string
        nxt = following.get(id(t), _NO_TOKEN)
        if (
            t.type != tokenize.NAME
            or name in known
            or nxt.string == "("
            or not _PIECES.fullmatch(name)
            or _SHORT.fullmatch(name)
            or _glued_function(name)
        ):
            out.append(t)
            continue
        pieces = _PIECE.findall(name)
        if len(pieces) < 2:
            out.append(t)
            continue
        obvious = ("\u03c0" in pieces and len(pieces) > 1) or all(
            p in standalone or p in CONSTANTS for p in pieces
        )
        single = all(_SHORT.fullmatch(o) or o in runs for o in others - {name})
        after_number = before.type == tokenize.NUMBER and before.end == t.start
        short = len(pieces) <= 3 and (
            any(ch.isdigit() for ch in name) or len(name.replace("\u03c0", "")) <= 3
        )
        convention = short and (
            ((after_number or single) and len(others) > 1)
            or (after_number and name in runs)
        )
        if not (obvious or convention):
            out.append(t)
            continue
        if explicit:  # said, as a split would be: the other reading is close
            if notes is not None:
                note = (
                    f"kept {name!r} as one name (every product here is written "
                    f"with '*'); write {'*'.join(pieces)} for the product"
                )
                if note not in notes:
                    notes.append(note)
            out.append(t)
            continue
        if notes is not None:
            reading = "·".join(pieces)
            if "\u03c0" in pieces or "pi" in pieces:
                why = "\u03c0 is the constant pi"
            elif obvious:
                why = "the letters are variables used elsewhere"
            elif after_number:
                why = "a number followed by letters is a product"
            else:
                why = "the other variables are single letters"
            note = (
                f"read {name!r} as the product {reading} ({why}; write "
                f"{'*'.join(pieces)} to be explicit)"
            )
            if note not in notes:
                notes.append(note)
        col = t.start[1]
        for k, p in enumerate(pieces):
            if k:
                out.append(
                    tokenize.TokenInfo(tokenize.OP, "*", (1, col), (1, col), t.line)
                )
            out.append(
                tokenize.TokenInfo(
                    tokenize.NAME, p, (1, col), (1, col + len(p)), t.line
                )
            )
            col += len(p)
    return out


def _explicit_products(tokens) -> bool:
    """Whether the input writes products with '*' and never by juxtaposition
    (programmer style: ``4 * x**2 + 3 * xd``), so a run of letters is a name."""
    sig = [
        t
        for t in tokens
        if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER)
    ]
    if not any(t.type == tokenize.OP and t.string == "*" for t in sig):
        return False
    for a, b in zip(sig, sig[1:]):
        ends = (
            a.type == tokenize.NUMBER
            or (a.type == tokenize.NAME and not keyword.iskeyword(a.string))
            or a.string in (")", "|")
        )
        starts = b.type in (tokenize.NUMBER, tokenize.NAME) or b.string in ("(", "|")
        if not (ends and starts):
            continue
        if a.type == tokenize.NAME and b.string == "(":
            continue  # a call
        if "|" in (a.string, b.string) and not (a.type, b.type) == (
            tokenize.NUMBER,
            tokenize.NAME,
        ):
            continue  # |x| bars: which bar opens is not known here
        return False
    return True


def _glued_function(name: str) -> bool:
    """'sinx', 'logx1': a function name glued to its argument (refused later
    with a hint, never split into letters)."""
    glued = _GLUED_CALL.fullmatch(name)
    return glued is not None and glued.group(1) in _FUNCTION_TABLE


def _refuse_ambiguous(tokens, text: str) -> None:
    """Refuse notation with two common readings, showing both."""
    sig = [
        t
        for t in tokens
        if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER)
    ]
    for i, t in enumerate(sig):
        nxt = sig[i + 1] if i + 1 < len(sig) else _NO_TOKEN
        prev = sig[i - 1] if i else _NO_TOKEN
        glued = nxt.start == t.end
        log_base = _LOG_BASE.fullmatch(t.string)
        if (
            t.type == tokenize.NAME
            and log_base
            and not (glued and nxt.string == "(" and log_base.group(1) == "log")
        ):
            base = log_base.group(2)
            raise ParseError(
                f"{t.string!r} is not a function here; for the base-{base} "
                f"logarithm write log(x, {base})",
                text,
                t.start[1],
            )
        if (
            t.type == tokenize.NUMBER
            and re.search(r"[eE]", t.string)
            and not t.string.lower().startswith(("0x", "0b", "0o"))
            and glued
            and (nxt.type == tokenize.NAME or nxt.string == "(")
        ):
            mant, _, exp = t.string.lower().partition("e")
            op = "-" if exp.startswith("-") else "+"
            other = f"{mant}*e {op} {exp.lstrip('+-')}*{nxt.string}"
            raise ParseError(
                f"'{t.string}{nxt.string}' is ambiguous: {t.string}*{nxt.string} "
                f"(scientific notation) or {other}; write the one you mean",
                text,
                t.start[1],
            )
        if (
            t.type == tokenize.NUMBER
            and prev is not _NO_TOKEN
            and prev.string == "/"
            and nxt is not _NO_TOKEN
            and (nxt.type == tokenize.NAME or nxt.string == "(")
            and not keyword.iskeyword(nxt.string)
        ):
            num = sig[i - 2].string if i >= 2 else "a"
            rest = "(...)" if nxt.string == "(" else nxt.string
            raise ParseError(
                f"'{num}/{t.string}{rest}' is ambiguous: ({num}/{t.string})"
                f"\u00b7{rest} or {num}/({t.string}{rest}); add the "
                "parentheses you mean",
                text,
                t.start[1],
            )
        if t.type == tokenize.OP and t.string in ("^", "**") and nxt is not _NO_TOKEN:
            j = i + 1
            sign = ""
            if sig[j].string in ("-", "+") and j + 1 < len(sig):
                sign = sig[j].string if sig[j].string == "-" else ""
                j += 1
            if (
                prev.string == "e"
                and sig[j].type == tokenize.NUMBER
                and j + 1 < len(sig)
                and sig[j + 1].type == tokenize.NAME
                and sig[j + 1].start == sig[j].end
            ):
                k, v = sig[j].string, sig[j + 1].string
                raise ParseError(
                    f"'e^{sign}{k}{v}' is ambiguous: e^({sign}{k}{v}) or "
                    f"e^{sign}{k}\u00b7{v}; write exp({sign}{k}{v}) or e^{sign}{k}*{v}",
                    text,
                    t.start[1],
                )
            if (
                sig[j].type == tokenize.NUMBER
                and sig[j].string == "1"
                and j + 2 < len(sig)
                and sig[j + 1].string == "/"
                and sig[j + 2].type == tokenize.NUMBER
            ):
                den = sig[j + 2].string
                base = prev.string or "x"
                raise ParseError(
                    f"'{base}^{sign}1/{den}' reads as ({base}^{sign}1)/{den}, "
                    f"not {base}^({sign}1/{den}); add the parentheses you mean",
                    text,
                    t.start[1],
                )


def _is_value_name(tok) -> bool:
    return tok.type == tokenize.NAME and not keyword.iskeyword(tok.string)


def _implicit_product(
    prev,
    tok,
    functions: set[str] | None,
    plain: set[str] | frozenset[str] = frozenset(),
) -> bool:
    """Whether a '*' is implied between two adjacent tokens."""
    prev_ends_value = (
        prev.type == tokenize.NUMBER
        or _is_value_name(prev)
        or (prev.type == tokenize.OP and prev.string == ")")
    )
    if not prev_ends_value:
        return False
    if tok.type == tokenize.NUMBER:
        # '2 3' is an error, not 6; 'x 2' is an error too (write 2x or x*2)
        return prev.type == tokenize.OP
    if _is_value_name(tok):
        return True
    if tok.type == tokenize.OP and tok.string == "(":
        # '2(' and ')(' are products; 'sin(' is a call; a short variable-like
        # name ('x(', 'x1(') is a product unless undefined functions are on
        if prev.type != tokenize.NAME:
            return True
        if functions is None:  # undefined functions allowed: every name( is a call
            return False
        if prev.string in functions or prev.string in CONSTANTS:
            return prev.string in CONSTANTS
        return (
            _VARIABLE_LIKE.fullmatch(prev.string) is not None and prev.string in plain
        )
    return False


_VARIABLE_LIKE = re.compile(r"[A-Za-z]_?\d*")
# 'sinx', 'logx1', 'expz': a function name glued to x, y or z (names such as
# 'cost' stay variables)
_GLUED_CALL = re.compile(r"([a-z]+?)([xyz]_?\d*)")
# a function name after a coefficient, before a one-letter variable: 2x, 3t
_CALL_TAIL = re.compile(r"(\d+(?:\.\d+)?)?([a-z])")


@functools.lru_cache(maxsize=4)
def _longest_first(size: int) -> tuple[str, ...]:
    """The function names, longest first (sorted once, not per name read;
    `size` is the table's, so a table that grew is sorted again)."""
    return tuple(sorted(_FUNCTION_TABLE, key=len, reverse=True))


@functools.lru_cache(maxsize=4)
def _two_letter_starts(size: int) -> frozenset:
    """The first two letters of every function name of two or more letters
    (`size` as for _longest_first)."""
    return frozenset(fn[:2] for fn in _FUNCTION_TABLE if len(fn) >= 2)


def _hidden_call(name: str) -> tuple[str, str, str, str] | None:
    """(factor, function, coefficient, variable) where `name` is a function
    glued to its argument with a coefficient (sin2x, cos3t), or after a
    one-letter factor (xsinx, xcos2x); else None. (sinx alone is
    _GLUED_CALL's; cost stays a variable.)"""
    size = len(_FUNCTION_TABLE)
    starts = _two_letter_starts(size)
    for pre in ("", name[:1]):
        rest = name[len(pre) :]
        if rest[:2] not in starts:  # no function name begins here (w12_3)
            continue
        for fn in _longest_first(size):
            if len(fn) < 2 or not rest.startswith(fn):
                continue
            tail = _CALL_TAIL.fullmatch(rest[len(fn) :])
            if tail and (tail.group(1) or pre):
                return pre, fn, tail.group(1) or "", tail.group(2)
    return None


_CHAIN_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div)
