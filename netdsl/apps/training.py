"""Training on CSV data: bind a spec to columns, encode labels, split, fit.

The data side (binding, label encoding, the stratified split) is plain Python
and NumPy; fitting goes through the Keras backend, imported only then.

    result = netdsl.train("examples/iris_concat.net", data="examples/data/iris.csv", seed=1)
    result.model, result.history, result.test     # keras.Model, per-epoch lists, test metrics
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import networkx as nx

from ..data.tables import DataError, Table, matrix, read_csv
from ..lang import codes
from ..lang.diagnostics import Diagnostic, SpecError, did_you_mean, error, has_errors
from .evaluate import held_out_report, without_curves

# How a loss wants its targets.
ONE_HOT = ("categorical_crossentropy", "categorical_focal_crossentropy", "categorical_hinge", "kl_divergence")
INDEX = ("sparse_categorical_crossentropy",)
BINARY = ("binary_crossentropy", "binary_focal_crossentropy", "hinge", "squared_hinge")


@dataclass
class Target:
    """How one output is bound to a label column."""

    output: str
    column: str
    encoding: str  # "one_hot", "index", "binary" or "value"
    classes: list | None = None  # class names in index order (classification)


@dataclass
class Binding:
    inputs: dict[str, list[str]]  # input -> its columns, in feature order
    targets: list[Target]


@dataclass
class Split:
    train: list[int]
    test: list[int]


@dataclass
class TrainResult:
    model: object
    history: dict  # Keras History.history: metric -> per-epoch values
    test: dict  # test-split metrics
    classes: dict  # output -> class names (classification outputs)
    settings: dict  # epochs, batch_size, test_size, validation_split, seed
    rows: dict = field(default_factory=dict)
    seconds: float = 0.0
    report: dict = field(default_factory=dict)  # output -> evaluation report on the test rows
    binding: Binding | None = None

    def summary(self) -> dict:
        return {
            "settings": self.settings,
            "rows": self.rows,
            "classes": self.classes,
            "history": self.history,
            "test": self.test,
            "report": without_curves(self.report),
            "train_seconds": round(self.seconds, 3),
        }


def encoding_for(loss: str | None, width: int) -> str:
    if loss in ONE_HOT:
        return "one_hot"
    if loss in INDEX:
        return "index"
    if loss in BINARY:
        return "binary"
    if loss is None:
        return "one_hot" if width > 1 else "value"
    return "value"


def _loss_of(g: nx.DiGraph, output: str) -> str | None:
    training = g.graph.get("training") or {}
    loss = training.get("loss")
    return loss.get(output) if isinstance(loss, dict) else loss


def bind(
    g: nx.DiGraph, table: Table, columns: dict[str, list[str]] | None = None
) -> tuple[Binding, list[Diagnostic]]:
    """Inputs to their feature columns, outputs to the column of their name."""
    columns = columns or {}
    header = table.columns
    diags: list[Diagnostic] = []
    inputs: dict[str, list[str]] = {}
    for name in g.graph["inputs"]:
        data = g.nodes[name]
        if g.out_degree(name) == 0:
            continue
        if name in columns:
            cols = columns[name]
            if len(cols) != data["width"]:
                diags.append(
                    error(
                        codes.UNBOUND_INPUT,
                        f"--columns gives {len(cols)} column(s) for input '{name}', "
                        f"which has width {data['width']}",
                        data["width_span"],
                    )
                )
                continue
        elif data.get("features"):
            cols = list(data["features"])
        else:
            diags.append(
                error(
                    codes.UNBOUND_INPUT,
                    f"input '{name}' has no feature names to read from the data",
                    data["width_span"],
                    help=f"name them (input {name}: [col_a, col_b, ...]) or pass "
                    f"--columns {name}=col_a,col_b,...",
                )
            )
            continue
        for col in cols:
            if col not in header:
                diags.append(
                    error(
                        codes.MISSING_COLUMN,
                        f"input '{name}': '{col}' is not a column of {table.path}",
                        data["width_span"],
                        help=did_you_mean(col, header) or "its columns are: " + ", ".join(header),
                    )
                )
        inputs[name] = cols
    targets = []
    for out in g.graph["outputs"]:
        span = g.graph["definitions"].get(out, g.nodes[out]["span"])
        if out not in header:
            diags.append(
                error(
                    codes.OUTPUT_WITHOUT_COLUMN,
                    f"output '{out}' has no column '{out}' in {table.path}",
                    span,
                    help=did_you_mean(out, header, as_names=True)
                    or "name the output after its label column; the columns are: " + ", ".join(header),
                )
            )
            continue
        width = g.nodes[out]["shape"][-1]
        targets.append(Target(out, out, encoding_for(_loss_of(g, out), width)))
    return Binding(inputs, targets), diags


def _class_labels(values: list[str]) -> list:
    """Distinct labels in a stable order: numerically if they are all numbers."""
    distinct = set(values)
    try:
        return sorted(distinct, key=float)
    except ValueError:
        return sorted(distinct)


def encode_targets(g: nx.DiGraph, table: Table, binding: Binding) -> tuple[dict, list[Diagnostic]]:
    """Label columns -> arrays the losses expect; fills each Target's classes."""
    import numpy as np

    arrays, diags = {}, []
    for t in binding.targets:
        j = table.columns.index(t.column)
        raw = [(row[j].strip() if j < len(row) else "") for row in table.rows]
        span = g.graph["definitions"].get(t.output, g.nodes[t.output]["span"])
        width = g.nodes[t.output]["shape"][-1]
        missing = [i for i, v in enumerate(raw) if v == ""]
        if missing:
            raise DataError(f"{table.path}:{missing[0] + 2}: column '{t.column}' is empty on this row")
        if t.encoding == "value":
            values = table.column(t.column)
            if width != 1:
                diags.append(
                    error(
                        codes.LABELS_DO_NOT_FIT,
                        f"output '{t.output}' has {width} units but '{t.column}' is one number per row",
                        span,
                        help=f"use dense(1) for '{t.output}'",
                    )
                )
                continue
            arrays[t.output] = np.asarray(values, dtype="float32").reshape(-1, 1)
            continue
        classes = _class_labels(raw)
        t.classes = classes
        if len(classes) < 2:
            diags.append(
                error(
                    codes.LABELS_DO_NOT_FIT,
                    f"label column '{t.column}' has a single class "
                    f"('{classes[0]}'): there is nothing to learn",
                    span,
                )
            )
            continue
        index = {c: i for i, c in enumerate(classes)}
        idx = np.asarray([index[v] for v in raw], dtype="int64")
        if t.encoding == "binary":
            if len(classes) != 2 or width != 1:
                diags.append(
                    error(
                        codes.LABELS_DO_NOT_FIT,
                        f"{_loss_of(g, t.output)} needs 2 classes and 1 unit; "
                        f"'{t.column}' has {len(classes)} classes and '{t.output}' "
                        f"{width} unit(s)",
                        span,
                        help="use categorical_crossentropy with one unit per class",
                    )
                )
                continue
            arrays[t.output] = idx.astype("float32").reshape(-1, 1)
        else:
            if len(classes) != width:
                diags.append(
                    error(
                        codes.LABELS_DO_NOT_FIT,
                        f"output '{t.output}' has {width} units but '{t.column}' "
                        f"has {len(classes)} classes ({', '.join(map(str, classes[:6]))}"
                        f"{', ...' if len(classes) > 6 else ''})",
                        span,
                        help=f"end '{t.output}' with dense({len(classes)}, softmax)",
                    )
                )
                continue
            arrays[t.output] = np.eye(width, dtype="float32")[idx] if t.encoding == "one_hot" else idx
    return arrays, diags


