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

import networkx as nx

from ..ir.core import network, node
from ..ir.fit_settings import KerasCall
from ..ir.options import KerasObject
from .keras_layers import (
    OPS_MODULE,
    IntRange,
    LayerSpec,
    SettingSpec,
    carried_by_identity,
    compile_spec,
    keras_object_parts,
    layer_spec,
    operation_names,
    step_names,
)


def describe(g: nx.DiGraph, name: str) -> LayerSpec:
    """The Keras description of a checked node: the one the builder instantiates."""
    spec = layer_spec(node(g, name))
    if spec is None:
        raise ValueError(f"'{name}' has no Keras description")  # the graph was checked
    return spec


@dataclass
class _Source:
    lines: list[str] = field(default_factory=list)
    needs_numpy: bool = False
    needs_named_op: bool = False
    needs_adapted: bool = False


def to_python(g: nx.DiGraph, adapted: dict[str, tuple] | None = None, origin: str = "") -> str:
    """The Python source of the model; `adapted` maps standardize layers without
    statistics to their (mean, variance, count), from the data they adapted on."""
    from .keras_layers import keras_names, model_name, needed_nodes

    names = keras_names(g)
    internal = operation_names(g)
    needed = needed_nodes(g)
    order = {name: node(g, name).order for name in needed}
    net = network(g)
    var = _variables(g, sorted(needed, key=order.__getitem__) + list(net.shared))
    src = _Source()
    made: set[str] = set()  # shared layers whose object is made (at their first application)
    for name in nx.lexicographical_topological_sort(g.subgraph(needed), key=order.__getitem__):
        spec = describe(g, name)
        n = node(g, name)
        operands = [var[s] for s in n.inputs]
        if n.shares is not None:
            first = n.shares not in made
            src.lines += _shared_lines(spec, var[name], var[n.shares], names[n.shares], operands, first)
            made.add(n.shares)
            continue
        own = internal.get(name, names[name])
        if len(spec.steps) > 1:
            src.lines += _step_lines(spec, var[name], step_names(spec, own, names[name]), operands, src)
        else:
            src.lines += _layer_lines(spec, var[name], own, operands, (adapted or {}).get(name), src)
        if carried_by_identity(n):  # named by a layer, as the builder names it: get_layer finds it
            src.lines += _call(
                f"{var[name]} = layers.Identity", [f"name={_q(names[name])}"], f"({var[name]})"
            )
    ins = [var[i] for i in net.inputs if i in needed]
    outs = [var[o] for o in net.outputs]
    src.lines += [
        "",
        "model = keras.Model(",
        f"    inputs={_listing(ins)},",
        f"    outputs={_listing(outs)},",
        f"    name={_q(model_name(g))},",
        ")",
    ]
    src.lines += _compile_lines(g, names)
    src.lines += _fit_lines(g)
    return _header(g, origin, src) + "\n".join(src.lines) + "\n"


def _header(g: nx.DiGraph, origin: str, src: _Source) -> str:
    doc = f"{network(g).name}: a Keras 3 model, written by `netdsl emit --python`"
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
        base = n.replace(".", "_")
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
_DEFAULTS = {
    ("Dense", "use_bias"): True,
    ("Dense", "activation"): "linear",
    ("Normalization", "axis"): -1,
    ("MultiHeadAttention", "use_bias"): True,
    ("MultiHeadAttention", "dropout"): 0.0,
}
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
        call = (
            f"[{', '.join(operands)}]"
            if spec.merge
            else ", ".join([operands[0]] + [_py(a) for a in spec.call_args])
        )
        src.needs_numpy = src.needs_numpy or any(isinstance(a, IntRange) for a in spec.call_args)
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
    return _call(f"{var} = layers.{spec.class_name}", args, _tail(spec, operands))


def _step_lines(spec: LayerSpec, var: str, names: list[str], operands: list[str], src: _Source) -> list[str]:
    """An op that is several operations (weighted_sum), one statement each, as the builder calls them."""
    src.needs_named_op = True
    lines, first = [], operands[0]
    steps = spec.steps
    for k, (step, name) in enumerate(zip(steps, names, strict=True)):
        ins = [first, *operands[1:]] if k == len(spec.before) else [first]
        ins += [_py(a) for a in step.call_args]  # positions: GetItem's key, Add's constant range
        src.needs_numpy = src.needs_numpy or any(isinstance(a, IntRange) for a in step.call_args)
        args = [_q(step.class_name)] + _arguments(step, name)
        lines += _call(f"{var} = named_op", args, f"({', '.join(ins)})")
        first = var
    return lines


def _tail(spec: LayerSpec, operands: list[str]) -> str:
    """A layer's call: on the list of a merge's operands, (x, x) for self-attention,
    (query, value[, key]) for attention to other values, else (x)."""
    if spec.merge:
        return f"([{', '.join(operands)}])"
    if spec.self_call:
        return f"({', '.join(operands if len(operands) > 1 else operands * 2)})"
    return f"({operands[0]})"


