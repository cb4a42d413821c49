"""`netdsl fmt`: the one canonical layout of a spec, comments kept.

    format_source(text, width=88) -> str

The layout:

- one statement per line; `network` first (after the file's header comments,
  those a blank line separates from the rest), with the comments right above
  it; at most one blank line between statements where the source had one or
  more, none at the start or the end; LF line ends, UTF-8, no BOM, exactly
  one final newline; a block's body indented 4 spaces, one statement a line;
- single spaces: `h = x -> dense(4, relu) * 2`, `input x: [a, "b c"]`,
  `f(a, key=value)`, `{a: mse}`, `x[a, 0:2]`, `compile loss=mse optimizer=adam`;
  numbers exactly as written (`1e-3` stays `1e-3`);
- a chain whose line would be longer than `width` (its trailing comment not
  counted) is split before every `->`, continuation lines indented 4 spaces;
- a bracket (`()`, `[]`, `{}`) written over several lines is written one item
  per line with a trailing comma, its closing bracket on a line of its own;
  a bracket written on one line stays on one line (like Prettier's objects),
  unless it holds a chain and its line is too long: then it too is written
  one item per line (and, now multi-line, stays so). A line with nothing to
  split at (a long `compile` line, a long feature list) is left long;
- comments stay where they were: a full-line comment before the statement
  that followed it, a trailing comment at the end of its line (two spaces
  before `#`); inside a statement a comment stays after the step or item it
  followed, which forces the enclosing chain or bracket onto several lines.

Formatting works on the syntax tree (netdsl/ast.py) and the source text: the
tree gives the structure, the source the things the tree drops (comments,
blank lines, how numbers were spelled, which brackets were multi-line).
Printing is one function per node type (`@printer(ast.X)`), producing a small
Wadler/Prettier-style document that `_render` lays out. Before returning,
`format_source` parses its own output and checks that the tree and the
comments are unchanged, so a formatter bug can never silently change a spec.
"""

from __future__ import annotations

import bisect
import gc
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from . import ast
from .parser import parse
from .source import Source

INDENT = 4
_WS = " \t\f\r\ufeff"  # the grammar's WS terminal, without newlines
_STRING_OR_COMMENT = re.compile(r'"[^"\n]*"|#[^\n]*')


class FormatError(Exception):
    """The formatter cannot print a spec faithfully: a bug in netdsl fmt."""


# ---- the document ------------------------------------------------------------
#
# A document is a Text, a Line, a Group, a Nest or a list of documents. A Group
# is laid out flat (its Lines are spaces) or broken (its Lines are newlines);
# mode "auto" picks flat when it fits in the width, "flat" and "break" are fixed.


class Text:
    __slots__ = ("text", "pos", "after")

    def __init__(self, text: str, pos: tuple[int, int] | None = None):
        self.text = text
        self.pos = pos  # (line, column) of the source token, when it has one
        self.after: list[Comment] = []  # comments anchored after this token


@dataclass
class Line:
    flat: str = " "  # the text of a flat Line ("" for a soft break)
    blank: bool = False  # a broken Line: leave a blank line before the next line
    keep_blanks: bool = False  # honour the blank lines before the comments flushed here
    first: bool = False  # the first Line of a block body (no blank line after `{`)
    extra: int = 0  # comments flushed here are indented this much more


@dataclass
class Group:
    parts: list
    mode: str = "auto"  # "auto", "flat" or "break"
    arrows: bool = False  # holds a chain it could be split at


@dataclass
class IfBreak:
    text: str  # printed only when its group is broken (a trailing comma)


@dataclass
class Nest:
    """Indent the lines of `parts` by `indent`, when the enclosing group is broken."""

    parts: list
    indent: int = INDENT


_FLAT, _BREAK = 0, 1


@dataclass
class Comment:
    line: int
    column: int
    text: str
    own_line: bool  # nothing but whitespace before it on its line
    blank_before: bool = False  # a blank line between it and the previous non-blank line
    bracket: tuple | None = None  # the innermost bracket around it (a span), None outside

    @property
    def pos(self) -> tuple[int, int]:
        return (self.line, self.column)


_DONE = object()


