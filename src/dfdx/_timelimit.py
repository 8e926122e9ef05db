"""Time limits that hold in any thread, in a notebook and under the user's timers.

A block run under :class:`time_limit` is stopped when its deadline passes: a
watchdog thread raises :class:`TimeUp` inside the thread that runs the block
(``PyThreadState_SetAsyncExc``), and the block's ``__exit__`` turns it into a
:class:`~dfdx.errors.DfdxError` naming what took too long and the limit.

Why this mechanism (and not SIGALRM, a worker process or cooperative checks):

* signals work only in the main thread and collide with the user's own timers
  (``signal.setitimer``); a limit that is off in a worker thread is no limit;
* a worker process per call costs tens of milliseconds and must pickle SymPy
  objects both ways, for every ordinary call;
* SymPy has no hooks for cooperative checks.

The asynchronous exception is delivered between two Python bytecodes of the
target thread, so it stops pure-Python work (all of SymPy) wherever it is. What
it cannot stop, one long C call (a huge integer power), is kept out by size
guards before the work starts (see :mod:`dfdx.expr`).

Robustness:

* :class:`TimeUp` derives from ``BaseException``, so SymPy's ``except Exception``
  cannot swallow it; and until the block is left, the watchdog raises it again
  every :data:`RETRY_SECONDS`, so a copy lost in a ``__del__`` or swallowed by a
  bare ``except`` does not let the work run on;
* no exception is raised while the garbage collector runs in that thread
  (``gc.callbacks``), where Python would only print and drop it, unless the
  thread stays in the collector for :data:`GC_GRACE_SECONDS`; dfdx's marker
  callbacks are kept first ('start') and last ('stop') in ``gc.callbacks``, so
  callbacks other libraries add later (Hypothesis, profilers) run inside the
  protected span;
* a copy that still lands where Python can only report it (a ``__del__``, a
  weakref or gc callback entered between injection and delivery) is dropped
  without a word: ``sys.unraisablehook`` is wrapped by a filter that passes on
  everything but the private :class:`TimeUp`, and has the watchdog raise that
  again within 5 ms instead of :data:`RETRY_SECONDS` (a block that spends
  nearly all its time inside finalizers can still outlast its limit: no
  in-process mechanism can deliver an exception there);
* leaving the block takes it off the watchdog's list under the same lock the
  watchdog injects with, then lets an exception injected but not yet
  delivered arrive inside ``__exit__`` (a Python call delivers it), so none
  arrives after the block; the private :class:`TimeUp` never leaves the
  outermost limit. ``PyThreadState_SetAsyncExc(tid, NULL)`` is never called:
  in Python 3.11 it leaves the eval breaker signalled, which under a tracer
  makes the interpreter spin;
* nested limits: an inner deadline is never later than the outer one; the
  limit whose own time ran out reports it.

Overhead on a call that finishes in time: one lock, a list push and pop, and
setting an event (a few microseconds).
"""

from __future__ import annotations

import ctypes
import functools
import gc
import math
import os
import sys
import threading
import time

from .errors import DfdxError

__all__ = [
    "time_limit",
    "TimeUp",
    "bounded",
    "set_time_limit",
    "get_time_limit",
    "RETRY_SECONDS",
]

#: How often the watchdog raises TimeUp again in a thread that has not left
#: its expired block.
RETRY_SECONDS = 0.05

#: How long past the deadline the watchdog waits for a garbage collection in
#: the thread to end before raising TimeUp inside it anyway.
GC_GRACE_SECONDS = 0.5

_DEFAULT_SECONDS = 5.0


class TimeUp(BaseException):
    """Raised inside a thread whose time limit ran out (private; never escapes)."""


class _Frame:
    __slots__ = ("own_deadline", "deadline", "next_shot", "owner", "fired")

    def __init__(self, own_deadline: float, deadline: float, owner):
        self.own_deadline = own_deadline
        self.deadline = deadline
        self.next_shot = deadline
        self.owner = owner
        self.fired = False  # TimeUp was injected for this frame


_lock = threading.Lock()
_stacks: dict[int, list[_Frame]] = {}
_in_gc: set[int] = set()
_wake = threading.Event()
_watchdog: threading.Thread | None = None
_watchdog_pid = -1

_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc


