"""structured_data_classification_with_feature_space (Cleveland heart disease).

The script's second, customized FeatureSpace: six integer categoricals and
`thal` (string) one-hot encoded with num_oov_indices=0, `age` discretized
into 30 bins (adapted), five numerics normalized (adapted), crosses
(sex, age) into 64 and (thal, ca) into 16 hashed bins, all concatenated
(138 wide here, as the script prints). The model is Dense(32, relu),
Dropout(0.5), Dense(1, sigmoid). The reference is the script's end-to-end
`inference_model` (raw feature dict -> prediction), which is what a netdsl
spec with typed features and encodings compiles to; FeatureSpace is adapted
on synthetic rows in which every category occurs.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras.utils import FeatureSpace

from . import common as c
from .vocabularies import HEART_CATEGORICAL, HEART_INT_CATEGORICAL

SOURCE = c.Source(
    "examples/structured_data/structured_data_classification_with_feature_space.py",
    "f54746f7633a6e4eedb38f273ab4c71944f01df6",
    "2022/11/09",
)

NORMALIZED = ["trestbps", "chol", "thalach", "oldpeak", "slope"]


def make_feature_space():
    features = {name: FeatureSpace.integer_categorical(num_oov_indices=0) for name in HEART_INT_CATEGORICAL}
    features["thal"] = FeatureSpace.string_categorical(num_oov_indices=0)
    features["age"] = FeatureSpace.float_discretized(num_bins=30)
    features.update({name: FeatureSpace.float_normalized() for name in NORMALIZED})
    return FeatureSpace(
        features=features,
        crosses=[
            FeatureSpace.cross(feature_names=("sex", "age"), crossing_dim=64),
            FeatureSpace.cross(feature_names=("thal", "ca"), crossing_dim=16),
        ],
        output_mode="concat",
    )


def raw_rows(n, seed):
    """Raw rows as FeatureSpace reads them: one scalar per column and row."""
    g = c.rng(seed)
    out = {name: c.choices(g, vocab, n) for name, vocab in HEART_CATEGORICAL.items()}
    out["thal"] = out["thal"].astype(str)
    out["age"] = g.uniform(29.0, 77.0, size=n).astype("float32")
    out.update({name: (c.numbers(g, n) * 10.0 + 100.0) for name in NORMALIZED})
    return out


def adapted_feature_space():
    feature_space = make_feature_space()
    train_ds = tf.data.Dataset.from_tensor_slices(raw_rows(96, 11)).batch(32)
    feature_space.adapt(train_ds)
    return feature_space


def build():
    feature_space = adapted_feature_space()
    dict_inputs = feature_space.get_inputs()
    encoded_features = feature_space.get_encoded_features()
    x = keras.layers.Dense(32, activation="relu")(encoded_features)
    x = keras.layers.Dropout(0.5)(x)
    predictions = keras.layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs=dict_inputs, outputs=predictions)


# 7 one-hot categoricals + 30 bins + 5 normalized + 64 + 16 crossed = 138
WIDTH = sum(len(v) for v in HEART_CATEGORICAL.values()) + 30 + len(NORMALIZED) + 64 + 16


def counts():
    return c.total(*(c.normalization_adapted(1) for _ in NORMALIZED), c.dense(WIDTH, 32), c.dense(32, 1))


def rows(n, seed):
    return {name: values.reshape(n, 1) for name, values in raw_rows(n, seed).items()}


def compile_args():
    return dict(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])


FIT = {"batch_size": 32, "epochs": 20}

REFERENCES = [
    c.Reference(
        "structured_data_classification_with_feature_space",
        "inference_model",
        SOURCE,
        build,
        counts,
        rows,
        compile_args=compile_args,
        fit_args=FIT,
    )
]
