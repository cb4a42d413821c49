"""Training one model across processes (data-parallel, JAX) or local devices
(mirrored, TensorFlow): which rows each process feeds, and the TrainResult.

Data-parallel: every process streams the file piece by piece (never the
whole table) and keeps only its own rows. The split is the hashed one of
streamed training (data/split.py: each row's part from the seed and its row
number); the rows of each piece are put in a seeded order (the same in every
process), and the training rows, in that order, are cut into global batches
of `batch_size` rows: process i feeds the i-th slice of every global batch,
so the N processes together take exactly the steps one process would take on
the same batches. Each process needs the same number of rows per batch, so a
remainder of fewer than N rows is dropped (and reported), and the batch size
must be a multiple of N. The validation rows are cut the same way. Layers
that learn from data (standardize, fill) learn from every training row,
streamed; the test rows are streamed for the evaluation. Lookups of raw
categories (TensorFlow-only layers) run in the tf.data input pipeline, the
rest of the model under JAX (backends/keras_pipeline.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import networkx as nx

from ..data import arrow, split
from ..io import UsageError
from .training import Prepared, TrainResult


@dataclass
class Shard:
    """This process's rows of the training and validation parts, as arrays."""

    processes: int
    process_id: int
    train: tuple[dict, dict] | None  # (inputs, targets by Keras output name), in batch order
    validation: tuple[dict, dict] | None
    rows: dict  # train / validation rows fed by all processes together, dropped


