"""Gradient checking for PyTorch and JAX: :func:`check_grad`.

The autodiff vector-Jacobian product ``vᵀJ`` (a random cotangent ``v``; ``v =
1`` for a scalar output) is compared with numerical derivatives of
``g(θ) = <v, fn(θ)>`` computed in float64 where ``fn`` allows it.

How one *unit* (an element of an input in ``mode='full'``, a random direction
in ``mode='directional'``) is judged, everything on the residual
``r(s) = g(θ + s·u) - autodiff·(s·u)`` whose slope at 0 is the error of autodiff:

1. A central difference at the step ``h = eps^(1/3)·max(|θ|, 1)`` (2 calls).
   Agreement to 1e-8 relative plus the rounding of ``g`` and of autodiff's
   dtype accepts the unit.
2. Otherwise the step ``2h`` (2 calls): Richardson's extrapolation gives the
   error of autodiff and an estimate of the numerical error; within twice that
   estimate (plus rounding) the unit passes.
3. Otherwise the one-sided derivatives from the same four values: when they
   disagree it is a kink (checked again at steps 64, 64², 64³, 64⁴ times smaller, so
   a kink merely *near* θ is not mistaken for one at θ), and autodiff passes if
   it lies between them (a valid subgradient).
4. Remaining failures are confirmed with dfdx's own Richardson engine
   (:func:`dfdx.derivative`) on the one-dimensional slice, for up to 16 units.

The tolerance of each unit therefore comes from error estimates, not a fixed
epsilon; ``rtol``/``atol`` are *added* to it.
"""

from __future__ import annotations

import abc
import html
import math
import time
from dataclasses import dataclass, field

import numpy as np

from dfdx.checking._grad_backends import Target, first_gradient, make_target
from dfdx.checking.diagnosis import Finding, InputView, diagnose, nice_number
from dfdx.core._bounded import bounded
from dfdx.core._timelimit import get_time_limit
from dfdx.errors import DfdxError
from dfdx.numeric.core import _check_positive

__all__ = ["check_grad", "GradCheckReport", "GradCheckError", "GradCheckRow"]

_VERDICTS = ("ok", "kink", "FAIL", "inconclusive")
_ACCEPT_REL = 1e-8  # stage-1 agreement that accepts a unit at once
_CONFIRM_MAX = 16  # failing units confirmed with the full engine
# smaller steps that tell a kink at θ from one near it (while rounding allows)
_REFINE = tuple(64.0**-k for k in range(1, 5))
_SHOW = 10
_SPLITS = 16  # halvings of directions that cross several kinks
# a directional check is followed up element by element up to this many
# elements (a user who chose directions for speed keeps most of it)
_FOLLOWUP_MAX = 4096
# run-to-run changes of fn's value up to this fraction of its size are taken
# for nondeterministic rounding (atomics, threads), not randomness
_NONDET_REL = 1e-6


class GradCheckError(DfdxError):
    """Raised by ``check_grad(..., raise_on_failure=True)`` when a check fails;
    ``.report`` holds the :class:`GradCheckReport`."""

    def __init__(self, report: GradCheckReport):
        self.report = report
        super().__init__(report.summary())


@dataclass
class GradCheckRow:
    """One checked unit: an input element (full mode) or a direction."""

    input: str
    index: tuple | str
    autodiff: float
    numerical: float
    error: float
    tolerance: float
    verdict: str
    left: float | None = None
    right: float | None = None
    x: float | None = None  # the input element's value (full mode)

    def describe(self) -> str:
        where = f"{self.input}{_index_text(self.index)}"
        if self.left is not None and self.right is not None:
            return _kink_text(where, self)
        return (
            f"{where}: autodiff {_g(self.autodiff)}, numerical {_g(self.numerical)}, "
            f"error {self.error:.2e}, tolerance {self.tolerance:.2e} ({self.verdict})"
        )


def _g(x) -> str:
    return "nan" if x is None else f"{x:.10g}"


def _kink_text(where: str, r: GradCheckRow) -> str:
    """A kink verdict that explains itself: the one-sided slopes, the central
    difference between them, and where autodiff lies."""
    left, right = float(r.left or 0.0), float(r.right or 0.0)
    lo, hi = min(left, right), max(left, right)
    at = f" = {_g(r.x)}" if r.x is not None else ""
    head = (
        f"kink at {where}{at}: one-sided slopes {_g(left)} (left) and "
        f"{_g(right)} (right), central difference {_g((left + right) / 2)}; "
        f"autodiff gives {_g(r.autodiff)}"
    )
    if r.verdict == "kink":
        side = ""
        scale = max(abs(lo), abs(hi), 1e-300)
        if abs(r.autodiff - left) <= 1e-9 * scale:
            side = ", the left slope"
        elif abs(r.autodiff - right) <= 1e-9 * scale:
            side = ", the right slope"
        return (
            f"{head} ∈ [{_g(lo)}, {_g(hi)}]: a valid subgradient{side} (the "
            "convention autodiff frameworks use at a kink)"
        )
    if r.verdict == "FAIL":
        return f"{head}, outside [{_g(lo)}, {_g(hi)}]: NOT a subgradient"
    return f"{head}: inconclusive, the reference cannot resolve it"


def _index_text(index) -> str:
    if isinstance(index, str):
        return f" ({index})"
    return "[" + ", ".join(str(i) for i in index) + "]"