def _fits(parts: list, rest: list, remaining: int) -> bool:
    """Does `parts`, flat, and what follows it up to the next newline fit?"""
    todo = [(_FLAT, iter(parts))]  # iterators: a long chain is not copied to be measured
    i = len(rest)
    while remaining >= 0:
        if not todo:
            if i == 0:
                return True
            i -= 1
            _, mode, d = rest[i]
            todo.append((mode, iter((d,))))
            continue
        mode, items = todo[-1]
        d = next(items, _DONE)
        if d is _DONE:
            todo.pop()
        elif isinstance(d, Text):
            remaining -= len(d.text)
        elif isinstance(d, list):
            todo.append((mode, iter(d)))
        elif isinstance(d, Nest):
            todo.append((mode, iter(d.parts)))
        elif isinstance(d, Group):
            m = _BREAK if d.mode == "break" else _FLAT if d.mode == "flat" else mode
            todo.append((m, iter(d.parts)))
        elif isinstance(d, Line):
            if mode == _BREAK:
                return True
            remaining -= len(d.flat)
        elif isinstance(d, IfBreak) and mode == _BREAK:
            remaining -= len(d.text)
    return False


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _render(doc, width: int) -> list[str]:
    """Lay a statement's document out; returns its lines (comments included)."""
    out = [""]
    pending: list[Comment] = []

    def flush(next_indent: int, line: Line | None) -> None:
        out[-1] = out[-1].rstrip()
        ended = _indent_of(out[-1])
        for k, c in enumerate(pending):
            if k == 0 and not c.own_line:
                out[-1] += "  " + c.text
                continue
            if line is None:  # after the statement: a comment line of its own
                indent = 0
            else:
                # A statement separator in a block: the statements' indentation;
                # elsewhere the deeper of the two lines around the comment.
                indent = (
                    next_indent + line.extra if line.keep_blanks else max(ended, next_indent + line.extra)
                )
                if line.keep_blanks and c.blank_before and not (k == 0 and line.first):
                    out.append("")
            out.append(" " * indent + c.text)
        pending.clear()

    stack = [(0, _BREAK, doc)]
    while stack:
        indent, mode, d = stack.pop()
        if isinstance(d, Text):
            out[-1] += d.text
            pending.extend(d.after)
        elif isinstance(d, list):
            stack.extend((indent, mode, x) for x in reversed(d))
        elif isinstance(d, Nest):
            inner = indent + d.indent if mode == _BREAK else indent
            stack.extend((inner, mode, x) for x in reversed(d.parts))
        elif isinstance(d, IfBreak):
            if mode == _BREAK:
                out[-1] += d.text
        elif isinstance(d, Group):
            if d.mode == "break":
                m = _BREAK
            elif d.mode == "flat" or mode == _FLAT:
                m = _FLAT
            else:
                m = _auto_mode(d, stack, width - len(out[-1]))
            stack.extend((indent, m, x) for x in reversed(d.parts))
        elif isinstance(d, Line):
            if mode == _FLAT:
                out[-1] += d.flat
            else:
                flush(indent, d)
                if d.blank:
                    out.append("")
                out.append(" " * indent)
        else:
            raise FormatError(f"not a document: {d!r}")
    flush(0, None)
    return out


def _auto_mode(d: Group, stack: list, room: int) -> int:
    m = _FLAT if _fits(d.parts, stack, room) else _BREAK
    if m == _BREAK and d.arrows and _break_head(d, room):
        m = _FLAT if _fits(d.parts, stack, room) else _BREAK
    return m


def _break_head(chain: Group, remaining: int) -> bool:
    """A chain too long for its line whose head is a bracket too long on its own: break the
    bracket and keep `) -> ...` together, as the next pass (which reads that bracket
    written over several lines, so broken) lays it out. True when it did."""
    head = chain.parts[0] if chain.parts else None
    bracket = head[-1] if isinstance(head, list) and head else head
    if not isinstance(bracket, Group) or bracket.mode != "auto" or _fits([head], [], remaining):
        return False
    bracket.mode = "break"
    return True


