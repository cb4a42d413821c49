"""Open documents and their analyses: one analysis at a time per document,
always of the newest text, never published once a newer version exists.

An edit records the new text and wakes the document's analysis loop; the loop
analyses the newest version, and when more edits came in meanwhile it goes
again instead of publishing. So a burst of keystrokes costs at most two
analyses, and a client never sees diagnostics of a version it has replaced.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor

from ...lang.incremental import IncrementalParser
from . import model
from .index import FileIndex

WAIT_SECONDS = 5.0  # a request waits at most this long for the analysis of the current text


class Document:
    def __init__(self, uri: str, path: str | None, name: str, version: int | None, text: str):
        self.uri, self.path, self.name = uri, path, name
        self.version, self.text = version, text
        self.parser = IncrementalParser()
        self.latest: model.Analysis | None = None  # the newest finished analysis
        self.good: model.Analysis | None = None  # the newest one whose text parsed
        self._index: tuple[int, FileIndex] | None = None
        self._running = False
        self._waiters: list[asyncio.Future] = []
        self._analysed: tuple | None = None  # (version, text) of `latest`

    def update(self, version: int | None, text: str) -> None:
        self.version, self.text = version, text

    def index(self, analysis: model.Analysis) -> FileIndex:
        if self._index is None or self._index[0] != id(analysis):
            self._index = (id(analysis), FileIndex(analysis.statements))
        return self._index[1]

    async def current(self) -> model.Analysis | None:
        """The analysis of the current text (waiting for it if it is under way)."""
        if self.latest is not None and self._analysed == (self.version, self.text):
            return self.latest
        future = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        try:
            return await asyncio.wait_for(asyncio.shield(future), WAIT_SECONDS)
        except asyncio.TimeoutError:
            return self.latest

    def _release(self, analysis: model.Analysis) -> None:
        """Answer every request waiting for the current text (it is this one now)."""
        waiters, self._waiters = self._waiters, []
        for future in waiters:
            if not future.done():
                future.set_result(analysis)

    async def analyse(
        self,
        executor: Executor,
        include_paths,
        publish: Callable[[Document, model.Analysis], Awaitable[None] | None],
    ) -> None:
        """Run the analysis loop unless it is running already (then it sees the new text)."""
        if self._running:
            return
        self._running = True
        loop = asyncio.get_running_loop()
        try:
            while True:
                version, text = self.version, self.text
                analysis = await loop.run_in_executor(
                    executor, model.analyze, self.name, text, version, self.parser, include_paths
                )
                self.latest, self._analysed = analysis, (version, text)
                if analysis.syntax_ok:
                    self.good = analysis
                if self.version == version and self.text == text:
                    self._release(analysis)
                    result = publish(self, analysis)
                    if asyncio.iscoroutine(result):
                        await result
                    if self.version == version and self.text == text:
                        return
        finally:
            self._running = False


def document_name(path: str | None, uri: str, root: str | None, restrict: bool) -> str:
    """The name a document is analysed under: its path, which also decides where
    its imports are looked for. A document outside the served directory (or
    without a path) is analysed as if it were in it, so that its imports
    cannot reach other files."""
    if path is not None and (not restrict or root is None or _inside(path, root)):
        return path
    base = os.path.basename(path or uri.rsplit("/", 1)[-1]) or "untitled.net"
    if root is None:
        return f"<{uri}>"
    return os.path.join(root, base)


def _inside(path: str, root: str) -> bool:
    real = os.path.realpath(path)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)
