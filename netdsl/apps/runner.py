"""Many training runs (compare's seeds and folds, tune's trials) on one of
three executors with one interface: in this process, a local process pool, or
an existing Ray cluster through Ray Tune.

A task is plain data (the spec's path and text, the data file, the settings,
the seed, the fold) and so is its result (history, test metrics, report,
seconds): nothing but JSON-like values crosses a process boundary, and every
executor runs the same function, `run_task`, so the same seed gives the same
numbers whichever executor ran it. A worker keeps TensorFlow, the tables and
the checked specs it has loaded, so each is loaded once per worker, not per
task.
"""

from __future__ import annotations

import atexit
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from .tasks import TaskFailed, cached_table, run_task

__all__ = ["TaskFailed", "cached_table", "make_task", "run_all", "run_task"]

Progress = Callable[[int, dict, dict], None]  # (index, task, result) as each task finishes


@dataclass
class RunResult:
    """What a finished task returns (TrainResult's data without the model)."""

    history: dict
    test: dict
    settings: dict
    seconds: float
    report: dict = field(default_factory=dict)
    rows: dict = field(default_factory=dict)
    process: int = 0  # the id of the process that trained it

    @classmethod
    def from_dict(cls, d: dict) -> RunResult:
        return cls(d["history"], d["test"], d["settings"], d["seconds"], d["report"], d["rows"], d["process"])


def make_task(
    spec: str,
    data: str,
    settings: dict,
    *,
    columns=None,
    fold=None,
    text=None,
    include_paths=(),
    keep_going: bool = False,
):
    """A task: train `spec` (a path; `text` replaces its contents, as tune's
    concrete points do) on `data` with `settings`, holding out `fold` (i, K).
    With `keep_going`, a run that fails (ND612: the loss became NaN) returns
    {"error": its report} instead of raising TaskFailed: one trial of a
    search fails, not the search."""
    # Absolute paths: a Ray worker runs in a directory of its own (the spec and
    # the data must be readable at the same paths on every node).
    return {
        "spec": os.path.abspath(spec),
        "text": text,
        "include_paths": [os.path.abspath(p) for p in include_paths],
        "data": os.path.abspath(data),
        "columns": {k: list(v) for k, v in (columns or {}).items()},
        "settings": dict(settings),
        "fold": list(fold) if fold is not None else None,
        "keep_going": keep_going,
    }


def _init_worker(threads: int) -> None:
    """Import TensorFlow once, when the worker starts, not in each task, with
    its thread pools sized to the worker's share of the cores: N workers each
    running one thread per core would fight over them."""
    from ..backends.keras_distributed import limit_threads

    limit_threads(threads)
    import netdsl.backends.keras  # noqa: F401

    # A spawned worker ends as a whole interpreter does: TensorFlow's teardown
    # (its modules, threads and exit handlers) takes seconds, and the parent
    # waits for it before printing. A worker has sent every result by then and
    # writes nothing, so it leaves at once (atexit runs the last-registered first).
    atexit.register(_leave)


def _leave() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


class Sequential:
    """Every task in this process, one after another."""

    name = "sequential"

    def map(self, tasks: list[dict], progress: Progress | None = None) -> list[dict]:
        results = []
        for i, task in enumerate(tasks):
            results.append(run_task(task))
            if progress:
                progress(i, task, results[-1])
        return results

    def close(self) -> None:
        pass


class Pool:
    """A local pool of worker processes (spawned: a fork of a process that
    has TensorFlow's threads running is unsafe)."""

    name = "pool"

    def __init__(self, jobs: int):
        import concurrent.futures
        import multiprocessing

        self.jobs = jobs
        self.executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(max(1, default_jobs() // jobs),),
        )

    def map(self, tasks: list[dict], progress: Progress | None = None) -> list[dict]:
        import concurrent.futures

        futures = {self.executor.submit(run_task, task): i for i, task in enumerate(tasks)}
        results: list[dict | None] = [None] * len(tasks)
        try:
            for future in concurrent.futures.as_completed(futures):
                i = futures[future]
                result = results[i] = future.result()
                if progress:
                    progress(i, tasks[i], result)
        except BaseException:
            for f in futures:
                f.cancel()
            raise
        return [r for r in results if r is not None]

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def make_runner(jobs: int = 1, ray_address: str | None = None):
    """The executor for these options: Ray when an address is given, a pool
    for jobs > 1, else this process."""
    if ray_address:
        from .ray_runner import RayTune

        return RayTune(ray_address)
    return Pool(jobs) if jobs > 1 else Sequential()


def run_all(
    tasks: list[dict], jobs: int = 1, ray_address: str | None = None, progress=None
) -> list[RunResult]:
    runner = make_runner(jobs, ray_address)
    try:
        return [RunResult.from_dict(r) for r in runner.map(tasks, progress)]
    finally:
        runner.close()


def default_jobs() -> int:
    """One worker per core the process may use, at most 8."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def progress_printer(total: int, label: Callable[[dict], str], out=None) -> Progress:
    done = [0]

    def report(i: int, task: dict, result: dict) -> None:
        done[0] += 1
        print(
            f"  [{done[0]}/{total}] {label(task)}: {result['seconds']:.1f} s",
            file=out or sys.stderr,
            flush=True,
        )

    return report


def task_label(task: dict) -> str:
    fold = f", fold {task['fold'][0] + 1}/{task['fold'][1]}" if task["fold"] else ""
    return f"{os.path.relpath(task['spec'])} (seed {task['settings']['seed']}{fold})"