def input_arrays(table: Table, binding: Binding) -> dict:
    return {name: matrix(table, cols) for name, cols in binding.inputs.items()}


def stratified_split(labels, n_rows: int, test_size: float, seed: int) -> Split:
    """A seeded split keeping each class's share; labels None means unstratified."""
    import numpy as np

    rng = np.random.default_rng(seed)
    groups = (
        [np.arange(n_rows)] if labels is None else [np.flatnonzero(labels == c) for c in np.unique(labels)]
    )
    train, test = [], []
    for members in groups:
        members = rng.permutation(members)
        n_test = int(round(len(members) * test_size))
        if n_test < 1 or n_test >= len(members):
            raise _TooFew(len(members), test_size, labels is not None)
        test.extend(members[:n_test].tolist())
        train.extend(members[n_test:].tolist())
    return Split(rng.permutation(train).tolist(), sorted(test))


class _TooFew(Exception):
    def __init__(self, rows, test_size, per_class):
        self.rows, self.test_size, self.per_class = rows, test_size, per_class


def stratify_labels(binding: Binding, targets: dict):
    """The first output's class indices (splits keep their shares); None for a regression."""
    import numpy as np

    first = binding.targets[0]
    if first.encoding == "value":
        return None
    y = targets[first.output]
    return y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else np.asarray(y).reshape(-1)


