"""The data cases of the benchmarks (issue 12): a generated table, netdsl against pandas + Keras.

A CSV of `rows` rows x (30 numbers + 3 string categories + a label), made by
gendata.py in the run's temporary directory (never committed), is read,
trained on and predicted by netdsl and by short hand-written pandas + Keras
scripts (benchmarks/baselines/) doing the same work. Each side runs as a cold
process; time is wall time, memory the process's peak resident set (from
os.wait4, so a child's memory is never mixed with another's).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import gendata

HERE = Path(__file__).resolve().parent
BASELINES = HERE / "baselines"
PY = sys.executable
CASE_IDS = (
    "data_check_time",
    "data_check_memory",
    "data_train_time",
    "data_train_memory",
    "data_train_time_nondeterministic",
    "data_predict",
    "data_stream_memory",
)
BATCH = 256
PREDICT_BATCH = 1024


def spec_text(epochs: int = 1) -> str:
    """The spec of the generated table: the keras.io structured-data model."""
    fields = ", ".join(gendata.NUMERIC) + ", " + ", ".join(f"{c}: string" for c in gendata.CATEGORICAL)
    encoded = ", ".join(f"row[{c}] -> one_hot" for c in gendata.CATEGORICAL)
    return (
        "network tabular\n\n"
        f"input row: {{{fields}}}\n\n"
        f"numbers = row[0:{len(gendata.NUMERIC)}] -> concat -> fill(mean) -> standardize\n"
        f"output label = concat(numbers, {encoded}) -> dense(32, relu) -> dense(3, softmax)\n\n"
        "compile loss=categorical_crossentropy optimizer=adam metrics=[accuracy]\n"
        f"train epochs={epochs} batch_size={BATCH} test_size=0.2 validation_split=0.1 seed=0\n"
    )


# Both sides run as an installed program would: with compiled bytecode (pandas's
# comes with its wheel; netdsl's is written by the untimed warm-up run), even
# where the environment says not to write it.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measured(cmd, cwd=None) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one cold process; raises when it fails.
    Its stderr goes to a file (a pipe it could fill would stop it)."""
    with tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err, env=ENV)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            tail = " | ".join(err.read().decode("utf-8", "replace").strip().splitlines()[-5:])
            raise RuntimeError(f"{' '.join(map(str, cmd))} exited {proc.returncode}: {tail}")
    return seconds, usage.ru_maxrss / 1024


def pairs(a, b, reps: int, warmup: int = 1):
    """Run a and b alternately after `warmup` untimed runs of each; ([(s, MB)...], [(s, MB)...])."""
    ra, rb = rounds([a, b], reps, warmup)
    return ra, rb


def rounds(runs, reps: int, warmup: int = 1) -> list[list]:
    """Each of `runs` in turn, `reps` times after `warmup` untimed rounds; one list of results per run."""
    for _ in range(warmup):
        for run in runs:
            run()
    out: list[list] = [[] for _ in runs]
    for _ in range(reps):
        for k, run in enumerate(runs):
            out[k].append(run())
    return out


def _med(xs, k):
    return statistics.median(x[k] for x in xs)


