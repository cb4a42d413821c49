"""Inputs with a shape (issue 13, point 1): `input seq: (4, 6)` against the same
model written by hand in Keras (parameter counts, predictions after copying the
weights, the .keras loading with safe_mode=True), `emit --python`, the diagram,
`netdsl import` reading the Input back as a shape (a fixpoint), and the data
error: CSV columns feed vectors, not shapes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_keras_ops import assert_same_predictions, emitted_model, randomize_and_copy

import netdsl
from conftest import IRIS_CSV, run_cli
from netdsl.lang.fmt import format_source

keras = pytest.importorskip("keras")
L = keras.layers

SPEC = """network shaped
input seq: (4, 6)
rows = seq -> dense(5, tanh)
pooled = rows -> global_avg_pool
flat = rows -> flatten
output y = concat(pooled, flat) -> dense(1)
"""


def hand_written():
    seq = keras.Input(shape=(4, 6), name="seq")
    rows = L.Dense(5, activation="tanh", name="rows")(seq)
    pooled = L.GlobalAveragePooling1D(name="pooled")(rows)
    flat = L.Flatten(name="flat")(rows)
    y = L.Dense(1, name="y")(L.Concatenate()([pooled, flat]))
    return keras.Model(seq, y)


def test_shapes_and_counts_statically():
    g = netdsl.loads(SPEC)
    shapes = {n: netdsl.node(g, n).shape for n in ("seq", "rows", "pooled", "flat", "y")}
    assert shapes == {"seq": (4, 6), "rows": (4, 5), "pooled": (5,), "flat": (20,), "y": (1,)}
    assert netdsl.network(g).params.total == 35 + 26


def test_as_written_by_hand(tmp_path):
    graph = netdsl.loads(SPEC)
    net, hand = netdsl.to_keras(graph, seed=0), hand_written()
    assert tuple(net.inputs[0].shape) == (None, 4, 6) and net.inputs[0].dtype == "float32"
    assert net.count_params() == hand.count_params() == netdsl.network(graph).params.total
    assert sorted(type(layer).__name__ for layer in net.layers) == sorted(
        type(layer).__name__ for layer in hand.layers
    )
    randomize_and_copy(hand, net, {"rows": "rows", "y": "y"})
    x = np.random.default_rng(0).normal(size=(8, 4, 6)).astype("float32")
    (ours,) = assert_same_predictions(net, hand, x)
    assert np.ptp(ours) > 0
    path = tmp_path / "shaped.keras"
    net.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), ours, rtol=1e-6)

    # netdsl import reads the Input back as a shape, and again the same text (a fixpoint)
    imported = netdsl.import_keras(str(path)).text
    assert imported is not None and "input seq: (4, 6)\n" in imported
    again = netdsl.to_keras(netdsl.loads(imported), seed=0)
    again.save(tmp_path / "again.keras")
    assert netdsl.import_keras(str(tmp_path / "again.keras")).text == imported

    # emit --python: a keras.Input of that shape, the same predictions with the same weights
    source, emitted = emitted_model(graph, net, tmp_path / "shaped.py")
    assert 'seq = keras.Input(shape=(4, 6), name="seq")' in source
    np.testing.assert_allclose(emitted.predict(x, verbose=0), ours, atol=1e-6)


def test_a_typed_input_is_a_vector():
    """The category layers take vectors: `int(4, 3)` is refused, a float shape suggested."""
    with pytest.raises(netdsl.SpecError) as info:
        netdsl.loads("input ids: int(4, 3)\noutput y = ids -> pick(0) -> embedding(2, input_dim=10)\n")
    (d,) = info.value.diagnostics
    assert d.code == "ND107" and "input ids: (4, 62)" in d.help


def test_check_table_json_and_diagram(tmp_path):
    spec = tmp_path / "shaped.net"
    spec.write_text(SPEC, encoding="utf-8")
    table = run_cli("check", str(spec))
    assert table.returncode == 0, table.stderr
    assert "61 parameters" in table.stdout
    assert next(line for line in table.stdout.splitlines() if line.split()[:2] == ["seq", "input"]).split()[
        2:4
    ] == ["(4,", "6)"]
    doc = run_cli("check", "--json", str(spec))
    import json

    (seq,) = [n for n in json.loads(doc.stdout)["nodes"] if n["name"] == "seq"]
    assert seq["shape"] == [4, 6]
    dot = netdsl.to_dot(netdsl.loads(SPEC))
    line = next(line for line in dot.splitlines() if line.strip().startswith('"seq" ['))
    assert "shape (4, 6)" in line and "out (4, 6)" in line and "features" not in line


def test_data_cannot_feed_a_shape(tmp_path):
    spec = tmp_path / "shaped.net"
    spec.write_text(
        "input x: (2, 2)\noutput species = x -> flatten -> dense(3, softmax)\n"
        "compile loss=categorical_crossentropy optimizer=adam\ntrain epochs=1\n",
        encoding="utf-8",
    )
    for command in ("check", "train"):
        result = run_cli(command, str(spec), "--data", str(IRIS_CSV))
        assert result.returncode == 1, result.stderr
        assert f"{spec}:1:10: error[ND606]: input 'x' has shape (2, 2)" in result.stderr
        assert "then x -> reshape(2, 2)" in result.stderr
        assert "Traceback" not in result.stderr


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=1, max_size=4))
def test_any_shape_is_the_input_shape(sizes):
    """A shape of rank 1 to 4 is the input's, per sample; reshape(-1) multiplies its sizes;
    fmt writes it back unchanged."""
    shape = "(" + ", ".join(map(str, sizes)) + ("," if len(sizes) == 1 else "") + ")"
    text = f"input x: {shape}\noutput y = x -> reshape(-1) -> dense(2)\n"
    g = netdsl.loads(text)
    assert netdsl.node(g, "x").shape == tuple(sizes)
    assert netdsl.network(g).params.total == 2 * math.prod(sizes) + 2
    assert format_source(text) == text


def test_predict_says_a_shaped_input_reads_no_columns(tmp_path):
    spec, model = tmp_path / "shaped.net", tmp_path / "shaped.keras"
    spec.write_text(SPEC, encoding="utf-8")
    assert run_cli("compile", str(spec), "-o", str(model)).returncode == 0
    result = run_cli("predict", str(model), "--data", str(IRIS_CSV))
    assert result.returncode == 2, result.stderr
    assert (
        f"{model}: input 'seq' reads no named columns" in result.stderr and "Traceback" not in result.stderr
    )
