"""Where each name of one file is defined and used, from its syntax tree.

Every identifier the editor can point at becomes an Occurrence: a value's
definition or use, a block's, a block parameter's, a feature name, the op of a
call, an argument's name, a compile setting. Occurrences carry the block they
are written in (their scope); resolving a use to its definition, also across
imports, is navigate.py's job.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ...lang import ast
from ...lang.source import Span

SIZES = ("width", "vocab_size")  # compute.SIZES: their argument names a value (the index needs no ir)

# Kinds of occurrence.
VALUE = "value"  # an input, a named value, a block's input or local name
PARAM = "param"  # a block parameter
BLOCK = "block"  # a block (its declaration, a use, an import)
CALL = "call"  # the name of a call or a bare step after '->': an op or a block
ARG_REF = "arg_ref"  # a name given as an argument: a value, a parameter or a constant (relu)
FEATURE = "feature"  # a feature name: in an input's list, or selected with x[...]
ARGUMENT = "argument"  # the name of a keyword argument
SETTING = "setting"  # a compile/train setting's name or value (loss=mse)
NETWORK = "network"


@dataclass(frozen=True)
class Occurrence:
    name: str
    span: Span
    kind: str
    scope: str | None  # the block it is written in; None at the top level
    definition: bool = False
    detail: str = ""  # FEATURE: the value selected from; ARGUMENT/ARG_REF: the callee; SETTING: the key
    index: int = -1  # ARG_REF: the position of a positional argument


@dataclass(frozen=True)
class ImportedName:
    """`from "path" import name as alias`; name "*" for `import "path"`."""

    path: str  # as written, relative to the importing file
    name: str
    alias: str
    statement: ast.Import


class FileIndex:
    """The occurrences of one file, findable by position and by name."""

    def __init__(self, statements: tuple):
        self.occurrences: list[Occurrence] = []
        self.imports: list[ImportedName] = []
        self.block_decls: dict[str, ast.BlockDecl] = {}
        for st in statements:
            _statement(st, self)
        self.definitions: dict[tuple[str, str | None, str], Occurrence] = {}
        self._by_line: dict[int, list[Occurrence]] = defaultdict(list)
        for occ in self.occurrences:
            if occ.definition:
                self.definitions.setdefault((occ.kind, occ.scope, occ.name), occ)
            for line in range(occ.span.line, occ.span.end_line + 1):
                self._by_line[line].append(occ)

    def add(self, occ: Occurrence) -> None:
        self.occurrences.append(occ)

    def at(self, line: int, column: int) -> Occurrence | None:
        """The occurrence written at (line, column); a position just after a
        name counts, as editors put the cursor there."""
        best = None
        for occ in self._by_line.get(line, ()):
            s = occ.span
            if (s.line, s.column) <= (line, column) <= (s.end_line, s.end_column):
                if best is None or (s.end_column - s.column) < (best.span.end_column - best.span.column):
                    best = occ
        return best

    def definition(self, kind: str, scope: str | None, name: str) -> Occurrence | None:
        return self.definitions.get((kind, scope, name))

    def scope_names(self, scope: str | None) -> list[Occurrence]:
        """Definitions visible in a scope: a block's parameters, inputs and
        locals, or the top level's values."""
        return [o for o in self.occurrences if o.definition and o.scope == scope and o.kind in (VALUE, PARAM)]


def _name(index: FileIndex, name: ast.Name, kind: str, scope, definition=False, detail="") -> None:
    index.add(Occurrence(name.text, name.span, kind, scope, definition, detail))


def _statement(st, index: FileIndex) -> None:
    if isinstance(st, ast.NetworkDecl):
        _name(index, st.name, NETWORK, None, True)
    elif isinstance(st, ast.InputDecl):
        _name(index, st.name, VALUE, None, True)
        spec = ast.unwrap(st.spec)
        if isinstance(spec, ast.ListLit):
            for item in spec.items:
                if isinstance(item, ast.Pair):  # a typed feature: `island: string`
                    index.add(Occurrence(item.key.text, item.key.span, FEATURE, None, True, st.name.text))
                    continue
                atom = ast.unwrap(item)
                if isinstance(atom, ast.Ref):
                    index.add(Occurrence(atom.name, atom.span, FEATURE, None, True, st.name.text))
                elif isinstance(atom, ast.String):
                    index.add(Occurrence(atom.value, atom.span, FEATURE, None, True, st.name.text))
    elif isinstance(st, ast.Assign):
        for name in (st.name,) + st.more_names:
            _name(index, name, VALUE, None, True)
        _chain(st.expr, None, index, head=True)
    elif isinstance(st, ast.OutputDecl):
        _name(index, st.name, VALUE, None)
    elif isinstance(st, (ast.CompileDecl, ast.TrainDecl)):
        for kw in st.settings:
            _setting(kw, index)
    elif isinstance(st, ast.BlockDecl):
        _block(st, index)
    elif isinstance(st, ast.Import):
        _import(st, index)


