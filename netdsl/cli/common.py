"""What several commands share: reading specs, loading them, reporting diagnostics."""

from __future__ import annotations

import math
import os
import sys

import netdsl

from ..io import EXIT_OK, EXIT_SPEC, InputFileError, UsageError, atomic_output
from ..lang.diagnostics import printable
from ..lang.source import MAX_SPEC_BYTES, Source, decode_source, read_source

STDIN = "-"
STDIN_NAME = "<stdin>"


def read_specs(paths: list[str]) -> list[Source]:
    """Every spec read once, before any work: an unreadable one is a usage
    error (exit 2) before anything is checked or written. "-" is standard input."""
    if paths.count(STDIN) > 1:
        raise UsageError("'-' (standard input) can be read only once")
    sources = []
    for path in paths:
        try:
            sources.append(_read_stdin() if path == STDIN else read_source(path))
        except InputFileError as exc:
            raise UsageError(str(exc)) from None
    return sources


def _read_stdin() -> Source:
    data = sys.stdin.buffer.read(MAX_SPEC_BYTES + 1)
    if len(data) > MAX_SPEC_BYTES:
        raise UsageError(f"{STDIN_NAME}: larger than {MAX_SPEC_BYTES >> 20} MiB; is it a spec?")
    try:
        return decode_source(STDIN_NAME, data)
    except InputFileError as exc:
        raise UsageError(str(exc)) from None


def load(args, compiling: bool = False, data=None):
    """For commands on one spec (args.file): (graph, EXIT_OK, None) when clean;
    (None, EXIT_SPEC, SpecError) otherwise."""
    (source,) = read_specs([args.file])
    g, failure = load_source(source, args, compiling, data)
    return (g, EXIT_OK, None) if failure is None else (None, EXIT_SPEC, failure)


def load_source(source: Source, args, compiling: bool = False, data=None):
    """(graph, None) when the spec is clean (warnings are printed unless --json);
    (graph, SpecError) when it has errors. The graph holds what could be built."""
    from ..data.spec import checked_graph

    try:
        g = checked_graph(
            source,
            getattr(args, "data", None) if data is None else data,
            getattr(args, "strict", False),
            compiling,
            getattr(args, "include_path", ()),
        )
    except FileNotFoundError as exc:
        raise UsageError(f"{exc.filename}: no such file") from None
    except IsADirectoryError as exc:
        raise UsageError(f"{exc.filename}: is a directory, not a file") from None
    except OSError as exc:
        raise UsageError(f"{exc.filename}: {exc.strerror}") from None
    net = netdsl.network(g)
    failure = netdsl.SpecError(net.diagnostics, net.source, net.sources)
    if netdsl.has_errors(net.diagnostics):
        failure.graph = g  # what could be built (check --json lists it)
        return g, failure
    if net.diagnostics and not getattr(args, "json", False):
        print(failure.render(), file=sys.stderr)
    return g, None


def summary_line(diags) -> str:
    errors = sum(d.severity == "error" for d in diags)
    warnings = len(diags) - errors
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' * (errors != 1)}")
    if warnings:
        parts.append(f"{warnings} warning{'s' * (warnings != 1)}")
    return ", ".join(parts)


def failure_json(exc, g=None) -> dict:
    """The --json object of a spec with errors (the schema of a clean one):
    the network's name and the nodes that could be built, no totals."""
    graph = g if g is not None else getattr(exc, "graph", None)
    if graph is None:
        name = stem(exc.source.name) if exc.source is not None else None
        return {"ok": False, "network": name, "diagnostics": exc.to_json(), "nodes": [], "params": None}
    from ..ir.report import graph_json

    report = graph_json(graph, ok=False)
    report["diagnostics"] = exc.to_json()
    report["params"] = None  # totals of a partial network would mislead
    return report


def report_failure(exc, as_json: bool, g=None) -> None:
    if as_json:
        import json

        print(json.dumps(failure_json(exc, g), indent=2, ensure_ascii=False))
        return
    print(exc.render(), file=sys.stderr)
    print(f"netdsl: {printable(exc.source.name)}: {summary_line(exc.diagnostics)}", file=sys.stderr)


def report_data_error(exc) -> None:
    """A DataError located in its data file (code, line, caret) when it knows
    the file; as one line otherwise."""
    if exc.path is None:
        print(f"netdsl: error: {exc}", file=sys.stderr)
        if exc.help:
            print(f"  help: {exc.help}", file=sys.stderr)
        return
    report_failure(exc.spec_error(), False)


def json_safe(obj):
    """`obj` with NaN and infinities as None: JSON has no NaN, and strict
    parsers refuse the bare `NaN` Python's json module would write."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def dumps(obj, **kwargs) -> str:
    import json  # here: `check` without --json never needs it (a cold start's milliseconds)

    return json.dumps(json_safe(obj), allow_nan=False, ensure_ascii=False, **kwargs)


def write_json(path: str, obj) -> None:
    text = dumps(obj, indent=2) + "\n"  # made first: a value JSON cannot hold fails before writing
    with atomic_output(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)


def stem(path: str) -> str:
    base = os.path.basename(path)
    return base[:-4] if base.endswith(".net") else os.path.splitext(base)[0] or "model"


def output_stem(path: str) -> str:
    """The name of a default output: the spec file's, "stdin" for standard input."""
    return "stdin" if path == STDIN else stem(path)


__all__ = [
    "EXIT_OK",
    "EXIT_SPEC",
    "STDIN",
    "read_specs",
    "load",
    "load_source",
    "report_failure",
    "report_data_error",
    "failure_json",
    "summary_line",
    "write_json",
    "dumps",
    "json_safe",
    "stem",
    "output_stem",
]
