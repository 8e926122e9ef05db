"""Four ways to one derivative, side by side: :func:`agree`.

The limit (a difference quotient at a small h), the rules (SymPy's exact
derivative), dfdx's numerical engine and autodiff (PyTorch and JAX when they
are installed, and dfdx's own backward pass through the computation graph)
should give the same number; the table shows each value and its distance from
the exact one, with the error each method is expected to have.
"""

from __future__ import annotations

import html
import importlib.util
import math
from dataclasses import dataclass, field

import numpy as np
import sympy

from dfdx.core._bounded import bounded
from dfdx.errors import DfdxError, NotDifferentiableError
from dfdx.text.expr import Expression, as_expression, variable_values
from dfdx.text.textbook import for_people

__all__ = ["agree", "Agreement", "AgreementRow"]

_EPS = float(np.finfo(float).eps)


@dataclass
class AgreementRow:
    """One method: its values (one per variable), distances from the exact
    values, the distance expected from the method, and whether it agrees."""

    method: str
    values: tuple
    differences: tuple
    expected: tuple
    agrees: bool | None
    note: str = ""


@dataclass
class Agreement:
    """The derivative of `expression` at `point` by every method.

    Attributes
    ----------
    expression : str
    point : dict
    wrt : tuple of str
        The variables differentiated by (one column each).
    exact : tuple of float or None
        The derivative from the rules (None where it does not exist).
    formulas : tuple of str
        The derivatives in SymPy's syntax (the text shows them in textbook
        notation).
    rows : list of AgreementRow
    agree : bool or None
        Every method within its expected error of the exact value (None when
        there is no derivative at the point).
    notes : list of str
    """

    expression: str
    point: dict
    wrt: tuple
    exact: tuple
    formulas: tuple
    rows: list
    agree: bool | None
    notes: list = field(default_factory=list)
    partial: bool = False  # several variables: ∂ rather than d
    _shown: tuple = field(default=(), repr=False, compare=False)

    def __bool__(self) -> bool:
        return bool(self.agree)

    def _cells(self):
        head = ["method"] + [f"∂/∂{v}" if self.partial else f"d/d{v}" for v in self.wrt]
        head += ["difference from exact", "expected", "agrees"]
        body = []
        for r in self.rows:
            vals = ["n/a" if v is None else f"{v:.15g}" for v in r.values]
            diffs = ", ".join("" if d is None else f"{d:.1e}" for d in r.differences)
            exp = ", ".join("" if e is None else f"{e:.1e}" for e in r.expected)
            ok = {True: "yes", False: "NO", None: "-"}[r.agrees]
            body.append(
                [r.method, *vals, diffs, exp, ok + (f" ({r.note})" if r.note else "")]
            )
        return head, body

    def __str__(self) -> str:
        at = ", ".join(f"{k} = {v:g}" for k, v in self.point.items())
        f_text, *shown = self._shown or (self.expression, *self.formulas)
        lines = [f"f = {f_text} at {at}"]
        for v, f in zip(self.wrt, shown, strict=True):
            name = f"∂f/∂{v}" if self.partial else f"f'({v})"
            lines.append(f"  {name} = {f}")
        head, body = self._cells()
        widths = [
            max(len(str(row[i])) for row in [head, *body]) for i in range(len(head))
        ]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        lines.append(fmt.format(*head).rstrip())
        lines += [fmt.format(*row).rstrip() for row in body]
        verdict = {
            True: "all methods agree within their expected error",
            False: "some method DISAGREES beyond its expected error",
            None: "no derivative here: the methods cannot agree",
        }[self.agree]
        lines.append(verdict)
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        head, body = self._cells()
        th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
            for row in body
        )
        text = html.escape(str(self).splitlines()[0])
        notes = "".join(f"<p>note: {html.escape(n)}</p>" for n in self.notes)
        return f"<p>{text}</p><table><tr>{th}</tr>{rows}</table>{notes}"

    def to_dict(self) -> dict:
        return {
            "expression": self.expression,
            "point": self.point,
            "wrt": list(self.wrt),
            "exact": list(self.exact),
            "formulas": list(self.formulas),
            "agree": self.agree,
            "rows": [
                {
                    "method": r.method,
                    "values": list(r.values),
                    "differences": list(r.differences),
                    "expected": list(r.expected),
                    "agrees": r.agrees,
                    "note": r.note,
                }
                for r in self.rows
            ],
            "notes": list(self.notes),
        }


