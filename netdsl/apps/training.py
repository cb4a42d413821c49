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
from typing import Any

import networkx as nx

from ..data import arrow
from ..data.errors import DataError
from ..data.spec import read_for
from ..data.tables import columns_hint, feature_span, filled_columns, missing_weight_column
from ..io import UsageError
from ..ir.core import Node, network, node
from ..ir.fit_settings import unknown_class_weight_labels
from ..ir.settings import SPARSE_LOSSES
from ..lang import codes
from ..lang.diagnostics import Diagnostic, SpecError, did_you_mean, error, has_errors
from .evaluate import held_out_report, without_curves

# How a loss wants its targets.
ONE_HOT = ("categorical_crossentropy", "categorical_focal_crossentropy", "categorical_hinge", "kl_divergence")
INDEX = SPARSE_LOSSES
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
    inputs: dict[str, list[str]]  # Keras input key (keras_inputs) -> its columns, in order
    targets: list[Target]
    kinds: dict[str, str] = field(default_factory=dict)  # column -> float, string or int
    fillable: list[str] = field(default_factory=list)  # numeric columns the model fills when missing
    scalars: list[str] = field(default_factory=list)  # Keras inputs of shape (): a column as (rows,)
    weight: str | None = None  # the column of each row's sample weight (train sample_weight=...)


@dataclass
class Split:
    train: list[int]
    test: list[int]


@dataclass
class TrainResult:
    model: object
    history: dict  # Keras History.history: metric -> per-epoch values (a list per class for f1_score)
    test: dict  # test-split metrics; {} when test_size is 0 (nothing held out)
    classes: dict  # output -> class names (classification outputs only)
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
    settings = network(g).compile
    loss = settings.loss if settings is not None else None
    return loss.get(output) if isinstance(loss, dict) else loss


def _declared_span(n: Node):
    return n.declared.span if n.declared is not None else n.span


def _output_span(g: nx.DiGraph, output: str):
    return network(g).definitions.get(output, node(g, output).span)


def check_columns_option(g: nx.DiGraph, columns: dict[str, list[str]]) -> None:
    """UsageError for a --columns NAME that is no input or output, or an
    output given more than one column."""
    net = network(g)
    names = list(net.inputs) + list(net.outputs)
    for name, cols in columns.items():
        if name not in names:
            hint = did_you_mean(name, names)
            raise UsageError(
                f"--columns {name}=...: the spec has no input or output '{name}'; "
                + (hint or "its inputs and outputs are: " + ", ".join(names))
            )
        if name in net.outputs and len(cols) != 1:
            raise UsageError(
                f"--columns {name}=...: an output learns one label column, "
                f"got {len(cols)} ({', '.join(cols)})"
            )


def bind(
    g: nx.DiGraph, table: arrow.Table | arrow.Header, columns: dict[str, list[str]] | None = None
) -> tuple[Binding, list[Diagnostic]]:
    """The model's inputs to their columns (a record's fields, a vector
    input's features), outputs to the column of their name; `columns`
    (--columns) binds either to other columns."""
    from ..backends.keras_layers import keras_inputs

    columns = columns or {}
    check_columns_option(g, columns)
    header = table.columns
    known = set(header)  # a set: a wide table has hundreds of thousands of columns
    diags: list[Diagnostic] = []
    inputs: dict[str, list[str]] = {}
    kinds: dict[str, str] = {}
    for ki in keras_inputs(g):
        n = node(g, ki.node)
        cols = [ki.field] if ki.field is not None else _input_columns(n, columns, diags)
        if cols is None:
            continue
        for col in cols:
            if col not in known:
                diags.append(
                    error(
                        codes.MISSING_COLUMN,
                        f"input '{ki.node}': '{col}' is not a column of {table.path}",
                        feature_span(n, col),
                        help=columns_hint(col, header),
                    )
                )
            kinds[col] = _kind(ki.dtype)
        inputs[ki.key] = cols
    filled = filled_columns(g)
    fillable = sorted({c for (i, c) in filled})
    targets = []
    for out in network(g).outputs:
        column = columns[out][0] if out in columns else out
        if column not in known:
            given = f" (from --columns {out}={column})" if out in columns else ""
            diags.append(
                error(
                    codes.OUTPUT_WITHOUT_COLUMN,
                    f"output '{out}' has no column '{column}' in {table.path}{given}",
                    _output_span(g, out),
                    help=did_you_mean(column, header, as_names=True)
                    or "name the output after its label column, or bind it with --columns "
                    f"{out}=COLUMN; the columns are: "
                    + ", ".join(header),
                )
            )
            continue
        targets.append(Target(out, column, encoding_for(_loss_of(g, out), _width(g, out))))
    scalars = [ki.key for ki in keras_inputs(g) if ki.shape == ()]
    weight = network(g).train.sample_weight
    diags += missing_weight_column(g, table)
    if weight is not None and weight in known:
        kinds[weight] = arrow.FLOAT
    return Binding(inputs, targets, kinds, fillable, scalars, weight if weight in known else None), diags


