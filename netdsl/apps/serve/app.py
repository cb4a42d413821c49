"""`netdsl serve`: the playground, a Starlette app.

The page (static/, built from editors/web) is CodeMirror 6 acting as an LSP
client of the same language server editors use, over a WebSocket (/lsp): one
NetdslServer per tab, so the playground and the editors never disagree. The
server also pushes, after each analysis, the diagram (SVG) and the node table
(`netdsl/diagram` notifications). Plain HTTP serves the files under PATH
(listing, reading, saving back), the packaged examples and the downloads
(.svg, .keras).

Safety: the socket is bound to 127.0.0.1 unless --host says otherwise; a
request must come from the page itself (Host and Origin checked, so another
site open in the same browser cannot drive it); paths are resolved and must
stay under PATH; requests, messages and specs have size limits; a `.keras` is
compiled one at a time per page (and one at a time in the process, as Keras's
global state wants).
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from ...io import atomic_output
from ..lsp import model
from ..lsp.server import INVALID_REQUEST, NetdslServer, error_response, receive
from .diagram import diagram_payload

MAX_SPEC_CHARS = 1 << 20  # 1 MiB of text: a 40,000-layer spec
MAX_REQUEST_BYTES = 2 << 20  # an HTTP body or a WebSocket message
MAX_FILES_LISTED = 500
MAX_QUEUED_MESSAGES = 1000  # messages to a page that stopped reading: then it is dropped

STATIC = resources.files("netdsl.apps.serve").joinpath("static")


class Playground:
    """The state of one `netdsl serve`: its root, its pages' compile locks."""

    def __init__(self, root: str, initial: str | None = None):
        self.root = os.path.realpath(root)
        self.initial = initial
        self.compiling: set[str] = set()  # pages with a .keras being built
        self.keras = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netdsl-keras")

    # ---- paths -----------------------------------------------------------------------
    def resolve(self, relative: str) -> str | None:
        """The real path of a .net file under the root, or None (outside, not .net)."""
        if not isinstance(relative, str) or not relative or "\0" in relative or not relative.endswith(".net"):
            return None
        full = os.path.realpath(os.path.join(self.root, relative))
        if not full.startswith(self.root + os.sep):
            return None
        return full

    def files(self) -> list[str]:
        found = []
        for folder, dirs, names in os.walk(self.root):
            dirs[:] = sorted(
                d for d in dirs if not d.startswith(".") and d not in ("node_modules", "__pycache__")
            )
            for name in sorted(names):
                if name.endswith(".net"):
                    found.append(os.path.relpath(os.path.join(folder, name), self.root))
                    if len(found) >= MAX_FILES_LISTED:
                        return found
        return found


def _examples() -> dict[str, str]:
    folder = STATIC.joinpath("examples")
    return {p.name: p.read_text("utf-8") for p in folder.iterdir() if p.name.endswith(".net")}


def _same_origin(headers) -> bool:
    """A request from the page itself: no Origin (curl, a test) or the server's own."""
    origin = headers.get("origin")
    host = headers.get("host")
    return origin is None or origin in (f"http://{host}", f"https://{host}")


async def _body(request: Request) -> dict | Response:
    if not _same_origin(request.headers):
        return JSONResponse({"error": "cross-origin request refused"}, status_code=403)
    size = request.headers.get("content-length")
    if size is not None and (not size.isdigit() or int(size) > MAX_REQUEST_BYTES):
        return JSONResponse({"error": f"request larger than {MAX_REQUEST_BYTES >> 20} MiB"}, status_code=413)
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_REQUEST_BYTES:
            return JSONResponse(
                {"error": f"request larger than {MAX_REQUEST_BYTES >> 20} MiB"}, status_code=413
            )
    try:
        body = json.loads(data)
    except ValueError:
        return JSONResponse({"error": "the body is not JSON"}, status_code=400)
    if not isinstance(body, dict) or not isinstance(body.get("text", ""), str):
        return JSONResponse({"error": 'expected {"text": ..., "path": ...}'}, status_code=400)
    if len(body.get("text", "")) > MAX_SPEC_CHARS:
        return JSONResponse({"error": f"spec larger than {MAX_SPEC_CHARS >> 20} MiB"}, status_code=413)
    return body


def _spec_name(play: Playground, body: dict) -> str:
    """Where a posted spec is analysed from (its imports resolve there)."""
    full = play.resolve(body.get("path") or "")
    return full or os.path.join(play.root, "playground.net")


