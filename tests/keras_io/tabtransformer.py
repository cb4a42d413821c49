"""tabtransformer: the MLP baseline and the TabTransformer (Adult census income).

As in the script: every input is a scalar float32 (the categorical ones carry
the index a StringLookup computed in the tf.data pipeline, outside the model);
each categorical column gets Embedding(V, 16); numerics are lifted with
`ops.expand_dims`. `create_mlp` returns a nested `keras.Sequential` of
(normalization, Dense, Dropout) per hidden layer; hidden sizes are computed
from the incoming width (`features.shape[-1]`, times the factors [2, 1]).
The TabTransformer stacks the 8 embeddings with `ops.stack(axis=1)` into
(8, 16) and runs 3 blocks of self-attention (MultiHeadAttention(4 heads,
key_dim 16, dropout 0.2) on (x, x)), Add, LayerNormalization(1e-6), a
feed-forward Sequential, Add, LayerNormalization; `use_column_embedding` is
False by default, so no column embedding.
"""

from __future__ import annotations

from functools import partial

import keras
from keras import layers, ops

from . import common as c
from .vocabularies import ADULT_CATEGORICAL_SIZES, ADULT_NUMERIC

SOURCE = c.Source(
    "examples/structured_data/tabtransformer.py", "28d2577f440ffcea1ae6a0feea026a4d9efd29d6", "2022/01/18"
)

FEATURE_NAMES = ADULT_NUMERIC + list(ADULT_CATEGORICAL_SIZES)
LEARNING_RATE = 0.001
WEIGHT_DECAY = 0.0001
DROPOUT_RATE = 0.2
NUM_TRANSFORMER_BLOCKS = 3
NUM_HEADS = 4
EMBEDDING_DIMS = 16
MLP_HIDDEN_UNITS_FACTORS = [2, 1]
NUM_MLP_BLOCKS = 2


def create_model_inputs():
    return {name: layers.Input(name=name, shape=(), dtype="float32") for name in FEATURE_NAMES}


def encode_inputs(inputs, embedding_dims):
    categorical, numerical = [], []
    for name in inputs:
        if name in ADULT_CATEGORICAL_SIZES:
            embedding = layers.Embedding(input_dim=ADULT_CATEGORICAL_SIZES[name], output_dim=embedding_dims)
            categorical.append(embedding(inputs[name]))
        else:
            numerical.append(ops.expand_dims(inputs[name], -1))
    return categorical, numerical


def create_mlp(hidden_units, dropout_rate, activation, normalization_layer, name=None):
    mlp_layers = []
    for units in hidden_units:
        mlp_layers.append(normalization_layer())
        mlp_layers.append(layers.Dense(units, activation=activation))
        mlp_layers.append(layers.Dropout(dropout_rate))
    return keras.Sequential(mlp_layers, name=name)


def build_baseline():
    inputs = create_model_inputs()
    categorical, numerical = encode_inputs(inputs, EMBEDDING_DIMS)
    features = layers.concatenate(categorical + numerical)
    feedforward_units = [features.shape[-1]]
    for layer_idx in range(NUM_MLP_BLOCKS):
        features = create_mlp(
            hidden_units=feedforward_units,
            dropout_rate=DROPOUT_RATE,
            activation=keras.activations.gelu,
            normalization_layer=layers.LayerNormalization,
            name=f"feedforward_{layer_idx}",
        )(features)
    mlp_hidden_units = [factor * features.shape[-1] for factor in MLP_HIDDEN_UNITS_FACTORS]
    features = create_mlp(
        hidden_units=mlp_hidden_units,
        dropout_rate=DROPOUT_RATE,
        activation=keras.activations.selu,
        normalization_layer=layers.BatchNormalization,
        name="MLP",
    )(features)
    outputs = layers.Dense(units=1, activation="sigmoid", name="sigmoid")(features)
    return keras.Model(inputs=inputs, outputs=outputs)


