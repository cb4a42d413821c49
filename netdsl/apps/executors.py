"""The executor for a command's options, and running tasks on it.

Apart from runner.py so that the Ray executor (ray_runner.py), which runs
runner.run_task in its trials, is imported only here, without a cycle.
"""

from __future__ import annotations

from .runner import Pool, RunResult, Sequential


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
