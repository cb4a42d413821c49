"""A hashed train/validation/test split: each row's part from its row number and the seed.

A streamed file is never whole in memory, so a split cannot shuffle its row
indices; instead every row's part is a pure function of (seed, row number):
the same seed gives the same rows in every pass over the file, in every
epoch, and in `check`; the shares approach test_size and validation_split as
the file grows (a row is test with probability test_size).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

TRAIN, VALIDATION, TEST = 0, 1, 2

_MASK = (1 << 64) - 1


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: consecutive integers to well-spread 64-bit values."""
    import numpy as np

    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def fractions(rows: np.ndarray, seed: int) -> np.ndarray:
    """A number in [0, 1) per row, uniform and fixed by (seed, row)."""
    import numpy as np

    base = np.uint64((seed * 0x9E3779B97F4A7C15) & _MASK)
    with np.errstate(over="ignore"):
        mixed = _mix(np.asarray(rows, dtype="uint64") + base)
    return (mixed >> np.uint64(11)).astype("float64") * (1.0 / (1 << 53))


def parts(rows: np.ndarray, seed: int, test_size: float, validation_split: float) -> np.ndarray:
    """TRAIN, VALIDATION or TEST for each row: test with probability
    test_size, validation with validation_split of the rest."""
    import numpy as np

    u = fractions(rows, seed)
    out = np.full(len(u), TRAIN, dtype="int8")
    out[u < test_size] = TEST
    out[(u >= test_size) & (u < test_size + (1.0 - test_size) * validation_split)] = VALIDATION
    return out
