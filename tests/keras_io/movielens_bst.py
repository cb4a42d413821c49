"""movielens_recommendations_transformers: the Behavior Sequence Transformer (MovieLens 1M).

Revision ef4cd453 of the script, its tf ops ported to keras.ops as its Keras 3
revision (header "Last modified: 2023/10/25") writes them, at its settings:
sequence_length 4, include_user_id / include_user_features / include_movie_features all
False, hidden [256, 128], dropout 0.1, 3 heads.
The model still declares all seven inputs (four of them unused). One
StringLookup and one Embedding(3883, int(sqrt(3883)) = 62) are shared by the
target movie (1,) and the sequence (3,); `genres_vector` and the genre Dense
are created but unused. The sequence embeddings get a position embedding
added and are multiplied by their ratings (Multiply broadcasting (3, 62) by
(3, 1)); unstack + expand_dims + concatenate with the target give (4, 62);
then one transformer block (MultiHeadAttention(3, key_dim 62, dropout 0.1)
on (x, x), Dropout, Add, LayerNormalization, LeakyReLU, Dense(62), Dropout,
Add, LayerNormalization), Flatten, and Dense/BatchNormalization/LeakyReLU/
Dropout for 256 and 128 units, then Dense(1).

Measured: the position embedding is called on `keras.ops.arange(...)`, a
concrete tensor, so Keras runs it once at build time: the model adds a
frozen random constant (3, 62) and `position_embedding` is not a layer of
the model (0 parameters), a behaviour of the script under Keras 3 (tf.keras
did the same with `tf.range`: an eager call, its result a captured constant).

`bst_positions_in_graph` is the model the script describes ("A positional
embedding is added to each movie embedding"): the positions 0..2 computed
from the sequence inside the graph (`zeros_like(x[:, :, 0], int32) +
arange(3)`), so that `position_embedding`, Embedding(4, 62), is a layer of
the model (+248 parameters); and the unstack / expand_dims / concatenate of
the three sequence rows and the target as the one concatenate on axis 1 it
computes. `literal_positions(literal, in_graph)` copies the literal model's
weights and its frozen constant into it: both then predict the same.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers
from keras.layers import StringLookup

from . import common as c
from .vocabularies import ML_1M_AGE_GROUPS, ML_1M_MOVIES, ML_1M_OCCUPATIONS, ML_1M_SEX, ML_1M_USERS

SOURCE = c.Source(
    "examples/structured_data/movielens_recommendations_transformers.py",
    "ef4cd453400aae442632ffdba260673ecc09500a",
    "2020/12/30",
    "tf.range / tf.expand_dims / tf.unstack ported to keras.ops (the Keras 3 revision, 2023/10/25, "
    "does the same; its commit is not in the code index)",
)

SEQUENCE_LENGTH = 4
HIDDEN_UNITS = [256, 128]
DROPOUT_RATE = 0.1
NUM_HEADS = 3
GENRES = 18

CATEGORICAL_FEATURES_WITH_VOCABULARY = {
    "user_id": [f"user_{i + 1}" for i in range(ML_1M_USERS)],
    "movie_id": [f"movie_{i + 1}" for i in range(ML_1M_MOVIES)],
    "sex": ML_1M_SEX,
    "age_group": ML_1M_AGE_GROUPS,
    "occupation": ML_1M_OCCUPATIONS,
}
USER_FEATURES = ["sex", "age_group", "occupation"]
MOVIE_DIMS = int(math.sqrt(ML_1M_MOVIES))  # 62


def create_model_inputs():
    return {
        "user_id": layers.Input(name="user_id", shape=(1,), dtype="string"),
        "sequence_movie_ids": layers.Input(
            name="sequence_movie_ids", shape=(SEQUENCE_LENGTH - 1,), dtype="string"
        ),
        "target_movie_id": layers.Input(name="target_movie_id", shape=(1,), dtype="string"),
        "sequence_ratings": layers.Input(
            name="sequence_ratings", shape=(SEQUENCE_LENGTH - 1,), dtype="float32"
        ),
        "sex": layers.Input(name="sex", shape=(1,), dtype="string"),
        "age_group": layers.Input(name="age_group", shape=(1,), dtype="string"),
        "occupation": layers.Input(name="occupation", shape=(1,), dtype="string"),
    }


def encode_input_features(inputs, include_user_id, include_user_features, include_movie_features):
    encoded_transformer_features = []
    encoded_other_features = []
    other_feature_names = (["user_id"] if include_user_id else []) + (
        USER_FEATURES if include_user_features else []
    )
    for name in other_feature_names:
        vocabulary = CATEGORICAL_FEATURES_WITH_VOCABULARY[name]
        idx = StringLookup(vocabulary=vocabulary, mask_token=None, num_oov_indices=0)(inputs[name])
        embedding_dims = int(math.sqrt(len(vocabulary)))
        encoder = layers.Embedding(
            input_dim=len(vocabulary), output_dim=embedding_dims, name=f"{name}_embedding"
        )
        encoded_other_features.append(encoder(idx))
    if len(encoded_other_features) > 1:
        encoded_other_features = layers.concatenate(encoded_other_features)
    elif len(encoded_other_features) == 1:
        encoded_other_features = encoded_other_features[0]
    else:
        encoded_other_features = None

    movie_vocabulary = CATEGORICAL_FEATURES_WITH_VOCABULARY["movie_id"]
    movie_embedding_dims = int(math.sqrt(len(movie_vocabulary)))
    movie_index_lookup = StringLookup(
        vocabulary=movie_vocabulary, mask_token=None, num_oov_indices=0, name="movie_index_lookup"
    )
    movie_embedding_encoder = layers.Embedding(
        input_dim=len(movie_vocabulary), output_dim=movie_embedding_dims, name="movie_embedding"
    )
    genre_vectors = (np.arange(ML_1M_MOVIES * GENRES).reshape(ML_1M_MOVIES, GENRES) % 7 == 0).astype("int64")
    movie_genres_lookup = layers.Embedding(
        input_dim=genre_vectors.shape[0],
        output_dim=genre_vectors.shape[1],
        embeddings_initializer=keras.initializers.Constant(genre_vectors),
        trainable=False,
        name="genres_vector",
    )
    movie_embedding_processor = layers.Dense(
        units=movie_embedding_dims, activation="relu", name="process_movie_embedding_with_genres"
    )

    def encode_movie(movie_id):
        movie_idx = movie_index_lookup(movie_id)
        movie_embedding = movie_embedding_encoder(movie_idx)
        encoded_movie = movie_embedding
        if include_movie_features:
            movie_genres_vector = movie_genres_lookup(movie_idx)
            encoded_movie = movie_embedding_processor(
                layers.concatenate([movie_embedding, movie_genres_vector])
            )
        return encoded_movie

    encoded_target_movie = encode_movie(inputs["target_movie_id"])
    encoded_sequence_movies = encode_movie(inputs["sequence_movie_ids"])
    position_embedding_encoder = layers.Embedding(
        input_dim=SEQUENCE_LENGTH, output_dim=movie_embedding_dims, name="position_embedding"
    )
    positions = keras.ops.arange(start=0, stop=SEQUENCE_LENGTH - 1, step=1)
    encodded_positions = position_embedding_encoder(positions)
    sequence_ratings = keras.ops.expand_dims(inputs["sequence_ratings"], -1)
    encoded_sequence_movies_with_poistion_and_rating = layers.Multiply()(
        [(encoded_sequence_movies + encodded_positions), sequence_ratings]
    )
    for encoded_movie in keras.ops.unstack(encoded_sequence_movies_with_poistion_and_rating, axis=1):
        encoded_transformer_features.append(keras.ops.expand_dims(encoded_movie, 1))
    encoded_transformer_features.append(encoded_target_movie)
    encoded_transformer_features = layers.concatenate(encoded_transformer_features, axis=1)
    return encoded_transformer_features, encoded_other_features


def build():
    inputs = create_model_inputs()
    transformer_features, other_features = encode_input_features(inputs, False, False, False)
    return transformer_model(inputs, transformer_features, other_features)


def transformer_model(inputs, transformer_features, other_features):
    attention_output = layers.MultiHeadAttention(
        num_heads=NUM_HEADS, key_dim=transformer_features.shape[2], dropout=DROPOUT_RATE
    )(transformer_features, transformer_features)
    attention_output = layers.Dropout(DROPOUT_RATE)(attention_output)
    x1 = layers.Add()([transformer_features, attention_output])
    x1 = layers.LayerNormalization()(x1)
    x2 = layers.LeakyReLU()(x1)
    x2 = layers.Dense(units=x2.shape[-1])(x2)
    x2 = layers.Dropout(DROPOUT_RATE)(x2)
    transformer_features = layers.Add()([x1, x2])
    transformer_features = layers.LayerNormalization()(transformer_features)
    features = layers.Flatten()(transformer_features)
    if other_features is not None:
        features = layers.concatenate([features, layers.Reshape([other_features.shape[-1]])(other_features)])
    for num_units in HIDDEN_UNITS:
        features = layers.Dense(num_units)(features)
        features = layers.BatchNormalization()(features)
        features = layers.LeakyReLU()(features)
        features = layers.Dropout(DROPOUT_RATE)(features)
    outputs = layers.Dense(units=1)(features)
    return keras.Model(inputs=inputs, outputs=outputs)


def build_positions_in_graph():
    """The script's model with its positions computed in the graph (module docstring)."""
    inputs = create_model_inputs()
    vocabulary = CATEGORICAL_FEATURES_WITH_VOCABULARY["movie_id"]
    lookup = StringLookup(
        vocabulary=vocabulary, mask_token=None, num_oov_indices=0, name="movie_index_lookup"
    )
    embedding = layers.Embedding(input_dim=len(vocabulary), output_dim=MOVIE_DIMS, name="movie_embedding")
    encoded_target_movie = embedding(lookup(inputs["target_movie_id"]))
    encoded_sequence_movies = embedding(lookup(inputs["sequence_movie_ids"]))
    positions = keras.ops.add(
        keras.ops.zeros_like(encoded_sequence_movies[:, :, 0], dtype="int32"),
        np.arange(SEQUENCE_LENGTH - 1, dtype="int32"),
    )
    position_embedding_encoder = layers.Embedding(
        input_dim=SEQUENCE_LENGTH, output_dim=MOVIE_DIMS, name="position_embedding"
    )
    encodded_positions = position_embedding_encoder(positions)
    sequence_ratings = keras.ops.expand_dims(inputs["sequence_ratings"], -1)
    weighted = layers.Multiply()([(encoded_sequence_movies + encodded_positions), sequence_ratings])
    transformer_features = layers.concatenate([weighted, encoded_target_movie], axis=1)
    return transformer_model(inputs, transformer_features, None)


