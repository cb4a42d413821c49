"""feature_space_advanced (bank marketing): the script's final FeatureSpace and model.

FeatureSpace: `previously_contacted` integer categorical and nine string
categoricals, all one-hot with num_oov_indices=0; `job` hashed into 3 bins,
`pdays` (integer) hashed into 4 bins; `age` discretized into 4 bins; seven
numerics normalized; crosses (age, job) -> 8, (housing, loan) -> 6,
(poutcome, previously_contacted) -> 2; concatenated (77 wide here). The model
is a separate functional model Dense(64, relu), Dropout(0.5), Dense(1,
sigmoid) on the encoded features; the end-to-end inference model calls it as
a nested model on the FeatureSpace's encoded features, which is the
reference here (raw feature dict -> prediction).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras.utils import FeatureSpace

from . import common as c
from .vocabularies import BANK_JOBS, BANK_NORMALIZED, BANK_STRING_CATEGORICAL

SOURCE = c.Source(
    "examples/structured_data/feature_space_advanced.py",
    "3587c269ec42695534eab32df31e086fc4f65118",
    "2023/07/01",
)


def make_feature_space():
    features = {"previously_contacted": FeatureSpace.integer_categorical(num_oov_indices=0)}
    features.update(
        {name: FeatureSpace.string_categorical(num_oov_indices=0) for name in BANK_STRING_CATEGORICAL}
    )
    features["job"] = FeatureSpace.string_hashed(num_bins=3)
    features["pdays"] = FeatureSpace.integer_hashed(num_bins=4)
    features["age"] = FeatureSpace.float_discretized(num_bins=4)
    features.update({name: FeatureSpace.float_normalized() for name in BANK_NORMALIZED})
    return FeatureSpace(
        features=features,
        crosses=[
            FeatureSpace.cross(feature_names=("age", "job"), crossing_dim=8),
            FeatureSpace.cross(feature_names=("housing", "loan"), crossing_dim=6),
            FeatureSpace.cross(feature_names=("poutcome", "previously_contacted"), crossing_dim=2),
        ],
        output_mode="concat",
    )


def raw_rows(n, seed):
    g = c.rng(seed)
    out = {name: c.choices(g, vocab, n).astype(str) for name, vocab in BANK_STRING_CATEGORICAL.items()}
    out["job"] = c.choices(g, BANK_JOBS, n).astype(str)
    out["previously_contacted"] = c.choices(g, [0, 1], n).astype("int64")
    out["pdays"] = np.where(g.random(n) < 0.8, 999, g.integers(0, 27, size=n)).astype("int64")
    out["age"] = g.uniform(18.0, 88.0, size=n).astype("float32")
    out.update({name: c.numbers(g, n) for name in BANK_NORMALIZED})
    return out


def build():
    feature_space = make_feature_space()
    feature_space.adapt(tf.data.Dataset.from_tensor_slices(raw_rows(96, 5)).batch(32))
    encoded_features = feature_space.get_encoded_features()
    x = keras.layers.Dense(64, activation="relu")(encoded_features)
    x = keras.layers.Dropout(0.5)(x)
    output = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs=encoded_features, outputs=output)
    dict_inputs = feature_space.get_inputs()
    outputs = model(feature_space.get_encoded_features())
    return keras.Model(inputs=dict_inputs, outputs=outputs)


CATEGORICAL_WIDTH = 2 + sum(len(v) for v in BANK_STRING_CATEGORICAL.values())  # 43
WIDTH = CATEGORICAL_WIDTH + 3 + 4 + 4 + len(BANK_NORMALIZED) + 8 + 6 + 2  # 77


def counts():
    return c.total(*(c.normalization_adapted(1) for _ in BANK_NORMALIZED), c.dense(WIDTH, 64), c.dense(64, 1))


def rows(n, seed):
    return {name: values.reshape(n, 1) for name, values in sorted(raw_rows(n, seed).items())}


def compile_args():
    return dict(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])


FIT = {"batch_size": 32, "epochs": 20}

REFERENCES = [
    c.Reference(
        "feature_space_advanced", "inference_model", SOURCE, build, counts, rows, compile_args=compile_args
    )
]
