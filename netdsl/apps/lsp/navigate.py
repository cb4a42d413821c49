"""Definitions and references across a spec and the files it imports.

A value lives in one file (and, inside a block, in that block); a block can be
used by every file that imports it, under its own name or an alias. The
Project knows the files: the open documents (their latest text) and the
files on disk, read on demand and cached until they change.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ...ir.ops import OPS
from . import model
from .index import ARG_REF, BLOCK, CALL, FEATURE, PARAM, VALUE, FileIndex, Occurrence

MAX_WORKSPACE_FILES = 2000  # .net files searched for the uses of a block
_SKIP_DIRS = {"node_modules", "__pycache__", "build", "dist", "venv"}


@dataclass(frozen=True)
class Target:
    """What an occurrence means: a symbol, identified by where it is defined."""

    kind: str  # VALUE, PARAM, BLOCK or FEATURE
    path: str  # the file that defines it
    scope: str | None  # the block (VALUE, PARAM) or the input (FEATURE) it belongs to
    name: str
    definition: Occurrence


class Project:
    """The files the language server can see."""

    def __init__(self, roots=(), restrict_to_roots: bool = False):
        self.roots = [os.path.realpath(r) for r in roots]
        self.restrict = restrict_to_roots
        self._open: dict[str, FileIndex] = {}  # path -> index of the open document's latest text
        self._disk: dict[str, tuple[int, int, FileIndex]] = {}

    # ---- files ---------------------------------------------------------------------
    def set_open(self, path: str, index: FileIndex | None) -> None:
        if index is None:
            self._open.pop(path, None)
        else:
            self._open[path] = index

    def allowed(self, path: str) -> bool:
        real = os.path.realpath(path)
        return not self.restrict or any(real == r or real.startswith(r + os.sep) for r in self.roots)

    def index(self, path: str) -> FileIndex | None:
        if path in self._open:
            return self._open[path]
        if not self.allowed(path):
            return None
        try:
            st = os.stat(path)
            cached = self._disk.get(path)
            if cached and cached[:2] == (st.st_mtime_ns, st.st_size):
                return cached[2]
            if st.st_size > 8 << 20:
                return None
            with open(path, encoding="utf-8-sig") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError):
            return None
        index = FileIndex(model.parse_file(path, text))
        self._disk[path] = (st.st_mtime_ns, st.st_size, index)
        return index

    def resolve_import(self, importer: str, relative: str) -> str:
        return os.path.realpath(os.path.join(os.path.dirname(importer), relative))

    def workspace_files(self) -> list[str]:
        found: list[str] = list(self._open)
        for root in self.roots:
            for folder, dirs, files in os.walk(root):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
                for f in sorted(files):
                    if f.endswith(".net"):
                        found.append(os.path.realpath(os.path.join(folder, f)))
                        if len(found) >= MAX_WORKSPACE_FILES:
                            return list(dict.fromkeys(found))
        return list(dict.fromkeys(found))

    # ---- blocks across files ---------------------------------------------------------
    def blocks_of(self, path: str) -> dict[str, tuple[str, str]]:
        """Every block a file can use: name -> (defining file, name there)."""
        index = self.index(path)
        if index is None:
            return {}
        names = {name: (path, name) for name in index.block_decls}
        for imp in index.imports:
            target = self.resolve_import(path, imp.path)
            other = self.index(target) if target != path else None
            if other is None:
                continue
            if imp.name == "*":
                for name in other.block_decls:
                    names.setdefault(name, (target, name))
            elif imp.name in other.block_decls:
                names.setdefault(imp.alias, (target, imp.name))
        return names

    def block_target(self, path: str, name: str) -> Target | None:
        where = self.blocks_of(path).get(name)
        if where is None:
            return None
        index = self.index(where[0])
        occ = index.definition(BLOCK, None, where[1]) if index else None
        return Target(BLOCK, where[0], None, where[1], occ) if occ else None

    # ---- resolution ------------------------------------------------------------------
    def resolve(self, path: str, occ: Occurrence) -> Target | None:
        """The symbol an occurrence in `path` means, or None (an op, a constant, a setting)."""
        index = self.index(path)
        if index is None:
            return None
        if occ.kind == BLOCK:
            return self._resolve_block(path, index, occ)
        if occ.kind == CALL:
            return self.block_target(path, occ.name)
        if occ.kind == FEATURE:
            return self._resolve_feature(path, index, occ)
        if occ.kind in (VALUE, PARAM):
            if occ.definition:
                return Target(occ.kind, path, occ.scope, occ.name, occ)
            return self._value(path, index, occ.scope, occ.name)
        if occ.kind == ARG_REF:
            op = OPS.get(occ.detail)
            if op is not None and op.kind == "layer":  # dense(4, relu): a constant, or a block's parameter
                found = index.definition(PARAM, occ.scope, occ.name) if occ.scope else None
                return Target(PARAM, path, occ.scope, occ.name, found) if found else None
            return self._value(path, index, occ.scope, occ.name)
        return None

    def _value(self, path: str, index: FileIndex, scope, name: str) -> Target | None:
        for kind in (VALUE, PARAM):
            found = index.definition(kind, scope, name)
            if found is not None:
                return Target(kind, path, scope, name, found)
        return None

    def _resolve_block(self, path: str, index: FileIndex, occ: Occurrence) -> Target | None:
        if occ.detail:  # written in an import: `from "f.net" import name as alias`
            imp = next(
                (i for i in index.imports if occ.name in (i.name, i.alias) and i.path == occ.detail), None
            )
            if imp is None:
                return None
            where = self.resolve_import(path, imp.path)
            other = self.index(where)
            found = other.definition(BLOCK, None, imp.name) if other else None
            return Target(BLOCK, where, None, imp.name, found) if found else None
        if occ.definition:
            return Target(BLOCK, path, None, occ.name, occ)
        return self.block_target(path, occ.name)

    def _resolve_feature(self, path: str, index: FileIndex, occ: Occurrence) -> Target | None:
        if occ.definition:
            return Target(FEATURE, path, occ.detail, occ.name, occ)
        source = self._value(path, index, occ.scope, occ.detail)
        if source is None or source.scope is not None:
            return None
        for candidate in index.occurrences:
            if candidate.kind == FEATURE and candidate.definition and candidate.detail == occ.detail:
                if candidate.name == occ.name:
                    return Target(FEATURE, path, occ.detail, occ.name, candidate)
        return None

    def references(self, target: Target) -> list[tuple[str, Occurrence]]:
        """Every occurrence that means `target`, its definition included."""
        if target.kind == BLOCK:
            files = [p for p in self.workspace_files() if self.allowed(p)]
            if target.path not in files:
                files.insert(0, target.path)
        else:
            files = [target.path]
        found = []
        for path in files:
            index = self.index(path)
            if index is None:
                continue
            for occ in index.occurrences:
                if occ.kind in (VALUE, PARAM, ARG_REF, FEATURE, BLOCK, CALL) and self._same(
                    path, occ, target
                ):
                    found.append((path, occ))
        return found

    def _same(self, path: str, occ: Occurrence, target: Target) -> bool:
        if target.kind != BLOCK and occ.name != target.name:
            return False
        resolved = self.resolve(path, occ)
        return resolved is not None and (resolved.kind, resolved.path, resolved.scope, resolved.name) == (
            target.kind,
            target.path,
            target.scope,
            target.name,
        )