def _texts(doc, into: list[Text]) -> list[Text]:
    """The Texts of a document in print order."""
    stack = [doc]
    while stack:
        d = stack.pop()
        if isinstance(d, Text):
            into.append(d)
        elif isinstance(d, list):
            stack.extend(reversed(d))
        elif isinstance(d, (Group, Nest)):
            stack.extend(reversed(d.parts))
    return into


# ---- the printer ---------------------------------------------------------------

Printer = Callable[["_Printer", object], object]
_PRINTERS: dict[type, Printer] = {}


def printer(*types: type):
    """Register the function that prints nodes of these AST types.

    A printer takes (p, node) and returns a document; it prints child nodes
    with p.doc(child). Adding a statement kind means adding one printer.
    """

    def register(fn: Printer) -> Printer:
        for t in types:
            _PRINTERS[t] = fn
        return fn

    return register


def _start(span) -> tuple[int, int]:
    return (span[0], span[1])


def _end(span) -> tuple[int, int]:
    return (span[2], span[3])


def _last_char(span) -> tuple[int, int]:
    return (span[2], span[3] - 1)


def _key(span) -> tuple:
    return tuple(span[:4])


class _Printer:
    def __init__(self, text: str, comments: list[Comment]):
        self.lines = text.split("\n")
        starts, offset = [], 0
        for line in self.lines:
            starts.append(offset)
            offset += len(line) + 1
        self._starts = starts
        self.text = text
        self.comments = comments  # of the statement being printed, in source order
        self.ctx: tuple | None = None  # the innermost bracket being printed (a span)

    # -- source text ----------------------------------------------------------
    def offset(self, line: int, column: int) -> int:
        return self._starts[line - 1] + column - 1

    def source(self, span) -> str:
        """The text a span covers, as written."""
        return self.text[self.offset(span[0], span[1]) : self.offset(span[2], span[3])]

    def token(self, span) -> Text:
        """A one-token leaf (a number, a string, an index), spelled as in the source."""
        return Text(self.source(span), _start(span))

    def blank_before(self, line: int) -> bool:
        """Is the line just before `line` blank (with something written above it)?"""
        k = line - 2
        if k < 0 or self.lines[k].strip(_WS):
            return False
        while k >= 0 and not self.lines[k].strip(_WS):
            k -= 1
        return k >= 0

    # -- documents ------------------------------------------------------------
    def doc(self, node):
        fn = _PRINTERS.get(type(node))
        if fn is None:
            raise FormatError(f"netdsl fmt cannot print a {type(node).__name__} yet")
        return fn(self, node)

    def comments_in(self, span) -> list[Comment]:
        lo, hi = _start(span), _end(span)
        return [c for c in self.comments if lo < c.pos < hi]

    def forced(self, span) -> bool:
        """Is there a comment inside `span` that belongs to the current bracket level?"""
        return any(c.bracket == self.ctx for c in self.comments_in(span))

    def bracket(
        self,
        open_: Text,
        span,
        items: Callable[[], list],
        close: Text,
        trailing_comma: bool = True,
        separator: str = ",",
    ) -> Group | list:
        """A bracket pair and its items: `(a, b)` or one item per line.

        Written over several lines in the source: one item per line. On one
        line: it stays on one line, unless a chain inside it could be split
        and the line is too long; then it takes one item per line, and, being
        multi-line from then on, keeps that layout.
        """
        outer, self.ctx = self.ctx, _key(span)
        try:
            docs = items()
        finally:
            self.ctx = outer
        multiline = span[0] != span[2]
        if not docs:
            if multiline and self.comments_in(span):  # only comments inside
                return Group([open_, Line("", extra=INDENT), close], "break")
            return [open_, close]
        arrows = _has_arrows(docs)
        body = []
        for k, d in enumerate(docs):
            if k:
                body += [Text(separator), Line()] if separator == "," else [Line(), Text(separator)]
            else:
                body.append(Line(""))
            body.append(d)
        if trailing_comma:
            body.append(IfBreak(","))
        mode = "break" if multiline else "auto" if arrows else "flat"
        return Group([open_, Nest(body), Line(""), close], mode, arrows)

    def chain(self, node: ast.Chain):
        steps = [self.doc(s) for s in node.steps]
        if len(steps) == 1:
            return steps[0]
        rest = []
        for s in steps[1:]:
            rest += [Line(), Text("-> "), s]
        mode = "break" if self.forced(node.span) else "auto"
        return Group([steps[0], Nest(rest)], mode, True)


