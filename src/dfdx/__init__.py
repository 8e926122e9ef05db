"""dfdx: calculus for deep learning.

Limits as difference quotients, exact derivatives with SymPy, tangent lines,
robust numerical derivatives, gradients, the chain rule and backpropagation,
plus the d2l plotting helpers as a drop-in (``from dfdx import d2l``).

``import dfdx`` is light: SymPy, matplotlib and SciPy load only when a function
that needs them is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    # expressions
    "parse": "expr",
    "Expression": "expr",
    "Domain": "domain",
    # limits
    "numerical_lim": "limits",
    "limit_table": "limits",
    "LimitTable": "limits",
    "limit": "lim",
    "LimitResult": "lim",
    "LimitStep": "lim",
    # exact calculus
    "diff": "symbolic",
    "tangent_line": "symbolic",
    "TangentLine": "symbolic",
    # numerical derivatives of callables
    "derivative": "numeric",
    "DerivativeResult": "numeric",
    # step-by-step derivatives, the definition, the chapter's exercises
    "explain": "steps",
    "Steps": "steps",
    "Step": "steps",
    "differentiable": "definition",
    "Differentiability": "definition",
    "from_definition": "definition",
    "Derivation": "definition",
    "exercises": "solutions",
    "Exercise": "solutions",
    "Exercises": "solutions",
    # checking a learner's answer
    "check_answer": "answers",
    "AnswerCheck": "answers",
    # several variables, the chain rule, backpropagation
    "partial": "multivariate",
    "gradient": "multivariate",
    "jacobian": "multivariate",
    "hessian": "multivariate",
    "matrix_rule": "matrix_rules",
    "gradient_rules": "matrix_rules",
    "SymbolicGradient": "multivariate",
    "SymbolicJacobian": "multivariate",
    "SymbolicHessian": "multivariate",
    "MatrixRule": "matrix_rules",
    "chain_rule": "chain",
    "ChainRule": "chain",
    "trace": "graph",
    "ComputationGraph": "graph",
    # #@save: the marked code of notebooks as a module
    "save_marked": "marked",
    "SavedModule": "marked",
    # checking autodiff gradients (PyTorch, JAX)
    "check_grad": "gradcheck",
    "GradCheckReport": "gradcheck",
    "GradCheckError": "gradcheck",
    "agree": "agreement",
    "Agreement": "agreement",
    # figures
    "plot_function": "plotting.figures",
    "plot_tangent": "plotting.figures",
    "plot_gradient_field": "plotting.fields",
    "plot_tangent_plane": "plotting.fields",
    "animate_secants": "plotting.animation",
    "SecantAnimation": "plotting.animation",
    "explore": "plotting.explorer",
    "Explorer": "plotting.explorer",
    # time limits
    "set_time_limit": "_timelimit",
    "get_time_limit": "_timelimit",
    "set_memory_limit": "_timelimit",
    "get_memory_limit": "_timelimit",
    # errors
    "DfdxError": "errors",
    "NotationWarning": "errors",
    "ParseError": "errors",
    "NotDifferentiableError": "errors",
    "UndefinedError": "errors",
}
_SUBMODULES = {"d2l": "plotting.d2l"}

__all__ = sorted([*_EXPORTS, *_SUBMODULES, "__version__"])

if TYPE_CHECKING:  # pragma: no cover
    from ._timelimit import (
        get_memory_limit,
        get_time_limit,
        set_memory_limit,
        set_time_limit,
    )
    from .agreement import Agreement, agree
    from .answers import AnswerCheck, check_answer
    from .chain import ChainRule, chain_rule
    from .definition import (
        Derivation,
        Differentiability,
        differentiable,
        from_definition,
    )
    from .domain import Domain
    from .errors import (
        DfdxError,
        NotationWarning,
        NotDifferentiableError,
        ParseError,
        UndefinedError,
    )
    from .expr import Expression, parse
    from .gradcheck import GradCheckError, GradCheckReport, check_grad
    from .graph import ComputationGraph, trace
    from .lim import LimitResult, LimitStep, limit
    from .limits import LimitTable, limit_table, numerical_lim
    from .matrix_rules import MatrixRule, gradient_rules, matrix_rule
    from .multivariate import (
        SymbolicGradient,
        SymbolicHessian,
        SymbolicJacobian,
        gradient,
        hessian,
        jacobian,
        partial,
    )
    from .numeric import DerivativeResult, derivative
    from .plotting import d2l
    from .plotting.animation import SecantAnimation, animate_secants
    from .plotting.explorer import Explorer, explore
    from .plotting.fields import plot_gradient_field, plot_tangent_plane
    from .plotting.figures import plot_function, plot_tangent
    from .solutions import Exercise, Exercises, exercises
    from .steps import Step, Steps, explain
    from .symbolic import TangentLine, diff, tangent_line


def _hook(module: str, name: str):
    """A function that imports dfdx.<module> on first call and calls its
    <name> (see dfdx._wiring)."""

    def call(*args, **kwargs):
        return getattr(importlib.import_module(f".{module}", __name__), name)(
            *args, **kwargs
        )

    call.__name__ = name
    return call


def _wire() -> None:
    from . import _wiring

    _wiring.diff = _hook("symbolic", "diff")
    _wiring.read_expression = _hook("expr", "as_expression")
    _wiring.graph_animation = _hook("plotting.animation", "GraphAnimation")
    _wiring.plot_error_vs_h = _hook("plotting.figures", "plot_error_vs_h")
    _wiring.plot_function = _hook("plotting.figures", "plot_function")


_wire()


def __getattr__(name: str):
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        value = getattr(module, name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{_SUBMODULES[name]}", __name__)
    else:
        raise AttributeError(f"module 'dfdx' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return __all__