def _shared_lines(
    spec: LayerSpec, var: str, layer_var: str, name: str, operands: list[str], first: bool
) -> list[str]:
    """One application of a shared layer: the layer object once, then a call per application."""
    lines = []
    if first:
        lines += ["# one layer, called wherever the spec applies it (shared weights)"]
        lines += _call(f"{layer_var} = layers.{spec.class_name}", _arguments(spec, name), "")
    return lines + [f"{var} = {layer_var}{_tail(spec, operands)}"]


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
    if isinstance(v, IntRange):  # positions: the constant [0, ..., n - 1]
        return f'np.arange({v.n}, dtype="int32")'
    if isinstance(v, KerasCall):  # a learning-rate schedule, a callback
        return _py_call(v)
    if isinstance(v, KerasObject):  # an initializer, regularizer or constraint
        module, class_name, config = keras_object_parts(v)
        return f"keras.{module}.{class_name}(" + ", ".join(f"{k}={_py(x)}" for k, x in config.items()) + ")"
    return repr(v)


def _listing(vs: list[str]) -> str:
    return vs[0] if len(vs) == 1 else "[" + ", ".join(vs) + "]"


def _compile_lines(g: nx.DiGraph, names: dict[str, str]) -> list[str]:
    settings = network(g).compile
    if settings is None:
        return []
    spec = compile_spec(g, settings)  # what the builder passes to model.compile
    before, lines = [], ["model.compile("]
    if "loss" in spec.given:
        lines += _setting_lines("loss", spec.loss)
    if spec.optimizer is not None:
        class_name, config = spec.optimizer
        args = []
        for k, v in config.items():
            if isinstance(v, KerasCall):  # a schedule: a variable of its own, laid out as ruff would
                before += _call(f"{k} = keras.{v.module}.{v.class_name}", _call_args(v), "")
                args.append(f"{k}={k}")
            else:
                args.append(f"{k}={_py(v)}")
        lines.append(f"    optimizer=keras.optimizers.{class_name}({', '.join(args)}),")
    if "metrics" in spec.given:
        lines += _setting_lines("metrics", spec.metrics)
    if spec.loss_weights is not None:
        lines += _setting_lines("loss_weights", spec.loss_weights)
    return before + lines + [")"]


def _setting_lines(key: str, value) -> list[str]:
    """`    metrics=[...],` on one line when it fits, else a list or dict one item a
    line, as ruff format lays it out (items that still do not fit stay whole)."""
    flat = f"    {key}={_py_setting(value)},"
    if len(flat) <= WIDTH or not isinstance(value, (list, dict)):
        return [flat]
    if isinstance(value, list):
        return [f"    {key}=["] + [f"        {_py_setting(v)}," for v in value] + ["    ],"]
    items = [f"        {_q(k)}: {_py_setting(v)}," for k, v in value.items()]
    return [f"    {key}={{"] + items + ["    },"]


def _py_setting(v) -> str:
    if isinstance(v, SettingSpec):
        args = ", ".join(f"{k}={_py(x)}" for k, x in v.config.items())
        return f"keras.{v.module}.{v.class_name}({args})"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_q(k)}: {_py_setting(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_py_setting(x) for x in v) + "]"
    return _py(v)


def _fit_lines(g: nx.DiGraph) -> list[str]:
    """The train line's arguments of `model.fit`, as variables to pass to it."""
    fit = network(g).train
    lines = []
    if fit.callbacks:
        lines += ["", "# the train line's: model.fit(..., callbacks=callbacks)"]
        made: list[str] = []
        for c in fit.callbacks:
            var = c.name if c.name not in made else f"{c.name}_{len(made) + 1}"
            lines += _call(f"{var} = keras.{c.module}.{c.class_name}", _call_args(c), "")
            made.append(var)
        lines.append("callbacks = [" + ", ".join(made) + "]")
    if fit.sample_weight is not None:
        lines += [
            "",
            "# the train line's: model.fit(..., sample_weight=sample_weight), each row's weight",
            f"sample_weight_column = {_q(fit.sample_weight)}",
        ]
    if fit.class_weight is None:
        return lines
    lines += ["", "# the train line's: model.fit(..., class_weight=class_weight)"]
    if isinstance(fit.class_weight, dict):
        lines += [
            "# by class label; model.fit takes {class index: weight}, the classes in",
            "# sorted order (numerically if all are numbers), 1.0 for a class not named",
        ]
        flat = f"class_weight = {_py_setting(fit.class_weight)}"
        items = [f"    {_q(k)}: {_py(v)}," for k, v in fit.class_weight.items()]
        lines += [flat] if len(flat) <= WIDTH else ["class_weight = {", *items, "}"]
    else:
        lines += [
            "# balanced: n_samples / (n_classes * count) per class, counted on the rows",
            "# given to model.fit (sklearn's compute_class_weight('balanced', ...))",
            'class_weight = "balanced"',
        ]
    return lines


def _call_args(v: KerasCall) -> list[str]:
    return [f"{k}={_py(x)}" for k, x in v.config.items()]


def _py_call(v: KerasCall) -> str:
    """A checked call of a Keras class (ir/fit_settings.KerasCall) as Python."""
    return f"keras.{v.module}.{v.class_name}(" + ", ".join(_call_args(v)) + ")"