def _block(decl: ast.BlockDecl, index: FileIndex) -> None:
    scope = decl.name.text
    index.block_decls.setdefault(scope, decl)
    _name(index, decl.name, BLOCK, None, True)
    for p in decl.params:
        _name(index, p.name, PARAM, scope, True)
        if p.default is not None:
            _chain(p.default, scope, index, head=True)
    for i in decl.inputs:
        _name(index, i, VALUE, scope, True)
    for st in decl.body:
        if isinstance(st, ast.Assign):
            for name in (st.name,) + st.more_names:
                _name(index, name, VALUE, scope, True)
            _chain(st.expr, scope, index, head=True)
        else:
            for value in st.values:
                _chain(value, scope, index, head=True)


def _import(st: ast.Import, index: FileIndex) -> None:
    if not st.names:
        index.imports.append(ImportedName(st.path, "*", "*", st))
        return
    for item in st.names:
        _name(index, item.name, BLOCK, None, detail=st.path)
        alias = item.alias or item.name
        if item.alias is not None:
            _name(index, item.alias, BLOCK, None, True, detail=st.path)
        index.imports.append(ImportedName(st.path, item.name.text, alias.text, st))


def _setting(kw: ast.KwArg, index: FileIndex) -> None:
    key = kw.name.text
    _name(index, kw.name, SETTING, None, detail="")
    value = ast.unwrap(kw.value)
    if isinstance(value, ast.DictLit):  # per output: {species: ..., size: ...}
        for pair in value.pairs:
            _name(index, pair.key, VALUE, None)
            if pair.value is not None:
                _setting_value(ast.unwrap(pair.value), key, index)
    else:
        _setting_value(value, key, index)


def _setting_value(atom, key: str, index: FileIndex) -> None:
    if isinstance(atom, ast.Ref):
        index.add(Occurrence(atom.name, atom.span, SETTING, None, detail=key))
    elif isinstance(atom, ast.Call):
        _name(index, atom.op, SETTING, None, detail=key)
        for kw in atom.kwargs:
            _name(index, kw.name, ARGUMENT, None, detail=atom.op.text)
    elif isinstance(atom, ast.ListLit):
        for item in atom.items:
            _setting_value(ast.unwrap(item), key, index)


def _chain(chain: ast.Chain, scope, index: FileIndex, head: bool) -> None:
    for i, step in enumerate(chain.steps):
        _atom(step.expr, scope, index, head and i == 0)


def _atom(atom, scope, index: FileIndex, head: bool) -> None:
    if isinstance(atom, ast.Ref):
        index.add(Occurrence(atom.name, atom.span, VALUE if head else CALL, scope))
    elif isinstance(atom, ast.Select):
        _name(index, atom.source, VALUE, scope)
        for item in atom.items:
            if isinstance(item, ast.SelName):
                index.add(Occurrence(item.name, item.span, FEATURE, scope, detail=atom.source.text))
    elif isinstance(atom, ast.Call):
        _call(atom, scope, index)
    elif isinstance(atom, ast.Chain):
        _chain(atom, scope, index, head)
    elif isinstance(atom, ast.BinOp):  # `units * 2 + 1`: names of block parameters and functions
        _atom(atom.left, scope, index, True)
        _atom(atom.right, scope, index, True)
    elif isinstance(atom, ast.Neg):
        _atom(atom.operand, scope, index, True)
    elif isinstance(atom, ast.ListLit):
        for element in atom.items:
            value = element.value if isinstance(element, ast.Pair) else element
            if value is not None:
                _chain(value, scope, index, head=True)
    elif isinstance(atom, ast.DictLit):
        for pair in atom.pairs:
            if pair.value is not None:
                _chain(pair.value, scope, index, head=True)


def _call(call: ast.Call, scope, index: FileIndex) -> None:
    callee = call.op.text
    _name(index, call.op, CALL, scope)
    for i, arg in enumerate(call.args):
        _argument(arg, scope, index, callee, i)
    for kw in call.kwargs:
        _name(index, kw.name, ARGUMENT, scope, detail=callee)
        _argument(kw.value, scope, index, callee, -1)


def _argument(arg: ast.Chain, scope, index: FileIndex, callee: str, position: int) -> None:
    atom = ast.unwrap(arg)
    if isinstance(atom, ast.Ref) and callee in SIZES:  # width(x): a use of the value x
        index.add(Occurrence(atom.name, atom.span, VALUE, scope))
    elif isinstance(atom, ast.Ref):
        index.add(Occurrence(atom.name, atom.span, ARG_REF, scope, detail=callee, index=position))
    else:
        _chain(arg, scope, index, head=True)
