"""The typed IR: what a node of the graph is, and what the network is.

The graph is a `networkx.DiGraph` whose node ids are the spec's names; each
node's data holds one `Node` under the key NODE, and the graph's data one
`Network` under the key NETWORK. Read them with `node(g, name)` and
`network(g)`.

Every field says which stage fills it. A stage fills its own fields and reads
those of the stages before it; it never writes another stage's fields:

  builder   ir/graph.py     the syntax tree lowered to nodes and edges
  pipeline  ir/pipeline.py  sources, syntax errors, the final diagnostics
  checks    ir/checks.py    arguments, shapes, parameter counts, settings

Backends and data (netdsl/backends, netdsl/data, netdsl/apps) only read the
IR: what they need besides it (a table to adapt on, a seed) is passed to them
as arguments.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from ..records import Frozen, Record, frozen_class

if TYPE_CHECKING:
    import networkx as nx

    from ..lang import ast
    from ..lang.diagnostics import Diagnostic
    from ..lang.source import Source, Span

NODE = "node"  # the key of a node's Node in networkx's node data
NETWORK = "network"  # the key of the Network in networkx's graph data

# A value's shape without the batch axis, e.g. (4,); a dimension is None while
# it waits for data (the width of a one-hot encoding whose vocabulary is adapted).
Shape = tuple[int, ...]
# What a value holds: numbers, string or integer categories (a record's typed
# fields), or category indices 0..V-1 (what a lookup, hash, discretize or cross
# gives; V is the node's cardinality). Keras holds indices as int64.
FLOAT = "float32"
STRING = "string"
INT = "int64"
INDEX = "index"
MIXED = "mixed"  # a bundle of columns of different dtypes
CATEGORIES = (STRING, INT)  # a raw category, before any lookup
# A record field's declared type -> its dtype.
FIELD_TYPES = {"float": FLOAT, "string": STRING, "int": INT}
# A vector input's declared type -> its dtype: `input pair: int(2)` (numbers or integer ids),
# `input seq: string(3)` (a sequence of category strings, looked up in the model).
VECTOR_TYPES = {"float": FLOAT, "int": INT, "string": STRING}


class BlockUse(NamedTuple):
    """One use of a block that made a node: `h.residual_1`, `residual`, where it is used."""

    prefix: str  # the node-name prefix of the use's layers
    block: str  # the block's name
    span: Span  # where the block is used
    call: str = ""  # the call with its arguments' values: `residual(64, rate=0.1)`


class Params(NamedTuple):
    """Parameter counts, as Keras counts them (`count_params()` = total)."""

    trainable: int = 0
    non_trainable: int = 0

    @property
    def total(self) -> int:
        return self.trainable + self.non_trainable

    def as_dict(self) -> dict[str, int]:
        return {"total": self.total, "trainable": self.trainable, "non_trainable": self.non_trainable}


@frozen_class(frozen=True, slots=True)
class Field(Frozen):
    """One column of a record input: `island: string(vocabulary=[...])`."""

    name: str
    dtype: str  # FLOAT, STRING or INT
    vocabulary: tuple | None = None  # declared with the type; None: from the data
    span: Span | None = None
    record: str = ""  # the input it is a field of
    # What the data says (filled from Network.vocabularies by check_arguments):
    # each value with its count, most frequent first (Keras's adapt order), and
    # the count of missing cells. None without data.
    counts: tuple[tuple[Any, int], ...] | None = None
    missing: int = 0
    # Its Keras Input's shape: one value per row, (1,) as FeatureSpace has it, or a scalar, ()
    # as keras.io's scripts declare their columns (`float(shape=())`).
    shape: tuple[int, ...] = (1,)

    def data_vocabulary(self) -> tuple | None:
        return None if self.counts is None else tuple(v for v, _ in self.counts)


@frozen_class(frozen=True, slots=True)
class InputSpec(Frozen):
    """An input's declaration as written: `input x: 4`, `input x: [a, b]`, or a
    record `input x: {a, b: string}` (one Keras input per field)."""

    width: int | None  # the width written (a feature list's length); None when unusable
    features: tuple[str, ...] | None  # the feature names, when listed
    span: Span  # where the width or list is written
    fields: tuple[Field, ...] | None = None  # a record's fields, in order
    feature_spans: tuple[Span, ...] = ()  # where each feature is written, when listed
    dtype: str = FLOAT  # a vector input's values: `input pair: int(2)` holds integers
    shape: tuple[int, ...] | None = None  # a shaped input's, per sample (rank 2+): `input seq: (4, 62)`


@frozen_class(frozen=True, slots=True)
class Selection(Frozen):
    """A selection (`x[a, c]`, `x[0:2]`) resolved against its input."""

    indices: tuple[int, ...]  # the input's columns kept, in order (non-negative)
    labels: tuple[str, ...]  # their feature names, or their indices as text

    @property
    def is_slice(self) -> bool:
        """Contiguous and ascending: a slice of the input rather than a gather."""
        first = self.indices[0]
        return self.indices == tuple(range(first, first + len(self.indices)))


@frozen_class(frozen=True, slots=True)
class SharedLayer(Frozen):
    """`layer proj = dense(8, relu)`: one layer, applied with `-> proj` in several places."""

    name: str
    call: ast.Call  # the layer as declared (a bare `standardize` as a call without arguments)
    span: Span  # the declaration statement


@dataclass(slots=True, eq=False, repr=False)
class Node(Record):
    """One layer, input, merge or selection of the network (equal when every field is)."""

    # ---- filled by the builder (ir/graph.py) ----
    name: str  # the node id: the spec's name, or a generated `<binding>_<op>_<k>`
    op: str | None  # the registry op's name; None for a placeholder left by an error
    span: Span  # where the layer is written
    op_span: Span  # where its op's name is written (an input: its name)
    binding: str  # the statement (or block-local name) it belongs to
    order: int  # creation order; ties in topological order are broken by it
    inputs: list[str] = field(default_factory=list)  # operand node ids, in order (may be undefined)
    input_spans: list[Span] = field(default_factory=list)  # where each operand is written
    raw_args: tuple = ()  # positional argument expressions (a selection: its items)
    raw_kwargs: tuple = ()  # keyword arguments (ast.KwArg)
    uses: tuple[BlockUse, ...] = ()  # the block uses that made it, outermost first
    declared: InputSpec | None = None  # an input's declaration
    output: bool = False  # a declared output of the network
    shares: str | None = None  # an application of the shared layer `layer NAME = ...`: NAME

    # ---- filled by the checks (ir/checks.py) ----
    args: dict[str, Any] | None = None  # check_arguments: {param: value}; None when wrong or unknown
    arity_ok: bool = True  # check_arguments: False when the number of operands is wrong
    selection: Selection | None = None  # check_shapes: a select node's resolved selection
    shape: Shape | None = None  # check_shapes: None when unknown (an error here or upstream)
    dtype: str | None = None  # check_shapes: the dtype of its values
    features: tuple[str, ...] | None = None  # check_shapes: the names of its features, when known
    # check_shapes, for values of a record: the record's fields this value is,
    # several (a *bundle*: no layer of its own; a merge takes its columns) or one.
    members: tuple[Field, ...] | None = None
    bundle: bool = False  # check_shapes: several columns of a record, not one tensor
    # check_shapes: an INDEX value's V, the number of categories (None: waits for
    # data); an embedding's: the categories it embeds (its input_dim)
    cardinality: int | None = None
    vocabulary: tuple | None = None  # check_shapes: a category's (or a lookup's) vocabulary, when known
    waits: str | None = None  # check_shapes: what its sizes wait for, when they wait for data
    params: Params | None = None  # check_params: None when the shape is unknown


@dataclass(slots=True, eq=False, repr=False)
class Optimizer(Record):
    name: str  # a key of ir/settings.OPTIMIZERS
    args: dict[str, Any] = field(default_factory=dict)  # checked keyword arguments


@dataclass(slots=True, eq=False, repr=False)
class Compile(Record):
    """The compile line, checked. Each setting is None when not given (or wrong);
    loss and metrics are either one for every output or a dict per output."""

    loss: str | dict[str, str | None] | None = None
    optimizer: Optimizer | None = None
    metrics: list[str] | dict[str, list[str]] | None = None
    loss_weights: dict[str, float] | None = None  # output -> its loss's weight in the total


@dataclass(slots=True, eq=False, repr=False)
class TrainSettings(Record):
    """The train line, checked: defaults for `netdsl train` (ranges in checks.TRAIN_SETTINGS)."""

    epochs: int = 100
    batch_size: int = 32
    test_size: float = 0.2
    validation_split: float = 0.1
    seed: int | None = None
    # a weight per class label (the spans of the labels, for the check against
    # the data), or "balanced"; None: every class weighs 1 (ir/fit_settings.py)
    class_weight: dict[str, float] | str | None = None
    class_weight_spans: dict[str, Span] = field(default_factory=dict)
    callbacks: tuple[Any, ...] = ()  # fit_settings.KerasCall: early_stopping(...), reduce_on_plateau(...)
    # the data column holding each row's weight (model.fit's sample_weight), and where it is named
    sample_weight: str | None = None
    sample_weight_span: Span | None = None

    def as_dict(self) -> dict[str, Any]:
        """The numeric settings, which flags override (`--epochs`, ...)."""
        return {k: getattr(self, k) for k in NUMERIC_TRAIN_SETTINGS}


NUMERIC_TRAIN_SETTINGS = ("epochs", "batch_size", "test_size", "validation_split", "seed")


@dataclass(slots=True, eq=False)
class Network:
    """What the spec says of the network as a whole."""

    # ---- filled by the builder (ir/graph.py) ----
    source: Source  # the spec file
    name: str = "network"  # `network NAME`, else the file's stem
    inputs: list[str] = field(default_factory=list)  # input node ids, in source order
    outputs: list[str] = field(default_factory=list)  # output node ids, in declaration order
    output_statements: int = 0  # output declarations written (some may be wrong)
    definitions: dict[str, Span] = field(default_factory=dict)  # top-level name -> where defined
    blocks: dict[str, ast.BlockDecl] = field(default_factory=dict)  # blocks declared or imported
    shared: dict[str, SharedLayer] = field(default_factory=dict)  # `layer NAME = ...` declarations
    compile_decl: ast.CompileDecl | None = None  # the compile line as written
    train_decl: ast.TrainDecl | None = None  # the train line as written
    truncated: bool = False  # the layer limit stopped the build: the graph is a prefix of the spec

    # ---- filled by the pipeline (ir/pipeline.py) ----
    sources: list[Source] = field(default_factory=list)  # the spec, then each file it imports
    syntax_error: bool = False  # the spec did not parse: no graph was built
    # Every stage appends its problems; the pipeline sorts them (and adds
    # block-use notes) when a stage is done.
    diagnostics: list[Diagnostic] = field(default_factory=list)

    # ---- filled by the data stage (data/spec.py), before the checks ----
    # What the data says of a record's category fields: (input, field) -> each
    # value with its count (Keras's adapt order), and the count of missing cells.
    vocabularies: dict[tuple[str, str], tuple[tuple[tuple[Any, int], ...], int]] = field(default_factory=dict)

    # ---- filled by the checks (ir/checks.py) ----
    cyclic: set[str] = field(default_factory=set)  # check_cycles: nodes on a cycle
    params: Params = Params()  # check_params: the whole model's counts
    compile: Compile | None = None  # check_compile: None without a compile line
    train: TrainSettings = field(default_factory=TrainSettings)  # check_train


def network(g: nx.DiGraph) -> Network:
    """The network's own data."""
    return g.graph[NETWORK]


