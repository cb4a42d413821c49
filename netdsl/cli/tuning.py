"""tune: search a spec's space; and `check` of a spec that has one."""

from __future__ import annotations

import os
import sys

from ..io import EXIT_OK, EXIT_SPEC, UsageError, atomic_output, check_outputs
from .common import report_data_error, report_failure
from .experiments import check_plot_path, dumps


def _read(path: str):
    from ..io import InputFileError
    from ..lang.source import read_source

    try:
        return read_source(path)
    except InputFileError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror or exc}") from None


def _space(source):
    """The spec's space; SpecError (ND801) for a malformed one."""
    from ..apps.space import SpaceError, parse_space
    from ..lang import codes
    from ..lang.diagnostics import SpecError, error

    try:
        return parse_space(source)
    except SpaceError as exc:
        raise SpecError([error(codes.BAD_SEARCH_SPACE, str(exc), exc.span)], source) from None


def describe_space(space, result) -> str:
    size = space.size()
    size_text = f"{int(size):,} combinations" if math_finite(size) else "continuous"
    lines = [f"search space of {space.source.name}: {len(space.dimensions)} dimension(s), {size_text}"]
    lines += [f"  {d.describe()}" for d in space.dimensions]
    checked, total = result.checked, result.total
    sampled = f"{checked:,} of the {total:,}" if checked < total else f"all {total:,}"
    lines.append(f"checked {sampled} combinations of the grid (continuous ranges at 3 points)")
    if result.params is not None:
        low, high = result.params
        lines.append(f"parameters: {low:,}" if low == high else f"parameters: {low:,} to {high:,}")
    return "\n".join(lines)


def math_finite(x: float) -> bool:
    import math

    return math.isfinite(x)


def check_space_of(source, args):
    """`check` of a spec with a search space: every combination of the grid
    (up to a bound) is checked. None when the spec has no space; else
    (SpecError, None) or (None, what to show: the --json object or the text)."""
    from ..apps.space import check_space
    from ..lang.diagnostics import SpecError

    try:
        space = _space(source)
    except SpecError as exc:
        return exc, None
    if space is None:
        return None
    result = check_space(space, getattr(args, "include_path", ()))
    if result.diagnostics:
        return SpecError(result.diagnostics, source), None
    return None, space_json(space, result) if args.json else describe_space(space, result)


def space_json(space, result) -> dict:
    """`check --json` of a space: the report of its first combination (network,
    nodes, diagnostics), the space, and the range of parameter counts."""
    from ..ir.report import graph_json

    report = graph_json(result.first)
    dims = [{"name": d.label, "kind": d.kind, "values": list(d.grid())} for d in space.dimensions]
    low, high = result.params if result.params is not None else (None, None)
    report["space"] = {
        "dimensions": dims,
        "size": space.size(),
        "checked": result.checked,
        "combinations": result.total,
        "params": {"min": low, "max": high},
    }
    return report


def _outputs(args) -> str:
    check_plot_path(args.plot)
    if args.ray and args.jobs:
        raise UsageError("--jobs and --ray exclude each other: Ray places the trials on its own workers")
    if args.scheduler and args.search == "bayes":
        raise UsageError("--scheduler asha works with --search random or grid")
    base = os.path.basename(args.file)
    out = args.output or os.path.join("build", (base[:-4] if base.endswith(".net") else base) + ".best.net")
    if not out.endswith(".net"):
        raise UsageError(f"{out}: the best spec is a .net file")
    plot = [("--plot", args.plot)] if args.plot else []
    check_outputs([("-o", out), *plot], [args.file, args.data])  # before any trial
    return out


def _first_point(args, space):
    """The first point's graph bound to the data: every binding problem
    shows before any training. (graph, table) or an exit code."""
    from ..apps.training import prepare, resolve_settings
    from ..data.spec import checked, read_for
    from ..data.tables import DataError
    from ..ir.core import network
    from ..ir.pipeline import analyze
    from ..lang.diagnostics import SpecError
    from ..lang.source import Source

    source = Source(args.file, space.concrete(space.grid()[0]))
    try:  # only the columns the spec declares, typed as it declares them
        table = read_for(
            analyze(source, args.include_path), args.data, dict(args.columns), True, args.memory_limit
        )
    except OSError as exc:
        raise UsageError(f"{args.data}: {exc.strerror or 'cannot read it'}") from None
    except DataError as exc:
        report_data_error(exc)
        return EXIT_SPEC
    try:
        g = checked(source, table, False, True, args.include_path)
        settings = resolve_settings(g, _flags(args, network(g).train.seed))
        prepare(g, table, dict(args.columns)).split(g, settings["test_size"], settings["seed"])
    except SpecError as exc:
        report_failure(exc, False)
        return EXIT_SPEC
    except DataError as exc:
        report_data_error(exc)
        return EXIT_SPEC
    return g, settings


def _flags(args, spec_seed=None) -> dict:
    """The settings every trial shares: the flags given, and one training seed
    (--seed, else the spec's, else 0)."""
    flags = dict(
        epochs=args.epochs,
        batch_size=args.batch_size,
        test_size=args.test_size,
        validation_split=args.validation_split,
    )
    seed = args.seed if args.seed is not None else spec_seed if spec_seed is not None else 0
    return {**{k: v for k, v in flags.items() if v is not None}, "seed": seed}


