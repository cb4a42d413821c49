"""Baseline of `netdsl predict`: pandas reads the file, Keras predicts it.

python pandas_predict.py MODEL.keras DATA.csv BATCH
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import pandas as pd  # noqa: E402
import tensorflow as tf  # noqa: E402

model_path, path, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
model = keras.saving.load_model(model_path)
frame = pd.read_csv(path)
x = {}
for name, tensor in model.input.items():
    column = frame[name].to_numpy(str if tensor.dtype == "string" else "float32").reshape(-1, 1)
    x[name] = tf.constant(column)
predictions = model.predict(x, batch_size=batch, verbose=0)
print(predictions.shape)
