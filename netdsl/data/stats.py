"""What layers learn from data, computed without TensorFlow: vocabularies and fill values.

Vocabularies come from every row of the file (a vocabulary is the data's
schema: `check --data` then knows the sizes the trained model will have),
in the order Keras's `adapt` gives them (most frequent first, ties broken by
the value, descending), without missing cells. Fill values (mean, median)
come from the training rows only. Both can be accumulated over a streamed
file piece by piece: memory grows with the number of distinct categories,
not with the file.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..lang import codes
from . import arrow
from .errors import DataError

# A streamed median is the median of a uniform sample of at most this many
# values per column (exact below it); a mean is always exact.
MEDIAN_SAMPLE = 1_000_000


@dataclass
class Counts:
    """Value counts of one category column, and how many of its cells are missing."""

    counts: Counter = field(default_factory=Counter)
    missing: int = 0

    def add(self, column) -> None:
        self.missing += column.null_count
        for item in arrow.compute("value_counts", arrow.compute("drop_null", column)).to_pylist():
            self.counts[item["values"]] += item["counts"]

    def ordered(self) -> list[tuple[Any, int]]:
        """(value, count) in Keras's adapt order: most frequent first, ties by value, descending."""
        counts = self.counts
        strings = bool(counts) and isinstance(next(iter(counts)), str)
        return sorted(
            counts.items(), key=lambda kv: (kv[1], kv[0].encode("utf-8") if strings else kv[0]), reverse=True
        )

    def vocabulary(self) -> list:
        return [v for v, _ in self.ordered()]


def category_counts(table: arrow.Table, columns) -> dict[str, Counts]:
    out = {}
    for c in columns:
        out[c] = Counts()
        out[c].add(table.data.column(c))
    return out


@dataclass
class Moments:
    """Running sums for the mean, and a bounded sample for the median, of float columns."""

    columns: list[str]
    keep_sample: bool = True  # keep the sample a median needs (a mean needs only the sums)
    total: Any = None
    count: Any = None
    sample: list = field(default_factory=list)
    sampled: int = 0
    seed: int = 0

    def add(self, values) -> None:
        """`values`: rows x columns float32, NaN where missing."""
        import numpy as np

        present = ~np.isnan(values)
        sums = np.where(present, values, 0.0).sum(axis=0, dtype="float64")
        counts = present.sum(axis=0)
        self.total = sums if self.total is None else self.total + sums
        self.count = counts if self.count is None else self.count + counts
        if self.keep_sample:
            self._sample(values)

    def _sample(self, values) -> None:
        import numpy as np

        room = MEDIAN_SAMPLE - self.sampled
        if room >= len(values):
            self.sample.append(values)
            self.sampled += len(values)
            return
        # Past the bound, keep a uniform share of the new rows (a reservoir by blocks).
        rng = np.random.default_rng(self.seed + self.sampled)
        keep = rng.random(len(values)) < MEDIAN_SAMPLE / (self.sampled + len(values))
        merged = np.concatenate(self.sample + [values[keep]])
        drop = len(merged) - MEDIAN_SAMPLE
        if drop > 0:
            merged = np.delete(merged, rng.choice(len(merged), drop, replace=False), axis=0)
        self.sample, self.sampled = [merged], self.sampled + len(values)

    def mean(self) -> list[float]:
        import numpy as np

        return (self.total / np.maximum(self.count, 1)).astype("float32").tolist()

    def median(self) -> list[float]:
        import numpy as np

        values = np.concatenate(self.sample) if self.sample else np.zeros((0, len(self.columns)), "float32")
        return [
            float(np.nanmedian(values[:, j])) if (~np.isnan(values[:, j])).any() else 0.0
            for j in range(len(self.columns))
        ]

    def empty_columns(self) -> list[str]:
        """Columns with no value at all in the rows seen (nothing to fill with)."""
        return [c for c, n in zip(self.columns, self.count if self.count is not None else []) if n == 0]


@dataclass
class Summary:
    """What `check --data` learns of a file in one streamed pass: its columns,
    rows, missing cells per column, and each category column's value counts.
    Memory grows with the distinct categories, not with the file."""

    path: str
    columns: list[str]
    rows: int = 0
    missing: dict[str, int] = field(default_factory=dict)
    first_missing_row: dict[str, int] = field(default_factory=dict)
    counts: dict[str, Counts] = field(default_factory=dict)

    def missing_count(self, column: str) -> int:
        return self.missing.get(column, 0)

    def first_missing(self, column: str, code=codes.BAD_CELL, help: str | None = None):
        """The DataError of the column's first missing cell, located in the file."""
        row = self.first_missing_row[column]
        return arrow.missing_cell_error(self.path, self.columns, column, row, code, help)

    def merged(self, later: Summary) -> Summary:
        """This summary followed by that of the rows after these (`later`)."""
        for column, row in later.first_missing_row.items():
            self.first_missing_row.setdefault(column, self.rows + row)
        for column, n in later.missing.items():
            self.missing[column] = self.missing.get(column, 0) + n
        for column, counts in later.counts.items():
            mine = self.counts.setdefault(column, Counts())
            mine.counts.update(counts.counts)
            mine.missing += counts.missing
        self.rows += later.rows
        return self

    def classes(self, column: str) -> list | None:
        """The distinct values of a label column (None: not read)."""
        counts = self.counts.get(column)
        return None if counts is None else list(counts.counts)


def scan(path: str, kinds: dict[str, str], header: arrow.Header | None = None) -> Summary:
    """Read the typed columns of a file piece by piece (DataError at the first
    bad cell) and summarize them; a large CSV as two halves at once (see
    arrow.halves). (Piece by piece is as fast as reading the file at once on a
    busy 2-core machine, and its memory does not grow.)"""
    from concurrent.futures import ThreadPoolExecutor

    header = header or arrow.read_header(path)
    parts = arrow.halves(header) if kinds else None
    if parts is not None:
        try:
            with ThreadPoolExecutor(max_workers=2) as pool:
                first, second = pool.map(lambda part: _summarize(path, header, kinds, part), parts)
            return first.merged(second)
        except DataError:
            pass  # located by reading the file in order, below
    return _summarize(path, header, kinds)


def _summarize(path: str, header: arrow.Header, kinds: dict[str, str], part=None) -> Summary:
    """The summary of the file, or of one of its halves (`part`: rows counted from its start)."""
    summary = Summary(path, header.columns)
    for piece in arrow.iter_batches(path, kinds, header, part=part) if kinds else ():
        for column, kind in kinds.items():
            values = piece.data.column(column)
            if values.null_count:
                if column not in summary.first_missing_row:
                    summary.first_missing_row[column] = piece.offset + arrow.first_null(values)
                summary.missing[column] = summary.missing.get(column, 0) + values.null_count
            if kind in (arrow.STRING, arrow.INT, arrow.LABEL):
                summary.counts.setdefault(column, Counts()).add(values)
        summary.rows += piece.num_rows
    return summary