def _float(value) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return out if math.isfinite(out) else None


def agree(expr, at, *, wrt=None, h: float = 1e-5) -> Agreement:
    """The limit, the rules, the numerical engine and autodiff side by side.

    Parameters
    ----------
    expr : str or Expression
        The function.
    at : float or mapping
        The point: a number for one variable, ``{"x1": 1, "x2": 0}`` (or a
        sequence in variable order) for several.
    wrt : str or sequence of str, optional
        The variables to differentiate by (default: all, i.e. the gradient).
    h : float
        The step of the difference quotient of the "limit" row (default 1e-5,
        the chapter's smallest).

    Returns
    -------
    Agreement
        Truthy when every method is within its expected error of the exact
        derivative. ``print()`` it for the table.

    Examples
    --------
    >>> import dfdx
    >>> a = dfdx.agree("3x^2 - 4x", at=1)
    >>> a.exact
    (2.0,)
    >>> bool(a)
    True
    """
    # the frameworks are imported before the time limit starts: an import is
    # slow the first time and must never be interrupted half-way
    frameworks: dict[str, object] = {}
    for backend in ("torch", "jax"):
        if importlib.util.find_spec(backend) is not None:
            try:
                frameworks[backend] = importlib.import_module(backend)
            except Exception as exc:  # a broken installation: say so, go on
                frameworks[backend] = exc
    return _agree(expr, at, wrt, h, frameworks)


@bounded("compare the ways to the derivative")
def _agree(expr, at, wrt, h, frameworks) -> Agreement:
    e = as_expression(expr)
    if isinstance(h, bool) or not isinstance(h, (int, float)) or not (0 < h < 1):
        raise DfdxError(f"h must be a number between 0 and 1, got {h!r}")
    if not e.variables:
        raise DfdxError(f"{for_people(e)} has no variable to differentiate by")
    point = _point(e, at)
    names = _wrt(e, wrt)
    notes: list[str] = []
    exact: list[float | None] = []
    formulas = []
    shown = [e.textbook]
    kink = False
    for v in names:
        d = e.diff(v)
        formulas.append(str(d))
        shown.append(d.textbook)
        if len(e.variables) == 1:
            from dfdx.exact.symbolic import derivative_at

            try:
                _, slope = derivative_at(e, point[v], v)
                exact.append(_float(slope))
            except NotDifferentiableError as exc:
                kink = True
                exact.append(None)
                notes.append(str(exc))
        else:
            subs = {sympy.Symbol(k): sympy.Float(val, 30) for k, val in point.items()}
            exact.append(_float(d.sympy.xreplace(subs).evalf(30)))
    if any(x is None for x in exact) and not kink:
        raise DfdxError(
            f"{for_people(e)} has no finite derivative at {_at_text(point)}"
        )
    rows = [_limit_row(e, names, point, h, exact)]
    rows.append(
        AgreementRow(
            "rules (exact, SymPy)",
            tuple(exact),
            tuple(0.0 if x is not None else None for x in exact),
            tuple(0.0 if x is not None else None for x in exact),
            None if kink else True,
        )
    )
    rows.append(_engine_row(e, names, point, exact))
    rows += _autodiff_rows(e, names, point, exact, notes, frameworks)
    judged = [r.agrees for r in rows if r.agrees is not None]
    verdict = None if kink else all(judged)
    return Agreement(
        expression=str(e),
        point=point,
        wrt=tuple(names),
        exact=tuple(exact),
        formulas=tuple(formulas),
        _shown=tuple(shown),
        rows=rows,
        agree=verdict,
        notes=notes,
        partial=len(e.variables) > 1,
    )


