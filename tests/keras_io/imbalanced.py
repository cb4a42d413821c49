"""imbalanced_classification: credit card fraud detection (30 numeric features).

A Sequential model on one Input of 30 features (standardized outside the
model with the training rows' mean and std): Dense(256, relu) x 2,
Dropout(0.3), Dense(256, relu), Dropout(0.3), Dense(1, sigmoid); compiled
with Adam(1e-2), binary cross-entropy and six threshold metrics; trained
with class_weight {0: 1/count_0, 1: 1/count_1}, batch 2048, 30 epochs.
"""

from __future__ import annotations

import keras

from . import common as c

SOURCE = c.Source(
    "examples/structured_data/imbalanced_classification.py",
    "0e2570ad95239574579c493d03eac955af344c24",
    "2020/04/17",
)

NUM_FEATURES = 30


def build():
    return keras.Sequential(
        [
            keras.Input(shape=(NUM_FEATURES,)),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )


def counts():
    return c.total(c.dense(NUM_FEATURES, 256), c.dense(256, 256), c.dense(256, 256), c.dense(256, 1))


def rows(n, seed):
    return {"features": c.numbers(c.rng(seed), n, (NUM_FEATURES,))}


def compile_args():
    metrics = [
        keras.metrics.FalseNegatives(name="fn"),
        keras.metrics.FalsePositives(name="fp"),
        keras.metrics.TrueNegatives(name="tn"),
        keras.metrics.TruePositives(name="tp"),
        keras.metrics.Precision(name="precision"),
        keras.metrics.Recall(name="recall"),
    ]
    return dict(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=metrics)


# class_weight is computed from the training labels: 1 / (count of the class).
FIT = {
    "batch_size": 2048,
    "epochs": 30,
    "class_weight": "{0: 1/count_0, 1: 1/count_1}",
    "callbacks": "ModelCheckpoint('fraud_model_at_epoch_{epoch}.keras')",
}

REFERENCES = [
    c.Reference(
        "imbalanced_classification",
        "fraud_mlp",
        SOURCE,
        build,
        counts,
        rows,
        compile_args=compile_args,
        fit_args=FIT,
    )
]
