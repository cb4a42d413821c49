"""Benchmark cases for many runs and distributed training (issue 16's figures).

- compare of 4 specs x 2 seeds, `--jobs 2` vs `--jobs 1` (cold commands): <= 0.6x;
- the same compare on a local 2-CPU Ray cluster (`--ray`) vs `--jobs 2`: <= 1.15x
  (full run only: the cluster runs in a loopback-only network namespace, and
  its start is not timed);
- tune of 16 trials with `--scheduler asha` vs without: <= 0.6x the time at an
  equal or better best score;
- data-parallel training: seconds per epoch with 2 processes vs 1 on
  127.0.0.1, reported (no target on one machine; full run only).

None of them runs with --quick: each needs several cold TensorFlow processes,
more than the smoke run's budget.

Seconds per epoch are the median of the epochs after the first (which
compiles), as the data-parallel run records them (`epoch_seconds` in its
history).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLES = ROOT / "examples"
IRIS_CSV = EXAMPLES / "data" / "iris.csv"
SPECS = [EXAMPLES / f"{n}.net" for n in ("iris_dense", "iris_concat", "iris_add", "iris_feature_groups")]

FULL = dict(specs=4, runs=2, epochs=30, reps=2, tune_reps=1, dp_epochs=21)


def _run(cmd: list[str], env=None) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    dt = time.perf_counter() - t
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise RuntimeError(f"{' '.join(map(str, cmd[:4]))} ... exited {proc.returncode}: " + " | ".join(tail))
    return dt


def compare_command(nd: list[str], cfg: dict, *extra) -> list[str]:
    specs = [str(p) for p in SPECS[: cfg["specs"]]]
    return (
        nd
        + ["compare", *specs, "--data", str(IRIS_CSV), "--runs", str(cfg["runs"])]
        + [
            "--epochs",
            str(cfg["epochs"]),
            "--quiet",
            *extra,
        ]
    )


def jobs(nd: list[str], cfg: dict) -> dict:
    """Wall time of the whole compare command, one process vs a pool of 2, interleaved."""
    one, two = [], []
    for _ in range(cfg["reps"]):
        one.append(_run(compare_command(nd, cfg, "--jobs", "1")))
        two.append(_run(compare_command(nd, cfg, "--jobs", "2")))
    return {"jobs1": one, "jobs2": two}


def ray_vs_pool(nd: list[str], cfg: dict) -> dict:
    """Inside a loopback-only namespace: start a 2-CPU Ray cluster once, then time
    `compare --ray` and `compare --jobs 2` alternately (timer.py in the namespace)."""
    sys.path.insert(0, str(ROOT / "tests"))
    import ray_cluster

    problem = ray_cluster.namespace_problem()
    if problem:
        raise RuntimeError(f"no loopback-only namespace for Ray here: {problem}")
    with tempfile.TemporaryDirectory(prefix="netdsl-bench-ray-") as tmp:
        out = Path(tmp) / "times.json"
        timer = [
            sys.executable,
            str(HERE / "scale.py"),
            "--time-ray",
            str(out),
            json.dumps(cfg),
            json.dumps(nd),
        ]
        cluster = [sys.executable, str(ROOT / "tests" / "ray_cluster.py"), "--cpus", "2", "--", *timer]
        proc = subprocess.run(
            ray_cluster.namespace_command(cluster), capture_output=True, text=True, cwd=ROOT
        )
        if proc.returncode != 0 or not out.exists():
            raise RuntimeError(f"the Ray run failed ({proc.returncode}): {proc.stderr.strip()[-600:]}")
        return json.loads(out.read_text())


def _time_ray(out: str, cfg: dict, nd: list[str]) -> int:
    """Runs inside the namespace, with the cluster up at 127.0.0.1:6379."""
    ray, pool = [], []
    _run(compare_command(nd, {**cfg, "specs": 1, "runs": 1, "epochs": 1}, "--ray", "127.0.0.1:6379"))  # warm
    for _ in range(cfg["reps"]):
        ray.append(_run(compare_command(nd, cfg, "--ray", "127.0.0.1:6379")))
        pool.append(_run(compare_command(nd, cfg, "--jobs", "2")))
    Path(out).write_text(json.dumps({"ray": ray, "pool": pool}))
    return 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dp_epoch_seconds(nd: list[str], processes: int, epochs: int, tmp: str) -> float:
    """Median seconds per epoch after the first (which compiles) of process 0
    of a data-parallel run (the history's epoch_seconds)."""
    coordinator = f"127.0.0.1:{_free_port()}"
    spec = str(EXAMPLES / "iris_feature_groups.net")
    base = nd + ["train", spec, "--data", str(IRIS_CSV), "--epochs", str(epochs), "--seed", "1", "--quiet"]
    base += ["--distribute", "data-parallel", "--num-processes", str(processes), "--coordinator", coordinator]
    history = os.path.join(tmp, f"h{processes}.json")
    procs = [
        subprocess.Popen(
            base + ["--process-id", str(i)] + (["--history", history] if i == 0 else []),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=ROOT,
        )
        for i in range(processes)
    ]
    errors = [p.communicate(timeout=900)[1] for p in procs]
    if any(p.returncode for p in procs):
        raise RuntimeError("data-parallel run failed: " + errors[0].decode("utf-8", "replace")[-400:])
    seconds = json.loads(Path(history).read_text())["history"]["epoch_seconds"][1:]
    return statistics.median(seconds)


def data_parallel(nd: list[str], cfg: dict) -> dict:
    with tempfile.TemporaryDirectory(prefix="netdsl-bench-dp-") as tmp:
        return {n: _dp_epoch_seconds(nd, n, cfg["dp_epochs"], tmp) for n in (1, 2)}


def tune_asha(nd: list[str], cfg: dict) -> dict:
    """`tune` of 16 random trials with and without successive halving: wall
    time and the best score of each."""
    out: dict = {"asha": [], "full": [], "score": {}}
    spec = str(HERE / "iris_space.net")
    with tempfile.TemporaryDirectory(prefix="netdsl-bench-tune-") as tmp:
        for _ in range(cfg["tune_reps"]):
            for name, extra in (("asha", ["--scheduler", "asha"]), ("full", [])):
                report = os.path.join(tmp, f"{name}.json")
                cmd = nd + ["tune", spec, "--data", str(IRIS_CSV), "--trials", "16", "--jobs", "2", "--json"]
                t = time.perf_counter()
                with open(report, "w") as fh:
                    proc = subprocess.run(
                        cmd + extra + ["-o", os.path.join(tmp, "b.net")], stdout=fh, cwd=ROOT
                    )
                out[name].append(time.perf_counter() - t)
                if proc.returncode:
                    raise RuntimeError(f"tune exited {proc.returncode}")
                out["score"][name] = json.loads(Path(report).read_text())["best"]["score"]
    return out


def scale_cases(cfg: dict, nd: list[str], attempt, case, median, summarize) -> None:
    """Add the cases to the run (through run.py's `attempt`)."""

    def pool():
        r = jobs(nd, cfg)
        return [
            case(
                "compare_jobs2_vs_jobs1",
                f"`netdsl compare` of {cfg['specs']} iris specs x {cfg['runs']} seeds, "
                f"{cfg['epochs']} epochs (cold command), `--jobs 2` vs `--jobs 1`",
                median(r["jobs2"]) / median(r["jobs1"]),
                ("<=", 0.6),
                summarize(r["jobs2"]),
                summarize(r["jobs1"]),
            )
        ]

    def ray():
        r = ray_vs_pool(nd, cfg)
        return [
            case(
                "compare_ray_vs_jobs2",
                "the same compare on a local 2-CPU Ray cluster (`--ray`, Ray Tune, cluster already up) vs "
                "`--jobs 2`",
                median(r["ray"]) / median(r["pool"]),
                ("<=", 1.15),
                summarize(r["ray"]),
                summarize(r["pool"]),
            )
        ]

    def dp():
        r = data_parallel(nd, cfg)
        return [
            case(
                "data_parallel_epoch",
                "seconds per epoch of `train --distribute data-parallel` (Keras on JAX, iris_feature_groups, "
                "batch 16), 2 processes on 127.0.0.1 vs 1 process",
                r[2] / r[1],
                None,
                summarize([r[2]]),
                summarize([r[1]]),
            )
        ]

    def asha():
        r = tune_asha(nd, cfg)
        better = r["score"]["asha"] >= r["score"]["full"]
        return [
            case(
                "tune_asha_vs_full",
                "`netdsl tune` of 16 random trials (benchmarks/iris_space.net, 81 epochs, `--jobs 2`) with "
                f"`--scheduler asha` vs without (best accuracy {r['score']['asha']:.4f} vs "
                f"{r['score']['full']:.4f}: {'equal or better' if better else 'worse'})",
                median(r["asha"]) / median(r["full"]),
                ("<=", 0.6),
                summarize(r["asha"]),
                summarize(r["full"]),
                conditions_met=better,
                scores=r["score"],
            )
        ]

    attempt(["compare_jobs2_vs_jobs1"], pool)
    attempt(["tune_asha_vs_full"], asha)
    attempt(["compare_ray_vs_jobs2"], ray)
    attempt(["data_parallel_epoch"], dp)


if __name__ == "__main__" and sys.argv[1:2] == ["--time-ray"]:
    sys.exit(_time_ray(sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])))
