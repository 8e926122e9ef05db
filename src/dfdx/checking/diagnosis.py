"""What kind of bug a failed gradient check found: :func:`diagnose`.

Works on NumPy arrays only: per checked input, autodiff's values ``a`` (its
vector-Jacobian product), the numerical reference ``n`` and each element's
tolerance, as :func:`dfdx.check_grad` measured them. A class is named only
where every compared element fits it within that element's own tolerance:

- ``zero``: a = 0 where n is not (a path autodiff does not see: detach(),
  no_grad, a backward pass that returns None);
- ``sign``: a = -n;
- ``scale``: a = c·n for one c ≠ 1 (c stated, as a fraction when it is one);
- ``transpose``: a square matrix input's a is n transposed;
- ``swapped_inputs``: input i's a is input j's n (and the other way round);
- ``permuted``: a holds n's values in another order (a sort or gather whose
  backward forgot to scatter back);
- ``wrong_elements``: a subset of the elements, at most half, is off while
  the rest agree, with its pattern (one element, a row, a column, the
  diagonal, the boundary) where it has one;
- ``not_differentiable_here``: autodiff lies outside the one-sided slopes at
  a kink;
- ``missing_term`` / ``extra_term``: autodiff minus the numerical gradient
  is minus (plus) the gradient of one summand of f, where the user marks the
  summands (``check_grad(..., terms=[...])``);
- ``ignores_grad_output`` / ``nonlinear_in_grad_output``: the backward pass
  gave the same values (or values not doubled) when the cotangent was
  doubled; found by :func:`dfdx.check_grad`'s probe, passed in here.

Where several fit, all are named (the first is the report's ``diagnosis``);
where none does, ``no_known_pattern``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

__all__ = ["Finding", "InputView", "diagnose", "nice_number"]


@dataclass(frozen=True)
class Finding:
    """One class of bug that fits, with the evidence in a sentence."""

    key: str
    text: str


@dataclass
class InputView:
    """One checked input as the diagnosis sees it (flat arrays, full mode:
    one entry per element; directional mode: one per direction, with
    ``shape`` None).

    ``num`` is NaN where the element has no single numerical value (a kink,
    an inconclusive element or one left out)."""

    name: str
    shape: tuple | None
    ad: np.ndarray
    num: np.ndarray
    tol: np.ndarray
    failed: np.ndarray  # bool: the element's verdict is FAIL


def nice_number(c: float) -> str:
    """c as a short fraction (2, 1/2, -3/2) when it is one to 1e-6, else 6
    significant digits."""
    if not np.isfinite(c):
        return str(c)
    f = Fraction(c).limit_denominator(16)
    small = abs(f.numerator) <= 64
    if small and abs(float(f) - c) <= 1e-6 * max(abs(c), 1e-300):
        return (
            str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"
        )
    return f"{c:.6g}"


def _within(x: np.ndarray, tol: np.ndarray) -> bool:
    with np.errstate(invalid="ignore"):
        return bool(np.all(np.abs(x) <= tol))


def _compared(v: InputView) -> np.ndarray:
    """Elements with a numerical value to compare with."""
    return np.isfinite(v.num) & np.isfinite(v.ad)


def _significant(v: InputView, m: np.ndarray) -> bool:
    """Whether there are two or more compared values, large enough beside
    their tolerances, for a relation between a and n to mean anything (any
    one wrong number is some multiple of the right one)."""
    return bool(np.count_nonzero(np.abs(v.num[m]) > 4 * v.tol[m]) >= 2)


def _sign(v: InputView) -> Finding | None:
    m = _compared(v)
    if not m.any() or not v.failed[m].any() or not _significant(v, m):
        return None
    if _within(v.ad[m] + v.num[m], 2 * v.tol[m]):
        return Finding(
            "sign",
            f"{v.name}: autodiff is the negative of the numerical gradient in every "
            f"one of the {int(m.sum())} compared {_things(v)} (a flipped sign)",
        )
    return None


def _zero(v: InputView) -> Finding | None:
    m = _compared(v)
    if not m.any() or not v.failed[m].any() or not _significant(v, m):
        return None
    if np.all(v.ad[m] == 0):
        return Finding(
            "zero",
            f"{v.name}: autodiff gives 0 in every one of the {int(m.sum())} compared "
            f"{_things(v)} where the numerical gradient is not 0: a path autodiff "
            "does not see (detach(), no_grad, .data, a cast to integers, or a "
            "backward pass that returns None)",
        )
    return None


def _scale(v: InputView) -> Finding | None:
    m = _compared(v)
    if not m.any() or not v.failed[m].any() or not _significant(v, m):
        return None
    a, n, tol = v.ad[m], v.num[m], v.tol[m]
    c = float(a @ n) / float(n @ n)
    if not np.isfinite(c) or c == 0 or abs(c + 1) <= 1e-9:
        return None
    # the numerical values carry their own error (up to their tolerance),
    # and c is fitted to them: twice the tolerance, and 1e-9 of the value
    if not _within(a - c * n, 2 * tol + 1e-9 * np.abs(c * n)):
        return None
    if _within(a - n, tol):  # c = 1 within tolerance: not a scale bug
        return None
    return Finding(
        "scale",
        f"{v.name}: autodiff = {nice_number(c)} × the numerical gradient in every one "
        f"of the {int(m.sum())} compared {_things(v)} (a factor wrong or missing)",
    )


def _transpose(v: InputView) -> Finding | None:
    if v.shape is None or len(v.shape) != 2 or v.shape[0] != v.shape[1]:
        return None
    if v.shape[0] < 2 or not v.failed.any():
        return None
    s = v.shape
    a = v.ad.reshape(s).T
    n = v.num.reshape(s)
    tol = np.maximum(v.tol.reshape(s), v.tol.reshape(s).T)
    m = np.isfinite(n) & np.isfinite(a)
    if not m.any() or not _significant(v, np.isfinite(v.num) & np.isfinite(v.ad)):
        return None
    if _within(a[m] - n[m], tol[m]):
        return Finding(
            "transpose",
            f"{v.name}: autodiff's {s[0]}×{s[1]} gradient is the numerical one "
            "transposed (a matrix gradient with its axes, or a product's operands, "
            "swapped)",
        )
    return None


def _permuted(v: InputView) -> Finding | None:
    m = _compared(v)
    if v.shape is None or m.sum() < 2 or not v.failed[m].any():
        return None
    if not _significant(v, m):
        return None
    a, n, tol = np.sort(v.ad[m]), np.sort(v.num[m]), np.sort(v.tol[m])[::-1]
    if _within(a - n, np.maximum(tol, tol.max())):
        return Finding(
            "permuted",
            f"{v.name}: autodiff holds the numerical gradient's values in another "
            "order (a sort, gather or index whose backward pass does not scatter "
            "back through the permutation)",
        )
    return None


def _swapped(views: list[InputView]) -> list[Finding]:
    out = []
    for i, vi in enumerate(views):
        for vj in views[i + 1 :]:
            if vi.ad.size != vj.ad.size or not (vi.failed.any() or vj.failed.any()):
                continue
            mi, mj = _compared(vi), _compared(vj)
            both = mi & mj
            if not both.any():
                continue
            tol = np.maximum(vi.tol, vj.tol)[both]
            if _within(vi.ad[both] - vj.num[both], tol) and _within(
                vj.ad[both] - vi.num[both], tol
            ):
                out.append(
                    Finding(
                        "swapped_inputs",
                        f"autodiff's gradient for {vi.name} is the numerical gradient "
                        f"of {vj.name}, and the other way round (the backward pass "
                        "returns them in the wrong order)",
                    )
                )
    return out


def _pattern(shape: tuple, bad: np.ndarray) -> str:
    """Where the failing flat indices `bad` lie in an array of `shape`."""
    size = int(np.prod(shape)) if shape else 1
    idx = [tuple(int(k) for k in np.unravel_index(j, shape)) for j in bad]
    listed = ", ".join(_index(i) for i in idx[:6]) + (", ..." if len(idx) > 6 else "")
    if len(idx) == 1:
        where = "one element"
    elif len(shape) >= 2 and len({i[0] for i in idx}) == 1 and len(idx) == shape[-1]:
        where = f"row {idx[0][0]}, all of it"
    elif (
        len(shape) >= 2
        and len({i[-1] for i in idx}) == 1
        and len(idx) == (size // shape[-1])
    ):
        where = f"column {idx[0][-1]}, all of it"
    elif len(shape) >= 2 and len({i[0] for i in idx}) == 1:
        where = f"part of row {idx[0][0]}"
    elif len(shape) >= 2 and len({i[-1] for i in idx}) == 1:
        where = f"part of column {idx[0][-1]}"
    elif len(shape) == 2 and shape[0] == shape[1] and all(i[0] == i[1] for i in idx):
        where = "the diagonal" if len(idx) == shape[0] else "part of the diagonal"
    elif shape and all(
        any(k in (0, n - 1) for k, n in zip(i, shape, strict=True)) for i in idx
    ):
        where = "the boundary (first or last along an axis)"
    else:
        where = "no simple pattern"
    return f"{where}: {listed}"


def _index(i: tuple) -> str:
    return "[" + ", ".join(str(k) for k in i) + "]"


def _wrong_elements(v: InputView) -> Finding | None:
    if v.shape is None or not v.failed.any():
        return None
    judged = int(np.count_nonzero(np.isfinite(v.tol)))  # kinks included
    bad = np.flatnonzero(v.failed)
    if 2 * bad.size > judged:
        return None  # most elements are off: not a subset with a cause of its own
    how = ""
    a, n = v.ad[bad], v.num[bad]
    if np.all(np.isfinite(n)) and np.all(np.abs(n) > 4 * v.tol[bad]):
        ratios = a / n
        c = float(np.median(ratios))
        if np.all(np.abs(ratios - c) <= 1e-6 * max(abs(c), 1.0)):
            how = f" (there autodiff = {nice_number(c)} × numerical)"
    return Finding(
        "wrong_elements",
        f"{v.name}: {bad.size} of {judged} elements are off, the others agree "
        "(kinks aside); "
        f"{_pattern(v.shape, bad)}{how}",
    )


def _things(v: InputView) -> str:
    return "elements" if v.shape is not None else "directions"


def _term_findings(views: list[InputView], terms: list) -> list[Finding]:
    """A summand whose gradient is what autodiff lacks (missing) or has
    twice (counted twice): autodiff - numerical = -g_k or +g_k for every
    compared element of every input, g_k the gradient of summand k."""
    out = []
    for k, (label, grads) in enumerate(terms):
        for sign, key, what in (
            (-1, "missing_term", "lacks"),
            (1, "extra_term", "counts twice"),
        ):
            fits = True
            seen = 0
            for v, g in zip(views, grads, strict=True):
                m = _compared(v)
                if not m.any():
                    continue
                d = v.ad[m] - v.num[m]
                seen += int(np.count_nonzero(np.abs(g[m]) > 4 * v.tol[m]))
                if not _within(d - sign * g[m], 2 * v.tol[m]):
                    fits = False
                    break
            if fits and seen:
                out.append(
                    Finding(
                        key,
                        f"autodiff {what} the gradient of term {k + 1} ({label}): "
                        "autodiff - numerical is "
                        f"{'minus ' if sign < 0 else ''}that term's gradient in every "
                        "compared element",
                    )
                )
    return out


def diagnose(
    views: list[InputView],
    *,
    kinks: list[str] = (),  # type: ignore[assignment]
    grad_output: Finding | None = None,
    terms: list = (),  # type: ignore[assignment]
) -> list[Finding]:
    """The classes of bug that fit a failed check, most specific first.

    `kinks` are sentences about kink elements where autodiff lies outside the
    one-sided slopes; `grad_output` the finding of the cotangent probe;
    `terms` (label, gradient per input) of summands of f the user marked."""
    found: list[Finding] = []
    if grad_output is not None:
        found.append(grad_output)
    found += _term_findings(views, list(terms))
    found += _swapped(views)
    for v in views:
        for test in (_zero, _sign, _scale, _transpose, _permuted):
            got = test(v)
            if got is not None:
                found.append(got)
                break  # one relation per input (sign is also a scale, -1)
        else:
            got = _wrong_elements(v)
            if got is not None and not any(
                f.key == "swapped_inputs" and v.name in f.text for f in found
            ):
                found.append(got)
    if kinks:
        more = f" (and {len(kinks) - 1} more)" if len(kinks) > 1 else ""
        found.append(Finding("not_differentiable_here", kinks[0] + more))
    if not found:
        found.append(
            Finding(
                "no_known_pattern",
                "no known pattern (not a sign, a factor, a transpose, a permutation, "
                "swapped inputs or a subset of elements): see the worst elements",
            )
        )
    return found