def _kind(dtype: str) -> str:
    return {"string": arrow.STRING, "int64": arrow.INT}.get(dtype, arrow.FLOAT)


def _width(g: nx.DiGraph, name: str) -> int:
    shape = node(g, name).shape
    assert shape is not None, "a checked graph"
    return shape[-1]


def _input_columns(n: Node, columns: dict[str, list[str]], diags: list[Diagnostic]) -> list[str] | None:
    """The columns of one vector input: --columns, else its feature names."""
    width = n.args["width"] if n.args is not None else None
    if n.name in columns:
        cols = columns[n.name]
        if len(cols) != width:
            diags.append(
                error(
                    codes.UNBOUND_INPUT,
                    f"--columns gives {len(cols)} column(s) for input '{n.name}', which has width {width}",
                    _declared_span(n),
                )
            )
            return None
        return cols
    if n.features:
        return list(n.features)
    diags.append(
        error(
            codes.UNBOUND_INPUT,
            f"input '{n.name}' has no feature names to read from the data",
            _declared_span(n),
            help=f"name them (input {n.name}: [col_a, col_b, ...]) or pass "
            f"--columns {n.name}=col_a,col_b,...",
        )
    )
    return None


def _class_labels(values: list[str]) -> list:
    """Distinct labels in a stable order: numerically if they are all numbers."""
    distinct = set(values)
    try:
        return sorted(distinct, key=float)
    except ValueError:
        return sorted(distinct)


def encode_targets(g: nx.DiGraph, table: arrow.Table, binding: Binding) -> tuple[dict, list[Diagnostic]]:
    """Label columns -> arrays the losses expect; fills each Target's classes."""
    arrays, diags = {}, []
    for t in binding.targets:
        if table.missing_count(t.column):
            raise table.first_missing(t.column)
        try:
            if t.encoding == "value":
                arrays[t.output] = _values(g, t, table)
            else:
                arrays[t.output] = _classes(g, t, table)
        except _LabelsDoNotFit as exc:
            diags.append(exc.diagnostic)
    return arrays, diags


def _looks_numeric(classes: list) -> bool:
    """Labels that read as measurements rather than class names: all numbers,
    and fractional or too many to be classes."""
    try:
        values = [float(c) for c in classes]
    except ValueError:
        return False
    return len(values) > 20 or any(v != int(v) for v in values)


class _LabelsDoNotFit(Exception):
    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic


def _values(g: nx.DiGraph, t: Target, table: arrow.Table):
    """A regression target: one number per row, for an output of one unit."""
    check_target(g, t)
    return encode_labels(g, t, table)


