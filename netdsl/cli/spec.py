"""check, compile and render: the commands on specs that need no training."""

from __future__ import annotations

import argparse
import os
import sys

import netdsl

from ..io import EXIT_OK, EXIT_SPEC, UsageError, atomic_output, check_outputs
from .args import FORMATS
from .common import STDIN, dumps, failure_json, load_source, output_stem, read_specs, report_failure


def cmd_check(args) -> int:
    sources = read_specs(args.files)
    code, objects = EXIT_OK, []
    for i, source in enumerate(sources):
        g, failure, shown = _check_one(source, args)
        if failure is not None:
            code = EXIT_SPEC
            if args.json:
                objects.append(failure_json(failure, g))
            else:
                report_failure(failure, False)
            continue
        if args.json:
            objects.append(shown)
        else:
            print(("\n" if i else "") + shown)
    if args.json:
        print(dumps(objects[0] if len(args.files) == 1 else objects, indent=2))
    return code


def _check_one(source, args):
    """(graph, SpecError or None, the table or --json object); a spec with a
    search space is checked in every combination of its grid instead."""
    from ..ir.report import graph_json, node_table
    from ..ir.values import names_space_op

    if names_space_op(source.text):
        from .tuning import check_space_of

        spaced = check_space_of(source, args)
        if spaced is not None:
            return None, *spaced
    g, failure = load_source(source, args)
    if failure is not None:
        return g, failure, None
    return g, None, graph_json(g) if args.json else node_table(g)


def _outputs(args, extension: str) -> list[str]:
    """Where each FILE's diagram goes: -o for one file, -o DIR or build/ for several."""
    out = args.output
    if out is not None and len(args.files) == 1 and not (os.path.isdir(out) or out.endswith(os.sep)):
        return [out]
    if out is not None and len(args.files) > 1 and not os.path.isdir(out) and not out.endswith(os.sep):
        raise UsageError(f"-o {out}: with several files, -o names a directory (it writes NAME{extension})")
    folder = out if out is not None else "build"
    return [os.path.join(folder, output_stem(f) + extension) for f in args.files]


def _model_outputs(args) -> list[tuple[str, str]]:
    """(format, path) of each FILE's model: -o (or --format) for one file; for
    several, -o is the directory the models go to (default build/)."""
    from .lockin import EXPORT_SUFFIXES, compile_target

    if len(args.files) == 1:
        one = argparse.Namespace(**{**vars(args), "file": output_stem(args.files[0]) + ".net"})
        return [compile_target(one)]
    out = args.output
    if out is not None and os.path.exists(out) and not os.path.isdir(out):
        raise UsageError(f"-o {out}: with several files, -o names the directory the models go to")
    fmt = args.format or "keras"
    suffix = EXPORT_SUFFIXES[fmt] or "_savedmodel"
    return [(fmt, os.path.join(out or "build", output_stem(f) + suffix)) for f in args.files]


def _inputs(args) -> list[str]:
    return [*args.files, *([args.data] if getattr(args, "data", None) else [])]


def _imports_collide(g, outputs: list[tuple[str, str]]) -> None:
    """An output that is a file the spec imports: refused before writing."""
    imported = [s.name for s in netdsl.network(g).sources[1:]]
    if imported:
        check_outputs(outputs, imported)


def cmd_compile(args) -> int:
    targets = _model_outputs(args)
    check_outputs([("-o", o) for _, o in targets], _inputs(args))
    sources = read_specs(args.files)
    graphs = []
    for source in sources:
        g, failure = load_source(source, args, compiling=True)
        if failure is not None:
            report_failure(failure, False)
            return EXIT_SPEC
        graphs.append(g)
    from ..apps.memory import check_model_memory

    for g, (_, output) in zip(graphs, targets):
        _imports_collide(g, [("-o", output)])
        try:
            check_model_memory(g, args.memory_limit, training=False)
        except netdsl.SpecError as exc:
            report_failure(exc, False)
            return EXIT_SPEC
    for g, (fmt, output) in zip(graphs, targets):
        _compile_one(args, g, fmt, output)
    return EXIT_OK


def _compile_one(args, g, fmt: str, output: str) -> None:
    from ..backends.keras import model_params
    from .lockin import write_model

    model = netdsl.to_keras(g, data=args.data, seed=args.seed)
    info = write_model(g, model, fmt, output)
    if args.summary:
        model.summary()
    # The saved model's own count: values no output uses are not in it (ND105 says so).
    total, trainable = model_params(model)
    print(f"wrote {output}: model '{model.name}', {total:,} parameters ({trainable:,} trainable)")
    if info:
        print(f"  {fmt}: {info}")


