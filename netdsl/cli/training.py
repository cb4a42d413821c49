"""train and compare: the commands that fit models on a CSV file."""

from __future__ import annotations

import argparse
import os
import statistics
import sys

from ..io import EXIT_OK, EXIT_SPEC, UsageError, atomic_output, check_outputs, format_bytes
from ..ir.core import network
from .common import dumps, load, load_source, read_specs, report_failure, write_json

SETTINGS = ("epochs", "batch_size", "test_size", "validation_split")


def _read_table(args, path: str):
    """The columns of the data file that the spec at `path` reads, typed as it
    declares them, within the memory budget; an exit code when it cannot be used."""
    import netdsl

    from ..data.spec import read_for
    from ..data.tables import DataError

    try:
        declared = netdsl.analyze(path, include_paths=args.include_path)  # the columns it declares
        return read_for(declared, args.data, dict(args.columns), True, args.memory_limit)
    except netdsl.InputFileError as exc:
        raise UsageError(str(exc)) from None
    except FileNotFoundError:
        raise UsageError(f"{args.data}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{args.data}: is a directory, not a CSV file") from None
    except OSError as exc:
        raise UsageError(f"{args.data}: {exc.strerror}") from None
    except DataError as exc:
        report_failure(exc.spec_error(), False)
        return EXIT_SPEC


def _prepare_training(args, path: str, table, overrides: dict, outputs=()):
    """Load and bind a spec for training without TensorFlow, and check the
    memory it needs: (graph, settings, prepared data), or an exit code."""
    import netdsl

    from ..apps.memory import check_model_memory
    from ..apps.training import check_columns_option, resolve_settings
    from ..lang.diagnostics import SpecError

    (source,) = read_specs([path])
    spec_args = argparse.Namespace(strict=False, include_path=args.include_path)
    g, failure = load_source(source, spec_args, compiling=True, data=table)
    if failure is not None:
        report_failure(failure, False)
        return EXIT_SPEC
    imported = [s.name for s in netdsl.network(g).sources[1:] if s.name != table.path]
    if imported and outputs:
        check_outputs(outputs, imported)
    settings = resolve_settings(g, overrides)
    check_columns_option(g, dict(args.columns))
    try:
        estimate = check_model_memory(g, args.memory_limit, True, settings["batch_size"], table.memory)
        prepared = netdsl.prepare(g, table, columns=dict(args.columns))
        prepared.split(g, settings["test_size"], settings["seed"])  # the split training will use
    except SpecError as exc:
        report_failure(exc, False)
        return EXIT_SPEC
    if not args.quiet and getattr(args, "command", "train") == "train":
        print(
            f"netdsl: {path}: estimated memory {format_bytes(estimate.total + table.memory)} "
            f"(model: {estimate.describe()}; data: {format_bytes(table.memory)})",
            file=sys.stderr,
        )
    return g, settings, prepared


def _load_training(args, outputs):
    """The data read and the spec prepared on it: (graph, settings, prepared data), or an exit code."""
    table = _read_table(args, args.file)
    if isinstance(table, int):
        return table
    return _prepare_training(args, args.file, table, _overrides(args), outputs)


def _prepare_streaming(args):
    """A spec checked against a file too large to read at once (a streamed scan):
    (graph, settings, None), or an exit code."""
    spec_args = argparse.Namespace(
        file=args.file, data=args.data, strict=False, include_path=args.include_path
    )
    try:
        g, code, failure = load(spec_args, compiling=True)
    except FileNotFoundError:
        raise UsageError(f"{args.data}: no such file") from None
    if g is None:
        if failure is not None:
            report_failure(failure, False)
        return code
    return g, _overrides(args), None


def _overrides(args) -> dict:
    return dict(
        epochs=args.epochs,
        batch_size=args.batch_size,
        test_size=args.test_size,
        validation_split=args.validation_split,
        seed=args.seed,
    )


def _train_outputs(args) -> list[tuple[str, str]]:
    outputs = []
    if args.output:
        if not args.output.endswith(".keras"):
            raise UsageError(f"{args.output}: the output must end in .keras (Keras 3's format)")
        outputs += [("-o", args.output), ("the label mapping", _labels_path(args.output))]
    if args.history:
        if not args.history.endswith(".json"):
            raise UsageError(f"{args.history}: the history is written as JSON; name it *.json")
        outputs.append(("--history", args.history))
    return outputs


def _labels_path(output: str) -> str:
    return os.path.splitext(output)[0] + ".labels.json"


