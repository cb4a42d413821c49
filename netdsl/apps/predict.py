"""Predictions of a saved model on a table: `netdsl predict MODEL.keras --data new.csv`.

What a model reads is known without TensorFlow: netdsl's entry in the
`.keras` archive (`netdsl.json`, written by `netdsl train` and `compile`)
names each Keras input's columns and their types, the columns allowed to be
missing (the model fills them), and each output's label column, encoding and
class names. A model without that entry (written by hand in Keras) is read
from its config: every input of shape (1,) is a column of its name and dtype.

So the file is checked before TensorFlow loads — a column the model needs
and the file lacks, a value of the wrong type, a missing number the model
cannot fill — and then predicted in batches. The result has every column of
the file (the model's columns as Arrow writes their values, the others as
written) and, per output, `<output>_predicted` (the class name, or the value
of a regression) and one `<output>_prob_<class>` column per class.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from ..data import arrow
from ..io import UsageError

STREAM_BYTES = 256 << 20  # larger files are predicted piece by piece


@dataclass
class ModelInput:
    key: str  # the model's input (its dict key, or its name)
    columns: list[str]
    kinds: list[str]  # arrow.FLOAT / STRING / INT per column


@dataclass
class Target:
    output: str  # the Keras output name
    label: str  # the column name the predictions are named after
    encoding: str  # one_hot, index, binary or value
    classes: list | None = None


@dataclass
class Plan:
    """What a saved model reads and gives, known without TensorFlow."""

    model: str
    inputs: list[ModelInput]
    targets: list[Target]
    fillable: set[str] = field(default_factory=set)  # numeric columns the model fills when missing
    outputs: list[str] = field(default_factory=list)  # the model's output names, in order
    closed: list = field(default_factory=list)  # vocab.Closed: lookups with no index for other values

    def kinds(self) -> dict[str, str]:
        return {c: k for i in self.inputs for c, k in zip(i.columns, i.kinds)}


@dataclass
class PredictResult:
    rows: int
    columns: list[str]  # the columns written
    table: Any = None  # a pyarrow.Table when nothing was written to a file


def read_plan(model_path: str) -> Plan:
    """The model's inputs and outputs from its archive (no TensorFlow)."""
    from ..backends.archive import read_archive

    archive = read_archive(model_path)
    entry = archive.netdsl if isinstance(archive.netdsl, dict) else {}
    return plan_of_entry(model_path, entry, archive.config)


def plan_of_entry(model_path: str, entry: dict, config: dict | None = None) -> Plan:
    """The plan from netdsl's entry of an archive (and its config, for a model
    netdsl did not write)."""
    outputs = _output_names(config or {})
    if isinstance(entry.get("features"), dict):
        kinds = entry.get("kinds") or {}
        inputs = [
            ModelInput(key, list(cols), [kinds.get(c, arrow.FLOAT) for c in cols])
            for key, cols in entry["features"].items()
        ]
    else:
        inputs = _inputs_from_config(model_path, config or {})
    targets = [
        Target(t["output"], t.get("column") or t["output"], t["encoding"], t.get("classes"))
        for t in entry.get("targets") or ()
    ] or _sidecar_targets(model_path, outputs)
    from ..data.vocab import closed_in_config

    single = {i.key: i.columns[0] for i in inputs if len(i.columns) == 1}
    closed = closed_in_config(config or {}, single)
    return Plan(model_path, inputs, targets, set(entry.get("fillable") or ()), outputs, closed)


def _output_names(config: dict) -> list[str]:
    layers = (config.get("config") or {}).get("output_layers") or []
    if layers and isinstance(layers[0], str):  # a single output: [name, 0, 0]
        layers = [layers]
    return [str(entry[0]) for entry in layers if isinstance(entry, list) and entry]


_DTYPES = {
    "float32": arrow.FLOAT,
    "float64": arrow.FLOAT,
    "string": arrow.STRING,
    "int64": arrow.INT,
    "int32": arrow.INT,
}


def _inputs_from_config(model_path: str, config: dict) -> list[ModelInput]:
    """A model netdsl did not write: each (1,)-shaped input reads the column of its name."""
    inputs = []
    for layer in (config.get("config") or {}).get("layers") or []:
        if layer.get("class_name") != "InputLayer":
            continue
        cfg = layer.get("config") or {}
        shape = cfg.get("batch_shape") or cfg.get("batch_input_shape") or []
        kind = _DTYPES.get(str(cfg.get("dtype")))
        if list(shape[1:]) != [1] or kind is None:
            raise UsageError(
                f"{model_path}: input '{cfg.get('name')}' of shape {tuple(shape[1:])} is not one column, "
                "and the archive does not say which columns feed it (netdsl train and compile write that)"
            )
        inputs.append(ModelInput(str(cfg.get("name")), [str(cfg.get("name"))], [kind]))
    return inputs


