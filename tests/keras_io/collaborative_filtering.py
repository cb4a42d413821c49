"""collaborative_filtering_movielens: the RecommenderNet (ml-latest-small: 610 users, 9724 movies).

The current Keras 3 script scores a batch with `ops.tensordot(user_vector,
movie_vector, 2)`, which contracts the batch axis too: every row gets the
same score (the sum over the whole batch), so a row's prediction depends on
the other rows. The issue asks for the per-example dot-product model, which
is what the script's first revision wrote (`layers.Dot(axes=1)` on the two
vectors); `build_as_written` is the subclassed RecommenderNet with that dot
product (everything else as in the current script: he_normal embeddings with
an L2(1e-6) regularizer, 1-wide bias embeddings, sigmoid of the sum).
`build` is its functional form: one int Input of 2 columns, `x[:, 0]` and
`x[:, 1]` as GetItem operations, Embedding x 4, Dot(axes=1), two Adds and a
sigmoid Activation.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from . import common as c
from .vocabularies import ML_LATEST_SMALL_MOVIES, ML_LATEST_SMALL_USERS

SOURCE = c.Source(
    "examples/structured_data/collaborative_filtering_movielens.py",
    "ff6a507b2737777a8845ff9a2f1caf7f53ce3e78",
    "2020/05/24",
    "tensordot(u, m, 2) (a contraction over the batch) replaced by the per-example Dot(axes=1) of "
    "revision 13dcc614a61bd9f95fcb19f1f451934226ef0db0",
)

EMBEDDING_SIZE = 50


class RecommenderNet(keras.Model):
    def __init__(self, num_users, num_movies, embedding_size, **kwargs):
        super().__init__(**kwargs)
        self.user_embedding = layers.Embedding(
            num_users,
            embedding_size,
            embeddings_initializer="he_normal",
            embeddings_regularizer=keras.regularizers.l2(1e-6),
        )
        self.user_bias = layers.Embedding(num_users, 1)
        self.movie_embedding = layers.Embedding(
            num_movies,
            embedding_size,
            embeddings_initializer="he_normal",
            embeddings_regularizer=keras.regularizers.l2(1e-6),
        )
        self.movie_bias = layers.Embedding(num_movies, 1)

    def call(self, inputs):
        user_vector = self.user_embedding(inputs[:, 0])
        user_bias = self.user_bias(inputs[:, 0])
        movie_vector = self.movie_embedding(inputs[:, 1])
        movie_bias = self.movie_bias(inputs[:, 1])
        dot_user_movie = layers.Dot(axes=1)([user_vector, movie_vector])
        x = dot_user_movie + user_bias + movie_bias
        return ops.nn.sigmoid(x)


def build_as_written():
    model = RecommenderNet(ML_LATEST_SMALL_USERS, ML_LATEST_SMALL_MOVIES, EMBEDDING_SIZE)
    model(ops.zeros((1, 2), dtype="int64"))
    return model


def build():
    pair = layers.Input(shape=(2,), dtype="int64", name="pair")
    user, movie = pair[:, 0], pair[:, 1]
    regularized = dict(embeddings_initializer="he_normal", embeddings_regularizer=keras.regularizers.l2(1e-6))
    user_vector = layers.Embedding(
        ML_LATEST_SMALL_USERS, EMBEDDING_SIZE, name="user_embedding", **regularized
    )(user)
    user_bias = layers.Embedding(ML_LATEST_SMALL_USERS, 1, name="user_bias")(user)
    movie_vector = layers.Embedding(
        ML_LATEST_SMALL_MOVIES, EMBEDDING_SIZE, name="movie_embedding", **regularized
    )(movie)
    movie_bias = layers.Embedding(ML_LATEST_SMALL_MOVIES, 1, name="movie_bias")(movie)
    score = layers.Dot(axes=1)([user_vector, movie_vector])
    x = layers.Add()([layers.Add()([score, user_bias]), movie_bias])
    return keras.Model(pair, layers.Activation("sigmoid")(x))


def copy(as_written, flat):
    for name in ("user_embedding", "user_bias", "movie_embedding", "movie_bias"):
        flat.get_layer(name).set_weights(getattr(as_written, name).get_weights())


def counts():
    return c.total(
        c.embedding(ML_LATEST_SMALL_USERS, EMBEDDING_SIZE),
        c.embedding(ML_LATEST_SMALL_USERS, 1),
        c.embedding(ML_LATEST_SMALL_MOVIES, EMBEDDING_SIZE),
        c.embedding(ML_LATEST_SMALL_MOVIES, 1),
    )


def rows(n, seed):
    g = c.rng(seed)
    users = c.indices(g, ML_LATEST_SMALL_USERS, n, (1,))
    movies = c.indices(g, ML_LATEST_SMALL_MOVIES, n, (1,))
    return {"pair": np.concatenate([users, movies], axis=1)}


def compile_args():
    return dict(loss=keras.losses.BinaryCrossentropy(), optimizer=keras.optimizers.Adam(learning_rate=0.001))


FIT = {"batch_size": 64, "epochs": 5}

REFERENCES = [
    c.Reference(
        "collaborative_filtering_movielens",
        "recommender_net",
        SOURCE,
        build,
        counts,
        rows,
        as_written=build_as_written,
        copy=copy,
        compile_args=compile_args,
        fit_args=FIT,
    )
]
