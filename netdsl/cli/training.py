"""train and compare: the commands that fit models on a CSV file."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys

from ..io import EXIT_OK, EXIT_SPEC, UsageError, atomic_output
from .common import load, report_failure, write_json


def _prepare_training(args, path: str):
    """Load and bind a spec for training without TensorFlow: (graph, prepared data), or an exit code."""
    import netdsl

    from ..apps.training import resolve_settings
    from ..data.spec import read_for
    from ..data.tables import DataError
    from ..lang.diagnostics import SpecError

    try:
        declared = netdsl.analyze(path, include_paths=args.include_path)  # the columns it declares
        table = read_for(declared, args.data, dict(args.columns))
    except netdsl.InputFileError as exc:
        raise UsageError(str(exc)) from None
    except FileNotFoundError:
        raise UsageError(f"{args.data}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{args.data}: is a directory, not a CSV file") from None
    except OSError as exc:
        raise UsageError(f"{args.data}: {exc.strerror}") from None
    except DataError as exc:
        print(f"netdsl: error: {exc}", file=sys.stderr)
        return EXIT_SPEC
    spec_args = argparse.Namespace(file=path, data=None, strict=False, include_path=args.include_path)
    g, code, failure = load(spec_args, compiling=True, data=table)
    if g is None:
        if failure is not None:
            report_failure(failure, False)
        return code
    settings = resolve_settings(g, _overrides(args))
    if args.seed is None:
        args.seed = settings["seed"]  # chosen once: the split checked here is the one used
    try:
        prepared = netdsl.prepare(g, table, columns=dict(args.columns))
        prepared.split(g, settings["test_size"], settings["seed"])
    except SpecError as exc:
        report_failure(exc, False)
        return EXIT_SPEC
    except DataError as exc:
        print(f"netdsl: error: {exc}", file=sys.stderr)
        return EXIT_SPEC
    return g, prepared


def _prepare_streaming(args):
    """A spec checked against a file too large to read at once (a streamed scan): (graph, None)."""
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
    return g, None


def _overrides(args) -> dict:
    return dict(
        epochs=args.epochs,
        batch_size=args.batch_size,
        test_size=args.test_size,
        validation_split=args.validation_split,
        seed=args.seed,
    )


def cmd_train(args) -> int:
    if args.output and not args.output.endswith(".keras"):
        raise UsageError(f"{args.output}: the output must end in .keras (Keras 3's format)")
    if args.history and not args.history.endswith(".json"):
        raise UsageError(f"{args.history}: the history is written as JSON; name it *.json")
    import netdsl

    from ..apps.streaming import should_stream

    verbose = 1 if sys.stdout.isatty() and not args.quiet else 0
    streaming = not args.distribute and should_stream(args.data, getattr(args, "stream", None))
    loaded = _prepare_streaming(args) if streaming else _prepare_training(args, args.file)
    if isinstance(loaded, int):
        return loaded
    g, prepared = loaded
    if streaming:
        result = netdsl.train(
            g, args.data, stream=True, verbose=verbose, columns=dict(args.columns), **_overrides(args)
        )
    elif args.distribute:
        from .experiments import train_distributed

        result = train_distributed(args, g, prepared, _overrides(args), verbose)
    else:
        result = netdsl.train(g, prepared, verbose=verbose, **_overrides(args))
    net = netdsl.network(g)
    s = result.settings
    print(
        f"trained {net.name} on {args.data}: {result.rows['train']} training rows, "
        f"{result.rows['test']} test rows, {s['epochs']} epochs, batch size {s['batch_size']}, "
        f"seed {s['seed']} ({result.seconds:.1f} s)"
    )
    print("test: " + ", ".join(f"{k} {v:.4f}" for k, v in sorted(result.test.items(), key=_metric_order)))
    from .experiments import print_reports

    print_reports(result.report)
    record = {
        "spec": args.file,
        "data": args.data,
        "network": net.name,
        "params": net.params.as_dict(),
        **result.summary(),
    }
    if args.output:
        labels = os.path.splitext(args.output)[0] + ".labels.json"
        from ..apps.evaluate import record_binding

        with atomic_output(args.output) as tmp:
            result.model.save(tmp)
            record_binding(tmp, g, result.binding)
        write_json(labels, result.classes)
        print(f"wrote {args.output} and its label mapping {labels}")
    if args.history:
        write_json(args.history, record)
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
        loaded = _prepare_training(args, path)
        if isinstance(loaded, int):
            return loaded
        graphs.append((path, loaded[0]))  # each run prepares the data in its worker (apps/runner.py)
    rows = _train_all(args, graphs)
    report = _compare_report(args, rows)
    if args.plot:
        from ..apps.plot import plot_curves

        first_metric = next((m for m in sorted(rows[0][2][0].test) if m != "loss"), None)
        with atomic_output(args.plot) as tmp:
            plot_curves(
                {os.path.basename(p): [r.history for r in runs] for p, _, runs in rows},
                tmp,
                first_metric,
                f"{len(rows)} specs on {os.path.basename(args.data)}, {args.runs} runs each",
            )
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(_compare_table(report))
        if args.plot:
            print(f"wrote {args.plot}")
    return EXIT_OK


def _seeds(args) -> list[int]:
    return [args.seed + r for r in range(args.runs)]


def _train_all(args, graphs) -> list:
    from .experiments import train_all

    return train_all(args, graphs, _overrides(args), _seeds(args))


def _stats(values):
    return {
        "mean": statistics.fmean(values),
        "std": statistics.stdev(values) if len(values) > 1 else 0.0,
        "values": values,
    }


def _compare_report(args, rows) -> dict:
    import netdsl

    report = {"data": args.data, "runs": args.runs, "folds": args.folds, "seeds": _seeds(args), "specs": []}
    report["processes"] = len({r.process for _, _, runs in rows for r in runs})  # worker processes used
    for path, g, runs in rows:
        metrics = sorted(runs[0].test, key=lambda k: (k == "loss", k))
        net = netdsl.network(g)
        report["specs"].append(
            {
                "spec": path,
                "network": net.name,
                "params": net.params.total,
                "settings": {k: v for k, v in runs[0].settings.items() if k != "seed"},
                "test": {m: _stats([r.test[m] for r in runs]) for m in metrics},
                "train_seconds": _stats([r.seconds for r in runs]),
            }
        )
    return report


def _compare_table(report: dict) -> str:
    metrics: list[str] = []
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
    lines = [
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
        for r in [head] + body
    ]
    seeds = report["seeds"]
    folds = report.get("folds")
    runs = f"{report['runs']} runs x {folds} folds" if folds else f"{report['runs']} runs"
    same = "the same folds" if folds else "the same train/test split"
    return (
        f"{len(report['specs'])} specs on {report['data']}, {runs} "
        f"(seeds {seeds[0]}-{seeds[-1]}; {same} for every spec in a run); "
        f"mean ± std\n" + "\n".join(lines)
    )
