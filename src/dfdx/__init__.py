"""dfdx: calculus for deep learning.

Limits as difference quotients, exact derivatives with SymPy, tangent lines,
robust numerical derivatives, gradients, the chain rule and backpropagation,
plus the d2l plotting helpers as a drop-in (``from dfdx import d2l``).

``import dfdx`` is light: SymPy, matplotlib and SciPy load only when a function
that needs them is first used.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    # expressions
    "parse": "text.expr",
    "Expression": "text.expr",
    "Domain": "text.domain",
    # limits
    "numerical_lim": "teaching.limits",
    "limit_table": "teaching.limits",
    "LimitTable": "teaching.limits",
    "limit": "teaching.lim",
    "LimitResult": "teaching.lim",
    "LimitStep": "teaching.lim",
    # exact calculus
    "diff": "exact.symbolic",
    "tangent_line": "exact.symbolic",
    "TangentLine": "exact.symbolic",
    # numerical derivatives of callables
    "derivative": "numeric",
    "DerivativeResult": "numeric",
    # step-by-step derivatives, the definition, the chapter's exercises
    "explain": "teaching.steps",
    "Steps": "teaching.steps",
    "Step": "teaching.steps",
    "differentiable": "teaching.definition",
    "Differentiability": "teaching.definition",
    "from_definition": "teaching.definition",
    "Derivation": "teaching.definition",
    "exercises": "apps.solutions",
    "Exercise": "apps.solutions",
    "Exercises": "apps.solutions",
    # checking a learner's answer
    "check_answer": "teaching.answers",
    "AnswerCheck": "teaching.answers",
    "check_work": "teaching.work",
    "hint": "teaching.hints",
    "Hint": "teaching.hints",
    "WorkCheck": "teaching.work",
    "LineCheck": "teaching.work",
    "ALGEBRA_SLIPS": "teaching.work",
    # several variables, the chain rule, backpropagation
    "partial": "several.multivariate",
    "gradient": "several.multivariate",
    "jacobian": "several.multivariate",
    "hessian": "several.multivariate",
    "matrix_rule": "several.matrix_rules",
    "gradient_rules": "several.matrix_rules",
    "SymbolicGradient": "several.multivariate",
    "SharedGradient": "several.multivariate",
    "SymbolicJacobian": "several.multivariate",
    "SymbolicHessian": "several.multivariate",
    "MatrixRule": "several.matrix_rules",
    "chain_rule": "several.chain",
    "ChainRule": "several.chain",
    "trace": "several.graph",
    "ComputationGraph": "several.graph",
    # #@save: the marked code of notebooks as a module
    "save_marked": "apps.marked",
    "SavedModule": "apps.marked",
    # checking autodiff gradients (PyTorch, JAX)
    "check_grad": "checking.gradcheck",
    "GradCheckReport": "checking.gradcheck",
    "GradCheckError": "checking.gradcheck",
    "agree": "checking.agreement",
    "Agreement": "checking.agreement",
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
    "set_time_limit": "core._timelimit",
    "get_time_limit": "core._timelimit",
    "set_memory_limit": "core._timelimit",
    "get_memory_limit": "core._timelimit",
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
    from dfdx.apps.solutions import Exercise, Exercises, exercises
    from dfdx.checking.agreement import Agreement, agree
    from dfdx.checking.gradcheck import GradCheckError, GradCheckReport, check_grad
    from dfdx.core._timelimit import (
        get_memory_limit,
        get_time_limit,
        set_memory_limit,
        set_time_limit,
    )
    from dfdx.errors import (
        DfdxError,
        NotationWarning,
        NotDifferentiableError,
        ParseError,
        UndefinedError,
    )
    from dfdx.exact.symbolic import TangentLine, diff, tangent_line
    from dfdx.numeric import DerivativeResult, derivative
    from dfdx.plotting import d2l
    from dfdx.plotting.animation import SecantAnimation, animate_secants
    from dfdx.plotting.explorer import Explorer, explore
    from dfdx.plotting.fields import plot_gradient_field, plot_tangent_plane
    from dfdx.plotting.figures import plot_function, plot_tangent
    from dfdx.several.chain import ChainRule, chain_rule
    from dfdx.several.graph import ComputationGraph, trace
    from dfdx.several.matrix_rules import MatrixRule, gradient_rules, matrix_rule
    from dfdx.several.multivariate import (
        SharedGradient,
        SymbolicGradient,
        SymbolicHessian,
        SymbolicJacobian,
        gradient,
        hessian,
        jacobian,
        partial,
    )
    from dfdx.teaching.answers import AnswerCheck, check_answer
    from dfdx.teaching.definition import (
        Derivation,
        Differentiability,
        differentiable,
        from_definition,
    )
    from dfdx.teaching.hints import Hint, hint
    from dfdx.teaching.lim import LimitResult, LimitStep, limit
    from dfdx.teaching.limits import LimitTable, limit_table, numerical_lim
    from dfdx.teaching.steps import Step, Steps, explain
    from dfdx.teaching.work import ALGEBRA_SLIPS, LineCheck, WorkCheck, check_work
    from dfdx.text.domain import Domain
    from dfdx.text.expr import Expression, parse


def _hook(module: str, name: str):
    """A function that imports dfdx.<module> on first call and calls its
    <name> (see dfdx.core._wiring)."""

    def call(*args, **kwargs):
        return getattr(importlib.import_module(f".{module}", __name__), name)(
            *args, **kwargs
        )

    call.__name__ = name
    return call


def _wire() -> None:
    from dfdx.core import _wiring

    _wiring.diff = _hook("exact.symbolic", "diff")
    _wiring.read_expression = _hook("text.expr", "as_expression")
    _wiring.graph_animation = _hook("plotting.animation", "GraphAnimation")
    _wiring.plot_error_vs_h = _hook("plotting.figures", "plot_error_vs_h")
    _wiring.plot_function = _hook("plotting.figures", "plot_function")


_wire()


#: Module paths from before the layers became subpackages (dfdx.expr is
#: dfdx.text.expr, ...): code written against them keeps working, and gets
#: the very module object (so a monkeypatch or an isinstance check sees one
#: module, not a copy). Imported on first use, like everything here.
_MOVED = {
    "_bounded": "core._bounded",
    "_checks": "core._checks",
    "_files": "core._files",
    "_fonts": "core._fonts",
    "_grad_backends": "checking._grad_backends",
    "_numbers": "text._numbers",
    "_timelimit": "core._timelimit",
    "_wiring": "core._wiring",
    "agreement": "checking.agreement",
    "answers": "teaching.answers",
    "builder": "text.builder",
    "chain": "several.chain",
    "codegen": "text.codegen",
    "definition": "teaching.definition",
    "domain": "text.domain",
    "expr": "text.expr",
    "functions": "text.functions",
    "gradcheck": "checking.gradcheck",
    "grammar": "text.grammar",
    "graph": "several.graph",
    "i18n": "core.i18n",
    "jscode": "text.jscode",
    "lim": "teaching.lim",
    "limits": "teaching.limits",
    "marked": "apps.marked",
    "matrix_rules": "several.matrix_rules",
    "multivariate": "several.multivariate",
    "notation": "text.notation",
    "renderings": "teaching.renderings",
    "simplify": "exact.simplify",
    "slips": "teaching.slips",
    "solutions": "apps.solutions",
    "steps": "teaching.steps",
    "symbolic": "exact.symbolic",
    "symbols": "exact.symbols",
}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds dfdx.<old> as the module dfdx.<layer>.<old> (see _MOVED)."""

    def find_spec(self, fullname, path=None, target=None):
        head, _, old = fullname.partition(".")
        if head != __name__ or old not in _MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        old = spec.name.partition(".")[2]
        module = importlib.import_module(f"{__name__}.{_MOVED[old]}")
        spec.loader_state = module.__spec__
        return module

    def exec_module(self, module):
        # the module is the moved one, already executed; the import system
        # gave it the alias's spec: it keeps its own
        module.__spec__ = module.__spec__.loader_state


if not any(isinstance(f, _MovedModules) for f in sys.meta_path):
    sys.meta_path.append(_MovedModules())


def __getattr__(name: str):
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        value = getattr(module, name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{_SUBMODULES[name]}", __name__)
    elif name in _MOVED:  # dfdx.expr as an attribute, as once
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'dfdx' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return __all__
