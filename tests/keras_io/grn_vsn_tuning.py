"""class_with_grn_and_vsn_with_hyperparameters_tuning: the tuned VSN model at its default hyperparameters.

The script builds its model through AutoKeras and KerasTuner (neither is
installed here, nor needed for the model): its VariableSelection block builds
functional layers inline and calls its subclassed GatedResidualNetwork /
GatedLinearUnit; a ClassificationHead(num_classes=2) adds Dense(1) and
Activation(sigmoid) (AutoKeras's head; its head dropout defaults to 0, so no
Dropout). At the search space's defaults: num_units 16, dropout 0.0,
activation "sigmoid" (for the GRN's first Dense, the GLU gate and the
per-feature weights, which are therefore a sigmoid, not a softmax),
use_layernorm True; compiled with Adam(1e-3), binary cross-entropy, accuracy.
`build_as_written` is that model with the script's subclassed GRN (hp
resolved to its default); `build` its flattened functional form.
"""

from __future__ import annotations

import keras
from keras import layers

from . import common as c
from . import grn_vsn as base
from .vocabularies import KDD_CATEGORICAL, KDD_NUMERIC

SOURCE = c.Source(
    "examples/structured_data/class_with_grn_and_vsn_with_hyperparameters_tuning.py",
    "4cf57983a1bfcf0032bf08dee64d98b828c4191c",
    "2025/03/17",
    "AutoKeras/KerasTuner plumbing replaced by the model it builds at the default hyperparameters",
)

NUM_UNITS = 16
DROPOUT = 0.0
ACTIVATION = "sigmoid"


class GatedLinearUnit(layers.Layer):
    def __init__(self, num_units, activation, **kwargs):
        super().__init__(**kwargs)
        self.linear = layers.Dense(num_units)
        self.sigmoid = layers.Dense(num_units, activation=activation)

    def call(self, inputs):
        return self.linear(inputs) * self.sigmoid(inputs)

    def build(self):
        self.built = True


class GatedResidualNetwork(layers.Layer):
    def __init__(self, num_units, dropout_rate, activation, use_layernorm=True, **kwargs):
        super().__init__(**kwargs)
        self.num_units = num_units
        self.use_layernorm = use_layernorm
        self.elu_dense = layers.Dense(num_units, activation=activation)
        self.linear_dense = layers.Dense(num_units)
        self.dropout = layers.Dropout(dropout_rate)
        self.gated_linear_unit = GatedLinearUnit(num_units, activation)
        self.layer_norm = layers.LayerNormalization()
        self.project = layers.Dense(num_units)

    def call(self, inputs):
        x = self.elu_dense(inputs)
        x = self.linear_dense(x)
        x = self.dropout(x)
        if inputs.shape[-1] != self.num_units:
            inputs = self.project(inputs)
        x = inputs + self.gated_linear_unit(x)
        if self.use_layernorm:
            x = self.layer_norm(x)
        return x

    def build(self):
        self.built = True


def variable_selection_block(inputs):
    """The block's `build(hp, inputs)` at the default hyperparameters."""
    concat_inputs = []
    for name in inputs:
        if name in KDD_CATEGORICAL:
            vocabulary = KDD_CATEGORICAL[name]
            embedded = layers.Embedding(input_dim=len(vocabulary), output_dim=NUM_UNITS)(
                keras.ops.clip(inputs[name], 0, len(vocabulary) - 1)
            )
            concat_inputs.append(embedded)
        else:
            projected = layers.Dense(units=NUM_UNITS)(keras.ops.expand_dims(inputs[name], -1))
            concat_inputs.append(projected)
    v = layers.concatenate(concat_inputs)
    v = GatedResidualNetwork(NUM_UNITS, DROPOUT, ACTIVATION)(v)
    v = keras.ops.expand_dims(layers.Dense(units=len(inputs), activation=ACTIVATION)(v), axis=-1)
    x = [GatedResidualNetwork(NUM_UNITS, DROPOUT, ACTIVATION)(t) for t in concat_inputs]
    x = keras.ops.stack(x, axis=1)
    return keras.ops.squeeze(keras.ops.matmul(keras.ops.transpose(v, axes=[0, 2, 1]), x), axis=1)


def build_as_written():
    inputs = base.create_model_inputs()
    features = variable_selection_block(inputs)
    output = layers.Dense(1)(features)
    output = layers.Activation(keras.activations.sigmoid, name="classification_head_1")(output)
    return keras.Model(inputs, output)


def build():
    inputs = base.create_model_inputs()
    features = base.variable_selection(
        inputs, NUM_UNITS, DROPOUT, weights_activation=ACTIVATION, grn_activation=ACTIVATION
    )
    output = layers.Dense(1, name="head_dense")(features)
    output = layers.Activation("sigmoid", name="classification_head_1")(output)
    return keras.Model(inputs, output)


def copy(as_written, flat):
    by_kind: dict[type, list] = {}
    for layer in as_written.layers:
        by_kind.setdefault(type(layer), []).append(layer)
    embeddings = iter(by_kind[layers.Embedding])
    dense = iter(by_kind[layers.Dense])
    for name in KDD_NUMERIC + list(KDD_CATEGORICAL):
        if name in KDD_CATEGORICAL:
            flat.get_layer(f"{name}_embedding").set_weights(next(embeddings).get_weights())
        else:
            flat.get_layer(f"{name}_projection").set_weights(next(dense).get_weights())
    grns = by_kind[GatedResidualNetwork]
    base.copy_grn(grns[0], flat, "grn_concat")
    for i, g in enumerate(grns[1:]):
        base.copy_grn(g, flat, f"grn_{i}")
    flat.get_layer("vsn_weights").set_weights(next(dense).get_weights())
    flat.get_layer("head_dense").set_weights(next(dense).get_weights())


def counts():
    return c.total(base.vsn_counts(NUM_UNITS), c.dense(NUM_UNITS, 1))


def compile_args():
    return dict(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=["accuracy"],
    )


FIT = {"batch_size": 256, "epochs": 2, "sample_weight_column": "instance_weight"}

REFERENCES = [
    c.Reference(
        "class_with_grn_and_vsn_with_hyperparameters_tuning",
        "grn_vsn_default_hp",
        SOURCE,
        build,
        counts,
        base.rows,
        as_written=build_as_written,
        copy=copy,
        compile_args=compile_args,
        fit_args=FIT,
    )
]