def node(g: nx.DiGraph, name: str) -> Node:
    """The Node of node id `name`."""
    return g._node[name][NODE]


def nodes(g: nx.DiGraph) -> Iterator[Node]:
    """Every Node, in the graph's insertion order."""
    for data in g._node.values():
        yield data[NODE]


def in_order(g: nx.DiGraph) -> list[Node]:
    """Every Node in creation (source) order."""
    return sorted(nodes(g), key=lambda n: n.order)


def shared_uses(g: nx.DiGraph) -> dict[str, list[str]]:
    """Shared layer -> its applications (node ids), in source order; the first
    one carries the layer's parameter count."""
    uses: dict[str, list[str]] = {}
    for n in in_order(g):
        if n.shares is not None:
            uses.setdefault(n.shares, []).append(n.name)
    return uses


def shared_text(g: nx.DiGraph, n: Node, uses: dict[str, list[str]] | None = None) -> str:
    """`shared proj, 1 of 2` (the later ones: `params at ha`); "" for a layer of its own."""
    if n.shares is None:
        return ""
    apps = (uses if uses is not None else shared_uses(g)).get(n.shares, [n.name])
    k = apps.index(n.name) + 1 if n.name in apps else 1
    text = f"shared {n.shares}, {k} of {len(apps)}"
    return text if k == 1 else f"{text}, params at {apps[0]}"


def new_graph(source: Source) -> nx.DiGraph:
    """An empty graph with its Network."""
    import networkx as nx

    g = nx.DiGraph()
    g.graph[NETWORK] = Network(source)
    return g
