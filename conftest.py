"""Shared pytest set-up: figures render off-screen (Agg) everywhere, doctests too."""

import matplotlib

matplotlib.use("Agg")
