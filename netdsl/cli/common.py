"""What several commands share: loading a spec, reporting its diagnostics."""

from __future__ import annotations

import json
import os
import sys

import netdsl

from ..io import EXIT_OK, EXIT_SPEC, UsageError, atomic_output
from ..lang.diagnostics import printable


def load(args, compiling: bool = False, data=None):
    """(graph, EXIT_OK, None) when clean; (None, code, SpecError or None) otherwise."""
    from ..data.tables import DataError

    try:
        g = netdsl.load(
            args.file,
            data=args.data if data is None else data,
            strict=args.strict,
            include_paths=getattr(args, "include_path", ()),
            compiling=compiling,
        )
    except netdsl.InputFileError as exc:
        raise UsageError(str(exc)) from None
    except FileNotFoundError as exc:
        raise UsageError(f"{exc.filename}: no such file") from None
    except IsADirectoryError as exc:
        raise UsageError(f"{exc.filename}: is a directory, not a file") from None
    except OSError as exc:
        raise UsageError(f"{exc.filename}: {exc.strerror}") from None
    except DataError as exc:
        print(f"netdsl: error: {exc}", file=sys.stderr)
        return None, EXIT_SPEC, None
    except netdsl.SpecError as exc:
        return None, EXIT_SPEC, exc
    net = netdsl.network(g)
    if net.diagnostics and not getattr(args, "json", False):
        print(netdsl.SpecError(net.diagnostics, net.source, net.sources).render(), file=sys.stderr)
    return g, EXIT_OK, None


def summary_line(diags) -> str:
    errors = sum(d.severity == "error" for d in diags)
    warnings = len(diags) - errors
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' * (errors != 1)}")
    if warnings:
        parts.append(f"{warnings} warning{'s' * (warnings != 1)}")
    return ", ".join(parts)


def report_failure(exc, as_json: bool) -> None:
    if as_json:
        graph = getattr(exc, "graph", None)
        if graph is not None:
            from ..ir.report import graph_json

            report = graph_json(graph, ok=False)
            report["params"] = None  # totals of a partial network would mislead
        else:
            name = stem(exc.source.name) if exc.source is not None else None
            report = {"ok": False, "network": name, "diagnostics": exc.to_json(), "nodes": [], "params": None}
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    print(exc.render(), file=sys.stderr)
    print(f"netdsl: {printable(exc.source.name)}: {summary_line(exc.diagnostics)}", file=sys.stderr)


def write_json(path: str, obj) -> None:
    with atomic_output(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(obj, fh, indent=2, ensure_ascii=False)
            fh.write("\n")


def stem(path: str) -> str:
    base = os.path.basename(path)
    return base[:-4] if base.endswith(".net") else os.path.splitext(base)[0] or "model"


__all__ = ["EXIT_OK", "EXIT_SPEC", "load", "report_failure", "summary_line", "write_json", "stem"]
