"""Diagnostics: what is wrong with a spec, where, and how to fix it.

Every diagnostic has a stable code. The table below is the one place the codes
are declared; `netdsl explain CODE` and the docs read it.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Iterable
from dataclasses import field
from typing import Any

from ..records import Frozen, frozen_class
from .codes import ErrorCode
from .names import index_of, script_difference, written
from .source import Source, Span

ERROR = "error"
WARNING = "warning"


@frozen_class(frozen=True)
class Note(Frozen):
    message: str
    span: Span | None = None


@frozen_class(frozen=True)
class Diagnostic(Frozen):
    severity: str
    code: str
    message: str
    span: Span | None = None
    help: str | None = None
    notes: tuple[Note, ...] = field(default=())
    node: str | None = field(default=None, compare=False)  # the layer it is about, if one

    def sort_key(self):
        span = self.span or Span(0, 0, 0, 0)
        return (span.file, span.line, span.column, self.code, self.message)

    def as_error(self) -> Diagnostic:
        return dataclasses.replace(self, severity=ERROR)


class SpecError(Exception):
    """A spec has errors. Carries every diagnostic, errors and warnings."""

    def __init__(
        self, diagnostics: list[Diagnostic], source: Source | None = None, sources: list[Source] | None = None
    ):
        self.diagnostics = diagnostics
        self.source = source
        self.sources = sources or ([source] if source else [])
        self.graph: Any = None  # the graph of what could be built, when there is one
        errors = [d for d in diagnostics if d.severity == ERROR]
        first = errors[0] if errors else (diagnostics[0] if diagnostics else None)
        summary = f"{first.code}: {first.message}" if first else "spec has errors"
        super().__init__(f"{len(errors)} error(s); first: {summary}")

    def render(self, color: bool | None = None) -> str:
        return render_all(self.diagnostics, self.source, self.sources, color)

    def to_json(self) -> list[dict]:
        return [to_json(d, self.source, self.sources) for d in self.diagnostics]


def error(
    code: ErrorCode,
    message: str,
    span: Span | None = None,
    help: str | None = None,
    notes: Iterable[Note] = (),
) -> Diagnostic:
    return Diagnostic(ERROR, code, message, span, help, tuple(notes))


def warning(
    code: ErrorCode,
    message: str,
    span: Span | None = None,
    help: str | None = None,
    notes: Iterable[Note] = (),
) -> Diagnostic:
    return Diagnostic(WARNING, code, message, span, help, tuple(notes))


def did_you_mean(word: str, candidates: Iterable[str], n: int = 3, as_names: bool = False) -> str | None:
    """A `help:` text suggesting the closest candidates, or None.

    Only candidates about as close as the best one are named, so a clear typo
    gets one suggestion and a real tie gets several. A candidate that differs
    only by look-alike letters of another script is named with the letter
    that differs. Bounded work however many names and lookups (names.py).
    `as_names`: the candidates are names the user will write in the spec (a
    label column for an output): one that is not an identifier is shown in
    the quotes the spec needs.
    """
    matches = index_of(candidates).closest(word, n)
    if not matches:
        return None
    if as_names and any(written(m) != m for m in matches):
        shown = " or ".join(written(m) if written(m) != m else f"'{m}'" for m in matches)
        return f"did you mean {shown}? (a name that is not an identifier is written in quotes)"
    text = "did you mean " + " or ".join(f"'{m}'" for m in matches) + "?"
    why = script_difference(word, matches[0])
    return f"{text} ('{word}' {why})" if why else text


def describe_char(ch: str) -> str:
    """A character as a message shows it: quoted when printable, else by code
    point (a control character must not reach the terminal; a combining mark
    alone would sit on the quote before it)."""
    if unicodedata.category(ch).startswith("M"):
        return f"U+{ord(ch):04X} ({unicodedata.name(ch, 'a combining mark').lower()})"
    return repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}"


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sorted by position, duplicates dropped (mypy's errors.py does the same)."""
    seen = set()
    out = []
    for d in sorted(diagnostics, key=Diagnostic.sort_key):
        key = (d.severity, d.code, d.message, d.span)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity == ERROR for d in diagnostics)


def _file_of(span: Span | None, source: Source | None, sources) -> Source | None:
    if span is not None and sources and 0 < span.file < len(sources):
        return sources[span.file]
    return source


# ---- the text form ---------------------------------------------------------------

MAX_SHOWN = 100  # characters of a source line shown around a span; longer lines are cut
_CONTEXT = 30  # characters shown before the span when a line is cut
_BOLD, _RESET = "\x1b[1m", "\x1b[0m"
_COLORS = {ERROR: "\x1b[1;31m", WARNING: "\x1b[1;33m", "note": "\x1b[1;34m", "help": "\x1b[1;36m"}
_color_default = False