def literal_positions(literal, in_graph):
    """Give `in_graph` the literal model's weights (its layers in creation order, one for one)
    and, as rows 0..2 of its position embedding, the constant the literal model adds."""
    constant = next(
        op._inbound_nodes[0].arguments.args[1]
        for op in literal.operations
        if type(op).__name__ == "Add" and not isinstance(op, layers.Layer)
    )
    theirs = [layer for layer in literal.layers if layer.weights]
    ours = [layer for layer in in_graph.layers if layer.weights and layer.name != "position_embedding"]
    assert [type(layer) for layer in theirs] == [type(layer) for layer in ours]
    for a, b in zip(theirs, ours, strict=True):
        b.set_weights(a.get_weights())
    table = in_graph.get_layer("position_embedding")
    rows = table.get_weights()[0]
    rows[: SEQUENCE_LENGTH - 1] = np.asarray(constant)
    table.set_weights([rows])


def counts():
    d = MOVIE_DIMS
    flat = SEQUENCE_LENGTH * d
    return c.total(
        c.embedding(ML_1M_MOVIES, d),
        c.multi_head_attention(NUM_HEADS, d, d),
        c.layernorm(d),
        c.dense(d, d),
        c.layernorm(d),
        c.dense(flat, HIDDEN_UNITS[0]),
        c.batchnorm(HIDDEN_UNITS[0]),
        c.dense(HIDDEN_UNITS[0], HIDDEN_UNITS[1]),
        c.batchnorm(HIDDEN_UNITS[1]),
        c.dense(HIDDEN_UNITS[1], 1),
    )


