"""Evaluation reports: how good a trained model is on labelled rows.

Classification outputs get per-class precision, recall, F1 and support, their
macro and weighted averages, accuracy and a confusion matrix; a binary output
(one sigmoid unit) also gets its ROC and precision-recall curves with their
areas. Regression outputs get MAE, RMSE and R². Everything here is NumPy on
arrays of labels and predictions: `train` reports its test rows with it and
`netdsl evaluate MODEL.keras` a whole file.

A class that is never predicted has precision 0 (and one never present recall
0), as scikit-learn reports it by default.
"""

from __future__ import annotations

import math

from ..data import arrow
from ..data.errors import located
from ..ir.core import network
from ..lang import codes


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else 0.0


def confusion(true_idx, pred_idx, n_classes: int):
    """Rows: true class; columns: predicted class."""
    import numpy as np

    m = np.zeros((n_classes, n_classes), dtype="int64")
    np.add.at(m, (np.asarray(true_idx, dtype="int64"), np.asarray(pred_idx, dtype="int64")), 1)
    return m


def classification_report(true_idx, scores, classes: list) -> dict:
    """`scores`: per-class probabilities (rows x classes), or one column of
    positive-class probabilities for a binary output (threshold 0.5)."""
    import numpy as np

    true_idx = np.asarray(true_idx, dtype="int64").reshape(-1)
    scores = np.asarray(scores, dtype="float64")
    binary = scores.ndim == 1 or scores.shape[1] == 1
    positive = scores.reshape(-1)  # used only when binary
    pred_idx = np.where(positive >= 0.5, 1, 0) if binary else scores.argmax(axis=1)
    m = confusion(true_idx, pred_idx, len(classes))
    per_class = []
    for k, name in enumerate(classes):
        tp, predicted, support = m[k, k], m[:, k].sum(), m[k, :].sum()
        precision, recall = _ratio(tp, predicted), _ratio(tp, support)
        f1 = _ratio(2 * precision * recall, precision + recall)
        per_class.append(
            {"class": name, "precision": precision, "recall": recall, "f1": f1, "support": int(support)}
        )
    report = {
        "kind": "classification",
        "rows": int(len(true_idx)),
        "classes": list(classes),
        "accuracy": _ratio(np.trace(m), m.sum()),
        "per_class": per_class,
        "macro_avg": _average(per_class, weighted=False),
        "weighted_avg": _average(per_class, weighted=True),
        "confusion": m.tolist(),
    }
    if binary:
        report["binary"] = binary_curves(true_idx, positive)
    return report


def _average(per_class: list[dict], weighted: bool) -> dict:
    total = sum(c["support"] for c in per_class)
    weight = [(c["support"] / total if total else 0.0) if weighted else 1 / len(per_class) for c in per_class]
    return {
        key: float(sum(w * c[key] for w, c in zip(weight, per_class)))
        for key in ("precision", "recall", "f1")
    } | {"support": total}


