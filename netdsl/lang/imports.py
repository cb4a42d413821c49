"""`import "file.net"` and `from "file.net" import a, b as c`: blocks from other files.

A path is looked for like a compiler's `-I`: relative to the importing file
first, then in each `--include-path` directory, in the order given; the first
file found is used. A file outside the directory tree of the top-level spec
is refused unless it lies under an include path. An imported file holds
blocks (and imports) only. Its syntax trees keep their own file number in
every span (Span.file), so that a diagnostic points into the right file.

Imports nest at most MAX_IMPORT_DEPTH files deep (a diagnostic beyond), so a
long chain of files never exhausts Python's stack.

A failed import is reported once: uses of the names it should have brought
are not reported again as unknown layers (`without_cascades`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable

from . import ast, codes
from .diagnostics import Diagnostic, Note, SpecError, did_you_mean, error
from .source import Source, Span

MAX_IMPORT_DEPTH = 64  # files importing files importing files ...


@dataclasses.dataclass
class Module:
    """One imported file: its blocks, and the names its blocks can use."""

    blocks: dict[str, ast.BlockDecl]
    namespace: dict[str, ast.BlockDecl]


_ALL = None  # a failed `import "x.net"`: every name it might have brought


class Resolver:
    def __init__(self, source: Source, include_paths: Iterable[str] = ()):
        self.top = _directory_of(source)
        self.include_paths = [os.path.abspath(p) for p in include_paths]
        self.allowed = [os.path.realpath(self.top)] + [os.path.realpath(p) for p in self.include_paths]
        self.sources: list[Source] = [source]
        self.diags: list[Diagnostic] = []
        self.modules: dict[str, Module | None] = {}
        self.namespaces: dict[int, dict[str, ast.BlockDecl]] = {}  # id(block) -> the names it sees
        self.programs: dict[int, ast.Program] = {}  # file index -> its tree
        # file index -> names its failed imports should have bound (None: unknown, all)
        self.failed: dict[int, set[str] | None] = {}

    def resolve(self, program: ast.Program) -> dict[str, ast.BlockDecl]:
        """Blocks the top-level program imports, by the names it gives them."""
        names: dict[str, ast.BlockDecl] = {}
        self.programs[0] = program
        self._import_into(names, program, 0, [])
        return names

    def _import_into(self, names: dict, program: ast.Program, index: int, stack: list[str]) -> None:
        for st in program.statements:
            if not isinstance(st, ast.Import):
                continue
            module = self._load(st, index, stack)
            if module is None:
                self._failed(index, [n.alias or n.name for n in st.names] if st.names else None)
                continue
            if not st.names:
                for name, decl in module.blocks.items():
                    self._bind(names, name, decl, st.span)
                continue
            for item in st.names:
                found = module.blocks.get(item.name.text)
                alias = item.alias or item.name
                if found is None:
                    self.diags.append(
                        error(
                            codes.BAD_IMPORT,
                            f"'{st.path}' has no block '{item.name.text}'",
                            item.name.span,
                            help=did_you_mean(item.name.text, module.blocks)
                            or "its blocks: " + (", ".join(module.blocks) or "none"),
                        )
                    )
                    self._failed(index, [alias])
                    continue
                self._bind(names, alias.text, found, alias.span)

    def _failed(self, index: int, names: list[ast.Name] | None) -> None:
        if names is None or self.failed.get(index, set()) is _ALL:
            self.failed[index] = _ALL
            return
        self.failed.setdefault(index, set()).update(n.text for n in names)  # type: ignore[union-attr]

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

    # ---- finding and loading a file ---------------------------------------------

    def _find(self, st: ast.Import, importer: Source) -> tuple[str | None, list[str]]:
        """(the file an import means, or None; every place looked at)."""
        bases = [_directory_of(importer)] + self.include_paths
        looked = []
        for base in bases:
            candidate = os.path.normpath(os.path.join(base, st.path))
            looked.append(candidate)
            if os.path.isfile(candidate):
                return os.path.realpath(candidate), looked
            if os.path.isabs(st.path):
                break
        return None, looked

    def _load(self, st: ast.Import, index: int, stack: list[str]) -> Module | None:
        importer = self.sources[index]
        full, looked = self._find(st, importer)
        if full is None:
            self.diags.append(_not_found(st, looked))
            return None
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
            self.diags.append(_cycle(st, stack[stack.index(full) :] + [full]))
            return None
        if len(stack) >= MAX_IMPORT_DEPTH:
            self.diags.append(
                error(
                    codes.LIMIT,
                    f"imports nested more than {MAX_IMPORT_DEPTH} files deep",
                    st.path_span,
                    help="import the blocks you need from fewer levels of files",
                )
            )
            return None
        if full in self.modules:
            return self.modules[full]
        return self._parse_module(st, full, stack)

    def _parse_module(self, st: ast.Import, full: str, stack: list[str]) -> Module | None:
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
            program = ast.replace_spans(parse(source), lambda s: s._replace(file=index))
        except SpecError as exc:
            self.diags.extend(_in_file(d, index) for d in exc.diagnostics)
            return None
        self.programs[index] = program
        namespace: dict[str, ast.BlockDecl] = {}
        self._import_into(namespace, program, index, stack + [full])
        blocks = self._blocks_of(st, program)
        namespace.update(blocks)
        for decl in blocks.values():
            self.namespaces[id(decl)] = namespace
        module = Module(blocks, namespace)
        self.modules[full] = module
        return module

    def _blocks_of(self, st: ast.Import, program: ast.Program) -> dict[str, ast.BlockDecl]:
        """An imported file's blocks; anything but blocks and imports is reported."""
        blocks: dict[str, ast.BlockDecl] = {}
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
        return blocks

    # ---- one error per cause ---------------------------------------------------------

    def without_cascades(self, diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
        """Drop "unknown layer" errors at uses of names a failed import should have bound."""
        hidden = self._uses_of_failed_names()
        if not hidden:
            return list(diagnostics)
        return [d for d in diagnostics if not (d.code == codes.UNKNOWN_OP and d.span in hidden)]

    def _uses_of_failed_names(self) -> set[Span]:
        spans: set[Span] = set()
        for index, names in self.failed.items():
            program = self.programs.get(index)
            if program is None:
                continue
            for node in program.walk():
                if isinstance(node, ast.Call) and (names is _ALL or node.op.text in names):
                    spans.add(node.op.span)
                elif isinstance(node, ast.Ref) and (names is _ALL or node.name in names):
                    spans.add(node.span)
        return spans


def _directory_of(source: Source) -> str:
    if source.name.startswith("<"):
        return os.getcwd()
    return os.path.dirname(os.path.abspath(source.name))


def _not_found(st: ast.Import, looked: list[str]) -> Diagnostic:
    cwd = os.getcwd()
    shown = [os.path.relpath(p, cwd) if p.startswith(cwd + os.sep) else p for p in looked]
    where = shown[0] if len(shown) == 1 else ", then ".join(shown)
    return error(
        codes.BAD_IMPORT,
        f"cannot import '{st.path}': no such file",
        st.path_span,
        help=f"looked for {where}; add the directory that holds it with --include-path DIR",
    )


def _cycle(st: ast.Import, files: list[str]) -> Diagnostic:
    chain = " -> ".join(os.path.basename(p) for p in files)
    return error(
        codes.BAD_IMPORT,
        f"import cycle: {chain}",
        st.path_span,
        help="move the blocks both files need into a third file",
    )


def _display(path: str, top: str) -> str:
    """An imported file's name as messages show it: relative to the top spec's directory."""
    if top.startswith("<"):
        return path
    rel = os.path.relpath(path, os.path.dirname(os.path.abspath(top)))
    return os.path.normpath(os.path.join(os.path.dirname(top), rel))


def _in_file(d: Diagnostic, index: int) -> Diagnostic:
    """A diagnostic of a file's parse, its spans marked as in file `index`."""

    def moved(span: Span | None) -> Span | None:
        return span._replace(file=index) if span is not None else None

    notes = tuple(dataclasses.replace(n, span=moved(n.span)) for n in d.notes)
    return dataclasses.replace(d, span=moved(d.span), notes=notes)
