"""`netdsl lsp` end to end: a real LSP client (pytest-lsp) talks to
`python -m netdsl lsp` over stdio, on the examples and on broken specs.

One server process serves the whole module (each feature is a request to it);
the malformed-message test starts its own, with raw pipes.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from conftest import EXAMPLES, ROOT
from netdsl.data.spec import checked
from netdsl.ir.core import network
from netdsl.lang.diagnostics import SpecError
from netdsl.lang.fmt import format_source
from netdsl.lang.source import read_source

pytestmark = pytest.mark.asyncio(loop_scope="module")

CORPUS = sorted((ROOT / "tests" / "errors").rglob("*.net"))
SPECS = sorted(EXAMPLES.rglob("*.net")) + CORPUS


def recording_client() -> LanguageClient:
    """pytest-lsp's client, also keeping every publishDiagnostics in order."""
    client = LanguageClient()
    client.published = []

    def publish(client: LanguageClient, params: types.PublishDiagnosticsParams):
        client.diagnostics[params.uri] = params.diagnostics
        client.published.append(params)

    register_lsp_features(
        client, {**DEFAULT_CLIENT_FEATURES, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: publish}
    )
    return client


SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "netdsl", "lsp"],
    client_factory=recording_client,
    server_env={**os.environ, "PYTHONPATH": str(ROOT)},
)


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=EXAMPLES.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=EXAMPLES.as_uri(), name="examples")],
        )
    )
    yield
    await lsp_client.shutdown_session()


# ---- helpers -------------------------------------------------------------------------


async def open_doc(client, path: Path, text: str | None = None, version: int = 1) -> str:
    uri = path.as_uri()
    text = path.read_text(encoding="utf-8") if text is None else text
    seen = len(client.published)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="netdsl", version=version, text=text)
        )
    )
    await published(client, uri, version, after=seen)
    return uri


async def published(client, uri: str, version: int, after: int = 0, timeout: float = 20.0):
    """The diagnostics published for `uri` at `version`."""
    for _ in range(int(timeout / 0.01)):
        for p in client.published[after:]:
            if p.uri == uri and p.version == version:
                return p.diagnostics
        await asyncio.sleep(0.01)
    raise AssertionError(f"no diagnostics for {uri} version {version}")


async def change(client, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def close_doc(client, uri: str) -> None:
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )


def doc_id(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


def pos(line: int, column: int) -> types.Position:
    """netdsl's (line, column), from 1, as an LSP position (ASCII text)."""
    return types.Position(line=line - 1, character=column - 1)


def where(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """(line, column) from 1 of the nth occurrence of `needle`."""
    i = -1
    for _ in range(nth + 1):
        i = text.index(needle, i + 1)
    line = text.count("\n", 0, i) + 1
    return line, i - (text.rfind("\n", 0, i) + 1) + 1


def check_diagnostics(path: Path) -> list:
    """What `netdsl check FILE` reports (no --data), in-process."""
    try:
        g = checked(read_source(str(path)), None, False, False)
    except SpecError as exc:
        return exc.diagnostics
    return network(g).diagnostics


# ---- diagnostics ---------------------------------------------------------------------


async def test_diagnostics_are_checks_on_every_example_and_corpus_file(client):
    mismatches = []
    for path in SPECS:
        uri = await open_doc(client, path)
        got = client.diagnostics[uri]
        want = check_diagnostics(path)
        text = path.read_text(encoding="utf-8-sig")
        lines = text.splitlines()
        expect = []
        for d in want:
            span = d.span
            if span is None or span.file:
                continue
            col = span.column - 1
            if span.line <= len(lines) and not lines[span.line - 1].isascii():
                col = len(lines[span.line - 1][:col].encode("utf-16-le")) // 2
            expect.append((span.line - 1, col, d.code, d.severity, d.message))
        seen = [
            (
                g.range.start.line,
                g.range.start.character,
                g.code,
                "error" if g.severity == 1 else "warning",
                g.message.split("\n")[0],
            )
            for g in got
            if not g.message.startswith("in ")
        ]
        if seen != expect:
            mismatches.append((path.name, seen, expect))
        assert all(g.source == "netdsl" for g in got)
        close_doc(client, uri)
    assert not mismatches, mismatches[:3]
    assert len(SPECS) > 200


async def test_notes_are_related_locations_and_help_is_in_the_message(client):
    path = ROOT / "tests" / "errors" / "add_shape_mismatch.net"
    uri = await open_doc(client, path)
    (d,) = client.diagnostics[uri]
    assert d.code == "ND301" and d.severity == types.DiagnosticSeverity.Error
    assert (d.range.start.line, d.range.start.character) == (5, 17)
    related = [(r.location.uri, r.location.range.start.line, r.message) for r in d.related_information]
    assert related == [
        (uri, 3, "'Hidden_Sepal' has shape (4,), defined here"),
        (uri, 4, "'Hidden_Petal' has shape (8,), defined here"),
    ]
    assert "\nhelp: project to a common width with a dense layer" in d.message
    close_doc(client, uri)


async def test_quick_fix_applies_the_did_you_mean(client, tmp_path):
    text = "input x: 4\noutput y = x -> dens(3, relu)\n"
    uri = await open_doc(client, tmp_path / "typo.net", text)
    (d,) = client.diagnostics[uri]
    assert d.code == "ND201" and "did you mean 'dense'?" in d.message
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=doc_id(uri),
            range=d.range,
            context=types.CodeActionContext(diagnostics=[d]),
        )
    )
    (action,) = actions
    assert action.kind == types.CodeActionKind.QuickFix and action.title == "Replace 'dens' with 'dense'"
    (edit,) = action.edit.changes[uri]
    fixed = text.replace("dens(", edit.new_text + "(")
    assert (edit.range.start.line, edit.range.start.character, edit.range.end.character) == (1, 16, 20)
    seen = len(client.published)
    await change(client, uri, 2, fixed)
    assert list(await published(client, uri, 2, after=seen)) == []
    close_doc(client, uri)