def _classes(g: nx.DiGraph, t: Target, table: arrow.Table):
    """A classification target: class indices, one-hot rows, or 0/1 for a binary loss."""
    t.classes = _class_labels(table.distinct(t.column))
    check_target(g, t)
    return encode_labels(g, t, table)


def check_target(g: nx.DiGraph, t: Target) -> None:
    """The labels fit the output and its loss (_LabelsDoNotFit otherwise); classes known."""
    span, width = _output_span(g, t.output), _width(g, t.output)
    if t.encoding == "value":
        if width != 1:
            raise _LabelsDoNotFit(
                error(
                    codes.LABELS_DO_NOT_FIT,
                    f"output '{t.output}' has {width} units but '{t.column}' is one number per row",
                    span,
                    help=f"use dense(1) for '{t.output}'",
                )
            )
        return
    classes = t.classes or []
    if len(classes) < 2:
        only = f" ('{classes[0]}')" if classes else ""
        message = f"label column '{t.column}' has a single class{only}: there is nothing to learn"
        raise _LabelsDoNotFit(error(codes.LABELS_DO_NOT_FIT, message, span))
    fits = len(classes) == width if t.encoding != "binary" else len(classes) == 2 and width == 1
    if not fits and _looks_numeric(classes):
        shown = ", ".join(map(str, classes[:6])) + (", ..." if len(classes) > 6 else "")
        raise _LabelsDoNotFit(
            error(
                codes.LABELS_DO_NOT_FIT,
                f"'{t.column}' looks numeric ({len(classes)} distinct values such as {shown}), but "
                f"{_loss_of(g, t.output)} treats each distinct value as a class",
                span,
                help=f"to predict the number, end '{t.output}' with dense(1) and use a regression loss "
                "such as loss=mse or loss=mae",
            )
        )
    if t.encoding == "binary" and (len(classes) != 2 or width != 1):
        raise _LabelsDoNotFit(
            error(
                codes.LABELS_DO_NOT_FIT,
                f"{_loss_of(g, t.output)} needs 2 classes and 1 unit; "
                f"'{t.column}' has {len(classes)} classes and '{t.output}' "
                f"{width} unit(s)",
                span,
                help="use categorical_crossentropy with one unit per class",
            )
        )
    if t.encoding != "binary" and len(classes) != width:
        raise _LabelsDoNotFit(
            error(
                codes.LABELS_DO_NOT_FIT,
                f"output '{t.output}' has {width} units but '{t.column}' "
                f"has {len(classes)} classes ({', '.join(map(str, classes[:6]))}"
                f"{', ...' if len(classes) > 6 else ''})",
                span,
                help=f"end '{t.output}' with dense({len(classes)}, softmax)",
            )
        )


def encode_labels(g: nx.DiGraph, t: Target, table: arrow.Table):
    """A table's labels as its output's loss wants them (its classes known)."""
    import numpy as np

    if t.encoding == "value":
        return table.numbers_of_text(t.column).reshape(-1, 1)
    idx = table.index_in(t.column, t.classes or [])
    if t.encoding == "binary":
        return idx.astype("float32").reshape(-1, 1)
    return np.eye(_width(g, t.output), dtype="float32")[idx] if t.encoding == "one_hot" else idx


def input_arrays(table: arrow.Table, binding: Binding) -> dict:
    """Each model input's array: (rows, k) float32 numbers (NaN where a filled
    column is missing); a category column as (rows, 1) strings or int64; a
    scalar column (shape ()) as (rows,)."""
    for cols in binding.inputs.values():
        for col in cols:
            number = binding.kinds.get(col) == arrow.FLOAT
            if number and col not in binding.fillable and table.missing_count(col):
                raise table.first_missing(col)
    x = {}
    for key, cols in binding.inputs.items():
        if all(binding.kinds.get(c, arrow.FLOAT) == arrow.FLOAT for c in cols):
            x[key] = table.numbers(cols)
        else:
            x[key] = table.values(cols[0]).reshape(-1, 1)
    for key in binding.scalars:
        x[key] = x[key].reshape(-1)
    return x


