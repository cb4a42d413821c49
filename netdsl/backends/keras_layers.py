"""What each op is in Keras, as data: no TensorFlow here.

A layer is described the way Keras serializes it (`keras.saving`'s
serialization_lib): a class name, the module it comes from and a config dict,
plus the extra arguments of its call. `LAYERS` maps each op to its class and
how its config is made from a checked node; the Keras builder
(backends/keras.py) instantiates it, the diagram names its class, and a
Python-source emitter can print it: one description, so they cannot drift.

Names, the compile settings and the optimizer are described here too, for the
same reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from ..ir.core import FLOAT, INT, STRING, Compile, Node, in_order, network, node
from ..ir.ops import OPS
from ..ir.options import FAMILIES, KerasObject
from ..ir.setting_args import Setting
from ..ir.settings import OPTIMIZERS

LAYERS_MODULE = "keras.layers"
# GetItem and Take are operations, not layers: they have no public class.
# Keras itself writes this module into every .keras file holding a slice,
# and `keras.saving.deserialize_keras_object` rebuilds them from it (with
# safe_mode=True, as load_model does).
OPS_MODULE = "keras.src.ops.numpy"


@dataclass(frozen=True)
class LayerSpec:
    """One Keras layer or operation, as data."""

    class_name: str  # e.g. "Dense"
    config: dict[str, Any]  # constructor arguments, without the name
    call_args: tuple = ()  # arguments of its call after the input tensor(s)
    module: str = LAYERS_MODULE
    merge: bool = False  # called with the list of its input tensors
    # attention: called as `layer(query, value[, key])`, its operand as query and as value
    # when it has one (`layer(x, x)`, self-attention)
    self_call: bool = False
    adapt: bool = False  # learns its statistics from data (`layer.adapt`) before its call
    # fill(mean)/fill(median): the config's `nan` is that statistic of its input
    # over the data, computed before the layer is made.
    learn: str | None = None
    # fill("x") of a category: (missing marker, token): an Equal operation finds
    # the missing cells and this Where operation puts the token there.
    replace: tuple | None = None
    # An op that is several Keras operations (weighted_sum): `before` applied in turn to the
    # first operand, then this one called with the operands as arguments (`op(a, b)`, `spread`),
    # then `after`; the last of them carries the node's name, the others `NAME_<operation>`.
    before: tuple[LayerSpec, ...] = ()
    after: tuple[LayerSpec, ...] = ()
    spread: bool = False

    @property
    def steps(self) -> tuple[LayerSpec, ...]:
        """The Keras operations it is, in order (one for a plain layer)."""
        core = LayerSpec(self.class_name, self.config, self.call_args, self.module, spread=self.spread)
        return (*self.before, core, *self.after) if self.before or self.after else (self,)

    def serialized(self, name: str) -> dict[str, Any]:
        """The description `keras.saving.deserialize_keras_object` takes."""
        return {
            "module": self.module,
            "class_name": self.class_name,
            "config": {"name": name, **self.config},
            "registered_name": None if self.module == LAYERS_MODULE else self.class_name,
        }


@dataclass(frozen=True)
class KerasLayer:
    """How one op becomes a Keras layer: its class, and its config from a checked node."""

    class_name: str
    config: Callable[[Node, dict], dict[str, Any]] = lambda n, a: {}
    merge: bool = False  # called with the list of its input tensors
    # For an op whose class or call depends on its node (select): the whole description.
    spec: Callable[[Node, dict], LayerSpec] | None = None
    # The op's arguments whose Keras config key has another name (the importer reads them back).
    renames: tuple[tuple[str, str], ...] = ()


def _normalization(n: Node, a: dict) -> dict[str, Any]:
    if a.get("mean") is None:
        return {"axis": -1}  # adapted (OPS["standardize"].adapts)
    return {"axis": -1, "mean": list(a["mean"]), "variance": list(a["variance"])}


def _seed(a: dict) -> dict[str, Any]:
    return {} if a.get("seed") is None else {"seed": a["seed"]}


def _select(n: Node, a: dict) -> LayerSpec:
    # Named operations that save to .keras and load with safe_mode=True (a
    # Lambda would not): a slice for contiguous columns, a gather otherwise.
    sel = n.selection
    assert sel is not None, "a checked selection"
    if sel.is_slice:
        key = (slice(None), slice(sel.indices[0], sel.indices[-1] + 1))
        return LayerSpec("GetItem", {}, (key,), module=OPS_MODULE)
    return LayerSpec("Take", {"axis": 1}, (list(sel.indices),), module=OPS_MODULE)


# ---- encodings (docs/design/tabular.md) --------------------------------------


def _lookup_class(vocabulary) -> str:
    return "IntegerLookup" if vocabulary and isinstance(vocabulary[0], int) else "StringLookup"


def _lookup_config(vocabulary, a: dict, mode: str) -> dict[str, Any]:
    strings = bool(vocabulary) and isinstance(vocabulary[0], str)
    config: dict[str, Any] = {
        "vocabulary": list(vocabulary),
        "num_oov_indices": a.get("oov", 1),
        "output_mode": mode,
    }
    if a.get("mask"):
        config["mask_token"] = "" if strings else 0
    return config


def _lookup(n: Node, a: dict) -> LayerSpec:
    # Without its vocabulary (checked without data: only a diagram is drawn) the config lacks it.
    return LayerSpec(_lookup_class(n.vocabulary), _lookup_config(n.vocabulary or (), a, a["output_mode"]))


def _encode(mode: str):
    def spec(n: Node, a: dict) -> LayerSpec:
        if n.vocabulary is not None or n.cardinality is None and n.waits:
            # of a raw category, the lookup itself encodes (its vocabulary may wait for data)
            return LayerSpec(_lookup_class(n.vocabulary), _lookup_config(n.vocabulary or (), {}, mode))
        return LayerSpec(
            "CategoryEncoding", {"num_tokens": n.shape[-1] if n.shape else None, "output_mode": mode}
        )

    return spec


def _discretize(n: Node, a: dict) -> LayerSpec:
    if a.get("boundaries") is not None:
        return LayerSpec(
            "Discretization", {"bin_boundaries": list(a["boundaries"]), "output_mode": a["output_mode"]}
        )
    return LayerSpec("Discretization", {"num_bins": a["bins"], "output_mode": a["output_mode"]}, adapt=True)


def _hash(n: Node, a: dict) -> LayerSpec:
    config: dict[str, Any] = {"num_bins": a["bins"], "output_mode": a["output_mode"]}
    if a.get("salt") is not None:
        config["salt"] = a["salt"]
    return LayerSpec("Hashing", config)


def _attention(n: Node, a: dict) -> LayerSpec:
    config: dict[str, Any] = {
        "num_heads": a["heads"],
        "key_dim": a["key_dim"],
        "dropout": a["dropout"],
        "use_bias": a["use_bias"],
    }
    if a.get("value_dim") is not None:
        config["value_dim"] = a["value_dim"]
    return LayerSpec("MultiHeadAttention", {**config, **_options(a)}, self_call=True)


@dataclass(frozen=True)
class IntRange:
    """The constant int32 array [0, 1, ..., n - 1] (`np.arange(n, dtype="int32")`) as a call argument."""

    n: int


def _positions(n: Node, a: dict) -> LayerSpec:
    """Row positions 0..n-1 computed from the (n, d) operand inside the graph (so that an
    Embedding of them is a layer of the model, saved and loaded with it): zeros of its rows'
    shape (its first column, GetItem, as int32 zeros, ZerosLike) plus the constant
    [0, ..., n-1] (Add)."""
    assert n.shape is not None
    rows = n.shape[0]
    first = LayerSpec("GetItem", {}, ((slice(None), slice(None), 0),), module=OPS_MODULE)
    zeros = LayerSpec("ZerosLike", {"dtype": "int32"}, module=OPS_MODULE)
    return LayerSpec("Add", {}, (IntRange(rows),), module=OPS_MODULE, before=(first, zeros))


MISSING_MARKERS = {STRING: "", INT: -1}  # how a missing category reaches the model


def _fill(n: Node, a: dict) -> LayerSpec:
    kind, value = a["value"]
    if n.dtype in MISSING_MARKERS:
        return LayerSpec("Where", {}, module=OPS_MODULE, replace=(MISSING_MARKERS[n.dtype], value))
    if kind in ("mean", "median"):
        return LayerSpec("NanToNum", {"nan": None}, module=OPS_MODULE, learn=kind)
    assert n.shape is not None
    values = list(value) if kind == "numbers" else [float(value)] * n.shape[-1]
    return LayerSpec("NanToNum", {"nan": values}, module=OPS_MODULE)


def _weighted_sum(n: Node, a: dict) -> LayerSpec:
    # keras.io's VSN (its TensorFlow branch): squeeze(matmul(transpose(expand_dims(w, -1)), x), 1);
    # operations that save to .keras and load with safe_mode=True, as the script's do
    def op(class_name: str, **config: Any) -> LayerSpec:
        return LayerSpec(class_name, config, module=OPS_MODULE)

    return LayerSpec(
        "Matmul",
        {},
        module=OPS_MODULE,
        spread=True,
        before=(op("ExpandDims", axis=-1), op("Transpose", axes=[0, 2, 1])),
        after=(op("Squeeze", axis=1),),
    )


INPUT_DTYPES = {FLOAT: "float32", STRING: "string", INT: "int64"}


# op -> its Keras layer. An input becomes keras.Input(shape=..., name=...).
LAYERS: dict[str, KerasLayer] = {
    "input": KerasLayer("InputLayer", lambda n, a: {"shape": n.shape}),
    "dense": KerasLayer(
        "Dense", lambda n, a: {"units": a["units"], "activation": a["activation"], "use_bias": a["use_bias"]}
    ),
    "dropout": KerasLayer("Dropout", lambda n, a: {"rate": a["rate"], **_seed(a)}),
    "standardize": KerasLayer("Normalization", _normalization),
    "identity": KerasLayer("Identity"),
    "concat": KerasLayer(
        "Concatenate", lambda n, a: {} if a.get("axis", -1) == -1 else {"axis": a["axis"]}, merge=True
    ),
    "add": KerasLayer("Add", merge=True),
    "multiply": KerasLayer("Multiply", merge=True),
    "average": KerasLayer("Average", merge=True),
    "maximum": KerasLayer("Maximum", merge=True),
    "minimum": KerasLayer("Minimum", merge=True),
    "subtract": KerasLayer("Subtract", merge=True),
    "dot": KerasLayer("Dot", lambda n, a: {"axes": 1, "normalize": a["normalize"]}, merge=True),
    "batchnorm": KerasLayer(
        "BatchNormalization", lambda n, a: {"momentum": a["momentum"], "epsilon": a["epsilon"]}
    ),
    "layernorm": KerasLayer("LayerNormalization", lambda n, a: {"epsilon": a["epsilon"]}),
    "activation": KerasLayer(
        "Activation", lambda n, a: {"activation": a["name"]}, renames=(("name", "activation"),)
    ),
    "relu": KerasLayer("ReLU"),
    "leaky_relu": KerasLayer(
        "LeakyReLU", lambda n, a: {"negative_slope": a["alpha"]}, renames=(("alpha", "negative_slope"),)
    ),
    "prelu": KerasLayer("PReLU"),
    "gaussian_noise": KerasLayer("GaussianNoise", lambda n, a: {"stddev": a["stddev"], **_seed(a)}),
    "select": KerasLayer("GetItem", spec=_select),  # GetItem for a slice, Take for a gather
    "lookup": KerasLayer("StringLookup", spec=_lookup),  # or IntegerLookup, by the vocabulary
    "one_hot": KerasLayer("CategoryEncoding", spec=_encode("one_hot")),  # or the lookup, of a category
    "multi_hot": KerasLayer("CategoryEncoding", spec=_encode("multi_hot")),
    "embedding": KerasLayer(
        "Embedding", lambda n, a: {"input_dim": n.cardinality, "output_dim": n.shape[-1] if n.shape else None}
    ),
    "flatten": KerasLayer("Flatten"),
    "reshape": KerasLayer(
        "Reshape", lambda n, a: {"target_shape": tuple(a["dims"])}, renames=(("dims", "target_shape"),)
    ),
    "repeat": KerasLayer("RepeatVector", lambda n, a: {"n": a["n"]}),
    "global_avg_pool": KerasLayer("GlobalAveragePooling1D"),
    "global_max_pool": KerasLayer("GlobalMaxPooling1D"),
    "positions": KerasLayer("Add", spec=_positions),
    "attention": KerasLayer("MultiHeadAttention", spec=_attention),
    # an operation, as keras.io's scripts call it (`keras.ops.stack(embeddings, axis=1)`)
    "stack": KerasLayer(
        "Stack", spec=lambda n, a: LayerSpec("Stack", {"axis": a["axis"]}, module=OPS_MODULE, merge=True)
    ),
    "hash": KerasLayer("Hashing", spec=_hash),
    "discretize": KerasLayer("Discretization", spec=_discretize),
    # an operation, as keras.io's scripts call it (`keras.ops.expand_dims(x, -1)`), not a layer
    "pick": KerasLayer(
        "GetItem",
        spec=lambda n, a: LayerSpec("GetItem", {}, ((slice(None), a["index"]),), module=OPS_MODULE),
    ),
    "expand_dims": KerasLayer(
        "ExpandDims", spec=lambda n, a: LayerSpec("ExpandDims", {"axis": a["axis"]}, module=OPS_MODULE)
    ),
    "clip": KerasLayer(
        "Clip",
        spec=lambda n, a: LayerSpec("Clip", {"x_min": a["min"], "x_max": a["max"]}, module=OPS_MODULE),
    ),
    "weighted_sum": KerasLayer("Matmul", spec=_weighted_sum),  # ExpandDims, Transpose, Matmul, Squeeze
    "cross": KerasLayer(
        "HashedCrossing", lambda n, a: {"num_bins": a["bins"], "output_mode": a["output_mode"]}, merge=True
    ),
    "fill": KerasLayer("NanToNum", spec=_fill),  # Equal + Where for a category
}


# Config entries netdsl never writes, at the values it assumes (Keras's defaults):
# a saved layer is imported as its op only when it has these (tests/test_lockin.py
# checks them against the installed Keras).
ASSUMED: dict[str, dict[str, Any]] = {
    "BatchNormalization": {
        "axis": -1,
        "center": True,
        "scale": True,
        "synchronized": False,
        "renorm": False,
        "renorm_clipping": None,
        "renorm_momentum": 0.99,
    },
    "LayerNormalization": {"axis": -1, "center": True, "scale": True, "rms_scaling": False},
    "ReLU": {"max_value": None, "negative_slope": 0.0, "threshold": 0.0},
    "PReLU": {"shared_axes": None},
    "Dot": {"axes": 1},
    "Flatten": {"data_format": "channels_last"},
    "GlobalAveragePooling1D": {"data_format": "channels_last", "keepdims": False},
    "GlobalMaxPooling1D": {"data_format": "channels_last", "keepdims": False},
}


def layer_spec(n: Node) -> LayerSpec | None:
    """The Keras description of a checked node; None when it has none (an
    error in it or upstream left its arguments or selection unknown)."""
    if n.op is None or n.op not in LAYERS or n.args is None or n.shape is None:
        return None
    entry = LAYERS[n.op]
    if n.op == "select" and n.members is not None:
        return LayerSpec("", {})  # columns of a record: its Inputs themselves, no layer
    if entry.spec is not None:
        return entry.spec(n, n.args) if n.op != "select" or n.selection is not None else None
    adapt = OPS[n.op].adapts(n.args)
    config = {**entry.config(n, n.args), **_options(n.args)}
    return LayerSpec(entry.class_name, config, merge=entry.merge, adapt=adapt)


def _options(args: dict) -> dict[str, Any]:
    """The layer options given, as constructor arguments: initializers,
    regularizers and constraints as KerasObjects (the builder instantiates
    them), `trainable` only when False."""
    out: dict[str, Any] = {k: v for k, v in args.items() if isinstance(v, KerasObject)}
    if args.get("trainable") is False:
        out["trainable"] = False
    return out


def keras_object_parts(v: KerasObject) -> tuple[str, str, dict[str, Any]]:
    """(Keras module under `keras.`, class name, constructor arguments) of an option's value."""
    assert v.family in FAMILIES
    return v.module, v.class_name, v.config


