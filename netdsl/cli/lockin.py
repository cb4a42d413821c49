"""import, emit and diff: the commands that take netdsl's models somewhere else and back.

Also the output side of `compile --format` (which format, where) and reading a
`.keras` file where a command takes a spec (render, diff).
"""

from __future__ import annotations

import os
import sys

import netdsl

from ..io import EXIT_OK, EXIT_SPEC, UsageError, atomic_output, check_outputs
from .common import stem, summary_line

# --format -> the file name suffix it writes ("" for a SavedModel directory)
EXPORT_SUFFIXES = {"keras": ".keras", "savedmodel": "", "onnx": ".onnx", "litert": ".tflite"}


def cmd_import(args) -> int:
    """netdsl import MODEL.keras [-o model.net] [--allow-unsupported]"""
    if args.output and not args.output.endswith(".net"):
        raise UsageError(f"{args.output}: the spec written must end in .net")
    if args.output and os.path.isdir(args.output):
        raise UsageError(f"{args.output}: is a directory")
    if args.output:
        check_outputs([("-o", args.output)], [args.file])
    try:
        result = netdsl.import_keras(args.file, allow_unsupported=args.allow_unsupported)
    except netdsl.InputFileError as exc:
        raise UsageError(str(exc)) from None
    failure = netdsl.SpecError(result.diagnostics, result.source)
    if result.text is None:
        print(failure.render(), file=sys.stderr)
        print(f"netdsl: {args.file}: {summary_line(result.diagnostics)}; nothing written", file=sys.stderr)
        return EXIT_SPEC
    if result.diagnostics:
        print(failure.render(), file=sys.stderr)
    if not args.output:
        sys.stdout.write(result.text)
        return EXIT_OK
    with atomic_output(args.output) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(result.text)
    stopped = " (stopped at unsupported layers: see the comment in the spec)" if result.failed else ""
    print(
        f"wrote {args.output}: {result.layers} layers, "
        f"{result.kept_names} of {result.layers} Keras layer names kept{stopped}"
    )
    return EXIT_OK


def analyze_any(path: str, include_paths=(), strict: bool = False):
    """netdsl.analyze for a spec, or for a saved Keras model through import."""
    if not path.endswith(".keras"):
        return netdsl.analyze(path, include_paths=include_paths, strict=strict)
    result = netdsl.import_keras(path, allow_unsupported=False)
    if result.text is None:
        raise netdsl.SpecError(result.diagnostics, result.source)
    from ..ir.pipeline import analyze
    from ..lang.source import Source

    g = analyze(Source(path[: -len(".keras")] + ".net", result.text))
    if strict:
        net = netdsl.network(g)
        net.diagnostics = [d.as_error() for d in net.diagnostics]
    return g


def compile_target(args) -> tuple[str, str]:
    """(format, output path) of `compile`: --format, else -o's suffix, else .keras."""
    fmt = args.format
    output = args.output
    if output is not None and fmt is None:
        suffix = os.path.splitext(output.rstrip("/"))[1].lower()
        by_suffix = {s: f for f, s in EXPORT_SUFFIXES.items()}
        if suffix not in by_suffix:
            raise UsageError(
                f"{output}: unknown output format: the output must end in .keras (Keras 3's format), "
                ".onnx or .tflite, or be a directory name for a SavedModel (or give --format)"
            )
        fmt = by_suffix[suffix]
    fmt = fmt or "keras"
    if output is None:
        output = os.path.join("build", stem(args.file) + (EXPORT_SUFFIXES[fmt] or "_savedmodel"))
    suffix = EXPORT_SUFFIXES[fmt]
    if suffix and not output.endswith(suffix):
        raise UsageError(f"{output}: --format {fmt} writes a {suffix} file")
    if fmt == "savedmodel" and os.path.isfile(output):
        raise UsageError(f"{output}: a SavedModel is a directory, and this is a file")
    if fmt != "savedmodel" and os.path.isdir(output):
        raise UsageError(f"{output}: is a directory")
    return fmt, output


def write_model(g, model, fmt: str, output: str) -> str:
    """Write the built model in `fmt`, atomically; a description of what was written."""
    if fmt == "keras":
        from ..backends.archive import add_netdsl_entry

        with atomic_output(output) as tmp:
            model.save(tmp)
            add_netdsl_entry(tmp, _features(g, model), extra=_columns_entry(g))
        return ""
    from ..backends.export import ExportError, export
    from ..io import atomic_directory

    try:
        if fmt == "savedmodel":
            with atomic_directory(output) as tmp:
                return export(model, tmp, fmt)
        with atomic_output(output) as tmp:
            return export(model, tmp, fmt)
    except ExportError as exc:
        raise UsageError(f"{output}: {exc}; nothing was written") from None