def sample_weights(table: arrow.Table, binding: Binding):
    """Each row's weight, float32 (rows,), from the bound weight column; None without one.
    DataError at the first cell that is missing, not a number, negative or infinite."""
    import numpy as np

    col = binding.weight
    if col is None:
        return None
    help = "a sample weight is a number >= 0 on every row"
    if table.missing_count(col):
        raise table.first_missing(col, help=help)
    weights = table.numbers([col]).reshape(-1)
    bad = np.flatnonzero(~np.isfinite(weights) | (weights < 0))
    if len(bad):
        line, _ = arrow.locate_cell(table.path, table.columns, col, table.file_row(int(bad[0])))
        value = float(weights[bad[0]])
        raise table.cell_error(line, col, f"sample weight {value:g} in column '{col}' is not >= 0", help)
    return weights.astype("float32")


def learning_feed(g: nx.DiGraph, data, columns=None):
    """The rows that layers learning from data (standardize, discretize, fill,
    ...) learn from when a model is compiled with data: every row of `data`
    (a path or an arrow.Table). SpecError for columns it lacks, DataError for cells."""
    from ..data.feed import LEARN_ROWS, ArrayFeed

    table = read_for(g, data, columns, labels=False)
    binding, diags = bind(g, table, columns)
    problems = [d for d in diags if d.code != codes.OUTPUT_WITHOUT_COLUMN]
    if has_errors(problems):
        raise SpecError(problems, network(g).source)
    import numpy as np

    return ArrayFeed(input_arrays(table, binding), {}, np.arange(table.num_rows), chunk=LEARN_ROWS)


def _test_rows(n: int, test_size: float) -> int:
    return int(round(n * test_size))


def _fits(n: int, test_size: float) -> bool:
    """Whether n rows split into at least one test row and one training row."""
    return 1 <= _test_rows(n, test_size) < n


def stratified_split(labels, n_rows: int, test_size: float, seed: int) -> Split:
    """A seeded split keeping each class's share; labels None means unstratified.
    test_size 0: every row trains, none is held out."""
    import numpy as np

    rng = np.random.default_rng(seed)
    if test_size == 0:
        return Split(rng.permutation(n_rows).tolist(), [])
    groups = (
        [np.arange(n_rows)] if labels is None else [np.flatnonzero(labels == c) for c in np.unique(labels)]
    )
    too_few = [len(members) for members in groups if not _fits(len(members), test_size)]
    if too_few:
        raise _TooFew(too_few, test_size, labels is not None)
    train, test = [], []
    for members in groups:
        members = rng.permutation(members)
        n_test = _test_rows(len(members), test_size)
        test.extend(members[:n_test].tolist())
        train.extend(members[n_test:].tolist())
    return Split(rng.permutation(train).tolist(), sorted(test))


class _TooFew(Exception):
    def __init__(self, sizes: list[int], test_size: float, per_class: bool):
        self.sizes, self.test_size, self.per_class = sizes, test_size, per_class


def stratify_labels(binding: Binding, targets: dict):
    """The first output's class indices (splits keep their shares); None for a regression."""
    import numpy as np

    first = binding.targets[0]
    if first.encoding == "value":
        return None
    y = targets[first.output]
    return y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else np.asarray(y).reshape(-1)


@dataclass
class Prepared:
    """A table bound to a network for training (filled by prepare): what
    every run on it shares. Each (test_size, seed) has its split."""

    table: arrow.Table
    binding: Binding
    inputs: dict[str, Any]  # input -> float32 array, rows x its columns
    targets: dict[str, Any]  # output -> labels encoded as its loss wants
    stratify: Any  # the class of each row (of the first output), or None
    splits: dict[tuple[float, int], Split] = field(default_factory=dict)
    weights: Any = None  # each row's sample weight (train sample_weight=COLUMN), or None

    def split(self, g: nx.DiGraph, test_size: float, seed: int) -> Split:
        """The seeded train/test split; SpecError when a class has too few rows."""
        key = (test_size, seed)
        if key not in self.splits:
            self.splits[key] = _split(g, self, test_size, seed)
        return self.splits[key]


