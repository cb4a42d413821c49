"""One training task run in this process: the function every executor of
netdsl.apps.runner calls (a worker keeps its tables and checked specs cached)."""

from __future__ import annotations

import functools
import os


@functools.lru_cache(maxsize=4)
def cached_table(path: str, kinds: tuple):
    """The columns `kinds` ((column, kind), ...) of a file, read once per worker."""
    from ..data import arrow

    return arrow.read_table(path, dict(kinds), memory_limit=0)  # the command checked the budget


def table_for(g, path: str, columns: dict | None = None):
    """The file's columns that the spec reads, typed (cached: every spec of a
    compare reading the same columns reads the file once)."""
    from ..data import arrow
    from ..data.tables import spec_kinds

    kinds = spec_kinds(g, arrow.read_header(path).columns, columns)
    return cached_table(path, tuple(sorted(kinds.items())))


@functools.lru_cache(maxsize=64)
def _graph(spec: str, text: str | None, include_paths: tuple, data: str):
    from ..data.spec import checked
    from ..lang.source import Source, read_source

    source = read_source(spec) if text is None else Source(spec, text)
    return checked(source, data, strict=False, compiling=True, include_paths=include_paths)


@functools.lru_cache(maxsize=64)
def _prepared(spec: str, text: str | None, include_paths: tuple, data: str, columns: tuple):
    """The data bound to a spec once per worker: every seed and fold of it trains on this."""
    from .training import prepare

    g = _graph(spec, text, include_paths, data)
    bound = {k: list(v) for k, v in columns}
    return g, prepare(g, table_for(g, data, bound), bound)


class TaskFailed(Exception):
    """A task's SpecError (a loss that became NaN), as its rendered text: plain
    data, so that it crosses a process boundary like a result does."""


def run_task(task: dict) -> dict:
    """Train one task in this process; its result as plain data."""
    from ..lang.diagnostics import SpecError
    from .evaluate import without_curves
    from .training import train

    columns = tuple(sorted((k, tuple(v)) for k, v in task["columns"].items()))
    g, prepared = _prepared(task["spec"], task["text"], tuple(task["include_paths"]), task["data"], columns)
    fold = tuple(task["fold"]) if task["fold"] else None
    try:
        result = train(g, prepared, fold=fold, **task["settings"])
    except SpecError as exc:
        if task.get("keep_going"):
            return {"error": exc.render(color=False), "process": os.getpid()}
        raise TaskFailed(exc.render(color=False)) from None
    return {
        "history": result.history,
        "test": result.test,
        "settings": result.settings,
        "seconds": result.seconds,
        "report": without_curves(result.report),
        "rows": result.rows,
        "process": os.getpid(),  # which worker trained it: TensorFlow is imported once per worker
    }
