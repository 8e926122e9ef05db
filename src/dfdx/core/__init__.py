"""Foundations: errors, time and memory limits (and `bounded`, every public
operation's wrapper), atomic files, argument checks, the two languages, CJK
fonts, and the hooks by which a lower layer reaches an upper one. Imports
nothing else of dfdx.

The layers and what each may import: docs/architecture.md."""
