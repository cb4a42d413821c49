"""Completion: what may be written at the cursor.

The text being typed rarely parses, so the context comes from the tokens of
the current statement up to the cursor (its chunk, as netdsl.lang.incremental
cuts the text): the brackets still open and the call or selection each
belongs to, the argument or setting being written, and the last token. What
the candidates are (ops, blocks, values, features) comes from the last
analysis that parsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lsprotocol import types

from ...ir import compute
from ...ir.checks import TRAIN_SETTINGS
from ...ir.ops import ACTIVATIONS, OPS, layer_ops
from ...ir.options import FAMILIES
from ...ir.settings import LOSSES, METRICS, OPTIMIZERS
from ...lang.highlight import KEYWORDS
from ...lang.incremental import chunks
from . import describe, model
from .index import FEATURE, FileIndex

_TOKEN = re.compile(
    r'(?P<string>"[^"\n]*"?)|(?P<comment>#[^\n]*)|(?P<arrow>->)|(?P<name>[^\W\d]\w*)'
    r"|(?P<number>-?\d[\w.]*)|(?P<punct>[()\[\]{},=:*])|\s+|."
)
_WORD_BEFORE = re.compile(r"[^\W\d]\w*$|$")
Kind = types.CompletionItemKind


@dataclass
class _Frame:
    bracket: str
    owner: str | None  # the name before '(' or '[' (the callee, the selected value)
    index: int = 0  # positional argument number
    key: str | None = None  # the keyword argument or dict key being written


@dataclass
class Context:
    statement: str | None  # the statement's first word: a keyword, or None for `name = ...`
    block: str | None  # the block whose body the cursor is in
    frames: list[_Frame] = field(default_factory=list)
    previous: str | None = None  # the last token before the word being typed
    setting: str | None = None  # compile/train: the setting being written
    tokens: list[str] = field(default_factory=list)


def context(text: str, line: int, column: int) -> Context:
    """The context at (line, column) (from 1) of `text`."""
    pieces = chunks(text)
    first, chunk = pieces[0] if pieces else (1, "")
    for start, piece in pieces:
        if start > line:
            break
        first, chunk = start, piece
    lines = chunk.splitlines(keepends=True)[: line - first + 1] or [""]
    lines[-1] = lines[-1][: column - 1]
    before = "".join(lines)
    word = _WORD_BEFORE.search(before)
    before = before[: len(before) - len(word.group() if word else "")]
    return _walk(before)


def _walk(before: str) -> Context:
    ctx = Context(None, None)
    tokens = [m for m in _TOKEN.finditer(before) if m.lastgroup not in (None, "comment")]
    words = [m.group() for m in tokens]
    ctx.tokens = words
    if words and words[0] in KEYWORDS:
        ctx.statement = words[0]
    for i, tok in enumerate(words):
        prev = words[i - 1] if i else None
        frame = ctx.frames[-1] if ctx.frames else None
        if tok in "([{":
            owner = prev if prev is not None and re.match(r"\w", prev) else None
            if tok == "{" and ctx.statement == "block" and prev == ")":
                ctx.block = words[1] if len(words) > 1 else None
            ctx.frames.append(_Frame(tok, owner))
        elif tok in ")]}" and ctx.frames:
            ctx.frames.pop()
        elif tok == "," and frame is not None:
            frame.index += 1
            frame.key = None
        elif tok in ("=", ":") and prev is not None and re.match(r"\w", prev):
            if frame is not None:
                frame.key = prev
            elif ctx.statement in ("compile", "train"):
                ctx.setting = prev
    ctx.previous = words[-1] if words else None
    return ctx


def _item(label, kind, detail=None, doc=None, insert=None, sort=None) -> types.CompletionItem:
    return types.CompletionItem(
        label=label,
        kind=kind,
        detail=detail,
        documentation=types.MarkupContent(kind=types.MarkupKind.Markdown, value=doc) if doc else None,
        insert_text=insert,
        sort_text=sort,
    )


@dataclass
class Candidates:
    """What the spec offers, from its last analysis that parsed."""

    index: FileIndex
    graph: object | None
    blocks: dict  # name -> BlockDecl

    def values(self, scope: str | None) -> list[types.CompletionItem]:
        out = []
        for occ in self.index.scope_names(scope):
            info = model.node(self.graph, occ.name) if self.graph is not None and scope is None else None
            detail = f"{info.op} {info.shape_text}" if info is not None else occ.kind
            out.append(_item(occ.name, Kind.Variable, detail))
        return out

    def features(self, source: str, scope: str | None) -> list[types.CompletionItem]:
        info = model.node(self.graph, source) if self.graph is not None and scope is None else None
        names = list(info.features or ()) if info is not None else []
        if not names:
            names = [
                o.name
                for o in self.index.occurrences
                if o.kind == FEATURE and o.definition and o.detail == source
            ]
        return [_item(n, Kind.Field, f"feature {i} of {source}") for i, n in enumerate(names)]

    def ops(self, heads_only: bool = False) -> list[types.CompletionItem]:
        names = [n for n in layer_ops() if not heads_only or OPS[n].kind == "merge"]
        items = [
            _item(n, Kind.Function, describe.signature(OPS[n]), describe.op_markdown(OPS[n])) for n in names
        ]
        items += [_item(n, Kind.Module, describe.block_signature(d)) for n, d in sorted(self.blocks.items())]
        return items


def complete(ctx: Context, cands: Candidates) -> list[types.CompletionItem]:
    frame = ctx.frames[-1] if ctx.frames else None
    if ctx.statement == "compile":
        return _compile(ctx, frame, cands)
    if ctx.statement == "train":
        return [_item(k + "=", Kind.Property, spec[2], insert=k + "=") for k, spec in TRAIN_SETTINGS.items()]
    if ctx.statement in ("import", "from"):
        return []
    if frame is not None and frame.bracket == "[" and frame.owner:
        return cands.features(frame.owner, ctx.block)
    if frame is not None and frame.bracket == "(" and frame.owner:
        return _arguments(ctx, frame, cands)
    if ctx.previous == "->":
        return cands.ops()
    if ctx.previous == "=" or (ctx.statement == "output" and ctx.previous == "output"):
        return cands.values(ctx.block) + cands.ops(heads_only=True)
    if ctx.previous is None:
        words = ("return",) if ctx.block else KEYWORDS
        return [_item(k, Kind.Keyword) for k in words] + cands.values(ctx.block)
    return cands.values(ctx.block)


def _arguments(ctx: Context, frame: _Frame, cands: Candidates) -> list[types.CompletionItem]:
    callee = frame.owner or ""
    op = OPS.get(callee)
    in_scope = cands.values(ctx.block)
    if callee in cands.blocks:
        decl = cands.blocks[callee]
        if frame.key is not None and ctx.previous in ("=", ":"):
            return in_scope
        names = [p.name.text for p in decl.params] + [i.text for i in decl.inputs]
        return [
            _item(n + "=", Kind.Property, describe.block_signature(decl), insert=n + "=") for n in names
        ] + in_scope
    if op is None:
        return in_scope
    if op.kind == "merge":
        return in_scope
    if frame.key is not None and ctx.previous == "=":
        param = op.param(frame.key)
        return _values_for(param) + (in_scope if ctx.block else [])
    params = op.params
    items = [_item(p.name + "=", Kind.Property, describe.param_text(p), insert=p.name + "=") for p in params]
    positional = params[frame.index] if frame.key is None and frame.index < len(params) else None
    return _values_for(positional) + items + (in_scope if ctx.block else [])


def _values_for(param) -> list[types.CompletionItem]:
    if param is None:
        return []
    if param.type == "activation":
        return [_item(a, Kind.EnumMember, "activation") for a in ACTIVATIONS]
    if param.type == "bool":
        return [_item(v, Kind.Keyword) for v in ("true", "false")]
    if param.type in FAMILIES:  # kernel_initializer=, kernel_regularizer=, ...
        return [_item(name, Kind.EnumMember, param.type) for name in FAMILIES[param.type][0]]
    if param.type in ("int", "float", "number"):  # a number may be computed: `dense(2 * width())`
        return [
            _item(name, Kind.Function, "computed argument", insert=name + "(", sort="~" + name)
            for name in compute.NAMES
        ]
    return []


def _compile(ctx: Context, frame: _Frame | None, cands: Candidates) -> list[types.CompletionItem]:
    if frame is not None and frame.bracket == "(" and frame.owner in OPTIMIZERS:
        cls, args = OPTIMIZERS[frame.owner]
        if frame.key is not None and ctx.previous == "=":
            return []
        return [_item(a + "=", Kind.Property, f"{cls}({a}=...)", insert=a + "=") for a in args]
    if frame is not None and frame.bracket == "{" and ctx.previous in ("{", ","):
        return [_item(o.name, Kind.Variable, "output") for o in cands.index.scope_names(None)]
    setting = ctx.setting
    if ctx.previous in ("=", "[", ",", ":") and setting is not None:
        table = {"loss": LOSSES, "metrics": METRICS, "optimizer": tuple(OPTIMIZERS)}.get(setting, ())
        return [_item(n, Kind.Value, setting) for n in table]
    return [
        _item(k + "=", Kind.Property, describe.setting_markdown("", k), insert=k + "=")
        for k in ("loss", "optimizer", "metrics")
    ]
