"""Which nodes run in the input pipeline rather than in the model's graph.

Keras's preprocessing layers that look up or hash categories (StringLookup,
IntegerLookup, Hashing, HashedCrossing) run on TensorFlow only; on the JAX
backend they belong in the tf.data input pipeline (`dataset.map`), as
Keras's preprocessing guide says. A `Cut` splits a graph there: the pipeline
nodes (the lookups and the category operations before them), the boundary
(pipeline nodes whose values the rest of the model reads: they become the
trunk's inputs) and the raw columns the trunk reads itself. No Keras here:
the CLI refuses an unsupported spec before any work.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from ..io import UsageError
from ..ir.core import CATEGORIES, FLOAT, INDEX, MIXED, STRING, network, node
from .keras_layers import keras_inputs, keras_names, needed_nodes, used_fields

# ops whose Keras layers run in tf.data on any backend (Keras's TFDataLayer), and
# fill, whose marker replacement the pipeline does in TensorFlow
PIPELINE_OPS = ("lookup", "one_hot", "multi_hot", "hash", "cross", "fill", "discretize")


@dataclass(frozen=True)
class Boundary:
    node: str
    key: str  # the trunk's input key
    shape: tuple[int, ...]
    dtype: str  # "float32" or "int64"


@dataclass(frozen=True)
class Cut:
    pre: tuple[str, ...]  # pipeline nodes, in dependency order
    boundary: tuple[Boundary, ...]
    raw: frozenset[str]  # keys of the model inputs the trunk reads itself
    trunk: frozenset[str]  # the nodes the trunk computes (boundaries as its inputs)


def _member_select(n) -> bool:
    return n.op == "select" and n.members is not None


def _in_pipeline(g: nx.DiGraph, name: str) -> bool:
    """A node that reads raw categories (or makes them), other than picking columns of a record."""
    n = node(g, name)
    if _source(n):
        return False
    dtypes = {n.dtype, *(node(g, p).dtype for p in n.inputs)}
    # JAX runs integer operations (an embedding of an integer column), not lookups
    return bool(dtypes & {STRING, MIXED}) or n.op in PIPELINE_OPS and bool(dtypes & set(CATEGORIES))


def input_pipeline(g: nx.DiGraph) -> Cut | None:
    """The cut of a model that reads raw categories; None for one that does not.
    Raises UsageError for category operations the pipeline cannot run."""
    needed = needed_nodes(g)
    by_source = nx.lexicographical_topological_sort(g.subgraph(needed), key=lambda m: node(g, m).order)
    order = [m for m in by_source if _in_pipeline(g, m)]
    if not order:
        return None
    pre = set(order)
    _check_runnable(g, order, pre)
    trunk = _trunk(g, pre)
    names = keras_names(g)
    boundary = []
    for name in order:
        if any(s in trunk and s not in pre for s in g.successors(name)) or name in network(g).outputs:
            n = node(g, name)
            if name in network(g).outputs or n.dtype not in (FLOAT, INDEX):
                raise UsageError(
                    f"--distribute data-parallel: '{n.name}' (line {n.span.line}) gives the model "
                    f"{n.dtype} values computed in the input pipeline; train this spec without --distribute"
                )
            dtype = "float32" if n.dtype == FLOAT else "int64"
            boundary.append(Boundary(name, f"{names[name]}_pipelined", tuple(n.shape or ()), dtype))
    return Cut(tuple(order), tuple(boundary), _raw_keys(g, trunk, pre), frozenset(trunk - pre))


def _check_runnable(g: nx.DiGraph, order: list[str], pre: set[str]) -> None:
    for name in order:
        n = node(g, name)
        if n.op not in PIPELINE_OPS:
            raise UsageError(
                f"--distribute data-parallel: '{n.name}' ({n.op}, line {n.span.line}) works on raw "
                f"categories, which only {', '.join(PIPELINE_OPS)} can do in the input pipeline "
                "(JAX cannot run string operations in the model); train this spec without --distribute"
            )
        computed = [p for p in n.inputs if p not in pre and not _source(node(g, p))]
        if computed:
            raise UsageError(
                f"--distribute data-parallel: '{n.name}' (line {n.span.line}) reads '{computed[0]}', "
                "computed in the model, but runs in the input pipeline; train this spec without --distribute"
            )


def _source(n) -> bool:
    """An input, or columns picked from a record: the raw columns themselves."""
    return n.op == "input" or _member_select(n)


def _trunk(g: nx.DiGraph, pre: set[str]) -> set[str]:
    """The outputs and what they read, up to (and with) the pipeline nodes they read."""
    seen: set[str] = set()
    todo = list(network(g).outputs)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name not in pre:
            todo.extend(g.predecessors(name))
    return seen


def _raw_keys(g: nx.DiGraph, trunk: set[str], pre: set[str]) -> frozenset[str]:
    """The model inputs (columns) that trunk nodes read, not through the pipeline."""
    readers = trunk - pre
    keys = set()
    for ki in keras_inputs(g):
        if ki.node not in readers:
            continue
        if ki.field is None or ki.field in used_fields(g, ki.node, readers):
            keys.add(ki.key)
    return frozenset(keys)