def _download_name(body: dict, suffix: str) -> str:
    base = os.path.basename(str(body.get("path") or "playground.net"))
    stem = base[:-4] if base.endswith(".net") else "playground"
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in stem) + suffix


def routes(play: Playground) -> list:
    async def index(request: Request) -> Response:
        return FileResponse(str(STATIC.joinpath("index.html")), headers={"Cache-Control": "no-store"})

    async def files(request: Request) -> Response:
        return JSONResponse(
            {
                "root": Path(play.root).as_uri(),
                "files": play.files(),
                "examples": sorted(_examples()),
                "initial": play.initial,
            }
        )

    async def read_file(request: Request) -> Response:
        full = play.resolve(request.query_params.get("path", ""))
        if full is None or not os.path.isfile(full):
            return JSONResponse({"error": "no such .net file under the served directory"}, status_code=404)
        if os.path.getsize(full) > MAX_SPEC_CHARS:
            return JSONResponse({"error": "file too large"}, status_code=413)
        with open(full, encoding="utf-8-sig", errors="replace") as fh:
            return JSONResponse({"path": os.path.relpath(full, play.root), "text": fh.read()})

    async def example(request: Request) -> Response:
        text = _examples().get(request.query_params.get("name", ""))
        if text is None:
            return JSONResponse({"error": "no such example"}, status_code=404)
        return JSONResponse({"name": request.query_params["name"], "text": text})

    async def save(request: Request) -> Response:
        body = await _body(request)
        if isinstance(body, Response):
            return body
        full = play.resolve(body.get("path") or "")
        if full is None:
            return JSONResponse(
                {"error": "a .net path inside the served directory is required"}, status_code=403
            )
        data = body.get("text", "").encode("utf-8")
        await asyncio.to_thread(_write, full, data)
        return JSONResponse({"saved": os.path.relpath(full, play.root), "bytes": len(data)})

    async def svg(request: Request) -> Response:
        body = await _body(request)
        if isinstance(body, Response):
            return body
        payload = await asyncio.to_thread(_svg_for, _spec_name(play, body), body.get("text", ""))
        if payload is None:
            return JSONResponse({"error": "the spec has a syntax error; nothing to draw"}, status_code=422)
        disposition = f'attachment; filename="{_download_name(body, ".svg")}"'
        return Response(payload, media_type="image/svg+xml", headers={"Content-Disposition": disposition})

    async def keras(request: Request) -> Response:
        body = await _body(request)
        if isinstance(body, Response):
            return body
        page = request.headers.get("x-netdsl-page", "")[:64] or (
            request.client.host if request.client else "?"
        )
        if page in play.compiling:
            return JSONResponse({"error": "a model is already being compiled for this page"}, status_code=429)
        play.compiling.add(page)
        try:
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(
                play.keras, _compile, _spec_name(play, body), body.get("text", "")
            )
        finally:
            play.compiling.discard(page)
        if isinstance(result, str):
            return JSONResponse({"error": result}, status_code=422)
        disposition = f'attachment; filename="{_download_name(body, ".keras")}"'
        return Response(result, media_type="application/zip", headers={"Content-Disposition": disposition})

    async def lsp(websocket: WebSocket) -> None:
        await serve_lsp(play, websocket)

    return [
        Route("/", index),
        Route("/api/files", files),
        Route("/api/file", read_file),
        Route("/api/example", example),
        Route("/api/save", save, methods=["POST"]),
        Route("/api/svg", svg, methods=["POST"]),
        Route("/api/keras", keras, methods=["POST"]),
        WebSocketRoute("/lsp", lsp),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]


def _write(full: str, data: bytes) -> None:
    with atomic_output(full) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)


def _svg_for(name: str, text: str) -> bytes | None:
    from ...lang.incremental import IncrementalParser
    from ..lsp.model import analyze

    analysis = analyze(name, text, None, IncrementalParser())
    if not analysis.syntax_ok:
        return None
    return diagram_payload(analysis, svg_only=True)


def _compile(name: str, text: str) -> bytes | str:
    """The .keras archive of a spec, or the text of what is wrong with it.
    Runs on the one Keras thread: TensorFlow is imported here, on first use."""
    import netdsl

    from ...data.spec import checked
    from ...lang.diagnostics import SpecError
    from ...lang.source import Source

    try:
        g = checked(Source(name, text), None, False, True)
    except SpecError as exc:
        return exc.render()
    model_ = netdsl.to_keras(g, seed=0)
    with tempfile.TemporaryDirectory(prefix="netdsl-serve-") as tmp:
        path = os.path.join(tmp, "model.keras")
        model_.save(path)
        from ...backends.keras import keras as keras_module

        keras_module.backend.clear_session()
        with open(path, "rb") as fh:
            return fh.read()


