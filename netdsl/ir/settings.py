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
    "false_negatives",
    "false_positives",
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
    "true_negatives",
    "true_positives",
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
# makes in its constructors, and the ranges outside which training cannot
# work though Keras accepts them (beta_1=1 divides by 1 - beta_1**t = 0;
# rho=1 or momentum=1 never forget), made here before TensorFlow loads.
# Arguments not listed must be >= 0 (POSITIVE ones > 0).
OPTIMIZER_LIMITS = {
    ("*", "momentum"): (lambda v: 0 <= v < 1, "from 0 up to 1 (1 excluded)"),
    ("*", "ema_momentum"): (lambda v: 0 <= v <= 1, "from 0 to 1"),
    ("*", "rho"): (lambda v: 0 <= v < 1, "from 0 up to 1 (1 excluded)"),
    ("*", "gradient_accumulation_steps"): (lambda v: v >= 2, "an integer of at least 2"),
    ("*", "beta_1"): (lambda v: 0 <= v < 1, "from 0 up to 1 (1 excluded)"),
    ("*", "beta_2"): (lambda v: 0 <= v < 1, "from 0 up to 1 (1 excluded)"),
    ("lion", "beta_1"): (lambda v: 0 < v <= 1, "greater than 0 and at most 1"),
    ("lion", "beta_2"): (lambda v: 0 <= v <= 1, "from 0 to 1"),
    ("ftrl", "learning_rate_power"): (lambda v: v <= 0, "0 or less"),
}

# Labels: a sparse loss is given class indices, every other loss one column
# per unit (one-hot classes, 0/1, or the value itself). A metric sees the same
# labels as its output's loss, so it must expect the same form.
SPARSE_LOSSES = ("sparse_categorical_crossentropy",)
SPARSE_METRICS = (
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy",
)
ANY_LABEL_METRICS = ("accuracy",)  # Keras picks the variant from the loss

# Losses that train a regression, and metrics that only mean something for
# classes: together they report a meaningless number (a warning).
REGRESSION_LOSSES = (
    "cosine_similarity",
    "huber",
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
)
# What a search ranks trials by: the metrics for which more is better (the
# others are errors and losses), and those Keras reports per class (a list,
# not one score).
HIGHER_IS_BETTER_METRICS = frozenset(
    {
        "accuracy",
        "auc",
        "binary_accuracy",
        "categorical_accuracy",
        "cosine_similarity",
        "precision",
        "r2_score",
        "recall",
        "sparse_categorical_accuracy",
        "sparse_top_k_categorical_accuracy",
        "top_k_categorical_accuracy",
        "true_negatives",
        "true_positives",
    }
)
PER_CLASS_METRICS = frozenset({"f1_score"})
CLASSIFICATION_METRICS = (
    "accuracy",
    "auc",
    "binary_accuracy",
    "categorical_accuracy",
    "f1_score",
    "false_negatives",
    "false_positives",
    "precision",
    "recall",
    "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
    "true_negatives",
    "true_positives",
)


def metric_problem(metric: str | None, loss: str) -> tuple[str, str, str] | None:
    """(severity, message, help) when `metric` does not fit labels made for `loss`."""
    if metric not in METRICS or loss not in LOSSES or metric in ANY_LABEL_METRICS and loss in SPARSE_LOSSES:
        return None
    if loss in SPARSE_LOSSES and metric not in SPARSE_METRICS + ANY_LABEL_METRICS:
        sparse = "sparse_" + metric
        return (
            "error",
            f"metric '{metric}' needs one column per class, but {loss} is given class indices",
            f"use '{sparse}'"
            if sparse in METRICS
            else "use loss=categorical_crossentropy (the same loss "
            "on one-hot labels), which every metric can follow",
        )
    if loss not in SPARSE_LOSSES and metric in SPARSE_METRICS:
        return (
            "error",
            f"metric '{metric}' needs class indices, but {loss} is given one column per unit",
            f"use '{metric.removeprefix('sparse_')}'",
        )
    if loss in REGRESSION_LOSSES and metric in CLASSIFICATION_METRICS:
        return (
            "warning",
            f"metric '{metric}' counts correct classes, but {loss} trains a regression: it will say nothing",
            "use a regression metric such as mae or root_mean_squared_error",
        )
    return None


# Short names people carry over from Keras 2 tutorials -> the name netdsl knows.
METRIC_ALIASES = {"acc": "accuracy", "ce": "categorical_crossentropy"}
