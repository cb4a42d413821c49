"""structured_data_classification_from_scratch (Cleveland heart disease), two revisions.

`current` follows the backend-agnostic revision: the categorical columns are
one-hot encoded in the tf.data pipeline (lookup with num_oov_indices=0,
output "binary"), so the model's categorical inputs are int64 vectors of
width V; each numeric column is an Input((1,)) passed through an adapted
Normalization; a subclassed `Classifier` layer concatenates the dict of
inputs and applies Dense(32, relu), Dropout(0.5), Dense(1, sigmoid). Because
the script passes the Normalization *outputs* to `keras.Model` as inputs,
Keras 3 cuts the graph there: the saved model has no Normalization at all
and takes already-normalized numbers (measured: 0 non-trainable parameters).
`build` is the flattened equivalent of that model.

`tf2` follows the earlier tf.keras revision that keras.io taught for years
and that issue 12's encodings are about: raw inputs (int64, string, float32,
each of shape (1,)), IntegerLookup / StringLookup(output_mode="binary")
adapted on the training rows (one out-of-vocabulary slot), Normalization
adapted per numeric column, all inside the model; its concatenation order
puts `slope` between `exang` and `ca`, as the script writes it.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from . import common as c
from .vocabularies import HEART_CATEGORICAL, HEART_NUMERIC, HEART_STRING_CATEGORICAL

SOURCE = c.Source(
    "examples/structured_data/structured_data_classification_from_scratch.py",
    "002c7bbfe68f2f82b7294b712e9784c03a16e960",
    "2020/06/09 (made backend-agnostic later)",
    "Normalization falls outside the model (Keras 3 cuts the graph at the tensors passed as inputs)",
)
SOURCE_TF2 = c.Source(
    "examples/structured_data/structured_data_classification_from_scratch.py",
    "b0d68751937c4e87063b1267e6562a70481d879f",
    "2020/06/09",
    "tf.keras imports replaced by keras 3 ones",
)

FEATURE_NAMES = HEART_NUMERIC + list(HEART_CATEGORICAL)


def train_rows(n=64, seed=7):
    """Raw training rows the adapted layers learn from."""
    g = c.rng(seed)
    out = {name: c.numbers(g, n, (1,)) * 10.0 + 50.0 for name in HEART_NUMERIC}
    out.update({name: c.choices(g, vocab, n, (1,)) for name, vocab in HEART_CATEGORICAL.items()})
    return out


# ---- current revision ----------------------------------------------------------------------


class Classifier(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense_1 = layers.Dense(32, activation="relu")
        self.dropout = layers.Dropout(0.5)
        self.dense_2 = layers.Dense(1, activation="sigmoid")

    def call(self, inputs):
        all_features = layers.concatenate(list(inputs.values()))
        x = self.dense_1(all_features)
        x = self.dropout(x)
        return self.dense_2(x)

    def build(self, input_shape):
        self.built = True


def encode_numerical_feature(feature, name, rows):
    normalizer = layers.Normalization()
    normalizer.adapt(rows[name])
    return normalizer(feature)


def create_model_inputs(rows):
    inputs = {}
    for name in FEATURE_NAMES:
        if name in HEART_CATEGORICAL:
            inputs[name] = layers.Input(name=name, shape=(len(HEART_CATEGORICAL[name]),), dtype="int64")
        else:
            feature_input = layers.Input(name=name, shape=(1,), dtype="float32")
            inputs[name] = encode_numerical_feature(feature_input, name, rows)
    return inputs


def build_as_written():
    all_inputs = create_model_inputs(train_rows())
    output = Classifier()(all_inputs)
    return keras.Model(all_inputs, output)


def build():
    inputs = {}
    for name in FEATURE_NAMES:
        width = len(HEART_CATEGORICAL[name]) if name in HEART_CATEGORICAL else 1
        dtype = "int64" if name in HEART_CATEGORICAL else "float32"
        inputs[name] = layers.Input(name=name, shape=(width,), dtype=dtype)
    x = layers.concatenate(list(inputs.values()))
    x = layers.Dense(32, activation="relu", name="dense_1")(x)
    x = layers.Dropout(0.5)(x)
    output = layers.Dense(1, activation="sigmoid", name="dense_2")(x)
    return keras.Model(inputs, output)


def copy(as_written, flat):
    classifier = next(layer for layer in as_written.layers if isinstance(layer, Classifier))
    flat.get_layer("dense_1").set_weights(classifier.dense_1.get_weights())
    flat.get_layer("dense_2").set_weights(classifier.dense_2.get_weights())


WIDTH = len(HEART_NUMERIC) + sum(len(v) for v in HEART_CATEGORICAL.values())  # 29


def counts():
    return c.total(c.dense(WIDTH, 32), c.dense(32, 1))


def rows(n, seed):
    g = c.rng(seed)
    out = {name: c.numbers(g, n, (1,)) for name in HEART_NUMERIC}
    for name, vocab in HEART_CATEGORICAL.items():
        out[name] = np.eye(len(vocab), dtype="int64")[g.integers(0, len(vocab), size=n)]
    return out


# ---- the tf.keras revision --------------------------------------------------------------------


def encode_categorical_feature(feature, name, rows, is_string):
    lookup_class = layers.StringLookup if is_string else layers.IntegerLookup
    lookup = lookup_class(output_mode="binary")
    lookup.adapt(rows[name])
    return lookup(feature)


def build_tf2():
    data = train_rows()
    int_names = ["sex", "cp", "fbs", "restecg", "exang", "ca"]
    inputs = {name: keras.Input(shape=(1,), name=name, dtype="int64") for name in int_names}
    inputs["thal"] = keras.Input(shape=(1,), name="thal", dtype="string")
    for name in ["age", "trestbps", "chol", "thalach", "oldpeak", "slope"]:
        inputs[name] = keras.Input(shape=(1,), name=name)
    encoded = {name: encode_categorical_feature(inputs[name], name, data, False) for name in int_names}
    encoded["thal"] = encode_categorical_feature(inputs["thal"], "thal", data, True)
    for name in ["age", "trestbps", "chol", "thalach", "oldpeak", "slope"]:
        encoded[name] = encode_numerical_feature(inputs[name], name, data)
    order = ["sex", "cp", "fbs", "restecg", "exang", "slope", "ca", "thal"]
    order += ["age", "trestbps", "chol", "thalach", "oldpeak"]
    all_features = layers.concatenate([encoded[name] for name in order])
    x = layers.Dense(32, activation="relu")(all_features)
    x = layers.Dropout(0.5)(x)
    output = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(list(inputs.values()), output)


# one out-of-vocabulary slot per lookup, adapted on rows that contain every value
TF2_WIDTH = len(HEART_NUMERIC) + sum(len(v) + 1 for v in HEART_CATEGORICAL.values())  # 36


def counts_tf2():
    return c.total(
        *(c.normalization_adapted(1) for _ in HEART_NUMERIC), c.dense(TF2_WIDTH, 32), c.dense(32, 1)
    )


def rows_tf2(n, seed):
    g = c.rng(seed)
    out = {name: c.choices(g, vocab, n, (1,)) for name, vocab in HEART_CATEGORICAL.items()}
    for name in HEART_STRING_CATEGORICAL:
        out[name] = out[name].astype(str)
    out.update({name: c.numbers(g, n, (1,)) * 10.0 + 50.0 for name in HEART_NUMERIC})
    return out


def compile_args():
    return dict(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])


FIT = {"batch_size": 32, "epochs": 50}

REFERENCES = [
    c.Reference(
        "structured_data_classification_from_scratch",
        "current",
        SOURCE,
        build,
        counts,
        rows,
        as_written=build_as_written,
        copy=copy,
        compile_args=compile_args,
        fit_args=FIT,
    ),
    c.Reference(
        "structured_data_classification_from_scratch",
        "tf2",
        SOURCE_TF2,
        build_tf2,
        counts_tf2,
        rows_tf2,
        compile_args=compile_args,
        fit_args=FIT,
    ),
]
