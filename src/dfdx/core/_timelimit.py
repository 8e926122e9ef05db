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
guards before the work starts (see :mod:`dfdx.text.expr`).

Robustness:

* :class:`TimeUp` derives from ``BaseException``, so SymPy's ``except Exception``
  cannot swallow it; and until the block is left, the watchdog raises it again
  every :data:`RETRY_SECONDS`, so a copy lost in a ``__del__`` or swallowed by a
  bare ``except`` does not let the work run on;
* no exception is raised while the garbage collector runs in that thread
  (``gc.callbacks``), where Python would only print and drop it, unless one
  collection runs for :data:`GC_GRACE_SECONDS` (a finalizer that never
  returns). One that falls due meanwhile is raised as the collection ends,
  by the last gc callback, ``PyThreadState_SetAsyncExc`` itself called
  through ctypes (no Python code of the collector runs after it), so it
  arrives at the thread's next instruction in the block. (Left to the
  watchdog, it landed wherever the thread was milliseconds later: where
  full collections of a large heap fill most of the time, in the next
  collection, and a 0.3 s limit took 21 s.) dfdx's marker callbacks are
  kept first ('start') and last ('stop') in ``gc.callbacks``, so callbacks
  other libraries add later (Hypothesis, profilers) run inside the protected
  span, and a thread stopped inside the markers counts as collecting;
* a copy that still lands where Python can only report it (a ``__del__``, a
  weakref or gc callback entered between injection and delivery) is dropped
  without a word: ``sys.unraisablehook`` is wrapped by a filter that passes on
  everything but the private :class:`TimeUp`, and has the watchdog raise that
  again within 5 ms instead of :data:`RETRY_SECONDS` (a block that spends
  nearly all its time inside finalizers run by reference counting, outside
  any collection, can still outlast its limit: no in-process mechanism can
  deliver an exception there);
* leaving the block takes it off the watchdog's list under the same lock the
  watchdog injects with, then lets an exception injected but not yet
  delivered arrive inside ``__exit__`` (a Python call delivers it), so none
  arrives after the block; the private :class:`TimeUp` never leaves the
  outermost limit. ``PyThreadState_SetAsyncExc(tid, NULL)`` is never called:
  in Python 3.11 it leaves the eval breaker signalled, which under a tracer
  makes the interpreter spin;
* nested limits: an inner deadline is never later than the outer one; the
  limit whose own time ran out reports it.

Interruptions, imports and the user's code:

* Ctrl-C at any instruction of entering or leaving a block leaves nothing
  armed: ``__exit__`` disarms whatever interrupts it, and an entry whose
  ``with`` statement's frame is no longer running (a KeyboardInterrupt on the
  first instruction of ``__exit__``) is dropped by the watchdog, never fired;
* no TimeUp is raised while the thread runs an import (a half-built package
  in ``sys.modules`` breaks every later import of it) or the user's code
  (:class:`user_code`, :class:`guarded`): the clock is checked when it
  returns.

Memory: while a block runs, the watchdog reads the process's size every
:data:`MEMORY_POLL_SECONDS`; growth past :func:`set_memory_limit` (1 GiB)
stops the operation the same way, with a DfdxError naming the memory limit.

Overhead on a call that finishes in time: one lock, a list push and pop, and
setting an event (a few microseconds).
"""

from __future__ import annotations

import builtins
import ctypes
import functools
import gc
import math
import os
import queue
import sys
import threading
import time
import types

from dfdx.errors import DfdxError

__all__ = [
    "time_limit",
    "user_code",
    "guarded",
    "TimeUp",
    "set_time_limit",
    "set_memory_limit",
    "get_memory_limit",
    "get_time_limit",
    "RETRY_SECONDS",
]

#: How often the watchdog raises TimeUp again in a thread that has not left
#: its expired block.
RETRY_SECONDS = 0.05

#: How long one garbage collection in the thread may run, with the block's
#: deadline past, before the watchdog raises TimeUp inside it anyway (a
#: finalizer that never returns).
GC_GRACE_SECONDS = 0.5

_DEFAULT_SECONDS = 5.0

#: How much memory one public operation may add to the process (bytes).
_MEMORY_BUDGET = 1 << 30

#: How often the watchdog reads the process's size while an operation runs.
MEMORY_POLL_SECONDS = 0.02

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _rss() -> int | None:
    """The process's resident size in bytes (Linux /proc); None elsewhere,
    where memory is not watched."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