def keras_class(n: Node) -> str:
    """The Keras class of a node, or the one its op usually becomes ("" for an unknown op);
    a named operation `GetItem + Identity` (the layer carrying its name), a named
    pick of record columns `Identity`."""
    spec = layer_spec(n)
    shown = " + ".join(s.class_name for s in spec.steps) if spec is not None else ""
    if spec is not None and carried_by_identity(n):
        return f"{shown} + Identity" if shown else "Identity"
    if spec is not None:
        return shown
    entry = LAYERS.get(n.op) if n.op is not None else None
    return entry.class_name if entry is not None else ""


# ---- names --------------------------------------------------------------

# TensorFlow's name-scope rule for a root scope; Keras also refuses '/'.
_VALID = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.-]*$")


def _ascii_name(name: str) -> str:
    """A name TensorFlow accepts: '/' as '.', other characters
    spelled as uXXXX, a letter or digit first."""
    out = "".join(
        ch if ch.isascii() and (ch.isalnum() or ch in "_.-") else "." if ch == "/" else f"u{ord(ch):04x}"
        for ch in name
    )
    return out if out and _VALID.match(out) else "n" + out


def model_name(g: nx.DiGraph) -> str:
    return _ascii_name(network(g).name or "network")


def keras_names(g: nx.DiGraph) -> dict[str, str]:
    """Spec name -> Keras layer name. Names Keras accepts are kept as they are
    (so `sepal_h` is found in model.summary()); others (`가지`, `_hidden`) are
    spelled in ASCII, deterministically and without collisions."""
    names = {n: n for n in g if _VALID.match(n)}
    shared = network(g).shared
    names.update((s, s) for s in shared if _VALID.match(s))
    taken = set(names)
    for name in [n.name for n in in_order(g)] + list(shared):
        if name in names:
            continue
        base = candidate = _ascii_name(name)
        k = 1
        while candidate in taken:
            k += 1
            candidate = f"{base}_{k}"
        taken.add(candidate)
        names[name] = candidate
    return names


