"""Teaching: a step and its renderings, the catalogue of slips, derivations step
by step, limits and limit tables, differentiability from the definition, and
the check of a learner's answer.

The layers and what each may import: docs/architecture.md."""
