"""netdsl's tables of Keras names, checked against the installed Keras.

`check` validates activations, losses, optimizers and metrics without importing
Keras, from tables in netdsl; these tests keep the tables honest.
"""

from __future__ import annotations

import inspect

import pytest

from netdsl.ir.ops import ACTIVATIONS
from netdsl.ir.settings import LOSSES, METRICS, OPTIMIZERS

keras = pytest.importorskip("keras")


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_resolves_in_keras(name):
    layer = keras.layers.Dense(2, activation=name)
    assert callable(layer.activation)


@pytest.mark.parametrize("name", LOSSES)
def test_loss_resolves_in_keras(name):
    assert keras.losses.get(name) is not None


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_class_and_arguments_match_keras(name):
    class_name, args = OPTIMIZERS[name]
    cls = getattr(keras.optimizers, class_name)
    assert type(keras.optimizers.get(name)) is cls
    params = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "name", "kwargs")]
    assert sorted(args) == sorted(params)


@pytest.mark.parametrize("sparse", [False, True])
def test_every_metric_compiles_and_evaluates(sparse):
    import numpy as np

    names = [m for m in METRICS if m.startswith("sparse_") == sparse]
    x = keras.Input(shape=(3,))
    model = keras.Model(x, keras.layers.Dense(3, activation="softmax")(x))
    model.compile(
        loss="sparse_categorical_crossentropy" if sparse else "categorical_crossentropy", metrics=names
    )
    data = np.eye(3, dtype="float32")
    labels = np.arange(3) if sparse else data
    result = model.evaluate(data, labels, verbose=0, return_dict=True)
    assert len(result) == len(names) + 1