async def test_a_burst_of_edits_never_shows_stale_results(client, tmp_path):
    # A spec big enough (3,000 layers) that edits arrive faster than they are analysed.
    n = 3000
    chain = "".join(f"h{i} = h{i - 1} -> dense(4, relu)\n" for i in range(1, n))
    base = "input x: 4\nh0 = x -> dense(4)\n" + chain + f"z = x -> dense(4)\noutput y = add(h{n - 1}, z)\n"
    uri = await open_doc(client, tmp_path / "burst.net", base)
    seen = len(client.published)
    last = 41
    for version in range(2, last + 1):
        # Alternate: widths that differ (ND301) or agree, and now and then a syntax error.
        text = base.replace(
            f"h{n - 1} = h{n - 2} -> dense(4", f"h{n - 1} = h{n - 2} -> dense({version % 3 + 3}"
        )
        if version % 5 == 0:
            text = text.replace("z = x", "z = = x")
        await change(client, uri, version, text)
    final = await published(client, uri, last, after=seen, timeout=60)
    versions = [p.version for p in client.published[seen:] if p.uri == uri]
    assert versions == sorted(set(versions)), versions  # never an older version after a newer one
    assert versions[-1] == last
    assert len(versions) < last - 1, versions  # the burst was coalesced, not analysed edit by edit
    assert [d.code for d in final] == ["ND301"]  # dense(5) vs dense(4): the final text's problem
    await asyncio.sleep(0.3)
    assert [p.version for p in client.published[seen:] if p.uri == uri][-1] == last
    line, col = where(text, f"h{n - 1} =")
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=doc_id(uri), position=pos(line, col))
    )
    assert "shape `(5,)`" in hover.contents.value
    close_doc(client, uri)


# ---- hover ---------------------------------------------------------------------------


async def hover_at(client, uri: str, text: str, needle: str, nth: int = 0, offset: int = 0) -> str | None:
    line, col = where(text, needle, nth)
    h = await client.text_document_hover_async(
        types.HoverParams(text_document=doc_id(uri), position=pos(line, col + offset))
    )
    return h.contents.value if h else None


async def test_hover_shows_op_docs_shapes_parameters_and_features(client):
    path = EXAMPLES / "iris_concat.net"
    text = path.read_text(encoding="utf-8")
    uri = await open_doc(client, path)
    value = await hover_at(client, uri, text, "sepal_h =")
    assert "**sepal_h**" in value and "`dense` → shape `(2,)` · 6 parameters" in value
    assert "2 units, relu" in value and "Keras `Dense`" in value
    op = await hover_at(client, uri, text, "dense(2, relu)", offset=1)
    assert "dense(units, activation=linear, use_bias=true)" in op and "Fully connected layer" in op
    assert "**sepal_h_dense_1**" in op and "6 parameters" in op
    merge = await hover_at(client, uri, text, "concat(")
    assert "concat(a, b, ...)" in merge and "**species_concat_1**" in merge and "`(4,)`" in merge
    inp = await hover_at(client, uri, text, "sepal:")
    assert "`input` → shape `(2,)`" in inp and "features: sepal_length, sepal_width" in inp
    out = await hover_at(client, uri, text, "species =")
    assert out.startswith("output **species**") and "15 parameters" in out
    act = await hover_at(client, uri, text, "softmax")
    assert "activation `softmax`" in act
    loss = await hover_at(client, uri, text, "categorical_crossentropy")
    assert "loss `categorical_crossentropy`" in loss
    close_doc(client, uri)


