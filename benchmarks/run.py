"""netdsl benchmarks: each case against its baseline, interleaved, as ratios.

    python benchmarks/run.py               # the full run (a few minutes)
    python benchmarks/run.py --quick       # smoke run: 1 repetition, small sizes
    python benchmarks/run.py --reps 9 --json results.json

The machine is shared and noisy, so only ratios of two things measured side by
side in the same run mean anything: every case runs its netdsl side (A) and
its baseline (B) alternately, A, B, A, B, ..., after an untimed warm-up, and
compares the medians. In-process cases run in a fresh worker process of their
own (`run.py --worker NAME`), so one case's heap (TensorFlow's, say) never
slows another's garbage collector.

The report is a Markdown table with a PASS/FAIL column against each target.
The exit status is 0 when every case ran, whatever the targets say (this is a
report, not a gate); 1 when a case could not run at all.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import json
import math
import os
import platform
import shutil
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
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import tabular  # noqa: E402

import genspec  # noqa: E402

PY = sys.executable
RESULT_TAG = "BENCH-RESULT "

# ---- sizes and repetitions ---------------------------------------------------

FULL = dict(
    check_layers=10_000,
    scale_small=2_000,
    scale_large=20_000,
    keras_layers=500,
    typos_small=200,
    typos_large=2_000,
    features_small=50_000,
    features_large=500_000,
    statements_small=2_000,
    statements_large=20_000,
    reps_tf_import=5,
    reps_floor=15,
    reps_check=7,
    reps_scale=5,
    reps_memory=3,
    reps_keras=7,
    reps_import=7,
    reps_render=5,
    reps_epoch=30,
    warmup_cold=1,
    lsp_lines=1_000,
    reps_lsp=20,
    reps_page=20,
    load_clients=20,
    load_seconds=30,
    data_rows=300_000,
    stream_factor=10,
    reps_data=3,
    reps_stream=1,
)
QUICK = dict(
    check_layers=1_000,
    scale_small=200,
    scale_large=2_000,
    keras_layers=60,
    typos_small=200,
    typos_large=2_000,
    features_small=5_000,
    features_large=50_000,
    statements_small=200,
    statements_large=2_000,
    reps_tf_import=1,
    reps_floor=1,
    reps_check=1,
    reps_scale=1,
    reps_memory=1,
    reps_keras=1,
    reps_import=1,
    reps_render=1,
    reps_epoch=1,
    warmup_cold=0,
    lsp_lines=1_000,
    reps_lsp=3,
    reps_page=3,
    load_clients=3,
    load_seconds=4,
    data_rows=2_000,
    stream_factor=10,
    reps_data=1,
    reps_stream=1,
)
EPOCH_BATCH = 16
MEMORY_BUDGET_MB = 200.0

CASE_IDS = (
    "check_cold_vs_tensorflow",
    "check_cold_vs_import_floor",
    "check_vs_bare_parse",
    "check_vs_bare_parse_gc_paused",
    "scaling",
    "did_you_mean_scaling",
    "features_scaling",
    "statements_scaling",
    "memory",
    "to_keras_vs_hand",
    "to_keras_tabtransformer_vs_hand",
    "render_cold_vs_plot_model",
    "epoch_vs_hand",
    "import_vs_load_model",
    "compare_jobs2_vs_jobs1",
    "compare_ray_vs_jobs2",
    "tune_asha_vs_full",
    "data_parallel_epoch",
    "lsp_diagnostics_latency",
    "playground_keystroke_to_diagram",
    "serve_under_load",
    *tabular.CASE_IDS,
)
LSP_BUDGET_MS = 50.0
PAGE_BUDGET_MS = 300.0
LOAD_BUDGET_S = 2.0


# ---- helpers -----------------------------------------------------------------


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def netdsl_command() -> list[str]:
    """The installed `netdsl` console script, run by this interpreter's directory
    (not a shell shim: pyenv's bash shim would add its own start-up to the case)."""
    beside = Path(PY).parent / "netdsl"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("netdsl")
    return [found] if found else [PY, "-m", "netdsl"]


def run_quiet(cmd, cwd=None) -> float:
    """Run a command to completion; its wall time in seconds. Raises on failure."""
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {proc.returncode}: " + " | ".join(tail))
    return dt


def interleave(a, b, reps: int, warmup: int = 1, c=None):
    """Time a() and b() (and c()) alternately; lists of seconds."""
    for _ in range(warmup):
        a(), b()
        if c is not None:
            c()
    ta, tb, tc = [], [], []
    for _ in range(reps):
        ta.append(a())
        tb.append(b())
        if c is not None:
            tc.append(c())
    return ta, tb, tc


def worker(name: str, **kwargs) -> dict:
    """Run `run.py --worker name` in a fresh process; its result dict."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0")
    proc = subprocess.run(
        [PY, str(Path(__file__).resolve()), "--worker", name, "--worker-args", json.dumps(kwargs)],
        capture_output=True,
        env=env,
        cwd=ROOT,
    )
    out = proc.stdout.decode("utf-8", "replace")
    for line in out.splitlines():
        if line.startswith(RESULT_TAG):
            return json.loads(line[len(RESULT_TAG) :])
    err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    raise RuntimeError(f"worker {name} exited {proc.returncode}: " + " | ".join(err[-8:]))


def versions() -> dict:
    from importlib import metadata

    def dist(*names):
        for n in names:
            try:
                return metadata.version(n)
            except metadata.PackageNotFoundError:
                continue
        return "not installed"

    import netdsl

    try:
        dot = subprocess.run(["dot", "-V"], capture_output=True, text=True)
        dot_v = (dot.stderr or dot.stdout).strip()
    except OSError:
        dot_v = "dot not found"
    return {
        "python": platform.python_version(),
        "netdsl": netdsl.__version__,
        "lark": dist("lark", "lark-parser"),
        "networkx": dist("networkx"),
        "tensorflow": dist("tensorflow", "tensorflow-cpu", "tensorflow-intel"),
        "keras": dist("keras"),
        "graphviz": dot_v,
    }


# ---- workers (each runs in a fresh process) -------------------------------------


def _emit(result: dict) -> None:
    print(RESULT_TAG + json.dumps(result), flush=True)


def _timed(fn):
    gc.collect()
    t = time.perf_counter()
    res = fn()
    dt = time.perf_counter() - t
    del res
    gc.collect()
    return dt


def bare_parser():
    """Lark with netdsl's grammar and layout post-lexer, exactly as netdsl/parser.py
    builds it, but without the inline transformer: a plain parse tree."""
    import lark

    from netdsl.lang import parser as nd_parser

    return lark.Lark(
        nd_parser.grammar_text(),
        parser="lalr",
        lexer="basic",
        postlex=nd_parser._LayoutPostLex(),
        maybe_placeholders=True,
    )


def w_check(path: str, small: str, large: str, reps: int, reps_scale: int) -> dict:
    """In-process check of a big spec vs a bare Lark parse of it; then 20k vs 2k."""
    import netdsl
    import netdsl.ir.pipeline  # noqa: F401  (the modules load() imports)

    lark_parser = bare_parser()

    def load():
        return netdsl.load(path)

    def parse():
        return lark_parser.parse(Path(path).read_text(encoding="utf-8"))

    def parse_gc_paused():
        was = gc.isenabled()
        gc.disable()
        try:
            return parse()
        finally:
            if was:
                gc.enable()

    g = netdsl.load(path)
    assert not netdsl.network(g).diagnostics, "the generated spec has diagnostics"
    nodes = g.number_of_nodes()
    del g
    ta, tb, tc = interleave(
        lambda: _timed(load), lambda: _timed(parse), reps, c=lambda: _timed(parse_gc_paused)
    )
    ts, tl, _ = interleave(
        lambda: _timed(lambda: netdsl.load(small)), lambda: _timed(lambda: netdsl.load(large)), reps_scale
    )
    return {"nodes": nodes, "load": ta, "parse": tb, "parse_gc_paused": tc, "small": ts, "large": tl}


def misspelled_spec(n: int) -> str:
    """n layers, then n uses of misspelled names (`lyer_7` for `layer_7`): n
    undefined-name errors, each with a did-you-mean among 2n names."""
    lines = ["input x: 4"]
    lines += [f"layer_{i} = x -> dense(2)" for i in range(n)]
    lines += [f"use_{i} = lyer_{i} -> dense(2)" for i in range(n)]
    lines.append("output y = concat(" + ", ".join(f"use_{i}" for i in range(n)) + ") -> dense(1)")
    return "\n".join(lines) + "\n"


def w_did_you_mean(small: str, large: str, reps: int) -> dict:
    """Check of n misspelled uses among n names, for two sizes (did-you-mean's cost)."""
    import netdsl
    from netdsl.lang import names

    def check(path):
        def run():
            names._INDEXES.clear()  # each check starts cold, as a `netdsl check` process does
            g = netdsl.analyze(path)
            assert netdsl.network(g).diagnostics
            return g

        return run

    suggested = sum("did you mean" in (d.help or "") for d in netdsl.network(check(large)()).diagnostics)
    ts, tl, _ = interleave(lambda: _timed(check(small)), lambda: _timed(check(large)), reps)
    return {"small": ts, "large": tl, "suggested_large": suggested}


def wide_spec(n: int) -> str:
    """An input of n named features and a selection of every other one by name."""
    features = ", ".join(f"f{i}" for i in range(n))
    picked = ", ".join(f"f{i}" for i in range(0, n, 2))
    return f"input x: [{features}]\ns = x[{picked}]\noutput y = s -> dense(1)\n"


def statements_spec(n: int) -> str:
    """n statements, each a layer on the previous statement's name."""
    lines = ["input x: 4", "h0 = x -> dense(2)"] + [f"h{i} = h{i - 1} -> dense(2)" for i in range(1, n)]
    return "\n".join(lines + [f"output y = h{n - 1} -> dense(1)"]) + "\n"


def w_front_end(small: str, large: str, reps: int) -> dict:
    """In-process check of two sizes of one kind of spec (per-name lookups' cost)."""
    import netdsl

    def check(path):
        def run():
            g = netdsl.load(path)
            assert not netdsl.network(g).diagnostics
            return g

        return run

    ts, tl, _ = interleave(lambda: _timed(check(small)), lambda: _timed(check(large)), reps)
    return {"small": ts, "large": tl}


def w_memory(path: str, mode: str) -> dict:
    """Peak memory of netdsl.load(path) above the baseline of netdsl loaded and
    its parser built (a tiny spec checked first)."""
    import resource

    import netdsl

    netdsl.loads("input x: 2\noutput y = x -> dense(1)\n")
    gc.collect()
    if mode == "tracemalloc":
        import tracemalloc

        tracemalloc.start()
        g = netdsl.load(path)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return {"mb": peak / 2**20, "nodes": g.number_of_nodes()}
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    g = netdsl.load(path)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"mb": (peak - base) / 1024, "base_mb": base / 1024, "nodes": g.number_of_nodes()}


def same_weights(a, b) -> bool:
    """The two models hold the same weight arrays (as a multiset: Keras may list
    layers of equal depth in either order)."""

    def key(model):
        return sorted((w.shape, w.dtype.str, w.tobytes()) for w in model.get_weights())

    return key(a) == key(b)


def w_keras(layers: int, path: str, reps: int) -> dict:
    """netdsl.to_keras of the generated spec vs the generated hand-written builder."""
    import netdsl
    from netdsl.backends import keras as backend  # imports TensorFlow (quietly)

    keras = backend.keras
    spec = genspec.generate(layers, seed=0)
    namespace: dict = {}
    exec(compile(spec.to_keras_source(), f"<hand-written builder, {layers} layers>", "exec"), namespace)
    hand = namespace["build"]
    g = netdsl.load(path)

    def ours():
        return netdsl.to_keras(g, seed=0)

    def theirs():
        return hand(keras)

    a, b = ours(), theirs()
    same = (
        sorted(lay.name for lay in a.layers) == sorted(lay.name for lay in b.layers)
        and a.count_params() == b.count_params()
        and [t.name for t in a.inputs] == [t.name for t in b.inputs]
        and same_weights(a, b)
    )
    info = {"layers": len(a.layers), "params": a.count_params(), "same_model": bool(same)}
    del a, b

    return {**_builds_interleaved(keras, ours, theirs, reps), **info}


def _builds_interleaved(keras, ours, theirs, reps: int) -> dict:
    """Times of two model builders, interleaved, each from a cleared Keras session."""

    def timed(fn):
        keras.backend.clear_session()
        return _timed(fn)

    ta, tb, _ = interleave(lambda: timed(ours), lambda: timed(theirs), reps)
    return {"ours": ta, "hand": tb}


def w_keras_tabtransformer(reps: int) -> dict:
    """netdsl.to_keras of examples/keras_io/tabtransformer.net vs the keras.io script's own
    builder (tests/keras_io/tabtransformer.py: its functions, its nested Sequentials), both compiled."""
    import netdsl
    from netdsl.backends import keras as backend  # imports TensorFlow (quietly)

    keras = backend.keras
    sys.path.insert(0, str(ROOT / "tests"))
    from keras_io import tabtransformer

    g = netdsl.load(str(EXAMPLES / "keras_io" / "tabtransformer.net"))

    def ours():
        return netdsl.to_keras(g, seed=0)  # compiled: the spec has a compile line

    def theirs():
        model = tabtransformer.build_tabtransformer()
        model.compile(**tabtransformer.compile_args())  # as the script's run_experiment does
        return model

    a, b = ours(), theirs()
    trainable = [sum(math.prod(w.shape) for w in m.trainable_weights) for m in (a, b)]
    same = a.count_params() == b.count_params() and trainable[0] == trainable[1]
    info = {"params": a.count_params(), "same_model": bool(same)}
    del a, b

    return {**_builds_interleaved(keras, ours, theirs, reps), **info}


def hand_iris_feature_groups(keras):
    """examples/iris_feature_groups.net, written by hand in Keras."""
    from keras import layers

    keras.utils.set_random_seed(0)
    iris = keras.Input(shape=(4,), name="iris")
    sepal = iris[:, 0:2]
    petal = iris[:, 2:4]
    sepal_h = layers.Dense(4, activation="relu", name="sepal_h")(sepal)
    petal_h = layers.Dense(4, activation="relu", name="petal_h")(petal)
    x = layers.Concatenate()([sepal_h, petal_h])
    x = layers.Dense(8, activation="relu")(x)
    species = layers.Dense(3, activation="softmax", name="species")(x)
    model = keras.Model(iris, species, name="iris_feature_groups")
    model.compile(
        loss="categorical_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        metrics=["accuracy"],
    )
    return model


def w_epoch(reps: int, batch_size: int) -> dict:
    import csv

    import netdsl
    from netdsl.backends import keras as backend

    keras = backend.keras
    import numpy as np

    with open(IRIS_CSV, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    features = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    x = np.asarray([[float(r[c]) for c in features] for r in rows], dtype="float32")
    classes = sorted({r["species"] for r in rows})
    y = np.eye(len(classes), dtype="float32")[[classes.index(r["species"]) for r in rows]]
    ours = netdsl.to_keras(netdsl.load(str(EXAMPLES / "iris_feature_groups.net")), seed=0)
    hand = hand_iris_feature_groups(keras)
    same = ours.count_params() == hand.count_params() and same_weights(ours, hand)

    def fit(model):
        def run():
            t = time.perf_counter()
            model.fit(x, y, epochs=1, batch_size=batch_size, verbose=0)
            return time.perf_counter() - t

        return run

    ta, tb, _ = interleave(fit(ours), fit(hand), reps, warmup=1)
    return {
        "ours": ta,
        "hand": tb,
        "rows": len(rows),
        "params": ours.count_params(),
        "same_initial_weights": bool(same),
    }


def w_import(path: str, out: str, reps: int) -> dict:
    """`netdsl import` (in process: netdsl.import_keras) of a saved N-layer model vs
    `keras.saving.load_model` of the same file, interleaved in one process."""
    import netdsl
    from netdsl.backends import keras as backend  # imports TensorFlow (quietly)
    from netdsl.cli.lockin import write_model

    keras = backend.keras
    g = netdsl.load(path)
    write_model(g, netdsl.to_keras(g, seed=0), "keras", out)
    text = netdsl.import_keras(out).text
    again = netdsl.loads(text, "imported.net")  # the import is a spec of the same model
    same = (
        again.number_of_nodes() == g.number_of_nodes()
        and netdsl.network(again).params == netdsl.network(g).params
    )
    ta, tb, _ = interleave(
        lambda: _timed(lambda: netdsl.import_keras(out)),
        lambda: _timed(lambda: keras.saving.load_model(out)),
        reps,
    )
    return {"ours": ta, "keras": tb, "layers": g.number_of_nodes(), "same_model": bool(same)}


WORKERS = {
    "import": w_import,
    "check": w_check,
    "did_you_mean": w_did_you_mean,
    "front_end": w_front_end,
    "memory": w_memory,
    "keras": w_keras,
    "keras_tabtransformer": w_keras_tabtransformer,
    "epoch": w_epoch,
}

RENDER_BASELINE = '''\
"""The iris_concat model built by hand in Keras and drawn with plot_model."""
import sys
import keras
from keras import layers
sepal = keras.Input(shape=(2,), name="sepal")
petal = keras.Input(shape=(2,), name="petal")
sepal_h = layers.Dense(2, activation="relu", name="sepal_h_dense_1")(sepal)
sepal_h = layers.Dense(2, activation="relu", name="sepal_h")(sepal_h)
petal_h = layers.Dense(2, activation="relu", name="petal_h_dense_1")(petal)
petal_h = layers.Dense(2, activation="relu", name="petal_h")(petal_h)
merged = layers.Concatenate(name="species_concat_1")([sepal_h, petal_h])
species = layers.Dense(3, activation="softmax", name="species")(merged)
model = keras.Model([sepal, petal], species, name="iris_concat")
keras.utils.plot_model(model, to_file=sys.argv[1], show_shapes=True, show_layer_names=True,
                       show_layer_activations=True, show_trainable=True, show_dtype=True)
'''


# ---- the cases -------------------------------------------------------------------


def case(cid, label, ratio, target, a=None, b=None, unit="s", **extra) -> dict:
    return {
        "id": cid,
        "label": label,
        "ratio": ratio,
        "target": target,
        "a": a,
        "b": b,
        "unit": unit,
        **extra,
    }


def summarize(samples):
    return {"median": median(samples), "min": min(samples) if samples else None, "samples": samples}


def verdict(c: dict) -> str:
    t = c["target"]
    value = c.get("value", c["ratio"])
    if t is None:
        return "info"
    if c.get("conditions_met") is False:  # e.g. the server under load crashed or dropped a message
        return "FAIL"
    if value is None or value != value:
        return "ERROR"
    if t[0] == "<=":
        return "PASS" if value <= t[1] else "FAIL"
    return "PASS" if t[1] <= value <= t[2] else "FAIL"


def target_text(c: dict) -> str:
    t = c["target"]
    if t is None:
        return "(info)"
    if t[0] == "<=":
        return f"<= {t[1]:g}{' ' + c['unit'] if c['unit'] in ('MB', 'ms', 's') and 'value' in c else 'x'}"
    return f"{t[1]:g}-{t[2]:g}x"


def run_cases(cfg: dict, tmp: Path, reps_override: int | None, only: set | None = None) -> list[dict]:
    def reps(key):
        return reps_override if reps_override is not None else cfg[key]

    cases: list[dict] = []
    nd = netdsl_command()
    iris_concat = str(EXAMPLES / "iris_concat.net")
    warm = cfg["warmup_cold"]

    def attempt(ids, fn):
        if only and not set(ids) & only:
            return
        log(f"[bench] {', '.join(ids)} ...")
        t = time.perf_counter()
        try:
            cases.extend(fn())
        except Exception as exc:  # a broken case is reported, the others still run
            for cid in ids:
                cases.append(case(cid, cid, None, None, error=f"{type(exc).__name__}: {exc}"))
        log(f"[bench]   {time.perf_counter() - t:.1f} s")

    check_cmd = nd + ["check", iris_concat]

    def cold_vs_tf():
        ta, tb, _ = interleave(
            lambda: run_quiet(check_cmd),
            lambda: run_quiet([PY, "-c", "import tensorflow"]),
            reps("reps_tf_import"),
            warmup=warm,
        )
        return [
            case(
                "check_cold_vs_tensorflow",
                '`netdsl check examples/iris_concat.net` (cold process) vs `python -c "import tensorflow"`',
                median(ta) / median(tb),
                ("<=", 0.08),
                summarize(ta),
                summarize(tb),
            )
        ]

    def cold_vs_floor():
        ta, tb, _ = interleave(
            lambda: run_quiet(check_cmd),
            lambda: run_quiet([PY, "-c", "import lark, networkx"]),
            reps("reps_floor"),
            warmup=max(warm, 1),
        )
        return [
            case(
                "check_cold_vs_import_floor",
                "`netdsl check examples/iris_concat.net` (cold process) "
                'vs `python -c "import lark, networkx"`',
                median(ta) / median(tb),
                ("<=", 1.25),
                summarize(ta),
                summarize(tb),
            )
        ]

    n, n_small, n_large = cfg["check_layers"], cfg["scale_small"], cfg["scale_large"]
    paths = {}
    for size in {n, n_small, n_large, cfg["keras_layers"]}:
        p = tmp / f"generated_{size}.net"
        p.write_text(genspec.generate(size, seed=0).to_net(), encoding="utf-8")
        paths[size] = str(p)

    def in_process_check():
        r = worker(
            "check",
            path=paths[n],
            small=paths[n_small],
            large=paths[n_large],
            reps=reps("reps_check"),
            reps_scale=reps("reps_scale"),
        )
        assert r["nodes"] == n, r["nodes"]
        load, parse, parse_np = r["load"], r["parse"], r["parse_gc_paused"]
        return [
            case(
                "check_vs_bare_parse",
                f"check (in-process `netdsl.load`) of a generated {n:,}-layer spec "
                "vs a bare Lark parse of it (netdsl's grammar and post-lexer, plain tree)",
                median(load) / median(parse),
                ("<=", 1.5),
                summarize(load),
                summarize(parse),
            ),
            case(
                "check_vs_bare_parse_gc_paused",
                f"same {n:,}-layer check vs the bare parse with the cyclic "
                "GC paused (as netdsl's pipeline pauses it)",
                median(load) / median(parse_np),
                None,
                summarize(load),
                summarize(parse_np),
            ),
            case(
                "scaling",
                f"scaling: check of {n_large:,} layers vs {n_small:,} layers",
                median(r["large"]) / median(r["small"]),
                ("<=", 11.0),
                summarize(r["large"]),
                summarize(r["small"]),
            ),
        ]

    def did_you_mean():
        sizes = cfg["typos_small"], cfg["typos_large"]
        files = []
        for size in sizes:
            p = tmp / f"misspelled_{size}.net"
            p.write_text(misspelled_spec(size), encoding="utf-8")
            files.append(str(p))
        r = worker("did_you_mean", small=files[0], large=files[1], reps=reps("reps_scale"))
        return [
            case(
                "did_you_mean_scaling",
                f"did-you-mean scaling: check of {sizes[1]:,} misspelled uses among {sizes[1]:,} names "
                f"vs {sizes[0]:,} among {sizes[0]:,} ({r['suggested_large']:,} suggestions made)",
                median(r["large"]) / median(r["small"]),
                ("<=", 11.0),
                summarize(r["large"]),
                summarize(r["small"]),
            )
        ]

    def front_end(cid: str, what: str, make):
        sizes = cfg[f"{what}_small"], cfg[f"{what}_large"]
        files = []
        for size in sizes:
            p = tmp / f"{what}_{size}.net"
            p.write_text(make(size), encoding="utf-8")
            files.append(str(p))
        r = worker("front_end", small=files[0], large=files[1], reps=reps("reps_scale"))
        return [
            case(
                cid,
                f"{what} scaling: check of {sizes[1]:,} {what} vs {sizes[0]:,}",
                median(r["large"]) / median(r["small"]),
                ("<=", 11.0),
                summarize(r["large"]),
                summarize(r["small"]),
            )
        ]

    def memory():
        rss = [worker("memory", path=paths[n], mode="rss") for _ in range(reps("reps_memory"))]
        traced = worker("memory", path=paths[n], mode="tracemalloc")
        mb = median([r["mb"] for r in rss])
        return [
            case(
                "memory",
                f"peak memory of the {n:,}-layer check (max RSS above `import netdsl` "
                f"+ parser built; tracemalloc peak {traced['mb']:.0f} MB)",
                mb / MEMORY_BUDGET_MB,
                ("<=", MEMORY_BUDGET_MB),
                unit="MB",
                value=mb,
                rss_mb=[r["mb"] for r in rss],
                tracemalloc_mb=traced["mb"],
                baseline_mb=rss[0]["base_mb"],
            )
        ]

    def to_keras():
        k = cfg["keras_layers"]
        r = worker("keras", layers=k, path=paths[k], reps=reps("reps_keras"))
        return [
            case(
                "to_keras_vs_hand",
                f"in-process `netdsl.to_keras` of a generated {k}-layer spec vs a "
                f"hand-written Keras builder of the same model (same layers, names, weights: "
                f"{'yes' if r['same_model'] else 'NO'})",
                median(r["ours"]) / median(r["hand"]),
                ("<=", 1.10),
                summarize(r["ours"]),
                summarize(r["hand"]),
                same_model=r["same_model"],
            )
        ]

    def to_keras_tabtransformer():
        r = worker("keras_tabtransformer", reps=reps("reps_keras"))
        return [
            case(
                "to_keras_tabtransformer_vs_hand",
                "in-process `netdsl.to_keras` of examples/keras_io/tabtransformer.net vs the keras.io "
                "script's own builder and compile (its nested Sequentials; same parameters, "
                f"{r['params']:,}: "
                f"{'yes' if r['same_model'] else 'NO'})",
                median(r["ours"]) / median(r["hand"]),
                ("<=", 1.10),
                summarize(r["ours"]),
                summarize(r["hand"]),
                same_model=r["same_model"],
            )
        ]

    def import_keras():
        k = cfg["keras_layers"]
        r = worker("import", path=paths[k], out=str(tmp / f"generated_{k}.keras"), reps=reps("reps_import"))
        return [
            case(
                "import_vs_load_model",
                f"`netdsl import` (in-process `netdsl.import_keras`) of a saved {r['layers']}-layer model "
                "vs `keras.saving.load_model` of the same file (the spec imported checks to the same "
                f"layers and parameters: {'yes' if r['same_model'] else 'NO'})",
                median(r["ours"]) / median(r["keras"]),
                ("<=", 0.05),
                summarize(r["ours"]),
                summarize(r["keras"]),
                same_model=r["same_model"],
            )
        ]

    def render():
        script = tmp / "plot_model_baseline.py"
        script.write_text(RENDER_BASELINE, encoding="utf-8")
        svg, png = tmp / "x.svg", tmp / "x.png"
        ta, tb, _ = interleave(
            lambda: run_quiet(nd + ["render", iris_concat, "-o", str(svg)]),
            lambda: run_quiet([PY, str(script), str(png)]),
            reps("reps_render"),
            warmup=warm,
        )
        assert svg.stat().st_size > 0 and png.stat().st_size > 0
        return [
            case(
                "render_cold_vs_plot_model",
                "`netdsl render examples/iris_concat.net -o x.svg` (cold) "
                'vs a Keras script + `keras.utils.plot_model(..., to_file="x.png", show_*=True)` (cold)',
                median(ta) / median(tb),
                ("<=", 0.10),
                summarize(ta),
                summarize(tb),
            )
        ]

    def epoch():
        r = worker("epoch", reps=reps("reps_epoch"), batch_size=EPOCH_BATCH)
        return [
            case(
                "epoch_vs_hand",
                f"one training epoch (`model.fit(epochs=1)`, {r['rows']} rows, batch "
                f"{EPOCH_BATCH}) of examples/iris_feature_groups.net compiled by netdsl vs the same model "
                "by hand in Keras",
                median(r["ours"]) / median(r["hand"]),
                ("range", 0.95, 1.05),
                summarize(r["ours"]),
                summarize(r["hand"]),
                same_initial_weights=r["same_initial_weights"],
            )
        ]

    attempt(["check_cold_vs_tensorflow"], cold_vs_tf)
    attempt(["check_cold_vs_import_floor"], cold_vs_floor)
    attempt(["check_vs_bare_parse", "check_vs_bare_parse_gc_paused", "scaling"], in_process_check)
    attempt(["did_you_mean_scaling"], did_you_mean)
    attempt(["features_scaling"], lambda: front_end("features_scaling", "features", wide_spec))
    attempt(["statements_scaling"], lambda: front_end("statements_scaling", "statements", statements_spec))
    attempt(["memory"], memory)
    attempt(["to_keras_vs_hand"], to_keras)
    attempt(["to_keras_tabtransformer_vs_hand"], to_keras_tabtransformer)
    attempt(["render_cold_vs_plot_model"], render)
    attempt(["epoch_vs_hand"], epoch)
    attempt(["import_vs_load_model"], import_keras)
    attempt(list(tabular.CASE_IDS), lambda: tabular.run(cfg, tmp, reps, nd, case, summarize))
    if cfg is not QUICK:
        import scale

        scale.scale_cases(scale.FULL, nd, attempt, case, median, summarize)
    editor_cases(cfg, reps, attempt)
    return cases


def editor_cases(cfg: dict, reps, attempt) -> None:
    """The language server and the playground: absolute budgets, from the client's side."""
    import editors

    def lsp():
        r = editors.lsp_latency(cfg["lsp_lines"], reps("reps_lsp"))
        ms = median(r["all"]) * 1000
        return [
            case(
                "lsp_diagnostics_latency",
                f"`netdsl lsp`: didChange to publishDiagnostics on a {r['lines']:,}-line spec "
                f"({r['layers']:,} layers), warm server, median of {len(r['all'])} edits measured by the "
                "client over stdio "
                f"(typing in a line: {median(r['typing']) * 1000:.1f} ms; adding a line: "
                f"{median(r['newline']) * 1000:.1f} ms; the server's CPU time per edit: "
                f"{median(r['server_cpu']) * 1000:.0f} ms)",
                ms / LSP_BUDGET_MS,
                ("<=", LSP_BUDGET_MS),
                unit="ms",
                value=ms,
                samples_ms=[x * 1000 for x in r["all"]],
            )
        ]

    def page():
        r = editors.browser_latency(reps("reps_page"))
        ms = median(r["samples"]) * 1000
        return [
            case(
                "playground_keystroke_to_diagram",
                "`netdsl serve`: keystroke to the new diagram on screen for examples/iris_concat.net, "
                "in headless Chromium (keydown to the frame after the SVG is in the page), median of "
                f"{len(r['samples'])} edits",
                ms / PAGE_BUDGET_MS,
                ("<=", PAGE_BUDGET_MS),
                unit="ms",
                value=ms,
                samples_ms=[x * 1000 for x in r["samples"]],
            )
        ]

    def load():
        r = editors.load(cfg["load_clients"], cfg["load_seconds"])
        worst = max(r["edits"] + r["requests"]) if r["edits"] else float("nan")
        grown = r["rss_end_mb"] - r["rss_start_mb"]
        answered = sorted(r["error_responses"]) == sorted([-32700, -32600] * r["clients"])
        flat = grown <= max(0.2 * r["rss_start_mb"], 20.0)
        ok = r["alive"] and not r["failures"] and not r["unanswered"] and answered and flat
        return [
            case(
                "serve_under_load",
                f"`netdsl serve` under load: {r['clients']} pages (opened 0.1 s apart) editing at once, "
                f"~5 keys/s each, for {r['seconds']:g} s "
                f"({r['sent_edits']:,} edits, {len(r['requests'])} hovers; edit to diagram median "
                f"{r['edit_p50'] * 1000:.0f} ms), slowest response; each page's malformed and oversized "
                f"message answered with an error: {'yes' if answered else 'NO'}; server alive: "
                f"{'yes' if r['alive'] else 'NO'}; memory {r['rss_start_mb']:.0f} -> "
                f"{r['rss_end_mb']:.0f} MB ({'flat' if flat else 'GROWING'})",
                worst / LOAD_BUDGET_S,
                ("<=", LOAD_BUDGET_S),
                unit="s",
                value=worst,
                conditions_met=ok,
                failures=r["failures"],
                unanswered=r["unanswered"],
                rss_mb=[r["rss_start_mb"], r["rss_end_mb"], r["rss_max_mb"]],
            )
        ]

    attempt(["lsp_diagnostics_latency"], lsp)
    attempt(["playground_keystroke_to_diagram"], page)
    attempt(["serve_under_load"], load)


# ---- the report ------------------------------------------------------------------


def fmt_seconds(s) -> str:
    if s is None or s != s:
        return "-"
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def table(cases: list[dict]) -> str:
    lines = [
        "| case | netdsl (median) | baseline (median) | ratio | target | result |",
        "|---|---:|---:|---:|---|---|",
    ]
    for c in cases:
        if c.get("error"):
            lines.append(f"| {c['label']} | - | - | - | - | ERROR: {c['error'][:160]} |")
            continue
        if c["unit"] == "MBx":  # two peak memories side by side
            a, b = f"{c['a']['median']:.0f} MB", f"{c['b']['median']:.0f} MB"
            lines.append(
                f"| {c['label']} | {a} | {b} | {c['ratio']:.3f}x | {target_text(c)} | {verdict(c)} |"
            )
            continue
        if c["unit"] in ("MB", "ms") or (c["unit"] == "s" and "value" in c):
            number = f"{c['value']:.2f}" if c["unit"] == "s" else f"{c['value']:.1f}"
            a, b, ratio = f"{number} {c['unit']}", "-", f"{c['ratio']:.2f} of budget"
        else:
            a, b, ratio = fmt_seconds(c["a"]["median"]), fmt_seconds(c["b"]["median"]), f"{c['ratio']:.3f}x"
        lines.append(f"| {c['label']} | {a} | {b} | {ratio} | {target_text(c)} | {verdict(c)} |")
    return "\n".join(lines)


def report(cases, info, total) -> str:
    v = info["versions"]
    head = [
        f"# netdsl benchmarks ({info['mode']} run)",
        "",
        f"- date: {info['date']}",
        f"- machine: {info['cores']} cores ({info['platform']}); load average at the start "
        f"{info.get('load_average', '?')} (other work on the machine slows every absolute figure)",
        f"- Python {v['python']}, netdsl {v['netdsl']}, Lark {v['lark']}, networkx {v['networkx']}, "
        f"TensorFlow {v['tensorflow']}, Keras {v['keras']}, Graphviz: {v['graphviz']}",
        f"- repetitions: {info['reps']} (A and B interleaved, medians, after an untimed warm-up); "
        "ratio = netdsl / baseline",
        "",
    ]
    return "\n".join(head) + "\n" + table(cases) + f"\n\ntotal runtime: {total:.1f} s\n"


def _with_bytecode(tmp: Path) -> None:
    """Every process the cases start reads and writes bytecode, as an installed
    package has it (pip compiles it at install), in a cache of this run's own
    (PYTHONPYCACHEPREFIX: nothing written into the tree). Without this, a
    PYTHONDONTWRITEBYTECODE=1 environment would compile netdsl's modules from
    source in every cold command, while lark and networkx, compiled at their
    install, load from bytecode: the comparison would be unfair. The untimed
    warm-up of the cold cases fills the cache for both sides."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="netdsl benchmarks: ratios against baselines, interleaved.")
    ap.add_argument("--quick", action="store_true", help="smoke run: 1 repetition, small sizes")
    ap.add_argument("--reps", type=int, metavar="N", help="repetitions of every case (default: per case)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--only", metavar="ID,...", help="run only these cases (ids as in the JSON)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--worker-args", default="{}", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        _emit(WORKERS[args.worker](**json.loads(args.worker_args)))
        return 0
    if args.reps is not None and args.reps < 1:
        ap.error("--reps must be at least 1")
    started = time.perf_counter()
    cfg = QUICK if args.quick else FULL
    try:
        cores_usable = len(os.sched_getaffinity(0))
    except AttributeError:
        cores_usable = os.cpu_count()
    info = {
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "cores": os.cpu_count(),
        "cores_usable": cores_usable,
        "load_average": " / ".join(f"{x:.1f}" for x in os.getloadavg()),
        "platform": platform.platform(),
        "versions": versions(),
        "reps": args.reps
        if args.reps is not None
        else ", ".join(f"{k[5:]} {v}" for k, v in cfg.items() if k.startswith("reps_")),
        "sizes": {k: v for k, v in cfg.items() if not k.startswith("reps_")},
    }
    with tempfile.TemporaryDirectory(prefix="netdsl-bench-") as tmp:
        _with_bytecode(Path(tmp))
        cases = run_cases(cfg, Path(tmp), args.reps, set(args.only.split(",")) if args.only else None)
    total = time.perf_counter() - started
    for c in cases:
        c["result"] = verdict(c) if not c.get("error") else "ERROR"
    print(report(cases, info, total))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({**info, "total_seconds": total, "cases": cases}, fh, indent=2)
            fh.write("\n")
    return 1 if any(c.get("error") for c in cases) else 0


if __name__ == "__main__":
    sys.exit(main())
