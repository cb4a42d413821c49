"""Tables read with pyarrow: CSV (multi-threaded, or streamed in batches) and Parquet.

Columns are read with the types the spec declares for them, never as Python
strings per cell:

  float   numbers (float32); a missing cell is NaN
  string  string categories; a missing cell is ""
  int     integer categories (int64); a missing cell is -1
  label   a label column, read as text (classes) or numbers (regression)
  raw     any other column, as written (passed through by `predict`)

A cell is missing when it is empty or one of MISSING (pyarrow's null
markers: `NA`, `NaN`, `null`, ...). Whether a missing cell is allowed is the
spec's business (netdsl/data/tables.py), not the reader's.

Problems are DataErrors naming the file, the line (the row of a Parquet
file) and the column. pyarrow's own messages name neither the row nor the
line, so on an error (only then) the file is scanned again to find them.
pyarrow is imported only when a table is read: `netdsl check` without data
never loads it.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..lang import codes
from .errors import DataError, file_line, located

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

FLOAT, STRING, INT, LABEL, RAW = "float", "string", "int", "label", "raw"
KINDS = (FLOAT, STRING, INT, LABEL, RAW)
# What a missing cell is at the model's inputs (the saved model's convention).
MISSING_STRING, MISSING_INT = "", -1
MISSING = ("", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "None")
BLOCK_BYTES = 1 << 20  # the streaming reader's block: peak memory does not grow with the file
PARQUET_SUFFIXES = (".parquet", ".pq")


def is_parquet(path: str) -> bool:
    return path.lower().endswith(PARQUET_SUFFIXES)


def _error(
    path: str,
    message: str,
    line: int | None = None,
    help: str | None = None,
    *,
    code=codes.BAD_DATA_FILE,
    cell: int | None = None,
) -> DataError:
    """A DataError at `line` of the file (a Parquet file has none), at cell `cell` of it when known."""
    return located(path, message, line, cell=cell, code=code, help=help)


# ---- the header -------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    """A file's column names (stripped of spaces) and how pyarrow spells them."""

    path: str
    columns: list[str]
    raw: list[str]  # as written, for pyarrow's include_columns
    parquet: bool = False
    line: int = 1  # the line the header starts on (blank lines may come first)

    def raw_name(self, column: str) -> str:
        return self.raw[self.columns.index(column)]


def read_header(path: str) -> Header:
    """The column names of a CSV or Parquet file. OSError for I/O problems,
    DataError when the file has no header or names a column twice."""
    if is_parquet(path):
        import pyarrow.parquet as pq

        try:
            names = list(pq.read_schema(path).names)
        except OSError:
            raise
        except Exception as exc:  # pyarrow raises ArrowInvalid for a file that is not Parquet
            raise _error(path, f"not a Parquet file: {_arrow_message(exc)}") from None
        header = Header(path, names, names, parquet=True)
    else:
        with open(path, "rb") as fh:
            line, first = _first_record(fh, path)
        header = Header(path, [c.strip() for c in first], first, line=line)
    _check_duplicates(header)
    return header


def _first_record(fh, path: str) -> tuple[int, list[str]]:
    """The header: (its line, the first non-empty record; quoted cells may span lines)."""
    text = fh.read(BLOCK_BYTES).decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    end = 0
    try:
        for record in reader:
            start, end = end + 1, reader.line_num
            if record:  # pyarrow skips empty lines only
                return start, record
    except csv.Error:
        raise _error(path, "the header row is not valid CSV", end + 1, code=codes.BAD_ROW) from None
    raise _error(path, "the file is empty")


def missing_column(header: Header, column: str) -> DataError:
    """A column a model reads that the file lacks, at the header, with did-you-mean."""
    from ..lang.diagnostics import did_you_mean

    hint = did_you_mean(column, header.columns) or "its columns are: " + ", ".join(header.columns)
    return _error(
        header.path,
        f"the model reads column '{column}', which the file lacks",
        None if header.parquet else header.line,
        hint,
        code=codes.MISSING_COLUMN,
    )


