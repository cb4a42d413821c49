"""The keras.io structured-data reference models (tests/keras_io/) build, count and predict.

For each model: Keras's parameter counts (total, trainable, non-trainable)
equal the counts derived by hand from the example's sizes (tests/keras_io/
common.py rules); one forward pass on synthetic rows gives finite outputs of
the right shape; the example's compile arguments are accepted by Keras. For
an example written with subclassed layers, its flattened functional form has
the same counts and, after copying randomized weights, the same predictions.
No training: these models are the bar that netdsl specs are compared with.
"""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from keras_io import references  # noqa: E402

pytestmark = [
    # the scripts' own code triggers these; they are not ours to fix
    pytest.mark.filterwarnings("ignore:`build\\(\\)` was called on layer"),
    pytest.mark.filterwarnings("ignore:When providing `inputs` as a dict"),
    pytest.mark.filterwarnings("ignore:The structure of `inputs` doesn't match"),
]

REFERENCES = references()
ROWS = 8


def weight_counts(model) -> tuple[int, int]:
    size = lambda ws: int(sum(np.prod(w.shape) for w in ws))  # noqa: E731
    return size(model.trainable_weights), size(model.non_trainable_weights)


def feed(rows: dict):
    tensors = {name: tf.constant(values) for name, values in rows.items()}
    return next(iter(tensors.values())) if len(tensors) == 1 else tensors


class Built:
    def __init__(self, ref):
        self.ref = ref
        self.model = ref.build()
        self.as_written = ref.as_written() if ref.as_written else None


@pytest.fixture(scope="module")
def built():
    keras.utils.clear_session()
    keras.utils.set_random_seed(0)
    return {ref.id: Built(ref) for ref in REFERENCES}


@pytest.fixture(params=[ref.id for ref in REFERENCES])
def one(request, built):
    return built[request.param]


def test_parameter_counts_follow_the_rules(one):
    trainable, non_trainable = weight_counts(one.model)
    assert (trainable, non_trainable) == one.ref.counts()
    assert one.model.count_params() == trainable + non_trainable


def test_one_forward_pass(one):
    x = feed(one.ref.rows(ROWS, 1))
    y = np.asarray(one.model(x, training=False))
    assert y.shape[0] == ROWS and y.ndim == 2
    assert np.isfinite(y).all()


def test_compile_arguments_are_keras_ones(one):
    one.model.compile(**one.ref.compile_args())
    assert one.model.compiled


@pytest.mark.parametrize("ref_id", [ref.id for ref in REFERENCES if ref.as_written])
def test_flattened_form_matches_the_script(ref_id, built):
    one = built[ref_id]
    assert weight_counts(one.as_written) == weight_counts(one.model)
    rng = np.random.default_rng(3)
    for w in one.as_written.weights:
        w.assign(rng.normal(0.0, 0.5, size=w.shape).astype(w.dtype))
    one.ref.copy(one.as_written, one.model)
    x = feed(one.ref.rows(ROWS, 2))
    want = np.asarray(one.as_written(x, training=False))
    got = np.asarray(one.model(x, training=False))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert np.std(want) > 1e-3  # randomized weights give distinct predictions per row
