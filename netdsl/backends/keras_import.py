"""A saved Keras model (`.keras`) -> a readable netdsl spec. No TensorFlow.

    result = import_keras("model.keras")     # ImportResult: .text, .diagnostics, .source

The structure is read from the archive's `config.json` (netdsl/backends/archive.py):
nothing is deserialized through Keras, so no code in the file can run, and a
Lambda or a custom layer is a diagnostic, never an import.

How a graph of layers becomes a spec:

- every Keras layer maps to one op (`Dense` -> dense, `GetItem`/`Take` ->
  a selection, ...); a kind with no op is an error naming the layer, its class
  and the closest op (ND702); a setting the op cannot carry is ND703;
- a value gets a statement of its own (`name = ...`) when it must have a
  name: an input, an output, a value used other than exactly once, the source
  of a selection, or a layer whose Keras name the chain form would not
  reproduce; everything else joins a `->` chain, and a merge's operands that
  need no name are written inline. netdsl names the layers of a chain
  `<name>_<op>_<k>`, so a model that netdsl compiled comes back with the same
  names; names Keras made up (`dense_3`) are dropped in favour of the chain;
- a dict of scalar inputs is a record (`input adult: {age: float(shape=())}`,
  its columns read as `adult[age]`), named as netdsl.json says;
- values may have 0 to 4 axes besides the batch axis (rows of vectors from
  Reshape, RepeatVector, Stack, ExpandDims); a layer reading a rank its op
  does not take is refused naming it, never read as something else;
- a selection is a Keras operation (GetItem, Take), which `model.get_layer`
  cannot find, so netdsl names a named selection with an Identity layer after
  it (`s1_get_item` -> Identity `s1`); that pair comes back as `s1 = x[...]`,
  and an operation's own name is not kept (a chain names it);
- the text goes through the formatter (netdsl/lang/fmt.py), so it is
  `fmt`-clean, and the formatter's own re-parse checks it.
"""

from __future__ import annotations

import re
import struct
from collections import Counter
from dataclasses import dataclass, field

from ..ir.ops import MAX_RANK, OPS
from ..lang import codes
from ..lang.diagnostics import Diagnostic, error, warning
from ..lang.parser import KEYWORDS
from ..lang.source import Source
from .archive import Archive, read_archive
from .keras_layers import ASSUMED, LAYERS