def _sidecar_targets(model_path: str, outputs: list[str]) -> list[Target]:
    """Class names from the `<model>.labels.json` older netdsl versions wrote beside a model."""
    import json

    path = os.path.splitext(model_path)[0] + ".labels.json"
    try:
        with open(path, encoding="utf-8") as fh:
            classes = json.load(fh)
    except (OSError, ValueError):
        return []
    if not isinstance(classes, dict):
        return []
    return [Target(o, o, "one_hot", list(classes[o])) for o in outputs if isinstance(classes.get(o), list)]


# ---- reading ---------------------------------------------------------------------------------


def check_columns(plan: Plan, header: arrow.Header) -> None:
    """Every column the model reads is in the file; DataError otherwise (with did-you-mean)."""
    for i in plan.inputs:
        if not i.columns:  # `input x: 4`, `input seq: (4, 62)`: no feature names to read
            raise UsageError(
                f"{plan.model}: input '{i.key}' reads no named columns (it was declared with a width or "
                "a shape), so a data file cannot feed it; name its features in the spec "
                f"(input {i.key}: [col_a, col_b, ...], then -> reshape(...) for a shape) and compile it again"
            )
    for column in plan.kinds():
        if column not in header.columns:
            raise arrow.missing_column(header, column)


def _file_kinds(plan: Plan, header: arrow.Header) -> dict[str, str]:
    model = plan.kinds()
    return {c: model.get(c, arrow.RAW) for c in header.columns}


def check_missing(plan: Plan, table: arrow.Table) -> None:
    """A missing number the model does not fill, or a category a lookup(oov=0) cannot take: DataError."""
    from ..data.vocab import check_table

    for column, kind in plan.kinds().items():
        if kind == arrow.FLOAT and column not in plan.fillable and table.missing_count(column):
            raise table.first_missing(column)
    check_table(table, plan.closed)


def model_arrays(plan: Plan, table: arrow.Table) -> dict[str, Any]:
    """The model's inputs from a table: (rows, k) float32 for numbers; a
    category column as (rows, 1) int64 or strings."""
    x: dict[str, Any] = {}
    for i in plan.inputs:
        if all(k == arrow.FLOAT for k in i.kinds):
            x[i.key] = table.numbers(i.columns)
        else:
            x[i.key] = table.values(i.columns[0]).reshape(-1, 1)
    return x


# ---- predicting --------------------------------------------------------------------------


def predict(
    model: str, data: str, *, output: str | None = None, batch_size: int = 1024, stream: bool | None = None
) -> PredictResult:
    """Predict every row of `data` (CSV or Parquet) with the saved model.

    Writes a CSV to `output` when given (atomically); otherwise returns the
    result as a pyarrow Table. DataError for a file the model cannot read,
    raised before TensorFlow loads; UsageError for a model netdsl cannot map
    to columns.
    """
    plan = read_plan(model)
    header = arrow.read_header(data)
    check_columns(plan, header)
    streaming = stream if stream is not None else arrow.file_size(data) > STREAM_BYTES
    lines = None if streaming or output is None or header.parquet else _raw_lines(data)
    kinds = plan.kinds() if lines is not None else _file_kinds(plan, header)
    if streaming:
        pieces = arrow.iter_batches(data, kinds, header)
        first = next(pieces)  # the first piece is checked before TensorFlow loads
        check_missing(plan, first)
        chunks = _chain(first, pieces)
    else:
        table = arrow.read_table(data, kinds, header)
        check_missing(plan, table)
        if lines is not None and len(lines) != table.num_rows + 1:
            lines = None  # a record over several lines: format the file's columns again instead
            table = arrow.read_table(data, _file_kinds(plan, header), header)
        chunks = iter([table])
    from ..backends.keras_runtime import load_model

    keras_model = load_model(model)
    if lines is not None and output is not None:
        return _predict_lines(plan, keras_model, table, lines, output, batch_size)
    return _predict_tables(plan, keras_model, chunks, output, batch_size)


def _predict_tables(plan: Plan, keras_model, chunks, output: str | None, batch_size: int) -> PredictResult:
    """Each chunk's columns and its predictions, written (or kept) as Arrow tables."""
    from ..backends.keras_runtime import predict_arrays

    columns: list[str] = []
    written = 0
    results = []
    with _Sink(output) as sink:
        for chunk in chunks:
            check_missing(plan, chunk)
            predicted = predict_arrays(keras_model, model_arrays(plan, chunk), batch_size)
            result = _result_table(plan, chunk, predicted)
            columns = result.column_names
            written += result.num_rows
            if output is None:
                results.append(result)
            else:
                sink.write(result)
    table_out = None
    if output is None:
        import pyarrow as pa

        table_out = pa.concat_tables(results) if results else None
    return PredictResult(written, columns, table_out)