def prepare(g: nx.DiGraph, table: arrow.Table, columns=None) -> Prepared:
    """Bind, read and encode; raises SpecError with every problem found."""
    net = network(g)
    if net.compile is None or net.compile.loss is None:
        decl = net.compile_decl
        raise SpecError(
            [
                error(
                    codes.NO_LOSS,
                    "training needs a loss: the spec has no compile line with loss=...",
                    decl.span if decl else net.source.end_span(),
                    help="add e.g. `compile loss=categorical_crossentropy optimizer=adam metrics=[accuracy]`",
                )
            ],
            net.source,
        )
    binding, diags = bind(g, table, columns)
    if has_errors(diags):
        raise SpecError(diags, net.source, net.sources)
    try:
        inputs = input_arrays(table, binding)  # bad cells first: row and column named
        weights = sample_weights(table, binding)
        targets, diags = encode_targets(g, table, binding)
    except DataError as exc:  # located in the data file
        raise exc.spec_error(g) from None
    for t in binding.targets if len(binding.targets) == 1 else ():
        diags += unknown_class_weight_labels(net.train, t.classes or [], t.column)
    if has_errors(diags):
        raise SpecError(diags, net.source, net.sources)
    stratify = stratify_labels(binding, targets)
    return Prepared(table, binding, inputs, targets, stratify, weights=weights)


def _split(g: nx.DiGraph, prepared: Prepared, test_size: float, seed: int) -> Split:
    try:
        return stratified_split(prepared.stratify, prepared.table.num_rows, test_size, seed)
    except _TooFew as exc:
        raise _too_few_error(g, prepared, exc) from None


def _too_few_error(g: nx.DiGraph, prepared: Prepared, exc: _TooFew) -> SpecError:
    """Which classes are too small, and what would work."""
    t, first = exc.test_size, prepared.binding.targets[0]
    if exc.per_class:
        counts = {c: int((prepared.stratify == k).sum()) for k, c in enumerate(first.classes or [])}
        small = sorted((n, str(c)) for c, n in counts.items() if not _fits(n, t))
        listed = ", ".join(f"'{c}': {n}" for n, c in small[:6]) + (", ..." if len(small) > 6 else "")
        where = f"a class of '{first.column}' has only {small[0][0]} row(s) (too small: {listed})"
        sizes = list(counts.values())
    else:
        where = f"the data has only {exc.sizes[0]} row(s)"
        sizes = exc.sizes
    need = next(n for n in range(2, 10_000) if _fits(n, t))
    workable = [k / 100 for k in range(1, 100) if all(_fits(n, k / 100) for n in sizes)]
    if workable:
        works = f"test_size from {workable[0]:g} to {workable[-1]:g} would work with these rows"
    else:
        works = "no test_size works while a class has fewer than 2 rows"
    net = network(g)
    return SpecError(
        [
            error(
                codes.TOO_FEW_ROWS,
                f"too few rows for a test split of {t:g}: {where}",
                net.definitions.get(first.output),
                help=f"with test_size {t:g} each {'class' if exc.per_class else 'split'} needs at least "
                f"{need} rows (one to test, the rest to train); {works}; or add rows, "
                "or train on every row without a test (--test-size 0)",
            )
        ],
        net.source,
        net.sources,
    )


