"""Tasks on an existing Ray cluster, as the trials of a Ray Tune run.

The only module that imports Ray (an optional extra: `pip install
netdsl[ray]`). Each trial calls the same `run_task` as the other executors,
in an actor that Tune reuses from trial to trial (TensorFlow is imported once
per actor); the tasks travel in Ray's object store and the results come back
as JSON text.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile

from ..io import UsageError


def _ray():
    try:
        import ray
        from ray import tune
    except ImportError:
        raise UsageError("--ray needs Ray: pip install 'netdsl[ray]' (ray[tune])") from None
    return ray, tune


def _trial(config: dict, tasks: list) -> None:
    from ray import tune

    from .tasks import run_task

    tune.report({"result": json.dumps(run_task(tasks[config["index"]]))})


class RayTune:
    """Connects to the cluster at `address` (HOST:PORT of its head node)."""

    name = "ray"

    def __init__(self, address: str):
        ray, _ = _ray()
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # no experiment tables when verbose=0
        try:
            ray.init(address=address, logging_level="ERROR", log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise UsageError(f"--ray {address}: cannot connect to a Ray cluster there: {exc}") from None
        self.ray = ray
        self.storage = tempfile.mkdtemp(prefix="netdsl-ray-")

    def map(self, tasks: list[dict], progress=None) -> list[dict]:
        _, tune = _ray()
        tuner = tune.Tuner(
            tune.with_resources(tune.with_parameters(_trial, tasks=tasks), {"cpu": 1}),
            param_space={"index": tune.grid_search(list(range(len(tasks))))},
            tune_config=tune.TuneConfig(reuse_actors=True),
            run_config=tune.RunConfig(name="netdsl", storage_path=self.storage, verbose=0, log_to_file=False),
        )
        with contextlib.redirect_stdout(sys.stderr):  # Tune's own tables: never into --json output
            grid = tuner.fit()
        results: list[dict | None] = [None] * len(tasks)
        for trial in grid:
            if trial.error is not None:
                raise RuntimeError(f"a Ray trial failed: {trial.error}")
            results[trial.config["index"]] = json.loads(trial.metrics["result"])
        for i, r in enumerate(results):
            if progress and r is not None:
                progress(i, tasks[i], r)
        return [r for r in results if r is not None]

    def close(self) -> None:
        self.ray.shutdown()
        shutil.rmtree(self.storage, ignore_errors=True)
