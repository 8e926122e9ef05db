"""Expression text and the Expression type: textbook notation, domains, the
grammar's functions, tokens, the whitelisted AST walk, NumPy and JavaScript
code, and `parse`/`Expression` (text/expr.py).

The layers and what each may import: docs/architecture.md."""
