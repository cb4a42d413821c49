"""Memory estimates of a model and its data, checked before anything is allocated.

The parameter limit (ND901) bounds counts; this bounds bytes. The factors
were measured on this project's machine (TensorFlow 2.21, Keras 3, float32)
as peak resident memory above an idle `import tensorflow`:

- compiling (`netdsl compile`): about 5 x the weights' bytes (initializers'
  temporaries while building, a copy of each variable while saving);
- training: about (9 + optimizer slots) x the weights' bytes (gradients and
  their temporaries, the saved copy, Adam's two slots per weight), plus the
  activations of a batch, plus the data (netdsl.data.tables.read_csv).

They are estimates, not promises: the budget (`--memory-limit`, default
4 GiB) is checked against them with no margin added.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx

from ..io import format_bytes, memory_budget
from ..ir.core import network, nodes
from ..lang import codes
from ..lang.diagnostics import SpecError, error

BYTES_PER_WEIGHT = 4  # float32
COMPILE_FACTOR = 5
TRAIN_FACTOR = 9
# Optimizer -> slot variables per weight (Keras 3's optimizers).
SLOTS = {
    "adam": 2,
    "adamw": 2,
    "adamax": 2,
    "nadam": 2,
    "adadelta": 2,
    "ftrl": 2,
    "lion": 1,
    "adagrad": 1,
    "rmsprop": 1,
    "sgd": 0,
}
DEFAULT_OPTIMIZER = "rmsprop"  # what Keras's compile() uses when none is given


@dataclass(frozen=True)
class Estimate:
    total: int  # bytes
    weights: int  # bytes of the weights alone
    slots: int  # optimizer slot variables per weight (0 when not training)
    activations: int  # bytes

    def describe(self) -> str:
        parts = [f"weights {format_bytes(self.weights)}"]
        if self.slots:
            parts.append(f"{self.slots} optimizer slot{'s' * (self.slots != 1)} per weight")
        if self.activations:
            parts.append(f"activations {format_bytes(self.activations)}")
        return ", ".join(parts)


def optimizer_slots(g: nx.DiGraph) -> int:
    settings = network(g).compile
    optimizer = settings.optimizer if settings is not None else None
    name = optimizer.name if optimizer else DEFAULT_OPTIMIZER
    args = optimizer.args if optimizer else {}
    slots = SLOTS.get(name, 2)
    if name in ("sgd", "rmsprop") and args.get("momentum", 0) > 0:
        slots += 1
    if args.get("centered") or args.get("amsgrad") or args.get("use_ema"):
        slots += 1
    return slots


def model_memory(g: nx.DiGraph, training: bool, batch_size: int = 32) -> Estimate:
    weights = BYTES_PER_WEIGHT * network(g).params.total
    if not training:
        return Estimate(COMPILE_FACTOR * weights, weights, 0, 0)
    slots = optimizer_slots(g)
    # a size that waits for the data (a vocabulary: a graph loaded without data) counts as 1
    widths = sum(math.prod(d or 1 for d in n.shape) for n in nodes(g) if n.shape)
    activations = 3 * BYTES_PER_WEIGHT * batch_size * widths  # forward, backward, temporaries
    return Estimate((TRAIN_FACTOR + slots) * weights + activations, weights, slots, activations)


def check_model_memory(
    g: nx.DiGraph,
    limit: int | None,
    training: bool,
    batch_size: int = 32,
    data_bytes: int = 0,
) -> Estimate:
    """The estimate; SpecError (ND902, at the largest layer) when it and the
    data's exceed the budget."""
    estimate = model_memory(g, training, batch_size)
    budget = memory_budget(limit)
    total = estimate.total + data_bytes
    if not budget or total <= budget:
        return estimate
    largest = max(nodes(g), key=lambda n: n.params.total if n.params else 0)
    data = f" and {format_bytes(data_bytes)} for the data" if data_bytes else ""
    net = network(g)
    doing = "train" if training else "compile"
    raise SpecError(
        [
            error(
                codes.MEMORY_BUDGET,
                f"{doing} would take about {format_bytes(total)} of memory: "
                f"{format_bytes(estimate.total)} for the model ({estimate.describe()}){data}; "
                f"the budget is {format_bytes(budget)}",
                largest.span,
                help=f"the largest layer is '{largest.name}' "
                f"({largest.params.total if largest.params else 0:,} parameters); "
                f"make the layers smaller, or pass --memory-limit {format_bytes(total * 5 // 4, unit=True)} "
                "if the machine has that much memory",
            )
        ],
        net.source,
        net.sources,
    )
