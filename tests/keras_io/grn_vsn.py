"""classification_with_grn_and_vsn: Gated Residual and Variable Selection Networks (Census-Income KDD).

`build_as_written` is the script's model: its subclassed layers GatedLinearUnit,
GatedResidualNetwork and VariableSelection, applied to a dict of 40 scalar
inputs (7 float32 numerics, 33 int64 category indices computed by StringLookup
in the tf.data pipeline), then Dense(1, sigmoid). Port to Keras 3 TensorFlow:
the script's TensorFlow branch computes `squeeze(tf.matmul(v, x,
transpose_a=True), 1)`; here `ops.squeeze(ops.matmul(ops.transpose(v, [0, 2,
1]), x), 1)`, the same product (its tuning variant writes exactly this). The
embeddings' `keras.ops.clip(index, 0, V - 1)` is kept.

`build` is the same network flattened into one functional graph (what a netdsl
spec compiles to): for each feature an embedding (categorical) or a Dense(16)
projection of the lifted scalar (numeric); a GRN of their concatenation, a
Dense(40, softmax) over features, lifted to (40, 1); a GRN per feature,
stacked to (40, 16); the weighted sum over features as a transposed matmul.
A GRN: Dense(units, elu) -> Dense(units) -> Dropout -> GLU (Dense(units) *
Dense(units, sigmoid)), added to the input (projected by Dense(units) when its
width differs) -> LayerNormalization.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from . import common as c
from .vocabularies import KDD_CATEGORICAL, KDD_FEATURES, KDD_NUMERIC

SOURCE = c.Source(
    "examples/structured_data/classification_with_grn_and_vsn.py",
    "0da607c902e146eeab43f9150fa5d0663963208d",
    "2025/01/08",
    "tf.matmul(v, x, transpose_a=True) ported to ops.matmul(ops.transpose(v, [0, 2, 1]), x)",
)

LEARNING_RATE = 0.001
DROPOUT_RATE = 0.15
ENCODING_SIZE = 16


def create_model_inputs():
    inputs = {}
    for name in KDD_FEATURES:
        dtype = "int64" if name in KDD_CATEGORICAL else "float32"
        inputs[name] = layers.Input(name=name, shape=(), dtype=dtype)
    return inputs


# ---- the script's subclassed layers ------------------------------------------------------


class GatedLinearUnit(layers.Layer):
    def __init__(self, units):
        super().__init__()
        self.linear = layers.Dense(units)
        self.sigmoid = layers.Dense(units, activation="sigmoid")

    def call(self, inputs):
        return self.linear(inputs) * self.sigmoid(inputs)


class GatedResidualNetwork(layers.Layer):
    def __init__(self, units, dropout_rate):
        super().__init__()
        self.units = units
        self.elu_dense = layers.Dense(units, activation="elu")
        self.linear_dense = layers.Dense(units)
        self.dropout = layers.Dropout(dropout_rate)
        self.gated_linear_unit = GatedLinearUnit(units)
        self.layer_norm = layers.LayerNormalization()
        self.project = layers.Dense(units)

    def call(self, inputs):
        x = self.elu_dense(inputs)
        x = self.linear_dense(x)
        x = self.dropout(x)
        if inputs.shape[-1] != self.units:
            inputs = self.project(inputs)
        x = inputs + self.gated_linear_unit(x)
        return self.layer_norm(x)


class VariableSelection(layers.Layer):
    def __init__(self, num_features, units, dropout_rate):
        super().__init__()
        self.units = units
        self.embeddings = {}
        for name, vocabulary in KDD_CATEGORICAL.items():
            self.embeddings[name] = layers.Embedding(input_dim=len(vocabulary), output_dim=units, name=name)
        self.proj_layer = {name: layers.Dense(units=units) for name in KDD_NUMERIC}
        self.grns = [GatedResidualNetwork(units, dropout_rate) for _ in range(num_features)]
        self.grn_concat = GatedResidualNetwork(units, dropout_rate)
        self.softmax = layers.Dense(units=num_features, activation="softmax")

    def call(self, inputs):
        concat_inputs = []
        for name in inputs:
            if name in KDD_CATEGORICAL:
                max_index = self.embeddings[name].input_dim - 1
                concat_inputs.append(self.embeddings[name](keras.ops.clip(inputs[name], 0, max_index)))
            else:
                projected = self.proj_layer[name](keras.ops.expand_dims(inputs[name], -1))
                concat_inputs.append(projected)
        v = layers.concatenate(concat_inputs)
        v = self.grn_concat(v)
        v = keras.ops.expand_dims(self.softmax(v), axis=-1)
        x = keras.ops.stack([self.grns[i](t) for i, t in enumerate(concat_inputs)], axis=1)
        return ops.squeeze(ops.matmul(ops.transpose(v, axes=[0, 2, 1]), x), axis=1)

    def build(self):
        self.built = True


def build_as_written():
    inputs = create_model_inputs()
    features = VariableSelection(len(inputs), ENCODING_SIZE, DROPOUT_RATE)(inputs)
    outputs = layers.Dense(units=1, activation="sigmoid")(features)
    return keras.Model(inputs=inputs, outputs=outputs)


# ---- the same network, flattened ------------------------------------------------------------


def grn(x, units, dropout_rate, prefix, activation="elu", gate="sigmoid"):
    """A gated residual network as plain layers named `{prefix}_{part}`."""
    h = layers.Dense(units, activation=activation, name=f"{prefix}_elu_dense")(x)
    h = layers.Dense(units, name=f"{prefix}_linear_dense")(h)
    h = layers.Dropout(dropout_rate, name=f"{prefix}_dropout")(h)
    if x.shape[-1] != units:
        x = layers.Dense(units, name=f"{prefix}_project")(x)
    linear = layers.Dense(units, name=f"{prefix}_glu_linear")(h)
    gate = layers.Dense(units, activation=gate, name=f"{prefix}_glu_sigmoid")(h)
    glu = layers.Multiply(name=f"{prefix}_glu")([linear, gate])
    out = layers.Add(name=f"{prefix}_add")([x, glu])
    return layers.LayerNormalization(name=f"{prefix}_layer_norm")(out)


def variable_selection(inputs, units, dropout_rate, weights_activation="softmax", grn_activation="elu"):
    """The VSN flattened; the tuning variant passes sigmoid for both activations (gate stays sigmoid)."""
    encoded = []
    for name in inputs:
        if name in KDD_CATEGORICAL:
            size = len(KDD_CATEGORICAL[name])
            index = ops.clip(inputs[name], 0, size - 1)
            encoded.append(layers.Embedding(size, units, name=f"{name}_embedding")(index))
        else:
            lifted = ops.expand_dims(inputs[name], -1)
            encoded.append(layers.Dense(units, name=f"{name}_projection")(lifted))
    v = grn(layers.concatenate(encoded, name="vsn_concat"), units, dropout_rate, "grn_concat", grn_activation)
    v = layers.Dense(len(encoded), activation=weights_activation, name="vsn_weights")(v)
    v = ops.expand_dims(v, axis=-1)
    x = ops.stack(
        [grn(t, units, dropout_rate, f"grn_{i}", grn_activation) for i, t in enumerate(encoded)], axis=1
    )
    return ops.squeeze(ops.matmul(ops.transpose(v, axes=[0, 2, 1]), x), axis=1)


def build():
    inputs = create_model_inputs()
    features = variable_selection(inputs, ENCODING_SIZE, DROPOUT_RATE)
    outputs = layers.Dense(units=1, activation="sigmoid", name="output")(features)
    return keras.Model(inputs=inputs, outputs=outputs)


def copy_grn(source, flat, prefix):
    pairs = [
        (source.elu_dense, "elu_dense"),
        (source.linear_dense, "linear_dense"),
        (source.gated_linear_unit.linear, "glu_linear"),
        (source.gated_linear_unit.sigmoid, "glu_sigmoid"),
        (source.layer_norm, "layer_norm"),
    ]
    if source.project.built:
        pairs.append((source.project, "project"))
    for layer, part in pairs:
        flat.get_layer(f"{prefix}_{part}").set_weights(layer.get_weights())


def copy(as_written, flat):
    vsn = next(layer for layer in as_written.layers if isinstance(layer, VariableSelection))
    for name, layer in vsn.embeddings.items():
        flat.get_layer(f"{name}_embedding").set_weights(layer.get_weights())
    for name, layer in vsn.proj_layer.items():
        flat.get_layer(f"{name}_projection").set_weights(layer.get_weights())
    for i, g in enumerate(vsn.grns):
        copy_grn(g, flat, f"grn_{i}")
    copy_grn(vsn.grn_concat, flat, "grn_concat")
    flat.get_layer("vsn_weights").set_weights(vsn.softmax.get_weights())
    flat.get_layer("output").set_weights(as_written.layers[-1].get_weights())


# ---- expected parameter counts --------------------------------------------------------


def grn_counts(width, units):
    project = [c.dense(width, units)] if width != units else []
    return c.total(
        c.dense(width, units),
        c.dense(units, units),
        *project,
        c.dense(units, units),
        c.dense(units, units),
        c.layernorm(units),
    )


def vsn_counts(units):
    n = len(KDD_FEATURES)
    return c.total(
        *(c.embedding(len(v), units) for v in KDD_CATEGORICAL.values()),
        *(c.dense(1, units) for _ in KDD_NUMERIC),
        grn_counts(n * units, units),
        c.dense(units, n),
        *(grn_counts(units, units) for _ in range(n)),
    )


def counts():
    return c.total(vsn_counts(ENCODING_SIZE), c.dense(ENCODING_SIZE, 1))


def rows(n, seed):
    g = c.rng(seed)
    out = {name: c.numbers(g, n) for name in KDD_NUMERIC}
    out.update({name: c.indices(g, len(v), n) for name, v in KDD_CATEGORICAL.items()})
    return out


def compile_args():
    return dict(
        optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[keras.metrics.BinaryAccuracy(name="accuracy")],
    )


FIT = {
    "batch_size": 265,
    "epochs": 1,
    "sample_weight_column": "instance_weight",
    "callbacks": "EarlyStopping(monitor='val_loss', patience=5, restore_best_weights=True)",
}

REFERENCES = [
    c.Reference(
        "classification_with_grn_and_vsn",
        "grn_vsn",
        SOURCE,
        build,
        counts,
        rows,
        as_written=build_as_written,
        copy=copy,
        compile_args=compile_args,
        fit_args=FIT,
    )
]