class TimeUp(BaseException):
    """Raised inside a thread whose time limit ran out (private; never escapes)."""


class _Frame:
    __slots__ = (
        "own_deadline",
        "deadline",
        "next_shot",
        "owner",
        "fired",
        "caller",
        "rss0",
        "memory",
    )

    def __init__(self, own_deadline: float, deadline: float, owner, caller):
        self.own_deadline = own_deadline
        self.deadline = deadline
        self.next_shot = deadline
        self.owner = owner
        self.fired = False  # TimeUp was injected for this frame
        # the Python frame running the with statement: while the block runs
        # it is on the thread's stack (cleared when the entry is removed, so
        # no reference cycle outlives the block)
        self.caller = caller
        self.rss0: int | None = None  # the process's size when the watchdog saw it
        self.memory = False  # stopped for memory, not time


def _first_stale(stack: list[_Frame], live: set[int]) -> int | None:
    """The index of the first entry whose with statement's frame is no longer
    running (left by an interruption that no __exit__ saw), or None."""
    for i, f in enumerate(stack):
        if id(f.caller) not in live:
            return i
    return None


def _drop_from(tid: int, stack: list[_Frame], at: int) -> None:
    """Remove entries at and above `at` (under _lock)."""
    for f in stack[at:]:
        f.caller = None
    del stack[at:]
    marks = _foreign.get(tid)
    while marks and marks[-1] > at:
        marks.pop()
    if not stack:
        _stacks.pop(tid, None)
        _foreign.pop(tid, None)


#: Reentrant: any allocation under it can start a garbage collection in the
#: same thread, whose finalizers (a generator closed inside a limited block)
#: may enter and leave a limit themselves; with a plain lock that thread then
#: waited for itself for ever. A finalizer's block is entered and left
#: within the collection, so the state it changes is as it found it.
_lock = threading.RLock()
_stacks: dict[int, list[_Frame]] = {}
#: per thread that is running a garbage collection, when it started
_in_gc: dict[int, float] = {}
#: per thread, the stack depths at which user code was entered (see
#: :class:`user_code`): no TimeUp is injected for a frame at or below the
#: last of them
_foreign: dict[int, list[int]] = {}
#: threads where a TimeUp was dropped (see _deliver_again)
_redeliver: set[int] = set()
#: Wakes the watchdog. A C queue, not a threading.Event: Event.set runs
#: Python code around a plain lock, and a Ctrl-C landing between that lock's
#: acquire and the with statement that releases it left it taken for good
#: (the next dfdx call, and the watchdog, waited for ever: seen under a storm
#: of interrupts). SimpleQueue.put is one C call.
_wake: queue.SimpleQueue = queue.SimpleQueue()
_watchdog: threading.Thread | None = None
_watchdog_pid = -1

_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc

#: the code of an import in progress (see _thread_state)
_IMPORT_FILES = (
    "<frozen importlib._bootstrap>",
    "<frozen importlib._bootstrap_external>",
)


def _gc_started(phase, info):
    if phase == "start":
        _in_gc[threading.get_ident()] = time.monotonic()


def _gc_stopped(phase, info):
    if phase == "stop":
        _in_gc.pop(threading.get_ident(), None)


def _due_after_collection(phase) -> int:
    """The thread to raise TimeUp in as a collection ends: this one, when its
    limited block has run out, no copy was raised for it yet (or one was
    dropped in a finalizer), and it is in neither the user's code nor an
    import; else 0 (no thread). A block whose TimeUp is on its way out is
    left alone: one more copy, at the end of a collection while the first
    unwinds, landed on the first instruction of the limit's __exit__."""
    if phase != "stop":
        return 0
    tid = threading.get_ident()
    stack = _stacks.get(tid)
    if not stack or (stack[-1].fired and tid not in _redeliver):
        return 0
    live, importing, _ = _frame_state(sys._getframe(1))
    if importing:
        return 0
    with _lock:
        stack = _stacks.get(tid)
        if (
            not stack
            or time.monotonic() < stack[-1].deadline
            or _first_stale(stack, live) is not None
            or _in_user_code(tid, len(stack))
        ):
            return 0
        stack[-1].fired = True
    return tid