# ---- the language server over a WebSocket ------------------------------------------------


class _QueueWriter:
    """pygls's writer for one WebSocket: messages go out in order, from one task.

    Diagrams are the big messages (tens of kB): only the newest one of each
    document waits to be sent, so a page that reads slowly gets fewer of them,
    not an ever longer queue in the server's memory.
    """

    def __init__(self) -> None:
        self.queue: collections.deque[str] = collections.deque()
        self.diagrams: dict[str, str] = {}  # uri -> the newest diagram not yet sent
        self.ready = asyncio.Event()
        self.overflowed = False

    def write(self, data: bytes) -> None:
        if len(self.queue) >= MAX_QUEUED_MESSAGES:
            self.overflowed = True
            return
        self.queue.append(data.decode("utf-8"))
        self.ready.set()

    def diagram(self, uri: str, payload: dict) -> None:
        self.diagrams.pop(uri, None)
        self.diagrams[uri] = json.dumps({"jsonrpc": "2.0", "method": "netdsl/diagram", "params": payload})
        self.ready.set()

    def next(self) -> str | None:
        if self.queue:
            return self.queue.popleft()
        if self.diagrams:
            uri = next(iter(self.diagrams))
            return self.diagrams.pop(uri)
        self.ready.clear()
        return None

    def close(self) -> None:
        return None


async def serve_lsp(play: Playground, websocket: WebSocket) -> None:
    if not _same_origin(websocket.headers):
        await websocket.close(code=1008)
        return
    await websocket.accept()
    writer = _QueueWriter()
    server = NetdslServer(root=play.root, restrict=True, diagram_sink=_diagram_sink(writer))
    server.protocol.set_writer(writer, include_headers=False)

    async def send() -> None:
        while True:
            message = writer.next()
            if message is None:
                await writer.ready.wait()
                continue
            await websocket.send_text(message)

    sender = asyncio.create_task(send())
    closing = asyncio.Event()
    try:
        while not closing.is_set() and not writer.overflowed:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            body = message.get("text")
            if body is None:
                body = (message.get("bytes") or b"").decode("utf-8", "replace")
            if len(body) > MAX_REQUEST_BYTES:
                writer.write(json.dumps(_too_large(body)).encode())
                continue
            receive(
                server, body, lambda payload: writer.write(json.dumps(payload).encode()), on_exit=closing.set
            )
    except WebSocketDisconnect:
        pass
    finally:
        sender.cancel()
        for doc in list(server.docs.values()):
            server.docs.pop(doc.uri, None)
        server.shutdown()
        if closing.is_set():
            await websocket.close()


def _too_large(body: str) -> dict:
    msg_id = None
    head = body[:200]
    if '"id"' in head:  # answer the request by its id when it can be seen
        try:
            msg_id = json.loads(head.split('"id"', 1)[1].split(":", 1)[1].split(",", 1)[0].strip())
        except (ValueError, IndexError):
            msg_id = None
    return error_response(
        msg_id, INVALID_REQUEST, f"Invalid Request: message larger than {MAX_REQUEST_BYTES} bytes"
    )


def _diagram_sink(writer: _QueueWriter):
    """What the server does after each analysis of a page's document: draw it."""

    async def sink(ls: NetdslServer, doc, analysis: model.Analysis) -> None:
        loop = asyncio.get_running_loop()
        payload = await loop.run_in_executor(ls.executor, diagram_payload, analysis)
        if doc.latest is analysis:  # else a newer version is on its way
            payload["uri"] = doc.uri
            writer.diagram(doc.uri, payload)

    return sink


def create_app(root: str, initial: str | None = None, host: str = "127.0.0.1") -> Starlette:
    play = Playground(root, initial)
    # Loopback: only the names of this machine (no DNS rebinding); --host: the user chose to be reached.
    loopback = host in ("127.0.0.1", "localhost", "::1")
    hosts = ["127.0.0.1", "localhost", "[::1]"] if loopback else ["*"]
    app = Starlette(routes=routes(play), middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts)])
    app.state.playground = play
    return app