def _check_duplicates(header: Header) -> None:
    seen: dict[str, int] = {}
    for j, name in enumerate(header.columns):
        if name in seen:
            raise _error(
                header.path,
                f"column '{name}' is named twice in the header (columns {seen[name] + 1} and {j + 1})",
                None if header.parquet else header.line,
                help="rename one of them: netdsl binds features and outputs to columns by name",
                code=codes.DUPLICATE_COLUMN,
                cell=j,
            )
        seen[name] = j


# ---- tables ----------------------------------------------------------------------------


@dataclass
class Table:
    """The columns of a file that a spec reads, typed; `columns` lists them all."""

    path: str
    columns: list[str]
    data: pa.Table  # one column per name read, in the types of `kinds`
    kinds: dict[str, str] = field(default_factory=dict)
    offset: int = 0  # the file's data row of this table's first row (a streamed piece)
    row_ids: np.ndarray | None = None  # the file's data row of each row, after take()
    memory: int = 0  # estimated bytes the table takes in memory (read_table's estimate)

    @property
    def num_rows(self) -> int:
        return self.data.num_rows

    def numbers(self, names) -> np.ndarray:
        """The named float columns as one float32 array, rows x columns; NaN where missing."""
        import numpy as np

        out = np.empty((self.num_rows, len(names)), dtype="float32")
        for k, name in enumerate(names):
            out[:, k] = _to_numpy(self.data.column(name), np.nan)
        return out

    def strings(self, name: str) -> np.ndarray:
        """A string column as an array of Python strings; "" where missing."""
        import numpy as np

        column = self.data.column(name)
        out = np.empty(len(column), dtype=object)
        out[:] = column.to_pylist()
        if column.null_count:
            out[out == None] = MISSING_STRING  # noqa: E711  (elementwise: the missing cells)
        return out

    def ints(self, name: str) -> np.ndarray:
        """An int column as int64; -1 where missing."""
        return _to_numpy(self.data.column(name), MISSING_INT)

    def values(self, name: str) -> np.ndarray:
        """A column in its kind's array form (numbers as a (rows,) float32 array)."""
        kind = self.kinds.get(name, FLOAT)
        if kind == STRING:
            return self.strings(name)
        if kind == INT:
            return self.ints(name)
        return self.numbers([name])[:, 0]

    def numbers_of_text(self, name: str) -> np.ndarray:
        """A text column (a label) as float32 numbers; DataError at the first that is not one."""
        import pyarrow as pa
        from pyarrow._compute import CastOptions, call_function

        try:
            numbers = call_function("cast", [self.data.column(name)], CastOptions(pa.float32()))
            return _to_numpy(numbers, float("nan"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            values = self.data.column(name).to_pylist()
            i = next(k for k, v in enumerate(values) if v is None or not _parses(v, FLOAT))
            line, cell = locate_cell(self.path, self.columns, name, self.file_row(i))
            message = f"column '{name}' is not a number: {cell.strip()!r}"
            raise self.cell_error(line, name, message) from None

    def distinct(self, name: str) -> list:
        """The distinct non-missing values of a column."""
        return compute("unique", compute("drop_null", self.data.column(name))).to_pylist()

    def index_in(self, name: str, values: list) -> np.ndarray:
        """Each row's position of its value in `values` (int64; -1 when absent or missing)."""
        import numpy as np

        position = {v: k for k, v in enumerate(values)}
        out = np.empty(self.num_rows, dtype="int64")
        at = 0
        for chunk in compute("dictionary_encode", self.data.column(name)).chunks:
            lookup = np.array([position.get(v, -1) for v in chunk.dictionary.to_pylist()] + [-1], "int64")
            # a missing cell's index is -1 too: the lookup's last entry
            out[at : at + len(chunk)] = lookup[_to_numpy(chunk.indices, -1)]
            at += len(chunk)
        return out

    def classes(self, name: str) -> list | None:
        """The distinct values of a label column (None: not read)."""
        return self.distinct(name) if name in self.kinds else None

    def missing_count(self, name: str) -> int:
        return self.data.column(name).null_count

    def file_row(self, i: int) -> int:
        """The 0-based data row of the file that row i of this table is."""
        return int(self.row_ids[i]) if self.row_ids is not None else self.offset + i

    def take(self, indices) -> Table:
        """The rows at `indices` (a split), still located in the file."""
        import numpy as np

        picked = np.asarray(indices, dtype="int64")
        ids = self.row_ids[picked] if self.row_ids is not None else picked + self.offset
        return Table(self.path, self.columns, self.data.take(picked), dict(self.kinds), 0, ids)

    def first_missing(self, name: str, code=codes.BAD_CELL, help: str | None = None) -> DataError:
        """The error for the first missing cell of a column, located in the file."""
        row = self.file_row(first_null(self.data.column(name)))
        return missing_cell_error(self.path, self.columns, name, row, code, help)

    def cell_error(self, line: int | None, name: str, message: str, help: str | None = None) -> DataError:
        """A problem with the cell of column `name` on a line of the file, pointing at it."""
        return _error(self.path, message, line, help, code=codes.BAD_CELL, cell=self.columns.index(name))


def missing_cell_error(
    path: str, columns: list[str], name: str, row: int, code=codes.BAD_CELL, help: str | None = None
) -> DataError:
    """The error for a missing cell in a column that must have values, located."""
    line, raw = locate_cell(path, columns, name, row)
    what = "is empty on this row" if not raw.strip() else f"is missing on this row ({raw.strip()!r})"
    where = "" if line is not None or not is_parquet(path) else f" (row {row + 1})"
    return _error(path, f"column '{name}' {what}{where}", line, help, code=code, cell=columns.index(name))


# NumPy's dtype of the Arrow types read into arrays
_NUMPY_TYPES = {"float": "float32", "double": "float64", "int64": "int64", "int32": "int32", "int8": "int8"}


def _to_numpy(column, fill) -> np.ndarray:
    """A numeric column (Array or ChunkedArray) as a NumPy array, `fill` where
    missing. Read from its Arrow buffers: pyarrow's own to_numpy (and any Python
    value made an Arrow value) imports pandas, a fifth of a second of every
    `train` and `predict`."""
    import numpy as np

    chunks = column.chunks if hasattr(column, "chunks") else [column]
    dtype = np.dtype(_NUMPY_TYPES[str(column.type)])
    out = np.empty(len(column), dtype=dtype)
    at = 0
    for chunk in chunks:
        n = len(chunk)
        if n:
            validity, data = chunk.buffers()[:2]
            part = out[at : at + n]
            part[:] = np.frombuffer(data, dtype=dtype, count=n, offset=chunk.offset * dtype.itemsize)
            if chunk.null_count:
                bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
                part[bits[chunk.offset : chunk.offset + n] == 0] = fill
        at += n
    return out


def numpy_array(values) -> pa.Array:
    """An Arrow array of a 1-D NumPy array of numbers (or booleans), made
    from its buffer (pa.array would import pandas)."""
    import numpy as np
    import pyarrow as pa

    if values.dtype == bool:
        bits = np.packbits(values, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])
    values = np.ascontiguousarray(values)
    kind = next(k for k, v in _NUMPY_TYPES.items() if np.dtype(v) == values.dtype)
    return pa.Array.from_buffers(pa.type_for_alias(kind), len(values), [None, pa.py_buffer(values)])


def strings_at(names: list[str], indices) -> pa.Array:
    """The Arrow string array of names[i] for each i of the NumPy array `indices`."""
    import numpy as np
    import pyarrow as pa

    encoded = [n.encode("utf-8") for n in names]
    offsets = np.zeros(len(encoded) + 1, dtype="int32")
    offsets[1:] = np.cumsum([len(e) for e in encoded])
    dictionary = pa.Array.from_buffers(
        pa.string(), len(names), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    )
    return compute("take", dictionary, numpy_array(np.asarray(indices, dtype="int64")))


def _arrow_types(kinds: Mapping[str, str]) -> dict[str, Any]:
    import pyarrow as pa

    by_kind = {
        FLOAT: pa.float32(),
        STRING: pa.string(),
        INT: pa.int64(),
        LABEL: pa.string(),
        RAW: pa.string(),
    }
    return {name: by_kind[kind] for name, kind in kinds.items()}


def _csv_options(header: Header, kinds: Mapping[str, str], block_bytes: int | None = None):
    import pyarrow.csv as pcsv

    types = _arrow_types(kinds)
    read = pcsv.ReadOptions(block_size=block_bytes) if block_bytes else pcsv.ReadOptions()
    parse = pcsv.ParseOptions(newlines_in_values=True)
    convert = pcsv.ConvertOptions(
        column_types={header.raw_name(c): t for c, t in types.items()},
        include_columns=[header.raw_name(c) for c in kinds],
        null_values=list(MISSING),
        strings_can_be_null=True,
    )
    return read, parse, convert


def read_table(
    path: str, kinds: Mapping[str, str], header: Header | None = None, memory_limit: int | None = None
) -> Table:
    """Read the named columns of a CSV or Parquet file, typed by `kinds`
    (column -> float/string/int/label), into memory; see iter_batches for
    files larger than memory. A CSV is read by pyarrow's streaming reader and
    its pieces joined: on 2 busy cores that is faster than its
    multi-threaded whole-file reader, and its peak memory is lower. A table
    estimated to need more memory than the budget (netdsl.io.memory_budget)
    is refused before it is read; `memory_limit` 0: no budget."""
    header = header or read_header(path)
    if not kinds:  # nothing bound: the rows still count (read the first column as written)
        table = read_table(path, {header.columns[0]: RAW}, header, memory_limit)
        return Table(path, header.columns, table.data.select([]), {}, 0, None)
    estimate = _check_memory(header, kinds, memory_limit)
    if header.parquet:
        data = _read_parquet(header, kinds)
    else:
        import pyarrow as pa

        batches = list(_raw_batches(header, kinds, BLOCK_BYTES))
        if not batches:
            raise _error(path, "there is a header but no data rows", header.line)
        data = pa.Table.from_batches(batches).rename_columns(list(kinds))
    table = Table(path, header.columns, _normalized(data, kinds), dict(kinds), memory=estimate)
    _check_table(table, header.line)
    return table


# Bytes per row of a column held in memory, by kind: its Arrow buffer, the
# arrays made of it for Keras, and a text cell's characters (an estimate).
_ROW_BYTES = {FLOAT: 12, INT: 24, STRING: 48, LABEL: 48, RAW: 48}


def _check_memory(header: Header, kinds: Mapping[str, str], memory_limit: int | None) -> int:
    """The estimated bytes of the table in memory; a DataError (ND902) over the budget."""
    from ..io import format_bytes, memory_budget

    size = file_size(header.path)
    if header.parquet:
        rows = _parquet_rows(header.path)
    else:
        with open(header.path, "rb") as fh:
            head = fh.read(1 << 16)
        rows = round(size * max(head.count(b"\n"), 1) / max(len(head), 1))
    estimate = rows * sum(_ROW_BYTES[k] for k in kinds.values()) + 2 * BLOCK_BYTES
    budget = memory_budget(memory_limit)
    if budget and estimate > budget:
        raise located(
            header.path,
            f"reading this file would take about {format_bytes(estimate)} of memory "
            f"({format_bytes(size)}, about {rows:,} rows of {len(kinds)} columns), over the budget of "
            f"{format_bytes(budget)}",
            None if header.parquet else header.line,
            code=codes.MEMORY_BUDGET,
            help=f"pass --memory-limit {format_bytes(estimate * 5 // 4, unit=True)} if the machine has it, "
            "or --stream to read the file piece by piece",
        )
    return estimate


def _parquet_rows(path: str) -> int:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path).metadata.num_rows
    except Exception:  # read_table says what is wrong with the file
        return 0