def keras_snake(name: str) -> str:
    """A class name as Keras names its layers (keras.src.utils.naming.to_snake_case):
    `BatchNormalization` -> `batch_normalization`, `ReLU` -> `re_lu`."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


# Keras class -> netdsl op, from the Keras backend's own table (inputs and
# selections have readers of their own).
_CLASS_OPS = {e.class_name: op for op, e in LAYERS.items() if e.spec is None and op != "input"}
# Names Keras gives layers nobody named: the class in snake case, maybe `_N`.
_AUTO_NAME = re.compile(
    r"^(input|"
    + "|".join(
        sorted(
            keras_snake(c)
            for c in (
                "InputLayer",
                "GetItem",
                "Take",
                "MultiHeadAttention",
                "Clip",
                "Stack",
                "ExpandDims",
                *_CLASS_OPS,
            )
        )
    )
    + r")(_\d+)?$"
)
_GENERATED = re.compile(r"^(.+)_(" + "|".join(sorted(OPS)) + r")_\d+$")
_SPEC_NAME = re.compile(r"^[^\W\d]\w*$")
_RESERVED = {*KEYWORDS.values(), "true", "false"}  # words a spec name cannot be
_SHAREABLE = tuple(op for op in _CLASS_OPS.values() if OPS[op].kind == "layer")  # a `layer` declaration
# chained with ->: self-attention (`x -> attention(...)`) and ExpandDims read one value too
_LAYER_OPS = (*_SHAREABLE, "attention", "expand_dims", "clip")
_MERGES = {c: op for c, op in _CLASS_OPS.items() if OPS[op].kind == "merge"}

# Ops that are Keras operations, which netdsl names with an Identity layer after them
_OPERATIONS = ("select", "stack", "expand_dims", "clip")

# The closest netdsl op for Keras layer kinds it cannot express (for ND702's help).
_CLOSEST = {
    "UnitNormalization": "layernorm",
    "Rescaling": "standardize(mean=[...], variance=[...])",
    "ELU": "activation(elu)",
    "Softmax": "activation(softmax)",
    "EinsumDense": "dense",
    "AlphaDropout": "dropout",
    "GaussianDropout": "dropout",
}

# Keras 3's defaults for the optimizer arguments netdsl knows (tests/test_lockin.py
# checks this table against the installed Keras); arguments equal to them are left out.
_COMMON_DEFAULTS = {
    "weight_decay": None,
    "clipnorm": None,
    "clipvalue": None,
    "global_clipnorm": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}
_ADAM = {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07}
OPTIMIZER_DEFAULTS: dict[str, dict] = {
    "adam": {**_ADAM, "amsgrad": False},
    "adamw": {**_ADAM, "amsgrad": False, "weight_decay": 0.004},
    "sgd": {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
    "rmsprop": {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-07, "centered": False},
    "adagrad": {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-07},
    "adadelta": {"learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-07},
    "adamax": dict(_ADAM),
    "nadam": dict(_ADAM),
    "ftrl": {
        "learning_rate": 0.001,
        "learning_rate_power": -0.5,
        "initial_accumulator_value": 0.1,
        "l1_regularization_strength": 0.0,
        "l2_regularization_strength": 0.0,
        "l2_shrinkage_regularization_strength": 0.0,
        "beta": 0.0,
    },
    "lion": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.99},
}


class _Unsupported(Exception):
    def __init__(self, code, message: str, help: str | None = None):
        super().__init__(message)
        self.code, self.message, self.help = code, message, help


@dataclass
class _Node:
    name: str  # the Keras layer name
    cls: str
    op: str  # the netdsl op ("input", "dense", ..., "select")
    text: str  # a layer: its step ("dense(4, relu)"); a selection: its items; an input: its spec
    inputs: list[str]
    width: int
    index: int  # position in config.json: ties in the statement order
    shared: str | None = None  # one call of a layer called several times: that layer's Keras name
    carried: bool = False  # a selection named by the Identity layer after its operation: that name


@dataclass
class ImportResult:
    text: str | None  # the spec, None when errors stop the import
    diagnostics: list[Diagnostic]
    source: Source  # for rendering the diagnostics: FILE is the .keras path
    layers: int = 0
    kept_names: int = 0  # Keras names kept as spec names
    notes: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # layers left out (--allow-unsupported)


def import_keras(path: str, allow_unsupported: bool = False, width: int = 88) -> ImportResult:
    """Read a `.keras` file into spec text. Raises InputFileError for a file that
    is not a Keras archive; every problem with the model is a diagnostic."""
    archive = read_archive(path)
    return import_archive(archive, allow_unsupported, width)


def import_archive(archive: Archive, allow_unsupported: bool = False, width: int = 88) -> ImportResult:
    source = Source(archive.path, "")
    diags: list[Diagnostic] = []
    version = archive.keras_version
    if version is not None and not version.startswith("3."):
        diags.append(
            error(
                codes.KERAS_VERSION,
                f"the model was saved by Keras {version}; netdsl reads Keras 3 archives",
                help="load it in Keras 3 and save it again with model.save('model.keras')",
            )
        )
        return ImportResult(None, diags, source)
    reader = _Reader(archive, diags)
    try:
        reader.read()
    except _Unsupported as exc:
        diags.append(error(exc.code, exc.message, help=exc.help))
        return ImportResult(None, diags, source)
    errors = [d for d in diags if d.severity == "error"]
    if errors and not allow_unsupported:
        return ImportResult(None, diags, source, layers=reader.layer_count())
    writer = _Writer(reader, width)
    text = writer.write()
    return ImportResult(
        text,
        diags,
        source,
        layers=reader.layer_count(),
        kept_names=writer.kept_names,
        notes=writer.notes,
        failed=sorted(reader.failed),
    )


# ---- reading config.json -----------------------------------------------------


class _Reader:
    """config.json -> nodes (one per Keras layer), inputs and outputs, compile settings."""

    def __init__(self, archive: Archive, diags: list[Diagnostic]):
        self.archive = archive
        self.diags = diags
        self.nodes: dict[str, _Node] = {}
        self.inputs: list[str] = []
        self.outputs: list[str] = []
        self.failed: set[str] = set()  # layers that could not be expressed
        self.failed_inputs: dict[str, list[str]] = {}  # what each of them reads
        self.model_name = "network"
        self.compile: dict | None = None
        self.calls: dict[tuple[str, int], str] = {}  # (shared layer, call) -> the node of that call
        self.shared: dict[str, str] = {}  # shared layer -> its declaration (`dense(8, relu)`)
        self.ranks: list[int] = []  # of the values the layer being read reads (batch axis excluded)
        self.kwargs: dict | None = None  # the keyword arguments of its call
        # Keras input -> (record, field): the columns of a record, which the model takes as a dict
        self.records: dict[str, tuple[str, str]] = _records(archive)

    def read(self) -> None:
        cfg = self.archive.config
        cls = cfg.get("class_name")
        body = cfg.get("config")
        if cls not in ("Functional", "Sequential", "Model") or not isinstance(body, dict):
            raise _Unsupported(
                codes.UNSUPPORTED_MODEL,
                f"the file holds a '{cls}', not a Functional or Sequential model",
                help="netdsl imports models built with keras.Model(inputs, outputs) or keras.Sequential",
            )
        self.model_name = str(body.get("name") or "network")
        layers = body.get("layers")
        if not isinstance(layers, list) or not layers:
            raise _Unsupported(codes.UNSUPPORTED_MODEL, "the model has no layers")
        given = body.get("input_layers")
        if isinstance(given, dict) and not self.records:  # a dict of columns: one record of them
            self.records = {ref[0]: ("inputs", key) for key, ref in given.items() if _refs(ref)}
        if cls == "Sequential":
            self._read_sequential(layers, cfg)
        else:
            self._read_functional(layers, body)
        self._fold_named_operations()
        self.compile = cfg.get("compile_config") if isinstance(cfg.get("compile_config"), dict) else None

    # -- the two model kinds
    def _read_functional(self, layers: list, body: dict) -> None:
        widths: dict[str, int] = {}
        for index, entry in enumerate(layers):
            name, cls, config = _entry(entry)
            calls = [c for c in entry.get("inbound_nodes") or [] if isinstance(c, dict)]
            if len(calls) > 1:
                self._read_shared(index, name, cls, config, calls, widths)
                continue
            args = calls[0].get("args", []) if calls else []
            self.kwargs = calls[0].get("kwargs") if calls else None
            tensors = self._sources(name, cls, _tensors(args))
            self.failed_inputs[name] = [t[0] for t in tensors]
            in_widths = [t[3] for t in tensors]
            self.ranks = [t[4] for t in tensors]
            self._add(index, name, cls, config, [t[0] for t in tensors], in_widths, args, widths)
        self.inputs = [ref[0] for ref in _refs(body.get("input_layers"), inputs=True)]
        self.outputs = [self.calls.get((ref[0], ref[1]), ref[0]) for ref in _refs(body.get("output_layers"))]
        if not self.outputs:
            raise _Unsupported(codes.UNSUPPORTED_MODEL, "the model config names no outputs")

    def _fold_named_operations(self) -> None:
        """netdsl names a selection with an Identity layer after its operation (the
        operation `s1_get_item`, the Identity `s1`: model.get_layer finds layers
        only); the pair is read back as the one selection `s1 = x[...]`."""
        for name, node in list(self.nodes.items()):
            src = self.nodes.get(node.inputs[0]) if node.cls == "Identity" and len(node.inputs) == 1 else None
            if (
                src is None
                or src.op not in _OPERATIONS
                or node.text != "identity"
                or node.shared is not None
                or not re.fullmatch(re.escape(name) + rf"_{keras_snake(src.cls)}(_\d+)?", src.name)
                or any(src.name in n.inputs for n in self.nodes.values() if n is not node)
                or src.name in self.outputs
            ):
                continue
            del self.nodes[src.name]
            self.nodes[name] = _Node(
                name, src.cls, src.op, src.text, src.inputs, src.width, src.index, carried=True
            )

    def layer_count(self) -> int:
        """Keras layers read: a shared layer once, however often it is called."""
        return (
            len(self.nodes) - sum(1 for n in self.nodes.values() if n.shared is not None) + len(self.shared)
        )

    def _read_shared(self, index: int, name: str, cls: str, config: dict, calls: list, widths: dict) -> None:
        """A layer called several times (one layer object, shared weights): a node
        per call, `name#k`, each applying the layer the spec declares with `layer`."""
        for k, call in enumerate(calls):
            args, self.kwargs = call.get("args", []), call.get("kwargs")
            tensors = self._sources(name, cls, _tensors(args))
            node = f"{name}#{k + 1}"
            self.failed_inputs[node] = [t[0] for t in tensors]
            self.calls[(name, k)] = node
            ins, in_widths = [t[0] for t in tensors], [t[3] for t in tensors]
            self.ranks = [t[4] for t in tensors]
            self._add(index, node, cls, config, ins, in_widths, args, widths, layer=name)
            if node not in self.nodes:
                return  # reported once, at its first call
            text = self.nodes[node].text
            if self.nodes[node].op not in _SHAREABLE or (
                text.startswith("standardize") and "mean=" not in text
            ):
                self.nodes.pop(node)
                self._fail(
                    node,
                    codes.SHARED_LAYER,
                    f"layer '{name}' ({cls}) is called {len(calls)} times: netdsl shares layers "
                    "(`layer NAME = ...`), not merges or selections, and a standardize only with its "
                    "statistics",
                    "give each use a layer of its own (the weights are then separate)",
                )
                return
            self.nodes[node].shared = name
            self.shared[name] = self.nodes[node].text

    def _sources(self, name: str, cls: str, tensors: list) -> list:
        """The layers a call reads, a call of a shared layer as the node of that call."""
        out = []
        for src, node_index, tensor_index, width, rank in tensors:
            if tensor_index:
                raise _Unsupported(
                    codes.UNSUPPORTED_MODEL,
                    f"layer '{name}' ({cls}) reads output {tensor_index} of layer '{src}': "
                    "netdsl's layers have one output",
                )
            out.append((self.calls.get((src, node_index), src), node_index, tensor_index, width, rank))
        return out

    def _read_sequential(self, layers: list, cfg: dict) -> None:
        widths: dict[str, int] = {}
        prev = None
        start = 0
        first_name, first_cls, first_config = _entry(layers[0])
        if first_cls != "InputLayer":
            shape = (cfg.get("build_config") or {}).get("input_shape")
            config = {"batch_shape": shape, "dtype": "float32", "name": "input_layer"}
            self._add(-1, "input_layer", "InputLayer", config, [], [], [], widths)
            prev = "input_layer"
        for index, entry in enumerate(layers[start:], start):
            name, cls, config = _entry(entry)
            inputs = [prev] if prev is not None else []
            w = [widths.get(prev, 0)] if prev is not None else []
            self.ranks = [1] * len(inputs)  # a Sequential model of vectors (its shapes are not saved)
            self._add(index, name, cls, config, inputs, w, [], widths)
            prev = name
        self.inputs = [n for n in self.nodes if self.nodes[n].op == "input"][:1]
        self.outputs = [prev] if prev is not None else []

    def _add(self, index, name, cls, config, inputs, in_widths, args, widths, layer=None) -> None:
        """`layer`: the Keras layer's name when `name` is one call of a shared layer."""
        if name in self.nodes:
            raise _Unsupported(codes.UNSUPPORTED_MODEL, f"two layers are named '{name}'")
        self.failed_inputs[name] = self.failed_inputs.get(name) or list(inputs)
        dropped: list[str] = []
        try:
            if cls == "InputLayer" and name in self.records:
                _check_dtype(name, cls, config)
                self.nodes[name] = _Node(name, cls, "input", _field(name, config), [], 1, index)
                return
            call = _Call(args, self.kwargs if isinstance(self.kwargs, dict) else {}, self.ranks)
            op, text, width = _convert(layer or name, cls, config, in_widths, call, dropped)
        except _Unsupported as exc:
            self._fail(name, exc.code, exc.message, exc.help)
            return
        if name in self.failed or any(src in self.failed for src in inputs):
            self.failed.add(name)  # it reads a layer that is left out: reported there
            return
        if layer is None or name.endswith("#1"):  # a shared layer's settings: said once
            self.diags.extend(warning(codes.DROPPED_SETTING, m) for m in dropped)
        if op == "input":
            features = (self.archive.netdsl.get("features") or {}).get(name)
            if (
                isinstance(features, list)
                and len(features) == width
                and all(_SPEC_NAME.match(f) for f in features)
            ):
                text = "[" + ", ".join(features) + "]"
        if op == "attention" and len(inputs) == 2 and inputs[0] == inputs[1]:
            inputs = inputs[:1]  # self-attention, called on (x, x): the one operand x
        self.nodes[name] = _Node(name, cls, op, text, list(inputs), width, index)
        widths[name] = width

    def _fail(self, name: str, code, message: str, help: str | None = None) -> None:
        self.failed.add(name)
        self.diags.append(error(code, message, help=help))