def set_color(enabled: bool) -> None:
    """Colour diagnostics by default (the CLI: on a terminal, unless NO_COLOR or --color never)."""
    global _color_default
    _color_default = enabled


def printable(text: str) -> str:
    """Text safe to show on a terminal: non-printable characters escaped
    (`\\x1b`, `\\u200b`; a byte a file name could not decode as `\\xff`), tabs kept."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == "\t" else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for an undecodable byte
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _paint(text: str, style: str, color: bool) -> str:
    return f"{_COLORS.get(style, style)}{text}{_RESET}" if color else text


def render(d: Diagnostic, source: Source | None, sources=None, color: bool | None = None) -> str:
    """The text form: `FILE:LINE:COL: error[CODE]: message`, the line, a caret, help.

    With `color` (default: set_color's), ANSI colours: the severity and the
    caret in red (error) or yellow (warning), notes blue, help cyan."""
    color = _color_default if color is None else color
    src = _file_of(d.span, source, sources)
    name = printable(src.name) if src else "<input>"
    where = f"{name}:{d.span.line}:{d.span.column}" if d.span else name
    head = _paint(f"{d.severity}[{d.code}]", d.severity, color)
    lines = [f"{_paint(where, _BOLD, color)}: {head}: {printable(d.message)}"]
    if d.span and src is not None:
        lines.extend(_excerpt(src, d.span, _COLORS.get(d.severity, "") if color else ""))
    for note in d.notes:
        at_src = _file_of(note.span, source, sources)
        at_name = printable(at_src.name) if at_src else name
        at = f" (at {at_name}:{note.span.line}:{note.span.column})" if note.span else ""
        lines.append(f"  {_paint('note:', 'note', color)} {printable(note.message)}{at}")
    if d.help:
        lines.append(f"  {_paint('help:', 'help', color)} {printable(d.help)}")
    return "\n".join(lines)


def render_all(
    diagnostics: Iterable[Diagnostic], source: Source | None, sources=None, color: bool | None = None
) -> str:
    return "\n".join(render(d, source, sources, color) for d in diagnostics)


def _excerpt(source: Source, span: Span, paint: str = "") -> list[str]:
    """The span's source line and a caret line under the span (`paint`: the
    caret's colour code, "" for none). A long line is cut around the span,
    with '…' where text is left out; non-printable characters are escaped."""
    if span.line > source.line_count:
        return []
    text = source.line_text(span.line)
    start = min(max(span.column - 1, 0), len(text))
    end = span.end_column - 1 if span.end_line == span.line else len(text)
    end = max(end, start + 1)
    first = 0 if len(text) <= MAX_SHOWN else max(0, min(start - _CONTEXT, len(text) - MAX_SHOWN))
    last = min(len(text), first + MAX_SHOWN)
    shown, lead, marker = [], [], 0
    for k in range(first, last):
        piece = _shown(text[k], text[k - 1] if k else "")
        shown.append(piece)
        if k < start:
            lead.append(piece if piece == "\t" else " " * _width(piece))
        elif k < end:
            marker += _width(piece)
    if first:
        shown.insert(0, "…")
        lead.insert(0, " ")
    if last < len(text):
        shown.append("…")
    marker = max(marker, 1)
    caret = "^" + "~" * (marker - 1)
    if paint:
        caret = f"{paint}{caret}{_RESET}"
    gutter = str(span.line)
    return [f" {gutter} | {''.join(shown)}", f" {' ' * len(gutter)} | {''.join(lead)}{caret}"]


def _shown(ch: str, before: str) -> str:
    if unicodedata.combining(ch) and not (before.isalnum() or unicodedata.combining(before)):
        return _escape(ch)  # a bare combining mark would sit on the character before it
    return ch if ch.isprintable() or ch == "\t" else _escape(ch)


def _width(piece: str) -> int:
    """Columns a piece of shown text takes on a terminal (wide East Asian letters: 2)."""
    if len(piece) != 1:
        return len(piece)
    if unicodedata.combining(piece):
        return 0
    return 2 if unicodedata.east_asian_width(piece) in ("W", "F") else 1


def to_json(d: Diagnostic, source: Source | None, sources=None) -> dict:
    span = d.span
    src = _file_of(span, source, sources)
    return {
        "severity": d.severity,
        "code": d.code,
        "message": d.message,
        "file": src.name if src else None,
        "line": span.line if span else None,
        "column": span.column if span else None,
        "end_line": span.end_line if span else None,
        "end_column": span.end_column if span else None,
        "help": d.help,
        "notes": [
            {
                "message": n.message,
                "line": n.span.line if n.span else None,
                "column": n.span.column if n.span else None,
            }
            for n in d.notes
        ],
    }