def _raw_lines(path: str) -> list[bytes] | None:
    """The file's lines as written (header first, empty lines left out), when
    each is one record: no quotes anywhere, so no cell holds a line break or a
    comma. None otherwise."""
    with open(path, "rb") as fh:
        text = fh.read()
    if b'"' in text:
        return None
    text = text.removeprefix(b"\xef\xbb\xbf")
    if b"\r" in text or b"\n\n" in text or text.startswith(b"\n"):
        return [line for line in (raw.rstrip(b"\r") for raw in text.split(b"\n")) if line]
    lines = text.split(b"\n")  # every line a record: nothing to strip or skip
    if not lines[-1]:
        lines.pop()
    return lines


def _predict_lines(plan: Plan, keras_model, table, lines: list[bytes], output: str, batch_size: int):
    """The file's own lines, each with its predictions appended: the input
    columns exactly as written (and no time spent formatting them again)."""
    from ..backends.keras_runtime import predict_arrays

    predicted = predict_arrays(keras_model, model_arrays(plan, table), batch_size)
    result = _result_table(plan, table.data.select([]), predicted, table.path, set(table.columns))
    appended = b"".join(csv_parts(result, header=True)).split(b"\n")
    with _Sink(output) as sink:
        sink.file.write(b"\n".join(map(b",".join, zip(lines, appended))))
        sink.file.write(b"\n")
    return PredictResult(table.num_rows, list(table.columns) + result.column_names)


def _chain(first, rest):
    yield first
    yield from rest


class _Sink:
    """A CSV written batch by batch into a temporary file, renamed into place at the end."""

    def __init__(self, path: str | None):
        self.path = path
        self.file: Any = None
        self._ctx: Any = None
        self.header = True

    def __enter__(self):
        if self.path is not None:
            from ..io import atomic_output

            self._ctx = atomic_output(self.path)
            self.file = open(self._ctx.__enter__(), "wb")  # noqa: SIM115  (closed in __exit__)
        return self

    def write(self, table) -> None:
        for part in csv_parts(table, self.header):
            self.file.write(part)
        self.header = False

    def __exit__(self, kind, value, tb):
        if self.file is not None:
            self.file.close()
        if self._ctx is not None:
            return self._ctx.__exit__(kind, value, tb)
        return False


PART_ROWS = 32768  # a table is formatted as CSV in parts of this many rows, on every core


def csv_parts(table, header: bool) -> list[bytes]:
    """A table as CSV text, its row ranges formatted in threads (pyarrow's writer
    formats on one core, without the GIL), in order; the header first when asked."""
    import io
    import os
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow.csv as pcsv

    def text(k: int) -> bytes:
        out = io.BytesIO()
        options = pcsv.WriteOptions(include_header=header and k == 0, quoting_style="needed")
        pcsv.write_csv(table.slice(k * PART_ROWS, PART_ROWS), out, write_options=options)
        return out.getvalue()

    parts = max(1, -(-table.num_rows // PART_ROWS))
    if parts == 1:
        return [text(0)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return list(pool.map(text, range(parts)))


def _result_table(plan: Plan, table, predicted: list, path: str = "", taken: set | None = None):
    """The file's columns (an arrow.Table, or a pyarrow table of the ones to keep),
    then the predictions of every output."""
    import numpy as np

    out = table.data if isinstance(table, arrow.Table) else table
    path = table.path if isinstance(table, arrow.Table) else path
    taken = set(out.column_names) | (taken or set())
    by_output = dict(zip(plan.outputs, predicted)) if plan.outputs else {}
    targets = {t.output: t for t in plan.targets}
    names = plan.outputs or [f"output_{k}" for k in range(len(predicted))]
    for k, name in enumerate(names):
        scores = np.asarray(by_output.get(name, predicted[k]), dtype="float32")
        scores = scores.reshape(len(scores), -1)
        for column, values in _output_columns(name, targets.get(name), scores):
            if column in taken:
                raise UsageError(f"{path}: has a column '{column}' already; predict would overwrite it")
            taken.add(column)
            out = out.append_column(column, values)
    return out


def _output_columns(name: str, target: Target | None, scores):
    """(column, Arrow array) of one output's predictions."""
    import numpy as np

    if target is None or target.encoding == "value" or not target.classes:
        label = target.label if target else name
        if scores.shape[1] == 1:
            return [(f"{label}_predicted", arrow.numpy_array(scores[:, 0]))]
        return [(f"{label}_{k}", arrow.numpy_array(scores[:, k])) for k in range(scores.shape[1])]
    classes = [str(c) for c in target.classes]
    if scores.shape[1] == 1:  # one sigmoid unit: the probability of the second class
        probs = np.concatenate([1.0 - scores, scores], axis=1)
    else:
        probs = scores
    columns = [(f"{target.label}_predicted", arrow.strings_at(classes, probs.argmax(axis=1)))]
    columns += [(f"{target.label}_prob_{c}", arrow.numpy_array(probs[:, j])) for j, c in enumerate(classes)]
    return columns