def _entry(entry) -> tuple[str, str, dict]:
    if not isinstance(entry, dict):
        raise _Unsupported(codes.UNSUPPORTED_MODEL, "config.json lists a layer that is not an object")
    raw = entry.get("config")
    config: dict = raw if isinstance(raw, dict) else {}
    name = entry.get("name") or config.get("name")
    cls = entry.get("class_name")
    if not isinstance(name, str) or not isinstance(cls, str):
        raise _Unsupported(codes.UNSUPPORTED_MODEL, "config.json lists a layer without a name or class")
    return name, cls, config


def _records(archive: Archive) -> dict[str, tuple[str, str]]:
    """The record columns netdsl compiled (netdsl.json's `records`): Keras input -> (record, field)."""
    given = archive.netdsl.get("records")
    if not isinstance(given, dict):
        return {}
    return {
        k: (v[0], v[1])
        for k, v in given.items()
        if isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) and _SPEC_NAME.match(x) for x in v)
    }


def _refs(value, inputs: bool = False) -> list:
    """`input_layers` / `output_layers`: [name, 0, 0] or a list of them; the inputs may be
    a dict of them (the columns of a record)."""
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, list) and len(v) == 3 and isinstance(v[0], str)]
    if isinstance(value, dict) and inputs:
        return [ref for v in value.values() for ref in _refs(v)]
    if isinstance(value, dict):
        raise _Unsupported(
            codes.UNSUPPORTED_MODEL, "the model's inputs or outputs are a dictionary", "use a list"
        )
    return []


def _tensors(args) -> list[tuple[str, int, int, int, int]]:
    """Every Keras tensor among a call's arguments: (layer, node, tensor, width, rank), its
    width the size of its last axis, its rank without the batch axis."""
    found: list = []
    stack = [args]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if v.get("class_name") == "__keras_tensor__":
                c = v.get("config") or {}
                layer, node, tensor = (c.get("keras_history") or [None, 0, 0])[:3]
                shape = c.get("shape") or []
                if not 1 <= len(shape) <= 5 or not all(isinstance(d, int) for d in shape[1:]):
                    raise _Unsupported(
                        codes.UNSUPPORTED_MODEL,
                        f"the output of layer '{layer}' has shape {tuple(shape)}: netdsl's values have "
                        "known sizes and 1 to 4 axes besides the batch axis",
                    )
                found.append((layer, node, tensor, shape[-1] if len(shape) > 1 else 1, len(shape) - 1))
            continue
        if isinstance(v, list):
            stack.extend(reversed(v))
    return found


# ---- one Keras layer -> one op -------------------------------------------------


@dataclass
class _Call:
    """How a layer is called: its arguments (tensors among them), keyword arguments, and
    the ranks of the tensors it reads (batch axis excluded)."""

    args: list
    kwargs: dict
    ranks: list[int]


def _convert(
    name: str, cls: str, config: dict, in_widths: list[int], call: _Call, dropped: list[str]
) -> tuple[str, str, int]:
    """(op, text, output width) for a layer, or _Unsupported; settings that change
    only how training starts (initializers, seeds) are left out and listed in `dropped`."""
    _check_dtype(name, cls, config)
    if cls == "InputLayer":
        return _input(name, config)
    if cls in ("Functional", "Sequential", "Model"):
        raise _Unsupported(
            codes.UNSUPPORTED_MODEL,
            f"layer '{name}' is a whole model ({cls}) used as a layer",
            "a block is netdsl's reusable sub-network; write the inner model as a block",
        )
    if config.get("trainable") is False and cls in _MERGES:
        raise _Unsupported(
            codes.UNSUPPORTED_SETTING,
            f"layer '{name}' ({cls}) is frozen (trainable=False), which netdsl writes on layers only",
        )
    width = in_widths[0] if in_widths else 0
    if cls in _ROWS:
        op, text, out = _ROWS[cls](name, config, call, in_widths, dropped)
    else:
        op, text, out = _convert_layer(name, cls, config, in_widths, call.args, dropped, width)
    _check_rank(name, cls, op, call.ranks)
    if config.get("trainable") is False and op not in ("input", "select"):
        text = _with_option(text, "trainable=false")
    return op, text, out


def _with_option(text: str, option: str) -> str:
    """`dense(4)` + `trainable=false` -> `dense(4, trainable=false)`; `standardize` -> `standardize(...)`."""
    if text.endswith(")"):
        return f"{text[:-1]}, {option})"
    return f"{text}({option})"


def _convert_layer(
    name: str, cls: str, config: dict, in_widths: list[int], args, dropped: list[str], width: int
) -> tuple[str, str, int]:
    if cls == "Dense":
        text = _dense(name, config)
        for option in _options(name, cls, config):
            text = _with_option(text, option)
        return "dense", text, int(config.get("units", 0))
    if cls == "Dropout":
        if config.get("seed") is not None:
            dropped.append(
                f"layer '{name}' (Dropout): seed={config['seed']} left out (netdsl seeds with --seed)"
            )
        return "dropout", _dropout(name, config), width
    if cls == "Normalization":
        return "standardize", _standardize(name, config, width), width
    if cls in _CLASS_OPS:
        return _generic(name, cls, _CLASS_OPS[cls], config, in_widths, dropped)
    if cls == "GetItem":
        indices = _getitem_indices(name, args, width)
        return "select", _indices_text(indices), len(indices)
    if cls == "Take":
        indices = _take_indices(name, config, args, width)
        return "select", _indices_text(indices), len(indices)
    raise _unsupported_layer(name, cls)


def _check_rank(name: str, cls: str, op: str, ranks: list[int]) -> None:
    """A layer on values of a rank its op does not take (a selection of rows, a
    standardize of rows) is refused, not read as something else."""
    accepted = OPS[op].ranks
    wrong = [r for r in ranks if r not in accepted]
    if op != "input" and wrong:
        raise _Unsupported(
            codes.UNSUPPORTED_MODEL,
            f"layer '{name}' ({cls}) reads a value of rank {wrong[0]} (batch axis excluded): netdsl's "
            f"{op} takes rank {' or '.join(map(str, accepted))}",
        )


def _concatenate(name: str, config: dict, call: _Call, in_widths: list[int], dropped) -> tuple[str, str, int]:
    axis, rank = config.get("axis", -1), max(call.ranks, default=1)
    if axis not in (-1, rank):
        raise _Unsupported(codes.UNSUPPORTED_SETTING, f"layer '{name}' (Concatenate) joins along axis {axis}")
    return "concat", "concat", sum(in_widths)


def _operation(name: str, cls: str, config: dict, keys: tuple[str, ...]) -> None:
    """An operation (Stack, ExpandDims) with no setting but `keys`."""
    extra = sorted(set(config) - {"name", *keys})
    if extra:
        raise _Unsupported(
            codes.UNSUPPORTED_SETTING,
            f"layer '{name}' ({cls}) has {extra[0]}={_short_json(config[extra[0]])}, which netdsl cannot "
            "express",
        )


def _stack(name: str, config: dict, call: _Call, in_widths: list[int], dropped) -> tuple[str, str, int]:
    _operation(name, "Stack", config, ("axis",))
    axis = config.get("axis", 0)
    if not isinstance(axis, int) or axis == 0:
        raise _Unsupported(codes.UNSUPPORTED_SETTING, f"layer '{name}' (Stack) stacks along the batch axis")
    return "stack", f"stack(axis={axis})", in_widths[0] if axis != -1 else len(in_widths)


