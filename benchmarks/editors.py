"""The editor figures: the language server, the playground in Chromium, the
playground's server under load. Absolute budgets (an editor must keep up with
typing), measured from the client's side; everything talks to loopback only.

    lsp_latency(lines=1000, edits=20)      # didChange -> publishDiagnostics, ms
    browser_latency(edits=20)              # keystroke -> diagram on screen, ms
    load(clients=20, seconds=30)           # concurrent pages editing

Each returns a dict of samples and facts; run.py turns them into table rows.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(ROOT / "tests"))

import genspec  # noqa: E402
from serving import Served, wait_for  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


# ---- the language server over stdio -----------------------------------------------------


class StdioClient:
    """A minimal LSP client of `python -m netdsl lsp`: messages in, messages out."""

    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "netdsl", "lsp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=ENV,
        )
        self.inbox: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
                elif line in (b"\r\n", b"\n"):
                    break
            message = json.loads(out.read(length))
            self.inbox.put((time.perf_counter(), message))

    def send(self, message: dict) -> float:
        body = json.dumps(message).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()
        return time.perf_counter()

    def wait(self, predicate, timeout: float = 60.0) -> tuple[float, dict]:
        deadline = time.monotonic() + timeout
        while True:
            at, message = self.inbox.get(timeout=max(deadline - time.monotonic(), 0.01))
            if predicate(message):
                return at, message

    def close(self) -> None:
        try:
            self.send({"jsonrpc": "2.0", "id": 99, "method": "shutdown"})
            self.send({"jsonrpc": "2.0", "method": "exit"})
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(timeout=10)


def _published(version: int):
    return lambda m: (
        m.get("method") == "textDocument/publishDiagnostics" and m["params"].get("version") == version
    )


def spec_of_lines(lines: int) -> tuple[str, int]:
    """A generated spec of at least `lines` lines (benchmarks/genspec.py), and its layer count."""
    layers = lines
    while True:
        text = genspec.generate(layers, seed=0).to_net()
        if text.count("\n") >= lines:
            return text, layers
        layers += lines // 4


def lsp_latency(lines: int, edits: int, warmup: int = 3) -> dict:
    """didChange of one character -> publishDiagnostics of that version, from the client.

    Edits alternate between typing in a line (a layer's width) and adding or
    removing a line (every statement below moves); both kinds are reported."""
    text, layers = spec_of_lines(lines)
    tmp = Path(tempfile.mkdtemp(prefix="netdsl-bench-lsp-"))
    path = tmp / "big.net"
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    client = StdioClient()
    try:
        client.send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
        client.wait(lambda m: m.get("id") == 1)
        client.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        client.send(
            {
                "jsonrpc": "2.0",
                "method": "textDocument/didOpen",
                "params": {"textDocument": {"uri": uri, "languageId": "netdsl", "version": 1, "text": text}},
            }
        )
        client.wait(_published(1))
        rows = text.split("\n")
        targets = [i for i, row in enumerate(rows) if "dense(" in row]
        cpu = []
        rng = random.Random(0)
        typing, newline = [], []
        version = 1
        for k in range(warmup + edits):
            version += 1
            row = rng.choice(targets)
            col = rows[row].index("dense(") + len("dense(")
            if k % 2 == 0:  # type a digit into a width: dense(16 -> dense(716
                change = {"range": _range(row, col, row, col), "text": "7"}
                rows[row] = rows[row][:col] + "7" + rows[row][col:]
                kind = typing
            else:  # Enter at the start of a line, then Backspace next time
                change = {"range": _range(row, 0, row, 0), "text": "\n"}
                rows.insert(row, "")
                kind = newline
            used = _cpu_seconds(client.proc.pid)
            sent = client.send(
                {
                    "jsonrpc": "2.0",
                    "method": "textDocument/didChange",
                    "params": {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
                }
            )
            at, message = client.wait(_published(version))
            if k >= warmup:
                kind.append(at - sent)
                cpu.append(_cpu_seconds(client.proc.pid) - used)
            if kind is newline:  # undo it, untimed, so the spec keeps its size
                version += 1
                client.send(
                    {
                        "jsonrpc": "2.0",
                        "method": "textDocument/didChange",
                        "params": {
                            "textDocument": {"uri": uri, "version": version},
                            "contentChanges": [{"range": _range(row, 0, row + 1, 0), "text": ""}],
                        },
                    }
                )
                del rows[row]
                client.wait(_published(version))
        return {
            "lines": text.count("\n"),
            "layers": layers,
            "typing": typing,
            "newline": newline,
            "all": typing + newline,
            "server_cpu": cpu,
        }
    finally:
        client.close()
        shutil.rmtree(tmp, ignore_errors=True)


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used: what an edit costs the server,
    whatever else the machine is doing (wall time grows with the load, this does not)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _range(l1: int, c1: int, l2: int, c2: int) -> dict:
    return {"start": {"line": l1, "character": c1}, "end": {"line": l2, "character": c2}}


# ---- the playground in Chromium -----------------------------------------------------------


LATENCIES = "return window.playground.stats.latencies.length"


def browser_latency(edits: int, warmup: int = 3) -> dict:
    """Keystroke -> the new diagram on screen, for examples/iris_concat.net, in
    headless Chromium: each edit selects a layer's width and types a digit; the
    page times from the keydown to the frame after the diagram of that version
    is in the DOM (playground.stats.latencies)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from test_playground import chromium, go_to

    tmp = Path(tempfile.mkdtemp(prefix="netdsl-bench-page-"))
    shutil.copy(EXAMPLES / "iris_concat.net", tmp / "iris_concat.net")
    with Served(tmp) as server:
        driver = chromium()
        try:
            driver.get(server.url)
            wait_for(
                lambda: driver.execute_script("return window.playground && window.playground.view != null")
            )
            driver.execute_script(
                "const p = document.getElementById('picker'); p.value = 'file:iris_concat.net';"
                "p.dispatchEvent(new Event('change'));"
            )
            wait_for(
                lambda: driver.execute_script(
                    "return (window.playground.uri || '').endsWith('/iris_concat.net')"
                    " && window.playground.stats.diagramVersion !== null"
                )
            )
            rows = (tmp / "iris_concat.net").read_text(encoding="utf-8").split("\n")
            spots = [
                (i + 1, row.index("dense(") + len("dense(") + 1)
                for i, row in enumerate(rows)
                if "dense(" in row
            ]
            samples = []
            for k in range(warmup + edits):
                line, col = spots[k % len(spots)]
                before = driver.execute_script(LATENCIES)
                go_to(driver, line, col, select=1)
                ActionChains(driver).send_keys(str(2 + k % 7)).perform()
                wait_for(lambda before=before: driver.execute_script(LATENCIES) > before)
                if k >= warmup:
                    samples.append(
                        driver.execute_script("return window.playground.stats.latencies.at(-1).ms") / 1000
                    )
            return {"samples": samples}
        finally:
            driver.quit()
            shutil.rmtree(tmp, ignore_errors=True)


# ---- the server under load ----------------------------------------------------------------


async def _page(server, k: int, seconds: float, text: str, out: dict) -> None:
    """One page: open a spec (opened 0.1 s after the previous page), type into it at
    ~5 keys/s, hover now and then, send
    one malformed and one oversized message; record every latency and error."""
    from websockets.asyncio.client import connect

    uri = f"file:///{k}/page.net"
    waiting: dict = {}  # request id / version -> sent at
    await asyncio.sleep(k * 0.1)  # people open their pages over a couple of seconds, not at one instant
    async with connect(server.ws, max_size=None, open_timeout=30) as ws:

        async def send(message: dict) -> None:
            await ws.send(json.dumps(message))

        async def receive() -> None:
            async for raw in ws:
                message = json.loads(raw)
                now = time.perf_counter()
                if "error" in message:
                    out["error_responses"].append(message["error"]["code"])
                    continue
                if "id" in message and message["id"] in waiting:
                    out["requests"].append(now - waiting.pop(message["id"]))
                elif message.get("method") == "netdsl/diagram":
                    version = message["params"]["version"]
                    for v in [v for v in waiting if isinstance(v, tuple) and v[1] <= version]:
                        sent = waiting.pop(v)
                        out["edits"].append(now - sent)
                        out["edit_times"].append((sent - out["start"], now - sent))

        reader = asyncio.create_task(receive())
        await send({"jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {"capabilities": {}}})
        await send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        await send(
            {
                "jsonrpc": "2.0",
                "method": "textDocument/didOpen",
                "params": {"textDocument": {"uri": uri, "languageId": "netdsl", "version": 1, "text": text}},
            }
        )
        rng = random.Random(k)
        version, end, n = 1, time.perf_counter() + seconds, 0
        while time.perf_counter() < end:
            version += 1
            width = rng.randint(2, 9)
            edited = text.replace("dense(2, relu)", f"dense({width}, relu)", 1)
            waiting[("v", version)] = time.perf_counter()
            await send(
                {
                    "jsonrpc": "2.0",
                    "method": "textDocument/didChange",
                    "params": {
                        "textDocument": {"uri": uri, "version": version},
                        "contentChanges": [{"text": edited}],
                    },
                }
            )
            n += 1
            if n % 10 == 0:
                waiting[n] = time.perf_counter()
                await send(
                    {
                        "jsonrpc": "2.0",
                        "id": n,
                        "method": "textDocument/hover",
                        "params": {"textDocument": {"uri": uri}, "position": {"line": 7, "character": 2}},
                    }
                )
            if n == 15:
                await ws.send("{this is not json")
            if n == 25:
                await ws.send(
                    json.dumps({"jsonrpc": "2.0", "id": "big", "method": "x", "params": "y" * (3 << 20)})
                )
            await asyncio.sleep(rng.uniform(0.1, 0.3))
        await asyncio.sleep(3)  # the last edits' answers
        out["unanswered"] += len(waiting)
        out["sent_edits"] += n
        reader.cancel()


def load(clients: int, seconds: float) -> dict:
    """`clients` pages editing examples/iris_concat.net at once for `seconds`."""
    text = (EXAMPLES / "iris_concat.net").read_text(encoding="utf-8")
    tmp = Path(tempfile.mkdtemp(prefix="netdsl-bench-load-"))
    out = {
        "edits": [],
        "requests": [],
        "error_responses": [],
        "unanswered": 0,
        "sent_edits": 0,
        "crashes": 0,
        "edit_times": [],
        "start": time.perf_counter(),
    }
    rss: list[tuple[float, float]] = []
    with Served(tmp) as server:
        stop = threading.Event()

        def sample() -> None:
            start = time.perf_counter()
            while not stop.is_set():
                rss.append((time.perf_counter() - start, server.rss_mb()))
                stop.wait(0.5)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()

        async def run() -> list:
            return await asyncio.gather(
                *(_page(server, k, seconds, text, out) for k in range(clients)), return_exceptions=True
            )

        results = asyncio.run(run())
        stop.set()
        sampler.join()
        alive = server.proc.poll() is None
    shutil.rmtree(tmp, ignore_errors=True)
    failures = [repr(r) for r in results if isinstance(r, BaseException)]
    warm = [m for t, m in rss if t >= min(10.0, seconds / 3)]  # every page open and drawn once
    return {
        **out,
        "clients": clients,
        "seconds": seconds,
        "failures": failures,
        "alive": alive,
        "rss_start_mb": warm[0] if warm else float("nan"),
        "rss_end_mb": warm[-1] if warm else float("nan"),
        "rss_max_mb": max(warm) if warm else float("nan"),
        "edit_p50": statistics.median(out["edits"]) if out["edits"] else float("nan"),
        "rss_series": [(round(t, 1), round(m, 1)) for t, m in rss],
    }