def carried_by_identity(n: Node) -> bool:
    """A value the user named (a statement's name, a block's local name) whose
    Keras object is an operation (GetItem, Take, NanToNum, Where: `model.get_layer`
    finds layers only) or no object at all (columns of a record: the Inputs
    themselves). An Identity layer after it carries the name; the operation gets
    an internal one (operation_names), and `netdsl import` reads the pair back
    as the one named value."""
    if n.binding != n.name or n.op in (None, "input"):
        return False
    if n.op == "select" and n.members is not None:
        return True
    spec = layer_spec(n)
    return spec is not None and spec.module == OPS_MODULE


def operation_suffix(class_name: str) -> str:
    """`GetItem` -> `get_item`: the operation under a named Identity is `NAME_get_item`."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()


def operation_names(g: nx.DiGraph) -> dict[str, str]:
    """Node -> the Keras name of the operation an Identity carrying the node's name
    follows (`s1` -> `s1_get_item`), unique among the model's names."""
    names = keras_names(g)
    taken = set(names.values()) | {ki.name for ki in keras_inputs(g)}
    out = {}
    for n in in_order(g):
        spec = layer_spec(n) if carried_by_identity(n) else None
        if spec is not None and spec.module == OPS_MODULE:
            suffix = operation_suffix(spec.steps[-1].class_name)
            out[n.name] = _unique_name(f"{names[n.name]}_{suffix}", taken)
    return out


