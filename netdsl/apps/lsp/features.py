"""The language features, registered on a NetdslServer.

Each handler finds the document, waits for the analysis of its current text
(documents.py), and answers from the file's index (index.py, navigate.py),
the analysed graph (model.py) and the registry's words (describe.py).
"""

from __future__ import annotations

import re

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from ...lang import ast
from ...lang.diagnostics import SpecError
from ...lang.fmt import format_source
from ...lang.highlight import KEYWORDS
from . import completion, describe, model
from .index import ARG_REF, ARGUMENT, BLOCK, CALL, FEATURE, NETWORK, PARAM, SETTING, VALUE, Occurrence
from .navigate import Target

_NAME = re.compile(r"[^\W\d]\w*")
Kind = types.SymbolKind


def register(ls) -> None:
    """Register every feature on the server `ls`."""
    ls.feature(types.INITIALIZE)(_initialize)
    ls.feature(types.TEXT_DOCUMENT_DID_OPEN)(did_open)
    ls.feature(types.TEXT_DOCUMENT_DID_CHANGE)(did_change)
    ls.feature(types.TEXT_DOCUMENT_DID_CLOSE)(did_close)
    ls.feature(types.TEXT_DOCUMENT_HOVER)(hover)
    ls.feature(types.TEXT_DOCUMENT_DEFINITION)(definition)
    ls.feature(types.TEXT_DOCUMENT_REFERENCES)(references)
    ls.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)(prepare_rename)
    ls.feature(types.TEXT_DOCUMENT_RENAME, types.RenameOptions(prepare_provider=True))(rename)
    ls.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=["[", "(", ",", "=", ">", " ", ":"]),
    )(complete)
    ls.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)(document_symbols)
    ls.feature(types.TEXT_DOCUMENT_FORMATTING)(formatting)
    ls.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )(code_actions)


def _initialize(ls, params: types.InitializeParams) -> None:
    ls.configure(params)


# ---- text synchronization --------------------------------------------------------------


# Plain functions that start the analysis as a task: pygls keeps the future of an
# async notification handler forever (one per keystroke), a plain one it does not.


def did_open(ls, params: types.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    doc = ls.open(item.uri, item.version, ls.workspace.get_text_document(item.uri).source)
    ls.start_analysis(doc)


def did_change(ls, params: types.DidChangeTextDocumentParams) -> None:
    doc = ls.docs.get(params.text_document.uri)
    if doc is None:
        return
    doc.update(params.text_document.version, ls.workspace.get_text_document(doc.uri).source)
    ls.start_analysis(doc)


def did_close(ls, params: types.DidCloseTextDocumentParams) -> None:
    ls.close(params.text_document.uri)


# ---- where the cursor is ---------------------------------------------------------------


async def _at(ls, uri: str, position: types.Position):
    """(document, analysis, occurrence at the position or None)."""
    doc = ls.docs.get(uri)
    if doc is None:
        return None, None, None
    analysis = await doc.current()
    if analysis is None:
        return doc, None, None
    line, column = ls.positions(analysis).from_lsp(position)
    return doc, analysis, doc.index(analysis).at(line, column)


def _location(ls, path: str | None, doc, occ: Occurrence) -> types.Location:
    uri = doc.uri if path is None or path == doc.path else ls.uri_of(path)
    source = doc.latest.source if path is None or path == doc.path else _file_source(path)
    from .convert import Positions

    return types.Location(uri=uri, range=Positions(source, ls.workspace.position_encoding).range(occ.span))


def _file_source(path: str):
    from ...lang.source import Source, read_source

    try:
        return read_source(path)
    except Exception:  # noqa: BLE001 - a file gone since it was indexed: positions as if ASCII
        return Source(path, "")


def _target(ls, doc, occ: Occurrence | None) -> Target | None:
    if occ is None:
        return None
    if doc.path is None:  # an untitled document: resolve inside it alone
        from .navigate import Project

        project = Project()
        project.set_open("<doc>", doc.index(doc.latest))
        return project.resolve("<doc>", occ)
    return ls.project.resolve(doc.path, occ)


# ---- hover -------------------------------------------------------------------------


async def hover(ls, params: types.HoverParams) -> types.Hover | None:
    doc, analysis, occ = await _at(ls, params.text_document.uri, params.position)
    if occ is None:
        return None
    good = doc.good or analysis
    text = _hover_text(ls, doc, good, occ)
    if not text:
        return None
    rng = ls.positions(analysis).range(occ.span)
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text), range=rng)