def _gc_started(phase, info):
    if phase == "start":
        _in_gc.add(threading.get_ident())


def _gc_stopped(phase, info):
    if phase == "stop":
        _in_gc.discard(threading.get_ident())


def _keep_gc_markers_outermost() -> None:
    """Put the 'start' marker first and the 'stop' marker last in gc.callbacks
    (other libraries append callbacks after dfdx is imported)."""
    callbacks = gc.callbacks
    if callbacks and callbacks[0] is _gc_started and callbacks[-1] is _gc_stopped:
        return
    with _lock:
        while _gc_started in callbacks:
            callbacks.remove(_gc_started)
        while _gc_stopped in callbacks:
            callbacks.remove(_gc_stopped)
        callbacks.insert(0, _gc_started)
        callbacks.append(_gc_stopped)


class _QuietTimeUp:
    """sys.unraisablehook filter: drop a TimeUp Python could only report (the
    watchdog raises it again), pass everything else to the hook it wraps."""

    __slots__ = ("wrapped",)

    def __init__(self, wrapped):
        self.wrapped = wrapped

    def __call__(self, unraisable):
        if unraisable.exc_type is TimeUp or isinstance(unraisable.exc_value, TimeUp):
            _deliver_again()
            return
        self.wrapped(unraisable)


def _deliver_again() -> None:
    """A TimeUp was dropped in a finalizer or callback of this thread: have the
    watchdog raise it again in 5 ms rather than RETRY_SECONDS. (Raising it from
    here would land in this hook and be dropped again; the lock is only tried,
    since the drop may have happened while this thread holds it.)"""
    if not _lock.acquire(blocking=False):
        return
    try:
        stack = _stacks.get(threading.get_ident())
        if stack and stack[-1].fired:
            stack[-1].next_shot = min(stack[-1].next_shot, time.monotonic() + 0.005)
    finally:
        _lock.release()
    _wake.set()


def _keep_unraisable_filter() -> None:
    if not isinstance(sys.unraisablehook, _QuietTimeUp):
        sys.unraisablehook = _QuietTimeUp(sys.unraisablehook)


_keep_gc_markers_outermost()


def _inject(tid: int) -> None:
    _set_async_exc(ctypes.c_ulong(tid), ctypes.py_object(TimeUp))


def _noop() -> None:
    """A Python call: its first instruction delivers a pending TimeUp."""


def _watch() -> None:
    while True:
        _wake.clear()
        with _lock:
            now = time.monotonic()
            wake_at = math.inf
            for tid, stack in _stacks.items():
                if not stack:
                    continue
                top = stack[-1]
                if now >= top.deadline:
                    in_gc = tid in _in_gc and now < top.deadline + GC_GRACE_SECONDS
                    if now >= top.next_shot and not in_gc:
                        _inject(tid)
                        top.fired = True
                        top.next_shot = now + RETRY_SECONDS
                    wake_at = min(wake_at, max(top.next_shot, now + 0.005))
                else:
                    wake_at = min(wake_at, top.deadline)
        _wake.wait(None if wake_at == math.inf else max(wake_at - now, 0.0))


def _ensure_watchdog() -> None:
    global _watchdog, _watchdog_pid
    if _watchdog is not None and _watchdog_pid == os.getpid() and _watchdog.is_alive():
        return
    with _lock:
        if (
            _watchdog is None
            or _watchdog_pid != os.getpid()
            or not _watchdog.is_alive()
        ):
            if _watchdog_pid != os.getpid():  # a forked child: other threads are gone
                _stacks.clear()
                _in_gc.clear()
            _watchdog = threading.Thread(
                target=_watch, name="dfdx-time-limit", daemon=True
            )
            _watchdog_pid = os.getpid()
            _watchdog.start()


def set_time_limit(seconds: float) -> float:
    """Set the time every public dfdx operation may take; return the old value.

    Parameters
    ----------
    seconds : float
        A positive number of seconds (default 5). An operation that needs
        longer stops with a :class:`~dfdx.DfdxError` that names it and the limit.

    Examples
    --------
    >>> import dfdx
    >>> old = dfdx.set_time_limit(30)
    >>> dfdx.set_time_limit(old)
    30.0
    """
    global _DEFAULT_SECONDS
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise DfdxError(f"seconds must be a number, got {seconds!r}")
    try:
        value = float(seconds)
    except OverflowError:  # an int beyond float range
        value = math.inf
    if not (math.isfinite(value) and value > 0):
        raise DfdxError(f"seconds must be positive and finite, got {seconds!r:.40}")
    old, _DEFAULT_SECONDS = _DEFAULT_SECONDS, value
    return old