def _unique_name(base: str, taken: set[str]) -> str:
    candidate, k = base, 1
    while candidate in taken:
        k += 1
        candidate = f"{base}_{k}"
    taken.add(candidate)
    return candidate


def step_names(spec: LayerSpec, name: str, base: str) -> list[str]:
    """The Keras names of the operations an op is (LayerSpec.steps): the last `name`, each
    other `base_<operation>` (`features_transpose`), base the node's own Keras name."""
    steps = spec.steps
    return [f"{base}_{operation_suffix(s.class_name)}" for s in steps[:-1]] + [name]


def layer_name(n: Node, names: dict[str, str]) -> str:
    """The Keras name of the layer a node calls: a shared layer's is its declaration's."""
    return names[n.shares if n.shares is not None else n.name]


@dataclass(frozen=True)
class KerasInput:
    """One input of the Keras model: a vector input, or one column of a record."""

    key: str  # its key in the model's inputs: the column of a record field, else its Keras name
    node: str  # the input node it belongs to
    field: str | None  # the record field, or None for a vector input
    name: str  # the Keras layer name of the Input
    shape: tuple
    dtype: str  # "float32", "string" or "int64"
    columns: tuple[str, ...] | None  # the data columns it reads, when named


def keras_inputs(g: nx.DiGraph) -> list[KerasInput]:
    """The Keras model's inputs, in the spec's order: each vector input the
    outputs need, and each record field they read."""
    needed = needed_nodes(g)
    names = keras_names(g)
    taken = set(names.values())
    out = []
    for name in network(g).inputs:
        if name not in needed:
            continue
        n = node(g, name)
        fields = n.args.get("fields") if n.args else None
        if not fields:
            out.append(
                KerasInput(
                    names[name],
                    name,
                    None,
                    names[name],
                    tuple(n.shape or ()),
                    INPUT_DTYPES[n.dtype or FLOAT],
                    n.features,
                )
            )
            continue
        used = used_fields(g, name, needed)
        for f in fields:
            if f.name in used:
                keras_name = _unique(_ascii_name(f.name), taken)
                out.append(
                    KerasInput(f.name, name, f.name, keras_name, f.shape, INPUT_DTYPES[f.dtype], (f.name,))
                )
    return out


