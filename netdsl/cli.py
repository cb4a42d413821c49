"""The `netdsl` command: check, compile, render, train, compare, fmt, explain.

Exit codes (a contract other tools rely on):
  0  success (warnings allowed)
  1  the spec (or its data) has errors
  2  usage or I/O problems
  3  an internal error: a bug in netdsl
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile

from . import __version__

EXIT_OK, EXIT_SPEC, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3


class UsageError(Exception):
    """Bad arguments or an unreadable/unwritable path: exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own exit is 2 as well; keep our prefix
        self.print_usage(sys.stderr)
        raise UsageError(message)


def _include_option(p) -> None:
    p.add_argument("--include-path", action="append", default=[], metavar="DIR",
                   help="also allow imports from this directory (repeatable)")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="netdsl", description="Write, check, compile and draw neural-network graphs.")
    p.add_argument("--version", action="version", version=f"netdsl {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    c = sub.add_parser("check", help="check a spec; print every layer's shape and parameters")
    c.add_argument("file", metavar="FILE")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.add_argument("--data", metavar="CSV", help="also check the spec's features against a CSV")
    c.add_argument("--strict", action="store_true", help="treat warnings as errors")
    _include_option(c)

    k = sub.add_parser("compile", help="compile a spec to a Keras model (.keras)")
    k.add_argument("file", metavar="FILE")
    k.add_argument("-o", "--output", metavar="OUT.keras",
                   help="where to write the model (default: build/<name>.keras)")
    k.add_argument("--data", metavar="CSV", help="CSV to adapt standardize layers on")
    k.add_argument("--seed", type=int, metavar="N", help="seed for identical initial weights")
    k.add_argument("--summary", action="store_true", help="print the Keras model summary")
    k.add_argument("--strict", action="store_true", help="treat warnings as errors")
    _include_option(k)

    r = sub.add_parser("render", help="draw a spec as a diagram (.svg, .png, .pdf or .dot)")
    r.add_argument("file", metavar="FILE")
    r.add_argument("-o", "--output", metavar="OUT", required=True,
                   help="the diagram; its extension (.svg .png .pdf .dot) picks the format")
    r.add_argument("--direction", choices=("TB", "LR"), default="TB",
                   help="top to bottom (default) or left to right")
    r.add_argument("--no-clusters", action="store_true",
                   help="do not group the layers of a named chain in a box")
    r.add_argument("--collapse-blocks", action="store_true",
                   help="draw each use of a block as one node with its parameter count")
    r.add_argument("--allow-errors", action="store_true",
                   help="draw a spec with errors anyway, the offending parts in red")
    r.add_argument("--strict", action="store_true", help="treat warnings as errors")
    _include_option(r)

    t = sub.add_parser("train", help="train a spec on a CSV file and report test metrics")
    t.add_argument("file", metavar="FILE")
    _training_options(t)
    t.add_argument("-o", "--output", metavar="OUT.keras", help="save the trained model here")
    t.add_argument("--history", metavar="FILE.json", help="save the per-epoch history and test metrics")
    t.add_argument("--seed", type=_natural(0), metavar="S", help="seed: identical weights and metrics")
    t.add_argument("--quiet", action="store_true", help="no progress bar")

    c = sub.add_parser("compare", help="train several specs on the same splits and compare them")
    c.add_argument("files", metavar="FILE", nargs="+")
    _training_options(c)
    c.add_argument("--runs", type=_natural(1), default=5, metavar="N", help="seeds per spec (default 5)")
    c.add_argument("--seed", type=_natural(0), default=0, metavar="S", help="first seed (default 0)")
    c.add_argument("--plot", metavar="CURVES.png", help="save the validation curves (.png, .svg, .pdf)")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.add_argument("--quiet", action="store_true", help="no progress lines")

    f = sub.add_parser("fmt", help="rewrite specs in the canonical layout")
    f.add_argument("files", metavar="FILE", nargs="+")
    f.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file would change")
    f.add_argument("--diff", action="store_true", help="print the changes as a diff; write nothing")
    f.add_argument("--width", type=_natural(20), default=88, metavar="N",
                   help="split chains longer than this (default 88)")

    e = sub.add_parser("explain", help="explain an error code, e.g. ND301 (all codes without one)")
    e.add_argument("code", metavar="CODE", nargs="?")
    e.add_argument("--markdown", action="store_true", help="all codes as a Markdown table")
    return p


def _checked_number(convert, ok, accepts: str):
    """An argparse type: the text converted, then checked; a clear message otherwise."""
    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            kind = "an integer" if convert is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {kind}, got {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"must be {accepts}, got {value}")
        return value
    return parse


def _natural(minimum: int):
    return _checked_number(int, lambda v: v >= minimum, f"at least {minimum}")


def _fraction(low_open: bool):
    if low_open:
        return _checked_number(float, lambda v: 0 < v < 1, "between 0 and 1")
    return _checked_number(float, lambda v: 0 <= v < 1, "from 0 up to 1")


def _columns(text: str) -> tuple[str, list[str]]:
    name, sep, cols = text.partition("=")
    if not sep or not name or not cols:
        raise argparse.ArgumentTypeError(f"expected INPUT=col1,col2,..., got {text!r}")
    return name.strip(), [c.strip() for c in cols.split(",")]


def _training_options(p) -> None:
    _include_option(p)
    p.add_argument("--data", metavar="CSV", required=True, help="the data, a CSV file with a header")
    p.add_argument("--epochs", type=_natural(1), metavar="N")
    p.add_argument("--batch-size", type=_natural(1), metavar="B")
    p.add_argument("--test-size", type=_fraction(True), metavar="F", help="held-out share (default 0.2)")
    p.add_argument("--validation-split", type=_fraction(False), metavar="F",
                   help="share of the training rows used for validation (default 0.1)")
    p.add_argument("--columns", type=_columns, action="append", default=[], metavar="INPUT=c1,c2",
                   help="bind an input without feature names to these columns")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    try:
        args = _parser().parse_args(argv)
        if args.command is None:
            _parser().print_help(sys.stderr)
            return EXIT_USAGE
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"netdsl: error: {exc}", file=sys.stderr)
        if "--json" in argv:    # tools reading --json always get one object
            print(json.dumps({"ok": False, "error": str(exc), "diagnostics": [], "nodes": [],
                              "params": None}))
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("netdsl: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:      # `netdsl check x.net | head`: the reader left; not an error
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except SystemExit as exc:  # argparse --help / --version
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except BaseException as exc:  # a bug of ours: say so, in one line
        if debug:
            raise
        print(f"netdsl: internal error: {type(exc).__name__}: {exc}\n"
              f"This is a bug in netdsl {__version__}, not in your spec. Please report it "
              f"with the spec that caused it; rerun with --debug for the traceback.", file=sys.stderr)
        return EXIT_BUG


def _load(args, compiling: bool = False):
    """(graph, EXIT_OK, None) when clean; (None, code, SpecError or None) otherwise."""
    from . import _checked
    from .data import DataError
    from .diagnostics import SpecError, render_all
    from .pipeline import InputFileError, read_source
    try:
        g = _checked(read_source(args.file), args.data, args.strict, compiling,
                     getattr(args, "include_path", ()))
    except InputFileError as exc:
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
    except SpecError as exc:
        return None, EXIT_SPEC, exc
    diags = g.graph["diagnostics"]
    if diags and not getattr(args, "json", False):
        print(render_all(diags, g.graph["source"], g.graph.get("sources")), file=sys.stderr)
    return g, EXIT_OK, None


def _summary_line(diags) -> str:
    errors = sum(d.severity == "error" for d in diags)
    warnings = len(diags) - errors
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' * (errors != 1)}")
    if warnings:
        parts.append(f"{warnings} warning{'s' * (warnings != 1)}")
    return ", ".join(parts)


def _report_failure(exc, as_json: bool) -> None:
    from .diagnostics import render_all, to_json
    if as_json:
        print(json.dumps({"ok": False,
                          "diagnostics": [to_json(d, exc.source, exc.sources) for d in exc.diagnostics],
                          "nodes": [], "params": None}, indent=2, ensure_ascii=False))
        return
    print(render_all(exc.diagnostics, exc.source, exc.sources), file=sys.stderr)
    print(f"netdsl: {exc.source.name}: {_summary_line(exc.diagnostics)}", file=sys.stderr)


def cmd_check(args) -> int:
    g, code, failure = _load(args)
    if g is None:
        if failure is not None:
            _report_failure(failure, args.json)
        return code
    from .report import graph_json, node_table
    if args.json:
        print(json.dumps(graph_json(g), indent=2, ensure_ascii=False))
    else:
        print(node_table(g))
    return EXIT_OK


def cmd_compile(args) -> int:
    output = args.output or os.path.join("build", _stem(args.file) + ".keras")
    if not output.endswith(".keras"):
        raise UsageError(f"{output}: the output must end in .keras (Keras 3's format)")
    if os.path.isdir(output):
        raise UsageError(f"{output}: is a directory")
    g, code, failure = _load(args, compiling=True)
    if g is None:
        if failure is not None:
            _report_failure(failure, False)
        return code
    import netdsl
    with _atomic_output(output) as tmp:
        model = netdsl.to_keras(g, seed=args.seed)
        model.save(tmp)
    if args.summary:
        model.summary()
    p = g.graph["params"]
    print(f"wrote {output}: model '{model.name}', {p['total']:,} parameters "
          f"({p['trainable']:,} trainable)")
    return EXIT_OK


@contextlib.contextmanager
def _atomic_output(path: str):
    """Yield a temporary path beside `path`; rename it into place on success.

    On any failure the temporary file is removed and an existing `path` is left
    as it was; a directory created for it is removed again.
    """
    parent = os.path.dirname(os.path.abspath(path))
    created = []
    probe = parent
    while not os.path.exists(probe):
        created.append(probe)
        probe = os.path.dirname(probe)
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{path}: cannot create its directory: {exc.strerror}") from None
    base = os.path.basename(path)
    suffix = os.path.splitext(base)[1]
    try:
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{base}.", suffix=suffix)
    except OSError as exc:
        _remove_dirs(created)
        raise UsageError(f"{path}: cannot write here: {exc.strerror}") from None
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        _remove_dirs(created)
        if isinstance(exc, OSError):
            reason = exc.strerror or str(exc)
            raise UsageError(f"{path}: cannot write: {reason}; nothing was written") from None
        raise


def _remove_dirs(created):
    for d in created:
        with contextlib.suppress(OSError):
            os.rmdir(d)


def _stem(path: str) -> str:
    base = os.path.basename(path)
    return base[:-4] if base.endswith(".net") else os.path.splitext(base)[0] or "model"


def cmd_render(args) -> int:
    from .backends.dot import FORMATS, DiagramOptions, RenderError, render, to_dot
    from .diagnostics import SpecError, has_errors, render_all
    from .pipeline import InputFileError, analyze, read_source
    fmt = os.path.splitext(args.output)[1].lower().lstrip(".")
    if fmt not in FORMATS:
        raise UsageError(f"{args.output}: unknown diagram format; use one of "
                         + ", ".join("." + f for f in FORMATS))
    if os.path.isdir(args.output):
        raise UsageError(f"{args.output}: is a directory")
    try:
        source = read_source(args.file)
    except InputFileError as exc:
        raise UsageError(str(exc)) from None
    g = analyze(source, args.include_path)
    diags = g.graph["diagnostics"]
    if args.strict:
        diags = [d.as_error() for d in diags]
        g.graph["diagnostics"] = diags
    if has_errors(diags) and (not args.allow_errors or g.graph.get("syntax_error")):
        _report_failure(SpecError(diags, source, g.graph.get("sources")), False)
        return EXIT_SPEC
    if diags:
        print(render_all(diags, source, g.graph.get("sources")), file=sys.stderr)
    dot_text = to_dot(g, DiagramOptions(direction=args.direction, clusters=not args.no_clusters,
                                        allow_errors=args.allow_errors,
                                        collapse_blocks=args.collapse_blocks))
    try:
        data = render(dot_text, fmt)
    except RenderError as exc:
        raise UsageError(str(exc)) from None
    with _atomic_output(args.output) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
    errors = sum(d.severity == "error" for d in diags)
    note = f" (with {errors} error{'s' * (errors != 1)} drawn in red)" if errors else ""
    print(f"wrote {args.output}{note}")
    return EXIT_OK


def _prepare_training(args, path: str):
    """Load and bind a spec for training without TensorFlow: (graph, table) or an exit code."""
    from .data import DataError, read_csv
    from .diagnostics import SpecError
    from .training import prepare, _resolve_settings
    try:
        table = read_csv(args.data)
    except FileNotFoundError:
        raise UsageError(f"{args.data}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{args.data}: is a directory, not a CSV file") from None
    except OSError as exc:
        raise UsageError(f"{args.data}: {exc.strerror}") from None
    except DataError as exc:
        print(f"netdsl: error: {exc}", file=sys.stderr)
        return EXIT_SPEC
    args.data_table = table
    g, code, failure = _load(argparse.Namespace(file=path, data=table, strict=False,
                                                include_path=args.include_path), compiling=True)
    if g is None:
        if failure is not None:
            _report_failure(failure, False)
        return code
    settings = _resolve_settings(g, _overrides(args))
    if args.seed is None:
        args.seed = settings["seed"]        # chosen once: the split checked here is the one used
    try:
        prepare(g, table, dict(args.columns), settings["test_size"], settings["seed"])
    except SpecError as exc:
        _report_failure(exc, False)
        return EXIT_SPEC
    except DataError as exc:
        print(f"netdsl: error: {exc}", file=sys.stderr)
        return EXIT_SPEC
    return g


def _overrides(args) -> dict:
    return dict(epochs=args.epochs, batch_size=args.batch_size, test_size=args.test_size,
                validation_split=args.validation_split, seed=args.seed)


def _write_json(path: str, obj) -> None:
    with _atomic_output(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(obj, fh, indent=2, ensure_ascii=False)
            fh.write("\n")


def cmd_train(args) -> int:
    if args.output and not args.output.endswith(".keras"):
        raise UsageError(f"{args.output}: the output must end in .keras (Keras 3's format)")
    if args.history and not args.history.endswith(".json"):
        raise UsageError(f"{args.history}: the history is written as JSON; name it *.json")
    g = _prepare_training(args, args.file)
    if isinstance(g, int):
        return g
    from .training import train
    verbose = 1 if sys.stdout.isatty() and not args.quiet else 0
    result = train(g, args.data_table, columns=dict(args.columns), verbose=verbose, **_overrides(args))
    s = result.settings
    print(f"trained {g.graph['name']} on {args.data}: {result.rows['train']} training rows, "
          f"{result.rows['test']} test rows, {s['epochs']} epochs, batch size {s['batch_size']}, "
          f"seed {s['seed']} ({result.seconds:.1f} s)")
    print("test: " + ", ".join(f"{k} {v:.4f}" for k, v in sorted(result.test.items(), key=_metric_order)))
    record = {"spec": args.file, "data": args.data, "network": g.graph["name"],
              "params": g.graph["params"], **result.summary()}
    if args.output:
        labels = os.path.splitext(args.output)[0] + ".labels.json"
        with _atomic_output(args.output) as tmp:
            result.model.save(tmp)
        _write_json(labels, result.classes)
        print(f"wrote {args.output} and its label mapping {labels}")
    if args.history:
        _write_json(args.history, record)
        print(f"wrote {args.history}")
    return EXIT_OK


def _metric_order(item):
    return (item[0] == "loss", item[0])


def cmd_compare(args) -> int:
    if args.plot and os.path.splitext(args.plot)[1].lower() not in (".png", ".svg", ".pdf"):
        raise UsageError(f"{args.plot}: the plot is .png, .svg or .pdf")
    if args.plot:
        import importlib.util
        if importlib.util.find_spec("matplotlib") is None:
            raise UsageError("--plot needs matplotlib: pip install matplotlib (or leave out --plot)")
    graphs = []
    for path in args.files:
        g = _prepare_training(args, path)
        if isinstance(g, int):
            return g
        graphs.append((path, g))
    from .training import train
    import statistics
    seeds = [args.seed + r for r in range(args.runs)]
    rows = []
    for path, g in graphs:
        runs = []
        for seed in seeds:
            if not args.quiet and not args.json:
                print(f"  training {path} (seed {seed})", file=sys.stderr, flush=True)
            overrides = {**_overrides(args), "seed": seed}
            runs.append(train(g, args.data_table, columns=dict(args.columns), **overrides))
        rows.append((path, g, runs))

    def stats(values):
        return {"mean": statistics.fmean(values),
                "std": statistics.stdev(values) if len(values) > 1 else 0.0, "values": values}

    report = {"data": args.data, "runs": args.runs, "seeds": seeds, "specs": []}
    for path, g, runs in rows:
        metrics = sorted(runs[0].test, key=lambda k: (k == "loss", k))
        report["specs"].append({
            "spec": path, "network": g.graph["name"], "params": g.graph["params"]["total"],
            "settings": {k: v for k, v in runs[0].settings.items() if k != "seed"},
            "test": {m: stats([r.test[m] for r in runs]) for m in metrics},
            "train_seconds": stats([r.seconds for r in runs]),
        })
    if args.plot:
        from .plot import plot_curves
        first_metric = next((m for m in sorted(rows[0][2][0].test) if m != "loss"), None)
        with _atomic_output(args.plot) as tmp:
            plot_curves({os.path.basename(p): [r.history for r in runs] for p, _, runs in rows},
                        tmp, first_metric,
                        f"{len(rows)} specs on {os.path.basename(args.data)}, {args.runs} runs each")
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(_compare_table(report))
        if args.plot:
            print(f"wrote {args.plot}")
    return EXIT_OK


def _compare_table(report: dict) -> str:
    metrics = []
    for spec in report["specs"]:
        metrics += [m for m in spec["test"] if m not in metrics]
    metrics.sort(key=lambda m: (m == "loss", m))
    head = ["spec", "params"] + [f"test {m}" for m in metrics] + ["train time"]
    body = []
    for spec in report["specs"]:
        cells = [spec["spec"], f"{spec['params']:,}"]
        for m in metrics:
            s = spec["test"].get(m)
            cells.append(f"{s['mean']:.3f} ± {s['std']:.3f}" if s else "-")
        t = spec["train_seconds"]
        cells.append(f"{t['mean']:.1f} ± {t['std']:.1f} s")
        body.append(cells)
    widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in [head] + body]
    seeds = report["seeds"]
    return (f"{len(report['specs'])} specs on {report['data']}, {report['runs']} runs "
            f"(seeds {seeds[0]}-{seeds[-1]}; the same train/test split for every spec in a run); "
            f"mean ± std\n" + "\n".join(lines))


def cmd_explain(args) -> int:
    from .diagnostics import CODES, did_you_mean
    if args.code is None:
        if args.markdown:
            print("| code | meaning |\n|---|---|")
            for c, text in CODES.items():
                print(f"| {c} | " + text.replace("|", "\\|") + " |")
        else:
            print("\n".join(f"{c}  {text}" for c, text in CODES.items()))
        return EXIT_OK
    code = args.code.upper()
    if code not in CODES:
        hint = did_you_mean(code, CODES)
        raise UsageError(f"unknown code '{args.code}'" + (f"; {hint}" if hint else ""))
    print(f"{code}: {CODES[code]}")
    return EXIT_OK


def cmd_fmt(args) -> int:
    from .fmt import cmd_fmt as run
    return run(args)


COMMANDS = {"check": cmd_check, "compile": cmd_compile, "render": cmd_render, "train": cmd_train,
            "compare": cmd_compare, "fmt": cmd_fmt, "explain": cmd_explain}