def binary_curves(true01, positive) -> dict:
    """ROC and precision-recall curves, one point per distinct score (ties
    move together), with the ROC area (trapezoids) and the average precision
    (the step sum, as scikit-learn computes it)."""
    import numpy as np

    y = np.asarray(true01, dtype="int64").reshape(-1)
    s = np.asarray(positive, dtype="float64").reshape(-1)
    order = np.argsort(-s, kind="stable")
    y, s = y[order], s[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # the last row of each run of equal scores
    tp = np.cumsum(y)[last]
    fp = (last + 1) - tp
    n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
    tpr = np.r_[0.0, tp / n_pos] if n_pos else np.zeros(len(tp) + 1)
    fpr = np.r_[0.0, fp / n_neg] if n_neg else np.zeros(len(fp) + 1)
    precision = tp / np.maximum(tp + fp, 1)
    recall = tp / n_pos if n_pos else np.zeros(len(tp))
    ap = float(np.sum(np.diff(np.r_[0.0, recall]) * precision)) if n_pos else 0.0
    return {
        "roc_auc": float(np.trapezoid(tpr, fpr)) if n_pos and n_neg else None,
        "average_precision": ap,
        "roc": {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": [math.inf] + s[last].tolist()},
        "pr": {"precision": precision.tolist(), "recall": recall.tolist(), "thresholds": s[last].tolist()},
    }


def regression_report(true, pred) -> dict:
    import numpy as np

    y = np.asarray(true, dtype="float64").reshape(-1)
    p = np.asarray(pred, dtype="float64").reshape(-1)
    residual = y - p
    total = float(((y - y.mean()) ** 2).sum())
    return {
        "kind": "regression",
        "rows": int(len(y)),
        "mae": float(np.abs(residual).mean()),
        "rmse": float(math.sqrt((residual**2).mean())),
        "r2": 1.0 - float((residual**2).sum()) / total if total else None,
        "residuals": {"predicted": p.tolist(), "residual": residual.tolist()},
    }


def output_report(encoding: str, classes: list | None, y_true, y_pred) -> dict:
    """The report of one output from its encoded labels and the model's predictions."""
    import numpy as np

    if encoding == "value":
        return regression_report(y_true, y_pred)
    y_true = np.asarray(y_true)
    true_idx = y_true.argmax(axis=1) if encoding == "one_hot" else y_true.reshape(-1).astype("int64")
    return classification_report(true_idx, y_pred, list(classes or []))


def predict(model, x: dict, batch_size: int = 1024) -> list:
    """The model's predictions, one array per output in the model's order.
    `x` maps the model's input keys (keras_inputs) to arrays. The model is
    called directly, batch by batch: model.predict would trace a new function
    for every model, which compare and tune build by the dozen."""
    import numpy as np

    from ..backends.keras import model_input

    n = len(next(iter(x.values())))
    parts: list[list] = []
    for start in range(0, n, batch_size):
        batch = {k: v[start : start + batch_size] for k, v in x.items()}
        out = model(model_input(model, batch), training=False)
        if isinstance(out, dict):
            out = [out[name] for name in model.output_names]
        parts.append([np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])])
    return [np.concatenate([p[k] for p in parts]) for k in range(len(parts[0]))]


REPORT_BATCH = 8192


def held_out_report(model, g, binding, inputs: dict, targets: dict, rows, batch_size: int) -> dict:
    """Per output: the report on `rows` (train's held-out test rows)."""
    import numpy as np

    from ..backends.keras import keras_names

    if not len(rows):
        return {}
    idx = np.asarray(rows, dtype="int64")
    names = keras_names(g)
    x = {k: v[idx] for k, v in inputs.items()}
    # Inference batches need not be training's: a few large calls cost far less than many small ones.
    batch = max(batch_size, REPORT_BATCH)
    predicted = dict(zip([names[o] for o in network(g).outputs], predict(model, x, batch)))
    return {
        t.output: output_report(t.encoding, t.classes, targets[t.output][idx], predicted[names[t.output]])
        for t in binding.targets
    }


# ---- the binding stored in a .keras archive ---------------------------------------------


def record_binding(path: str, g, binding) -> None:
    """Record in a saved .keras archive what `evaluate` and `predict` need to
    read a file for it without its spec: the columns of each Keras input and
    their types, the numeric columns the model fills, and how each output's
    labels are encoded."""
    from ..backends.archive import add_netdsl_entry
    from ..backends.keras import keras_names

    names = keras_names(g)
    targets = [
        {"output": names[t.output], "column": t.column, "encoding": t.encoding, "classes": t.classes}
        for t in binding.targets
    ]
    extra = {"kinds": dict(binding.kinds), "fillable": list(binding.fillable)}
    add_netdsl_entry(path, dict(binding.inputs), targets, extra)


def read_binding(path: str) -> dict | None:
    """netdsl's entry of a .keras archive when it has targets (netdsl's train
    wrote it); None otherwise. InputFileError when it is no .keras archive."""
    from ..backends.archive import read_archive

    entry = read_archive(path).netdsl
    return entry if isinstance(entry, dict) and isinstance(entry.get("targets"), list) else None