def used_fields(g: nx.DiGraph, record: str, needed: set[str]) -> set[str]:
    """The fields of a record that the needed nodes read."""
    n = node(g, record)
    used: set[str] = set()
    for succ in g.successors(record):
        if succ not in needed:
            continue
        s = node(g, succ)
        if s.op == "select" and s.members is not None:
            used |= {f.name for f in s.members}
        else:
            used |= set(n.features or ())
    return used


def _unique(base: str, taken: set[str]) -> str:
    candidate, k = base, 1
    while candidate in taken:
        k += 1
        candidate = f"{base}_input" if k == 2 else f"{base}_input_{k - 1}"
    taken.add(candidate)
    return candidate


def takes_dict(g: nx.DiGraph) -> bool:
    """A model with a record takes a dict of columns; others their input(s) as before."""
    return any(ki.field is not None for ki in keras_inputs(g))


def needed_nodes(g: nx.DiGraph) -> set[str]:
    """The outputs and everything they depend on."""
    outputs = network(g).outputs
    needed = set(outputs)
    for out in outputs:
        needed |= nx.ancestors(g, out)
    return needed


# ---- compile ------------------------------------------------------------


@dataclass(frozen=True)
class CompileSpec:
    """`model.compile(...)`'s arguments as data (the optimizer as a class and config)."""

    loss: Any = None
    metrics: Any = None
    optimizer: tuple[str, dict[str, Any]] | None = None  # (class in keras.optimizers, config)
    given: tuple[str, ...] = field(default=())  # the arguments to pass
    loss_weights: dict[str, float] | None = None  # Keras output name -> weight (every output)