async def test_hover_on_computed_arguments(client):
    path = EXAMPLES / "keras_io" / "tabtransformer_baseline.net"
    text = path.read_text(encoding="utf-8")
    uri = await open_doc(client, path)
    fn = await hover_at(client, uri, text, "width(features), 0.2) * 2", offset=1)
    assert fn is not None and "last axis of the value entering this layer" in fn
    use = await hover_at(client, uri, text, "mlp_layer(2 * width(features)", offset=1)
    assert use is not None and "block mlp_layer(units, rate)" in use and "this use: 3 layers" in use
    value = await hover_at(client, uri, text, "width(features), 0.2) * 2", offset=7)
    assert value is not None and "**features**" in value and "(133,)" in value
    close_doc(client, uri)


async def test_hover_on_blocks_and_selected_features(client):
    path = EXAMPLES / "towers" / "model.net"
    text = path.read_text(encoding="utf-8")
    uri = await open_doc(client, path)
    use = await hover_at(client, uri, text, "shallow(8")
    assert "block tower(width, rate=...) (x)" in use and "this use: 3 layers, 96 parameters" in use
    feature = await hover_at(client, uri, text, "petal_length,", nth=1)
    assert "feature **petal_length** of `iris` (column 2)" in feature
    close_doc(client, uri)
    lib = EXAMPLES / "towers" / "blocks.net"
    ltext = lib.read_text(encoding="utf-8")
    luri = await open_doc(client, lib)
    param = await hover_at(client, luri, ltext, "width, relu")
    assert param == "**width** · parameter of block `tower`"
    close_doc(client, luri)


# ---- navigation ----------------------------------------------------------------------


def spots(locations) -> list[tuple[str, int, int]]:
    return sorted(
        (Path(loc.uri.removeprefix("file://")).name, loc.range.start.line + 1, loc.range.start.character + 1)
        for loc in locations
    )


async def test_definition_and_references_of_values_within_a_file(client):
    path = EXAMPLES / "iris_add.net"
    text = path.read_text(encoding="utf-8")
    uri = await open_doc(client, path)
    line, col = where(text, "Hidden_Sepal,")
    d = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc_id(uri), position=pos(line, col))
    )
    assert spots([d]) == [("iris_add.net", *where(text, "Hidden_Sepal ="))]
    refs = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=doc_id(uri),
            position=pos(line, col),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert spots(refs) == sorted(
        [("iris_add.net", *where(text, "Hidden_Sepal =")), ("iris_add.net", line, col)]
    )
    close_doc(client, uri)


async def test_definition_and_references_of_blocks_across_imports(client):
    path = EXAMPLES / "towers" / "model.net"
    text = path.read_text(encoding="utf-8")
    lib = (EXAMPLES / "towers" / "blocks.net").read_text(encoding="utf-8")
    uri = await open_doc(client, path)
    line, col = where(text, "shallow(8")
    d = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc_id(uri), position=pos(line, col))
    )
    assert spots([d]) == [("blocks.net", *where(lib, "tower(width"))]
    refs = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=doc_id(uri),
            position=pos(line, col),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert spots(refs) == sorted(
        [
            ("blocks.net", *where(lib, "tower(width")),
            (
                "blocks.net",
                where(lib, "-> tower(width)")[0],
                where(lib, "-> tower(width)")[1] + 3,
            ),  # deep_tower
            ("model.net", *where(text, "tower as")),
            ("model.net", *where(text, "shallow,")),
            ("model.net", line, col),
        ]
    )
    close_doc(client, uri)