def _has_arrows(docs) -> bool:
    """Does a document hold a chain of several steps (something a line can be split at)?"""
    stack = list(docs)
    while stack:
        d = stack.pop()
        if isinstance(d, Group):
            if d.arrows:
                return True
        elif isinstance(d, list):
            stack.extend(d)
        elif isinstance(d, Nest):
            stack.extend(d.parts)
    return False


def _name(n: ast.Name) -> Text:
    return Text(f'"{n.text}"' if n.quoted else n.text, _start(n.span))


def _keyword(word: str, span) -> Text:
    return Text(word, _start(span))


def _by_position(nodes) -> list:
    return sorted(nodes, key=lambda n: _start(n.span))


# -- expressions ------------------------------------------------------------------


@printer(ast.Chain)
def _print_chain(p: _Printer, node: ast.Chain):
    return p.chain(node)


def _operand(p: _Printer, atom):
    """An atom inside a step or arithmetic; a group `(a -> b)`, `(a + b)` keeps its brackets."""
    if not isinstance(atom, ast.Chain):
        return p.doc(atom)
    # A bracket whose items are the steps, split before each `->` when the
    # bracket is (one step per line, no extra indent).
    doc = p.bracket(
        Text("(", _start(atom.span)),
        atom.span,
        lambda: [p.doc(s) for s in atom.steps],
        Text(")", _last_char(atom.span)),
        trailing_comma=False,
        separator="-> ",
    )
    if len(atom.steps) > 1 and isinstance(doc, Group):
        doc.arrows = True
        if doc.mode == "flat":
            doc.mode = "auto"
    return doc


@printer(ast.Step)
def _print_step(p: _Printer, node: ast.Step):
    doc = _operand(p, node.expr)
    if node.repeat is None:
        return doc
    count = p.token(node.repeat.span) if isinstance(node.repeat, ast.Number) else _operand(p, node.repeat)
    return [doc, Text(" * "), count]


@printer(ast.BinOp)
def _print_binop(p: _Printer, node: ast.BinOp):
    return [_operand(p, node.left), Text(f" {node.op} "), _operand(p, node.right)]


@printer(ast.Neg)
def _print_neg(p: _Printer, node: ast.Neg):
    return [Text("-", _start(node.span)), _operand(p, node.operand)]


@printer(ast.Ref)
def _print_ref(p: _Printer, node: ast.Ref):
    return Text(node.name, _start(node.span))


@printer(ast.Number, ast.String, ast.SelName, ast.SelIndex)
def _print_token(p: _Printer, node):
    return p.token(node.span)


@printer(ast.SelRange)
def _print_range(p: _Printer, node: ast.SelRange):
    # The tree keeps the bounds' values, not their spelling: take it from the
    # source, where only whitespace (or, inside brackets, comments) can sit
    # between the two numbers and the colon.
    written = "".join(_STRING_OR_COMMENT.sub("", line) for line in p.source(node.span).split("\n"))
    written = "".join(ch for ch in written if ch not in _WS)
    return Text(written, _start(node.span))


@printer(ast.Call)
def _print_call(p: _Printer, node: ast.Call):
    op = _name(node.op)
    # args and kwargs are kept apart by the tree; print them in source order.
    items = _by_position(node.args + node.kwargs)
    return [
        op,
        p.bracket(
            Text("(", _end(node.op.span)),
            node.span,
            lambda: [p.doc(i) for i in items],
            Text(")", _last_char(node.span)),
        ),
    ]


@printer(ast.KwArg)
def _print_kwarg(p: _Printer, node: ast.KwArg):
    return [_name(node.name), Text("="), p.doc(node.value)]


@printer(ast.Select)
def _print_select(p: _Printer, node: ast.Select):
    return [
        _name(node.source),
        p.bracket(
            Text("[", _end(node.source.span)),
            node.span,
            lambda: [p.doc(i) for i in node.items],
            Text("]", _last_char(node.span)),
        ),
    ]