def _at_text(point) -> str:
    return ", ".join(f"{k} = {v:g}" for k, v in point.items())


def _point(e: Expression, at) -> dict:
    if isinstance(at, (int, float)) and not isinstance(at, bool):
        if len(e.variables) != 1:
            raise DfdxError(
                f"{for_people(e)} has variables {', '.join(e.variables)}: give at= as a mapping"
            )
        at = {e.variables[0]: at}
    values = variable_values(e, at, name="at")
    missing = [v for v in e.variables if v not in values]
    if missing:
        raise DfdxError(f"at: missing value for {', '.join(missing)}")
    out = {}
    for k in e.variables:
        val = values[k]
        if isinstance(val, bool) or not isinstance(
            val, (int, float, np.floating, np.integer)
        ):
            raise DfdxError(f"at: the value of {k} must be a number, got {val!r}")
        if not math.isfinite(float(val)):
            raise DfdxError(f"at: the value of {k} must be finite, got {val!r}")
        out[k] = float(val)
    return out


def _wrt(e: Expression, wrt) -> list[str]:
    if wrt is None:
        return list(e.variables)
    names = [wrt] if isinstance(wrt, str) else list(wrt)
    for v in names:
        if v not in e.variables:
            raise DfdxError(f"wrt: {v!r} is not a variable of {for_people(e)}")
    return names


def _compare(values, exact, expected):
    diffs, ok = [], True
    for v, x, tol in zip(values, exact, expected, strict=True):
        if v is None or x is None:
            diffs.append(None)
            ok = ok and x is None
            continue
        d = abs(v - x)
        diffs.append(d)
        ok = ok and d <= tol
    return tuple(diffs), ok


def _limit_row(e, names, point, h, exact) -> AgreementRow:
    """Forward difference quotients (f(x + h) - f(x)) / h, as in the chapter;
    the expected distance is h|f''|/2 + rounding."""
    f0 = _float(e(**point))
    values, expected = [], []
    for v, x in zip(names, exact, strict=True):
        step = h * max(1.0, abs(point[v]))
        moved = dict(point, **{v: point[v] + step})
        f1 = _float(e(**moved))
        q = None if f0 is None or f1 is None else (f1 - f0) / step
        values.append(q)
        d2 = None
        if x is not None:
            subs = {sympy.Symbol(k): sympy.Float(val, 30) for k, val in point.items()}
            d2 = _float(e.sympy.diff(sympy.Symbol(v), 2).xreplace(subs).evalf(20))
        curv = abs(d2) if d2 is not None else 0.0
        expected.append(
            2 * (step * curv / 2 + 4 * _EPS * max(abs(f0 or 0.0), 1e-300) / step)
            + 1e-15
        )
    diffs, ok = _compare(values, exact, expected)
    label = f"limit: forward quotient, h = {h:g}"
    return AgreementRow(
        label, tuple(values), diffs, tuple(expected), None if None in exact else ok
    )


def _engine_row(e, names, point, exact) -> AgreementRow:
    from dfdx.numeric import derivative

    values, expected, statuses = [], [], []
    for v in names:

        def slice_(t, v=v):
            t = np.asarray(t, dtype=float)
            return np.asarray(e(**{**point, v: t}), dtype=float) * np.ones_like(t)

        res = derivative(slice_, point[v])
        statuses.append(int(res.status))
        values.append(_float(res.df))
        err = _float(res.error)
        expected.append(
            4 * (err if err is not None else 0.0)
            + 1e-13 * max(1.0, abs(_float(res.df) or 0))
        )
    diffs, ok = _compare(values, exact, expected)
    note = "" if all(s == 0 for s in statuses) else f"status {statuses}"
    return AgreementRow(
        "numerical engine (dfdx.derivative)",
        tuple(values),
        diffs,
        tuple(expected),
        None if None in exact else ok,
        note,
    )