async def test_rename_a_value_and_a_block_across_files(client, tmp_path):
    work = tmp_path / "towers"
    shutil.copytree(EXAMPLES / "towers", work)
    text = (work / "model.net").read_text(encoding="utf-8")
    uri = await open_doc(client, work / "model.net")
    line, col = where(text, "sepal_h,")
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=doc_id(uri), position=pos(line, col), new_name="sepal_branch")
    )
    assert list(edit.changes) == [uri]
    assert sorted((e.range.start.line + 1, e.range.start.character + 1) for e in edit.changes[uri]) == sorted(
        [where(text, "sepal_h ="), where(text, "sepal_h,")]
    )
    assert {e.new_text for e in edit.changes[uri]} == {"sepal_branch"}

    line, col = where(text, "deep_tower(8)")
    prep = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=doc_id(uri), position=pos(line, col))
    )
    assert prep.placeholder == "deep_tower"
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=doc_id(uri), position=pos(line, col), new_name="tall_tower")
    )
    lib_uri = (work / "blocks.net").resolve().as_uri()
    assert sorted(edit.changes) == sorted([uri, lib_uri])
    assert len(edit.changes[uri]) == 2 and len(edit.changes[lib_uri]) == 1
    with pytest.raises(Exception, match="not a name"):
        await client.text_document_rename_async(
            types.RenameParams(text_document=doc_id(uri), position=pos(line, col), new_name="input")
        )
    # An alias keeps its name: renaming `tower` edits the import's name, not `shallow`.
    line, col = where(text, "tower as")
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=doc_id(uri), position=pos(line, col), new_name="column")
    )
    assert [(e.range.start.line + 1, e.range.start.character + 1) for e in edit.changes[uri]] == [(line, col)]
    assert len(edit.changes[lib_uri]) == 2
    close_doc(client, uri)


# ---- completion ----------------------------------------------------------------------


async def labels_at(client, uri: str, line: int, col: int) -> list[str]:
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=doc_id(uri), position=pos(line, col))
    )
    return [i.label for i in result.items]


async def test_completion_in_every_context(client, tmp_path):
    lines = [
        "input iris: [sepal_length, sepal_width, petal_length, petal_width]",  # 1
        "block tower(width, rate=0.1) (x) {",  # 2
        "    h = x -> dense(width, relu) -> dropout(rate)",  # 3
        "    return h",  # 4
        "}",  # 5
        "a = iris[sepal_length, sepal_width] -> dense(4, relu)",  # 6
        "b = iris[petal_length] -> tower(4)",  # 7
        "output y = concat(a, b) -> dense(3, softmax)",  # 8
        "compile loss=categorical_crossentropy optimizer=adam(learning_rate=0.01) metrics=[accuracy]",  # 9
    ]
    text = "\n".join(lines) + "\n"
    uri = await open_doc(client, tmp_path / "complete.net", text)
    after_arrow = await labels_at(client, uri, 6, lines[5].index("dense") + 1)
    assert {"dense", "dropout", "standardize", "concat", "add", "tower"} <= set(after_arrow)
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=doc_id(uri), position=pos(6, lines[5].index("dense") + 1))
    )
    dense = next(i for i in result.items if i.label == "dense")
    assert dense.detail == "dense(units, activation=linear, use_bias=true)"
    in_call = await labels_at(client, uri, 6, lines[5].index("4, relu") + 1)
    assert {"units=", "activation=", "use_bias="} <= set(in_call)
    assert {"width", "vocab_size", "floor", "sqrt"} <= set(in_call)  # units may be computed
    activation = await labels_at(client, uri, 6, lines[5].index("relu") + 1)
    assert {"relu", "softmax", "tanh", "activation="} <= set(activation) and "units=" in activation
    features = await labels_at(client, uri, 6, lines[5].index("sepal_width") + 1)
    assert features == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    block_args = await labels_at(client, uri, 7, lines[6].index("4)") + 1)
    assert {"width=", "rate=", "x="} <= set(block_args)
    merge_args = await labels_at(client, uri, 8, lines[7].index("b)") + 1)
    assert {"a", "b", "iris"} <= set(merge_args) and "dense" not in merge_args
    in_block = await labels_at(client, uri, 3, lines[2].index("rate)") + 1)
    assert {"width", "rate", "x", "h"} <= set(in_block) and "iris" not in in_block
    loss = await labels_at(client, uri, 9, lines[8].index("categorical") + 1)
    assert {"categorical_crossentropy", "mse", "sparse_categorical_crossentropy"} <= set(loss)
    optimizer = await labels_at(client, uri, 9, lines[8].index("adam") + 1)
    assert {"adam", "sgd", "rmsprop"} <= set(optimizer)
    opt_args = await labels_at(client, uri, 9, lines[8].index("learning_rate") + 1)
    assert {"learning_rate=", "beta_1=", "clipnorm="} <= set(opt_args)
    metrics = await labels_at(client, uri, 9, lines[8].index("accuracy") + 1)
    assert {"accuracy", "auc", "mae"} <= set(metrics)
    settings = await labels_at(client, uri, 9, lines[8].index("optimizer") + 1)
    assert settings == ["loss=", "optimizer=", "metrics="]
    head = await labels_at(client, uri, 8, lines[7].index("concat") + 1)
    assert {"a", "b", "iris", "concat", "add"} <= set(head)
    close_doc(client, uri)


