"""Checks that need only the syntax tree: names a reader cannot tell apart."""

from __future__ import annotations

from . import ast, codes
from .diagnostics import Diagnostic, Note, warning
from .names import script_difference, skeleton


def defined_names(program: ast.Program) -> list[ast.Name]:
    """Every name a spec defines: inputs, values, blocks, and a block's parameters,
    inputs and values, in source order. Names are defined by statements only, so
    only statements are visited, never the expressions inside them."""
    found: list[ast.Name] = []
    for st in program.statements:
        if isinstance(st, (ast.InputDecl, ast.Assign)):
            found.append(st.name)
            found.extend(getattr(st, "more_names", ()))
        elif isinstance(st, ast.BlockDecl):
            found.append(st.name)
            found.extend(p.name for p in st.params)
            found.extend(st.inputs)
            for inner in st.body:
                if isinstance(inner, ast.Assign):
                    found.append(inner.name)
                    found.extend(inner.more_names)
    return found


def confusable_names(program: ast.Program) -> list[Diagnostic]:
    """A warning for each defined name that looks like an earlier, different one
    (`hal` and `hаl` with a Cyrillic `а`): one skeleton lookup per name."""
    first: dict[str, ast.Name] = {}
    diags = []
    for name in defined_names(program):
        key = skeleton(name.text)
        earlier = first.setdefault(key, name)
        if earlier.text == name.text:
            continue
        why = script_difference(name.text, earlier.text)
        diags.append(
            warning(
                codes.CONFUSABLE_NAMES,
                f"'{name.text}' looks like '{earlier.text}' but is another name"
                + (f": it {why}" if why else ""),
                name.span,
                help="write both with the same letters, or give one a name that looks different",
                notes=[Note(f"'{earlier.text}' is defined here", earlier.span)],
            )
        )
    return diags
