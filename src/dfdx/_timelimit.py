"""A time limit for SymPy work that can run away (limits, simplify).

Only in the main thread on POSIX systems (it uses SIGALRM); elsewhere the block
runs without a limit. Nested limits: only the outermost one is armed.
"""

from __future__ import annotations

from .errors import DfdxError

__all__ = ["time_limit", "TimeUp"]


class TimeUp(BaseException):
    """Raised inside SymPy when a limit runs too long (not an Exception, so
    SymPy's own ``except Exception`` cannot swallow it)."""


class time_limit:
    """Stop the block after `seconds` with a DfdxError (main thread, POSIX)."""

    def __init__(self, seconds: float, what: str):
        self.seconds, self.what = seconds, what
        self.armed = False

    def __enter__(self):
        import signal
        import threading

        if (
            hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        ):

            def handler(signum, frame):
                raise TimeUp

            self.old = signal.signal(signal.SIGALRM, handler)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.armed = True
        return self

    def __exit__(self, kind, exc, tb):
        import signal

        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)
        if kind is TimeUp and self.armed:  # an outer limit's TimeUp passes through
            raise DfdxError(
                f"cannot {self.what} within {self.seconds:g} s "
                "(SymPy is too slow on this expression)"
            ) from None
        return False
