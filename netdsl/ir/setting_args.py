"""Losses and metrics with arguments, and Keras's class spellings
(`BinaryCrossentropy(from_logits=true)`, `AUC(curve=PR)`, `FalseNegatives(name=fn)`).

For each loss and metric netdsl knows (ir/settings.py), the Keras class it
becomes and the constructor arguments a spec may give, as data (checked
against the installed Keras by tests/test_compile_args.py; `check` never
imports it). `reduction` and `dtype` are left out: they change how Keras
computes, not what.
"""

from __future__ import annotations

from typing import Any

from .options import OptionArg, OptionClass

_LOGITS = OptionArg("from_logits", "bool", False)
_SMOOTHING = OptionArg("label_smoothing", "float", 0.0)
_AXIS = OptionArg("axis", "int", -1)
_NAME = OptionArg("name", "text")


def _c(class_name: str, *args: OptionArg) -> OptionClass:
    return OptionClass(class_name, args)


LOSS_CLASSES: dict[str, OptionClass] = {
    "binary_crossentropy": _c("BinaryCrossentropy", _LOGITS, _SMOOTHING, _AXIS),
    "binary_focal_crossentropy": _c(
        "BinaryFocalCrossentropy",
        OptionArg("apply_class_balancing", "bool", False),
        OptionArg("alpha", "float", 0.25),
        OptionArg("gamma", "float", 2.0),
        _LOGITS,
        _SMOOTHING,
        _AXIS,
    ),
    "categorical_crossentropy": _c("CategoricalCrossentropy", _LOGITS, _SMOOTHING, _AXIS),
    "categorical_focal_crossentropy": _c(
        "CategoricalFocalCrossentropy",
        OptionArg("alpha", "float", 0.25),
        OptionArg("gamma", "float", 2.0),
        _LOGITS,
        _SMOOTHING,
        _AXIS,
    ),
    "categorical_hinge": _c("CategoricalHinge"),
    "cosine_similarity": _c("CosineSimilarity", _AXIS),
    "hinge": _c("Hinge"),
    "huber": _c("Huber", OptionArg("delta", "float", 1.0)),
    "kl_divergence": _c("KLDivergence"),
    "log_cosh": _c("LogCosh"),
    "mae": _c("MeanAbsoluteError"),
    "mape": _c("MeanAbsolutePercentageError"),
    "mean_absolute_error": _c("MeanAbsoluteError"),
    "mean_absolute_percentage_error": _c("MeanAbsolutePercentageError"),
    "mean_squared_error": _c("MeanSquaredError"),
    "mean_squared_logarithmic_error": _c("MeanSquaredLogarithmicError"),
    "mse": _c("MeanSquaredError"),
    "msle": _c("MeanSquaredLogarithmicError"),
    "poisson": _c("Poisson"),
    "sparse_categorical_crossentropy": _c(
        "SparseCategoricalCrossentropy", _LOGITS, OptionArg("ignore_class", "int"), _AXIS
    ),
    "squared_hinge": _c("SquaredHinge"),
}

_THRESHOLDS = OptionArg("thresholds", "float")
_COUNT = (_THRESHOLDS, _NAME)