@dataclass
class GradCheckReport:
    """The result of :func:`check_grad`; truthy exactly when it passed.

    Attributes
    ----------
    status : str
        ``'passed'`` (every unit ok or a valid subgradient at a kink),
        ``'failed'`` (some unit's autodiff value is outside its tolerance) or
        ``'inconclusive'`` (no failure, but the numerical reference could not
        resolve some unit to 25 %: nothing is promised for it).
    mode, backend : str
    counts : dict
        Units per verdict: ``ok``, ``kink``, ``FAIL``, ``inconclusive``.
    worst : list of GradCheckRow
        The units closest to (or furthest beyond) their tolerance, worst first,
        failures before everything else.
    kinks : list of GradCheckRow
        Units at a kink (passed as a subgradient or not).
    nfev : int
        Calls of the function made for the numerical reference.
    seconds : float
    resolution : float
        Median relative tolerance: the smallest relative error in autodiff the
        check could see (about 1e-9 in float64, more in low precision).
    notes : list of str
    diagnosis : str or None
        On a failed check, the kind of bug (:mod:`dfdx.checking.diagnosis`):
        ``'zero'``, ``'sign'``, ``'scale'``, ``'transpose'``, ``'swapped_inputs'``,
        ``'permuted'``, ``'wrong_elements'``, ``'not_differentiable_here'``,
        ``'ignores_grad_output'``, ``'nonlinear_in_grad_output'`` (forward
        mode: ``'ignores_tangent'``, ``'nonlinear_in_tangent'``),
        ``'missing_term'``, ``'extra_term'`` (with ``terms=``) or
        ``'no_known_pattern'``; None when the check did not fail.
    diagnosis_text : str or None
        The evidence, one line per class that fits.
    diagnoses : tuple of str
        Every class that fits (``diagnosis`` is the first).
    """

    status: str
    mode: str
    backend: str
    counts: dict
    worst: list
    kinks: list
    nfev: int
    seconds: float
    resolution: float
    inputs: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    diagnosis: str | None = None
    diagnosis_text: str | None = None
    diagnoses: tuple = ()

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    def summary(self) -> str:
        n = sum(self.counts.values())
        what = "elements" if self.mode == "full" else "directions"
        parts = ", ".join(f"{v} {k}" for k, v in self.counts.items() if v)
        kind = f" ({' + '.join(self.diagnoses)})" if self.diagnoses else ""
        return (
            f"gradient check {self.status.upper()}{kind}: {n} {what} ({parts}); "
            f"{self.nfev} calls, {self.seconds:.2f} s"
        )

    def __str__(self) -> str:
        lines = [self.summary()]
        lines.append(
            f"  {self.backend}, mode={self.mode!r}, checked: "
            + "; ".join(self.inputs)
            + f"; resolution ~{self.resolution:.1e} relative"
        )
        lines += [f"  note: {n}" for n in self.notes]
        if self.diagnosis_text:
            lines.append("  diagnosis:")
            lines += [f"    {d}" for d in self.diagnosis_text.split("\n")]
        shown = [r for r in self.worst if r.verdict != "kink"][:_SHOW]
        if shown:
            lines.append("  worst:")
            lines += [f"    {r.describe()}" for r in shown]
        if self.kinks:
            lines.append(f"  kinks ({len(self.kinks)}):")
            lines += [f"    {r.describe()}" for r in self.kinks[:_SHOW]]
            if len(self.kinks) > _SHOW:
                lines.append(f"    ... and {len(self.kinks) - _SHOW} more")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour = {"passed": "#1a7f37", "failed": "#cf222e"}.get(self.status, "#9a6700")
        head = (
            f"<p><b style='color:{colour}'>{html.escape(self.status.upper())}</b> "
            f"{html.escape(self.summary().split(': ', 1)[1])}</p>"
        )
        notes = "".join(f"<p>note: {html.escape(n)}</p>" for n in self.notes)
        if self.diagnosis_text:
            notes += "".join(
                f"<p>diagnosis: {html.escape(d)}</p>"
                for d in self.diagnosis_text.split("\n")
            )
        rows = self.worst[:_SHOW] + [
            r for r in self.kinks[:_SHOW] if r not in self.worst
        ]
        cells = "".join(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(c))}</td>"
                for c in (
                    r.input,
                    _index_text(r.index).strip(" ()[]"),
                    _g(r.autodiff),
                    _g(r.numerical),
                    f"{r.error:.2e}",
                    f"{r.tolerance:.2e}",
                    r.verdict
                    + (
                        f" (left {_g(r.left)}, right {_g(r.right)})"
                        if r.left is not None
                        else ""
                    ),
                )
            )
            + "</tr>"
            for r in rows
        )
        table = (
            "<table><tr><th>input</th><th>index</th><th>autodiff</th>"
            "<th>numerical</th><th>error</th><th>tolerance</th><th>verdict</th></tr>"
            f"{cells}</table>"
        )
        return head + notes + table


# --------------------------------------------------------------------------
# units: what is perturbed, and the residual r(s) along it
# --------------------------------------------------------------------------
class _Units(abc.ABC):
    """Arrays over units, and the residual r(s) for unit i."""

    def __init__(self, target: Target):
        self.t = target
        self.count = 0
        self.ad = np.zeros(0)
        self.h = np.zeros(0)  # nominal step per unit
        self.hscale = np.zeros(0)  # magnitude scale of the step (for the engine)
        self.allow = np.zeros(0)  # autodiff's rounding allowance
        self.ref = np.zeros(0)  # typical magnitude of the unit's derivative
        self.notes: list[str] = []

    @abc.abstractmethod
    def residual(self, i: int, s: float) -> tuple[float, float]:
        """(r(s), the step actually taken) for unit i."""

    @abc.abstractmethod
    def label(self, i: int) -> tuple[str, tuple | str]:
        """(input name, index or direction label) of unit i, for the report."""


