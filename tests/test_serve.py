"""`netdsl serve` over real sockets on loopback: the HTTP API (files, examples,
saving, downloads) and the language server over a WebSocket, with its limits."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import threading
import urllib.error
import urllib.request

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from conftest import EXAMPLES, ROOT, run_cli
from serving import Served, wait_for

STATIC = ROOT / "netdsl" / "apps" / "serve" / "static"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    work = tmp_path_factory.mktemp("served")
    (work / "iris_concat.net").write_text((EXAMPLES / "iris_concat.net").read_text(encoding="utf-8"))
    (work / "sub").mkdir()
    (work / "sub" / "spec.net").write_text("input x: 4\noutput y = x -> dense(2)\n")
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.net").write_text("input secret: 1\n")
    os.symlink(outside, work / "escape")
    with Served(work) as server:
        server.dir = work
        yield server


def request(server, path: str, body=None, headers=None):
    """(status, body, headers) of an HTTP request to the server."""
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(server.url + path, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def test_listens_on_loopback_and_serves_the_page(served):
    assert served.host == "127.0.0.1"
    status, body, _ = request(served, "/")
    assert status == 200 and b"/static/playground.js" in body
    status, script, headers = request(served, "/static/playground.js")
    assert status == 200 and len(script) > 100_000 and "javascript" in headers["content-type"]


def test_lists_and_reads_files_only_under_path(served):
    listing = json.loads(request(served, "/api/files")[1])
    assert listing["files"] == ["iris_concat.net", "sub/spec.net"]  # not escape/secret.net
    assert listing["root"] == served.dir.resolve().as_uri()
    status, body, _ = request(served, "/api/file?path=sub/spec.net")
    assert status == 200 and json.loads(body)["text"].startswith("input x: 4")
    for bad in (
        "../outside/secret.net",
        "escape/secret.net",
        "/etc/passwd",
        "sub/../../x.net",
        "iris_concat.txt",
    ):
        assert request(served, f"/api/file?path={bad}")[0] == 404, bad


def test_examples_are_the_repository_examples(served):
    listing = json.loads(request(served, "/api/files")[1])
    standalone = sorted(
        p.name for p in EXAMPLES.glob("*.net") if "import " not in p.read_text(encoding="utf-8")
    )
    assert listing["examples"] == standalone
    for name in standalone:
        body = json.loads(request(served, f"/api/example?name={name}")[1])
        assert body["text"] == (EXAMPLES / name).read_text(encoding="utf-8"), (
            f"rebuild: editors/web/build.sh ({name})"
        )


def test_saves_under_path_and_refuses_elsewhere(served):
    text = "input x: 2\noutput y = x -> dense(1)\n"
    status, body, _ = request(served, "/api/save", {"path": "sub/new.net", "text": text})
    assert status == 200 and (served.dir / "sub" / "new.net").read_text() == text
    mode = (served.dir / "sub" / "new.net").stat().st_mode & 0o777
    assert mode == 0o666 & ~_umask()
    for bad in ("../evil.net", "escape/secret.net", "/tmp/evil.net", "x.py", ""):
        assert request(served, "/api/save", {"path": bad, "text": text})[0] == 403, bad
    assert (served.dir.parent / "evil.net").exists() is False
    assert "secret" in (served.dir / "escape" / "secret.net").read_text()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_refuses_other_sites_other_hosts_and_big_requests(served):
    text = {"path": "sub/x.net", "text": "input x: 1\n"}
    assert request(served, "/api/save", text, {"Origin": "http://evil.example"})[0] == 403
    assert request(served, "/api/files", None, {"Host": "evil.example"})[0] == 400
    conn = http.client.HTTPConnection(served.host, served.port, timeout=20)
    conn.putrequest("POST", "/api/svg")
    conn.putheader("Content-Length", str(3 << 20))  # refused from its headers, before the body
    conn.endheaders()
    assert conn.getresponse().status == 413
    conn.close()
    assert request(served, "/api/svg", b"{not json")[0] == 400


def test_downloads_the_svg(served):
    status, svg, headers = request(
        served, "/api/svg", {"path": "iris_concat.net", "text": "input x: 4\noutput y = x -> dense(2)\n"}
    )
    assert status == 200 and svg.startswith(b"<?xml") and b"<title>y</title>" in svg
    assert headers["Content-Disposition"] == 'attachment; filename="iris_concat.svg"'
    assert request(served, "/api/svg", {"text": "output y = = x\n"})[0] == 422


# ---- the language server over a WebSocket ------------------------------------------------


def lsp_session(served, origin: str | None = None):
    headers = {"Origin": origin} if origin else {}
    return connect(served.ws, additional_headers=headers, open_timeout=10, max_size=None)


def messages_until(ws, predicate, timeout: float = 20.0) -> list[dict]:
    seen = []
    while True:
        msg = json.loads(ws.recv(timeout=timeout))
        seen.append(msg)
        if predicate(msg):
            return seen


def initialize(ws) -> dict:
    ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}))
    (reply,) = [m for m in messages_until(ws, lambda m: m.get("id") == 1)]
    ws.send(json.dumps({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
    return reply


def test_the_language_server_over_a_websocket_pushes_diagnostics_and_the_diagram(served):
    uri = (served.dir / "iris_concat.net").resolve().as_uri()
    text = (
        (EXAMPLES / "iris_add.net")
        .read_text(encoding="utf-8")
        .replace("dense(4, swish)", "dense(8, swish)", 1)
    )
    with lsp_session(served, origin=served.url) as ws:
        assert initialize(ws)["result"]["serverInfo"]["name"] == "netdsl"
        ws.send(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "textDocument/didOpen",
                    "params": {
                        "textDocument": {"uri": uri, "languageId": "netdsl", "version": 1, "text": text}
                    },
                }
            )
        )
        seen = messages_until(ws, lambda m: m.get("method") == "netdsl/diagram")
        (diags,) = [m["params"] for m in seen if m.get("method") == "textDocument/publishDiagnostics"]
        assert [d["code"] for d in diags["diagnostics"]] == ["ND301"] and diags["version"] == 1
        diagram = seen[-1]["params"]
        assert diagram["version"] == 1 and diagram["errors"] == 1 and diagram["uri"] == uri
        assert "<title>species_add_1</title>" in diagram["svg"] and "#fee2e2" in diagram["svg"]
        assert [n["name"] for n in diagram["nodes"]][:2] == ["sepal", "petal"]
        ws.send(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 2,
                    "method": "textDocument/hover",
                    "params": {"textDocument": {"uri": uri}, "position": {"line": 7, "character": 2}},
                }
            )
        )
        (hover,) = [m for m in messages_until(ws, lambda m: m.get("id") == 2)][-1:]
        assert "Hidden_Sepal" in hover["result"]["contents"]["value"]


def test_malformed_and_oversized_messages_get_error_responses(served):
    with lsp_session(served) as ws:
        ws.send("{not json")
        assert json.loads(ws.recv(timeout=10))["error"]["code"] == -32700
        ws.send(json.dumps({"jsonrpc": "2.0", "id": 5, "method": "x", "params": "y" * (3 << 20)}))
        reply = json.loads(ws.recv(timeout=10))
        assert reply["error"]["code"] == -32600 and reply["id"] == 5
        ws.send("[]")
        assert json.loads(ws.recv(timeout=10))["error"]["code"] == -32600
        assert initialize(ws)["id"] == 1  # still serving
        ws.send(json.dumps({"jsonrpc": "2.0", "method": "exit"}))  # closes this page only
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
    with lsp_session(served) as ws:
        assert initialize(ws)["result"]["serverInfo"]["name"] == "netdsl"


def test_a_page_of_another_site_cannot_connect(served):
    with pytest.raises((InvalidStatus, ConnectionClosed)):
        with lsp_session(served, origin="http://evil.example") as ws:
            ws.recv(timeout=5)


def test_documents_outside_path_cannot_import_from_outside(served):
    secret = served.dir / "escape" / "secret.net"
    spec = f'import "{secret}"\ninput x: 2\noutput y = x -> dense(1)\n'
    with lsp_session(served) as ws:
        initialize(ws)
        ws.send(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "textDocument/didOpen",
                    "params": {
                        "textDocument": {
                            "uri": "file:///etc/evil.net",
                            "languageId": "netdsl",
                            "version": 1,
                            "text": spec,
                        }
                    },
                }
            )
        )
        seen = messages_until(ws, lambda m: m.get("method") == "textDocument/publishDiagnostics")
        (d,) = seen[-1]["params"]["diagnostics"]
        assert d["code"] == "ND113" and "outside the directory" in d["message"]


# ---- .keras (loads TensorFlow in the server: one test) -----------------------------------


def test_compiles_a_keras_model_one_at_a_time_per_page(served):
    assert not [m for m in served.loaded_libraries() if "tensorflow" in m]  # not before a .keras is asked for
    body = {"path": "iris_concat.net", "text": (EXAMPLES / "iris_concat.net").read_text(encoding="utf-8")}
    page = {"X-Netdsl-Page": "page-1"}
    results = {}

    def first():
        results["first"] = request(served, "/api/keras", body, page)

    worker = threading.Thread(target=first)
    worker.start()
    wait_for(lambda: any("tensorflow" in m for m in served.loaded_libraries()) or not worker.is_alive(), 60)
    second = request(served, "/api/keras", body, page)
    worker.join(120)
    status, data, headers = results["first"]
    assert status == 200 and data[:2] == b"PK", data[:500]
    assert headers["Content-Disposition"] == 'attachment; filename="iris_concat.keras"'
    assert second[0] == 429 and b"already being compiled" in second[1]
    bad = request(served, "/api/keras", {"text": "input x: 4\noutput y = x -> dens(2)\n"}, page)
    assert bad[0] == 422 and "did you mean 'dense'" in json.loads(bad[1])["error"]


def test_usage_errors():
    r = run_cli("serve", "/no/such/dir", "--port", "0")
    assert r.returncode == 2 and "no such file or directory" in r.stderr
    r = run_cli("serve", ROOT / "README.md", "--port", "0")
    assert r.returncode == 2 and "serve a directory or a .net spec" in r.stderr


def test_the_committed_bundle_is_built_from_the_sources():
    if shutil.which("node") is None or not (ROOT / "editors" / "node_modules" / ".bin" / "esbuild").exists():
        pytest.skip("node and editors/node_modules are needed (scripts/setup.sh installs them)")
    r = subprocess.run(
        ["bash", str(ROOT / "editors" / "web" / "build.sh"), "--check"], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
