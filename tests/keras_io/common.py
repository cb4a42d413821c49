"""What every reference module shares: parameter-count rules, synthetic rows, the Reference record.

The count rules are Keras's own arithmetic written out independently of Keras
(the test checks them against `count_params()`); they are also the rules
netdsl's static counter has to implement for these layers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Counts = tuple[int, int]  # (trainable, non-trainable)


# ---- parameter counts (trainable, non-trainable) ------------------------------


def dense(n_in: int, units: int, use_bias: bool = True) -> Counts:
    return n_in * units + (units if use_bias else 0), 0


def embedding(input_dim: int, output_dim: int, trainable: bool = True) -> Counts:
    n = input_dim * output_dim
    return (n, 0) if trainable else (0, n)


def batchnorm(n: int) -> Counts:
    """gamma, beta trainable; moving mean and variance not."""
    return 2 * n, 2 * n


def layernorm(n: int) -> Counts:
    return 2 * n, 0


def normalization_adapted(n: int) -> Counts:
    """mean (n,), variance (n,), count (): non-trainable."""
    return 0, 2 * n + 1


def multi_head_attention(heads: int, key_dim: int, query_dim: int, value_dim: int | None = None) -> Counts:
    """Keras MultiHeadAttention, value_dim = key_dim, output projected back to the query's width."""
    value_dim = key_dim if value_dim is None else value_dim
    q = query_dim * heads * key_dim + heads * key_dim
    k = query_dim * heads * key_dim + heads * key_dim  # self-attention: key width = query width
    v = query_dim * heads * value_dim + heads * value_dim
    out = heads * value_dim * query_dim + query_dim
    return q + k + v + out, 0


def total(*parts: Counts) -> Counts:
    return sum(p[0] for p in parts), sum(p[1] for p in parts)


def sqrt_dim(vocabulary_size: int) -> int:
    """`int(math.sqrt(len(vocabulary)))`, the examples' embedding size rule."""
    return int(math.sqrt(vocabulary_size))


# ---- synthetic rows -------------------------------------------------------------


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def numbers(g: np.random.Generator, n: int, shape: Sequence[int] = ()) -> np.ndarray:
    return g.normal(0.0, 1.0, size=(n, *shape)).astype("float32")


def choices(
    g: np.random.Generator, vocabulary: Sequence[Any], n: int, shape: Sequence[int] = ()
) -> np.ndarray:
    """Random values drawn from a vocabulary; every value appears when n allows (adapt sees them all)."""
    values = np.asarray(list(vocabulary))
    picks = g.integers(0, len(values), size=(n, *shape))
    flat = picks.reshape(-1)
    flat[: min(len(values), flat.size)] = np.arange(min(len(values), flat.size))
    return values[flat.reshape(picks.shape)]


def indices(g: np.random.Generator, size: int, n: int, shape: Sequence[int] = ()) -> np.ndarray:
    return g.integers(0, size, size=(n, *shape)).astype("int64")


# ---- the record each module exports ------------------------------------------------


@dataclass(frozen=True)
class Source:
    """The keras-io script a reference follows: path in keras-team/keras-io, revision, header date."""

    path: str
    revision: str
    modified: str
    notes: str = ""


@dataclass(frozen=True)
class Reference:
    """One model of one example.

    build       the model as the example builds it (Keras 3), functional where the example is;
    counts      (trainable, non-trainable) from the rules above;
    rows        (n, seed) -> {input name: array or tf-ready list}: raw synthetic inputs;
    as_written  for an example written with subclassed layers/models: that model, ported minimally;
                `build` is then its flattened functional equivalent (what a netdsl spec compiles to),
                and `copy(as_written, flat)` copies weights so that the test can check both agree.
    compile_args  () -> keyword arguments of `model.compile`, as the example passes them;
    fit_args    the example's `fit` settings (epochs, batch size, class weights, callbacks), as data.
    """

    example: str
    model: str
    source: Source
    build: Callable[[], Any]
    counts: Callable[[], Counts]
    rows: Callable[[int, int], dict]
    as_written: Callable[[], Any] | None = None
    copy: Callable[[Any, Any], None] | None = None
    compile_args: Callable[[], dict] = dict
    fit_args: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.example}:{self.model}"
