"""The compile section: losses, optimizers and metrics Keras 3 accepts.

Plain tables, checked against the installed Keras by tests/test_settings.py,
so that `check` can validate them without importing Keras.
"""

from __future__ import annotations

LOSSES = (
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "cosine_similarity",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mae",
    "mape",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "mse",
    "msle",
    "poisson",
    "sparse_categorical_crossentropy",
    "squared_hinge",
)

METRICS = (
    "accuracy",
    "auc",
    "binary_accuracy",
    "binary_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "categorical_hinge",
    "cosine_similarity",
    "f1_score",
    "hinge",
    "kl_divergence",
    "log_cosh_error",
    "mae",
    "mape",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "mse",
    "msle",
    "poisson",
    "precision",
    "r2_score",
    "recall",
    "root_mean_squared_error",
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy",
    "squared_hinge",
    "top_k_categorical_accuracy",
)

_COMMON = (
    "weight_decay",
    "clipnorm",
    "clipvalue",
    "global_clipnorm",
    "use_ema",
    "ema_momentum",
    "ema_overwrite_frequency",
    "loss_scale_factor",
    "gradient_accumulation_steps",
)

# optimizer -> (Keras class, the keyword arguments its constructor takes)
OPTIMIZERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "adam": ("Adam", ("learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad") + _COMMON),
    "adamw": ("AdamW", ("learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad") + _COMMON),
    "sgd": ("SGD", ("learning_rate", "momentum", "nesterov") + _COMMON),
    "rmsprop": ("RMSprop", ("learning_rate", "rho", "momentum", "epsilon", "centered") + _COMMON),
    "adagrad": ("Adagrad", ("learning_rate", "initial_accumulator_value", "epsilon") + _COMMON),
    "adadelta": ("Adadelta", ("learning_rate", "rho", "epsilon") + _COMMON),
    "adamax": ("Adamax", ("learning_rate", "beta_1", "beta_2", "epsilon") + _COMMON),
    "nadam": ("Nadam", ("learning_rate", "beta_1", "beta_2", "epsilon") + _COMMON),
    "ftrl": (
        "Ftrl",
        (
            "learning_rate",
            "learning_rate_power",
            "initial_accumulator_value",
            "l1_regularization_strength",
            "l2_regularization_strength",
            "l2_shrinkage_regularization_strength",
            "beta",
        )
        + _COMMON,
    ),
    "lion": ("Lion", ("learning_rate", "beta_1", "beta_2") + _COMMON),
}

BOOL_OPTIMIZER_ARGS = {"amsgrad", "nesterov", "centered", "use_ema"}
INT_OPTIMIZER_ARGS = {"ema_overwrite_frequency", "gradient_accumulation_steps"}
POSITIVE_OPTIMIZER_ARGS = {"learning_rate", "epsilon", "clipnorm", "clipvalue", "global_clipnorm"}
# at most one of these (Keras refuses two)
CLIP_ARGS = ("clipnorm", "clipvalue", "global_clipnorm")

# (optimizer or "*", argument) -> (test, what it accepts): the checks Keras
# makes in its constructors, made here before TensorFlow loads. Arguments not
# listed must be >= 0 (POSITIVE ones > 0).
OPTIMIZER_LIMITS = {
    ("*", "momentum"): (lambda v: 0 <= v <= 1, "from 0 to 1"),
    ("*", "ema_momentum"): (lambda v: 0 <= v <= 1, "from 0 to 1"),
    ("*", "rho"): (lambda v: 0 <= v <= 1, "from 0 to 1"),
    ("*", "gradient_accumulation_steps"): (lambda v: v >= 2, "an integer of at least 2"),
    ("*", "beta_1"): (lambda v: 0 <= v <= 1, "from 0 to 1"),
    ("*", "beta_2"): (lambda v: 0 <= v <= 1, "from 0 to 1"),
    ("lion", "beta_1"): (lambda v: 0 < v <= 1, "greater than 0 and at most 1"),
    ("ftrl", "learning_rate_power"): (lambda v: v <= 0, "0 or less"),
}

# Short names people carry over from Keras 2 tutorials -> the name netdsl knows.
METRIC_ALIASES = {"acc": "accuracy", "ce": "categorical_crossentropy"}