class _ThisThreadIfDue:
    """ctypes argument converter: the gc callback's phase becomes the thread
    to raise an exception in (0: none), and the exception is left in
    _AFTER_COLLECTION (see _raise_after_collection)."""

    @classmethod
    def from_param(cls, phase):
        exc: type[BaseException] = TimeUp
        try:
            tid = _due_after_collection(phase)
        except TimeUp:  # the watchdog's copy arrived here: raise it below
            tid = threading.get_ident()
        except BaseException as other:
            # Ctrl-C while the collector ran this converter: Python would drop
            # it (ctypes would even call it an ArgumentError); it is raised as
            # the collection ends instead
            tid, exc = threading.get_ident(), type(other)
        _AFTER_COLLECTION.exc = ctypes.py_object(exc)
        return ctypes.c_ulong(tid)


_AFTER_COLLECTION = threading.local()


class _PendingException:
    """ctypes argument converter: the gc callback's info becomes the exception
    _ThisThreadIfDue chose. A C call (getattr), no Python code: nothing can be
    delivered inside it."""

    from_param = staticmethod(
        functools.partial(getattr, _AFTER_COLLECTION, "exc")  # (info) is the default
    )


#: The last of gc.callbacks: PyThreadState_SetAsyncExc itself, its arguments
#: converted from the callback's (phase, info) by the classes above. A
#: TimeUp due in a thread that was collecting is raised as the collection
#: ends: no Python code of the collector runs after the C call, so it arrives
#: at the thread's next instruction, in the block's own code (the call that
#: collected, or the allocation that started it). Asked of the watchdog
#: instead, it could only land wherever the thread was 5 ms later: the next
#: collection, where Python drops it, for a block that collects a large heap
#: over and over.
_raise_after_collection = ctypes.PYFUNCTYPE(
    ctypes.c_int,
    _ThisThreadIfDue,  # type: ignore[arg-type]  # ctypes takes any from_param class
    _PendingException,  # type: ignore[arg-type]
)(("PyThreadState_SetAsyncExc", ctypes.pythonapi))


def _keep_gc_markers_outermost() -> None:
    """Put the 'start' marker first and the 'stop' marker last in gc.callbacks
    (other libraries append callbacks after dfdx is imported)."""
    callbacks = gc.callbacks
    if (
        len(callbacks) >= 3
        and callbacks[0] is _gc_started
        and callbacks[-2] is _gc_stopped
        and callbacks[-1] is _raise_after_collection
    ):
        return
    with _lock:
        for marker in (_gc_started, _gc_stopped, _raise_after_collection):
            while marker in callbacks:
                callbacks.remove(marker)
        callbacks.insert(0, _gc_started)
        callbacks.append(_gc_stopped)
        callbacks.append(_raise_after_collection)


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
        if unraisable.object is _raise_after_collection and issubclass(
            unraisable.exc_type, ctypes.ArgumentError
        ):
            unraisable = _unwrapped(unraisable)
            if unraisable is None:  # a TimeUp
                _deliver_again()
                return
        self.wrapped(unraisable)


def _unwrapped(unraisable):
    """The exception that landed on the first instruction of the last gc
    callback's converter (before its try), which ctypes reports as
    "ArgumentError: argument 1: KeyboardInterrupt: ": reported as itself,
    like an interrupt Python drops in any gc callback; None for a TimeUp."""
    parts = str(unraisable.exc_value).split(": ")
    name = parts[1] if len(parts) > 1 else ""
    if name == "TimeUp":
        return None
    kind = getattr(builtins, name, None)
    if not (isinstance(kind, type) and issubclass(kind, BaseException)):
        return unraisable
    return type(unraisable)((kind, kind(), None, unraisable.err_msg, unraisable.object))