def _expand_dims(name: str, config: dict, call: _Call, in_widths: list[int], dropped) -> tuple[str, str, int]:
    _operation(name, "ExpandDims", config, ("axis",))
    axis = config.get("axis")
    if not isinstance(axis, int):
        raise _Unsupported(
            codes.UNSUPPORTED_SETTING, f"layer '{name}' (ExpandDims) has axis={_short_json(axis)}"
        )
    return "expand_dims", f"expand_dims({axis})", 1 if axis == -1 else in_widths[0]


def _clip(name: str, config: dict, call: _Call, in_widths: list[int], dropped) -> tuple[str, str, int]:
    _operation(name, "Clip", config, ("x_min", "x_max"))
    bounds = [config.get("x_min"), config.get("x_max")]
    if not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds):
        raise _Unsupported(
            codes.UNSUPPORTED_SETTING, f"layer '{name}' (Clip) has bounds {_short_json(bounds)}"
        )
    texts = [str(b) if isinstance(b, int) else number(float(b or 0)) for b in bounds]
    return "clip", f"clip({', '.join(texts)})", in_widths[0] if in_widths else 0


def _reshape(name: str, config: dict, call: _Call, in_widths: list[int], dropped) -> tuple[str, str, int]:
    _check_keys(name, "Reshape", config, ("target_shape",))
    dims = config.get("target_shape")
    if not isinstance(dims, list) or not dims or not all(isinstance(d, int) for d in dims):
        raise _Unsupported(
            codes.UNSUPPORTED_SETTING, f"layer '{name}' (Reshape) has target_shape={_short_json(dims)}"
        )
    return "reshape", f"reshape({', '.join(map(str, dims))})", max(dims[-1], 0)


# MultiHeadAttention's settings netdsl writes as they are (the others: _ATTENTION_ASSUMED)
_ATTENTION_KEYS = ("num_heads", "key_dim", "value_dim", "dropout", "use_bias", "seed")
_ATTENTION_ASSUMED = {
    "use_gate": False,
    "output_shape": None,
    "sliding_window": None,
    "flash_attention": None,
}


def _attention(name: str, config: dict, call: _Call, in_widths: list[int], dropped) -> tuple[str, str, int]:
    """Attention as netdsl builds it: called on (x, x), `x -> attention(...)`, or on (q, m)
    / (q, m, k), `q -> attention(..., value=m, key=k)` (the writer adds the operands)."""
    tensors = _tensors(call.args)
    if len(tensors) not in (2, 3) or any(v is not None for v in call.kwargs.values()):
        raise _Unsupported(
            codes.UNSUPPORTED_MODEL,
            f"layer '{name}' (MultiHeadAttention) takes a mask or keyword operands: netdsl import "
            "reads attention called on (query, value[, key])",
        )
    from ..ir.options import LAYER_OPTIONS

    options = {k for k, _ in LAYER_OPTIONS.get("attention", ())}
    rank = call.ranks[0] if call.ranks else 2
    assumed = {**_ATTENTION_ASSUMED, "attention_axes": list(range(1, rank))}
    for key, value in config.items():
        if key in _COMMON_KEYS or key in _ATTENTION_KEYS or key in options:
            continue
        if key not in assumed or not _same(value, assumed[key]):
            raise _Unsupported(
                codes.UNSUPPORTED_SETTING,
                f"layer '{name}' (MultiHeadAttention) has {key}={_short_json(value)}, which netdsl "
                "cannot express",
            )
    if config.get("seed") is not None:
        dropped.append(f"layer '{name}' (MultiHeadAttention): seed={config['seed']} left out")
    heads, key_dim = config.get("num_heads"), config.get("key_dim")
    args = [str(heads), str(key_dim)]
    if config.get("value_dim") not in (None, key_dim):
        args.append(f"value_dim={config['value_dim']}")
    if config.get("dropout"):
        args.append(f"dropout={number(float(config['dropout']))}")
    if config.get("use_bias") is False:
        args.append("use_bias=false")
    return (
        "attention",
        f"attention({', '.join(args + _options(name, 'MultiHeadAttention', config, 'attention'))})",
        (in_widths[0] if in_widths else 0),
    )


def _embedding(name: str, config: dict, call: _Call, in_widths: list[int], dropped) -> tuple[str, str, int]:
    """An Embedding of a column of numbers: its size given, `embedding(dim, input_dim=V)`."""
    from ..ir.options import LAYER_OPTIONS

    options = {k for k, _ in LAYER_OPTIONS["embedding"]}
    assumed = {"mask_zero": False, "quantization_config": None, "sparse": False, "lora_rank": None}
    for key, value in config.items():
        if key in _COMMON_KEYS or key in ("input_dim", "output_dim") or key in options:
            continue
        if key not in assumed or not _same(value, assumed[key]):
            raise _Unsupported(
                codes.UNSUPPORTED_SETTING,
                f"layer '{name}' (Embedding) has {key}={_short_json(value)}, which netdsl cannot express",
            )
    dim, size = config.get("output_dim"), config.get("input_dim")
    args = [f"{dim}", f"input_dim={size}", *_options(name, "Embedding", config, "embedding")]
    return "embedding", f"embedding({', '.join(args)})", int(dim or 0)


_ROWS = {
    "Embedding": _embedding,
    "Concatenate": _concatenate,
    "Stack": _stack,
    "ExpandDims": _expand_dims,
    "Clip": _clip,
    "Reshape": _reshape,
    "MultiHeadAttention": _attention,
}


def _check_keys(name: str, cls: str, config: dict, keys: tuple[str, ...]) -> None:
    """A layer with no setting but `keys` and the ones every layer has."""
    extra = sorted(k for k in config if k not in _COMMON_KEYS and k not in keys)
    if extra:
        raise _Unsupported(
            codes.UNSUPPORTED_SETTING,
            f"layer '{name}' ({cls}) has {extra[0]}={_short_json(config[extra[0]])}, which netdsl cannot "
            "express",
        )


# Config keys every layer has, which say nothing about what it computes.
_COMMON_KEYS = ("name", "dtype", "trainable")


def _generic(
    name: str, cls: str, op: str, config: dict, in_widths: list[int], dropped: list[str]
) -> tuple[str, str, int]:
    """A layer whose config is its op's arguments (some renamed), its layer options
    and entries at the values netdsl assumes (keras_layers.ASSUMED)."""
    from ..ir.options import LAYER_OPTIONS

    renames = dict(LAYERS[op].renames)
    params = [p for p in OPS[op].params if p.name not in dict(LAYER_OPTIONS.get(op, ())) | {"trainable": 0}]
    keys = {renames.get(p.name, p.name) for p in params} | {k for k, _ in LAYER_OPTIONS.get(op, ())}
    for key, value in config.items():
        if key in _COMMON_KEYS or key in keys:
            continue
        assumed = ASSUMED.get(cls, {})
        if key in assumed and _same(value, assumed[key]) or key not in assumed and value is None:
            continue
        raise _Unsupported(
            codes.UNSUPPORTED_SETTING,
            f"layer '{name}' ({cls}) has {key}={_short_json(value)}, which netdsl cannot express",
        )
    args = []
    for p in params:
        key = renames.get(p.name, p.name)
        value = config.get(key)
        if p.name == "seed":
            if value is not None:
                dropped.append(f"layer '{name}' ({cls}): seed={value} left out (netdsl seeds with --seed)")
            continue
        if value is None or (not p.required and _same(value, p.default)):
            continue
        text = _argument_text(name, cls, p, value, key)
        args.append(text if p.required else f"{p.name}={text}")
    args += _options(name, cls, config, op)
    text = f"{op}({', '.join(args)})" if args else op
    width = in_widths[0] if in_widths else 0
    if op == "dot":
        width = 1
    elif OPS[op].kind == "merge":
        width = max(in_widths, default=0)  # a width of 1 broadcasts
    return op, text, width


def _argument_text(name: str, cls: str, p, value, key: str) -> str:
    if p.type == "bool" and isinstance(value, bool):
        return "true" if value else "false"
    if p.type == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return number(float(value))
    if p.type == "int" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    from ..ir.ops import ACTIVATIONS

    if p.type == "activation" and value in ACTIVATIONS:
        return value
    raise _Unsupported(
        codes.UNSUPPORTED_SETTING,
        f"layer '{name}' ({cls}) has {key}={_short_json(value)}, which netdsl cannot express",
        "netdsl's activations: " + ", ".join(ACTIVATIONS) if p.type == "activation" else None,
    )


