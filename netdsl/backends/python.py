"""Checked graph -> readable Keras 3 Python source (`netdsl emit --python`).

The file imports Keras only: one named `keras.Input` per input, one line per
layer with the spec's names, `keras.Model`, `model.compile`. Run it and
`model` is the same model `netdsl compile` builds (tests/test_lockin.py checks
the signature and the predictions in a fresh process).

Each line is printed from the layer's Keras description as data (class name,
constructor arguments, call arguments: `describe` below), the same shape of
description the builder instantiates, so that the two cannot drift. Statistics
that standardize layers adapted on `--data` are written as constants.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from ..ir.ops import OPS, is_slice
from ..ir.settings import OPTIMIZERS

OPS_MODULE = "keras.src.ops.numpy"  # GetItem / Take: operations without a public class


@dataclass(frozen=True)
class LayerSpec:
    """One Keras layer or operation, as data (class, constructor arguments, call arguments)."""

    class_name: str
    config: dict[str, Any]
    call_args: tuple = ()
    module: str = "keras.layers"
    merge: bool = False
    adapt: bool = False


def describe(g: nx.DiGraph, name: str) -> LayerSpec:
    """The Keras description of a checked node."""
    data = g.nodes[name]
    op, a = data["op"], data.get("args") or {}
    if op == "input":
        return LayerSpec("InputLayer", {"shape": tuple(data["shape"])})
    if op == "dense":
        return LayerSpec(
            "Dense", {"units": a["units"], "activation": a["activation"], "use_bias": a["use_bias"]}
        )
    if op == "dropout":
        return LayerSpec("Dropout", {"rate": a["rate"]})
    if op == "standardize":
        if a.get("mean") is not None:
            return LayerSpec(
                "Normalization", {"axis": -1, "mean": list(a["mean"]), "variance": list(a["variance"])}
            )
        return LayerSpec("Normalization", {"axis": -1}, adapt=True)
    if op == "identity":
        return LayerSpec("Identity", {})
    if op in ("concat", "add"):
        return LayerSpec(OPS[op].keras_class, {}, merge=True)
    if op == "select":
        idx = list(a["indices"])
        if is_slice(idx):
            return LayerSpec("GetItem", {}, ((slice(None), slice(idx[0], idx[-1] + 1)),), module=OPS_MODULE)
        return LayerSpec("Take", {"axis": 1}, (idx,), module=OPS_MODULE)
    raise ValueError(f"no Keras description for op {op!r}")  # the registry is ours


@dataclass
class _Source:
    lines: list[str] = field(default_factory=list)
    needs_numpy: bool = False
    needs_named_op: bool = False
    needs_adapted: bool = False


def to_python(g: nx.DiGraph, adapted: dict[str, tuple] | None = None, origin: str = "") -> str:
    """The Python source of the model; `adapted` maps standardize layers without
    statistics to their (mean, variance, count), from the data they adapted on."""
    from .keras import keras_names, model_name, needed_nodes

    names = keras_names(g)
    needed = needed_nodes(g)
    order = nx.get_node_attributes(g, "order")
    var = _variables(g, sorted(needed, key=order.__getitem__))
    src = _Source()
    for node in nx.lexicographical_topological_sort(g.subgraph(needed), key=order.__getitem__):
        spec = describe(g, node)
        operands = [var[s] for s in g.nodes[node]["inputs"]]
        src.lines += _layer_lines(spec, var[node], names[node], operands, (adapted or {}).get(node), src)
    ins = [var[i] for i in g.graph["inputs"] if i in needed]
    outs = [var[o] for o in g.graph["outputs"]]
    src.lines += [
        "",
        "model = keras.Model(",
        f"    inputs={_listing(ins)},",
        f"    outputs={_listing(outs)},",
        f"    name={_q(model_name(g))},",
        ")",
    ]
    src.lines += _compile_lines(g, names)
    return _header(g, origin, src) + "\n".join(src.lines) + "\n"


def _header(g: nx.DiGraph, origin: str, src: _Source) -> str:
    doc = f"{g.graph['name']}: a Keras 3 model, written by `netdsl emit --python`"
    doc += f" from {origin}." if origin else "."
    lines = [f'"""{doc}"""', ""]
    lines += ["import keras"] + (["import numpy as np"] if src.needs_numpy else [])
    lines += ["from keras import layers", ""]
    if src.needs_named_op:
        lines += [
            "",
            "def named_op(class_name, name, **config):",
            '    """A named GetItem / Take operation (feature columns); they have no public',
            '    class, so keras.saving builds them, the way a .keras file is loaded."""',
            "    return keras.saving.deserialize_keras_object(",
            "        {",
            f'            "module": "{OPS_MODULE}",',
            '            "class_name": class_name,',
            '            "config": {"name": name, **config},',
            '            "registered_name": class_name,',
            "        }",
            "    )",
            "",
        ]
    if src.needs_adapted:
        lines += [
            "",
            "def adapted(layer, width, mean, variance, count):",
            '    """A Normalization layer in the state `adapt` left it: the statistics as weights."""',
            "    layer.build((None, width))",
            "    layer.set_weights([np.array(mean), np.array(variance), np.array(count)])",
            "    layer.finalize_state()",
            "    return layer",
            "",
        ]
    if src.needs_named_op or src.needs_adapted:
        lines.append("")
    return "\n".join(lines) + "\n"


