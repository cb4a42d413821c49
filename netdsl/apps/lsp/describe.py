"""Words for the editor: signatures, hover texts and symbol details.

Everything here is plain text or Markdown built from the op registry, the
settings tables and what model.py reads of an analysed spec.
"""

from __future__ import annotations

from ...ir.ops import ACTIVATIONS, OPS, Op, Param, is_layer_option
from ...ir.settings import LOSSES, METRICS, OPTIMIZERS
from ...lang import ast
from . import model


def _default(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "none" if value is None else str(value)


def param_text(p: Param) -> str:
    if p.variadic:
        return f"{p.name}..."
    return p.name if p.required else f"{p.name}={_default(p.default)}"


def signature(op: Op) -> str:
    if op.kind == "merge":
        return f"{op.name}(a, b, ...)"
    if op.kind == "select":
        return "x[name, ...]  x[i]  x[a:b]"
    own = [p for p in op.params if not is_layer_option(p.name)]  # options: completions, not the signature
    return f"{op.name}({', '.join(param_text(p) for p in own)})"


def block_signature(decl: ast.BlockDecl) -> str:
    params = ", ".join(p.name.text if p.default is None else f"{p.name.text}=..." for p in decl.params)
    return f"block {decl.name.text}({params}) ({', '.join(i.text for i in decl.inputs)})"


def count(n: int | None) -> str:
    if n is None:
        return "? parameters"
    return f"{n:,} parameter" + ("" if n == 1 else "s")


def node_lines(info: model.NodeInfo) -> list[str]:
    """A layer in a few lines: op, shape, parameters, details, Keras class."""
    head = f"`{info.op or '?'}` → shape `{info.shape_text}` · {count(info.param_count)}"
    if info.params is not None and info.params[1]:
        head += f" ({info.params[0]:,} trainable)"
    lines = [head]
    if info.details:
        lines.append(info.details)
    if info.features:
        lines.append("features: " + ", ".join(info.features))
    if info.inputs and (info.spec is None or info.spec.kind != "merge"):
        lines.append("from: " + ", ".join(f"`{i}`" for i in info.inputs))
    if info.keras_class:
        lines.append(f"Keras `{info.keras_class}`, layer name `{info.name}`")
    return lines


def op_markdown(op: Op) -> str:
    return f"```netdsl\n{signature(op)}\n```\n{op.doc}" + (
        f"\n\nKeras `{model.op_keras_class(op)}`" if model.op_keras_class(op) else ""
    )


def setting_markdown(key: str, name: str) -> str | None:
    if key in ("loss",) and name in LOSSES:
        return f"loss `{name}` (keras.losses)"
    if key == "metrics" and name in METRICS:
        return f"metric `{name}` (keras.metrics)"
    if key == "optimizer" and name in OPTIMIZERS:
        cls, args = OPTIMIZERS[name]
        return f"optimizer `{name}`: Keras `{cls}`\n\narguments: " + ", ".join(args)
    if key == "":
        return {
            "loss": "compile setting: the loss, one for every output or `{output: loss}`",
            "optimizer": "compile setting: the optimizer, a name or a call, e.g. `adam(learning_rate=0.01)`",
            "metrics": "compile setting: a list of metrics, or `{output: [metrics]}`",
        }.get(name)
    return None


def argument_markdown(callee: str, name: str) -> str | None:
    op = OPS.get(callee)
    p = op.param(name) if op is not None else None
    if p is not None:
        required = "required" if p.required else f"default {_default(p.default)}"
        kind = "an activation: " + ", ".join(ACTIVATIONS[:8]) + ", ..." if p.type == "activation" else p.type
        extra = f"; {p.range_text}" if p.range_text else ""
        return f"argument `{name}` of `{callee}`: {kind}, {required}{extra}"
    if callee in OPTIMIZERS and name in OPTIMIZERS[callee][1]:
        return f"argument `{name}` of optimizer `{callee}` (Keras `{OPTIMIZERS[callee][0]}`)"
    return None
