"""Writing benchmark tables into benchmarks/RESULTS.md: one section per
script between its own markers, written only with --write, atomically."""

from __future__ import annotations

import sys
from pathlib import Path

from dfdx._files import atomic_write

RESULTS = Path(__file__).resolve().with_name("RESULTS.md")


def write_text(text: str, path: Path = RESULTS) -> None:
    """Write `text` to `path` when the script was run with --write (atomic:
    a temporary file renamed into place); otherwise say it was only printed."""
    if "--write" in sys.argv[1:]:
        atomic_write(path, lambda fh: fh.write(text.encode("utf-8")))
        print(f"wrote {path.name}")
    else:
        print(f"(printed only; run with --write to update {path.name})")


def write_section(section: str, start: str, end: str, path: Path = RESULTS) -> None:
    """Put `section` (which begins with `start` and ends with `end`) in place
    of the text between those markers in `path`, or append it."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    write_text(text, path)