def owners(positions, total: int, batch: int, processes: int):
    """The process that feeds each position (0..total-1) of a part's rows in
    batch order: the i-th slice of every global batch goes to process i; -1
    for the last total % processes rows (dropped, so that every process gets
    as many rows per batch)."""
    import numpy as np

    positions = np.asarray(positions, dtype="int64")
    kept = total - total % processes
    start = positions // batch * batch
    share = np.maximum(np.minimum(batch, kept - start) // processes, 1)
    out = (positions - start) // share
    out[positions >= kept] = -1
    return out


def check_batch(batch: int, processes: int) -> None:
    if batch % processes:
        raise UsageError(
            f"batch size {batch} is not a multiple of {processes} processes: each process feeds an equal "
            f"share of every batch (try --batch-size {batch - batch % processes or processes})"
        )


def read_shard(g: nx.DiGraph, streamed, batch: int, processes: int, process_id: int) -> Shard:
    """Stream the file once, keeping this process's training and validation rows
    (converted to the model's arrays piece by piece: a piece and this process's
    rows are all it holds)."""
    import numpy as np

    from ..backends.keras_layers import keras_names
    from .streaming import converter

    convert = converter(g, streamed, keras_names(g))
    seed = streamed.split[0]
    seen = {split.TRAIN: 0, split.VALIDATION: 0}
    kept: dict[int, list] = {split.TRAIN: [], split.VALIDATION: []}
    for k, piece in enumerate(arrow.iter_batches(streamed.path, streamed.kinds)):
        order = np.random.default_rng([seed, k]).permutation(piece.num_rows)
        part = split.parts(piece.offset + order, *streamed.split)
        for p, chunks in kept.items():
            rows = order[part == p]
            mine = rows[
                owners(seen[p] + np.arange(len(rows)), streamed.rows[p], batch, processes) == process_id
            ]
            seen[p] += len(rows)
            if len(mine):
                chunks.append(convert(piece.take(mine)))
    train, val = (streamed.rows[p] - streamed.rows[p] % processes for p in (split.TRAIN, split.VALIDATION))
    dropped = streamed.rows[split.TRAIN] - train + streamed.rows[split.VALIDATION] - val
    rows = {"train": train, "validation": val, "test": streamed.rows[split.TEST], "dropped": dropped}
    train_xy, val_xy = (_joined(kept[p]) for p in (split.TRAIN, split.VALIDATION))
    return Shard(processes, process_id, train_xy, val_xy, rows)


def _joined(chunks: list) -> tuple[dict, dict] | None:
    import numpy as np

    if not chunks:
        return None
    return tuple({k: np.concatenate([c[i][k] for c in chunks]) for k in chunks[0][i]} for i in (0, 1))  # type: ignore[return-value]


def parse_coordinator(text: str | None, processes: int, process_id: int) -> str | None:
    """HOST:PORT checked; process 0 also checks that it can listen there (JAX
    would abort the process with a C++ check failure)."""
    if processes == 1:
        return None
    if not text:
        raise UsageError("--num-processes above 1 needs --coordinator HOST:PORT (process 0 listens there)")
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--coordinator {text}: expected HOST:PORT, e.g. 127.0.0.1:7777")
    if process_id == 0:
        import socket

        try:
            with socket.create_server((host.strip("[]"), int(port))):
                pass
        except OSError as exc:
            raise UsageError(f"--coordinator {text}: process 0 cannot listen there: {exc.strerror}") from None
    return text


def refuse_sample_weight(g: nx.DiGraph, how: str) -> None:
    """SpecError at the train line's sample_weight: the distributed fits do not weigh rows yet."""
    from ..ir.core import network
    from ..lang import codes
    from ..lang.diagnostics import SpecError, error

    net = network(g)
    if net.train.sample_weight is None:
        return
    message = f"train --distribute {how} does not weigh rows by sample_weight yet"
    help = "train without --distribute, or drop sample_weight from the train line"
    raise SpecError(
        [error(codes.BAD_TRAIN_SETTING, message, net.train.sample_weight_span, help=help)], net.source
    )


def train_data_parallel(
    g, path: str, columns, settings: dict, coordinator, processes: int, process_id: int, verbose
):
    """Fit with keras.distribution.DataParallel on the JAX backend, each process
    streaming its shard of `path`; every process returns the same model."""
    refuse_sample_weight(g, "data-parallel")
    if not 0 <= process_id < processes:
        raise UsageError(f"--process-id {process_id}: must be from 0 to {processes - 1}")
    from ..backends.input_pipeline import input_pipeline

    input_pipeline(g)  # refuses, before any work, category operations it cannot run
    check_batch(settings["batch_size"], processes)
    coordinator = parse_coordinator(coordinator, processes, process_id)
    from .streaming import feed, prepare_stream, streamed_class_weight

    streamed = prepare_stream(g, path, settings, columns)
    if streamed.rows[split.TRAIN] < processes:
        raise UsageError(f"{streamed.rows[split.TRAIN]} training rows cannot feed {processes} processes")
    shard = read_shard(g, streamed, settings["batch_size"], processes, process_id)
    from ..backends.keras_distributed import start_jax

    start_jax(coordinator, processes, process_id)  # before Keras is imported
    from ..backends.keras_distributed import fit_data_parallel

    started = time.perf_counter()
    model, history, evaluate = fit_data_parallel(
        g, shard, feed(g, streamed, split.TRAIN), settings, streamed_class_weight(g, streamed), verbose
    )
    seconds = time.perf_counter() - started
    test = evaluate(feed(g, streamed, split.TEST), settings["batch_size"])
    binding = streamed.binding
    classes = {t.output: t.classes for t in binding.targets if t.classes is not None}
    return TrainResult(
        model, history, test, classes, settings, rows=shard.rows, seconds=seconds, binding=binding
    )


def train_mirrored(g, prepared: Prepared, settings: dict, replicas: int | None, verbose):
    """Fit under TensorFlow's MirroredStrategy over the local devices."""
    refuse_sample_weight(g, "mirrored")
    from ..backends.keras_distributed import split_cpu

    split_cpu(replicas)  # before the Keras backend starts TensorFlow
    binding, inputs, targets = prepared.binding, prepared.inputs, prepared.targets
    split = prepared.split(g, settings["test_size"], settings["seed"])
    from ..backends.keras_distributed import evaluate, fit_mirrored

    started = time.perf_counter()
    model, history, n = fit_mirrored(g, binding, inputs, targets, split, settings, verbose)
    seconds = time.perf_counter() - started
    test = evaluate(g, model, binding, inputs, targets, split.test, settings["batch_size"])
    rows = {"train": len(split.train), "test": len(split.test), "replicas": n}
    return _result(g, model, history, test, settings, rows, seconds, binding, inputs, targets, split)


def _result(g, model, history, test, settings, rows, seconds, binding, inputs, targets, split) -> TrainResult:
    from .evaluate import held_out_report

    report = held_out_report(model, g, binding, inputs, targets, split.test, settings["batch_size"])
    classes = {t.output: t.classes for t in binding.targets if t.classes is not None}
    return TrainResult(
        model, history, test, classes, settings, rows=rows, seconds=seconds, report=report, binding=binding
    )
