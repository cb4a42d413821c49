"""The keras.io structured-data examples written in netdsl (examples/keras_io/,
issue 13), each compiled and compared with the model the example's own code
builds (tests/keras_io/, the example's sizes, synthetic rows, no download):
the same layer kinds in order, wired the same way, the same total, trainable
and non-trainable parameter counts, and the same predictions after copying
the reference's (randomized) weights. What a spec cannot express yet is said
in its header comment, which also names the script and revision it follows.
"""

from __future__ import annotations

import csv

import keras
import numpy as np
import pytest
import tensorflow as tf
from test_keras_examples import canonical_order, kind, pair_operations, randomize

import netdsl
from conftest import ROOT, data_for
from keras_io import feature_space, feature_space_advanced, from_scratch, references

KERAS_IO = ROOT / "examples" / "keras_io"

# spec -> the reference it is compared with (`example:model`, tests/keras_io/)
SPECS = {
    "imbalanced_classification.net": "imbalanced_classification:fraud_mlp",
    "from_scratch_tf2.net": "structured_data_classification_from_scratch:tf2",
    "feature_space.net": "structured_data_classification_with_feature_space:inference_model",
    "feature_space_advanced.net": "feature_space_advanced:inference_model",
    "wide_deep_cross_baseline.net": "wide_deep_cross_networks:baseline",
    "wide_deep_cross_wide_and_deep.net": "wide_deep_cross_networks:wide_and_deep",
    "wide_deep_cross_deep_and_cross.net": "wide_deep_cross_networks:deep_and_cross",
    "collaborative_filtering.net": "collaborative_filtering_movielens:recommender_net",
    "tabtransformer_baseline.net": "tabtransformer:mlp_baseline",
    "tabtransformer.net": "tabtransformer:tabtransformer",
    "grn_vsn.net": "classification_with_grn_and_vsn:grn_vsn",
    "grn_vsn_tuning.net": "class_with_grn_and_vsn_with_hyperparameters_tuning:grn_vsn_default_hp",
    # the script's model with its positions computed in the graph (see the spec's header)
    "movielens_bst.net": "movielens_recommendations_transformers:bst_positions_in_graph",
    "tfdf_encoder_draft.net": "classification_with_tfdf:embedding_encoder_linear",
    "tfdf_encoder_nn.net": "classification_with_tfdf:embedding_encoder_nn",
}
# spec -> the rows its reference adapts on (lookups, normalizations); the spec's `# data:` file
# holds them as a CSV, on which netdsl adapts
TRAINING_ROWS = {
    "from_scratch_tf2.net": from_scratch.train_rows,
    "feature_space.net": lambda: feature_space.raw_rows(96, 11),
    "feature_space_advanced.net": lambda: feature_space_advanced.raw_rows(96, 5),
}
REFERENCES = {r.id: r for r in references()}


def test_every_keras_io_example_has_a_reference():
    assert sorted(p.name for p in KERAS_IO.glob("*.net")) == sorted(SPECS)
    assert set(SPECS.values()) <= set(REFERENCES)


@pytest.mark.parametrize("spec", sorted(TRAINING_ROWS))
def test_data_file_holds_the_rows_the_reference_adapts_on(spec, tmp_path):
    shipped = data_for(KERAS_IO / spec)
    assert shipped is not None, f"{spec} adapts: it names its rows with a `# data:` line"
    expected = write_csv(TRAINING_ROWS[spec](), tmp_path / "rows.csv")
    assert shipped.read_text(encoding="utf-8") == open(expected, encoding="utf-8").read()


def write_csv(rows, path):
    """The reference's training rows (one (n, 1) array per column) as a CSV file."""
    columns = {name: np.asarray(values).reshape(len(values)) for name, values in rows.items()}
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(columns)
        out.writerows(zip(*(v.tolist() for v in columns.values())))
    return str(path)


def expand_nested(model):
    """The model with every functional model it calls replaced by that model's own layers
    (the same layer objects, so the same weights), as a netdsl spec writes them."""

    def call(op):
        if isinstance(op, keras.Model):
            # a Sequential runs through the functional model it builds of its layers
            graph = op._functional if isinstance(op, keras.Sequential) else op
            return lambda *args, **kwargs: graph._run_through_graph(args[0], operation_fn=call)
        return op

    return keras.Model(model.input, model._run_through_graph(model.input, operation_fn=call))


def without_name_carriers(model):
    """The model without the Identity layers that carry a spec's names (a named
    selection's `NAME = x[...]` is a GetItem and an Identity NAME, so that
    get_layer finds it: issue 10); they compute nothing and the scripts have none."""

    def call(op):
        if type(op).__name__ == "Identity" and not op.weights:
            return lambda *args, **kwargs: args[0]
        return op

    return keras.Model(model.input, model._run_through_graph(model.input, operation_fn=call))


