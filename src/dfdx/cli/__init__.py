"""The ``dfdx`` command line.

``dfdx`` with no arguments walks the chapter's example. Each group of
subcommands lives in its own module of this package and registers itself
through a ``register(subparsers, common)`` function; handlers import what they
need when they run, so ``dfdx --help`` stays fast.

Errors in the input are reported as one line, ``dfdx: error: ...``, on stderr
with exit code 2 and no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Sequence

from dfdx.cli._common import UsageError

# modules (in this package) that each define register(subparsers, common)
_COMMAND_MODULES = ("chapter", "multivar", "steps", "learner", "save")

_EPILOG = """\
examples:
  dfdx                                   walk the chapter's example (3x^2 - 4x at x = 1)
  dfdx limit "3x^2 - 4x" --at 1          difference quotients as h shrinks
  dfdx lim "sin(x)/x" --at 0              the limit itself, with steps
  dfdx diff "x^3 - 1/x" --at 1           exact derivative and its value
  dfdx check "sin(x^2)" "cos(x^2)"       check your derivative, name the slip
  dfdx tangent "x^3 - 1/x" --at 1        tangent line y = 4x - 4
  dfdx plot "x^3 - 1/x" --tangent-at 1 --xlim 0 3 -o g.svg
  dfdx animate "x^2" --at 1 -o secants.gif   the secant turning into the tangent
  dfdx explore "x^3 - 2x" --at 1 -o page.html  move x0 and h in a browser page
  dfdx diff "x^x" --steps --lang zh      the rules, step by step (English or 中文)
  dfdx grad "3x1^2 + 5exp(x2)" --at x1=1,x2=0
  dfdx chain "u = x*y + z^2; x = a + b; y = a*b; z = a - b" --wrt a
  dfdx graph "(sigmoid(w*x + b) - t)^2" --at w=0.5,x=2,b=-0.5,t=1 -o graph.svg
  dfdx exercises 6 --lang zh             the chapter's exercises, solved and checked

expressions: ^ or ** for powers, implicit products (3x, 2(x+1)), functions such
as sin cos tan exp log ln sqrt abs tanh sigmoid relu softplus max min.
"""


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # '-1e-3' and '-2e0' are numbers, not options (argparse only knows -1, -.5)
        self._negative_number_matcher = re.compile(
            r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"
        )

    def error(self, message: str):  # one line, exit code 2
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    from dfdx import __version__

    parser = _Parser(
        prog="dfdx",
        description="Calculus for deep learning: limits, derivatives, tangents, "
        "gradients and backpropagation. With no command, walks the chapter's example.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"dfdx {__version__}")
    parser.add_argument(
        "--lang",
        dest="walk_lang",
        choices=("en", "zh"),
        default="en",
        help="language of the walk-through and its figures (default en)",
    )
    parser.add_argument(
        "--outdir",
        default=".",
        help="where the walk-through writes its figures (default: current folder)",
    )
    common = _Parser(add_help=False)
    common.add_argument(
        "--json", action="store_true", help="print the result as JSON for scripts"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in _COMMAND_MODULES:
        importlib.import_module(f".{name}", __name__).register(sub, common)
    for p in (parser, *sub.choices.values()):
        _negatives_are_values(p)
    return parser


# text after a single '-' (not a known option: argparse matches those first)
# is a value: "-sin(x)", "-x^2", "-1/x^2", "-x" are expressions and answers
_VALUE_WITH_MINUS = re.compile(r"^-(?!-).+")


def _negatives_are_values(p: argparse.ArgumentParser) -> None:
    """Let positional expressions start with '-' (the derivative of cos x is
    the first negative answer a learner types). argparse reads an argument
    that starts with '-' and is not a known option as a value when it matches
    its negative-number pattern and the parser has no option that looks like
    a negative number: widen the pattern once all options are added, so the
    short options (-n, -o) do not count as such."""
    p._negative_number_matcher = _VALUE_WITH_MINUS
    p._has_negative_number_optionals.clear()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    import warnings

    from dfdx.errors import DfdxError

    argv = list(sys.argv[1:] if argv is None else argv)
    for stream in (sys.stdout, sys.stderr):  # never fail on printing a character
        try:
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError):  # pragma: no cover - not a text file
            pass
    try:
        for arg in argv:
            if any("\ud800" <= ch <= "\udfff" for ch in arg):
                raise UsageError(
                    f"argument {arg!r} contains bytes that are not valid UTF-8"
                )
        parser = build_parser()
        argv = _attach_negative_values(argv, parser)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            args = parser.parse_args(argv)
            handler = getattr(args, "handler", None)
            if handler is None:
                from dfdx.cli.chapter import walk

                code = walk(args)
            else:
                code = handler(args) or 0
        _print_notes(caught)
        return code
    except BrokenPipeError:  # e.g. `dfdx | head`: the reader went away
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except UsageError as exc:
        print(f"dfdx: error: {exc}", file=sys.stderr)
        return 2
    except (DfdxError, OSError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"dfdx: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        print("dfdx: interrupted", file=sys.stderr)
        return 130
    except (Exception, RecursionError, MemoryError) as exc:  # a bug: still one line
        print(
            f"dfdx: error: internal error ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200] if str(exc) else ''}); please report it",
            file=sys.stderr,
        )
        return 2


def _print_notes(caught) -> None:
    """Conventions applied while reading the input, and a figure's missing
    CJK font (its Chinese text is drawn as boxes): one line each on stderr."""
    from dfdx.core._fonts import NoCJKFontWarning
    from dfdx.errors import NotationWarning

    seen = set()
    for w in caught:
        text = str(w.message)
        if text in seen:
            continue
        if issubclass(w.category, NotationWarning):
            seen.add(text)
            print(f"dfdx: note: {text}", file=sys.stderr)
        elif issubclass(w.category, NoCJKFontWarning):
            seen.add(text)
            print(f"dfdx: warning: {text}", file=sys.stderr)


def _attach_negative_values(argv: list[str], parser) -> list[str]:
    """``--at -inf`` and ``--at -pi/2``: argparse takes a value that starts
    with '-' and is not a plain number for an option; write it ``--at=-inf``."""
    options = set()
    stack = [parser]
    while stack:
        p = stack.pop()
        for action in p._actions:
            if action.nargs is None:  # options that take exactly one value
                options.update(action.option_strings)
            if isinstance(action, argparse._SubParsersAction):
                stack.extend(action.choices.values())
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        if (
            arg.startswith("--")
            and "=" not in arg
            and arg in options
            and nxt is not None
            and nxt.startswith("-")
            and not nxt.startswith("--")
            and nxt not in options
            and not re.fullmatch(r"-\d+|-\d*\.\d+", nxt)  # argparse takes these
        ):
            out.append(f"{arg}={nxt}")
            i += 2
            continue
        out.append(arg)
        i += 1
    return out