def _variables(g: nx.DiGraph, nodes: list[str]) -> dict[str, str]:
    """Python variable names for the spec's names (valid, no keyword, unique)."""
    out: dict[str, str] = {}
    taken = {"keras", "np", "model", "named_op", "adapted"}
    for n in nodes:
        base = n.replace("/", "_")
        if not base.isidentifier():
            base = re.sub(r"\W", "_", base)
            base = base if base.isidentifier() else "v_" + base
        if keyword.iskeyword(base):
            base += "_"
        candidate, k = base, 1
        while candidate in taken:
            k += 1
            candidate = f"{base}_{k}"
        taken.add(candidate)
        out[n] = candidate
    return out


# Constructor arguments left out where they equal Keras's default, and those
# written positionally: the lines read like hand-written Keras.
_DEFAULTS = {("Dense", "use_bias"): True, ("Dense", "activation"): "linear", ("Normalization", "axis"): -1}
_POSITIONAL = {"Dense": "units", "Dropout": "rate"}
WIDTH = 88  # ruff's and black's default line length


def _arguments(spec: LayerSpec, name: str) -> list[str]:
    out = []
    for k, v in spec.config.items():
        if _DEFAULTS.get((spec.class_name, k), object()) == v:
            continue
        out.append(_py(v) if _POSITIONAL.get(spec.class_name) == k else f"{k}={_py(v)}")
    return out + [f"name={_q(name)}"]


def _call(head: str, args: list[str], tail: str) -> list[str]:
    """`head(args)tail` laid out as ruff format (and black) lay it out: the last
    bracket is split first, then the first, then one argument per line."""
    inner = ", ".join(args)
    flat = f"{head}({inner}){tail}"
    if len(flat) <= WIDTH:
        return [flat]
    if tail.startswith("(") and tail.endswith(")"):
        first = f"{head}({inner})("
        if len(first) <= WIDTH and len(tail) - 2 + 4 <= WIDTH:
            return [first, f"    {tail[1:-1]}", ")"]
    if len(inner) + 4 <= WIDTH and len(f"){tail}") <= WIDTH:
        return [f"{head}(", f"    {inner}", f"){tail}"]
    return [f"{head}("] + [f"    {a}," for a in args] + [f"){tail}"]


def _layer_lines(spec: LayerSpec, var: str, name: str, operands: list[str], stats, src: _Source) -> list[str]:
    if spec.class_name == "InputLayer":
        return _call(f"{var} = keras.Input", [f"shape={_py(spec.config['shape'])}", f"name={_q(name)}"], "")
    args = _arguments(spec, name)
    if spec.module == OPS_MODULE:
        src.needs_named_op = True
        call = ", ".join([operands[0]] + [_py(a) for a in spec.call_args])
        return _call(f"{var} = named_op", [_q(spec.class_name)] + args, f"({call})")
    if spec.adapt:
        mean, variance, count = stats
        src.needs_numpy = src.needs_adapted = True
        layer = f"layers.{spec.class_name}({', '.join(args)})"
        stats_args = [layer, str(len(mean)), f"mean={_py(list(mean))}", f"variance={_py(list(variance))}"]
        stats_args.append(f"count={_py(count)}")
        return ["# statistics adapted from the data"] + _call(
            f"{var} = adapted", stats_args, f"({operands[0]})"
        )
    tail = f"([{', '.join(operands)}])" if spec.merge else f"({operands[0]})"
    return _call(f"{var} = layers.{spec.class_name}", args, tail)


def _q(text: str) -> str:
    """A double-quoted Python string, as ruff format writes it."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _py(v) -> str:
    """A Python literal; floats as the shortest text that gives the same float32."""
    if isinstance(v, slice):
        parts = ["" if v.start is None else str(v.start), "" if v.stop is None else str(v.stop)]
        return "slice(None)" if v == slice(None) else f"slice({parts[0] or 'None'}, {parts[1] or 'None'})"
    if isinstance(v, bool) or v is None:
        return repr(v)
    if isinstance(v, float):
        from .keras_import import number

        return number(v)
    if isinstance(v, (list, tuple)):
        inner = ", ".join(_py(x) for x in v)
        return f"[{inner}]" if isinstance(v, list) else f"({inner}{',' if len(v) == 1 else ''})"
    if hasattr(v, "item"):  # a NumPy scalar
        return _py(v.item())
    if isinstance(v, str):
        return _q(v)
    return repr(v)


def _listing(vs: list[str]) -> str:
    return vs[0] if len(vs) == 1 else "[" + ", ".join(vs) + "]"


def _compile_lines(g: nx.DiGraph, names: dict[str, str]) -> list[str]:
    training = g.graph.get("training")
    if not training:
        return []
    outputs = [names[o] for o in g.graph["outputs"]]
    parts = []
    loss = training.get("loss")
    if isinstance(loss, dict):
        loss = {names[o]: v for o, v in loss.items()}
    if isinstance(loss, str) and len(outputs) > 1:
        loss = {o: loss for o in outputs}
    if loss is not None:
        parts.append(f"loss={_py_setting(loss)}")
    opt = training.get("optimizer")
    if opt is not None:
        args = ", ".join(f"{k}={_py(v)}" for k, v in opt["args"].items())
        parts.append(f"optimizer=keras.optimizers.{OPTIMIZERS[opt['name']][0]}({args})")
    metrics = training.get("metrics")
    if isinstance(metrics, dict):
        metrics = {names[o]: v for o, v in metrics.items()}
    if metrics is not None:
        multi = isinstance(metrics, list) and len(outputs) > 1
        parts.append(f"metrics={_py_setting({o: list(metrics) for o in outputs} if multi else metrics)}")
    return ["model.compile("] + [f"    {p}," for p in parts] + [")"]


def _py_setting(v) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_q(k)}: {_py_setting(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_py_setting(x) for x in v) + "]"
    return _py(v)