def _unsupported_layer(name: str, cls: str) -> _Unsupported:
    if cls == "Lambda":
        return _Unsupported(
            codes.UNSUPPORTED_LAYER,
            f"layer '{name}' is a Lambda: it holds Python code, which netdsl never runs or translates",
            "closest op: none; rewrite the function with netdsl's ops (dense, add, concat, selections)",
        )
    closest = _CLOSEST.get(cls)
    return _Unsupported(
        codes.UNSUPPORTED_LAYER,
        f"layer '{name}' ({cls}) has no netdsl op",
        f"closest op: {closest}"
        if closest
        else "closest op: none; netdsl has "
        + ", ".join(sorted(_CLASS_OPS.values()))
        + " and feature selections",
    )


def _check_dtype(name: str, cls: str, config: dict) -> None:
    dtype = config.get("dtype")
    if isinstance(dtype, dict):
        dtype = (dtype.get("config") or {}).get("name")
    if dtype not in (None, "float32"):
        raise _Unsupported(
            codes.UNSUPPORTED_SETTING,
            f"layer '{name}' ({cls}) computes in {dtype}; netdsl models compute in float32",
        )


def _input(name: str, config: dict) -> tuple[str, str, int]:
    shape = config.get("batch_shape") or config.get("batch_input_shape")
    if shape is None and config.get("shape") is not None:
        shape = [None, *config["shape"]]
    sizes = shape[1:] if isinstance(shape, list) else []
    if not 1 <= len(sizes) <= MAX_RANK or not all(isinstance(n, int) and n > 0 for n in sizes):
        raise _Unsupported(
            codes.UNSUPPORTED_MODEL,
            f"input '{name}' has shape {tuple(shape or ())}: "
            f"netdsl's inputs have 1 to {MAX_RANK} axes of known size after the batch axis",
        )
    if config.get("sparse") or config.get("ragged"):
        raise _Unsupported(codes.UNSUPPORTED_MODEL, f"input '{name}' is sparse or ragged")
    # `input seq: (4, 62)` for a shape, the width alone for a vector
    text = str(sizes[0]) if len(sizes) == 1 else "(" + ", ".join(map(str, sizes)) + ")"
    return "input", text, sizes[-1]


def _field(name: str, config: dict) -> str:
    """A record column's type, `float(shape=())` for a scalar, `float` for (1,)."""
    shape = config.get("batch_shape") or config.get("batch_input_shape")
    if shape not in ([None], [None, 1]) or config.get("sparse") or config.get("ragged"):
        raise _Unsupported(
            codes.UNSUPPORTED_MODEL,
            f"input '{name}' has shape {tuple(shape or ())}: a column of a record holds one value per row",
        )
    return "float(shape=())" if shape == [None] else "float"


_DENSE_KNOWN = {"quantization_config": None, "lora_rank": None}

# Keras's default for the layer options netdsl leaves unwritten (any seed makes it a choice).
_DEFAULT_INITIALIZERS = {
    "kernel_initializer": "GlorotUniform",
    "bias_initializer": "Zeros",
    "beta_initializer": "Zeros",
    "gamma_initializer": "Ones",
    "moving_mean_initializer": "Zeros",
    "moving_variance_initializer": "Ones",
    "alpha_initializer": "Zeros",
    "embeddings_initializer": "RandomUniform",
}


def _options(name: str, cls: str, config: dict, op: str = "dense") -> list[str]:
    """The layer options of a Keras layer (ir/options.py) as `key=value` texts;
    an unset or default one is left out."""
    from ..ir.options import LAYER_OPTIONS

    out = []
    for key, family in LAYER_OPTIONS.get(op, ()):
        value = config.get(key)
        if value is None or (isinstance(value, dict) and _is_default(key, value)):
            continue
        out.append(f"{key}={_option_value(name, cls, key, family, value)}")
    return out


# Settings of a default initializer that are Keras's defaults (Embedding's "uniform")
_DEFAULT_SETTINGS = {"embeddings_initializer": {"minval": -0.05, "maxval": 0.05}}


def _is_default(key: str, value: dict) -> bool:
    default = _DEFAULT_INITIALIZERS.get(key)
    settings = value.get("config") or {}
    fixed = _DEFAULT_SETTINGS.get(key, {})
    return value.get("class_name") == default and all(
        v is None or k in fixed and _same(v, fixed[k]) for k, v in settings.items()
    )


def _option_value(name: str, cls: str, key: str, family: str, value) -> str:
    """A serialized initializer, regularizer or constraint as netdsl writes it: `l2(l2=0.0001)`."""
    from ..ir.options import FAMILIES

    table = FAMILIES[family][0]
    given = value.get("class_name") if isinstance(value, dict) else value
    settings = (value.get("config") or {}) if isinstance(value, dict) else {}
    found = [n for n, entry in table.items() if entry.class_name == given or n == _snake(str(given))]
    known = {a.name for a in table[found[0]].args} if found else set()
    if (
        not found
        or not isinstance(settings, dict)
        or any(v is not None for k, v in settings.items() if k not in known)
    ):
        raise _Unsupported(
            codes.UNSUPPORTED_SETTING,
            f"layer '{name}' ({cls}) has {key}={_short_json(value)}, which netdsl cannot express",
            f"netdsl's {family}s: " + ", ".join(table),
        )
    args = []
    for arg in table[found[0]].args:
        v = settings.get(arg.name)
        if v is None:
            continue
        if isinstance(v, str) and isinstance(arg.kind, tuple) and v in arg.kind:
            args.append(f"{arg.name}={v}")
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            args.append(f"{arg.name}={number(float(v)) if arg.kind == 'float' else int(v)}")
        else:
            raise _Unsupported(
                codes.UNSUPPORTED_SETTING,
                f"layer '{name}' ({cls}) has {key}={_short_json(value)}, which netdsl cannot express",
            )
    return found[0] + (f"({', '.join(args)})" if args else "")


def _dense(name: str, config: dict) -> str:
    for key, default in _DENSE_KNOWN.items():
        if config.get(key, default) != default:
            raise _Unsupported(
                codes.UNSUPPORTED_SETTING,
                f"layer '{name}' (Dense) has {key}={_short_json(config[key])}, which netdsl cannot express",
            )
    units = config.get("units")
    activation = config.get("activation", "linear")
    from ..ir.ops import ACTIVATIONS

    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise _Unsupported(
            codes.UNSUPPORTED_SETTING,
            f"layer '{name}' (Dense) has activation {_short_json(activation)}, which netdsl does not know",
            "netdsl's activations: " + ", ".join(ACTIVATIONS),
        )
    text = f"dense({units}" + ("" if activation == "linear" else f", {activation}")
    if config.get("use_bias", True) is False:
        text += ", use_bias=false"
    return text + ")"


def _dropout(name: str, config: dict) -> str:
    rate = config.get("rate")
    if config.get("noise_shape") is not None:
        raise _Unsupported(codes.UNSUPPORTED_SETTING, f"layer '{name}' (Dropout) has a noise_shape")
    if not isinstance(rate, (int, float)) or not 0 <= rate < 1:
        raise _Unsupported(codes.UNSUPPORTED_SETTING, f"layer '{name}' (Dropout) has rate {rate!r}")
    return f"dropout({number(rate)})"


def _standardize(name: str, config: dict, width: int) -> str:
    axis = config.get("axis", -1)
    if axis not in (-1, [-1], 1, [1], (-1,)):
        raise _Unsupported(codes.UNSUPPORTED_SETTING, f"layer '{name}' (Normalization) has axis {axis}")
    if config.get("invert"):
        raise _Unsupported(codes.UNSUPPORTED_SETTING, f"layer '{name}' (Normalization) inverts (invert=True)")
    mean, variance = config.get("mean"), config.get("variance")
    if mean is None and variance is None:
        return "standardize"
    values = []
    for label, v in (("mean", mean), ("variance", variance)):
        v = [v] * width if isinstance(v, (int, float)) else v
        if not isinstance(v, list) or len(v) != width or not all(isinstance(x, (int, float)) for x in v):
            raise _Unsupported(
                codes.UNSUPPORTED_SETTING, f"layer '{name}' (Normalization) has a {label} netdsl cannot read"
            )
        values.append("[" + ", ".join(number(x) for x in v) + "]")
    return f"standardize(mean={values[0]}, variance={values[1]})"


