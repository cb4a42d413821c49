"""The language: source text, diagnostics, grammar and parser, syntax tree, imports, formatter."""