def cmd_tune(args) -> int:
    from ..apps.runner import default_jobs, make_runner
    from ..apps.tune import TuneRun, best, best_spec, objective_of, search
    from ..lang.diagnostics import SpecError

    out = _outputs(args)
    source = _read(args.file)
    try:
        space = _space(source)
    except SpecError as exc:
        report_failure(exc, False)
        return EXIT_SPEC
    if space is None:
        raise UsageError(
            f"{args.file} has no search space: write e.g. dense(choice(32, 64)) or uniform(0.0, 0.5)"
        )
    if args.scheduler and any(d.label.startswith("epochs") for d in space.dimensions):
        raise UsageError("--scheduler asha chooses the epochs itself: do not search over epochs")
    code = check_with_space_quietly(args, space)
    if code:
        return code
    first = _first_point(args, space)
    if isinstance(first, int):
        return first
    g, settings = first
    objective = objective_of(g)
    n_trials = len(space.grid()) if args.search == "grid" else args.trials
    jobs = args.jobs or min(default_jobs(), n_trials)
    run = TuneRun(
        space,
        os.path.abspath(args.data),
        {**_flags(args, settings["seed"]), "memory_limit": args.memory_limit},
        objective,
        dict(args.columns),
        tuple(args.include_path),
        args.folds,
        jobs,
        make_runner(jobs, args.ray),
        None if args.quiet or args.json else _live(space, objective),
    )
    if not args.quiet and not args.json:
        where = f"the Ray cluster at {args.ray}" if args.ray else f"{jobs} process(es)"
        print(
            f"netdsl: tuning {args.file}: {args.search} search, {n_trials} trials"
            f"{', ASHA' if args.scheduler else ''}, on {where}; objective: {objective.describe()} "
            f"on {'held-out folds' if args.folds else 'the validation rows'}",
            file=sys.stderr,
            flush=True,
        )
    sampling = args.seed if args.seed is not None else 0
    try:
        trials = search(run, args.search, n_trials, sampling, settings["epochs"] if args.scheduler else None)
    finally:
        run.executor().close()
    winner = best(trials, objective)
    _report(args, space, trials, winner, objective)
    if winner is None:
        print("netdsl: error: no trial trained successfully", file=sys.stderr)
        return EXIT_SPEC
    with atomic_output(out) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(best_spec(space, winner, objective, settings["seed"]))
    if args.plot:
        from ..apps.plot import plot_trials

        with atomic_output(args.plot) as tmp:
            plot_trials(trials, space, objective, tmp, f"netdsl tune {os.path.basename(args.file)}")
    if not args.json:
        print(f"wrote {out}" + (f" and {args.plot}" if args.plot else ""))
    return EXIT_OK


def check_with_space_quietly(args, space) -> int:
    from ..apps.space import check_space
    from ..lang.diagnostics import SpecError

    diags = check_space(space, args.include_path).diagnostics
    if diags:
        report_failure(SpecError(diags, space.source), False)
        return EXIT_SPEC
    return EXIT_OK


def _live(space, objective):
    def show(t) -> None:
        score = f"{objective.metric} {t.score:.4f}" if t.score is not None else f"failed: {t.error or '-'}"
        epochs = f"{t.epochs} epoch{'s' * (t.epochs != 1)}"  # "1 epoch" on ASHA's first rung
        where = f"  trial {t.number:>3} [{epochs}]  {space.name_point(t.point)}"
        print(f"{where}  {score}  ({t.seconds:.1f} s)", file=sys.stderr, flush=True)

    return show


def _report(args, space, trials, winner, objective) -> None:
    if args.json:
        print(dumps(_json(args, space, trials, winner, objective)))
        return
    ranked = sorted(trials, key=lambda t: (-t.epochs, objective.key(t.score), t.number))
    head = ["trial", *[d.label for d in space.dimensions], "epochs", objective.metric]
    rows = [
        [str(t.number), *t.point, str(t.epochs), t.error and "error" or f"{t.score:.4f}"]
        if t.score is not None or t.error
        else [str(t.number), *t.point, str(t.epochs), "-"]
        for t in ranked
    ]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    if winner is not None:
        point = space.name_point(winner.point)
        print(f"best: trial {winner.number} ({point}): {objective.metric} {winner.score:.4f}")


def _json(args, space, trials, winner, objective) -> dict:
    return {
        "spec": args.file,
        "data": args.data,
        "search": args.search,
        "scheduler": args.scheduler,
        "folds": args.folds,
        "seed": args.seed,
        "objective": {"metric": objective.metric, "higher_is_better": objective.higher_is_better},
        "dimensions": [d.describe() for d in space.dimensions],
        "trials": [
            {
                "trial": t.number,
                "values": t.values,
                "epochs": t.epochs,
                "rung": t.rung,
                "score": t.score,
                "test": t.test,
                "seconds": round(t.seconds, 3),
                "error": t.error,
            }
            for t in trials
        ],
        "best": None
        if winner is None
        else {"trial": winner.number, "values": winner.values, "score": winner.score},
    }