def _deliver_again() -> None:
    """A TimeUp was dropped in a finalizer or callback of this thread: have the
    watchdog raise it again in 5 ms rather than RETRY_SECONDS. (Raising it from
    here would land in this hook and be dropped again.) No lock is taken here:
    an exception delivered between taking it and the try that releases it
    left it taken for good, and every later limit waited for ever."""
    _redeliver.add(threading.get_ident())
    _wake.put(None)


def _keep_unraisable_filter() -> None:
    if not isinstance(sys.unraisablehook, _QuietTimeUp):
        sys.unraisablehook = _QuietTimeUp(sys.unraisablehook)


#: The code a thread runs inside a collection without being in _in_gc: the
#: markers themselves (before 'start' is recorded, after 'stop' is) and the
#: unraisable filter. A TimeUp raised there is dropped.
_GC_CODES = frozenset(
    f.__code__
    for f in (
        _gc_started,
        _gc_stopped,
        _due_after_collection,
        _ThisThreadIfDue.__dict__["from_param"].__func__,
        _QuietTimeUp.__call__,
        _unwrapped,
        _deliver_again,
    )
)


_keep_gc_markers_outermost()


def _inject(tid: int) -> None:
    _set_async_exc(ctypes.c_ulong(tid), ctypes.py_object(TimeUp))


#: How often the watchdog looks again at a thread whose expired block is
#: inside an import or the user's code.
HOLD_POLL_SECONDS = 0.005


def _thread_state(tid: int) -> tuple[set[int], bool, bool] | None:
    """The ids of the Python frames thread tid is running, whether one of
    them is an import, and whether it is stopped inside dfdx's garbage
    collection markers or unraisable filter; None when the thread is gone.
    (An exception raised inside an import leaves sys.modules half-built, a
    package's submodules without the package: every later import of it then
    fails.)"""
    # sys._current_frames() holds the interpreter's thread-list lock while it
    # makes frame objects; a collection started by one of those allocations
    # runs dfdx's last gc callback, PyThreadState_SetAsyncExc, which takes
    # that same lock: the watchdog deadlocked, holding the GIL, and every
    # thread with it (one run in a few hundred of check_grad's watchdog
    # polls). No collection may start inside that call.
    enabled = gc.isenabled()
    if enabled:
        gc.disable()
    try:
        frame = sys._current_frames().get(tid)
    finally:
        if enabled:
            gc.enable()
    return None if frame is None else _frame_state(frame)


def _frame_state(frame: types.FrameType | None) -> tuple[set[int], bool, bool]:
    """:func:`_thread_state` of the stack that ends in `frame`."""
    live: set[int] = set()
    importing = False
    collecting = False
    while frame is not None:
        live.add(id(frame))
        importing = importing or frame.f_code.co_filename in _IMPORT_FILES
        collecting = collecting or frame.f_code in _GC_CODES
        frame = frame.f_back
    return live, importing, collecting


def _in_user_code(tid: int, depth: int) -> bool:
    marks = _foreign.get(tid)
    return marks is not None and bool(marks) and marks[-1] >= depth


def _noop() -> None:
    """A Python call: its first instruction delivers a pending TimeUp."""


def _watch_memory(now: float, rss: int | None) -> None:
    """Stop (as if their time ran out) the operations under which the process
    grew by more than the memory budget since the watchdog first saw them
    (under _lock). A blow-up (a polynomial expanded to millions of terms)
    ends as a DfdxError, not as the kernel's out-of-memory kill of the whole
    notebook. `rss` is read before the lock is taken."""
    if rss is None:
        return
    for stack in _stacks.values():
        if not stack:
            continue
        outer = stack[0]
        if outer.rss0 is None:
            outer.rss0 = rss
        elif rss - outer.rss0 > _MEMORY_BUDGET and not outer.memory:
            outer.memory = True
            for f in stack:
                f.deadline = min(f.deadline, now)
                f.next_shot = min(f.next_shot, now)


