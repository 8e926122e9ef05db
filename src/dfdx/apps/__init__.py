"""The chapter's exercises, solved and checked, and #@save (the marked code of
notebooks as a module).

The layers and what each may import: docs/architecture.md."""