@printer(ast.ListLit)
def _print_list(p: _Printer, node: ast.ListLit):
    return p.bracket(
        Text("[", _start(node.span)),
        node.span,
        lambda: [p.doc(i) for i in node.items],
        Text("]", _last_char(node.span)),
    )


@printer(ast.TupleLit)
def _print_tuple(p: _Printer, node: ast.TupleLit):
    if len(node.items) == 1:  # `(3,)`: its comma makes it a tuple
        item = p.doc(node.items[0])
        return [Text("(", _start(node.span)), item, Text(","), Text(")", _last_char(node.span))]
    return p.bracket(
        Text("(", _start(node.span)),
        node.span,
        lambda: [p.doc(i) for i in node.items],
        Text(")", _last_char(node.span)),
    )


@printer(ast.DictLit)
def _print_dict(p: _Printer, node: ast.DictLit):
    return p.bracket(
        Text("{", _start(node.span)),
        node.span,
        lambda: [p.doc(i) for i in node.pairs],
        Text("}", _last_char(node.span)),
    )


@printer(ast.Pair)
def _print_pair(p: _Printer, node: ast.Pair):
    if node.value is None:
        return [_name(node.key)]
    return [_name(node.key), Text(": "), p.doc(node.value)]


# -- statements -------------------------------------------------------------------


@printer(ast.NetworkDecl)
def _print_network(p: _Printer, node: ast.NetworkDecl):
    return [_keyword("network ", node.span), _name(node.name)]


@printer(ast.InputDecl)
def _print_input(p: _Printer, node: ast.InputDecl):
    return [_keyword("input ", node.span), _name(node.name), Text(": "), p.doc(node.spec)]


@printer(ast.Assign)
def _print_assign(p: _Printer, node: ast.Assign):
    head = [_keyword("output ", node.span)] if node.is_output else []
    if node.is_layer:
        head = [_keyword("layer ", node.span)]
    head.append(_name(node.name))
    for more in getattr(node, "more_names", ()):
        head += [Text(", "), _name(more)]
    return [*head, Text(" = "), p.doc(node.expr)]


@printer(ast.OutputDecl)
def _print_output(p: _Printer, node: ast.OutputDecl):
    return [_keyword("output ", node.span), _name(node.name)]


def _settings(p: _Printer, word: str, node):
    parts = [_keyword(word, node.span)]
    for s in node.settings:
        parts += [Text(" "), p.doc(s)]
    return parts


@printer(ast.CompileDecl)
def _print_compile(p: _Printer, node: ast.CompileDecl):
    return _settings(p, "compile", node)


@printer(ast.TrainDecl)
def _print_train(p: _Printer, node: ast.TrainDecl):
    return _settings(p, "train", node)


# -- blocks and imports ----------------------------------------------------------


@printer(ast.Param)
def _print_param(p: _Printer, node):
    if node.default is None:
        return _name(node.name)
    return [_name(node.name), Text("="), p.doc(node.default)]


@printer(ast.Return)
def _print_return(p: _Printer, node):
    parts = [_keyword("return ", node.span)]
    for k, v in enumerate(node.values):
        parts += [Text(", "), p.doc(v)] if k else [p.doc(v)]
    return parts


@printer(ast.Import)
def _print_import(p: _Printer, node):
    path = p.token(node.path_span)
    if not node.names:
        return [_keyword("import ", node.span), path]
    parts = [_keyword("from ", node.span), path, Text(" import ")]
    for k, n in enumerate(node.names):
        parts += [Text(", "), p.doc(n)] if k else [p.doc(n)]
    return parts


@printer(ast.ImportName)
def _print_import_name(p: _Printer, node):
    if node.alias is None:
        return _name(node.name)
    return [_name(node.name), Text(" as "), _name(node.alias)]


def _block_brackets(node: ast.BlockDecl) -> tuple[tuple, tuple, tuple]:
    """(params parens, inputs parens, body braces) as bracket keys."""
    body = (*_start(node.body_span), *_end(node.span))
    return _key(node.params_span), _key(node.inputs_span), body


