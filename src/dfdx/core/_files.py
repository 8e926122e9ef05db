"""Atomic file writes: every file dfdx writes goes to a temporary file in the
target folder, is flushed to disk, then renamed over the target. On any failure
(a full disk, a figure matplotlib cannot finish) the temporary file is removed
and an existing file at the target is left exactly as it was."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from dfdx.errors import DfdxError

__all__ = ["atomic_write", "output_path"]

# the permissions a plain open() would give a new file
_UMASK = os.umask(0)
os.umask(_UMASK)


def output_path(path, suffixes: tuple[str, ...] = (), what: str = "output") -> Path:
    """`path` (str, bytes or os.PathLike) as the Path of a file dfdx will
    write, checked before any work is done: a file name (not a folder) in a
    folder that exists, ending in one of `suffixes` (any case) when given.
    Otherwise a :class:`DfdxError` naming `what` and the problem; every
    writer (figures, animations, pages, modules) checks its path here."""
    try:
        raw = os.fspath(path)
    except TypeError:
        raise DfdxError(
            f"{what} must be a file name (a str or path), got {type(path).__name__}"
        ) from None
    text = os.fsdecode(raw)
    if not text:
        raise DfdxError(f"{what} must be a file name, got an empty string")
    target = Path(text)
    if suffixes and target.suffix.lower() not in suffixes:
        raise DfdxError(f"{what} must end in {', '.join(suffixes)}; got {text!r}")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise DfdxError(f"output folder does not exist: {str(folder)!r}")
    if target.is_dir():
        raise DfdxError(f"output is a folder, not a file: {str(target)!r}")
    return target


def atomic_write(path, write: Callable[[IO[bytes]], object]) -> Path:
    """Call ``write(fh)`` with a binary file, then put the file at `path`.

    Raises :class:`DfdxError` naming the path when it is not a file name, the
    folder is missing or writing fails; no partial file is ever left at
    `path` or beside it.
    """
    target = output_path(path)
    if target.is_symlink():
        # write through the link: the link stays, the file it names is
        # replaced (renaming over the link would turn it into a plain file)
        target = Path(os.path.realpath(target))
        output_path(target)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise DfdxError(
            f"cannot write {str(target)!r}: {exc.strerror or exc}"
        ) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        mode = (target.stat().st_mode & 0o777) if target.exists() else 0o666 & ~_UMASK
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise DfdxError(
                f"cannot write {str(target)!r}: {exc.strerror or exc}"
            ) from None
        if isinstance(exc, Exception) and not isinstance(exc, DfdxError):
            # e.g. zlib.error or AttributeError from a writer that ran out of room
            raise DfdxError(
                f"cannot write {str(target)!r}: {type(exc).__name__}: {exc}"
            ) from None
        raise
    return target
