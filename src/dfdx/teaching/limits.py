"""The derivative as a limit: difference quotients as h shrinks.

:func:`numerical_lim` is the chapter's ``(f(x + h) - f(x)) / h``;
:func:`limit_table` runs it for a sequence of steps and prints the chapter's
lines; :meth:`LimitTable.plot` draws the error against h on log–log axes, where
the truncation error (slope 1 for forward, 2 for central differences) meets the
round-off error (slope −1).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from dfdx.core._bounded import bounded
from dfdx.core._checks import finite_number
from dfdx.core._timelimit import guarded
from dfdx.core.i18n import check_lang
from dfdx.errors import DfdxError
from dfdx.text.expr import as_expression, call_real, is_expression_like

__all__ = [
    "numerical_lim",
    "limit_table",
    "LimitTable",
    "difference_quotient",
    "SCHEMES",
]

#: Difference-quotient schemes: name -> (description, truncation order).
SCHEMES = {
    "forward": ("(f(x + h) - f(x)) / h", 1),
    "backward": ("(f(x) - f(x - h)) / h", 1),
    "central": ("(f(x + h) - f(x - h)) / (2h)", 2),
}


#: the words of a table's rows, by language
_ROW_WORDS = {
    "en": {
        "sep": ", ",
        "limit": "numerical limit",
        "exact": "exact",
        "error": "error",
        "diverging": "  (not converging)",
        "note": "note: ",
        "at": "{f} at x = {x}",
        "colon": ": ",
    },
    "zh": {
        "sep": "，",
        "limit": "数值极限",
        "exact": "精确值",
        "error": "误差",
        "diverging": "（不收敛）",
        "note": "注：",
        "at": "{f}，x = {x}",
        "colon": "：",
    },
}


def numerical_lim(f: Callable, x: float, h: float) -> float:
    """The chapter's forward difference quotient ``(f(x + h) - f(x)) / h``.

    Parameters
    ----------
    f : callable or str
        The function (a Python callable or expression text).
    x, h : float
        The point and the step.

    Examples
    --------
    >>> from dfdx import numerical_lim
    >>> def f(x):
    ...     return 3 * x ** 2 - 4 * x
    >>> print(f"{numerical_lim(f, 1, 0.1):.5f}")
    2.30000
    """
    func = _as_function(f)
    finite_number(x, "x")
    finite_number(h, "h")
    if h == 0:
        raise DfdxError("h must be nonzero")
    with np.errstate(all="ignore"):
        return (call_real(func, x + h) - call_real(func, x)) / h


def difference_quotient(f: Callable, x, h, scheme: str = "forward"):
    """The difference quotient of `scheme` (see :data:`SCHEMES`), vectorised
    over NumPy arrays `x` and `h`."""
    func = _as_function(f)
    if scheme not in SCHEMES:
        raise DfdxError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")
    if scheme == "forward":
        return (func(x + h) - func(x)) / h
    if scheme == "backward":
        return (func(x) - func(x - h)) / h
    return (func(x + h) - func(x - h)) / (2 * h)


def _as_function(f):
    if is_expression_like(f):
        return as_expression(f, name="f")
    if not callable(f):
        raise DfdxError(
            f"f must be a callable or expression text, got {type(f).__name__}"
        )
    return guarded(f)


@dataclass(frozen=True)
class LimitTable:
    """Difference quotients at one point for shrinking steps h.

    ``str(table)`` prints the chapter's lines (``h=0.10000, numerical
    limit=2.30000``). When the exact derivative is known (expression input, or
    ``exact=`` given), :meth:`format` with ``exact=True``, the notebook display
    and the CLI also show it and each row's error.

    Attributes
    ----------
    x : float
        The point.
    scheme : str
        ``'forward'``, ``'backward'`` or ``'central'``.
    h : tuple of float
        The steps, largest first.
    values : tuple of float
        The difference quotient for each step.
    exact : float or None
        The exact derivative, when known.
    function : str
        The function's text or name.
    """

    x: float
    scheme: str
    h: tuple
    values: tuple
    exact: float | None = None
    function: str = "f"
    show_exact: bool = False
    lang: str = "en"
    _f: Callable | None = field(default=None, repr=False, compare=False)

    @property
    def errors(self) -> tuple | None:
        """Absolute error of each row, when the exact derivative is known."""
        if self.exact is None:
            return None
        return tuple(abs(v - self.exact) for v in self.values)

    @property
    def best(self) -> tuple[float, float]:
        """(h, value) of the row closest to the exact value (or the last row)."""
        errs = self.errors
        if errs is None:
            return self.h[-1], self.values[-1]
        finite = [(e, i) for i, e in enumerate(errs) if math.isfinite(e)]
        i = min(finite)[1] if finite else len(self.h) - 1
        return self.h[i], self.values[i]

    @property
    def diverging(self) -> tuple[bool, ...]:
        """For each row, whether it shows the quotients running away instead
        of settling: not finite, or grown by about 1/ratio since the previous
        row (the quotient grows like 1/h: f is undefined, infinite or jumps at
        x, so there is no derivative to converge to)."""
        out = []
        for i, v in enumerate(self.values):
            if not math.isfinite(v):
                out.append(True)
                continue
            if i == 0:
                out.append(False)
                continue
            prev = self.values[i - 1]
            step = self.h[i] / self.h[i - 1]
            grown = abs(v) > 1 and abs(v) >= 0.5 * abs(prev) / step > 0
            out.append(bool(grown and abs(v) > 2 * abs(prev)))
        if any(out[1:]) and not out[0] and len(out) > 1 and out[1]:
            out[0] = math.isfinite(self.values[0]) and abs(self.values[0]) > 1
        return tuple(out)

    @property
    def note(self) -> str | None:
        """A warning when the quotients do not settle as h shrinks (in the
        table's :attr:`lang`)."""
        return self._note(self.lang)

    def _note(self, lang: str) -> str | None:
        if not any(self.diverging):
            return None
        if lang == "zh":
            return (
                "h 缩小时差商不收敛（标为“不收敛”的行像 1/h 那样增长或不是有限数）："
                f"f 在 x = {self.x:g} 处无定义、为无穷大或有跳跃，这些数值不逼近任何导数"
            )
        return (
            "the difference quotients do not converge as h shrinks (rows marked "
            "'not converging' grow like 1/h or are not finite): f is undefined, "
            "infinite or jumps at x = "
            f"{self.x:g}, so these numbers approximate no derivative"
        )

    def rows(self) -> list[dict]:
        """The table as a list of dicts (h, value and, if known, exact, error)."""
        out = []
        errs = self.errors
        for i, (h, v) in enumerate(zip(self.h, self.values)):
            row = {"h": h, "value": v, "converging": not self.diverging[i]}
            if errs is not None:
                row["exact"] = self.exact
                row["error"] = errs[i]
            out.append(row)
        return out

    def _h_text(self, h: float) -> str:
        # the chapter's format while it is readable, scientific below it
        if all(s >= 0.5e-5 for s in self.h):
            return f"{h:.5f}"
        return f"{h:.0e}"

    def format(
        self,
        *,
        exact: bool = False,
        digits: int | None = None,
        lang: str | None = None,
    ) -> str:
        """The table as text; with ``exact=True`` each row also shows the exact
        value and the error (requires a known exact derivative). `digits`
        defaults to the chapter's 5 decimals, 12 when h goes below 1e-5.
        ``lang='zh'`` writes the rows' words in Chinese (the default is the
        table's :attr:`lang`; in English the lines are the chapter's own,
        ``h=0.10000, numerical limit=2.30000``)."""
        lang = self.lang if lang is None else lang
        check_lang(lang)
        words = _ROW_WORDS[lang]
        if digits is None:
            digits = 5 if all(s >= 0.5e-5 for s in self.h) else 12
        if exact and self.exact is None:
            raise DfdxError(
                "the exact derivative is not known; pass exact= or an expression"
            )
        lines = []
        errs = self.errors
        flags = self.diverging
        for i, (h, v) in enumerate(zip(self.h, self.values)):
            sep = words["sep"]
            line = f"h={self._h_text(h)}{sep}{words['limit']}={v:.{digits}f}"
            if exact and errs is not None:  # exact=True with no exact value raised
                line += (
                    f"{sep}{words['exact']}={self.exact:.{digits}f}"
                    f"{sep}{words['error']}={errs[i]:.1e}"
                )
            if flags[i]:
                line += words["diverging"]
            lines.append(line)
        note = self._note(lang)
        if note:
            lines.append(f"{words['note']}{note}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format(exact=self.show_exact)

    def _repr_html_(self) -> str:
        words = _ROW_WORDS[self.lang]
        head = f"<tr><th>h</th><th>{words['limit']}</th>"
        if self.exact is not None:
            head += f"<th>{words['exact']}</th><th>{words['error']}</th>"
        head += "</tr>"
        body = []
        errs = self.errors
        for i, (h, v) in enumerate(zip(self.h, self.values)):
            cells = f"<td>{h:.1e}</td><td>{v:.10g}</td>"
            if errs is not None:
                cells += f"<td>{self.exact:.10g}</td><td>{errs[i]:.1e}</td>"
            body.append(f"<tr>{cells}</tr>")
        formula = html.escape(SCHEMES[self.scheme][0])
        at = words["at"].format(f=self.function, x=f"{self.x:g}")
        caption = html.escape(at) + f"{words['colon']}{formula}"
        return f"<table><caption>{caption}</caption>{head}{''.join(body)}</table>"

    def plot(self, *, ax=None, h_min: float = 1e-16, output=None, lang: str = "en"):
        """Log–log error against h for forward and central differences.

        The truncation error falls with slope 1 (forward) and 2 (central) until
        round-off, growing like eps/h (slope −1), takes over. Reference slopes
        are drawn as dotted lines; the table's own rows are marked.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure if omitted.
        h_min : float, optional
            Smallest step drawn (default 1e-16).
        output : str or path, optional
            Save the figure there (format from the extension: svg, png, pdf).
        lang : {'en', 'zh'}, optional
            Language of the labels, legend and title.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from dfdx.core import _wiring  # figures are above the limit tables

        return _wiring.plot_error_vs_h(
            self._f,
            self.x,
            exact=self.exact,
            h_max=max(self.h),
            h_min=h_min,
            marks=(self.scheme, self.h, self.values),
            title=f"{self.function} at x = {self.x:g}"
            if lang == "en"
            else f"{self.function}，x = {self.x:g} 处",
            ax=ax,
            output=output,
            lang=lang,
        )


#: Longest time spent on the exact derivative shown beside a table (seconds);
#: past it the table comes without the exact column.
EXACT_SECONDS = 2.0


@bounded("make the limit table")
def limit_table(
    f,
    x: float,
    *,
    h: float = 0.1,
    steps: int = 5,
    ratio: float = 0.1,
    scheme: str = "forward",
    exact: float | None = None,
    show_exact: bool = False,
    lang: str = "en",
) -> LimitTable:
    """Difference quotients of f at x for h, h·ratio, h·ratio², ...

    Parameters
    ----------
    f : callable or str
        The function: a Python callable or expression text such as
        ``"3*x**2 - 4*x"`` (then the exact derivative is known too).
    x : float
        The point.
    h : float, optional
        The first step (default 0.1). Must be positive.
    steps : int, optional
        Number of rows (default 5, as in the chapter; at most 40). Run it down
        to h = 1e-16 (``steps=16``) to see round-off take over.
    ratio : float, optional
        Factor between successive steps, in (0, 1) (default 0.1).
    scheme : {'forward', 'backward', 'central'}, optional
        The difference quotient (default ``'forward'``, the chapter's).
    exact : float, optional
        The exact derivative, to show errors for a callable `f`.
    show_exact : bool, optional
        Make ``str(table)`` show the exact value and each row's error too
        (default False: the chapter's lines only).
    lang : {'en', 'zh'}, optional
        Language of the table's words (its text and its notebook display).

    Returns
    -------
    LimitTable
        ``print(table)`` gives the chapter's lines.

    Examples
    --------
    >>> import dfdx
    >>> print(dfdx.limit_table("3*x**2 - 4*x", 1))
    h=0.10000, numerical limit=2.30000
    h=0.01000, numerical limit=2.03000
    h=0.00100, numerical limit=2.00300
    h=0.00010, numerical limit=2.00030
    h=0.00001, numerical limit=2.00003
    >>> t = dfdx.limit_table("3*x**2 - 4*x", 1, scheme="central", steps=2)
    >>> print(t.format(exact=True))
    h=0.10000, numerical limit=2.00000, exact=2.00000, error=0.0e+00
    h=0.01000, numerical limit=2.00000, exact=2.00000, error=1.3e-15
    """
    x = finite_number(x, "x")
    h = finite_number(h, "h")
    if h <= 0:
        raise DfdxError(f"h must be positive, got {h!r}")
    check_lang(lang)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise DfdxError(f"steps must be an integer, got {steps!r}")
    if not 1 <= steps <= 40:
        raise DfdxError(f"steps must be between 1 and 40, got {steps!r}")
    ratio = finite_number(ratio, "ratio")
    if not 0 < ratio < 1:
        raise DfdxError(f"ratio must be between 0 and 1, got {ratio!r}")
    if scheme not in SCHEMES:
        raise DfdxError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")
    if exact is not None:
        exact = finite_number(exact, "exact")
    if show_exact and exact is None and not is_expression_like(f):
        raise DfdxError("show_exact=True needs the exact derivative: pass exact=")
    func = _as_function(f)
    name = getattr(f, "__name__", "f")
    if is_expression_like(f):
        expr = func
        if len(expr.variables) > 1:
            raise DfdxError(
                f"f has several variables ({', '.join(expr.variables)}); "
                "a limit table needs a function of one variable"
            )
        name = str(expr)
        if exact is None:
            exact = _exact_derivative(expr, x)
    hs, values = [], []
    step = h
    for _ in range(int(steps)):
        # repeated multiplication, exactly as the chapter's loop does
        v = _quotient(func, x, step, scheme)
        hs.append(step)
        values.append(v)
        step *= ratio
    if all(not math.isfinite(v) for v in values):
        raise DfdxError(
            f"f is undefined, infinite or too large for floating point near "
            f"x = {x:g}: every difference quotient is inf or nan"
        )
    return LimitTable(
        x=x,
        scheme=scheme,
        h=tuple(hs),
        values=tuple(values),
        exact=exact,
        function=name,
        show_exact=bool(show_exact),
        lang=lang,
        _f=func,
    )


def _quotient(func, x: float, h: float, scheme: str) -> float:
    """One difference quotient from scalar calls of f, as the chapter computes
    it; a user's f that fails or returns something odd is a DfdxError."""
    xs = {"forward": (x + h, x), "backward": (x, x - h), "central": (x + h, x - h)}
    hi, lo = xs[scheme]
    with np.errstate(all="ignore"):
        fh = np.float64(call_real(func, hi))
        fl = np.float64(call_real(func, lo))
        diff = fh - fl
        return float(diff / (2 * h) if scheme == "central" else diff / h)


def _exact_derivative(expr, x: float) -> float | None:
    """f'(x) from the exact derivative, or None where it does not exist."""
    from dfdx.core._timelimit import time_limit
    from dfdx.errors import NotDifferentiableError, UndefinedError
    from dfdx.exact.symbolic import derivative_at

    try:
        with time_limit(EXACT_SECONDS, "find the exact derivative"):
            _, slope = derivative_at(expr, x)
            return float(slope)
    except (NotDifferentiableError, UndefinedError):
        return None
    except DfdxError:  # too slow or too large: the table is still the table
        return None
