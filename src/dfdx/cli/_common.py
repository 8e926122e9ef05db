"""What the command modules share: argument helpers, numbers and points
from the command line, JSON output, the usage error. The package's
``__init__`` builds the parser from the command modules; they import only
this module, so imports go one way (package -> commands -> _common)."""

from __future__ import annotations

import argparse
import json
import math


class UsageError(Exception):
    """Bad command-line input (exit code 2)."""


def add_command(sub, name: str, *, help: str, examples: str, parents=(), **kw):
    """Add a subcommand whose --help ends with `examples`."""
    return sub.add_parser(
        name,
        help=help,
        description=help[0].upper() + help[1:] + ".",
        epilog="examples:\n" + examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=list(parents),
        **kw,
    )


def add_lang(p, what: str = "the output") -> None:
    """The --lang option (en, zh), choices from dfdx.core.i18n.LANGS."""
    from dfdx.core.i18n import LANGS

    p.add_argument(
        "--lang", choices=LANGS, default="en", help=f"language of {what} (default en)"
    )


def parse_float(text: str) -> float:
    """argparse type: a finite float, or a constant expression such as ``pi/2``
    (parsed safely), with a clear message otherwise."""
    try:
        value = float(text)
    except ValueError:
        value = _constant(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be finite: {text!r}")
    if value == 0 and any(c in "123456789" for c in text.lower().split("e")[0]):
        raise argparse.ArgumentTypeError(
            f"too small: {text!r} rounds to 0 in floating point"
        )
    return value


def _constant(text: str) -> float:
    from dfdx.errors import DfdxError
    from dfdx.text.expr import parse

    try:
        e = parse(text)
        if e.variables:
            raise DfdxError("has variables")
        return float(e.sympy.evalf())
    except (DfdxError, TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def parse_point(text: str) -> dict[str, float]:
    """argparse type: ``x1=1,x2=2`` -> {'x1': 1.0, 'x2': 2.0}."""
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise argparse.ArgumentTypeError(
                f"expected NAME=VALUE pairs separated by commas, got {part!r}"
            )
        if name in out:
            raise argparse.ArgumentTypeError(f"{name} is given twice in {text!r}")
        out[name] = parse_float(value.strip())
    if not out:
        raise argparse.ArgumentTypeError("expected NAME=VALUE pairs, got nothing")
    return out


def print_json(data) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=_json_default))


def _json_default(obj):
    try:
        import numpy as np

        if isinstance(obj, np.ndarray):
            return obj.tolist()
        if isinstance(obj, np.generic):
            return obj.item()
    except ImportError:  # pragma: no cover
        pass
    return str(obj)