def _features(g, model) -> dict:
    """Each Keras input's columns: a vector input's feature names, a record field's own column."""
    from ..backends.keras_layers import keras_inputs

    return {ki.key: list(ki.columns or ()) for ki in keras_inputs(g)}  # [] for no names: predict says so


def _columns_entry(g) -> dict:
    """What `predict` needs besides: each column's type, the numeric columns the model fills."""
    from ..backends.keras_layers import keras_inputs
    from ..data.tables import filled_columns

    kinds: dict[str, str] = {}
    for ki in keras_inputs(g):
        kind = {"string": "string", "int64": "int"}.get(ki.dtype, "float")
        kinds.update((c, kind) for c in ki.columns or ())
    # the record each column belongs to, by Keras input: `netdsl import` writes the record back
    records = {ki.name: [ki.node, ki.field] for ki in keras_inputs(g) if ki.field is not None}
    return {"kinds": kinds, "fillable": sorted({c for _, c in filled_columns(g)}), "records": records}


def cmd_diff(args) -> int:
    """netdsl diff A B [--json]: each a .net or a .keras file."""
    import json

    try:
        d = netdsl.diff(args.a, args.b, include_paths=args.include_path)
    except netdsl.InputFileError as exc:
        raise UsageError(str(exc)) from None
    except netdsl.SpecError as exc:
        print(exc.render(), file=sys.stderr)
        print(f"netdsl: {exc.source.name}: {summary_line(exc.diagnostics)}", file=sys.stderr)
        return EXIT_SPEC
    if args.json:
        print(json.dumps(d.to_json(), indent=2, ensure_ascii=False))
    else:
        print(d.text())
    return EXIT_OK


# Colours of `render --diff`: what B changed, drawn over B's own diagram.
DIFF_STYLE = {
    "added": ("#15803d", "#bbf7d0"),
    "changed": ("#c2410c", "#fed7aa"),
    "rewired": ("#c2410c", "#ffedd5"),
    "renamed": ("#1d4ed8", "#bfdbfe"),
}


def diff_dot(g, dot_text: str, against: str, include_paths=()) -> str:
    """B's DOT with its changes since `against` coloured, and A's removed layers
    as dashed ghosts. Later DOT statements override a node's attributes."""
    from ..ir.diff import diff_graphs

    d = diff_graphs(netdsl.load_any(against, include_paths=include_paths), g, against, "this spec")
    extra = []
    for name, mark in sorted(d.changed_in_b().items()):
        color, fill = DIFF_STYLE[mark]
        extra.append(f'  "{_dot_escape(name)}" [color="{color}", fillcolor="{fill}", penwidth="2.4"];')
    for layer in d.removed:
        label = f"removed: {layer.name}\n{layer.op}"
        extra.append(
            f'  "removed:{_dot_escape(layer.name)}" [label="{_dot_escape(label)}", shape=box, '
            'style="dashed,rounded", color="#94a3b8", fontcolor="#64748b"];'
        )
    legend = (
        f"changes since {against}: {len(d.added)} added, {len(d.removed)} removed, "
        f"{len(d.changed)} changed, {len(d.renamed)} renamed, {len(d.rewired)} rewired; "
        f"parameters {d.params[0]:,} -> {d.params[1]:,}"
    )
    extra.append(f'  "diff-legend" [shape=plaintext, label="{_dot_escape(legend)}", fontcolor="#334155"];')
    body = dot_text.rstrip()
    assert body.endswith("}"), "a DOT graph"
    return body[:-1] + "\n".join(extra) + "\n}\n"


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def cmd_emit(args) -> int:
    """netdsl emit FILE.net --python [-o model.py] [--data CSV]"""
    from .common import load

    if args.output and not args.output.endswith(".py"):
        raise UsageError(f"{args.output}: the Python file written must end in .py")
    if args.output:
        check_outputs([("-o", args.output)], [args.file, *([args.data] if args.data else [])])
    g, code, failure = load(args, compiling=True)
    if g is None:
        if failure is not None:
            from .common import report_failure

            report_failure(failure, False)
        return code
    text = netdsl.to_python(g, data=args.data, origin=os.path.basename(args.file))
    if not args.output:
        sys.stdout.write(text)
        return EXIT_OK
    with atomic_output(args.output) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
    print(f"wrote {args.output}: Keras 3 Python for model '{netdsl.network(g).name}'")
    return EXIT_OK
