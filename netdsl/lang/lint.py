"""Checks that need only the syntax tree: names a reader cannot tell apart."""

from __future__ import annotations

from . import ast, codes
from .diagnostics import Diagnostic, Note, warning
from .names import script_difference, skeleton


def defined_names(program: ast.Program) -> list[ast.Name]:
    """Every name a spec defines: inputs, values, blocks, and a block's parameters,
    inputs and values, in source order."""
    found: list[ast.Name] = []
    for node in program.walk():
        if isinstance(node, ast.InputDecl):
            found.append(node.name)
        elif isinstance(node, ast.Assign):
            found.append(node.name)
            found.extend(node.more_names)
        elif isinstance(node, ast.BlockDecl):
            found.append(node.name)
            found.extend(p.name for p in node.params)
            found.extend(node.inputs)
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
