"""Parsing a spec again after an edit, statement by statement.

An editor asks for the syntax tree after every keystroke, and a keystroke
changes one statement. Parsing a 1,000-line spec takes about 50 ms, nearly all
of it in Lark; the statements that did not change need not be parsed again.

The text is cut into *chunks* at the places where the parser itself ends a
statement: a line that starts outside every bracket, whose first token is not
`->` and whose previous token was not a trailing `->` (parser.py's layout
rules). Each chunk is parsed alone, as its own text preceded by as many
newlines as lines come before it, so every span is where the whole-file parse
puts it. A chunk whose text is unchanged reuses its statements; a chunk that
only moved to other lines reuses them shifted.

The result equals parser.parse on the whole text: the same Program for a
spec that parses, the same (first) syntax error otherwise. The tests compare
the two over every example, the error corpus and random edits of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from . import ast
from .diagnostics import Diagnostic, SpecError
from .parser import parse
from .source import Source, Span

# One lexical item of a line, as far as chunking cares: a string (brackets in
# it do not count; an unterminated one runs to the end of the line), a comment,
# an arrow, a bracket, or any other character that is not blank.
_ITEM = re.compile(r'"[^"\n]*"?|#[^\n]*|->|[()\[\]{}]|[^\s"#()\[\]{}-]+|-|\S')
_OPENERS = frozenset("([{")
_CLOSERS = frozenset(")]}")


@dataclass(frozen=True)
class _Line:
    """What chunking needs of one line."""

    depth_change: int
    starts_with_arrow: bool
    ends_with_arrow: bool
    blank: bool  # no token at all (comments and whitespace only)


@lru_cache(maxsize=1 << 16)  # most lines are the same from one version of a document to the next
def _scan(line: str) -> _Line:
    depth = 0
    first = last = None
    for m in _ITEM.finditer(line):
        item = m.group()
        if item[0] == "#":
            break
        if item in _OPENERS:
            depth += 1
        elif item in _CLOSERS:
            depth -= 1
        if first is None:
            first = item
        last = item
    return _Line(depth, first == "->", last == "->", first is None)


def chunks(text: str) -> list[tuple[int, str]]:
    """(first line, text) of each chunk; the texts joined give `text` back."""
    lines = text.splitlines(keepends=True)
    out: list[tuple[int, list[str]]] = []
    depth = 0
    dangling = False  # the last token so far was a `->`
    for number, line in enumerate(lines, 1):
        info = _scan(line)
        boundary = out and not info.blank and depth == 0 and not dangling and not info.starts_with_arrow
        if not out or boundary:
            out.append((number, [line]))
        else:
            out[-1][1].append(line)
        if not info.blank:
            dangling = info.ends_with_arrow
        # A stray closer is a syntax error the chunk's own parse reports;
        # the depth does not go below zero, as the parser's bracket stack does not.
        depth = max(depth + info.depth_change, 0)
    return [(first, "".join(parts)) for first, parts in out]


def _shift(node, delta: int):
    """The same syntax tree, `delta` lines further down."""
    if type(node) is Span:
        return Span(node[0] + delta, node[1], node[2] + delta, node[3], node[4])
    if type(node) is tuple:
        return tuple([_shift(x, delta) for x in node])
    if not hasattr(type(node), "__dataclass_fields__"):
        return node
    # Not ast.replace_spans: that rebuilds each node through dataclasses.replace,
    # three times slower, and this runs on every Enter in a big document. The
    # fields are the same; a fresh instance's __dict__ is filled directly.
    new = object.__new__(type(node))
    fields = new.__dict__
    for key, value in node.__dict__.items():
        fields[key] = _shift(value, delta)
    return new


class IncrementalParser:
    """Parses successive versions of one document, reusing unchanged statements.

    One parser per document, one parse at a time: its cache is not locked.
    """

    def __init__(self) -> None:
        self._cache: dict[str, tuple[int, tuple]] = {}  # chunk text -> (first line, statements)

    def parse(self, source: Source) -> ast.Program:
        """Like parser.parse(source): the Program, or SpecError with the first syntax error."""
        statements, error = self.parse_partial(source)
        if error is not None:
            raise SpecError(error, source)
        return ast.Program(statements)

    def parse_partial(self, source: Source) -> tuple[tuple, list[Diagnostic] | None]:
        """Every statement of the chunks that parse, and the diagnostics of the
        first chunk that does not (None when all parse)."""
        cache: dict[str, tuple[int, tuple]] = {}
        statements: list = []
        error = None
        pieces = chunks(source.text)
        for k, (first, text) in enumerate(pieces):
            hit = self._cache.get(text) or cache.get(text)
            if hit is None:
                try:
                    parsed = _parse_at(source.name, first, text)
                except SpecError as exc:
                    if error is None:
                        error = _first_error(source.name, first, text, pieces[k + 1 : k + 2], exc)
                    continue
            elif hit[0] != first:
                parsed = _shift(hit[1], first - hit[0])
            else:
                parsed = hit[1]
            cache[text] = (first, parsed)
            statements.extend(parsed)
        self._cache = cache
        return tuple(statements), error


def _parse_at(name: str, first: int, text: str) -> tuple:
    return parse(Source(name, "\n" * (first - 1) + text)).statements


def _first_error(name: str, first: int, text: str, following: list, exc: SpecError) -> list[Diagnostic]:
    """The error the whole-file parse reports for this chunk.

    A statement cut short is found when the parser sees the newline that ends
    it, and the layout pass reads one token past that newline first: when that
    token cannot be lexed, the whole-file parse reports it instead. So parse
    the chunk with the next one behind it; the parse stops at the same place.
    """
    if not following:
        return list(exc.diagnostics)
    try:
        _parse_at(name, first, text + following[0][1])
    except SpecError as longer:
        return list(longer.diagnostics)
    return list(exc.diagnostics)
