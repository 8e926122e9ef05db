"""Exceptions raised by dfdx.

Every error that bad user input can cause is a subclass of :class:`DfdxError`
(itself a :class:`ValueError`), so callers can catch one type and the CLI can turn
it into a one-line message with exit code 2.
"""

from __future__ import annotations

__all__ = [
    "DfdxError",
    "ParseError",
    "NotDifferentiableError",
    "UndefinedError",
    "NotationWarning",
]


class NotationWarning(UserWarning):
    """Input read by a stated convention (``2xy`` as 2·x·y): the message says
    how it was read. The same text is in ``Expression.notes``."""


class DfdxError(ValueError):
    """Base class for errors caused by the input given to dfdx."""


class ParseError(DfdxError):
    """Expression text that dfdx refuses to parse.

    Attributes
    ----------
    message : str
        What is wrong, without the position.
    text : str
        The text that was parsed.
    column : int or None
        0-based column of the offending construct in `text`, if known.
    """

    def __init__(self, message: str, text: str = "", column: int | None = None):
        self.message = message
        self.text = text
        self.column = column
        where = f" at column {column + 1}" if column is not None else ""
        super().__init__(f"{message}{where}")

    @property
    def caret(self) -> str:
        """The text with a caret under the offending column (two lines)."""
        if self.column is None or not self.text or len(self.text) > 200:
            return self.text[:200]
        return f"{self.text}\n{' ' * self.column}^"

    def __str__(self) -> str:  # one line, so the CLI can print it as is
        return self.args[0]


class UndefinedError(DfdxError):
    """A function that is undefined at the point asked about (e.g. 1/x at 0)."""


class NotDifferentiableError(DfdxError):
    """A function that is defined but has no derivative at the point asked about.

    Attributes
    ----------
    left, right : sympy expression or float or None
        The one-sided derivatives, when they exist.
    """

    def __init__(self, message: str, left=None, right=None):
        self.left = left
        self.right = right
        super().__init__(message)
