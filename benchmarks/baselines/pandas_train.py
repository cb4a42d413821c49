"""Baseline of `netdsl train`: the same work written by hand with pandas and Keras.

Read the CSV, split it (seeded, 20% test), fill the missing numbers with the
training means, adapt a Normalization on the training numbers and a one-hot
StringLookup on each category, build the keras.io-style model (one Input per
column), fit one epoch with a 10% validation split, evaluate on the test
rows, save the model.

Seeded and deterministic, as `netdsl train` is (the same seed gives the same
weights and metrics): TensorFlow's deterministic ops are turned on, as its
documentation says to for a reproducible program. DETERMINISTIC 0 leaves them
off (the benchmark reports that ratio too, without a target).

    python pandas_train.py DATA.csv OUT.keras EPOCHS BATCH [DETERMINISTIC]
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

path, out, epochs, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
deterministic = sys.argv[5:] != ["0"]
NUMERIC = [f"n{i}" for i in range(30)]
CATEGORICAL = ["c0", "c1", "c2"]

keras.utils.set_random_seed(0)
if deterministic:
    tf.config.experimental.enable_op_determinism()
frame = pd.read_csv(path)
classes = sorted(frame["label"].unique())
y = np.eye(len(classes), dtype="float32")[frame["label"].map({c: i for i, c in enumerate(classes)})]
order = np.random.default_rng(0).permutation(len(frame))
n_test = round(0.2 * len(frame))
test, train = order[:n_test], order[n_test:]
numbers = frame[NUMERIC].fillna(frame[NUMERIC].iloc[train].mean()).to_numpy("float32")
x = {c: numbers[:, [j]] for j, c in enumerate(NUMERIC)}
x.update({c: frame[c].to_numpy(str).reshape(-1, 1) for c in CATEGORICAL})

inputs = {c: keras.Input(shape=(1,), name=c) for c in NUMERIC}
inputs.update({c: keras.Input(shape=(1,), name=c, dtype="string") for c in CATEGORICAL})
normalize = layers.Normalization()
normalize.adapt(numbers[train])
encoded = [normalize(layers.Concatenate()([inputs[c] for c in NUMERIC]))]
for c in CATEGORICAL:
    lookup = layers.StringLookup(output_mode="one_hot")
    lookup.adapt(x[c][train])
    encoded.append(lookup(inputs[c]))
h = layers.Dense(32, activation="relu")(layers.Concatenate()(encoded))
model = keras.Model(inputs, layers.Dense(len(classes), activation="softmax")(h))
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])


def rows(idx):
    return {c: tf.constant(v[idx]) for c, v in x.items()}


model.fit(rows(train), y[train], epochs=epochs, batch_size=batch, validation_split=0.1, verbose=0)
print(model.evaluate(rows(test), y[test], batch_size=batch, verbose=0, return_dict=True))
model.save(out)
