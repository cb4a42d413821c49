"""Train-line settings that are more than a number: `class_weight` (a weight per
class, or `balanced`).

Checked here without Keras; the labels a map names are checked against the
data where the data is read (data/tables.py, apps/training.py), and the map is
given to `model.fit` by class index (backends/keras.py).
"""

from __future__ import annotations

from typing import Any

from ..lang import ast, codes
from ..lang.diagnostics import Diagnostic, Note, did_you_mean, error
from .core import Network, TrainSettings
from .settings import REGRESSION_LOSSES
from .values import describe

BALANCED = "balanced"
_CLASS_WEIGHT_EXAMPLE = "e.g. class_weight={setosa: 1.0, versicolor: 2.0}, or class_weight=balanced"


def check_class_weight(atom: Any, net: Network, fit: TrainSettings, diags: list[Diagnostic]) -> None:
    """`class_weight=balanced` or `class_weight={label: weight, ...}`: fills fit.class_weight
    (and the labels' spans, for the check against the data)."""
    if not _one_class_output(atom, net, diags):
        return
    name = atom.name if isinstance(atom, ast.Ref) else atom.value if isinstance(atom, ast.String) else None
    if name == BALANCED:
        fit.class_weight = BALANCED
        return
    if not isinstance(atom, ast.DictLit):
        hint = did_you_mean(name, [BALANCED]) if name is not None else None
        diags.append(
            error(
                codes.BAD_TRAIN_SETTING,
                f"class_weight is a weight per class or balanced, got {describe(atom)}",
                atom.span,
                help=hint or _CLASS_WEIGHT_EXAMPLE,
            )
        )
        return
    weights: dict[str, float] = {}
    spans: dict = {}
    for pair in atom.pairs:
        label = pair.key.text
        value = ast.unwrap(pair.value) if pair.value is not None else None
        first = next((p.key.span for p in atom.pairs if p.key.text == label), pair.key.span)
        if first != pair.key.span:
            diags.append(
                error(
                    codes.BAD_TRAIN_SETTING,
                    f"class '{label}' is given a weight twice",
                    pair.key.span,
                    notes=[Note("first given here", first)],
                )
            )
        elif not isinstance(value, ast.Number) or not _is_weight(value):
            got = describe(value) if value is not None else "no weight"
            diags.append(
                error(
                    codes.BAD_TRAIN_SETTING,
                    f"a class weight is a number >= 0, got {got}",
                    value.span if value is not None else pair.span,
                    help=_CLASS_WEIGHT_EXAMPLE,
                )
            )
        else:
            weights[label], spans[label] = float(value.value), pair.key.span
    if len(weights) == len(atom.pairs):
        fit.class_weight, fit.class_weight_spans = weights, spans


def _is_weight(value: Any) -> bool:
    from .ops import is_finite_number

    return isinstance(value, ast.Number) and is_finite_number(value.value) and value.value >= 0


def _one_class_output(atom: Any, net: Network, diags: list[Diagnostic]) -> bool:
    """Keras weighs the classes of a single output, trained as a classification."""
    if len(net.outputs) != 1:
        diags.append(
            error(
                codes.BAD_TRAIN_SETTING,
                f"class_weight weighs the classes of one output, but the network has {len(net.outputs)}",
                atom.span,
                help="Keras's model.fit takes class_weight only for a model with one output",
            )
        )
        return False
    loss = net.compile.loss if net.compile is not None else None
    if isinstance(loss, dict):
        loss = next(iter(loss.values()), None)
    if isinstance(loss, str) and loss in REGRESSION_LOSSES:
        diags.append(
            error(
                codes.BAD_TRAIN_SETTING,
                f"class_weight weighs classes, but {loss} trains a regression",
                atom.span,
                help="use a classification loss (categorical_crossentropy, ...), or drop class_weight",
            )
        )
        return False
    return True


def unknown_class_weight_labels(fit: TrainSettings, classes: list, column: str) -> list[Diagnostic]:
    """The labels of a class_weight map that are not classes of the label column (ND613)."""
    if not isinstance(fit.class_weight, dict):
        return []
    known = [str(c) for c in classes]
    diags = []
    for label, span in fit.class_weight_spans.items():
        if label not in known:
            shown = ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")
            diags.append(
                error(
                    codes.UNKNOWN_CLASS,
                    f"class_weight names class '{label}', which label column '{column}' does not have",
                    span,
                    help=did_you_mean(label, known) or f"its classes: {shown}",
                )
            )
    return diags


def class_weight_by_index(fit: TrainSettings, classes: list, train_labels: Any) -> dict[int, float] | None:
    """What model.fit takes: {class index: weight}. A map gives 1.0 to the classes it
    does not name; `balanced` is n_samples / (n_classes * count) over `train_labels`
    (class indices of the rows given to fit), as sklearn's compute_class_weight."""
    import numpy as np

    if fit.class_weight is None:
        return None
    if isinstance(fit.class_weight, dict):
        given = fit.class_weight
        return {i: given.get(str(c), 1.0) for i, c in enumerate(classes)}
    counts = np.bincount(np.asarray(train_labels, dtype="int64"), minlength=len(classes))
    n, k = int(counts.sum()), len(classes)
    return {i: float(n / (k * c)) if c else 1.0 for i, c in enumerate(counts.tolist())}