def _snapshot() -> tuple[int | None, dict]:
    """What the watchdog reads about the process before taking its lock: the
    process's size, and the state (_thread_state) of each thread whose block
    has run out. Both allocate, and an allocation can start a garbage
    collection in the watchdog's thread, running other objects' finalizers:
    never while the lock is held (a finalizer that calls dfdx would wait for
    it for ever, and every block's entry and exit would wait for the
    collection)."""
    if not _stacks:
        return None, {}
    rss = _rss()
    now = time.monotonic()
    expired = [
        tid
        for tid, stack in list(_stacks.items())
        if stack and now >= stack[-1].deadline
    ]
    return rss, {tid: _thread_state(tid) for tid in expired}


def _drain() -> None:
    """Take every pending wake-up (the round that follows sees all they
    announced)."""
    while True:
        try:
            _wake.get_nowait()
        except queue.Empty:
            return


def _watch() -> None:
    while True:
        _drain()
        rss, states = _snapshot()
        with _lock:
            now = time.monotonic()
            wake_at = math.inf
            while _redeliver:
                stack = _stacks.get(_redeliver.pop())
                if stack and stack[-1].fired:
                    stack[-1].next_shot = min(stack[-1].next_shot, now + 0.005)
            if _stacks:
                _watch_memory(now, rss)
                wake_at = now + MEMORY_POLL_SECONDS
            for tid, stack in list(_stacks.items()):
                if not stack:
                    continue
                top = stack[-1]
                if now < top.deadline:
                    wake_at = min(wake_at, top.deadline)
                    continue
                since = _in_gc.get(tid)
                in_gc = since is not None and now < since + GC_GRACE_SECONDS
                if now >= top.next_shot and not in_gc:
                    if tid not in states:  # ran out since the snapshot: next round
                        wake_at = now
                        continue
                    state = states[tid]
                    if state is None:  # the thread ended
                        _drop_from(tid, stack, 0)
                        continue
                    live, importing, collecting = state
                    stale = _first_stale(stack, live)
                    if stale is not None:
                        # a block left without __exit__ (Ctrl-C on its first
                        # instruction): nothing to stop; never inject there
                        _drop_from(tid, stack, stale)
                        wake_at = now
                        continue
                    if importing or collecting or _in_user_code(tid, len(stack)):
                        top.next_shot = now + HOLD_POLL_SECONDS
                    else:
                        _inject(tid)
                        top.fired = True
                        top.next_shot = now + RETRY_SECONDS
                wake_at = min(wake_at, max(top.next_shot, now + 0.005))
        try:
            _wake.get(timeout=None if wake_at == math.inf else max(wake_at - now, 0.0))
        except queue.Empty:
            pass


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
    old, _DEFAULT_SECONDS = _DEFAULT_SECONDS, _positive(seconds, "seconds")
    return old