def read_labelled(entry: dict, path: str, config: dict | None = None) -> tuple[arrow.Table, dict, dict]:
    """The table, the model's inputs (by Keras input key) and the encoded labels
    (by Keras output name) read from the file at `path` as the model's training
    read its own data. DataError for a column it lacks or a cell it cannot use."""
    import numpy as np

    from .predict import check_columns, check_missing, model_arrays, plan_of_entry

    plan = plan_of_entry(path, entry, config)
    header = arrow.read_header(path)
    check_columns(plan, header)
    kinds = plan.kinds()
    for t in entry["targets"]:
        if t["column"] not in header.columns:
            raise arrow.missing_column(header, t["column"])
        kinds.setdefault(t["column"], arrow.LABEL)
    table = arrow.read_table(path, kinds, header)
    check_missing(plan, table)
    x = model_arrays(plan, table)
    y = {}
    for t in entry["targets"]:
        column = t["column"]
        if table.missing_count(column):
            raise table.first_missing(column)
        if t["encoding"] == "value":
            y[t["output"]] = table.numbers_of_text(column).reshape(-1, 1)
            continue
        idx = table.index_in(column, [str(c) for c in t["classes"]])
        if (idx < 0).any():
            i = int(np.flatnonzero(idx < 0)[0])
            line, cell = arrow.locate_cell(path, table.columns, column, table.file_row(i))
            raise located(
                path,
                f"column '{column}' has {cell.strip()!r}, not a class the model was trained on "
                f"({', '.join(map(str, t['classes']))})",
                line,
                cell=table.columns.index(column),
                code=codes.LABELS_DO_NOT_FIT,
                help="evaluate on rows of the classes the model knows, or train it on these too",
            )
        y[t["output"]] = idx
    return table, x, y


def evaluate_arrays(model, entry: dict, x: dict, y: dict, batch_size: int = 1024) -> dict:
    predicted = dict(zip(model.output_names, predict(model, x, batch_size)))
    reports = {}
    for t in entry["targets"]:
        encoding = "index" if t["encoding"] == "one_hot" else t["encoding"]  # labels read as indices
        reports[t["output"]] = output_report(encoding, t["classes"], y[t["output"]], predicted[t["output"]])
    return reports


# ---- text ---------------------------------------------------------------------------------


def format_report(name: str, report: dict) -> str:
    if report["kind"] == "regression":
        r2 = "n/a (constant labels)" if report["r2"] is None else f"{report['r2']:.4f}"
        return (
            f"{name} (regression, {report['rows']:,} rows): MAE {report['mae']:.4f}, "
            f"RMSE {report['rmse']:.4f}, R² {r2}"
        )
    lines = [f"{name} ({len(report['classes'])} classes, {report['rows']:,} rows)"]
    lines += _table(
        ["", "precision", "recall", "f1", "support"],
        [[str(c["class"]), *_cells(c)] for c in report["per_class"]]
        + [["macro avg", *_cells(report["macro_avg"])], ["weighted avg", *_cells(report["weighted_avg"])]],
    )
    lines.append(f"accuracy {report['accuracy']:.4f}")
    lines.append("confusion matrix (rows: true class, columns: predicted):")
    labels = [str(c) for c in report["classes"]]
    lines += _table(["", *labels], [[labels[k], *map(str, row)] for k, row in enumerate(report["confusion"])])
    if "binary" in report:
        b = report["binary"]
        auc = "n/a (one class only)" if b["roc_auc"] is None else f"{b['roc_auc']:.4f}"
        lines.append(f"ROC AUC {auc}, average precision {b['average_precision']:.4f}")
    return "\n".join(lines)


def _cells(c: dict) -> list[str]:
    return [f"{c['precision']:.3f}", f"{c['recall']:.3f}", f"{c['f1']:.3f}", f"{c['support']:,}"]


def _table(head: list[str], body: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    return [
        "  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
        for r in [head, *body]
    ]


def without_curves(reports: dict) -> dict:
    """The reports without their per-row curves (for a history file)."""
    out = {}
    for name, r in reports.items():
        r = {k: v for k, v in r.items() if k != "residuals"}
        if "binary" in r:
            r["binary"] = {k: v for k, v in r["binary"].items() if k not in ("roc", "pr")}
        out[name] = r
    return out