def prepare(g: nx.DiGraph, table: Table, columns=None, test_size=0.2, seed=0):
    """Bind, encode and split; raises SpecError with every problem found."""
    training = g.graph.get("training") or {}
    if training.get("loss") is None:
        decl = g.graph.get("compile")
        raise SpecError(
            [
                error(
                    codes.NO_LOSS,
                    "training needs a loss: the spec has no compile line with loss=...",
                    decl.span if decl else g.graph["source"].end_span(),
                    help="add e.g. `compile loss=categorical_crossentropy optimizer=adam metrics=[accuracy]`",
                )
            ],
            g.graph["source"],
        )
    binding, diags = bind(g, table, columns)
    if has_errors(diags):
        raise SpecError(diags, g.graph["source"])
    inputs = input_arrays(table, binding)  # bad cells first: row and column named
    targets, diags = encode_targets(g, table, binding)
    if has_errors(diags):
        raise SpecError(diags, g.graph["source"])
    first = binding.targets[0]
    stratify = stratify_labels(binding, targets)
    try:
        split = stratified_split(stratify, len(table.rows), test_size, seed)
    except _TooFew as exc:
        where = (
            f"a class of '{first.column}' has only {exc.rows} row(s)"
            if exc.per_class
            else f"the data has only {exc.rows} row(s)"
        )
        span = g.graph["definitions"].get(first.output)
        raise SpecError(
            [
                error(
                    codes.TOO_FEW_ROWS,
                    f"too few rows for a test split of {exc.test_size:g}: {where}",
                    span,
                    help="add rows, or change test_size (train test_size=... or --test-size)",
                )
            ],
            g.graph["source"],
        ) from None
    return binding, inputs, targets, split


def fold_split(g: nx.DiGraph, binding: Binding, targets: dict, n_rows: int, fold, seed: int) -> Split:
    """Split `fold` = (i, K) of a stratified K-fold; SpecError when a class
    (or the table) has fewer than K rows."""
    from .folds import stratified_folds, too_few_for_folds

    i, k = fold
    labels = stratify_labels(binding, targets)
    smallest = too_few_for_folds(labels, n_rows, k)
    if smallest is not None:
        first = binding.targets[0]
        where = (
            f"a class of '{first.column}' has only {smallest} row(s), and each fold needs one of every class"
            if labels is not None
            else f"the data has only {smallest} row(s)"
        )
        raise SpecError(
            [
                error(
                    codes.TOO_FEW_ROWS,
                    f"too few rows for {k} folds: {where}",
                    g.graph["definitions"].get(first.output),
                    help=f"use at most --folds {smallest}, or add rows",
                )
            ],
            g.graph["source"],
        )
    train, test = stratified_folds(labels, n_rows, k, seed)[i]
    return Split(train, test)


def check_folds(g: nx.DiGraph, table: Table, columns, k: int) -> None:
    """SpecError, before any training, when the table cannot be cut into k folds."""
    binding, _, targets, _ = prepare(g, table, columns, 0.5, 0)
    fold_split(g, binding, targets, len(table.rows), (0, k), 0)


def resolve_settings(g: nx.DiGraph, overrides: dict) -> dict:
    settings = dict(g.graph.get("fit") or {})
    settings.update({k: v for k, v in overrides.items() if v is not None})
    if settings.get("seed") is None:
        settings["seed"] = int.from_bytes(os.urandom(4), "little")
    return settings


def train(
    spec,
    data,
    *,
    epochs=None,
    batch_size=None,
    test_size=None,
    validation_split=None,
    seed=None,
    columns=None,
    verbose=0,
    fold: tuple[int, int] | None = None,
) -> TrainResult:
    """Train a spec on a CSV; `spec` is a path or a graph from netdsl.load.

    Settings default to the spec's `train` line, then to netdsl's defaults.
    Standardize layers adapt on the training split only. `fold` (i, K) holds
    out fold i of a stratified K-fold split (seeded by `seed`) instead of a
    test_size share.
    """
    if isinstance(spec, (str, os.PathLike)):
        from ..data.spec import checked
        from ..lang.source import read_source

        g = checked(read_source(str(spec)), data, strict=False, compiling=False)
    else:
        g = spec
    table = read_csv(data) if isinstance(data, (str, os.PathLike)) else data
    settings = resolve_settings(
        g,
        dict(
            epochs=epochs,
            batch_size=batch_size,
            test_size=test_size,
            validation_split=validation_split,
            seed=seed,
        ),
    )
    binding, inputs, targets, split = prepare(g, table, columns, settings["test_size"], settings["seed"])
    if fold is not None:
        split = fold_split(g, binding, targets, len(table.rows), fold, settings["seed"])
    from ..backends.keras import fit_and_evaluate

    started = time.perf_counter()
    model, history, test = fit_and_evaluate(g, table, binding, inputs, targets, split, settings, verbose)
    seconds = time.perf_counter() - started
    classes = {t.output: t.classes for t in binding.targets if t.classes is not None}
    report = held_out_report(model, g, binding, inputs, targets, split.test, settings["batch_size"])
    return TrainResult(
        model,
        history,
        test,
        classes,
        settings,
        rows={"train": len(split.train), "test": len(split.test)},
        seconds=seconds,
        report=report,
        binding=binding,
    )