def iter_batches(
    path: str,
    kinds: Mapping[str, str],
    header: Header | None = None,
    block_bytes: int = BLOCK_BYTES,
    part: Any = None,
) -> Iterator[Table]:
    """The file in consecutive pieces (about `block_bytes` of CSV each), typed
    like read_table; each piece's `rows` says which rows of the file it holds.
    `part` (from halves()) reads one half of the file instead; offsets then
    count the rows of that half."""
    header = header or read_header(path)
    start = 0
    for batch in _raw_batches(header, kinds, block_bytes, part):
        import pyarrow as pa

        data = _normalized(pa.Table.from_batches([batch]).rename_columns(list(kinds)), kinds)
        piece = Table(path, header.columns, data, dict(kinds), offset=start)
        _check_table(piece, header.line if start == 0 and part is None else None)
        start += batch.num_rows
        yield piece
    if start == 0:
        raise _error(path, "there is a header but no data rows", None if header.parquet else header.line)


# A CSV at least this large is scanned as two halves at once, one per core.
SPLIT_BYTES = 8 << 20


def halves(header: Header) -> list | None:
    """The file cut in two at a line end near its middle, for iter_batches'
    `part`, when every line end ends a record: a CSV of at least SPLIT_BYTES
    with no quote character anywhere (so no cell holds a line break). None
    otherwise. The file is mapped, not read."""
    import mmap

    import pyarrow as pa

    if header.parquet or file_size(header.path) < SPLIT_BYTES or _compressed(header.path):
        return None
    with open(header.path, "rb") as fh:
        mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    middle = mapped.find(b"\n", len(mapped) // 2)
    header_end = 0
    for _ in range(header.line):
        header_end = mapped.find(b"\n", header_end) + 1
    if mapped.find(b'"') >= 0 or middle < 0 or not 0 < header_end <= middle:
        return None
    whole = pa.py_buffer(mapped)
    return [(whole.slice(0, middle + 1), False), (whole.slice(middle + 1), True)]


def _compressed(path: str) -> bool:
    """A name pyarrow decompresses by (its raw bytes are not the CSV's)."""
    return path.lower().endswith((".gz", ".bz2", ".lz4", ".zst", ".br", ".zip"))


def _raw_batches(header: Header, kinds: Mapping[str, str], block_bytes: int, part: Any = None):
    if header.parquet:
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(header.path)
        rows = max(1, block_bytes // 64)
        for batch in pf.iter_batches(batch_size=rows, columns=[header.raw_name(c) for c in kinds]):
            yield _cast_parquet(header, kinds, batch)
        return
    import pyarrow as pa
    import pyarrow.csv as pcsv

    read, parse, convert = _csv_options(header, kinds, block_bytes)
    source: Any = header.path
    if part is not None:
        source = pa.BufferReader(part[0])
        if part[1]:  # the second half: no header line, the names given
            read = pcsv.ReadOptions(block_size=block_bytes, column_names=header.raw)
    try:
        reader = pcsv.open_csv(source, read_options=read, parse_options=parse, convert_options=convert)
        yield from reader
    except OSError:
        raise
    except Exception as exc:
        if isinstance(exc, DataError):
            raise
        raise locate_csv_error(header, kinds, exc) from None


def compute(function: str, *args):
    """An Arrow compute function by name. What `check --data` runs goes through
    here rather than pyarrow.compute, whose import builds Python wrappers for
    every function (a few hundredths of a second of a cold command); and no
    Python value becomes an Arrow value on that path, which would make pyarrow
    import pandas (a tenth of a second)."""
    from pyarrow._compute import call_function

    return call_function(function, list(args))


def _normalized(data: pa.Table, kinds: Mapping[str, str]) -> pa.Table:
    """Text cells without surrounding spaces."""
    for name, kind in kinds.items():
        if kind in (STRING, LABEL):
            column = compute("utf8_trim_whitespace", data.column(name))
            data = data.set_column(data.schema.get_field_index(name), name, column)
    return data


def first_null(column) -> int:
    """The position of a column's first missing cell."""
    return int(compute("indices_nonzero", compute("is_null", column))[0].as_py())


def _check_table(table: Table, header_line: int | None) -> None:
    """Empty files (for the first piece: `header_line` given) and numbers that
    are not finite (`inf`), located."""
    if header_line is not None and table.num_rows == 0:
        line = None if is_parquet(table.path) else header_line
        raise _error(table.path, "there is a header but no data rows", line)
    for name, kind in table.kinds.items():
        if kind != FLOAT:
            continue
        column = table.data.column(name)
        bad = compute("is_inf", column)
        if compute("any", bad).as_py():
            import numpy as np

            i = int(np.argmax(bad.to_numpy(zero_copy_only=False)))
            line, cell = locate_cell(table.path, table.columns, name, table.file_row(i))
            raise table.cell_error(line, name, f"column '{name}' is {cell.strip()!r}, not a finite number")


# ---- Parquet -----------------------------------------------------------------------------


def _read_parquet(header: Header, kinds: Mapping[str, str]) -> pa.Table:
    import pyarrow.parquet as pq

    try:
        data = pq.read_table(header.path, columns=[header.raw_name(c) for c in kinds])
    except OSError:
        raise
    except Exception as exc:
        raise _error(header.path, f"cannot read the Parquet file: {_arrow_message(exc)}") from None
    import pyarrow as pa

    batches = [_cast_parquet(header, kinds, b) for b in data.to_batches()]
    schema = batches[0].schema if batches else None
    return pa.Table.from_batches(batches, schema=schema) if batches else data


def _cast_parquet(header: Header, kinds: Mapping[str, str], batch):
    """A Parquet batch in the kinds' types; a column of another type is an error."""
    import pyarrow as pa
    import pyarrow.compute as pc

    types = _arrow_types(kinds)
    arrays = []
    for name, kind in kinds.items():
        column = batch.column(header.raw_name(name))
        if pa.types.is_dictionary(column.type):
            column = column.dictionary_decode()
        t = column.type
        if kind == RAW:
            arrays.append(column)
            continue
        numeric = pa.types.is_integer(t) or pa.types.is_floating(t)
        ok = {
            FLOAT: numeric,
            STRING: pa.types.is_string(t) or pa.types.is_large_string(t),
            INT: pa.types.is_integer(t),
            LABEL: True,
        }[kind]
        if not ok:
            raise _error(
                header.path,
                f"column '{name}' holds {t} values in the Parquet file, not {_kind_text(kind)}",
                help=_type_help(name, kind),
                code=codes.COLUMN_TYPE,
            )
        if kind == FLOAT and pa.types.is_floating(t):
            column = pc.if_else(pc.is_nan(column), pa.scalar(None, t), column)
        if kind == LABEL and not (pa.types.is_string(t) or pa.types.is_large_string(t)):
            column = pc.cast(column, pa.string())
        arrays.append(pc.cast(column, types[name]))
    return pa.RecordBatch.from_arrays(arrays, names=[header.raw_name(c) for c in kinds])


def _kind_text(kind: str) -> str:
    return {FLOAT: "numbers", STRING: "text (string categories)", INT: "integers", LABEL: "labels"}[kind]


def _type_help(name: str, kind: str) -> str | None:
    if kind == FLOAT:
        return f"declare it as a category in the input: {name}: string"
    if kind == INT:
        return f"declare it as {name}: string, or as a number ({name} without a type)"
    return None


# ---- locating pyarrow's errors in the file ---------------------------------------------------


def _arrow_message(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def locate_csv_error(header: Header, kinds: Mapping[str, str], exc: BaseException) -> DataError:
    """pyarrow's error (which names neither row nor line) as a located DataError."""
    message = str(exc)
    path = header.path
    if "Empty CSV file" in message:
        return _error(path, "the file is empty")
    if "invalid UTF8" in message or "UTF8" in message:
        return _not_utf8(path)
    if "Expected" in message and "columns, got" in message:
        return _bad_width(header)
    if "conversion error" in message:
        located = _bad_value(header, kinds, message)
        if located is not None:
            return located
    return _error(path, f"not a valid CSV file: {_arrow_message(exc)}")


def _records(path: str) -> Iterator[tuple[int, list[str]]]:
    """(first line, cells) of every data record, as pyarrow sees them: the
    header and empty lines are skipped; quoted cells may span lines."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        end = 0
        header_seen = False
        for record in reader:
            start, end = end + 1, reader.line_num
            if not record:
                continue
            if not header_seen:
                header_seen = True
                continue
            yield start, record


def locate_cell(path: str, columns: list[str], name: str, row: int) -> tuple[int | None, str]:
    """(line, text as written) of one cell; a Parquet file has no lines (None, "")."""
    if is_parquet(path):
        return None, ""
    j = columns.index(name)
    for i, (line, record) in enumerate(_records(path)):
        if i == row:
            return line, record[j] if j < len(record) else ""
    return None, ""


def _bad_width(header: Header) -> DataError:
    n = len(header.columns)
    for line, record in _records(header.path):
        if len(record) != n:
            short = len(record) < n
            missing = ", ".join(f"'{c}'" for c in header.columns[len(record) :][:3])
            detail = f": no {missing}{', ...' if n - len(record) > 3 else ''}" if short else ""
            message = (
                f"this row has {len(record)} cell{'s' * (len(record) != 1)}, "
                f"the header {n} column{'s' * (n != 1)}{detail}"
            )
            if short:
                end = len(file_line(header.path, line)) + 1
                hint = "every row needs one cell per column (an empty cell is written ,,)"
                return located(header.path, message, line, column=end, code=codes.BAD_ROW, help=hint)
            hint = 'a cell holding a comma must be quoted: "a, b"'
            return _error(header.path, message, line, hint, code=codes.BAD_ROW, cell=n)
    return _error(header.path, "a row does not have one cell per column")


def _bad_value(header: Header, kinds: Mapping[str, str], message: str) -> DataError | None:
    """The first cell of a typed column that is not of its type."""
    for name, kind in kinds.items():
        if kind not in (FLOAT, INT):
            continue
        j = header.columns.index(name)
        for line, record in _records(header.path):
            cell = record[j].strip() if j < len(record) else ""
            if cell in MISSING or _parses(cell, kind):
                continue
            if "\ufffd" in cell:  # not a number because it is not text: say so, at the byte
                return _not_utf8(header.path)
            if kind == FLOAT:
                text = f"column '{name}' is not a number: {cell!r}"
                hint = f"declare it as a category in the input: {name}: string"
            else:
                text = f"column '{name}' is not an integer: {cell!r}"
                hint = f"declare it as {name}: string to read any text as a category"
            return _error(header.path, text, line, hint, code=codes.BAD_CELL, cell=j)
    return None


def _parses(cell: str, kind: str) -> bool:
    if "_" in cell:  # Python reads 1_000; pyarrow does not
        return False
    try:
        if kind == INT:
            int(cell)
        else:
            float(cell)
    except ValueError:
        return False
    return True


def _not_utf8(path: str) -> DataError:
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    line, offset = 1, 0
    with open(path, "rb") as fh:
        while chunk := fh.read(BLOCK_BYTES):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                # the bad byte is inside this chunk (or the decoder's pending bytes)
                pos = max(exc.start - len(decoder.getstate()[0]), 0)
                line += chunk.count(b"\n", 0, pos)
                column = len(chunk[chunk.rfind(b"\n", 0, pos) + 1 : pos].decode("utf-8", "replace")) + 1
                return located(
                    path,
                    f"not UTF-8 text: byte 0x{chunk[pos]:02x} at line {line}",
                    line,
                    column=column,
                    help="save the file as UTF-8 (most spreadsheets offer 'CSV UTF-8')",
                )
            line += chunk.count(b"\n")
            offset += len(chunk)
    return _error(path, "not UTF-8 text")


def file_size(path: str) -> int:
    """Its size in bytes; 0 when it cannot be read (reading it says why, as a usage error)."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
