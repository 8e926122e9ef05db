"""Several variables: gradients, Jacobians, Hessians, the book's matrix rules,
computation graphs with their backward pass, the chain rule as a sum over
paths.

The layers and what each may import: docs/architecture.md."""
