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

from .errors import DfdxError

__all__ = ["atomic_write"]

# the permissions a plain open() would give a new file
_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write(path, write: Callable[[IO[bytes]], object]) -> Path:
    """Call ``write(fh)`` with a binary file, then put the file at `path`.

    Raises :class:`DfdxError` naming the path when the folder is missing or
    writing fails; no partial file is ever left at `path` or beside it.
    """
    target = Path(os.fspath(path))
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise DfdxError(f"output folder does not exist: {str(folder)!r}")
    if target.is_dir():
        raise DfdxError(f"output is a folder, not a file: {str(target)!r}")
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
