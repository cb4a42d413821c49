"""Training one model across processes (data-parallel, JAX) or local devices
(mirrored, TensorFlow): which rows each process feeds, and the TrainResult.

Data-parallel: the training rows (seeded and shuffled once by the split) are
cut into global batches of `batch_size` rows; process i feeds the i-th slice
of every global batch, so the N processes together take exactly the steps one
process would take on the same batches. Each process needs the same number of
rows per batch, so a remainder of fewer than N rows is dropped (and
reported), and the batch size must be a multiple of N. The last rows of the
shuffled training rows are the validation rows (as Keras's validation_split
takes them), cut the same way.

Each process reads the table and keeps its slice; the row indices are all a
streaming reader needs to read only its shard.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..io import UsageError
from .training import Prepared, TrainResult


@dataclass
class Shards:
    processes: int
    process_id: int
    train: list[int]  # this process's training rows, in batch order
    validation: list[int]  # this process's validation rows
    train_rows: list[int]  # every process's training rows (standardize adapts on them)
    dropped: int  # training rows left out so that every process gets as many


def local_rows(rows: list[int], batch: int, processes: int, process_id: int) -> list[int]:
    """This process's slice of every global batch of `rows` (len(rows) % processes == 0)."""
    mine: list[int] = []
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        share = len(chunk) // processes
        mine += chunk[process_id * share : (process_id + 1) * share]
    return mine


def make_shards(train: list[int], settings: dict, processes: int, process_id: int) -> Shards:
    batch = settings["batch_size"]
    if batch % processes:
        raise UsageError(
            f"batch size {batch} is not a multiple of {processes} processes: each process feeds an equal "
            f"share of every batch (try --batch-size {batch - batch % processes or processes})"
        )
    n_val = int(len(train) * settings["validation_split"]) // processes * processes
    val, rest = train[len(train) - n_val :], train[: len(train) - n_val]
    dropped = len(rest) % processes
    rest = rest[: len(rest) - dropped]
    return Shards(
        processes,
        process_id,
        local_rows(rest, batch, processes, process_id),
        local_rows(val, batch, processes, process_id),
        rest,
        dropped,
    )


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


def train_data_parallel(
    g, prepared: Prepared, settings: dict, coordinator, processes: int, process_id: int, verbose
):
    """Fit with keras.distribution.DataParallel on the JAX backend; every
    process returns the same model."""
    if not 0 <= process_id < processes:
        raise UsageError(f"--process-id {process_id}: must be from 0 to {processes - 1}")
    coordinator = parse_coordinator(coordinator, processes, process_id)
    binding, inputs, targets = prepared.binding, prepared.inputs, prepared.targets
    split = prepared.split(g, settings["test_size"], settings["seed"])
    shards = make_shards(split.train, settings, processes, process_id)
    from ..backends.keras_distributed import start_jax

    start_jax(coordinator, processes, process_id)  # before Keras is imported
    from ..backends.keras_distributed import evaluate, fit_data_parallel

    started = time.perf_counter()
    model, history = fit_data_parallel(g, binding, inputs, targets, shards, settings, verbose)
    seconds = time.perf_counter() - started
    test = evaluate(g, model, binding, inputs, targets, split.test, settings["batch_size"])
    rows = {"train": len(shards.train_rows), "test": len(split.test), "dropped": shards.dropped}
    rows["validation"] = len(split.train) - len(shards.train_rows) - shards.dropped
    return _result(g, model, history, test, settings, rows, seconds, binding, inputs, targets, split)


def train_mirrored(g, prepared: Prepared, settings: dict, replicas: int | None, verbose):
    """Fit under TensorFlow's MirroredStrategy over the local devices."""
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