def _getitem_indices(name: str, args, width: int) -> list[int]:
    key = args[1] if isinstance(args, list) and len(args) > 1 else None
    slices: list = key if isinstance(key, list) else [key]
    ok = (
        len(slices) == 2
        and all(isinstance(s, dict) and s.get("class_name") == "__slice__" for s in slices)
        and all(v is None for v in (slices[0].get("config") or {}).values())
    )
    c = (slices[1].get("config") or {}) if ok else {}
    if not ok or c.get("step") not in (None, 1):
        raise _Unsupported(
            codes.UNSUPPORTED_SETTING,
            f"layer '{name}' (GetItem) is not a selection of feature columns x[:, a:b]",
            "netdsl selects features as x[a:b] or x[i, j]",
        )
    picked = list(range(width))[slice(c.get("start"), c.get("stop"))]
    if not picked:
        raise _Unsupported(codes.UNSUPPORTED_SETTING, f"layer '{name}' (GetItem) selects nothing")
    return picked


def _take_indices(name: str, config: dict, args, width: int) -> list[int]:
    raw = args[1] if isinstance(args, list) and len(args) > 1 else None
    if isinstance(raw, dict) and raw.get("class_name") == "__numpy__":
        raw = (raw.get("config") or {}).get("value")
    axis = config.get("axis")
    if axis not in (1, -1) or not isinstance(raw, list) or not all(isinstance(i, int) for i in raw):
        raise _Unsupported(
            codes.UNSUPPORTED_SETTING,
            f"layer '{name}' (Take) is not a selection of feature columns (axis 1, a list of indices)",
        )
    if not raw or any(not -width <= i < width for i in raw):
        raise _Unsupported(codes.UNSUPPORTED_SETTING, f"layer '{name}' (Take) has indices out of range")
    picked = [i % width for i in raw]
    if len(set(picked)) != len(picked):
        raise _Unsupported(
            codes.UNSUPPORTED_SETTING, f"layer '{name}' (Take) selects a column twice, which netdsl refuses"
        )
    return picked


def _indices_text(indices: list[int]) -> str:
    """Positions as netdsl writes them: a range for a contiguous run, else a list."""
    if indices == list(range(indices[0], indices[0] + len(indices))) and len(indices) > 1:
        return f"{indices[0]}:{indices[-1] + 1}"
    return ", ".join(str(i) for i in indices)


def number(x) -> str:
    """A number as a spec writes it: the shortest text that gives the same float32
    (Keras keeps rates, statistics and learning rates in float32)."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    target = struct.unpack("f", struct.pack("f", x))[0] if abs(x) < 3.4e38 else x
    for digits in range(1, 18):
        text = f"{x:.{digits}g}"
        value = float(text)
        if value == x or struct.unpack("f", struct.pack("f", value))[0] == target:
            break
    if "e" not in text and "." not in text and "n" not in text:
        text += ".0"
    return text


def _short_json(value) -> str:
    import json

    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


# ---- writing the spec ----------------------------------------------------------


class _Writer:
    """Nodes -> spec text: which values get statements, chains, names, compile."""

    def __init__(self, reader: _Reader, width: int):
        self.r = reader
        self.width = width
        self.nodes = reader.nodes
        self.kept_names = 0
        self.notes: list[str] = []
        self.spelled = {_spelled(n) for n in self.nodes}
        self.consumers: dict[str, list[str]] = {n: [] for n in self.nodes}
        for n in self.nodes.values():
            for src in n.inputs:
                if src in self.consumers:
                    self.consumers[src].append(n.name)

    def write(self) -> str:
        outputs = [o for o in self.r.outputs if o in self.nodes]
        frontier = self._frontier()
        self.outputs = outputs + [f for f in frontier if f not in outputs]
        self.named = self._must_name()
        self.spec_names = self._spec_names()
        for _ in range(len(self.nodes) + 1):
            statements, generated = self._statements()
            # A name a chain gives back (spelled as a spec name: `h.x_1` as
            # `h_x_1`) needs no statement; names Keras made up are dropped.
            lost = {
                n
                for n, gen in generated.items()
                if gen != _spelled(n)
                and n not in self.named
                and not _AUTO_NAME.match(n)
                and self.nodes[n].shared is None  # named by its `layer` declaration
                and (self.nodes[n].op not in _OPERATIONS or self.nodes[n].carried)
            }
            if not lost:
                break
            # Name the layers whose names no chain makes first; else one at a
            # time, since naming one renumbers the others of its chain.
            plain = {n for n in lost if not self._generated_form(n)}
            self.named |= plain or {min(lost, key=lambda n: self.nodes[n].index)}
            self.spec_names = self._spec_names()
        self.kept_names = sum(1 for n, gen in generated.items() if gen == n)
        self.kept_names += sum(1 for n, spec in self.layer_names.items() if spec == n)
        return canonical("\n".join(self._lines(statements)) + "\n", self.width)

    def _frontier(self) -> list[str]:
        """With --allow-unsupported: the values the left-out layers would have read
        become outputs, so that the rest is a spec that checks."""
        failed = self.r.failed
        reads = {src for f, ins in self.r.failed_inputs.items() if f in failed for src in ins}
        return [n for n in self.nodes if n in reads]

    def _generated_form(self, name: str) -> bool:
        """`sepal_h_dense_1` where a layer `sepal_h` exists: a name a chain makes."""
        m = _GENERATED.match(_spelled(name))
        return m is not None and m.group(1) in self.spelled

    def _must_name(self) -> set[str]:
        named = set(self.outputs)
        for n in self.nodes.values():
            if n.op == "input" or len(self.consumers[n.name]) != 1:
                named.add(n.name)
            elif (
                n.shared is None
                and (n.op not in _OPERATIONS or n.carried)  # an operation's own name: no layer has it
                and not _AUTO_NAME.match(n.name)
                and not self._generated_form(n.name)
            ):
                named.add(n.name)
            if n.op == "select":
                named.add(n.inputs[0])
            if n.op == "attention":  # attention to other values: `value=m, key=k` name them
                named.update(n.inputs[1:])
        return named

    def _spec_names(self) -> dict[str, str]:
        """Keras name -> the spec's name for every named value: valid, unique, no keyword."""
        from ..ir.ops import OPS

        taken: set[str] = {record for record, _ in self.r.records.values()}
        out = {}
        for n in sorted(self.named, key=lambda n: self.nodes[n].index):
            if n in self.r.records:  # a column of a record: `adult[age]`
                out[n] = "{}[{}]".format(*self.r.records[n])
                continue
            base = _spelled(n)
            if not _SPEC_NAME.match(base):
                base = "n" + base
            if base in _RESERVED or base in OPS:
                base += "_"
            candidate, k = base, 1
            while candidate in taken:
                k += 1
                candidate = f"{base}_{k}"
            taken.add(candidate)
            out[n] = candidate
        self.layer_names: dict[str, str] = {}  # shared layer -> the name of its `layer` declaration
        for n in self.r.shared:
            base = candidate = _spelled(n) if _SPEC_NAME.match(_spelled(n)) else "n" + _spelled(n)
            base = candidate = base + "_" if base in _RESERVED or base in OPS else base
            k = 1
            while candidate in taken:
                k += 1
                candidate = f"{base}_{k}"
            taken.add(candidate)
            self.layer_names[n] = candidate
        return out

    # -- statements and the names netdsl will give their layers
    def _statements(self):
        """[(kind, spec name, text)] in dependency order, and the name netdsl
        will give each Keras layer (graph.py's rule: the statement's name for
        its last layer, `<name>_<op>_<k>` for the others, skipping taken names)."""
        order = _topological(self.nodes)
        taken = set(self.spec_names.values())
        generated: dict[str, str] = {}
        statements = []
        for name in order:
            if name not in self.named:
                continue
            node = self.nodes[name]
            spec = self.spec_names[name]
            if node.op == "input":
                field = self.r.records.get(name)
                if field is not None:
                    statements.append(("field", field[0], f"{field[1]}: {node.text}"))
                else:
                    statements.append(("input", spec, node.text))
                generated[name] = name if field is not None else spec
                continue
            counters: Counter = Counter()

            def fresh(op: str, spec=spec, counters=counters) -> str:
                while True:
                    counters[op] += 1
                    candidate = f"{spec}_{op}_{counters[op]}"
                    if candidate not in taken:
                        taken.add(candidate)
                        return candidate

            text = self._chain(name, fresh, generated, final=spec)
            statements.append(("assign", spec, text))
        return statements, generated

    def _chain(self, name: str, fresh, generated: dict, final: str | None) -> str:
        """The expression computing `name`, recording the names its layers get."""
        steps = [name]
        cur = self.nodes[name]
        while cur.op in _LAYER_OPS and cur.inputs and cur.inputs[0] not in self.named:
            cur = self.nodes[cur.inputs[0]]
            steps.insert(0, cur.name)
        head_node = self.nodes[steps[0]]
        if head_node.op in _LAYER_OPS:
            src = head_node.inputs[0]
            head = self.spec_names[src]
            if len(steps) == 1 and head_node.op == "identity" and final is not None:
                generated[name] = final
                return head  # `y = x`: netdsl makes the identity layer y
        else:
            head = self._head(head_node, fresh, generated, final if len(steps) == 1 else None)
            steps = steps[1:]
        texts = []
        for i, step in enumerate(steps):
            node = self.nodes[step]
            last = i == len(steps) - 1 and final is not None
            shared = self.layer_names[node.shared] if node.shared is not None else None
            generated[step] = final if last else fresh(shared or node.op)
            texts.append(shared or self._operands_text(node))
        return " -> ".join([head] + _repeats(texts))

    def _operands_text(self, node: _Node) -> str:
        """A layer's step; attention to other values with them: `attention(2, 4, value=m)`."""
        if node.op != "attention" or len(node.inputs) == 1:
            return node.text
        given = [f"{k}={self.spec_names[src]}" for k, src in zip(("value", "key"), node.inputs[1:])]
        return f"{node.text[:-1]}, {', '.join(given)})"

    def _head(self, node: _Node, fresh, generated: dict, final: str | None) -> str:
        if node.op == "select":
            src = node.inputs[0]
            text = f"{self.spec_names[src]}[{self._selection(node, self.nodes[src])}]"
        else:
            operands = []
            for src in node.inputs:
                if src in self.named:
                    operands.append(self.spec_names[src])
                else:
                    operands.append(self._chain(src, fresh, generated, None))
            if node.text.startswith(f"{node.op}("):  # a merge's own arguments: `dot(normalize=true)`
                operands.append(node.text[len(node.op) + 1 : -1])
            text = f"{node.op}({', '.join(operands)})"
        generated[node.name] = final if final is not None else fresh(node.op)
        return text

    def _selection(self, node: _Node, src: _Node) -> str:
        if src.op == "input" and src.text.startswith("["):
            features = src.text[1:-1].split(", ")
            return ", ".join(features[i] for i in _parse_indices(node.text))
        return node.text

    def _lines(self, statements) -> list[str]:
        r = self.r
        lines = ["# imported from a saved Keras model by netdsl import", f"network {_network(r)}", ""]
        outputs = [self.spec_names[o] for o in self.outputs]
        assigns = [s for kind, s, _ in statements if kind == "assign"]
        inline = [s for s in assigns if s in outputs] == outputs
        fields: dict[str, list[str]] = {}
        for kind, spec, text in statements:
            if kind == "field":
                fields.setdefault(spec, []).append(text)
        for kind, spec, text in statements:
            if kind == "input":
                lines.append(f"input {spec}: {text}")
            elif kind == "field" and spec in fields:  # a record, at its first column
                lines.append(f"input {spec}: {{{', '.join(fields.pop(spec))}}}")
        lines.append("")
        if self.r.shared:
            lines += [f"layer {self.layer_names[n]} = {text}" for n, text in self.r.shared.items()] + [""]
        for kind, spec, text in statements:
            if kind == "assign":
                lead = "output " if inline and spec in outputs else ""
                lines.append(f"{lead}{spec} = {text}")
        if not inline:
            lines.append("")
            lines.extend(f"output {o}" for o in outputs)
        if r.failed:
            lines += ["", "# netdsl import stopped here; left out (no netdsl op or setting):"]
            lines += [f"#   {n}" for n in sorted(r.failed)]
        compile_line = self._compile_line()
        if compile_line:
            lines += ["", compile_line]
        return lines

    def _compile_line(self) -> str | None:
        c = self.r.compile
        if not c or self.r.failed:
            return None
        return compile_line(c, {o: self.spec_names.get(o, o) for o in self.r.outputs}, self.r.diags)