def _hover_text(ls, doc, analysis, occ: Occurrence) -> str | None:
    g = analysis.graph
    if occ.kind in (VALUE, PARAM, ARG_REF):
        target = _target(ls, doc, occ)
        if target is None:
            return _constant_text(occ)
        return _symbol_text(g, target)
    if occ.kind in (CALL, BLOCK):
        target = _target(ls, doc, occ)
        if target is not None:
            return _block_text(ls, g, target, occ)
        op = model.OPS.get(occ.name)
        if op is None:
            return _FUNCTIONS.get(occ.name)
        text = describe.op_markdown(op)
        here = model.node_at_op(g, occ.span.line, occ.span.column)
        if here is not None:
            text += "\n\n---\n**" + here.name + "** · " + "  \n".join(describe.node_lines(here))
        return text
    if occ.kind == FEATURE:
        return _feature_text(g, occ)
    if occ.kind == SETTING:
        return describe.setting_markdown(occ.detail, occ.name)
    if occ.kind == ARGUMENT:
        return describe.argument_markdown(occ.detail, occ.name)
    if occ.kind == NETWORK:
        p = model.totals(g)
        return f"network **{occ.name}** · {g.number_of_nodes()} layers · {describe.count(p['total'])}"
    return None


# What a computed argument's functions are (README "Computed arguments"), for hover.
_FUNCTIONS = {
    "width": "`width()`: the last axis of the value entering this layer (in a block's argument: the "
    "block); `width(x)`: of the value `x`. Computed while netdsl checks shapes.",
    "vocab_size": "`vocab_size()` / `vocab_size(x)`: how many category indices the value holds "
    "(an Embedding's input_dim). Waits for `--data` when the vocabulary does.",
    **{
        name: f"`{name}(...)`: as in Python's math, in a computed argument"
        for name in ("floor", "ceil", "round", "int", "abs", "sqrt", "log2", "min", "max")
    },
}


def _constant_text(occ: Occurrence) -> str | None:
    if occ.kind == ARG_REF and occ.name in model.ACTIVATIONS:
        return f"activation `{occ.name}` (keras.activations)"
    return None


def _symbol_text(g, target: Target) -> str:
    if target.kind == PARAM:
        return f"**{target.name}** · parameter of block `{target.scope}`"
    if target.scope is not None:
        return f"**{target.name}** · a name in block `{target.scope}`"
    info = model.node(g, target.name)
    if info is None:
        return f"**{target.name}**"
    role = "output " if info.output else ""
    return f"{role}**{target.name}** · " + "  \n".join(describe.node_lines(info)) + _op_doc(info)


def _op_doc(info: model.NodeInfo) -> str:
    return f"\n\n{info.spec.doc}" if info.spec is not None else ""


def _block_text(ls, g, target: Target, occ: Occurrence) -> str:
    index = ls.project.index(target.path)
    decl = index.block_decls.get(target.name) if index else None
    text = f"```netdsl\n{describe.block_signature(decl)}\n```" if decl else f"block **{target.name}**"
    if occ.kind == CALL:
        layers = [n for n in model.nodes(g) if any(_starts_at(u[2], occ) for u in n.block_uses)]
        if layers:
            total = sum(n.param_count or 0 for n in layers)
            text += f"\n\nthis use: {len(layers)} layers, {describe.count(total)}"
            text += f", output shape `{layers[-1].shape_text}`"
    return text


def _starts_at(span, occ: Occurrence) -> bool:
    return span.file == 0 and (span.line, span.column) == (occ.span.line, occ.span.column)


def _feature_text(g, occ: Occurrence) -> str:
    source = occ.detail
    info = model.node(g, source)
    if info is not None and info.features and occ.name in info.features:
        return f"feature **{occ.name}** of `{source}` (column {info.features.index(occ.name)})"
    return f"feature **{occ.name}** of `{source}`"


