"""check, compile and render: the commands on one spec that need no data."""

from __future__ import annotations

import json
import os
import sys

import netdsl

from ..io import EXIT_OK, EXIT_SPEC, UsageError, atomic_output
from .common import load, report_failure


def cmd_check(args) -> int:
    from .tuning import check_with_space

    spaced = check_with_space(args)  # a spec with a search space: every combination
    if spaced is not None:
        return spaced
    g, code, failure = load(args)
    if g is None:
        if failure is not None:
            report_failure(failure, args.json)
        return code
    from ..ir.report import graph_json, node_table

    if args.json:
        print(json.dumps(graph_json(g), indent=2, ensure_ascii=False))
    else:
        print(node_table(g))
    return EXIT_OK


def cmd_compile(args) -> int:
    from ..backends.keras import model_params
    from .lockin import compile_target, write_model

    fmt, output = compile_target(args)
    g, code, failure = load(args, compiling=True)
    if g is None:
        if failure is not None:
            report_failure(failure, False)
        return code
    model = netdsl.to_keras(g, data=args.data, seed=args.seed)
    info = write_model(g, model, fmt, output)
    if args.summary:
        model.summary()
    # The saved model's own count: values no output uses are not in it (ND105 says so).
    total, trainable = model_params(model)
    print(f"wrote {output}: model '{model.name}', {total:,} parameters ({trainable:,} trainable)")
    if info:
        print(f"  {fmt}: {info}")
    return EXIT_OK


def cmd_render(args) -> int:
    from ..backends.dot import FORMATS, DiagramOptions, RenderError

    fmt = os.path.splitext(args.output)[1].lower().lstrip(".")
    if fmt not in FORMATS:
        raise UsageError(
            f"{args.output}: unknown diagram format; use one of " + ", ".join("." + f for f in FORMATS)
        )
    if os.path.isdir(args.output):
        raise UsageError(f"{args.output}: is a directory")
    from .lockin import analyze_any

    try:
        g = analyze_any(args.file, include_paths=args.include_path, strict=args.strict)
    except netdsl.InputFileError as exc:
        raise UsageError(str(exc)) from None
    except netdsl.SpecError as exc:  # a .keras file netdsl cannot import
        report_failure(exc, False)
        return EXIT_SPEC
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
    with atomic_output(args.output) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
    errors = sum(d.severity == "error" for d in diags)
    note = f" (with {errors} error{'s' * (errors != 1)} drawn in red)" if errors else ""
    print(f"wrote {args.output}{note}")
    return EXIT_OK