def _render_format(args) -> str:
    if args.format:
        fmt = args.format
        ext = os.path.splitext(args.output or "")[1].lower().lstrip(".")
        if args.output not in (None, STDIN) and ext in FORMATS and ext != fmt:
            raise UsageError(f"{args.output}: the extension says {ext} but --format says {fmt}")
        return fmt
    if args.output in (None, STDIN) or os.path.isdir(args.output):
        return "svg"
    fmt = os.path.splitext(args.output)[1].lower().lstrip(".")
    if fmt not in FORMATS:
        raise UsageError(
            f"{args.output}: unknown diagram format; use one of "
            + ", ".join("." + f for f in FORMATS)
            + " (or --format)"
        )
    return fmt


def cmd_render(args) -> int:
    fmt = _render_format(args)
    to_stdout = args.output == STDIN
    if to_stdout and len(args.files) > 1:
        raise UsageError("-o - writes one diagram; give one FILE")
    if to_stdout and fmt in ("png", "pdf") and sys.stdout.isatty():
        raise UsageError(f"not writing {fmt.upper()} to a terminal; redirect standard output to a file")
    outputs = [STDIN] if to_stdout else _outputs(args, "." + fmt)
    inputs = [*args.files, *([args.diff] if args.diff else [])]
    if not to_stdout:
        check_outputs([("-o", o) for o in outputs], inputs)
    code = EXIT_OK
    for source, output in zip(_read_drawables(args.files), outputs):
        code = max(code, _render_one(args, source, output, fmt))
    return code


def _read_drawables(paths: list[str]) -> list:
    """Specs read (a Source each), and saved Keras models left as paths for import."""
    for path in paths:
        if path.endswith(".keras") and not os.path.isfile(path):
            raise UsageError(f"{path}: no such file")
    specs = iter(read_specs([p for p in paths if not p.endswith(".keras")]))
    return [p if p.endswith(".keras") else next(specs) for p in paths]


def _render_one(args, source, output: str, fmt: str) -> int:
    from ..backends.dot import DiagramOptions, RenderError

    if isinstance(source, str):  # a saved Keras model, drawn through import
        from .lockin import analyze_any

        try:
            g = analyze_any(source, include_paths=args.include_path, strict=args.strict)
        except netdsl.InputFileError as exc:
            raise UsageError(str(exc)) from None
        except netdsl.SpecError as exc:  # a .keras file netdsl cannot import
            report_failure(exc, False)
            return EXIT_SPEC
    else:
        g = netdsl.analyze(source.name, text=source.text, include_paths=args.include_path, strict=args.strict)
    net = netdsl.network(g)
    from ..ir.checks import library_only

    library = library_only(g)
    diags = net.diagnostics = net.diagnostics + ([library] if library else [])
    failure = netdsl.SpecError(diags, net.source, net.sources)
    if netdsl.has_errors(diags) and (not args.allow_errors or net.syntax_error or library):
        report_failure(failure, False)
        return EXIT_SPEC
    if diags:
        print(failure.render(), file=sys.stderr)
    if output != STDIN:
        _imports_collide(g, [("-o", output)])
    options = DiagramOptions(
        direction=args.direction,
        clusters=not args.no_clusters,
        allow_errors=args.allow_errors,
        collapse_blocks=args.collapse_blocks,
        legend=args.legend,
    )
    try:
        if args.diff:
            from ..backends.dot import render as draw
            from .lockin import diff_dot

            dot = diff_dot(g, netdsl.to_dot(g, options), args.diff, args.include_path)
            data = draw(dot, fmt, timeout=args.dot_timeout, dpi=args.dpi)
        else:
            data = netdsl.render(g, fmt, options, timeout=args.dot_timeout, dpi=args.dpi)
    except RenderError as exc:
        raise UsageError(str(exc)) from None
    if output == STDIN:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        return EXIT_OK
    with atomic_output(output) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
    errors = sum(d.severity == "error" for d in diags)
    note = f" (with {errors} error{'s' * (errors != 1)} drawn in red)" if errors else ""
    print(f"wrote {output}{note}")
    return EXIT_OK
