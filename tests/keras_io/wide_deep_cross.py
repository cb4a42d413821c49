"""wide_deep_cross_networks: the baseline, Wide & Deep and Deep & Cross models (Covertype).

Follows the script's model code line by line: one scalar Input per column
(shape (), float32 or string), StringLookup(num_oov_indices=0, mask_token=None)
with output_mode "binary" (one-hot, Keras 3 calls it multi_hot) for the wide
path or "int" + Embedding(V, int(sqrt(V))) for the deep path, numerics lifted
with `keras.ops.expand_dims(x, -1)`; `encode_inputs` runs once per use, so the
two paths of Wide & Deep have their own lookups. Deep & Cross writes
`cross = x0 * x + cross`, which Keras 3 records as the operations Multiply and
Add (no layers, no parameters).
"""

from __future__ import annotations

import keras
from keras import layers

from . import common as c
from .vocabularies import COVTYPE_CATEGORICAL, COVTYPE_CLASSES, COVTYPE_NUMERIC

SOURCE = c.Source(
    "examples/structured_data/wide_deep_cross_networks.py",
    "17ce1f3b3d3851611ca5b7ef7af781ed7fbce41e",
    "2025/01/03",
)

FEATURE_NAMES = COVTYPE_NUMERIC + list(COVTYPE_CATEGORICAL)
LEARNING_RATE = 0.001
DROPOUT_RATE = 0.1
HIDDEN_UNITS = [32, 32]


def create_model_inputs():
    inputs = {}
    for name in FEATURE_NAMES:
        dtype = "float32" if name in COVTYPE_NUMERIC else "string"
        inputs[name] = layers.Input(name=name, shape=(), dtype=dtype)
    return inputs


def encode_inputs(inputs, use_embedding=False):
    encoded_features = []
    for name in inputs:
        if name in COVTYPE_CATEGORICAL:
            vocabulary = COVTYPE_CATEGORICAL[name]
            lookup = layers.StringLookup(
                vocabulary=vocabulary,
                mask_token=None,
                num_oov_indices=0,
                output_mode="int" if use_embedding else "binary",
            )
            if use_embedding:
                encoded = lookup(inputs[name])
                embedding = layers.Embedding(
                    input_dim=len(vocabulary), output_dim=c.sqrt_dim(len(vocabulary))
                )
                encoded = embedding(encoded)
            else:
                encoded = lookup(keras.ops.expand_dims(inputs[name], -1))
        else:
            encoded = keras.ops.expand_dims(inputs[name], -1)
        encoded_features.append(encoded)
    return layers.concatenate(encoded_features)


def _deep(features):
    for units in HIDDEN_UNITS:
        features = layers.Dense(units)(features)
        features = layers.BatchNormalization()(features)
        features = layers.ReLU()(features)
        features = layers.Dropout(DROPOUT_RATE)(features)
    return features


def build_baseline():
    inputs = create_model_inputs()
    features = _deep(encode_inputs(inputs))
    outputs = layers.Dense(units=COVTYPE_CLASSES, activation="softmax")(features)
    return keras.Model(inputs=inputs, outputs=outputs)


def build_wide_and_deep():
    inputs = create_model_inputs()
    wide = layers.BatchNormalization()(encode_inputs(inputs))
    deep = _deep(encode_inputs(inputs, use_embedding=True))
    merged = layers.concatenate([wide, deep])
    outputs = layers.Dense(units=COVTYPE_CLASSES, activation="softmax")(merged)
    return keras.Model(inputs=inputs, outputs=outputs)


def build_deep_and_cross():
    inputs = create_model_inputs()
    x0 = encode_inputs(inputs, use_embedding=True)
    cross = x0
    for _ in HIDDEN_UNITS:
        units = cross.shape[-1]
        x = layers.Dense(units)(cross)
        cross = x0 * x + cross
    cross = layers.BatchNormalization()(cross)
    deep = _deep(x0)
    merged = layers.concatenate([cross, deep])
    outputs = layers.Dense(units=COVTYPE_CLASSES, activation="softmax")(merged)
    return keras.Model(inputs=inputs, outputs=outputs)


# ---- expected parameter counts --------------------------------------------------------

WIDE_WIDTH = len(COVTYPE_NUMERIC) + sum(len(v) for v in COVTYPE_CATEGORICAL.values())  # 54
DEEP_WIDTH = len(COVTYPE_NUMERIC) + sum(c.sqrt_dim(len(v)) for v in COVTYPE_CATEGORICAL.values())  # 18
EMBEDDINGS = [c.embedding(len(v), c.sqrt_dim(len(v))) for v in COVTYPE_CATEGORICAL.values()]


def _deep_counts(width):
    parts, n = [], width
    for units in HIDDEN_UNITS:
        parts += [c.dense(n, units), c.batchnorm(units)]
        n = units
    return parts


def counts_baseline():
    return c.total(*_deep_counts(WIDE_WIDTH), c.dense(HIDDEN_UNITS[-1], COVTYPE_CLASSES))


def counts_wide_and_deep():
    return c.total(
        c.batchnorm(WIDE_WIDTH),
        *EMBEDDINGS,
        *_deep_counts(DEEP_WIDTH),
        c.dense(WIDE_WIDTH + HIDDEN_UNITS[-1], COVTYPE_CLASSES),
    )


def counts_deep_and_cross():
    cross = [c.dense(DEEP_WIDTH, DEEP_WIDTH) for _ in HIDDEN_UNITS]
    return c.total(
        *EMBEDDINGS,
        *cross,
        c.batchnorm(DEEP_WIDTH),
        *_deep_counts(DEEP_WIDTH),
        c.dense(DEEP_WIDTH + HIDDEN_UNITS[-1], COVTYPE_CLASSES),
    )


def rows(n, seed):
    g = c.rng(seed)
    out = {name: c.numbers(g, n) for name in COVTYPE_NUMERIC}
    out.update({name: c.choices(g, vocab, n) for name, vocab in COVTYPE_CATEGORICAL.items()})
    return out


def compile_args():
    return dict(
        optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )


FIT = {"batch_size": 265, "epochs": 1}

REFERENCES = [
    c.Reference("wide_deep_cross_networks", m, SOURCE, b, k, rows, compile_args=compile_args, fit_args=FIT)
    for m, b, k in (
        ("baseline", build_baseline, counts_baseline),
        ("wide_and_deep", build_wide_and_deep, counts_wide_and_deep),
        ("deep_and_cross", build_deep_and_cross, counts_deep_and_cross),
    )
]