def _positive(value, name: str) -> float:
    """`value` as a positive finite float, or a DfdxError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DfdxError(f"{name} must be a number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond float range
        number = math.inf
    if not (math.isfinite(number) and number > 0):
        raise DfdxError(f"{name} must be positive and finite, got {value!r:.40}")
    return number


def set_memory_limit(gigabytes: float) -> float:
    """Set how much memory every public dfdx operation may add to the
    process, in GiB; return the old value.

    An operation that grows the process by more (an expansion into millions
    of terms) stops with a :class:`~dfdx.DfdxError` saying so, instead of
    taking the machine's memory (watched where the process's size can be
    read: Linux). Work in one C call (a single huge array) is not watched.

    Examples
    --------
    >>> import dfdx
    >>> old = dfdx.set_memory_limit(2)
    >>> dfdx.set_memory_limit(old)
    2.0
    """
    global _MEMORY_BUDGET
    value = _positive(gigabytes, "gigabytes")
    old = _MEMORY_BUDGET / 2**30
    _MEMORY_BUDGET = int(value * 2**30)
    return old


def get_memory_limit() -> float:
    """The memory, in GiB, every public dfdx operation may add to the process."""
    return _MEMORY_BUDGET / 2**30


def get_time_limit() -> float:
    """The time, in seconds, every public dfdx operation may take."""
    return _DEFAULT_SECONDS


class time_limit:
    """Stop the block after `seconds` (default: :func:`get_time_limit`) with a
    :class:`DfdxError` saying that it could not `what` in time."""

    __slots__ = (
        "seconds",
        "what",
        "_frame",
        "_tid",
        "_done",
        "_fired",
        "_below",
        "_left_inner",
    )

    def __init__(self, seconds: float | None, what: str):
        self.seconds = _DEFAULT_SECONDS if seconds is None else float(seconds)
        self.what = what
        self._frame: _Frame | None = None
        self._done = False
        self._fired = False
        self._below = True
        # limits entered inside this block whose own exit was cut short (a
        # second TimeUp on their first instruction): their TimeUp is what
        # reaches this block
        self._left_inner: list = []

    def __enter__(self):
        _ensure_watchdog()
        _keep_gc_markers_outermost()
        _keep_unraisable_filter()
        tid = threading.get_ident()
        self._tid = tid
        own = time.monotonic() + self.seconds
        caller = sys._getframe(1)
        live = None
        if _stacks.get(tid):  # nested: entries left by an interruption go
            live = set()
            f = caller
            while f is not None:
                live.add(id(f))
                f = f.f_back
        frame = _Frame(own, own, self, caller)
        self._frame = frame
        try:
            with _lock:
                stack = _stacks.setdefault(tid, [])
                if stack and live is not None:
                    stale = _first_stale(stack, live)
                    if stale is not None:
                        _drop_from(tid, stack, stale)
                        stack = _stacks.setdefault(tid, [])
                if stack:
                    frame.deadline = frame.next_shot = min(own, stack[-1].deadline)
                stack.append(frame)
            _wake.put(None)
        except BaseException:
            # a KeyboardInterrupt after the push: the with statement never
            # calls __exit__, so the frame must not stay armed
            self._leave_quietly()
            raise
        return self

    def _leave_quietly(self) -> None:
        """Disarm after an interruption; a TimeUp pending for this block is
        delivered and dropped here."""
        while not self._done:
            try:
                self._disarm()
            except BaseException:
                pass
        _flush()

    def _disarm(self) -> None:
        """Take this block's frame (and any left above it) off the stack, so
        the watchdog injects nothing more for it; note whether a frame is
        left below and whether a TimeUp was injected for this block. (All
        under the lock, so an interruption cannot split it.)"""
        with _lock:
            if self._done:
                return
            stack = _stacks.get(self._tid, [])
            if self._frame in stack:
                at = stack.index(self._frame)
                self._fired = any(f.fired for f in stack[at:])
                self._left_inner = [f.owner for f in stack[at + 1 :]]
                _drop_from(self._tid, stack, at)
            self._below = bool(stack)
            if self._frame is not None:
                self._frame.caller = None
            self._done = True

    def __exit__(self, kind, exc, tb):
        timed_out = kind is TimeUp
        interrupted: BaseException | None = None
        while not self._done:
            try:
                self._disarm()
            except TimeUp:
                timed_out = True
            except BaseException as other:  # Ctrl-C while leaving
                interrupted = interrupted or other
        if self._fired:
            # a TimeUp injected but not yet delivered is delivered here, not
            # after the block. (Never PyThreadState_SetAsyncExc(tid, NULL):
            # in Python 3.11 it leaves the eval breaker signalled for good,
            # and under a tracer (Hypothesis, coverage, a profiler) the
            # interpreter then spins on one instruction: CI hung on it.)
            timed_out = _flush() or timed_out
        stopped = (
            timed_out
            or interrupted is not None
            or (kind is not None and not issubclass(kind, Exception))
        )
        if stopped:
            _STOPPED[0] = True
            # Ctrl-C (rare): empty SymPy's caches now. A time limit (common:
            # a chain of calls that run out would each start cold) leaves it
            # to the retry in bounded, on the first SymPy error that follows
            if not self._below and (interrupted is not None or not timed_out):
                _forget_half_made_facts()
        if interrupted is not None:
            raise interrupted
        if not timed_out:
            return False
        below = self._below
        frame = self._frame
        mine = (
            not below or frame is None or time.monotonic() >= frame.own_deadline - 1e-3
        )
        if frame is not None and frame.memory:
            if not below:
                raise DfdxError(
                    f"cannot {self.what}: it needs more than "
                    f"{_MEMORY_BUDGET / 2**30:g} GiB of memory (memory limit; "
                    "dfdx.set_memory_limit raises it)"
                ) from None
            mine = False
        inner = next(
            (
                o
                for o in reversed(self._left_inner)
                if o is not None
                and o._frame is not None
                and time.monotonic() >= o._frame.own_deadline - 1e-3
            ),
            None,
        )
        if inner is not None:
            # the TimeUp of a limit inside this block whose exit was cut
            # short: reported as that limit's, as its exit would have
            raise DfdxError(
                f"cannot {inner.what} within {inner.seconds:g} s (time limit; "
                "dfdx.set_time_limit raises it)"
            ) from None
        if mine:
            raise DfdxError(
                f"cannot {self.what} within {self.seconds:g} s (time limit; "
                "dfdx.set_time_limit raises it)"
            ) from None
        if kind is TimeUp:
            return False  # the outer limit's: let it pass
        raise TimeUp


#: Whether work was stopped midway since SymPy's caches were last emptied
#: by a retry (see bounded).
_STOPPED = [False]


def _forget_half_made_facts() -> None:
    """After work was stopped midway (Ctrl-C; or a SymPy error after a time
    limit ran out): empty SymPy's caches. SymPy stores 'unknown' for an
    assumption while it derives it (to stop recursion) and the answer when
    done; an exception in between leaves 'unknown' on that object, and
    cached objects are shared. Emptied caches make fresh objects (a few
    milliseconds, once per stop). SymPy's global switches are restored by
    bounded (_restore_sympy_parameters)."""
    cache = sys.modules.get("sympy.core.cache")
    if cache is not None:
        try:
            cache.clear_cache()
        except Exception:  # pragma: no cover - never let cleaning fail a call
            pass


def _flush() -> bool:
    """Deliver a TimeUp injected into this thread but not yet raised (a
    Python call delivers it); return whether one came."""
    came = False
    for _ in range(2):
        try:
            _noop()
        except TimeUp:
            came = True
    return came


class user_code:
    """Run code that is not dfdx's (the user's callback, a function of
    theirs that PyTorch or JAX calls) inside a limited block: no TimeUp is
    raised in it. The block's clock is checked when it returns instead (a
    TimeUp then, in dfdx's code), so the user's code always runs to its end:
    a callback that never returns is stopped only by the user (Ctrl-C).
    Imports are held the same way, wherever they happen (see _thread_state).

    Outside any limited block it costs one dictionary lookup."""

    __slots__ = ("_tid", "_depth")

    def __enter__(self):
        tid = threading.get_ident()
        self._tid = tid
        self._depth = 0
        if tid not in _stacks:
            return self
        try:
            with _lock:
                stack = _stacks.get(tid)
                if stack:
                    self._depth = len(stack)
                    _foreign.setdefault(tid, []).append(self._depth)
            # a TimeUp injected before the mark arrives here, in dfdx's code
            if _flush():
                raise TimeUp
        except BaseException:
            self._unmark()
            raise
        return self

    def _unmark(self) -> None:
        if not self._depth:
            return
        with _lock:
            marks = _foreign.get(self._tid)
            if marks and marks[-1] == self._depth:
                marks.pop()
            self._depth = 0

    def __exit__(self, kind, exc, tb):
        if not self._depth:
            return False
        self._unmark()
        if kind is None:
            with _lock:
                stack = _stacks.get(self._tid)
                late = bool(stack) and time.monotonic() >= stack[-1].deadline
                if late:
                    stack[-1].fired = True
            if late:
                raise TimeUp
        return False


class guarded:
    """The user's callable f, called as :class:`user_code` (attributes are
    f's own, so messages still name it)."""

    __slots__ = ("__wrapped__",)

    def __new__(cls, f):
        if isinstance(f, guarded):
            return f
        self = super().__new__(cls)
        self.__wrapped__ = f
        return self

    def __call__(self, *args, **kwargs):
        with user_code():
            return self.__wrapped__(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.__wrapped__, name)

    def __repr__(self) -> str:
        return repr(self.__wrapped__)