METRIC_CLASSES: dict[str, OptionClass] = {
    "accuracy": _c("Accuracy", _NAME),
    "auc": _c(
        "AUC",
        OptionArg("num_thresholds", "int", 200),
        OptionArg("curve", ("ROC", "PR"), "ROC"),
        OptionArg("summation_method", ("interpolation", "minoring", "majoring"), "interpolation"),
        _NAME,
        OptionArg("multi_label", "bool", False),
        _LOGITS,
    ),
    "binary_accuracy": _c("BinaryAccuracy", _NAME, OptionArg("threshold", "float", 0.5)),
    "binary_crossentropy": _c("BinaryCrossentropy", _NAME, _LOGITS, _SMOOTHING),
    "categorical_accuracy": _c("CategoricalAccuracy", _NAME),
    "categorical_crossentropy": _c("CategoricalCrossentropy", _NAME, _LOGITS, _SMOOTHING, _AXIS),
    "categorical_hinge": _c("CategoricalHinge", _NAME),
    "cosine_similarity": _c("CosineSimilarity", _NAME, _AXIS),
    "f1_score": _c(
        "F1Score",
        OptionArg("average", ("micro", "macro", "weighted")),
        OptionArg("threshold", "float"),
        _NAME,
    ),
    "false_negatives": _c("FalseNegatives", *_COUNT),
    "false_positives": _c("FalsePositives", *_COUNT),
    "hinge": _c("Hinge", _NAME),
    "kl_divergence": _c("KLDivergence", _NAME),
    "log_cosh_error": _c("LogCoshError", _NAME),
    "mae": _c("MeanAbsoluteError", _NAME),
    "mape": _c("MeanAbsolutePercentageError", _NAME),
    "mean_absolute_error": _c("MeanAbsoluteError", _NAME),
    "mean_absolute_percentage_error": _c("MeanAbsolutePercentageError", _NAME),
    "mean_squared_error": _c("MeanSquaredError", _NAME),
    "mean_squared_logarithmic_error": _c("MeanSquaredLogarithmicError", _NAME),
    "mse": _c("MeanSquaredError", _NAME),
    "msle": _c("MeanSquaredLogarithmicError", _NAME),
    "poisson": _c("Poisson", _NAME),
    "precision": _c("Precision", _THRESHOLDS, OptionArg("top_k", "int"), OptionArg("class_id", "int"), _NAME),
    "r2_score": _c(
        "R2Score",
        OptionArg("class_aggregation", ("uniform_average", "variance_weighted_average"), "uniform_average"),
        OptionArg("num_regressors", "int", 0),
        _NAME,
    ),
    "recall": _c("Recall", _THRESHOLDS, OptionArg("top_k", "int"), OptionArg("class_id", "int"), _NAME),
    "root_mean_squared_error": _c("RootMeanSquaredError", _NAME),
    "sparse_categorical_accuracy": _c("SparseCategoricalAccuracy", _NAME),
    "sparse_categorical_crossentropy": _c(
        "SparseCategoricalCrossentropy", _NAME, _LOGITS, OptionArg("ignore_class", "int"), _AXIS
    ),
    "sparse_top_k_categorical_accuracy": _c("SparseTopKCategoricalAccuracy", OptionArg("k", "int", 5), _NAME),
    "squared_hinge": _c("SquaredHinge", _NAME),
    "top_k_categorical_accuracy": _c("TopKCategoricalAccuracy", OptionArg("k", "int", 5), _NAME),
    "true_negatives": _c("TrueNegatives", *_COUNT),
    "true_positives": _c("TruePositives", *_COUNT),
}


def _spellings(table: dict[str, OptionClass]) -> dict[str, str]:
    """Keras class name -> the first (longest-named) snake name of that class."""
    out: dict[str, str] = {}
    for snake, entry in sorted(table.items(), key=lambda kv: -len(kv[0])):
        out.setdefault(entry.class_name, snake)
    return out


LOSS_SPELLINGS = _spellings(LOSS_CLASSES)  # "BinaryCrossentropy" -> "binary_crossentropy"
METRIC_SPELLINGS = _spellings(METRIC_CLASSES)

# Losses that expect probabilities unless told `from_logits=true`.
PROBABILITY_LOSSES = (
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "sparse_categorical_crossentropy",
)


class Setting(str):
    """A loss or metric as the compile line gives it: the str is its snake name
    (what the rest of netdsl compares: `settings.LOSSES`), `class_name` is set
    when Keras must get an instance of the class (written as a class, or with
    arguments), `args` holds the arguments given, in the class's order."""

    class_name: str | None
    args: tuple[tuple[str, Any], ...]

    def __new__(cls, name: str, class_name: str | None = None, args: tuple[tuple[str, Any], ...] = ()):
        self = super().__new__(cls, name)
        self.class_name, self.args = class_name, args
        return self

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.args)

    @property
    def result_key(self) -> str:
        """What Keras calls its value in the history: its `name=`, else its snake name."""
        return str(self.config.get("name", self))

    def text(self) -> str:
        """As a compile line writes it: `BinaryCrossentropy(from_logits=true)`, `auc`."""
        head = self.class_name or str(self)
        if not self.args:
            return head if self.class_name is None else f"{head}()"
        return f"{head}(" + ", ".join(f"{k}={_text(v)}" for k, v in self.args) + ")"

    def __reduce__(self):  # a str subclass with fields: pickled (by multiprocessing) with them
        return (Setting, (str(self), self.class_name, self.args))


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return f"{v:g}" if isinstance(v, float) else str(v)
