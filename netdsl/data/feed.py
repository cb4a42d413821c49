"""Rows for fit, evaluate and adapt, in chunks: from arrays in memory or streamed from a file.

A feed yields (inputs, targets) chunks of a few thousand rows; the Keras
backend turns it into a `tf.data` pipeline that cuts the chunks into
batches. The same interface serves a table in memory (the rows of one part
of the split, in a seeded order that changes every epoch) and a file larger
than memory (its pieces read again in every epoch, the rows of one part of
the hashed split kept, shuffled within each piece). NumPy only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from . import arrow
from .split import parts

CHUNK_ROWS = 8192
# Layers that learn from data (adapt, fill) read larger chunks: fewer calls of
# the model's front part, at a bounded memory.
LEARN_ROWS = 65536


@dataclass
class Column:
    """One array a feed yields: its key (a Keras input or output), shape per row and dtype."""

    key: str
    shape: tuple[int, ...]  # without the rows axis: (width,), or () for class indices
    dtype: str  # "float32", "int64" or "string"


# Where a chunk's targets hold each row's sample weight (train sample_weight=COLUMN) when the
# feed is `weighted`: not a Keras name, so no output's key
WEIGHT_KEY = "<sample_weight>"


class Feed:
    """Chunks of (inputs, targets); `inputs` maps each input key to a rows x width array."""

    inputs: list[Column]
    targets: list[Column]
    resident = False  # whether its rows are arrays in memory (not read from a file each time)
    weighted: bool = False  # the targets also hold each row's sample weight, (rows,), at WEIGHT_KEY

    def chunks(self) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def count(self) -> int | None:
        """Its rows, when known before reading them."""
        return None


class ArrayFeed(Feed):
    """Rows `indices` of arrays in memory, in a new seeded order each time it is read
    (each epoch) when `shuffle` is set; `chunk` rows at a time (LEARN_ROWS for
    the layers that learn from data)."""

    resident = True

    def __init__(
        self,
        inputs: dict,
        targets: dict,
        indices,
        seed: int = 0,
        shuffle: bool = False,
        chunk: int = CHUNK_ROWS,
    ):
        import numpy as np

        self.x, self.y = inputs, targets
        self.indices = np.asarray(indices, dtype="int64")
        self.seed, self.shuffle, self.epoch, self.chunk = seed, shuffle, 0, chunk
        self.inputs = [_column(k, v) for k, v in inputs.items()]
        self.targets = [_column(k, v) for k, v in targets.items()]

    def __len__(self) -> int:
        return len(self.indices)

    def count(self) -> int | None:
        return len(self.indices)

    def chunks(self):
        import numpy as np

        order = self.indices
        if self.shuffle:
            order = np.random.default_rng([self.seed, self.epoch]).permutation(order)
            self.epoch += 1
        for s in range(0, len(order), self.chunk):
            rows = order[s : s + self.chunk]
            yield {k: v[rows] for k, v in self.x.items()}, {k: v[rows] for k, v in self.y.items()}


class StreamFeed(Feed):
    """One part (split.TRAIN, VALIDATION or TEST) of a file read piece by piece.

    `convert(table)` turns a piece (an arrow.Table) into (inputs, targets)
    arrays; `columns` describes them (what the first piece will give).
    """

    def __init__(
        self,
        path: str,
        kinds: dict[str, str],
        convert: Callable[[arrow.Table], tuple[dict, dict]],
        inputs: list[Column],
        targets: list[Column],
        part: int,
        split: tuple[int, float, float],
        shuffle: bool = False,
    ):
        self.path, self.kinds, self.convert = path, kinds, convert
        self.inputs, self.targets = inputs, targets
        self.part, self.split, self.shuffle, self.epoch = part, split, shuffle, 0
        self.rows: int | None = None  # the rows of this part, when counted (a scan)

    def count(self) -> int | None:
        return self.rows

    def pieces(self) -> Iterator[arrow.Table]:
        """The rows of this part, piece by piece (an arrow.Table each)."""
        import numpy as np

        seed, test_size, validation_split = self.split
        for piece in arrow.iter_batches(self.path, self.kinds):
            rows = np.arange(piece.offset, piece.offset + piece.num_rows)
            keep = np.flatnonzero(parts(rows, seed, test_size, validation_split) == self.part)
            if len(keep):
                yield piece.take(keep)

    def chunks(self):
        import numpy as np

        seed = self.split[0]
        self.epoch += 1
        for k, piece in enumerate(self.pieces()):
            if self.shuffle:
                piece = piece.take(np.random.default_rng([seed, self.epoch, k]).permutation(piece.num_rows))
            yield self.convert(piece)


def _column(key: str, values) -> Column:
    kind = values.dtype.kind
    dtype = "string" if kind in "OUS" else "int64" if kind in "iu" else "float32"
    return Column(key, tuple(values.shape[1:]), dtype)
