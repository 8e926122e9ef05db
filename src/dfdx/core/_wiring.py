"""Conveniences a lower layer offers and an upper layer implements.

``Expression.diff`` is exact differentiation (``dfdx.exact.symbolic``), the numeric
engine takes expression text (``dfdx.text.expr`` reads it), and
``ComputationGraph.animate``, ``LimitTable.plot`` and the exercises' figure
are figures (``dfdx.plotting``). The
lower module calls the hook here; the hooks are set by the package's
``__init__`` (the façade, which depends on every layer anyway) to functions
that import the upper module on first use. So no module imports one above
it, ``import dfdx`` stays light, and every ``import dfdx.x`` has run the
``__init__`` that sets them.

Why hooks rather than moving the methods up or dropping them: ``Expression``
is the type every layer passes around, so it must sit low, and
``parse(...).diff()`` is the spelling the README teaches; a registry filled
by the upper modules themselves would be empty until one of them happened to
be imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _unset(*args: Any, **kwargs: Any) -> Any:  # pragma: no cover - set by dfdx
    raise RuntimeError("dfdx's hooks are set by dfdx/__init__.py")


#: diff(expression, wrt, n=...) -> Expression (dfdx.exact.symbolic.diff)
diff: Callable[..., Any] = _unset
#: read_expression(text_or_sympy, name=...) -> Expression (dfdx.text.expr.as_expression)
read_expression: Callable[..., Any] = _unset
#: graph_animation(graph, lang=...) -> GraphAnimation (dfdx.plotting.animation)
graph_animation: Callable[..., Any] = _unset
#: plot_error_vs_h(...) for LimitTable.plot (dfdx.plotting.figures)
plot_error_vs_h: Callable[..., Any] = _unset
#: plot_function(...) for the exercises' figure (dfdx.plotting.figures)
plot_function: Callable[..., Any] = _unset