@printer(ast.BlockDecl)
def _print_block(p: _Printer, node):
    params, inputs, body = _block_brackets(node)
    head = [
        _keyword("block ", node.span),
        _name(node.name),
        p.bracket(
            Text("(", _start(params)),
            params,
            lambda: [p.doc(x) for x in node.params],
            Text(")", _last_char(params)),
            trailing_comma=False,
        ),
        Text(" "),
        p.bracket(
            Text("(", _start(inputs)),
            inputs,
            lambda: [_name(x) for x in node.inputs],
            Text(")", _last_char(inputs)),
            trailing_comma=False,
        ),
        Text(" "),
    ]
    open_, close = Text("{", _start(body)), Text("}", _last_char(body))
    outer, p.ctx = p.ctx, body
    try:
        stmts = [p.doc(s) for s in node.body]
    finally:
        p.ctx = outer
    if not stmts and not p.comments_in(body):
        return [*head, open_, close]
    lines = []
    for k, (s, d) in enumerate(zip(node.body, stmts)):
        lines += [Line(blank=k > 0 and p.blank_before(s.span[0]), keep_blanks=True, first=k == 0), d]
    lines.append(Line(keep_blanks=True, first=not stmts, extra=INDENT))
    return [*head, Group([open_, Nest(lines[:-1]), lines[-1], close], "break")]


# ---- comments and brackets ---------------------------------------------------------


def _comments(text: str, lines: list[str]) -> list[Comment]:
    found = []
    for number, line in enumerate(lines, 1):
        if "#" not in line:
            continue
        for m in _STRING_OR_COMMENT.finditer(line):
            if m.group().startswith("#"):
                own = not line[: m.start()].strip(_WS)
                found.append(Comment(number, m.start() + 1, m.group().rstrip(), own))
    return found


def _brackets(node: ast.Node, into: list) -> list:
    """Spans of every bracket pair in a statement (the contexts comments belong to)."""
    for n in node.walk():
        if isinstance(n, (ast.ListLit, ast.DictLit, ast.Select, ast.Call)):
            into.append(_key(n.span))
        elif isinstance(n, ast.Step) and isinstance(n.expr, ast.Chain):
            into.append(_key(n.expr.span))
        elif isinstance(n, ast.BlockDecl):
            into.extend(_block_brackets(n))
    return into


def _innermost(c: Comment, brackets: list[tuple]) -> tuple | None:
    best = None
    for b in brackets:
        if (b[0], b[1]) < c.pos < (b[2], b[3]) and (best is None or (b[0], b[1]) > (best[0], best[1])):
            best = b
    return best


# ---- the whole file ------------------------------------------------------------------


@dataclass
class _Item:
    """A top-level statement or full-line comment, with the lines it takes."""

    first: int
    last: int
    stmt: ast.Statement | None = None
    comment: Comment | None = None
    comments: list = field(default_factory=list)  # a statement's own comments
    blank: bool = False  # a blank line before it


def _statement_lines(p: _Printer, item: _Item, width: int) -> list[str]:
    assert item.stmt is not None
    p.comments = item.comments
    p.ctx = None
    brackets = _brackets(item.stmt, []) if item.comments else []
    for c in item.comments:
        c.bracket = _innermost(c, brackets)
        c.blank_before = p.blank_before(c.line)
    doc = p.doc(item.stmt)
    texts = [t for t in _texts(doc, []) if t.pos is not None]
    positions = [t.pos for t in texts]
    for c in item.comments:
        k = bisect.bisect_left(positions, c.pos) - 1
        texts[max(k, 0)].after.append(c)
    return _render(doc, width)