def rows(n, seed):
    g = c.rng(seed)
    vocab = CATEGORICAL_FEATURES_WITH_VOCABULARY
    return {
        "user_id": c.choices(g, vocab["user_id"], n, (1,)),
        "sequence_movie_ids": c.choices(g, vocab["movie_id"], n, (SEQUENCE_LENGTH - 1,)),
        "target_movie_id": c.choices(g, vocab["movie_id"], n, (1,)),
        "sequence_ratings": g.integers(1, 6, size=(n, SEQUENCE_LENGTH - 1)).astype("float32"),
        "sex": c.choices(g, ML_1M_SEX, n, (1,)),
        "age_group": c.choices(g, ML_1M_AGE_GROUPS, n, (1,)),
        "occupation": c.choices(g, ML_1M_OCCUPATIONS, n, (1,)),
    }


def compile_args():
    return dict(
        optimizer=keras.optimizers.Adagrad(learning_rate=0.01),
        loss=keras.losses.MeanSquaredError(),
        metrics=[keras.metrics.MeanAbsoluteError()],
    )


FIT = {"batch_size": 265, "epochs": 5}

REFERENCES = [
    c.Reference(
        "movielens_recommendations_transformers",
        "bst",
        SOURCE,
        build,
        counts,
        rows,
        compile_args=compile_args,
        fit_args=FIT,
    ),
    c.Reference(
        "movielens_recommendations_transformers",
        "bst_positions_in_graph",
        SOURCE,
        build_positions_in_graph,
        lambda: c.total(counts(), c.embedding(SEQUENCE_LENGTH, MOVIE_DIMS)),
        rows,
        compile_args=compile_args,
        fit_args=FIT,
    ),
]
