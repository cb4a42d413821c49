"""Training on a file larger than memory: every pass streams its record batches.

`netdsl train --stream` (and any file over STREAM_BYTES) never holds the
table: the spec is checked with a streamed scan (vocabularies, bad cells),
one more pass learns the label classes and counts the rows of each part of
a hashed split (the same seed gives the same rows; see data/split.py), and
fit, validation, evaluation and the layers that learn from data (adapt,
fill) each read the file again, piece by piece, through feeds
(data/feed.py). Peak memory depends on the piece size and the model, not on
the file. Rows are shuffled within each piece, not across the file.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import networkx as nx

from ..data import arrow, split
from ..data.errors import DataError
from ..data.feed import WEIGHT_KEY, Column, StreamFeed
from ..data.stats import Counts
from ..ir.core import network
from ..lang import codes
from ..lang.diagnostics import SpecError, error, has_errors
from .training import (
    Binding,
    TrainResult,
    bind,
    encode_labels,
    input_arrays,
    resolve_settings,
    sample_weights,
)

STREAM_BYTES = 256 << 20  # files larger than this are trained on streamed


def should_stream(path, stream: bool | None) -> bool:
    if stream is not None:
        return stream
    return isinstance(path, (str, os.PathLike)) and arrow.file_size(str(path)) > STREAM_BYTES


@dataclass
class Streamed:
    """A file bound to a spec for streamed training: its binding (with every
    label's classes), its kinds, and the rows of each part of the split."""

    path: str
    binding: Binding
    kinds: dict[str, str]
    rows: dict[int, int]  # split.TRAIN / VALIDATION / TEST -> rows
    split: tuple[int, float, float]  # (seed, test_size, validation_split)
    fit_counts: dict[str, Counts]  # each label's classes counted over the rows fit is given


def prepare_stream(g: nx.DiGraph, path: str, settings: dict, columns=None) -> Streamed:
    """Bind the spec to the file's header and learn, in one streamed pass, the
    classes of every label and the rows of each part. SpecError, DataError."""
    header = arrow.read_header(path)
    binding, diags = bind(g, header, columns)  # a header has .path and .columns, as a table
    if has_errors(diags):
        raise SpecError(diags, network(g).source)
    kinds = dict(binding.kinds)
    kinds.update({t.column: arrow.LABEL for t in binding.targets})
    parts_of = (settings["seed"], settings["test_size"], settings["validation_split"])
    counts = {t.column: Counts() for t in binding.targets if t.encoding != "value"}
    fit_counts = {c: Counts() for c in counts}
    rows = {split.TRAIN: 0, split.VALIDATION: 0, split.TEST: 0}
    for piece in arrow.iter_batches(path, kinds, header):
        import numpy as np

        parts = split.parts(np.arange(piece.offset, piece.offset + piece.num_rows), *parts_of)
        fits = arrow.numpy_array(parts == split.TRAIN)
        sample_weights(piece, binding)  # a bad weight is found here, located, not in the middle of fit
        for t in binding.targets:
            if piece.missing_count(t.column):
                raise piece.first_missing(t.column)
            if t.column in counts:
                counts[t.column].add(piece.data.column(t.column))
                fit_counts[t.column].add(arrow.compute("filter", piece.data.column(t.column), fits))
        for part, n in enumerate(np.bincount(parts, minlength=3)):
            rows[part] += int(n)
    from .training import _class_labels, _LabelsDoNotFit, check_target

    problems = []
    for t in binding.targets:
        if t.column in counts:
            t.classes = _class_labels(list(counts[t.column].counts))
        try:
            check_target(g, t)
        except _LabelsDoNotFit as exc:
            problems.append(exc.diagnostic)
    if problems:
        raise SpecError(problems, network(g).source)
    _check_rows(g, binding, rows)
    return Streamed(path, binding, kinds, rows, parts_of, fit_counts)


def streamed_class_weight(g: nx.DiGraph, streamed: Streamed) -> dict[int, float] | None:
    """The train line's class_weight as model.fit takes it, `balanced` counted
    over the rows fit is given (as netdsl.train does for a table in memory)."""
    import numpy as np

    from ..ir.fit_settings import class_weight_by_index

    fit = network(g).train
    targets = streamed.binding.targets
    if fit.class_weight is None or len(targets) != 1 or targets[0].column not in streamed.fit_counts:
        return None
    t = targets[0]
    classes = t.classes or []
    counted = streamed.fit_counts[t.column].counts
    index = np.repeat(np.arange(len(classes)), [counted.get(c, 0) for c in classes])
    return class_weight_by_index(fit, classes, index)


def _check_rows(g: nx.DiGraph, binding: Binding, rows: dict[int, int]) -> None:
    if rows[split.TRAIN] and rows[split.TEST]:
        return
    first = binding.targets[0] if binding.targets else None
    raise SpecError(
        [
            error(
                codes.TOO_FEW_ROWS,
                f"too few rows for the split: {rows[split.TRAIN]} to train on, {rows[split.TEST]} to test",
                network(g).definitions.get(first.output) if first else None,
                help="add rows, or change test_size (train test_size=... or --test-size)",
            )
        ],
        network(g).source,
    )


def converter(g: nx.DiGraph, streamed: Streamed, names: dict):
    """A piece of the file -> (the model's inputs, the encoded labels by Keras output name)."""

    def convert(piece: arrow.Table):
        x = input_arrays(piece, streamed.binding)
        y = {names[t.output]: encode_labels(g, t, piece) for t in streamed.binding.targets}
        if streamed.binding.weight is not None:
            y[WEIGHT_KEY] = sample_weights(piece, streamed.binding)
        return x, y

    return convert


def _columns(g: nx.DiGraph, streamed: Streamed, names: dict) -> tuple[list[Column], list[Column]]:
    """What a feed's chunks hold, known before the first is read."""
    from .training import _width

    b = streamed.binding
    inputs = []
    for key, cols in b.inputs.items():
        kind = b.kinds.get(cols[0], arrow.FLOAT)
        scalar = key in b.scalars  # a column of shape (): input_arrays gives it as (rows,)
        if all(b.kinds.get(c, arrow.FLOAT) == arrow.FLOAT for c in cols):
            inputs.append(Column(key, () if scalar else (len(cols),), "float32"))
        else:
            dtype = "string" if kind == arrow.STRING else "int64"
            inputs.append(Column(key, () if scalar else (1,), dtype))
    targets = []
    for t in b.targets:
        width = _width(g, t.output)
        shape, dtype = {
            "one_hot": ((width,), "float32"),
            "index": ((), "int64"),
            "binary": ((1,), "float32"),
            "value": ((1,), "float32"),
        }[t.encoding]
        targets.append(Column(names[t.output], shape, dtype))
    return inputs, targets


def feed(g: nx.DiGraph, streamed: Streamed, part: int, shuffle: bool = False) -> StreamFeed:
    from ..backends.keras_layers import keras_names

    names = keras_names(g)
    inputs, targets = _columns(g, streamed, names)
    f = StreamFeed(
        streamed.path,
        streamed.kinds,
        converter(g, streamed, names),
        inputs,
        targets,
        part,
        streamed.split,
        shuffle,
    )
    f.rows = streamed.rows[part]
    f.weighted = streamed.binding.weight is not None
    return f


def train_streamed(g: nx.DiGraph, path: str, settings: dict, columns=None, verbose: int = 0) -> TrainResult:
    """Train on a file piece by piece; the TrainResult of netdsl.train (without
    the held-out report, which would hold every test row)."""
    streamed = prepare_stream(g, path, settings, columns)
    from ..backends.keras import fit_streamed

    started = time.perf_counter()
    model, history, test = fit_streamed(
        g,
        feed(g, streamed, split.TRAIN, shuffle=True),
        feed(g, streamed, split.VALIDATION) if streamed.rows[split.VALIDATION] else None,
        feed(g, streamed, split.TEST),
        settings,
        verbose,
        streamed_class_weight(g, streamed),
    )
    seconds = time.perf_counter() - started
    binding = streamed.binding
    classes = {t.output: t.classes for t in binding.targets if t.classes is not None}
    rows = {
        "train": streamed.rows[split.TRAIN],
        "validation": streamed.rows[split.VALIDATION],
        "test": streamed.rows[split.TEST],
    }
    return TrainResult(model, history, test, classes, settings, rows=rows, seconds=seconds, binding=binding)


__all__ = [
    "DataError",
    "STREAM_BYTES",
    "prepare_stream",
    "resolve_settings",
    "should_stream",
    "train_streamed",
]
