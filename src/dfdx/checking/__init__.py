"""Checking derivatives: the limit, the rules, the engine and autodiff side by
side (agreement), and check_grad for PyTorch and JAX.

The layers and what each may import: docs/architecture.md."""
