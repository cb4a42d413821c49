"""`netdsl lsp`: the language server (pygls), and the transports it runs on.

One NetdslServer serves one client: over stdio for an editor, or over a
WebSocket for the playground (netdsl.apps.serve), which creates one per
browser tab. The features are in features.py; this module holds the open
documents, publishes diagnostics (and, for the playground, diagrams) and
reads messages so that a malformed one gets a JSON-RPC error response
instead of being dropped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import threading
from concurrent.futures import Executor, ThreadPoolExecutor

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from ... import __version__
from . import convert, model
from .documents import Document, document_name
from .navigate import Project

logger = logging.getLogger("netdsl.lsp")

_EXECUTOR: Executor | None = None
_EXECUTOR_LOCK = threading.Lock()


def shared_executor() -> Executor:
    """The threads that analyse, shared by every server of the process. Two:
    analysis holds the GIL, but a diagram waits on Graphviz, a subprocess."""
    global _EXECUTOR
    with _EXECUTOR_LOCK:
        if _EXECUTOR is None:
            _EXECUTOR = ThreadPoolExecutor(max_workers=2, thread_name_prefix="netdsl-analysis")
        return _EXECUTOR


class NetdslServer(LanguageServer):
    """The language server of one client."""

    def __init__(self, *, root: str | None = None, restrict: bool = False, diagram_sink=None):
        super().__init__(
            "netdsl", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental
        )
        self.root = os.path.realpath(root) if root else None
        self.restrict = restrict  # documents and imports stay under `root` (the playground)
        self.docs: dict[str, Document] = {}
        self.project = Project([self.root] if self.root else [], restrict_to_roots=restrict)
        self.include_paths: list[str] = []
        self.width = 88
        self.diagram_sink = diagram_sink  # called with each analysis, for the playground
        self._tasks: set[asyncio.Task] = set()
        self.executor = shared_executor()
        from . import features

        features.register(self)

    # ---- documents -----------------------------------------------------------------
    def configure(self, params: types.InitializeParams) -> None:
        options = params.initialization_options or {}
        if isinstance(options, dict):
            if not self.restrict:
                self.include_paths = [str(p) for p in options.get("includePaths", []) if isinstance(p, str)]
            width = options.get("width")
            if isinstance(width, int) and 20 <= width <= 1000:
                self.width = width
        if not self.restrict:
            folders = [to_fs_path(f.uri) for f in params.workspace_folders or []]
            root = to_fs_path(params.root_uri) if params.root_uri else None
            roots = [p for p in folders + [root] if p]
            if roots:
                self.project.roots = [os.path.realpath(p) for p in dict.fromkeys(roots)]

    def path_of(self, uri: str) -> str | None:
        if not uri.startswith("file:"):
            return None
        path = to_fs_path(uri)
        return os.path.realpath(path) if path else None

    def uri_of(self, path: str) -> str:
        for doc in self.docs.values():
            if doc.path == path:
                return doc.uri
        return from_fs_path(path) or path

    def open(self, uri: str, version: int | None, text: str) -> Document:
        path = self.path_of(uri)
        name = document_name(path, uri, self.root, self.restrict)
        doc = Document(uri, path, name, version, text)
        self.docs[uri] = doc
        return doc

    def close(self, uri: str) -> None:
        doc = self.docs.pop(uri, None)
        if doc is not None and doc.path:
            self.project.set_open(doc.path, None)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    async def analyse(self, doc: Document) -> None:
        await doc.analyse(self.executor, self.include_paths, self._published)

    def start_analysis(self, doc: Document) -> None:
        task = asyncio.get_running_loop().create_task(self.analyse(doc))
        self._tasks.add(task)  # a task nobody references may be collected mid-way
        task.add_done_callback(self._tasks.discard)

    async def _published(self, doc: Document, analysis: model.Analysis) -> None:
        if doc.path:
            self.project.set_open(doc.path, doc.index(analysis))
        self.publish(doc, analysis)
        if self.diagram_sink is not None:
            await self.diagram_sink(self, doc, analysis)

    # ---- diagnostics ---------------------------------------------------------------
    def positions(self, analysis: model.Analysis) -> convert.Positions:
        return convert.Positions(analysis.source, self.workspace.position_encoding)

    def publish(self, doc: Document, analysis: model.Analysis) -> None:
        positions = self.positions(analysis)
        sources = model.sources(analysis.graph)

        def uri_of(source) -> str:
            if source is sources[0] or source.name.startswith("<"):
                return doc.uri
            return self.uri_of(os.path.realpath(source.name))

        diagnostics = [
            convert.diagnostic(d, positions, sources, uri_of, lambda k: self._import_span(analysis, k))
            for d in model.diagnostics(analysis.graph)
        ]
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=doc.uri, version=analysis.version, diagnostics=diagnostics)
        )

    def _import_span(self, analysis: model.Analysis, k: int):
        """Where the spec imports its k-th source (an import of an import: the first import)."""
        sources = model.sources(analysis.graph)
        imports = [st for st in analysis.statements if type(st).__name__ == "Import"]
        if not imports:
            return None
        wanted = os.path.realpath(sources[k].name) if k < len(sources) else None
        base = os.path.dirname(os.path.abspath(analysis.source.name))
        for st in imports:
            if os.path.realpath(os.path.join(base, st.path)) == wanted:
                return st.path_span
        return imports[0].path_span


# ---- transports ----------------------------------------------------------------------

PARSE_ERROR, INVALID_REQUEST = -32700, -32600


def error_response(msg_id, code: int, message: str) -> dict:
    return {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}}


def receive(server: LanguageServer, body: bytes | str, reply, on_exit=None) -> None:
    """Handle one JSON-RPC message; `reply(dict)` sends an error response when
    the message cannot be handled at all (pygls logs and drops those). With
    `on_exit`, an `exit` notification calls it instead of ending the process
    (a playground page leaving must not stop the server of every page)."""
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        reply(error_response(None, PARSE_ERROR, f"Parse error: {exc}"))
        return
    if not isinstance(raw, dict) or raw.get("jsonrpc") != "2.0":
        msg_id = raw.get("id") if isinstance(raw, dict) else None
        reply(error_response(msg_id, INVALID_REQUEST, "Invalid Request: not a JSON-RPC 2.0 message"))
        return
    if on_exit is not None and raw.get("method") == "exit":
        on_exit()
        return
    try:
        message = json.loads(body, object_hook=server.protocol.structure_message)
    except JsonRpcException as exc:
        if "id" in raw:
            reply(
                {
                    "jsonrpc": "2.0",
                    "id": raw["id"],
                    "error": {"code": exc.code, "message": str(exc) or exc.message},
                }
            )
        return
    server.protocol.handle_message(message)


def run_stdio(server: NetdslServer) -> None:
    """Serve one editor over stdin/stdout until it says exit or closes stdin."""
    from pygls.io_ import StdinAsyncReader, StdoutWriter

    stdout = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must never corrupt the protocol stream
    writer = StdoutWriter(stdout)
    server.protocol.set_writer(writer)

    def reply(payload: dict) -> None:
        server.protocol._send_data(payload)

    async def loop() -> None:
        reader = StdinAsyncReader(sys.stdin.buffer, server.thread_pool)
        while True:
            length = None
            while True:  # headers, up to the blank line
                header = await reader.readline()
                if not header:
                    return
                if header.lower().startswith(b"content-length:"):
                    try:
                        length = int(header.split(b":", 1)[1].strip())
                    except ValueError:
                        length = None
                elif not header.strip():
                    break
            if length is None or length < 0:
                reply(error_response(None, INVALID_REQUEST, "Invalid Request: no Content-Length header"))
                continue
            body = await reader.readexactly(length)
            receive(server, body, reply)

    try:
        asyncio.run(loop())
    except (BrokenPipeError, KeyboardInterrupt):
        pass
    finally:
        server.shutdown()