def fold_split(g: nx.DiGraph, prepared: Prepared, fold, seed: int) -> Split:
    """Split `fold` = (i, K) of a stratified K-fold; SpecError when a class
    (or the table) has fewer than K rows."""
    from .folds import stratified_folds, too_few_for_folds

    i, k = fold
    labels, n_rows = prepared.stratify, prepared.table.num_rows
    smallest = too_few_for_folds(labels, n_rows, k)
    if smallest is not None:
        first = prepared.binding.targets[0]
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
                    network(g).definitions.get(first.output),
                    help=f"use at most --folds {smallest}, or add rows",
                )
            ],
            network(g).source,
        )
    train, test = stratified_folds(labels, n_rows, k, seed)[i]
    return Split(train, test)


def check_folds(g: nx.DiGraph, table: arrow.Table, columns, k: int) -> None:
    """SpecError, before any training, when the table cannot be cut into k folds."""
    fold_split(g, prepare(g, table, columns), (0, k), 0)


def resolve_settings(g: nx.DiGraph, overrides: dict) -> dict:
    """The spec's train settings with `overrides` (None: not given); a random seed if none."""
    settings = network(g).train.as_dict()
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
    memory_limit: int | None = None,
) -> TrainResult:
    """Train a spec on data; `spec` is a path or a graph from netdsl.load,
    `data` a CSV path, a Table, or what prepare() made of one (then
    `columns` is already bound and not given again).

    Settings default to the spec's `train` line, then to netdsl's defaults.
    Layers that adapt (standardize) adapt on the training split only. `fold`
    (i, K) holds out fold i of a stratified K-fold split (seeded by `seed`)
    instead of a test_size share. SpecError (ND902) before anything is
    allocated when the model and data are estimated to need more than the
    memory budget (`memory_limit` bytes; 0: none); SpecError (ND612) when the
    loss becomes NaN or infinite (training stops at that batch).
    """
    from .memory import check_model_memory

    g, prepared = _graph_and_data(spec, data, columns, memory_limit)
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
    check_model_memory(g, memory_limit, True, settings["batch_size"], prepared.table.memory)
    if fold is not None:
        split = fold_split(g, prepared, fold, settings["seed"])
    else:
        split = prepared.split(g, settings["test_size"], settings["seed"])
    from ..backends.keras import fit_and_evaluate

    started = time.perf_counter()
    # the rows' weights when this spec's train line names them (a table prepared once may serve several)
    weights = prepared.weights if network(g).train.sample_weight is not None else None
    model, history, test = fit_and_evaluate(
        g, prepared.binding, prepared.inputs, prepared.targets, split, settings, verbose, weights
    )
    seconds = time.perf_counter() - started
    binding = prepared.binding
    classes = {t.output: t.classes for t in binding.targets if t.classes is not None}
    report = held_out_report(
        model, g, binding, prepared.inputs, prepared.targets, split.test, settings["batch_size"]
    )
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


def _graph_and_data(spec, data, columns, memory_limit=None) -> tuple[nx.DiGraph, Prepared]:
    """The checked graph (a path spec is checked against the data) and the data bound to it."""
    g = _load(str(spec), data) if isinstance(spec, (str, os.PathLike)) else _with_sizes(spec, data)
    if not isinstance(data, Prepared):
        data = prepare(g, read_for(g, data, columns, memory_limit=memory_limit), columns)
    prepared = data
    return g, prepared


def _with_sizes(g: nx.DiGraph, data) -> nx.DiGraph:
    """A graph loaded without data whose sizes wait for the data's vocabularies,
    checked again against `data` (as load(..., data=...) checks it); others as they are."""
    from ..data.spec import checked
    from ..ir.core import nodes

    if not any(None in n.shape for n in nodes(g) if n.shape):
        return g
    table = data.table if isinstance(data, Prepared) else data
    return checked(network(g).source, table if isinstance(table, arrow.Table) else str(table), False, False)


def _load(path: str, data) -> nx.DiGraph:
    """The spec at `path`, checked against the data it is trained on."""
    from ..data.spec import checked
    from ..lang.source import read_source

    if isinstance(data, Prepared):
        data = data.table
    return checked(read_source(path), data if isinstance(data, arrow.Table) else str(data), False, False)