def run(cfg: dict, tmp: Path, reps, nd: list[str], case, summarize) -> list[dict]:
    """Every data case; `reps(key)` gives a case's repetitions."""
    warm = cfg["warmup_cold"]
    rows = cfg["data_rows"]
    base, big = tmp / "table.csv", tmp / "table_10x.csv"
    size = gendata.write_csv(str(base), rows, seed=0)
    spec = tmp / "tabular.net"
    spec.write_text(spec_text(), encoding="utf-8")
    mb = size / 2**20
    what = f"{rows:,} rows x (30 numeric + 3 string) columns, {mb:.0f} MB"
    out = []

    check_a, check_b = pairs(
        lambda: measured(nd + ["check", str(spec), "--data", str(base)]),
        lambda: measured([PY, str(BASELINES / "pandas_read.py"), str(base)]),
        reps("reps_data"),
        warm,
    )
    out += _time_and_memory(
        case,
        summarize,
        "data_check",
        f"`netdsl check --data` on a CSV of {what} vs `pandas.read_csv` of it (cold processes)",
        check_a,
        check_b,
        time_target=1.0,
    )

    model_a, model_b = tmp / "netdsl.keras", tmp / "pandas.keras"
    script = [PY, str(BASELINES / "pandas_train.py"), str(base), str(model_b), "1", str(BATCH)]
    train_a, train_b, loose = rounds(
        [
            lambda: measured(nd + ["train", str(spec), "--data", str(base), "-o", str(model_a), "--quiet"]),
            lambda: measured(script),
            lambda: measured(script + ["0"]),
        ],
        reps("reps_data"),
        warm,
    )
    out += _time_and_memory(
        case,
        summarize,
        "data_train",
        f"`netdsl train --epochs 1` (read, split, adapt, fit, evaluate, save; batch {BATCH}) vs the same "
        "work by hand in pandas + Keras, seeded and deterministic as netdsl is (cold processes)",
        train_a,
        train_b,
        time_target=1.05,
    )

    out.append(
        case(
            "data_train_time_nondeterministic",
            "the same `netdsl train` vs the script without TensorFlow's deterministic ops (netdsl "
            "always turns them on: the same seed gives the same weights)",
            _med(train_a, 0) / _med(loose, 0),
            None,
            summarize([x[0] for x in train_a]),
            summarize([x[0] for x in loose]),
        )
    )

    predict_out = tmp / "predictions.csv"
    pred_a, pred_b = pairs(
        lambda: measured(
            nd
            + ["predict", str(model_a), "--data", str(base), "-o", str(predict_out)]
            + ["--batch-size", str(PREDICT_BATCH)]
        ),
        lambda: measured(
            [PY, str(BASELINES / "pandas_predict.py"), str(model_a), str(base), str(PREDICT_BATCH)]
        ),
        reps("reps_data"),
        warm,
    )
    out.append(
        case(
            "data_predict",
            f"`netdsl predict` of the same file (written out as CSV) vs `model.predict` on the columns "
            f"read with pandas, by hand (batch {PREDICT_BATCH}, cold processes)",
            _med(pred_a, 0) / _med(pred_b, 0),
            ("<=", 1.05),
            summarize([x[0] for x in pred_a]),
            summarize([x[0] for x in pred_b]),
        )
    )

    gendata.write_csv(str(big), rows * cfg["stream_factor"], seed=0)
    stream_cmd = nd + ["train", str(spec), "--stream", "--quiet", "--data"]
    small = [measured(stream_cmd + [str(base)]) for _ in range(reps("reps_stream"))]
    large = [measured(stream_cmd + [str(big)]) for _ in range(reps("reps_stream"))]
    out.append(
        case(
            "data_stream_memory",
            f"peak memory of `netdsl train --stream` on a file {cfg['stream_factor']}x larger "
            f"({rows * cfg['stream_factor']:,} rows) vs on the base file",
            _med(large, 1) / _med(small, 1),
            ("<=", 1.2),
            summarize([x[1] for x in large]),
            summarize([x[1] for x in small]),
            unit="MBx",
            seconds={"base": [x[0] for x in small], "large": [x[0] for x in large]},
        )
    )
    return out


def _time_and_memory(case, summarize, cid, label, a, b, time_target):
    return [
        case(
            f"{cid}_time",
            label,
            _med(a, 0) / _med(b, 0),
            ("<=", time_target),
            summarize([x[0] for x in a]),
            summarize([x[0] for x in b]),
        ),
        case(
            f"{cid}_memory",
            "peak memory of the same two",
            _med(a, 1) / _med(b, 1),
            ("<=", 1.0),
            summarize([x[1] for x in a]),
            summarize([x[1] for x in b]),
            unit="MBx",
        ),
    ]
