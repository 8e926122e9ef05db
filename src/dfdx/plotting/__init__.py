"""Figures: the d2l helpers (:mod:`dfdx.plotting.d2l`), function and tangent
plots that do not lie near poles (:mod:`dfdx.plotting.figures`), and the
sampling behind them (:mod:`dfdx.plotting.sampling`).

matplotlib is imported by these modules, never by ``import dfdx``.
"""