# ---- navigation ----------------------------------------------------------------------


async def definition(ls, params: types.DefinitionParams) -> types.Location | None:
    doc, _analysis, occ = await _at(ls, params.text_document.uri, params.position)
    target = _target(ls, doc, occ)
    if target is None:
        return None
    return _location(ls, target.path if doc.path else None, doc, target.definition)


async def references(ls, params: types.ReferenceParams) -> list[types.Location] | None:
    doc, _analysis, occ = await _at(ls, params.text_document.uri, params.position)
    target = _target(ls, doc, occ)
    if target is None:
        return None
    found = _references(ls, doc, target)
    if not params.context.include_declaration:
        found = [(p, o) for p, o in found if o is not target.definition and not o.definition]
    return [_location(ls, p, doc, o) for p, o in found]


def _references(ls, doc, target: Target) -> list[tuple[str | None, Occurrence]]:
    if doc.path is None:
        index = doc.index(doc.latest)
        from .navigate import Project

        project = Project()
        project.set_open("<doc>", index)
        return [(None, o) for _p, o in project.references(target)]
    return ls.project.references(target)


async def prepare_rename(ls, params: types.PrepareRenameParams):
    doc, analysis, occ = await _at(ls, params.text_document.uri, params.position)
    target = _target(ls, doc, occ)
    if target is None or target.kind not in (VALUE, PARAM, BLOCK, FEATURE) or occ.name != target.name:
        return None
    return types.PrepareRenamePlaceholder(range=ls.positions(analysis).range(occ.span), placeholder=occ.name)


async def rename(ls, params: types.RenameParams) -> types.WorkspaceEdit | None:
    doc, _analysis, occ = await _at(ls, params.text_document.uri, params.position)
    target = _target(ls, doc, occ)
    if target is None or target.kind not in (VALUE, PARAM, BLOCK, FEATURE):
        return None
    new = params.new_name
    quoted = target.kind == FEATURE and not _NAME.fullmatch(new)
    if not quoted and (not _NAME.fullmatch(new) or new in KEYWORDS):
        raise JsonRpcInvalidParams(
            f"'{new}' is not a name netdsl accepts (a letter or '_', then letters, digits, '_')"
        )
    changes: dict[str, list[types.TextEdit]] = {}
    for path, o in _references(ls, doc, target):
        if o.name != target.name:  # an alias (`import tower as shallow`) keeps its own name
            continue
        loc = _location(ls, path, doc, o)
        text = f'"{new}"' if quoted or _is_string(doc, path, o) else new
        changes.setdefault(loc.uri, []).append(types.TextEdit(range=loc.range, new_text=text))
    return types.WorkspaceEdit(changes=changes)


def _is_string(doc, path, occ: Occurrence) -> bool:
    if occ.kind != FEATURE or (path is not None and path != doc.path):
        return False
    s = occ.span
    return doc.latest.source.line_text(s.line)[s.column - 1 : s.column] == '"'


# ---- completion ----------------------------------------------------------------------


async def complete(ls, params: types.CompletionParams) -> types.CompletionList | None:
    doc = ls.docs.get(params.text_document.uri)
    if doc is None:
        return None
    analysis = await doc.current()
    if analysis is None:
        return None
    line, column = ls.positions(analysis).from_lsp(params.position)
    ctx = completion.context(analysis.source.text, line, column)
    good = doc.good or analysis
    cands = completion.Candidates(doc.index(analysis), good.graph, model.blocks(good.graph))
    return types.CompletionList(is_incomplete=False, items=completion.complete(ctx, cands))


# ---- document symbols ----------------------------------------------------------------


async def document_symbols(ls, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol] | None:
    doc = ls.docs.get(params.text_document.uri)
    analysis = await doc.current() if doc is not None else None
    if analysis is None:
        return None
    good = doc.good or analysis
    positions = ls.positions(analysis)
    out = []
    for st in analysis.statements:
        out.extend(_symbols(st, positions, good.graph))
    return out


