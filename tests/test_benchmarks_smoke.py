"""The benchmark runner runs end to end (`--quick`): every case, a table, JSON.

Speed itself is measured by `python benchmarks/run.py`, never asserted in a
test: only that each case ran and produced a number.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT / "benchmarks" / "run.py"

CASES = {
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
    "lsp_diagnostics_latency",
    "playground_keystroke_to_diagram",
    "serve_under_load",
    "data_check_time",
    "data_check_memory",
    "data_train_time",
    "data_train_memory",
    "data_train_time_nondeterministic",
    "data_predict",
    "data_stream_memory",
}


def test_quick_benchmark_run(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(RUNNER), "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,  # every case at its smallest size (the data cases start TensorFlow in six cold
        # processes); a loaded 2-core machine needs minutes
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

    text = proc.stdout
    context = "\n" + proc.stdout + proc.stderr[-3000:]
    assert "| case | netdsl (median) | baseline (median) | ratio | target | result |" in text
    assert "total runtime:" in text
    for word in ("Python", "netdsl", "Lark", "networkx", "TensorFlow", "Keras", "Graphviz", "cores"):
        assert word in text, word + context

    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["mode"] == "quick"
    assert {"date", "cores", "versions", "total_seconds", "cases"} <= set(report)
    by_id = {c["id"]: c for c in report["cases"]}
    assert set(by_id) == CASES, context
    for cid, c in by_id.items():
        assert not c.get("error"), f"{cid}: {c.get('error')}{context}"
        ratio = c["ratio"]
        assert isinstance(ratio, (int, float)) and math.isfinite(ratio) and ratio > 0, (
            f"{cid}: {ratio}{context}"
        )
        assert c["result"] in ("PASS", "FAIL", "info"), f"{cid}: {c['result']}{context}"
        assert c["label"] in text, cid + context
    # The baselines compared really are the same models.
    assert by_id["to_keras_vs_hand"]["same_model"] is True, context
    assert by_id["to_keras_tabtransformer_vs_hand"]["same_model"] is True, context
    assert by_id["epoch_vs_hand"]["same_initial_weights"] is True, context
    assert by_id["import_vs_load_model"]["same_model"] is True, context
