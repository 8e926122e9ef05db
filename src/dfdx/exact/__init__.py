"""Exact calculus: symbol helpers, tidy forms and equality (by pieces and
domains), exact derivatives, tangent lines and kinks.

The layers and what each may import: docs/architecture.md."""