def build_tabtransformer():
    inputs = create_model_inputs()
    categorical, numerical = encode_inputs(inputs, EMBEDDING_DIMS)
    encoded = ops.stack(categorical, axis=1)
    numerical_features = layers.concatenate(numerical)
    for block_idx in range(NUM_TRANSFORMER_BLOCKS):
        attention_output = layers.MultiHeadAttention(
            num_heads=NUM_HEADS,
            key_dim=EMBEDDING_DIMS,
            dropout=DROPOUT_RATE,
            name=f"multihead_attention_{block_idx}",
        )(encoded, encoded)
        x = layers.Add(name=f"skip_connection1_{block_idx}")([attention_output, encoded])
        x = layers.LayerNormalization(name=f"layer_norm1_{block_idx}", epsilon=1e-6)(x)
        feedforward_output = create_mlp(
            hidden_units=[EMBEDDING_DIMS],
            dropout_rate=DROPOUT_RATE,
            activation=keras.activations.gelu,
            normalization_layer=partial(layers.LayerNormalization, epsilon=1e-6),
            name=f"feedforward_{block_idx}",
        )(x)
        x = layers.Add(name=f"skip_connection2_{block_idx}")([feedforward_output, x])
        encoded = layers.LayerNormalization(name=f"layer_norm2_{block_idx}", epsilon=1e-6)(x)
    categorical_features = layers.Flatten()(encoded)
    numerical_features = layers.LayerNormalization(epsilon=1e-6)(numerical_features)
    features = layers.concatenate([categorical_features, numerical_features])
    mlp_hidden_units = [factor * features.shape[-1] for factor in MLP_HIDDEN_UNITS_FACTORS]
    features = create_mlp(
        hidden_units=mlp_hidden_units,
        dropout_rate=DROPOUT_RATE,
        activation=keras.activations.selu,
        normalization_layer=layers.BatchNormalization,
        name="MLP",
    )(features)
    outputs = layers.Dense(units=1, activation="sigmoid", name="sigmoid")(features)
    return keras.Model(inputs=inputs, outputs=outputs)


# ---- expected parameter counts --------------------------------------------------------

EMBEDDINGS = [c.embedding(v, EMBEDDING_DIMS) for v in ADULT_CATEGORICAL_SIZES.values()]
WIDTH = EMBEDDING_DIMS * len(ADULT_CATEGORICAL_SIZES) + len(ADULT_NUMERIC)  # 133 either way


def _final_mlp(width):
    parts, n = [], width
    for factor in MLP_HIDDEN_UNITS_FACTORS:
        parts += [c.batchnorm(n), c.dense(n, factor * width)]
        n = factor * width
    return [*parts, c.dense(n, 1)]


def counts_baseline():
    feedforward = [c.total(c.layernorm(WIDTH), c.dense(WIDTH, WIDTH)) for _ in range(NUM_MLP_BLOCKS)]
    return c.total(*EMBEDDINGS, *feedforward, *_final_mlp(WIDTH))


def counts_tabtransformer():
    d = EMBEDDING_DIMS
    block = c.total(
        c.multi_head_attention(NUM_HEADS, d, d),
        c.layernorm(d),
        c.layernorm(d),
        c.dense(d, d),
        c.layernorm(d),
    )
    blocks = [block] * NUM_TRANSFORMER_BLOCKS
    return c.total(*EMBEDDINGS, *blocks, c.layernorm(len(ADULT_NUMERIC)), *_final_mlp(WIDTH))


def rows(n, seed):
    g = c.rng(seed)
    out = {name: c.numbers(g, n) for name in ADULT_NUMERIC}
    out.update(
        {name: c.indices(g, size, n).astype("float32") for name, size in ADULT_CATEGORICAL_SIZES.items()}
    )
    return out


def compile_args():
    return dict(
        optimizer=keras.optimizers.AdamW(learning_rate=LEARNING_RATE, weight_decay=WEIGHT_DECAY),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[keras.metrics.BinaryAccuracy(name="accuracy")],
    )


# fnlwgt is the sample-weight column (prepare_example pops it from the features).
FIT = {"batch_size": 265, "epochs": 15, "sample_weight_column": "fnlwgt"}

REFERENCES = [
    c.Reference("tabtransformer", m, SOURCE, b, k, rows, compile_args=compile_args, fit_args=FIT)
    for m, b, k in (
        ("mlp_baseline", build_baseline, counts_baseline),
        ("tabtransformer", build_tabtransformer, counts_tabtransformer),
    )
]