@pytest.fixture(params=sorted(SPECS), scope="module")
def pair(request):
    ref = REFERENCES[SPECS[request.param]]
    keras.utils.set_random_seed(0)
    path = KERAS_IO / request.param
    found = data_for(path)
    data = str(found) if found is not None and request.param in TRAINING_ROWS else None
    graph = netdsl.load(str(path), data=data)
    hand = ref.build()
    if isinstance(hand, keras.Sequential):  # its functional view, with the same layer objects
        hand = keras.Model(hand.inputs, hand.outputs)
    if any(isinstance(layer, keras.Model) for layer in hand.layers):
        hand = expand_nested(hand)
    net = without_name_carriers(netdsl.to_keras(graph, data=data, seed=0))
    if isinstance(net.input, dict) and not isinstance(hand.input, dict):
        # a record's Inputs are keyed by column (Keras orders them by key); the script's list
        # of the same Inputs, keyed the same way, so that inputs pair by name, not position
        hand = keras.Model({t.name: t for t in hand.inputs}, hand.outputs)
    elif isinstance(hand.input, dict) and not isinstance(net.input, dict):
        # the script's dict of Inputs, as netdsl's list of vector inputs (paired by name); the
        # Inputs nothing reads are left out (a netdsl model has the inputs its outputs read)
        named = {t.name: t for t in hand.inputs}
        hand = keras.Model([named[t.name] for t in net.inputs], hand.outputs)
    return path, ref, graph, net, hand


def test_header_names_the_script_and_revision(pair):
    path, ref, *_ = pair
    header = path.read_text(encoding="utf-8").split("\nnetwork", 1)[0]
    assert ref.source.path in header and ref.source.revision[:8] in header


def test_same_layer_kinds_in_order_and_wiring(pair):
    _, _, _, net, hand = pair
    kinds = [(kind(op), tuple(op.output.shape)) for op in canonical_order(net)]
    assert kinds == [(kind(op), tuple(op.output.shape)) for op in canonical_order(hand)]
    pair_operations(hand, net, twins=True)  # the same graph of kinds and shapes, wired the same way


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
    for h, n in pair_operations(hand, net, twins=True):
        if getattr(h, "weights", None):
            n.set_weights(h.get_weights())
            if isinstance(n, keras.layers.Normalization):  # set_weights leaves its cache stale
                n.finalize_state()
    x = model_rows(ref, net)
    np.testing.assert_allclose(net.predict(x, verbose=0), hand.predict(x, verbose=0), atol=1e-6)
    # with random weights a sigmoid may saturate (every row 0.0): what the output layer reads
    # still tells two models apart, so it must agree too, and vary
    ours, theirs = last_layer_input(net, x), last_layer_input(hand, x)
    assert all(np.isfinite(v).all() and np.ptp(v) > 0 for v in ours)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def model_rows(ref, model):
    """64 synthetic rows of the reference, as `model` takes them (a list of vector inputs:
    the rows of each, by name, in its order)."""
    rows = dict(sorted(ref.rows(64, 1).items()))  # Keras keys a dict of Inputs in sorted order
    if any(v.dtype.kind in "OUS" for v in rows.values()):  # Keras takes text as string tensors
        rows = {k: tf.constant(v) for k, v in rows.items()}
    if isinstance(model.input, list):
        return [rows[t.name] for t in model.inputs]
    return next(iter(rows.values())) if len(rows) == 1 else rows


def test_keras_file_loads_in_safe_mode_with_the_same_predictions(pair, tmp_path):
    _, ref, _, net, _ = pair
    net.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    x = model_rows(ref, net)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), net.predict(x, verbose=0), rtol=1e-6)


def last_layer_input(model, x):
    """What the layer making the (first) output reads, on rows x: a list of arrays."""
    tensors = model.outputs[0]._keras_history.operation.input
    tensors = tensors if isinstance(tensors, (list, tuple)) else [tensors]
    out = keras.Model(model.input, list(tensors)).predict(x, verbose=0)
    return [np.asarray(v) for v in (out if len(tensors) > 1 else [out])]


def test_bst_predicts_what_the_scripts_model_does_with_its_frozen_positions():
    """The BST spec's one departure from the script's model (its header): the script's
    position embedding runs once at build time and its model adds that frozen constant; with
    the constant copied into rows 0..2 of the spec's position embedding (a layer that trains),
    and the script's weights copied, the two predict the same."""
    from keras_io import movielens_bst

    keras.utils.set_random_seed(0)
    literal = movielens_bst.build()
    randomize(literal, seed=11)
    graph = netdsl.load(str(KERAS_IO / "movielens_bst.net"))
    net = without_name_carriers(netdsl.to_keras(graph, seed=0))
    assert net.count_params() - literal.count_params() == 4 * 62  # Embedding(4, 62), a layer here
    movielens_bst.literal_positions(literal, net)
    x = model_rows(REFERENCES[SPECS["movielens_bst.net"]], net)
    named = dict(zip([t.name for t in net.inputs], x, strict=True))
    want = literal.predict({**named, **literal_rest(literal, len(x[0]))}, verbose=0)
    got = net.predict(x, verbose=0)
    assert np.ptp(want) > 0
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def literal_rest(model, n):
    """Rows for the Inputs of the script's model that nothing reads (any strings do)."""
    return {t.name: tf.constant(np.full((n, 1), "x")) for t in model.inputs if t.name in UNREAD_BST_INPUTS}


UNREAD_BST_INPUTS = ("user_id", "sex", "age_group", "occupation")