def _network_first(items: list[_Item]) -> list[_Item]:
    """Move `network` statements (with the comments right above them) to the top,
    after the file's header comments (those separated from the rest by a blank line)."""
    kinds = [isinstance(i.stmt, ast.NetworkDecl) for i in items if i.stmt is not None]
    if not any(later and not all(kinds[:k]) for k, later in enumerate(kinds)):
        return items  # every network statement already comes first
    chunks, rest = [], list(items)
    k = 0
    while k < len(rest):
        if isinstance(rest[k].stmt, ast.NetworkDecl):
            j = k
            while j > 0 and rest[j - 1].comment is not None and not rest[j].blank:
                j -= 1
            chunk = rest[j : k + 1]
            del rest[j : k + 1]
            if j < len(rest):
                rest[j].blank = rest[j].blank or chunk[0].blank
            chunks.append(chunk)
            k = j
        else:
            k += 1
    first_stmt = next((n for n, i in enumerate(rest) if i.stmt is not None), len(rest))
    header = 0
    for n in range(1, first_stmt + 1):
        if n < len(rest) and rest[n].blank:
            header = n
    moved = []
    for n, chunk in enumerate(chunks):
        chunk[0].blank = bool(header) if n == 0 else False
        moved += chunk
    if header < len(rest):
        rest[header].blank = True
    return rest[:header] + moved + rest[header:]


def _strip_spans(node):
    """A tree without positions, to compare two parses of the same spec (1 and
    1.0 differ: the formatter keeps numbers as written)."""
    if isinstance(node, ast.Node):
        return (type(node).__name__,) + tuple(
            (name, _strip_spans(value)) for name, value in node.iter_fields() if not name.endswith("span")
        )
    if type(node) is tuple:
        return tuple(_strip_spans(x) for x in node)
    if type(node) is float:
        return ("float", node)
    return node


def format_source(text: str, width: int = 88, name: str = "<string>") -> str:
    """The canonical layout of a spec. Raises SpecError if it does not parse."""
    # Like pipeline.analyze: a big spec makes hundreds of thousands of small
    # objects and no cycles; the cyclic GC rescanning them dominates the time.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _fixpoint(text, width, name)
    finally:
        if enabled:
            gc.enable()


# A bracket written over several lines stays broken (the user's layout is kept),
# so formatting the output again can lay the chain around a bracket that the first
# pass broke differently. The canonical layout is the fixpoint; it is reached by the
# second pass (tests check every shipped spec and generated programs at several widths).
MAX_PASSES = 3


def _fixpoint(text: str, width: int, name: str) -> str:
    out = _format(text, width, name)
    for _ in range(MAX_PASSES - 1):
        if out == text:
            break
        text, out = out, _format(out, width, name)
    return out


def _format(text: str, width: int, name: str) -> str:
    if text.startswith("\ufeff"):
        text = text[1:]
    source = Source(name, text)
    text = source.text  # lone CRs read as line ends
    program = parse(source)
    p = _Printer(text, [])
    comments = _comments(text, p.lines)

    statements = list(program.statements)
    starts = [_start(s.span) for s in statements]
    items = [_Item(s.span[0], s.span[2], stmt=s) for s in statements]
    for c in comments:
        k = bisect.bisect_right(starts, c.pos) - 1
        if k >= 0 and statements[k].span[2] >= c.line:
            items[k].comments.append(c)
        else:
            items.append(_Item(c.line, c.line, comment=c))
    items.sort(key=lambda i: (i.first, i.stmt is None))
    for prev, item in zip(items, items[1:]):
        item.blank = item.first - prev.last > 1
    items = _network_first(items)

    out: list[str] = []
    for n, item in enumerate(items):
        if item.blank and n:
            out.append("")
        if item.comment is not None:
            out.append(item.comment.text)
        else:
            out += _statement_lines(p, item, width)
    result = "".join(line.rstrip() + "\n" for line in out)

    _verify(program, comments, result, name)
    return result


def _verify(program: ast.Program, comments: list[Comment], result: str, name: str) -> None:
    """The output must parse to the same tree, with the same comments."""
    from .diagnostics import SpecError

    try:
        again = parse(Source(name, result))
    except SpecError as exc:
        raise FormatError(f"the formatted spec does not parse: {exc}") from None
    networks = [s for s in program.statements if isinstance(s, ast.NetworkDecl)]
    others = [s for s in program.statements if not isinstance(s, ast.NetworkDecl)]
    if _strip_spans(tuple(networks + others)) != _strip_spans(again.statements):
        raise FormatError("formatting would change the spec's syntax tree")
    if sorted(c.text for c in comments) != sorted(c.text for c in _comments(result, result.split("\n"))):
        raise FormatError("formatting would lose or change a comment")