# ---- symbols, formatting -------------------------------------------------------------


async def test_document_symbols(client):
    path = EXAMPLES / "residual_blocks.net"
    uri = await open_doc(client, path)
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc_id(uri))
    )
    kinds = [(s.name, s.kind) for s in symbols]
    assert ("residual", types.SymbolKind.Function) in kinds and (
        "features",
        types.SymbolKind.Variable,
    ) in kinds
    assert ("h", types.SymbolKind.Event) in kinds
    block = next(s for s in symbols if s.name == "residual")
    assert [(c.name, c.kind) for c in block.children] == [
        ("width", types.SymbolKind.TypeParameter),
        ("rate", types.SymbolKind.TypeParameter),
        ("x", types.SymbolKind.Variable),
        ("h", types.SymbolKind.Variable),
    ]
    output = next(s for s in symbols if s.name == "h")
    assert output.detail.startswith("output · dense (2,)")
    close_doc(client, uri)


async def test_formatting_is_fmt(client, tmp_path):
    messy = "input   x : 4\n\n\n\noutput y=x->dense( 3 ,relu)   # the output\n"
    uri = await open_doc(client, tmp_path / "messy.net", messy)
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=doc_id(uri), options=types.FormattingOptions(tab_size=4, insert_spaces=True)
        )
    )
    (edit,) = edits
    assert edit.new_text == format_source(messy) and edit.range.start == types.Position(line=0, character=0)
    await change(client, uri, 2, "input x: 4\noutput y = x -> dense(3\n")
    none = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=doc_id(uri), options=types.FormattingOptions(tab_size=4, insert_spaces=True)
        )
    )
    assert none is None
    close_doc(client, uri)


async def test_features_keep_working_on_a_spec_with_a_syntax_error(client, tmp_path):
    text = "input x: 4\nh = x -> dense(8, relu)\nbroken = = =\noutput y = h -> dense(2)\n"
    uri = await open_doc(client, tmp_path / "broken.net", text)
    (d,) = client.diagnostics[uri]
    assert d.code == "ND002" and d.range.start.line == 2
    line, col = where(text, "h -> dense(2)")
    definition = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc_id(uri), position=pos(line, col))
    )
    assert spots([definition]) == [("broken.net", 2, 1)]
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc_id(uri))
    )
    assert [s.name for s in symbols] == ["x", "h", "y"]
    close_doc(client, uri)


async def test_the_server_never_loads_tensorflow(client):
    maps = Path(f"/proc/{client._server.pid}/maps").read_text()
    modules = {line.rsplit("/", 1)[-1] for line in maps.splitlines() if ".so" in line}
    assert not [m for m in modules if "tensorflow" in m or "keras" in m], sorted(modules)
    assert any("_json" in m or "python" in m for m in modules)  # the check can see the server's libraries


# ---- malformed input -----------------------------------------------------------------


async def test_a_malformed_message_gets_an_error_response():
    await asyncio.to_thread(malformed_messages)


def malformed_messages() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "netdsl", "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
    )

    def send(body: bytes) -> None:
        proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        proc.stdin.flush()

    def read() -> dict:
        length = None
        while True:
            line = proc.stdout.readline()
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
            elif line in (b"\r\n", b""):
                break
        return json.loads(proc.stdout.read(length))

    try:
        send(b"{not json")
        assert read()["error"]["code"] == -32700
        send(b'{"jsonrpc": "2.0", "id": 7, "method": "textDocument/hover", "params": {"bad": 1}}')
        reply = read()
        assert reply["id"] == 7 and reply["error"]["code"] in (-32602, -32603)
        send(b"[1, 2]")
        assert read()["error"]["code"] == -32600
        send(
            json.dumps(
                {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
            ).encode()
        )
        reply = read()
        assert reply["id"] == 1 and reply["result"]["serverInfo"]["name"] == "netdsl"
        assert proc.poll() is None
    finally:
        proc.stdin.close()
        proc.wait(timeout=20)