class _Elements(_Units):
    def __init__(self, target: Target):
        super().__init__(target)
        t = target
        k_all = np.concatenate(
            [np.full(b.size, k, dtype=np.int64) for k, b in enumerate(t.base)]
        )
        j_all = np.concatenate([np.arange(b.size, dtype=np.int64) for b in t.base])
        x = np.concatenate(t.base)
        keep = np.isfinite(x)  # inf/nan inputs cannot be stepped: left out
        self.k, self.j, self.x = k_all[keep], j_all[keep], x[keep]
        self.count = int(self.k.size)
        self.ad = np.concatenate(t.ad)[keep]
        self.hscale = np.maximum(np.abs(self.x), 1.0)
        self.h = t.eps_eval ** (1 / 3) * self.hscale
        rms_k = [_rms(a) for a in t.ad]
        rms = np.array([rms_k[k] for k in self.k]) if self.count else np.zeros(0)
        self.ref = np.maximum(np.abs(self.ad), rms)
        unit = t.eps_ad * t.amplification
        with np.errstate(all="ignore"):
            self.allow = 8 * unit * (np.abs(self.ad) + rms)
            if t.ad64 is not None:
                # rounding measured against float64 autodiff (capped: a bug
                # specific to the low-precision code is not excused beyond
                # 64 eps * rms)
                drift = np.abs(self.ad - np.concatenate(t.ad64)[keep])
                self.allow = self.allow + np.minimum(2 * drift, 64 * unit * rms)
            if t.ad_spread is not None:  # a nondeterministic backward pass
                self.allow = self.allow + 4 * np.concatenate(t.ad_spread)[keep]

    def steps(self, s: np.ndarray) -> np.ndarray:
        """Representable x + s per unit, as actual steps (never 0)."""
        out = np.empty_like(s)
        for k in range(len(self.t.base)):
            m = self.k == k
            x = self.x[m]
            new = self.t.representable(k, x + s[m])
            step = new - x
            zero = step == 0
            if zero.any():  # too small for the dtype: one unit in the last place
                bump = self.t.representable(
                    k, np.nextafter(x[zero], np.sign(s[m][zero]) * np.inf)
                )
                step[zero] = bump - x[zero]
            out[m] = step
        return out

    def residual_at(self, i: int, step: float) -> float:
        k, j = int(self.k[i]), int(self.j[i])
        return self.t.g_element(k, j, self.x[i] + step) - self.ad[i] * step

    def residual(self, i: int, s: float) -> tuple[float, float]:
        step = _one(self, i, s)
        return self.residual_at(i, step), step

    def label(self, i: int):
        k, j = int(self.k[i]), int(self.j[i])
        shape = self.t.shapes[k]
        index = tuple(int(v) for v in np.unravel_index(j, shape)) if shape else ()
        return self.t.names[k], index


def _one(units: _Elements, i: int, s: float) -> float:
    """The representable step for unit i alone."""
    k = int(units.k[i])
    x = units.x[i]
    new = float(units.t.representable(k, np.array([x + s]))[0])
    step = new - x
    if step == 0:
        bump = units.t.representable(
            k, np.nextafter(np.array([x]), math.copysign(np.inf, s))
        )
        step = float(bump[0]) - x
    return step


