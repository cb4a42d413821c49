"""`import "file.net"` and `from "file.net" import a, b as c`: blocks from other files.

Paths are resolved relative to the importing file. A file outside the
directory tree of the top-level spec is refused unless it lies under an
`--include-path`. An imported file holds blocks (and imports) only. Its
syntax trees keep their own file number in every span (Span.file), so that
a diagnostic points into the right file.
"""

from __future__ import annotations

import dataclasses
import os

from . import ast, codes
from .diagnostics import Diagnostic, Note, SpecError, did_you_mean, error
from .source import Source, Span


@dataclasses.dataclass
class Module:
    """One imported file: its blocks, and the names its blocks can use."""

    blocks: dict[str, ast.BlockDecl]
    namespace: dict[str, ast.BlockDecl]


class Resolver:
    def __init__(self, source: Source, include_paths=()):
        top = (
            os.path.dirname(os.path.abspath(source.name)) if not source.name.startswith("<") else os.getcwd()
        )
        self.allowed = [os.path.realpath(top)] + [os.path.realpath(p) for p in include_paths]
        self.sources: list[Source] = [source]
        self.diags: list[Diagnostic] = []
        self.modules: dict[str, Module | None] = {}
        self.namespaces: dict[int, dict[str, ast.BlockDecl]] = {}  # id(block) -> the names it sees

    def resolve(self, program: ast.Program) -> dict[str, ast.BlockDecl]:
        """Blocks the top-level program imports, by the names it gives them."""
        names: dict[str, ast.BlockDecl] = {}
        self._import_into(names, program, self.sources[0], [])
        return names

    def _import_into(self, names: dict, program: ast.Program, importer: Source, stack: list[str]):
        for st in program.statements:
            if not isinstance(st, ast.Import):
                continue
            module = self._load(st, importer, stack)
            if module is None:
                continue
            if not st.names:
                for name, decl in module.blocks.items():
                    self._bind(names, name, decl, st.span)
                continue
            for item in st.names:
                decl = module.blocks.get(item.name.text)
                if decl is None:
                    self.diags.append(
                        error(
                            codes.BAD_IMPORT,
                            f"'{st.path}' has no block '{item.name.text}'",
                            item.name.span,
                            help=did_you_mean(item.name.text, module.blocks)
                            or "its blocks: " + (", ".join(module.blocks) or "none"),
                        )
                    )
                    continue
                alias = item.alias or item.name
                self._bind(names, alias.text, decl, alias.span)

    def _bind(self, names: dict, name: str, decl: ast.BlockDecl, span: Span) -> None:
        if name in names and names[name] is not decl:
            self.diags.append(
                error(
                    codes.DUPLICATE_NAME,
                    f"block '{name}' is imported twice",
                    span,
                    help="import one of them under another name: ... import a as b",
                )
            )
            return
        names[name] = decl

    def _load(self, st: ast.Import, importer: Source, stack: list[str]) -> Module | None:
        base = (
            os.path.dirname(os.path.abspath(importer.name))
            if not importer.name.startswith("<")
            else os.getcwd()
        )
        full = os.path.realpath(os.path.join(base, st.path))
        if not any(full == root or full.startswith(root + os.sep) for root in self.allowed):
            self.diags.append(
                error(
                    codes.BAD_IMPORT,
                    f"'{st.path}' is outside the directory of the spec",
                    st.path_span,
                    help=f"allow its directory with --include-path {os.path.dirname(full)}",
                )
            )
            return None
        if full in stack:
            chain = " -> ".join(os.path.basename(p) for p in stack[stack.index(full) :] + [full])
            self.diags.append(
                error(
                    codes.BAD_IMPORT,
                    f"import cycle: {chain}",
                    st.path_span,
                    help="move the blocks both files need into a third file",
                )
            )
            return None
        if full in self.modules:
            return self.modules[full]
        from ..io import InputFileError
        from .parser import parse
        from .source import read_source

        try:
            text = read_source(full).text
        except InputFileError as exc:
            self.diags.append(
                error(
                    codes.BAD_IMPORT,
                    f"cannot import '{st.path}': {str(exc).split(': ', 1)[-1]}",
                    st.path_span,
                )
            )
            return None
        index = len(self.sources)
        source = Source(_display(full, self.sources[0].name), text)
        self.sources.append(source)
        self.modules[full] = None  # a cycle back here finds "in progress"
        try:
            program = _relocate(parse(source), index)
        except SpecError as exc:
            self.diags.extend(_relocate(d, index) for d in exc.diagnostics)
            return None
        blocks: dict[str, ast.BlockDecl] = {}
        namespace: dict[str, ast.BlockDecl] = {}
        self._import_into(namespace, program, source, stack + [full])
        for inner in program.statements:
            if isinstance(inner, ast.BlockDecl):
                if inner.name.text in blocks:
                    self.diags.append(
                        error(
                            codes.DUPLICATE_NAME,
                            f"block '{inner.name.text}' is defined twice",
                            inner.name.span,
                        )
                    )
                    continue
                blocks[inner.name.text] = inner
            elif not isinstance(inner, (ast.Import, ast.NetworkDecl)):
                self.diags.append(
                    error(
                        codes.IMPORTED_NON_BLOCK,
                        f"'{st.path}' is imported, so it may hold only blocks and imports",
                        inner.span,
                        notes=[Note("imported here", st.path_span)],
                        help="move inputs, outputs and compile settings to the spec that imports it",
                    )
                )
        namespace.update(blocks)
        for decl in blocks.values():
            self.namespaces[id(decl)] = namespace
        module = Module(blocks, namespace)
        self.modules[full] = module
        return module


def _display(path: str, top: str) -> str:
    """An imported file's name as messages show it: relative to the top spec's directory."""
    if top.startswith("<"):
        return path
    rel = os.path.relpath(path, os.path.dirname(os.path.abspath(top)))
    return os.path.normpath(os.path.join(os.path.dirname(top), rel))


def _relocate(node, index: int):
    """The same tree (or diagnostic) with every span marked as in file `index`."""
    if isinstance(node, Span):
        return node._replace(file=index)
    if isinstance(node, tuple):
        return tuple(_relocate(x, index) for x in node)
    if not dataclasses.is_dataclass(node):
        return node
    changes = {f.name: _relocate(getattr(node, f.name), index) for f in dataclasses.fields(node)}
    return dataclasses.replace(node, **changes)