def _symbol(name: ast.Name, whole, kind, positions, detail=None, children=None) -> types.DocumentSymbol:
    return types.DocumentSymbol(
        name=name.text,
        kind=kind,
        range=positions.range(whole.to(name.span) if whole.to(name.span) != whole else whole),
        selection_range=positions.range(name.span),
        detail=detail,
        children=children,
    )


def _value_detail(g, name: str, output: bool = False) -> str:
    info = model.node(g, name)
    if info is None:
        return "output" if output else ""
    if info.op == "input":
        return f"input {info.shape_text}"
    return (
        "output · " if output else ""
    ) + f"{info.op} {info.shape_text} · {describe.count(info.param_count)}"


def _symbols(st, positions, g) -> list[types.DocumentSymbol]:
    span = st.span
    if isinstance(st, ast.NetworkDecl):
        return [_symbol(st.name, span, Kind.Module, positions, "network")]
    if isinstance(st, ast.InputDecl):
        return [_symbol(st.name, span, Kind.Variable, positions, _value_detail(g, st.name.text) or "input")]
    if isinstance(st, ast.Assign):
        kind = Kind.Event if st.is_output else Kind.Variable
        return [
            _symbol(n, span, kind, positions, _value_detail(g, n.text, st.is_output))
            for n in (st.name,) + st.more_names
        ]
    if isinstance(st, ast.OutputDecl):
        return [_symbol(st.name, span, Kind.Event, positions, _value_detail(g, st.name.text, True))]
    if isinstance(st, ast.BlockDecl):
        children = [_symbol(p.name, p.span, Kind.TypeParameter, positions, "parameter") for p in st.params]
        children += [_symbol(i, i.span, Kind.Variable, positions, "input") for i in st.inputs]
        for inner in st.body:
            if isinstance(inner, ast.Assign):
                children += [
                    _symbol(n, inner.span, Kind.Variable, positions) for n in (inner.name,) + inner.more_names
                ]
        return [_symbol(st.name, span, Kind.Function, positions, describe.block_signature(st), children)]
    if isinstance(st, (ast.CompileDecl, ast.TrainDecl)):
        word = "compile" if isinstance(st, ast.CompileDecl) else "train"
        name = ast.Name(word, span._replace(end_line=span.line, end_column=span.column + len(word)))
        return [_symbol(name, span, Kind.Property, positions, " ".join(kw.name.text for kw in st.settings))]
    if isinstance(st, ast.Import):
        name = ast.Name(st.path, st.path_span)
        children = [_symbol(i.alias or i.name, i.span, Kind.Function, positions, "block") for i in st.names]
        return [_symbol(name, span, Kind.Namespace, positions, "import", children)]
    return []


# ---- formatting and quick fixes ---------------------------------------------------------


async def formatting(ls, params: types.DocumentFormattingParams) -> list[types.TextEdit] | None:
    doc = ls.docs.get(params.text_document.uri)
    if doc is None:
        return None
    text = doc.text
    try:
        formatted = format_source(text, ls.width, name=doc.name)
    except SpecError as exc:
        first = exc.diagnostics[0] if exc.diagnostics else None
        where = f" at {first.span.line}:{first.span.column}" if first and first.span else ""
        ls.window_show_message(
            types.ShowMessageParams(
                type=types.MessageType.Warning, message=f"netdsl fmt: syntax error{where}"
            )
        )
        return None
    if formatted == text:
        return []
    lines = text.split("\n")
    end = types.Position(line=len(lines), character=0)
    return [
        types.TextEdit(
            range=types.Range(start=types.Position(line=0, character=0), end=end), new_text=formatted
        )
    ]


def code_actions(ls, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    actions = []
    for d in params.context.diagnostics:
        data = d.data if isinstance(d.data, dict) else {}
        for fix in data.get("fixes", ()):
            try:
                rng = ls.protocol._converter.structure(fix["range"], types.Range)
                edit = types.TextEdit(range=rng, new_text=str(fix["newText"]))
            except (KeyError, TypeError, ValueError):
                continue
            actions.append(
                types.CodeAction(
                    title=str(fix.get("title", "Fix")),
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[d],
                    is_preferred=len(data.get("fixes", ())) == 1,
                    edit=types.WorkspaceEdit(changes={params.text_document.uri: [edit]}),
                )
            )
    return actions
