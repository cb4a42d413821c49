"""The keras.io structured-data examples written in netdsl (examples/keras_io/,
issue 13), each compiled and compared with the model the example's own code
builds (tests/keras_io/, the example's sizes, synthetic rows, no download):
the same layer kinds in order, wired the same way, the same total, trainable
and non-trainable parameter counts, and the same predictions after copying
the reference's (randomized) weights. What a spec cannot express yet is said
in its header comment, which also names the script and revision it follows.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
from test_keras_examples import canonical_order, pair_operations, randomize

import netdsl
from conftest import ROOT
from keras_io import references

KERAS_IO = ROOT / "examples" / "keras_io"

# spec -> the reference it is compared with (`example:model`, tests/keras_io/)
SPECS = {
    "imbalanced_classification.net": "imbalanced_classification:fraud_mlp",
}
REFERENCES = {r.id: r for r in references()}


def test_every_keras_io_example_has_a_reference():
    assert sorted(p.name for p in KERAS_IO.glob("*.net")) == sorted(SPECS)
    assert set(SPECS.values()) <= set(REFERENCES)


@pytest.fixture(params=sorted(SPECS), scope="module")
def pair(request):
    ref = REFERENCES[SPECS[request.param]]
    keras.utils.set_random_seed(0)
    path = KERAS_IO / request.param
    graph = netdsl.load(str(path))
    hand = ref.build()
    if isinstance(hand, keras.Sequential):  # its functional view, with the same layer objects
        hand = keras.Model(hand.inputs, hand.outputs)
    return path, ref, graph, netdsl.to_keras(graph, seed=0), hand


def test_header_names_the_script_and_revision(pair):
    path, ref, *_ = pair
    header = path.read_text(encoding="utf-8").split("\nnetwork", 1)[0]
    assert ref.source.path in header and ref.source.revision[:8] in header


def test_same_layer_kinds_in_order_and_wiring(pair):
    _, _, _, net, hand = pair
    kinds = [(type(op).__name__, tuple(op.output.shape)) for op in canonical_order(net)]
    assert kinds == [(type(op).__name__, tuple(op.output.shape)) for op in canonical_order(hand)]
    pair_operations(hand, net)  # the same graph of kinds and shapes, wired the same way


def test_same_parameter_counts_in_check_and_keras(pair):
    _, ref, graph, net, hand = pair
    counts = netdsl.network(graph).params
    trainable = sum(int(np.prod(w.shape)) for w in net.trainable_weights)
    assert (counts.trainable, counts.non_trainable) == ref.counts()
    assert (trainable, net.count_params() - trainable) == ref.counts()
    assert net.count_params() == hand.count_params()


def test_same_predictions_after_copying_weights(pair):
    _, ref, _, net, hand = pair
    randomize(hand, seed=7)
    for h, n in pair_operations(hand, net):
        if h.weights:
            n.set_weights(h.get_weights())
    rows = ref.rows(64, 1)
    x = next(iter(rows.values())) if len(rows) == 1 else rows
    np.testing.assert_allclose(net.predict(x, verbose=0), hand.predict(x, verbose=0), atol=1e-6)