@dataclass(frozen=True)
class SettingSpec:
    """A loss or metric Keras gets as an instance: `keras.losses.BinaryCrossentropy(from_logits=True)`."""

    module: str  # "losses" or "metrics"
    class_name: str
    config: dict[str, Any]


def _setting(v: Any, module: str) -> Any:
    """A checked loss or metric: its name for Keras to resolve, or (a Keras class
    spelling, arguments) a SettingSpec; dicts and lists item by item."""
    if isinstance(v, dict):
        return {k: _setting(x, module) for k, x in v.items()}
    if isinstance(v, list):
        return [_setting(x, module) for x in v]
    if isinstance(v, Setting) and v.class_name is not None:
        return SettingSpec(module, v.class_name, v.config)
    return str(v) if isinstance(v, str) else v


def compile_spec(g: nx.DiGraph, settings: Compile) -> CompileSpec:
    """The compile line, keyed by Keras output names; one loss or metric list
    for several outputs is given to each of them."""
    names = keras_names(g)
    outputs = [names[o] for o in network(g).outputs]
    given = []
    loss: Any = settings.loss
    if isinstance(loss, dict):
        loss = {names[o]: v for o, v in loss.items()}
    if loss is not None:
        loss = {o: loss for o in outputs} if isinstance(loss, str) and len(outputs) > 1 else loss
        loss = _setting(loss, "losses")
        given.append("loss")
    optimizer = None
    if settings.optimizer is not None:
        optimizer = (OPTIMIZERS[settings.optimizer.name][0], dict(settings.optimizer.args))
        given.append("optimizer")
    metrics: Any = settings.metrics
    if isinstance(metrics, dict):
        metrics = {names[o]: v for o, v in metrics.items()}
    if metrics is not None:
        multi = isinstance(metrics, list) and len(outputs) > 1
        metrics = {o: list(metrics) for o in outputs} if multi else metrics
        metrics = _setting(metrics, "metrics")
        given.append("metrics")
    loss_weights = None
    if settings.loss_weights is not None:
        weights = settings.loss_weights
        loss_weights = {names[o]: weights.get(o, 1.0) for o in network(g).outputs}
        given.append("loss_weights")
    return CompileSpec(loss, metrics, optimizer, tuple(given), loss_weights)
