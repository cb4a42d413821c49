"""The IR: the op registry, the graph built from a syntax tree, the checks over it."""
