"""`netdsl serve` as a real process, for the playground's tests and benchmarks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Served:
    """`python -m netdsl serve PATH --port 0` running; stopped by its PID."""

    def __init__(self, path: Path, *args: str):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "netdsl", "serve", str(path), "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        line = self.proc.stdout.readline()
        match = re.search(r"http://([\d.]+):(\d+)/", line)
        if match is None:
            self.stop()
            raise RuntimeError(f"netdsl serve did not start: {line!r} {self.proc.stderr.read()[-2000:]}")
        self.host, self.port = match.group(1), int(match.group(2))
        self.url = f"http://{self.host}:{self.port}"
        self.ws = f"ws://{self.host}:{self.port}/lsp"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def loaded_libraries(self) -> set[str]:
        maps = Path(f"/proc/{self.pid}/maps").read_text()
        return {line.rsplit("/", 1)[-1] for line in maps.splitlines() if ".so" in line}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05):
    """predicate()'s first truthy value, or AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")
        time.sleep(interval)