def canonical(text: str, width: int) -> str:
    """The text in fmt's layout. The lines written above already follow it (one
    statement a line, fmt's spacing), except that a chain longer than `width`
    is split before each top-level `->`; when a split line is still too long
    (a long merge written inline), the formatter itself lays the text out.
    Either way `netdsl fmt` leaves the result unchanged (tests/test_lockin.py)."""
    out = []
    for line in text.split("\n"):
        if len(line) <= width or line.startswith("#") or " -> " not in line:
            out.append(line)
            continue
        parts = _top_level_split(line)
        out.append(parts[0])
        out.extend("    -> " + p for p in parts[1:])
    if any(len(line) > width and " -> " in line for line in out):
        from ..lang.fmt import format_source

        return format_source(text, width)
    return "\n".join(out)


def _top_level_split(line: str) -> list[str]:
    """`a = x -> f(y -> z) -> g` split at the arrows outside brackets."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(line):
        ch = line[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and line.startswith(" -> ", i):
            parts.append(line[start:i])
            start = i + 4
            i += 4
            continue
        i += 1
    return parts + [line[start:]]


def _spelled(name: str) -> str:
    """A Keras name as a spec name: `h.residual_1.out` (a block's layer) as `h_residual_1_out`."""
    return name if _SPEC_NAME.match(name) else re.sub(r"\W", "_", name)


def _repeats(texts: list[str]) -> list[str]:
    """Three or more equal steps as `dense(16, relu) * 3`: netdsl names the layers
    of a repetition exactly as it names the same steps written out."""
    out: list[str] = []
    i = 0
    while i < len(texts):
        j = i
        while j < len(texts) and texts[j] == texts[i]:
            j += 1
        out.extend([texts[i]] * (j - i) if j - i < 3 else [f"{texts[i]} * {j - i}"])
        i = j
    return out


def _parse_indices(text: str) -> list[int]:
    if ":" in text:
        a, b = text.split(":")
        return list(range(int(a), int(b)))
    return [int(i) for i in text.split(", ")]


def _network(r: _Reader) -> str:
    name = r.model_name if _SPEC_NAME.match(r.model_name) else re.sub(r"\W", "_", r.model_name)
    return name if _SPEC_NAME.match(name) and name not in _RESERVED else "n_" + name


def _topological(nodes: dict[str, _Node]) -> list[str]:
    """Dependency order, ties broken by the config's order (Kahn with a heap)."""
    import heapq

    indegree = {n: sum(1 for s in node.inputs if s in nodes) for n, node in nodes.items()}
    consumers: dict[str, list[str]] = {n: [] for n in nodes}
    for n, node in nodes.items():
        for s in node.inputs:
            if s in nodes:
                consumers[s].append(n)
    ready = [(node.index, n) for n, node in nodes.items() if indegree[n] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, n = heapq.heappop(ready)
        order.append(n)
        for c in consumers[n]:
            indegree[c] -= 1
            if indegree[c] == 0:
                heapq.heappush(ready, (nodes[c].index, c))
    return order


# ---- the compile settings ------------------------------------------------------


def compile_line(c: dict, outputs: dict[str, str], diags: list) -> str | None:
    """config.json's compile_config -> `compile loss=... optimizer=... metrics=[...]`."""
    for key in ("weighted_metrics",):
        if c.get(key) is not None:
            diags.append(
                warning(
                    codes.UNSUPPORTED_COMPILE,
                    f"the model is compiled with {key}, which netdsl's compile line cannot express; "
                    "it is left out",
                )
            )
    order = list(outputs)
    parts = []
    settings = (
        ("loss", lambda: _per_output(c.get("loss"), order, outputs, _loss_name)),
        ("optimizer", lambda: _optimizer(c.get("optimizer"))),
        ("metrics", lambda: _metrics(c.get("metrics"), order, outputs)),
        ("loss_weights", lambda: _loss_weights(c.get("loss_weights"), order, outputs)),
    )
    for key, convert in settings:
        try:
            value = convert()
        except _Unsupported as exc:
            # The network itself is unaffected: leave the setting out, say so.
            diags.append(
                warning(exc.code, exc.message + f"; the compile line leaves {key} out", help=exc.help)
            )
            continue
        if value is not None:
            parts.append(f"{key}={value}")
    return "compile " + " ".join(parts) if parts else None


def _loss_weights(value, order: list[str], outputs: dict[str, str]) -> str | None:
    """compile_config's loss_weights (a dict by output, or a list in output order) -> `{y: 1.0, z: 0.5}`."""
    if value is None:
        return None
    if isinstance(value, list) and len(value) == len(order):
        value = dict(zip(order, value))
    if isinstance(value, (int, float)) and not isinstance(value, bool) and len(order) == 1:
        value = {order[0]: value}
    ok = isinstance(value, dict) and all(
        k in outputs and isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0
        for k, v in value.items()
    )
    if not ok:
        raise _Unsupported(
            codes.UNSUPPORTED_COMPILE, f"loss_weights {_short_json(value)} are not a weight per output"
        )
    return "{" + ", ".join(f"{outputs[k]}: {number(float(v))}" for k, v in value.items()) + "}"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _setting_name(value, table, kind: str) -> str:
    if isinstance(value, dict):
        return _setting_call(value, table, kind)
    if isinstance(value, str) and value in table:
        return value
    raise _Unsupported(
        codes.UNSUPPORTED_COMPILE,
        f"the {kind} {_short_json(value)} is not one netdsl knows",
        f"netdsl's {kind}es: " + ", ".join(table) if kind == "loss" else None,
    )


# How Keras computes a loss, not what: left out at these values, refused at others.
_HOW = {"reduction": ("sum_over_batch_size", None), "dtype": (None, "float32")}


def _setting_call(value: dict, table, kind: str) -> str:
    """A serialized loss or metric object: its snake name when every argument is
    Keras's default, else its class with the others (`AUC(curve=PR)`)."""
    from ..ir.setting_args import LOSS_CLASSES, LOSS_SPELLINGS, METRIC_CLASSES, METRIC_SPELLINGS

    spellings, classes = (
        (LOSS_SPELLINGS, LOSS_CLASSES) if kind == "loss" else (METRIC_SPELLINGS, METRIC_CLASSES)
    )
    cls = value.get("class_name", "?")
    cfg = value.get("config") or {}
    snake = spellings.get(cls) if isinstance(cls, str) else None
    snake = snake or (_snake(cls) if isinstance(cls, str) else None)
    if snake is None or snake not in table or not isinstance(cfg, dict):
        raise _Unsupported(codes.UNSUPPORTED_COMPILE, f"the {kind} {cls} is not one netdsl knows")
    known = {a.name: a for a in classes[snake].args}
    order = list(known)
    args = []
    for key, v in sorted(cfg.items(), key=lambda kv: order.index(kv[0]) if kv[0] in known else -1):
        if key in _HOW and v in _HOW[key]:
            continue
        if key == "name" and (v is None or v in (snake, _snake(str(cls)))):
            continue
        arg = known.get(key)
        if arg is not None and key != "name" and v == arg.default:
            continue
        text = _setting_argument(arg, v) if arg is not None else None
        if text is None:
            if arg is None and v is None:
                continue
            raise _Unsupported(
                codes.UNSUPPORTED_COMPILE,
                f"the {kind} {cls}({key}={_short_json(v)}) cannot be written on a compile line",
            )
        args.append(f"{key}={text}")
    return f"{cls}({', '.join(args)})" if args else snake


def _setting_argument(arg, v) -> str | None:
    """A loss or metric argument as the compile line writes it; None when it cannot."""
    if arg.kind == "bool" and isinstance(v, bool):
        return "true" if v else "false"
    if arg.kind == "float" and isinstance(v, (int, float)) and not isinstance(v, bool):
        return number(float(v))
    if arg.kind == "int" and isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    if isinstance(v, str) and (arg.kind == "text" or (isinstance(arg.kind, tuple) and v in arg.kind)):
        return v if _SPEC_NAME.match(v) and v not in _RESERVED else '"' + v + '"'
    return None


def _loss_name(value) -> str:
    from ..ir.settings import LOSSES

    return _setting_name(value, LOSSES, "loss")


def _per_output(value, order, outputs, convert) -> str | None:
    if value is None:
        return None
    if isinstance(value, list) and len(order) > 1 and len(value) == len(order):
        value = dict(zip(order, value))
    if isinstance(value, dict) and "class_name" not in value:
        items = [f"{outputs.get(k, k)}: {convert(v)}" for k, v in value.items() if v is not None]
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return convert(value)


def _metrics(value, order, outputs) -> str | None:
    from ..ir.settings import METRIC_ALIASES, METRICS

    def one(v) -> str:
        if isinstance(v, str) and v in METRIC_ALIASES:
            v = METRIC_ALIASES[v]
        return _setting_name(v, METRICS, "metric")

    def listing(vs) -> str:
        vs = vs if isinstance(vs, list) else [vs]
        return "[" + ", ".join(one(v) for v in vs if v is not None) + "]"

    if value is None or value == []:
        return None
    if isinstance(value, dict) and "class_name" not in value:
        return "{" + ", ".join(f"{outputs.get(k, k)}: {listing(v)}" for k, v in value.items()) + "}"
    if (
        isinstance(value, list)
        and value
        and all(isinstance(v, list) for v in value)
        and len(value) == len(order)
    ):
        return "{" + ", ".join(f"{outputs.get(k, k)}: {listing(v)}" for k, v in zip(order, value) if v) + "}"
    return listing(value)


def _optimizer(value) -> str | None:
    from ..ir.settings import OPTIMIZERS

    if value is None:
        return None
    if isinstance(value, str):
        if value in OPTIMIZERS:
            return value
        raise _Unsupported(codes.UNSUPPORTED_COMPILE, f"the optimizer '{value}' is not one netdsl knows")
    cls = value.get("class_name") if isinstance(value, dict) else None
    name = next((k for k, (c, _) in OPTIMIZERS.items() if c == cls), None)
    if name is None:
        raise _Unsupported(codes.UNSUPPORTED_COMPILE, f"the optimizer {cls} is not one netdsl knows")
    cfg = value.get("config") or {}
    known = OPTIMIZERS[name][1]
    defaults = {**_COMMON_DEFAULTS, **OPTIMIZER_DEFAULTS[name]}
    args = []
    for key, v in cfg.items():
        if key in ("name",) or _same(v, defaults.get(key, v)):
            continue
        schedule = _schedule(v) if key == "learning_rate" else None
        if schedule is not None:
            args.append(f"{key}={schedule}")
            continue
        if key not in known or isinstance(v, (dict, list)) or v is None:
            raise _Unsupported(
                codes.UNSUPPORTED_COMPILE,
                f"the optimizer's {key}={_short_json(v)} cannot be written on a compile line",
            )
        args.append(f"{key}={number(v)}")
    return f"{name}({', '.join(args)})" if args else name


def _schedule(value) -> str | None:
    """A saved learning-rate schedule as a spec writes it (`exponential_decay(...)`,
    arguments at Keras's defaults left out); None when netdsl has no such schedule."""
    from ..ir.fit_settings import SCHEDULES

    if not isinstance(value, dict) or value.get("module") != "keras.optimizers.schedules":
        return None
    snake = SCHEDULES.spellings().get(value.get("class_name", ""))
    cfg = value.get("config") or {}
    if snake is None or not isinstance(cfg, dict):
        return None
    args = []
    for arg in SCHEDULES.classes[snake].args:
        v = cfg.get(arg.name)
        if v is None or (arg.name not in SCHEDULES.required[snake] and _same(v, arg.default)):
            continue
        if isinstance(v, list):
            args.append(f"{arg.name}=[" + ", ".join(number(x) for x in v) + "]")
        else:
            args.append(f"{arg.name}={'true' if v is True else 'false' if v is False else number(v)}")
    return f"{snake}({', '.join(args)})"


def _same(a, b) -> bool:
    """Equal as a config holds it: a float as netdsl would write it, `[-1]` as the axis -1."""
    if isinstance(a, list) and len(a) == 1 and not isinstance(b, list):
        a = a[0]
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return number(a) == number(float(b))
    return a == b