def cmd_train(args) -> int:
    outputs = _train_outputs(args)
    check_outputs(outputs, [args.file, args.data])  # before any work: exit 2
    from ..apps.streaming import should_stream

    streaming = not args.distribute and should_stream(args.data, getattr(args, "stream", None))
    # data-parallel processes stream their own rows of the file: no table read here
    loaded = (
        _prepare_streaming(args)
        if streaming or args.distribute == "data-parallel"
        else _load_training(args, outputs)
    )
    if isinstance(loaded, int):
        return loaded
    g, settings, data = loaded
    import netdsl

    from ..data.errors import DataError
    from ..lang.diagnostics import SpecError
    from .common import report_data_error

    verbose = 1 if sys.stdout.isatty() and not args.quiet else 0
    try:
        if streaming:
            columns = dict(args.columns)
            result = netdsl.train(g, args.data, stream=True, verbose=verbose, columns=columns, **settings)
        elif args.distribute:
            from .experiments import train_distributed

            result = train_distributed(args, g, data, settings, verbose)
        else:
            result = netdsl.train(g, data, verbose=verbose, memory_limit=args.memory_limit, **settings)
    except SpecError as exc:  # the loss became NaN
        report_failure(exc, False)
        return EXIT_SPEC
    except DataError as exc:  # a cell found bad while streaming
        report_data_error(exc)
        return EXIT_SPEC
    _print_training(args, g, result)
    from .experiments import print_reports

    print_reports(result.report)
    _write_training(args, g, result)
    return EXIT_OK


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' * (n != 1)}"


def _print_training(args, g, result) -> None:
    s = result.settings
    rows = result.rows
    test_rows = _plural(rows["test"], "test row") if rows["test"] else "no test rows"
    print(
        f"trained {network(g).name} on {args.data}: {_plural(rows['train'], 'training row')}, "
        f"{test_rows}, {_plural(s['epochs'], 'epoch')}, batch size {s['batch_size']}, "
        f"seed {s['seed']} ({result.seconds:.1f} s)"
    )
    if not result.test:
        print("test: skipped (test size 0: every row was used for training, none held out)")
        return
    metrics = sorted(result.test.items(), key=_metric_order)
    print("test: " + ", ".join(f"{k} {_fmt_metric(v)}" for k, v in metrics))


def _fmt_metric(value, digits: int = 4) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_fmt_metric(v, digits) for v in value) + "]"
    return "nan" if value is None else f"{value:.{digits}f}"


def _write_training(args, g, result) -> None:
    """After the results are printed: a failed write loses no result."""
    if args.output:
        from ..apps.evaluate import record_binding

        labels = _labels_path(args.output)
        with atomic_output(args.output) as tmp:
            result.model.save(tmp)
            record_binding(tmp, g, result.binding)
        if result.classes:
            write_json(labels, result.classes)
            print(f"wrote {args.output} and its label mapping {labels}")
        else:
            print(f"wrote {args.output} (a regression: no label mapping)")
    if args.history:
        record = {
            "spec": args.file,
            "data": args.data,
            "network": network(g).name,
            "params": network(g).params.as_dict(),
            **result.summary(),
        }
        write_json(args.history, record)
        print(f"wrote {args.history}")


def _metric_order(item):
    return (item[0] == "loss", item[0])


# ---- compare -----------------------------------------------------------------------------


def _compare_outputs(args) -> list[tuple[str, str]]:
    if not args.plot:
        return []
    if os.path.splitext(args.plot)[1].lower() not in (".png", ".svg", ".pdf"):
        raise UsageError(f"{args.plot}: the plot is .png, .svg or .pdf")
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        raise UsageError("--plot needs matplotlib: pip install matplotlib (or leave out --plot)")
    return [("--plot", args.plot)]


def cmd_compare(args) -> int:
    if args.test_size == 0:
        raise UsageError("--test-size 0: compare ranks specs by their test metrics, so it needs a test split")
    outputs = _compare_outputs(args)
    check_outputs(outputs, [*args.files, args.data])
    settings, notes = _shared_settings(args)
    if isinstance(settings, int):
        return settings
    graphs = []
    for path in args.files:
        table = _read_table(args, path)  # each spec's columns, typed as it declares them
        if isinstance(table, int):
            return table
        prepared = _prepare_training(args, path, table, {**settings, "seed": args.seed}, outputs)
        if isinstance(prepared, int):
            return prepared
        graphs.append((path, prepared[0]))
    for note in notes:
        print(f"netdsl: note: {note}", file=sys.stderr)
    rows = _train_all(args, graphs, settings)
    if isinstance(rows, int):
        return rows
    report = _compare_report(args, rows, settings)
    print(dumps(report, indent=2) if args.json else _compare_table(report), flush=True)
    if args.plot:
        _write_plot(args, rows)
        if not args.json:
            print(f"wrote {args.plot}")
    return EXIT_OK