def get_time_limit() -> float:
    """The time, in seconds, every public dfdx operation may take."""
    return _DEFAULT_SECONDS


class time_limit:
    """Stop the block after `seconds` (default: :func:`get_time_limit`) with a
    :class:`DfdxError` saying that it could not `what` in time."""

    __slots__ = ("seconds", "what", "_frame", "_tid", "_done")

    def __init__(self, seconds: float | None, what: str):
        self.seconds = _DEFAULT_SECONDS if seconds is None else float(seconds)
        self.what = what
        self._frame: _Frame | None = None
        self._done = False

    def __enter__(self):
        _ensure_watchdog()
        _keep_gc_markers_outermost()
        _keep_unraisable_filter()
        tid = threading.get_ident()
        self._tid = tid
        own = time.monotonic() + self.seconds
        with _lock:
            stack = _stacks.setdefault(tid, [])
            deadline = min(own, stack[-1].deadline) if stack else own
            frame = _Frame(own, deadline, self)
            stack.append(frame)
            self._frame = frame
        _wake.set()
        return self

    def _disarm(self) -> tuple[bool, bool]:
        """Take this block's frame (and any left above it) off the stack, so
        the watchdog injects nothing more for it. Returns whether a frame is
        left below and whether a TimeUp was injected for this block."""
        with _lock:
            stack = _stacks.get(self._tid, [])
            fired = False
            if self._frame in stack:
                at = stack.index(self._frame)
                fired = any(f.fired for f in stack[at:])
                del stack[at:]
            below = bool(stack)
            if not stack:
                _stacks.pop(self._tid, None)
            self._done = True
        return below, fired

    def __exit__(self, kind, exc, tb):
        timed_out = kind is TimeUp
        below = True
        while not self._done:
            try:
                below, fired = self._disarm()
                if fired:
                    # a TimeUp injected but not yet delivered is delivered
                    # here, inside this try, not after the block. (Never
                    # PyThreadState_SetAsyncExc(tid, NULL): in Python 3.11 it
                    # leaves the eval breaker signalled for good, and under a
                    # tracer (Hypothesis, coverage, a profiler) the interpreter
                    # then spins on one instruction: CI hung on it.)
                    _noop()
                    _noop()
            except TimeUp:
                timed_out = True
        if not timed_out:
            return False
        frame = self._frame
        mine = (
            not below or frame is None or time.monotonic() >= frame.own_deadline - 1e-3
        )
        if mine:
            raise DfdxError(
                f"cannot {self.what} within {self.seconds:g} s (time limit; "
                "dfdx.set_time_limit raises it)"
            ) from None
        if kind is TimeUp:
            return False  # the outer limit's: let it pass
        raise TimeUp


# What SymPy, mpmath and NumPy raise on input beyond their means (huge
# integers, deep recursion, memory); turned into a DfdxError at the public edge.
_FOREIGN = (
    ArithmeticError,
    MemoryError,
    RecursionError,
    TypeError,
    ValueError,
    KeyError,
    IndexError,
    AttributeError,
    NotImplementedError,
)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        return "the result is too large to hold in memory"
    if isinstance(exc, RecursionError):
        return "the expression is nested too deeply"
    if isinstance(exc, OverflowError):
        return f"a number is too large ({exc})"
    text = str(exc).splitlines()[0][:160] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def bounded(what: str):
    """Decorator for public operations: run under the default time limit
    ('cannot {what} within ... s' when it runs out), and let no exception but a
    DfdxError escape (a huge integer's OverflowError, a MemoryError, SymPy's
    own errors become 'cannot {what}: ...')."""

    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            try:
                with time_limit(None, what):
                    return fn(*args, **kwargs)
            except DfdxError:
                raise
            except _FOREIGN as exc:  # SymPy/NumPy/Python limits: one clear error
                raise DfdxError(f"cannot {what}: {_describe(exc)}") from exc

        return inner

    return wrap
