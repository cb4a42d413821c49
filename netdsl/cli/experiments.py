"""evaluate: how good a trained model is on a labelled CSV."""

from __future__ import annotations

import os
import sys

from ..io import EXIT_OK, EXIT_SPEC, UsageError, atomic_output, check_outputs


def dumps(obj, indent: int | None = 2) -> str:
    """JSON with NaN and infinities as null (strict JSON has no NaN)."""
    import json
    import math

    def clean(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        return v

    return json.dumps(clean(obj), indent=indent, ensure_ascii=False)


def train_all(args, graphs, overrides: dict, seeds: list[int]) -> list:
    """Every spec x seed (x fold) on the executor the options ask for; rows of
    (path, graph, results) with the results in seed (then fold) order."""
    from ..apps.runner import default_jobs, make_task, progress_printer, run_all, task_label

    if args.ray and args.jobs:
        raise UsageError("--jobs and --ray exclude each other: Ray places the trials on its own workers")
    folds = [(i, args.folds) for i in range(args.folds)] if args.folds else [None]
    if args.folds:
        _check_folds(args, graphs)
    tasks = [
        make_task(
            path,
            args.data,
            {**overrides, "seed": seed},
            columns=dict(args.columns),
            fold=fold,
            include_paths=args.include_path,
        )
        for path, _ in graphs
        for seed in seeds
        for fold in folds
    ]
    jobs = args.jobs or min(default_jobs(), len(tasks))
    quiet = args.quiet or getattr(args, "json", False)
    progress = None if quiet else progress_printer(len(tasks), task_label)
    if not quiet:
        where = f"the Ray cluster at {args.ray}" if args.ray else f"{jobs} process(es)"
        print(f"netdsl: {len(tasks)} training runs on {where}", file=sys.stderr, flush=True)
    results = run_all(tasks, jobs, args.ray, progress)
    per_spec = len(seeds) * len(folds)
    return [(path, g, results[k * per_spec : (k + 1) * per_spec]) for k, (path, g) in enumerate(graphs)]


def _check_folds(args, graphs) -> None:
    from ..apps.tasks import table_for
    from ..apps.training import check_folds
    from ..lang.diagnostics import SpecError
    from .common import report_failure

    for _, g in graphs:
        try:
            table = table_for(g, os.path.abspath(args.data), dict(args.columns))
            check_folds(g, table, dict(args.columns), args.folds)
        except SpecError as exc:
            report_failure(exc, False)
            raise SystemExit(EXIT_SPEC) from None


def train_distributed(args, g, prepared, overrides: dict, verbose: int):
    """train --distribute: the same TrainResult as netdsl.train; mirrored on the
    data netdsl.prepare bound, data-parallel streaming its shard of args.data."""
    from ..apps.distributed import train_data_parallel, train_mirrored
    from ..apps.training import resolve_settings

    settings = resolve_settings(g, overrides)
    if args.distribute == "mirrored":
        return train_mirrored(g, prepared, settings, args.replicas, verbose)
    return train_data_parallel(
        g,
        args.data,
        dict(args.columns),
        settings,
        args.coordinator,
        args.num_processes,
        args.process_id,
        verbose,
    )


def print_reports(reports: dict, out=None) -> None:
    from ..apps.evaluate import format_report

    for name, report in reports.items():
        print(format_report(name, report), file=out or sys.stdout)


def check_plot_path(path: str | None) -> None:
    if not path:
        return
    if os.path.splitext(path)[1].lower() not in (".png", ".svg", ".pdf"):
        raise UsageError(f"{path}: the plot is .png, .svg or .pdf")
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        raise UsageError("--plot needs matplotlib: pip install matplotlib (or leave out --plot)")


def _read_inputs(args):
    """The model's binding and the labelled arrays, before TensorFlow loads."""
    from ..apps.evaluate import read_binding, read_labelled
    from ..backends.archive import read_archive
    from ..io import InputFileError

    if not args.model.endswith(".keras"):
        raise UsageError(f"{args.model}: expected a .keras model (Keras 3's format)")
    for path in (args.model, args.data):
        if not os.path.isfile(path):
            raise UsageError(f"{path}: " + ("is a directory" if os.path.isdir(path) else "no such file"))
    try:
        entry = read_binding(args.model)
    except InputFileError as exc:
        raise UsageError(str(exc)) from None
    if entry is None:
        raise UsageError(
            f"{args.model}: says which columns feed its inputs but not its labels' encoding; "
            "evaluate reads models written by `netdsl train -o`"
        )
    try:
        # the config names the lookups without an index for unseen values (lookup(oov=0))
        config = read_archive(args.model).config
        table, x, y = read_labelled(entry, args.data, config)
    except OSError as exc:
        raise UsageError(f"{args.data}: {exc.strerror}") from None
    return entry, table, (x, y)


def cmd_evaluate(args) -> int:
    from ..data.errors import DataError
    from .common import report_data_error

    check_plot_path(args.plot)
    if args.plot:
        check_outputs([("--plot", args.plot)], [args.model, args.data])
    try:
        entry, table, (x, y) = _read_inputs(args)
    except DataError as exc:
        report_data_error(exc)
        return EXIT_SPEC
    from ..apps.evaluate import evaluate_arrays
    from ..backends.keras import load_model

    try:
        model = load_model(args.model)
    except (ValueError, OSError) as exc:
        raise UsageError(f"{args.model}: Keras cannot load it: {exc}") from None
    reports = evaluate_arrays(model, entry, x, y)
    if args.json:
        print(dumps({"model": args.model, "data": args.data, "outputs": reports}, indent=2))
    else:
        print(f"{args.model} on {args.data}: {table.num_rows:,} rows")
        print_reports(reports)
    if args.plot:
        from ..apps.plot import plot_evaluation

        with atomic_output(args.plot) as tmp:
            plot_evaluation(reports, tmp, f"{os.path.basename(args.model)} on {os.path.basename(args.data)}")
        if not args.json:
            print(f"wrote {args.plot}")
    return EXIT_OK