def _shared_settings(args):
    """One set of settings for every spec: flags, else the first spec's train
    line, else netdsl's defaults; notes name the train lines that disagree."""
    import netdsl

    lines = []
    for path in args.files:
        # the train lines only (no data read): each spec is checked against the data when prepared
        try:
            g = netdsl.analyze(path, include_paths=args.include_path)
        except netdsl.InputFileError as exc:
            raise UsageError(str(exc)) from None
        net = network(g)
        if netdsl.has_errors(net.diagnostics):
            report_failure(netdsl.SpecError(net.diagnostics, net.source, net.sources), False)
            return EXIT_SPEC, []
        lines.append((path, net.train.as_dict()))
    flags = _overrides(args)
    settings, notes = {}, []
    for key in SETTINGS:
        first = lines[0][1][key]
        settings[key] = flags[key] if flags[key] is not None else first
        values = {path: fit[key] for path, fit in lines}
        if flags[key] is None and len(set(values.values())) > 1:
            listed = ", ".join(f"{os.path.basename(p)}: {v:g}" for p, v in values.items())
            notes.append(
                f"the specs' train lines disagree on {key} ({listed}); every spec is trained with "
                f"{key} {first:g}, the first spec's (give --{key.replace('_', '-')} to choose)"
            )
    return settings, notes


def _seeds(args) -> list[int]:
    return [args.seed + r for r in range(args.runs)]


def _train_all(args, graphs, settings) -> list | int:
    """Every spec x seed (x fold) with the same settings, on the executor the
    options ask for (netdsl.cli.experiments.train_all)."""
    from ..apps.runner import TaskFailed
    from .experiments import train_all

    try:
        return train_all(args, graphs, {**settings, "memory_limit": args.memory_limit}, _seeds(args))
    except TaskFailed as exc:  # a run whose loss became NaN
        print(exc, file=sys.stderr)
        return EXIT_SPEC


def _write_plot(args, rows) -> None:
    from ..apps.plot import plot_curves

    test = rows[0][2][0].test
    scalar = [m for m in sorted(test) if m != "loss" and not isinstance(test[m], list)]
    with atomic_output(args.plot) as tmp:
        plot_curves(
            {os.path.basename(p): [r.history for r in runs] for p, _, runs in rows},
            tmp,
            scalar[0] if scalar else None,
            f"{len(rows)} specs on {os.path.basename(args.data)}, {args.runs} runs each",
        )


def _stats(values):
    """Mean, standard deviation and the values; per class for list-valued metrics.
    NaN values stay NaN here (written as null)."""
    if values and isinstance(values[0], list):
        per_class = [_stats([v[k] for v in values]) for k in range(len(values[0]))]
        return {
            "mean": [s["mean"] for s in per_class],
            "std": [s["std"] for s in per_class],
            "values": values,
        }
    return {
        "mean": statistics.fmean(values),
        "std": statistics.stdev(values) if len(values) > 1 else 0.0,
        "values": values,
    }


def _compare_report(args, rows, settings) -> dict:
    report = {
        "data": args.data,
        "runs": args.runs,
        "folds": args.folds,
        "seeds": _seeds(args),
        "settings": dict(settings),
        "processes": len({r.process for _, _, runs in rows for r in runs}),  # worker processes used
        "specs": [],
    }
    for path, g, runs in rows:
        metrics = sorted(runs[0].test, key=lambda k: (k == "loss", k))
        report["specs"].append(
            {
                "spec": path,
                "network": network(g).name,
                "params": network(g).params.total,
                "settings": {k: v for k, v in runs[0].settings.items() if k != "seed"},
                "test": {m: _stats([r.test[m] for r in runs]) for m in metrics},
                "train_seconds": _stats([r.seconds for r in runs]),
            }
        )
    return report


def _cell(s) -> str:
    if s is None:
        return "-"
    if isinstance(s["mean"], list):
        return "[" + " ".join(f"{m:.3f}" for m in s["mean"]) + "]"
    return f"{s['mean']:.3f} ± {s['std']:.3f}"


def _compare_table(report: dict) -> str:
    metrics: list[str] = []
    for spec in report["specs"]:
        metrics += [m for m in spec["test"] if m not in metrics]
    metrics.sort(key=lambda m: (m == "loss", m))
    head = ["spec", "params"] + [f"test {m}" for m in metrics] + ["train time"]
    body = []
    for spec in report["specs"]:
        cells = [spec["spec"], f"{spec['params']:,}"] + [_cell(spec["test"].get(m)) for m in metrics]
        t = spec["train_seconds"]
        cells.append(f"{t['mean']:.1f} ± {t['std']:.1f} s")
        body.append(cells)
    widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
    lines = [
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
        for r in [head] + body
    ]
    seeds, s = report["seeds"], report["settings"]
    folds = report.get("folds")
    runs = f"{report['runs']} runs x {folds} folds" if folds else f"{report['runs']} runs"
    same = "the same folds" if folds else "the same train/test split"
    test = f"{folds} folds" if folds else f"test size {s['test_size']:g}"
    return (
        f"{len(report['specs'])} specs on {report['data']}, {runs} "
        f"(seeds {seeds[0]}-{seeds[-1]}; {same} for every spec in a run); "
        f"mean ± std\n" + "\n".join(lines) + "\n"
        f"every spec trained with {_plural(s['epochs'], 'epoch')}, batch size {s['batch_size']}, "
        f"{test}, validation split {s['validation_split']:g}"
    )
