"""classification_with_tfdf: the neural embedding encoder and the linear model that trains it.

Experiment 3 of the script (Census-Income KDD): `create_embedding_encoder`
maps each of 40 scalar inputs (7 float32 numerics, 33 strings) to a vector:
StringLookup(num_oov_indices=0, mask_token=None) then Embedding(V,
int(sqrt(V))) for a categorical column, `expand_dims(x, -1)` for a numeric
one, all concatenated; `create_linear_model` calls that encoder model as a
nested model on fresh inputs and adds Dense(1, sigmoid), compiled with Adam,
binary cross-entropy and binary accuracy, trained 3 epochs with batch 256
and the `instance_weight` column as sample weights. The decision forest that
later consumes the encoder is not a Keras layer and is out of scope. Port:
`tf.expand_dims` -> `keras.ops.expand_dims`.
"""

from __future__ import annotations

import keras
from keras import layers

from . import common as c
from .vocabularies import KDD_CATEGORICAL, KDD_FEATURES, KDD_NUMERIC

SOURCE = c.Source(
    "examples/structured_data/classification_with_tfdf.py",
    "083f66205cb9a615f8ae9f6ed3741a509e1bdcde",
    "2022/01/31",
    "tf.expand_dims ported to keras.ops.expand_dims",
)


def create_model_inputs():
    inputs = {}
    for name in KDD_FEATURES:
        dtype = "float32" if name in KDD_NUMERIC else "string"
        inputs[name] = layers.Input(name=name, shape=(), dtype=dtype)
    return inputs


def create_embedding_encoder():
    inputs = create_model_inputs()
    encoded_features = []
    for name in inputs:
        if name in KDD_CATEGORICAL:
            vocabulary = KDD_CATEGORICAL[name]
            lookup = layers.StringLookup(vocabulary=vocabulary, mask_token=None, num_oov_indices=0)
            value_index = lookup(inputs[name])
            encoder = layers.Embedding(input_dim=len(vocabulary), output_dim=c.sqrt_dim(len(vocabulary)))
            encoded = encoder(value_index)
        else:
            encoded = keras.ops.expand_dims(inputs[name], -1)
        encoded_features.append(encoded)
    encoded_features = layers.concatenate(encoded_features, axis=1)
    return keras.Model(inputs=inputs, outputs=encoded_features)


def build():
    encoder = create_embedding_encoder()
    inputs = create_model_inputs()
    linear_output = layers.Dense(units=1, activation="sigmoid")(encoder(inputs))
    return keras.Model(inputs=inputs, outputs=linear_output)


WIDTH = len(KDD_NUMERIC) + sum(c.sqrt_dim(len(v)) for v in KDD_CATEGORICAL.values())


def counts():
    embeddings = [c.embedding(len(v), c.sqrt_dim(len(v))) for v in KDD_CATEGORICAL.values()]
    return c.total(*embeddings, c.dense(WIDTH, 1))


def rows(n, seed):
    g = c.rng(seed)
    out = {name: c.numbers(g, n) for name in KDD_NUMERIC}
    out.update({name: c.choices(g, vocab, n) for name, vocab in KDD_CATEGORICAL.items()})
    return out


def compile_args():
    return dict(
        optimizer=keras.optimizers.Adam(),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[keras.metrics.BinaryAccuracy("accuracy")],
    )


FIT = {"batch_size": 256, "epochs": 3, "sample_weight_column": "instance_weight"}

# Revision 8bda227c (header 2022/01/25), the script as keras.io publishes it: the encoder also
# applies Dropout(0.25) and a Dense(size or its width, gelu) to the concatenation
# (create_embedding_encoder(size=64)), and create_nn_model adds the same Dense(1, sigmoid),
# trained 5 epochs of 256 with instance weights.
PUBLISHED = c.Source(
    "examples/structured_data/classification_with_tfdf.py",
    "8bda227c08adf855a8b9ec579840e2a7171fff60",
    "2022/01/25",
    "tf.expand_dims ported to keras.ops.expand_dims",
)
SIZE = 64


def create_embedding_encoder_published(size=None):
    inputs = create_model_inputs()
    encoded_features = []
    for name in inputs:
        if name in KDD_CATEGORICAL:
            vocabulary = sorted(str(value) for value in KDD_CATEGORICAL[name])
            lookup = layers.StringLookup(vocabulary=vocabulary, mask_token=None, num_oov_indices=0)
            value_index = lookup(inputs[name])
            encoder = layers.Embedding(input_dim=len(vocabulary), output_dim=c.sqrt_dim(len(vocabulary)))
            encoded = encoder(value_index)
        else:
            encoded = keras.ops.expand_dims(inputs[name], -1)
        encoded_features.append(encoded)
    encoded_features = layers.concatenate(encoded_features, axis=1)
    encoded_features = layers.Dropout(rate=0.25)(encoded_features)
    encoded_features = layers.Dense(units=size if size else encoded_features.shape[-1], activation="gelu")(
        encoded_features
    )
    return keras.Model(inputs=inputs, outputs=encoded_features)


def build_published():
    encoder = create_embedding_encoder_published(size=SIZE)
    inputs = create_model_inputs()
    output = layers.Dense(units=1, activation="sigmoid")(encoder(inputs))
    return keras.Model(inputs=inputs, outputs=output)


def counts_published():
    embeddings = [c.embedding(len(v), c.sqrt_dim(len(v))) for v in KDD_CATEGORICAL.values()]
    return c.total(*embeddings, c.dense(WIDTH, SIZE), c.dense(SIZE, 1))


REFERENCES = [
    c.Reference(
        "classification_with_tfdf",
        "embedding_encoder_linear",
        SOURCE,
        build,
        counts,
        rows,
        compile_args=compile_args,
        fit_args=FIT,
    ),
    c.Reference(
        "classification_with_tfdf",
        "embedding_encoder_nn",
        PUBLISHED,
        build_published,
        counts_published,
        rows,
        compile_args=compile_args,
        fit_args={"batch_size": 256, "epochs": 5, "sample_weight_column": "instance_weight"},
    ),
]