def _autodiff_rows(e, names, point, exact, notes, frameworks) -> list[AgreementRow]:
    rows = []
    tol = tuple(1e-12 * max(1.0, abs(x or 0.0)) + 1e-300 for x in exact)

    def row(label, values, note=""):
        diffs, ok = _compare(values, exact, tol)
        return AgreementRow(
            label, tuple(values), diffs, tol, None if None in exact else ok, note
        )

    # dfdx's own reverse mode: the computation graph's backward pass
    from dfdx.several.graph import trace

    try:
        grads = trace(e, point).backward()
        rows.append(
            row(
                "backward pass (dfdx.trace)", [_float(grads.get(v, 0.0)) for v in names]
            )
        )
    except DfdxError as exc:
        notes.append(f"backward pass: {exc}")
    for backend in ("torch", "jax"):
        label = "PyTorch" if backend == "torch" else "JAX"
        if backend not in frameworks:
            notes.append(
                f"autodiff with {label} skipped: pip install 'dfdx[{backend}]'"
            )
            continue
        if isinstance(frameworks[backend], Exception):
            notes.append(f"autodiff with {label} skipped: import failed")
            continue
        try:
            values = _autodiff(backend, e, names, point)
        except Exception as exc:  # an expression the framework cannot evaluate
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            notes.append(f"autodiff with {backend} failed: {first}")
            continue
        rows.append(
            row(f"autodiff ({'PyTorch' if backend == 'torch' else 'JAX'})", values)
        )
    return rows


def _elementary(body):
    """dfdx's own functions written with what every framework's printer knows."""
    from dfdx.text.functions import real_form, relu, sigmoid, softplus

    return (
        real_form(body)
        .replace(sigmoid, lambda u: 1 / (1 + sympy.exp(-u)))
        .replace(softplus, lambda u: sympy.log(1 + sympy.exp(u)))
        .replace(relu, lambda u: sympy.Piecewise((u, u > 0), (0, True)))
    )


def _autodiff(backend: str, e: Expression, names, point) -> list:
    """Reverse-mode autodiff of the expression written with the framework's
    functions (private argument names, as for NumPy)."""
    symbols = [sympy.Symbol(v) for v in e.variables]
    private = [sympy.Symbol(f"_dfdx_arg{i}") for i in range(len(symbols))]
    body = _elementary(e.sympy.xreplace(dict(zip(symbols, private, strict=True))))
    if backend == "torch":
        import torch

        fn = sympy.lambdify(
            private, body, modules="torch", dummify=True, docstring_limit=0
        )
        args = [
            torch.tensor(point[v], dtype=torch.float64, requires_grad=v in names)
            for v in e.variables
        ]
        out = fn(*args)
        if not isinstance(out, torch.Tensor):
            return [0.0 for _ in names]
        wrt = [a for a, v in zip(args, e.variables, strict=True) if v in names]
        grads = torch.autograd.grad(out, wrt, allow_unused=True)
        by_name = dict(zip([v for v in e.variables if v in names], grads, strict=True))
        return [0.0 if by_name[v] is None else _float(by_name[v]) for v in names]
    import jax
    import jax.numpy as jnp

    from dfdx.checking._grad_backends import _x64

    with _x64(jax):
        fn = sympy.lambdify(
            private, body, modules="jax", dummify=True, docstring_limit=0
        )
        jargs = [jnp.asarray(point[v], dtype=jnp.float64) for v in e.variables]
        idx = [i for i, v in enumerate(e.variables) if v in names]
        grads = jax.grad(
            lambda *a: jnp.asarray(fn(*a), dtype=jnp.float64), argnums=idx
        )(*jargs)
        return [_float(g) for g in grads]