class _Directions(_Units):
    """Random directions through all checked inputs (and one within each input
    when there are several). A direction that crosses several kinks at once
    cannot be judged as a whole (each kink's subgradient may sit at a
    different end); it is split in two halves, recursively."""

    def __init__(self, target: Target, probes: int, rng):
        super().__init__(target)
        t = target
        self.dirs: list[tuple[str, list[np.ndarray]]] = []
        self._rms = [_rms(a) for a in t.ad]
        self.ad_l: list[float] = []
        self.allow_l: list[float] = []
        self.ref_l: list[float] = []

        def random_dir(only: int | None):
            u = []
            for k, b in enumerate(t.base):
                if only is not None and k != only:
                    u.append(np.zeros(b.size))
                else:
                    finite = np.isfinite(b)
                    scale = np.where(finite, np.maximum(np.abs(b), 1.0), 0.0)
                    u.append(rng.standard_normal(b.size) * scale)
            return u

        for p in range(probes):
            self._add(
                "random direction" + (f" {p + 1}" if probes > 1 else ""),
                random_dir(None),
            )
        if len(t.base) > 1:
            for k in range(len(t.base)):
                self._add(f"random direction within {t.names[k]}", random_dir(k))

    def _add(self, label: str, u: list[np.ndarray]) -> int:
        with np.errstate(all="ignore"):
            return self._add_unchecked(label, u)

    def _add_unchecked(self, label: str, u: list[np.ndarray]) -> int:
        t = self.t
        self.dirs.append((label, u))
        self.ad_l.append(sum(float(a @ uk) for a, uk in zip(t.ad, u, strict=True)))
        # autodiff's rounding: random per element, so it adds up in the 2-norm
        sq = sum(
            float(((np.abs(a) + r) * uk) @ ((np.abs(a) + r) * uk))
            for a, r, uk in zip(t.ad, self._rms, u, strict=True)
        )
        unit = t.eps_ad * t.amplification
        allow = 8 * unit * math.sqrt(sq)
        if t.ad64 is not None:
            drift = abs(
                sum(
                    float((a - b) @ uk)
                    for a, b, uk in zip(t.ad, t.ad64, u, strict=True)
                )
            )
            allow += min(2 * drift, 4 * allow)
        if t.ad_spread is not None:  # a nondeterministic backward pass
            allow += 4 * sum(
                float(sp @ np.abs(uk)) for sp, uk in zip(t.ad_spread, u, strict=True)
            )
        self.allow_l.append(allow)
        nnz = max(1, sum(int(np.count_nonzero(uk)) for uk in u))
        l1 = sum(float(np.abs(a) @ np.abs(uk)) for a, uk in zip(t.ad, u, strict=True))
        self.ref_l.append(max(l1 / math.sqrt(nnz), abs(self.ad_l[-1])))
        self.count = len(self.dirs)
        self.ad = np.array(self.ad_l)
        self.allow = np.array(self.allow_l)
        self.ref = np.array(self.ref_l)
        self.hscale = np.ones(self.count)
        self.h = np.full(self.count, t.eps_eval ** (1 / 3))
        return self.count - 1

    def split(self, i: int) -> list[int]:
        """Two directions, each keeping half of direction i's support."""
        label, u = self.dirs[i]
        flat = np.concatenate(u)
        support = np.flatnonzero(flat)
        if support.size < 2:
            return []
        halves = (support[: support.size // 2], support[support.size // 2 :])
        bounds = np.cumsum([0] + [uk.size for uk in u])
        out = []
        for n, half in enumerate(halves):
            sub = np.zeros_like(flat)
            sub[half] = flat[half]
            parts = [sub[bounds[k] : bounds[k + 1]] for k in range(len(u))]
            out.append(self._add(f"{label}, part {'ab'[n]}", parts))
        return out

    def residual(self, i: int, s: float) -> tuple[float, float]:
        t = self.t
        _, u = self.dirs[i]
        with np.errstate(invalid="ignore"):
            deltas = [
                np.where(uk != 0, t.representable(k, b + s * uk) - b, 0.0)
                for k, (b, uk) in enumerate(zip(t.base, u, strict=True))
            ]
        lin = sum(float(a @ d) for a, d in zip(t.ad, deltas, strict=True))
        return t.g_shifted(deltas) - lin, s

    def label(self, i: int):
        name = "all inputs" if len(self.t.base) > 1 else self.t.names[0]
        return name, self.dirs[i][0]


def _rms(a: np.ndarray) -> float:
    """Root mean square of the finite entries, without overflow."""
    a = a[np.isfinite(a)]
    top = float(np.max(np.abs(a))) if a.size else 0.0
    if top == 0.0:
        return 0.0
    return top * float(np.sqrt(np.mean((a / top) ** 2)))


# --------------------------------------------------------------------------
# the check
# --------------------------------------------------------------------------
@bounded("check gradients")
def check_grad(
    fn,
    *inputs,
    backend: str = "auto",
    mode: str = "full",
    params=None,
    rtol: float = 0.0,
    atol: float = 0.0,
    probes: int = 2,
    seed: int = 0,
    raise_on_failure: bool = False,
    order: int = 1,
    autodiff: str = "reverse",
    terms=None,
) -> GradCheckReport:
    """Check the gradient autodiff gives for ``fn`` against numerical derivatives.

    Parameters
    ----------
    fn : callable or torch.nn.Module
        A PyTorch or JAX function of the inputs, returning a floating tensor
        (any shape) or a tuple of them. Tensor outputs are checked through a
        random vector-Jacobian product ``vᵀJ``.
    *inputs
        Its arguments. PyTorch: the floating tensors with ``requires_grad``
        are checked (all floating tensors when none has it). JAX: every
        floating array is checked.
    backend : {'auto', 'torch', 'jax'}
    mode : {'full', 'directional'}
        ``'full'`` checks every element of every checked input (about two
        calls of ``fn`` per element). ``'directional'`` checks ``probes``
        random directions through all inputs, plus one within each input when
        there are several: 2 calls per direction when it passes, at most 4
        before kink analysis, whatever the input size.
    params : None, bool or list of str
        For a ``torch.nn.Module``: its trainable parameters are checked
        (None/True), none of them (False), or those named.
    rtol, atol : float
        Added to each unit's estimated tolerance (default 0: the tolerance
        comes from the numerical error estimates and the dtype's rounding).
    probes : int
        Random directions in ``'directional'`` mode (1 to 16).
    seed : int
        Seed of the cotangent and the directions (the check is reproducible).
    raise_on_failure : bool
        Raise :class:`GradCheckError` when the check fails.
    order : {1, 2}
        2 checks the double backward pass (torch's gradgradcheck): the
        gradient of autodiff's gradient of ``<w, fn>`` (a fixed random w),
        computed with ``create_graph=True`` (PyTorch) or ``jax.vjp`` inside
        ``jax.vjp``, against numerical derivatives of that gradient.
    autodiff : {'reverse', 'forward'}
        ``'forward'`` checks forward-mode autodiff instead (dual tensors in
        PyTorch, so custom Functions with a ``jvp``, old and new style;
        ``jax.jvp`` for JAX, so ``custom_jvp``): one JVP per element, in
        ``mode='full'``; the backward pass is not run.
    terms : list of callables, optional
        Summands of ``fn`` (same arguments; their outputs add up to fn's),
        written with the framework's own operations. On a failure in
        ``mode='full'``, a summand whose gradient is exactly what autodiff
        lacks (or counts twice) is named: ``missing_term`` (``extra_term``).

    Returns
    -------
    GradCheckReport
        Truthy when it passed; ``print()`` it for the worst elements.

    At a kink (relu, abs, max/min ties, sorting ties) the one-sided derivatives
    differ; autodiff passes when it lies between them. Inputs in
    float16/bfloat16/float32 are compared against a float64 evaluation of
    ``fn`` when ``fn`` accepts float64 (a note says when it does not, and the
    reference then works in the input dtype), with a tolerance for the
    rounding of autodiff in that dtype.
    """
    if mode not in ("full", "directional"):
        raise DfdxError(f"mode must be 'full' or 'directional', got {mode!r}")
    rtol = _check_positive("rtol", rtol, allow_none=False, allow_zero=True)
    atol = _check_positive("atol", atol, allow_none=False, allow_zero=True)
    if isinstance(probes, bool) or not isinstance(probes, int) or not 1 <= probes <= 16:
        raise DfdxError(f"probes must be an integer from 1 to 16, got {probes!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise DfdxError(f"seed must be an integer, got {seed!r}")
    if isinstance(order, bool) or order not in (1, 2):
        raise DfdxError(f"order must be 1 or 2, got {order!r}")
    if autodiff not in ("reverse", "forward"):
        raise DfdxError(f"autodiff must be 'reverse' or 'forward', got {autodiff!r}")
    forward = autodiff == "forward"
    if forward and mode != "full":
        raise DfdxError(
            "autodiff='forward' checks element by element (one JVP each): use "
            "mode='full'"
        )
    if terms is not None:
        if isinstance(terms, (str, bytes)) or not all(
            callable(t) for t in _as_list(terms)
        ):
            raise DfdxError("terms must be a list of callables (the summands of fn)")
        if mode != "full" or forward:
            raise DfdxError("terms= names summands element by element: mode='full'")
    start = time.perf_counter()
    if order == 2:
        fn = first_gradient(backend, fn, inputs, params=params, seed=seed)
        params = None
    target = make_target(backend, fn, inputs, params=params, seed=seed, forward=forward)
    if not math.isfinite(target.value):
        raise DfdxError("fn is not finite at the inputs; nothing to check")
    # a function whose value changes between identical calls cannot be checked
    # unless the change is rounding-sized (GPU atomics, threaded reductions):
    # that spread is measured and allowed for
    t0 = time.perf_counter()
    again = target.g()
    per_call = max(time.perf_counter() - t0, 1e-7)
    if again != 0:
        # the largest of three samples, doubled: a bound on the spread that a
        # few hundred residuals do not exceed by chance
        spread = 2 * max(abs(again), abs(target.g()), abs(target.g()))
        if not spread <= _NONDET_REL * target.scale:
            raise DfdxError(
                "fn gave different values for the same input (<v, fn> moved by "
                f"{again:.3g}): randomness such as dropout? call module.eval() or "
                "fix the seed inside fn"
            )
        target.spread = spread
        target.notes.append(
            f"nondeterministic: fn's value varies by {spread:.1e} between identical "
            f"calls ({spread / target.scale:.1e} relative); the tolerances allow for it"
        )
    if forward:
        _forward_values(target, per_call, start)
        grad_output = _probe_forward(target)
    else:
        grad_output = _probe_backward(target)
    if order == 2:
        target.notes.append(
            "order=2: checked the gradient of autodiff's gradient (the double "
            "backward pass)"
        )
    sizes = [b.size for b in target.base]
    if sum(sizes) == 0:
        raise DfdxError("nothing to check: the checked inputs have no elements")
    bad = sum(int(np.count_nonzero(~np.isfinite(b))) for b in target.base)
    if bad == sum(sizes):
        raise DfdxError("nothing to check: every checked input element is inf or nan")
    if bad:
        target.notes.append(
            f"{bad} input element{'s are' if bad > 1 else ' is'} inf or nan and "
            "left out of the check"
        )
        # their autodiff values take no part in directional projections
        target.ad = [
            np.where(np.isfinite(b), a, 0.0)
            for a, b in zip(target.ad, target.base, strict=True)
        ]
    rng = np.random.default_rng(seed + 1)
    units: _Units = (
        _Elements(target) if mode == "full" else _Directions(target, probes, rng)
    )
    planned = 2 * units.count
    budget = get_time_limit() - (time.perf_counter() - start)
    if planned * per_call > budget and planned > 16:
        # one timing can be a cold start or a busy moment: time a second call
        t0 = time.perf_counter()
        target.g()
        per_call = min(per_call, max(time.perf_counter() - t0, 1e-7))
    if planned * per_call > budget:
        raise DfdxError(
            f"a {mode} check needs about {planned} calls of fn ({per_call * 1e3:.2g} ms "
            f"each, about {planned * per_call:.0f} s), more than the time limit of "
            f"{get_time_limit():g} s: use mode='directional' or raise the limit "
            "with dfdx.set_time_limit()"
        )
    keep, verdict, num, err, tol, left, right = _judge(units, target, rtol, atol)
    report = _report(
        units,
        target,
        mode,
        keep,
        verdict,
        num,
        err,
        tol,
        left,
        right,
        time.perf_counter() - start,
        grad_output,
    )
    if mode == "directional" and report.status != "passed":
        report = _elementwise_followup(report, target, rtol, atol, per_call, start)
    elif terms is not None and report.status == "failed" and order == 1:
        grads = _term_gradients(terms, backend, inputs, params, seed, target)
        key, text, keys = _diagnosis(
            units, target, keep, verdict, num, tol, left, right, grad_output, grads
        )
        report.diagnosis, report.diagnosis_text, report.diagnoses = key, text, keys
    if raise_on_failure and report.status == "failed":
        raise GradCheckError(report)
    return report


def _elementwise_followup(report, target, rtol, atol, per_call, start):
    """A directional check that failed with no class its directions can show
    (a transpose, a permutation, a row), or that was inconclusive because its
    directions crossed too many kinks: checked element by element when that
    fits in half the time left and the inputs have at most _FOLLOWUP_MAX
    elements. A failure takes the elements' diagnosis; an inconclusive check
    takes the element-wise verdict."""
    failed = report.status == "failed"
    if failed and report.diagnosis != "no_known_pattern":
        return report
    if not failed and not any("too many kinks" in n for n in report.notes):
        return report
    elements = sum(b.size for b in target.base)
    planned = 2 * elements
    left = get_time_limit() - (time.perf_counter() - start)
    if elements > _FOLLOWUP_MAX or planned * per_call > 0.5 * left:
        return report
    before = target.nfev
    units = _Elements(target)
    keep, verdict, num, err, tol, left_d, right_d = _judge(units, target, rtol, atol)
    more = target.nfev - before
    if failed:
        if not np.any(verdict == "FAIL"):
            return report  # the elements alone do not show it
        key, text, keys = _diagnosis(
            units, target, keep, verdict, num, tol, left_d, right_d, None
        )
        report.diagnosis, report.diagnosis_text, report.diagnoses = key, text, keys
        report.nfev = target.nfev
        report.seconds = time.perf_counter() - start
        report.notes.append(f"diagnosed element by element ({more} more calls)")
        return report
    full = _report(
        units,
        target,
        "full",
        keep,
        verdict,
        num,
        err,
        tol,
        left_d,
        right_d,
        time.perf_counter() - start,
        None,
    )
    full.notes.append(
        "the random directions crossed too many kinks to be judged: decided "
        f"element by element instead ({more} more calls)"
    )
    return full


def _forward_values(t: Target, per_call: float, start: float) -> None:
    """Autodiff's values by forward mode: ``<v, J e_j>`` for each element j
    (one JVP each; refused up front when they would outlast the time limit)."""
    count = sum(b.size for b in t.base)
    left = get_time_limit() - (time.perf_counter() - start)
    if count * per_call > left:
        raise DfdxError(
            f"a forward-mode check needs {count} JVPs and about {2 * count} calls "
            f"of fn ({per_call * 1e3:.2g} ms each), more than the time limit of "
            f"{get_time_limit():g} s: raise it with dfdx.set_time_limit()"
        )
    ad = []
    for k, b in enumerate(t.base):
        values = np.empty(b.size)
        for j in range(b.size):
            basis = [np.zeros(c.size) for c in t.base]
            basis[k][j] = 1.0
            values[j] = t.jvp(basis)
        ad.append(values)
    t.ad = ad
    t.notes.append(f"forward-mode autodiff: {count} JVPs")


def _probe_forward(t: Target) -> Finding | None:
    """A random tangent u, JVP'd three times: u again (the spread between
    calls) and 2u (a right forward pass doubles its result)."""
    rng = np.random.default_rng(12345)
    u = [rng.standard_normal(b.size) for b in t.base]
    one = t.jvp(u)
    again = t.jvp(u)
    double = t.jvp([2 * c for c in u])
    unit = t.eps_ad * t.amplification
    size = sum(float(np.abs(a) @ np.abs(c)) for a, c in zip(t.ad, u, strict=True))
    rel = 2 * abs(again - one) / size if size > 0 else 0.0
    if again != one and math.isfinite(rel):
        t.ad_spread = [rel * (np.abs(a) + _rms(a)) for a in t.ad]
        t.notes.append(
            f"nondeterministic: forward-mode autodiff varies by {abs(again - one):.1e} "
            "between identical calls; the tolerances allow for it"
        )
    tol = 64 * unit * size + 8 * abs(again - one)
    if not (math.isfinite(one) and math.isfinite(double)) or abs(one) <= tol:
        return None
    if abs(double - 2 * one) <= tol:
        return None
    if abs(double - one) <= tol:
        return Finding(
            "ignores_tangent",
            "forward-mode autodiff ignores the tangent: doubling it left the JVP "
            "unchanged (it should double)",
        )
    return Finding(
        "nonlinear_in_tangent",
        "forward-mode autodiff is not linear in the tangent: doubling it did not "
        f"double the JVP (it changed by × {nice_number(double / one)})",
    )


def _probe_backward(t: Target) -> Finding | None:
    """Run autodiff twice more: with the same cotangent (its spread between
    calls, allowed for from then on) and with the cotangent doubled (a
    correct backward pass doubles its result). A finding when the backward
    pass ignores grad_output or is not linear in it: with a scalar loss
    (cotangent 1) that bug gives the right gradient, and no comparison with
    numerical derivatives can see it."""
    same = [t.vjp(1.0)]
    double = t.vjp(2.0)
    unit = t.eps_ad * t.amplification
    moved_any = any(
        bool(np.any((b != a) & ~(np.isnan(a) & np.isnan(b))))
        for a, b in zip(t.ad, same[0], strict=True)
    )
    if moved_any:  # nondeterministic: one more sample of the spread
        same.append(t.vjp(1.0))
    spread = []
    worst = 0.0
    for k, a in enumerate(t.ad):
        # the spread is taken relative to each element's size, at the
        # largest ratio seen in the input (doubled), so that an element
        # whose samples happened to agree is not held to 0
        with np.errstate(all="ignore"):
            size = np.abs(a) + _rms(a)
            diffs = [np.abs(other[k] - a) for other in same]
            rel = np.concatenate([d / size for d in diffs])
            rel = rel[np.isfinite(rel)]
            top = 2 * float(np.max(rel, initial=0.0))
            sp = top * size
        spread.append(np.where(np.isfinite(sp), sp, 0.0))
        seen = [d[np.isfinite(d)] for d in diffs]
        worst = max([worst] + [float(np.max(d, initial=0.0)) for d in seen])
    if moved_any:
        t.ad_spread = spread
        t.notes.append(
            f"nondeterministic: the backward pass varies by up to {worst:.1e} "
            "between identical calls; the tolerances allow for it"
        )
    linear = True
    ignores = True
    moved = False
    for a, b, sp in zip(t.ad, double, spread, strict=True):
        m = np.isfinite(a) & np.isfinite(b)
        if not m.any():
            continue
        rms = _rms(a[m])
        with np.errstate(invalid="ignore"):
            tol = 64 * unit * (np.abs(a[m]) + rms) + 8 * sp[m]
        linear &= bool(np.all(np.abs(b[m] - 2 * a[m]) <= tol))
        ignores &= bool(np.all(np.abs(b[m] - a[m]) <= tol))
        moved |= bool(np.any(np.abs(a[m]) > tol))
    if linear or not moved:
        return None
    if ignores:
        return Finding(
            "ignores_grad_output",
            "the backward pass ignores grad_output: doubling the cotangent left "
            "autodiff's gradient unchanged (it should double; the chain rule "
            "multiplies by the gradient flowing in)",
        )
    ratios = [
        float(np.median(b[np.abs(a) > 0] / a[np.abs(a) > 0]))
        for a, b in zip(t.ad, double, strict=True)
        if np.any(np.abs(a) > 0)
    ]
    factor = f" (it changed by × {nice_number(ratios[0])})" if ratios else ""
    return Finding(
        "nonlinear_in_grad_output",
        "the backward pass is not linear in grad_output: doubling the cotangent "
        f"did not double autodiff's gradient{factor}",
    )


def _judge(units: _Units, t: Target, rtol: float, atol: float):
    """Verdict, numerical value, error, tolerance and one-sided derivatives
    per unit (directions split at kinks are replaced by their parts)."""

    def user(num):
        return atol + rtol * np.abs(num)

    rnd_by_unit: dict[int, float] = {}
    results: dict[int, tuple] = {}
    if isinstance(units, _Elements):
        n, ad, h = units.count, units.ad, units.h
        sp, sm = units.steps(h), units.steps(-h)
        rp, rm = np.empty(n), np.empty(n)
        noise = np.empty(n)
        for i in range(n):
            rp[i] = units.residual_at(i, sp[i])
            noise[i] = t.noise()
            rm[i] = units.residual_at(i, sm[i])
            noise[i] += t.noise()
        with np.errstate(all="ignore"):
            E1 = (rp - rm) / (sp - sm)
            rnd = noise / np.abs(sp - sm)  # rounding of E1
        rnd_by_unit.update(enumerate(rnd.tolist()))
        tol1 = (
            _ACCEPT_REL * np.maximum(np.abs(ad), np.abs(ad + E1))
            + 8 * rnd
            + units.allow
            + user(ad + E1)
        )
        accepted = np.isfinite(E1) & (np.abs(E1) <= tol1)
        for ii in np.flatnonzero(accepted):
            i = int(ii)
            results[i] = ("ok", E1[i], 8 * rnd[i], tol1[i], np.nan, np.nan)
        for ii in np.flatnonzero(~accepted):
            i = int(ii)
            results[i] = _stage2(
                units,
                t,
                i,
                float(h[i]),
                float(rnd[i]),
                rp[i],
                rm[i],
                sp[i],
                sm[i],
                user,
            )
    else:
        work = list(range(units.count))
        splits = 0
        while work:
            i = work.pop(0)
            hi = float(units.h[i])
            rp_i, sp_i = units.residual(i, hi)
            noise_i = t.noise()
            rm_i, sm_i = units.residual(i, -hi)
            noise_i += t.noise()
            with np.errstate(all="ignore"):
                e1 = (rp_i - rm_i) / (sp_i - sm_i)
            rnd_i = rnd_by_unit[i] = noise_i / abs(sp_i - sm_i)
            a = float(units.ad[i])
            tol1 = (
                _ACCEPT_REL * max(abs(a), abs(a + e1))
                + 8 * rnd_i
                + float(units.allow[i])
                + float(user(a + e1))
            )
            if math.isfinite(e1) and abs(e1) <= tol1:
                results[i] = ("ok", e1, 8 * rnd_i, tol1, np.nan, np.nan)
                continue
            out = _stage2(units, t, i, hi, rnd_i, rp_i, rm_i, sp_i, sm_i, user)
            if out[0] == "FAIL" and not np.isnan(out[4]):
                # several kinks along one direction: their subgradients may sit
                # at different ends, so the interval test cannot convict it
                parts = units.split(i) if splits < _SPLITS else []  # type: ignore[attr-defined]
                if parts:
                    splits += 1
                    work[:0] = parts
                    continue
                out = ("inconclusive", *out[1:])
                units.notes.append(
                    f"{units.label(i)[1]} crosses too many kinks to be judged: "
                    "use mode='full' to check the elements one by one"
                )
            results[i] = out
    confirm = [i for i, r in results.items() if r[0] == "FAIL" and np.isnan(r[4])]
    confirm.sort(key=lambda i: -abs(results[i][1]) / max(results[i][3], 1e-300))
    if t.eval_dtype == "float64":
        for i in confirm[:_CONFIRM_MAX]:
            out = _confirm(units, i, rnd_by_unit[i], user)
            if out is not None:
                results[i] = (*out, np.nan, np.nan)
    keep = sorted(results)
    verdict = np.array([results[i][0] for i in keep], dtype=object)
    E = np.array([float(results[i][1]) for i in keep])
    tol = np.array([float(results[i][3]) for i in keep])
    left = np.array([float(results[i][4]) for i in keep])
    right = np.array([float(results[i][5]) for i in keep])
    ad = units.ad[keep]
    ref = units.ref[keep]
    # inconclusive: the check could not see an error of 25 % in this unit
    scale_all = _rms(np.concatenate(t.ad)) if t.ad else 0.0
    for n, _ in enumerate(keep):
        if verdict[n] in ("ok", "kink"):
            size = max(abs(ad[n]), abs(ad[n] + E[n]), ref[n], scale_all)
            if size > 0 and tol[n] > 0.25 * size:
                verdict[n] = "inconclusive"
    return keep, verdict, ad + E, np.abs(E), tol, left, right


def _levels(units, i, h, rp, rm, sp, sm):
    """The four residuals at ±h, ±2h of unit i (the ±h ones given)."""
    r2p, s2p = units.residual(i, 2 * h)
    r2m, s2m = units.residual(i, -2 * h)
    return (rp, sp), (rm, sm), (r2p, s2p), (r2m, s2m)


def _analyse(t: Target, lv, rnd, allow, user, ad):
    (rp, sp), (rm, sm), (r2p, s2p), (r2m, s2m) = lv
    g0 = t.g0
    with np.errstate(all="ignore"):
        E1 = (rp - rm) / (sp - sm)
        E2 = (r2p - r2m) / (s2p - s2m)
        q2 = ((s2p - s2m) / (sp - sm)) ** 2
        R = (q2 * E1 - E2) / (q2 - 1)
        est = abs(E1 - E2) / (q2 - 1)
        er1, er2 = (rp - g0) / sp, (r2p - g0) / s2p
        el1, el2 = (rm - g0) / sm, (r2m - g0) / s2m
        Rr = (s2p * er1 - sp * er2) / (s2p - sp)
        Rl = (s2m * el1 - sm * el2) / (s2m - sm)
    tol = 2 * est + 8 * rnd + allow + float(user(ad + R))
    kink_tol = 1e-4 * max(abs(ad + Rr), abs(ad + Rl), abs(ad)) + 64 * rnd
    kink = bool(abs(Rr - Rl) > kink_tol)
    return R, est, tol, Rr, Rl, kink


def _stage2(units, t, i, h, rnd, rp, rm, sp, sm, user):
    ad = float(units.ad[i])
    allow = float(units.allow[i])
    lv = _levels(units, i, h, rp, rm, sp, sm)
    R, est, tol, Rr, Rl, kink = _analyse(t, lv, rnd, allow, user, ad)
    if not np.isfinite(R):
        return "inconclusive", 0.0, np.inf, np.inf, np.nan, np.nan
    if not kink:
        ok = abs(R) <= tol
        return ("ok" if ok else "FAIL"), R, est + 8 * rnd, tol, np.nan, np.nan
    # a kink at h: is it at θ, or only within the step?
    for factor in _REFINE:
        hh = h * factor
        rnd_h = rnd / factor
        if 64 * rnd_h >= 0.1 * abs(Rr - Rl):
            break
        rp2, sp2 = units.residual(i, hh)
        rm2, sm2 = units.residual(i, -hh)
        lv2 = _levels(units, i, hh, rp2, rm2, sp2, sm2)
        R2, est2, tol2, Rr2, Rl2, kink2 = _analyse(t, lv2, rnd_h, allow, user, ad)
        if not kink2:  # smooth at θ: the kink was nearby
            ok = abs(R2) <= tol2
            return ("ok" if ok else "FAIL"), R2, est2 + 8 * rnd_h, tol2, np.nan, np.nan
    # the kink is at θ; the one-sided values of the first (least noisy) step
    lo, hi = min(Rr, Rl), max(Rr, Rl)
    ok = lo - tol <= 0.0 <= hi + tol
    return (
        ("kink" if ok else "FAIL"),
        (0.0 if ok else (lo if 0 < lo else hi)),
        est,
        tol,
        ad + Rl,
        ad + Rr,
    )


def _confirm(units, i, rnd, user):
    """The slope of the residual by dfdx's Richardson engine; None when it
    does not converge (the stage-2 verdict stands)."""
    from dfdx.numeric import derivative

    H = float(units.hscale[i])

    def phi(ts):
        ts = np.asarray(ts, dtype=float)
        out = np.array([units.residual(i, float(s) * H)[0] for s in ts.reshape(-1)])
        return out.reshape(ts.shape)

    res = derivative(phi, 0.0, method="richardson")
    if int(res.status) != 0:
        return None
    E = float(res.df) / H
    err = float(res.error) / H
    ad = float(units.ad[i])
    tol = 4 * err + 8 * rnd + float(units.allow[i]) + float(user(ad + E))
    return ("ok" if abs(E) <= tol else "FAIL"), E, err, tol


def _views(units, t, keep, verdict, num, tol, left) -> list[InputView]:
    """The diagnosis's view of the judged units: per input in full mode, one
    for all directions in directional mode."""
    keep_a = np.asarray(keep, dtype=np.int64)
    single = np.isnan(left) & np.isin(verdict, ("ok", "FAIL"))
    value = np.where(single, num, np.nan)
    failed = (verdict == "FAIL") & single  # kinks are judged on their own
    if isinstance(units, _Elements):
        views = []
        for k, name in enumerate(t.names):
            size = t.base[k].size
            sel = units.k[keep_a] == k
            j = units.j[keep_a][sel]
            ad = t.ad[k].copy()
            nm = np.full(size, np.nan)
            tl = np.full(size, np.inf)
            fl = np.zeros(size, dtype=bool)
            nm[j], tl[j], fl[j] = value[sel], tol[sel], failed[sel]
            views.append(InputView(name, t.shapes[k], ad, nm, tl, fl))
        return views
    return [
        InputView(
            "the random directions",
            None,
            units.ad[keep_a],
            value,
            tol,
            failed.astype(bool),
        )
    ]


def _as_list(terms) -> list:
    try:
        return list(terms)
    except TypeError:
        raise DfdxError(
            "terms must be a list of callables (the summands of fn)"
        ) from None


def _term_gradients(terms, backend, inputs, params, seed, target) -> list:
    """(label, autodiff's gradient per checked input) of each summand, with
    the same cotangent as fn's check; refused where the summands do not add
    up to fn."""
    out = []
    total = 0.0
    for k, term in enumerate(_as_list(terms)):
        t = make_target(backend, term, inputs, params=params, seed=seed)
        if [b.size for b in t.base] != [b.size for b in target.base]:
            raise DfdxError(f"terms[{k}] does not take the inputs fn checks")
        total += t.value
        label = getattr(term, "__name__", None) or f"terms[{k}]"
        out.append((label, t.ad))
    if not abs(total - target.value) <= 1e-9 * max(target.scale, abs(target.value)):
        raise DfdxError(
            f"the terms do not add up to fn (<v, sum of terms> = {total:.6g}, "
            f"<v, fn> = {target.value:.6g})"
        )
    return out


def _diagnosis(units, t, keep, verdict, num, tol, left, right, grad_output, terms=()):
    """(key, text, keys) of a failed check."""
    kinks = []
    for n in np.flatnonzero((verdict == "FAIL") & ~np.isnan(left)):
        name, index = units.label(keep[n])
        x = float(units.x[keep[n]]) if isinstance(units, _Elements) else None
        row = GradCheckRow(
            name,
            index,
            float(units.ad[keep[n]]),
            float(num[n]),
            0.0,
            float(tol[n]),
            "FAIL",
            float(left[n]),
            float(right[n]),
            x,
        )
        kinks.append(row.describe())
    views = _views(units, t, keep, verdict, num, tol, left)
    found = diagnose(views, kinks=kinks, grad_output=grad_output, terms=terms)
    if isinstance(units, _Directions) and found[-1].key == "no_known_pattern":
        found[-1] = Finding(
            "no_known_pattern",
            found[-1].text + "; mode='full' compares element by element and can "
            "name more classes",
        )
    keys = tuple(dict.fromkeys(f.key for f in found))
    return keys[0], "\n".join(f"{f.key}: {f.text}" for f in found), keys


def _report(
    units, t, mode, keep, verdict, num, err, tol, left, right, seconds, grad_output
):
    counts = {v: int(np.count_nonzero(verdict == v)) for v in _VERDICTS}
    if counts["FAIL"] or grad_output is not None:
        status = "failed"
    elif counts["inconclusive"]:
        status = "inconclusive"
    else:
        status = "passed"
    ad = units.ad[keep]
    with np.errstate(all="ignore"):
        ratio = np.where(tol > 0, err / tol, np.where(err > 0, np.inf, 0.0))
    rank = {"FAIL": 0, "inconclusive": 1, "ok": 2, "kink": 3}
    order = sorted(range(len(keep)), key=lambda n: (rank[verdict[n]], -ratio[n]))

    def row(n):
        name, index = units.label(keep[n])
        return GradCheckRow(
            input=name,
            index=index,
            autodiff=float(ad[n]),
            numerical=float(num[n]),
            error=float(err[n]),
            tolerance=float(tol[n]),
            verdict=str(verdict[n]),
            left=None if np.isnan(left[n]) else float(left[n]),
            right=None if np.isnan(right[n]) else float(right[n]),
            x=float(units.x[keep[n]]) if isinstance(units, _Elements) else None,
        )

    shown = _SHOW if status != "passed" else 3
    worst = [row(n) for n in order if verdict[n] != "kink"][:shown]
    kinks = [row(n) for n in np.flatnonzero(~np.isnan(left))[:100]]
    with np.errstate(all="ignore"):
        sizes = np.maximum(np.maximum(np.abs(ad), np.abs(num)), units.ref[keep])
        rel = tol[sizes > 0] / sizes[sizes > 0]
    resolution = float(np.median(rel)) if rel.size else float("nan")
    checked = [
        f"{name} {tuple(shape)} {dt}"
        for name, shape, dt in zip(t.names, t.shapes, t.dtypes, strict=True)
    ]
    notes = list(t.notes) + units.notes
    if t.eval_dtype == "float64" and any(d != "float64" for d in t.dtypes):
        notes.append(
            "reference evaluated in float64; autodiff's own rounding in "
            f"{', '.join(sorted(set(t.dtypes) - {'float64'}))} is allowed for"
        )
    if len(keep) < units.count:
        notes.append(
            f"{units.count - len(keep)} directions crossed several kinks at once "
            "and were split into parts, each judged on its own"
        )
    diagnosis = text = None
    keys: tuple = ()
    if status == "failed":
        diagnosis, text, keys = _diagnosis(
            units, t, keep, verdict, num, tol, left, right, grad_output
        )
    return GradCheckReport(
        status=status,
        mode=mode,
        backend=t.backend,
        counts=counts,
        worst=worst,
        kinks=kinks,
        nfev=t.nfev,
        seconds=seconds,
        resolution=resolution,
        inputs=checked,
        notes=notes,
        diagnosis=diagnosis,
        diagnosis_text=text,
        diagnoses=keys,
    )
