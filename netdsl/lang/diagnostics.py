"""Diagnostics: what is wrong with a spec, where, and how to fix it.

Every diagnostic has a stable code. The table below is the one place the codes
are declared; `netdsl explain CODE` and the docs read it.
"""

from __future__ import annotations

import dataclasses
import difflib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from .codes import ErrorCode
from .source import Source, Span

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Note:
    message: str
    span: Span | None = None


@dataclass(frozen=True)
class Diagnostic:
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
        errors = [d for d in diagnostics if d.severity == ERROR]
        first = errors[0] if errors else (diagnostics[0] if diagnostics else None)
        summary = f"{first.code}: {first.message}" if first else "spec has errors"
        super().__init__(f"{len(errors)} error(s); first: {summary}")

    def render(self) -> str:
        return render_all(self.diagnostics, self.source, self.sources)

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


def did_you_mean(word: str, candidates: Iterable[str], n: int = 3) -> str | None:
    """A `help:` text suggesting the closest candidates, or None.

    Only candidates about as close as the best one are named, so a clear typo
    gets one suggestion and a real tie gets several.
    """
    scored = []
    key = _comparable(word)
    for c in set(candidates):
        matcher = difflib.SequenceMatcher(None, key, _comparable(c))
        if matcher.real_quick_ratio() >= 0.6 and matcher.quick_ratio() >= 0.6:
            ratio = matcher.ratio()
            if ratio >= 0.6:
                scored.append((-ratio, c))
    if not scored:
        return None
    scored.sort()
    best = -scored[0][0]
    matches = [c for r, c in scored if -r >= best - 0.08][:n]
    return "did you mean " + " or ".join(f"'{m}'" for m in matches) + "?"


def describe_char(ch: str) -> str:
    """A character as a message shows it: quoted when printable, else by code
    point (a control character must not reach the terminal; a combining mark
    alone would sit on the quote before it)."""
    if unicodedata.category(ch).startswith("M"):
        return f"U+{ord(ch):04X} ({unicodedata.name(ch, 'a combining mark').lower()})"
    return repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}"


def _comparable(name: str) -> str:
    """Lower case, and Hangul syllables split into their letters (NFD), so that
    a one-letter typo in a two-syllable Korean name is still a near miss."""
    return unicodedata.normalize("NFD", name.lower())


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


def render(d: Diagnostic, source: Source | None, sources=None) -> str:
    """The text form: `FILE:LINE:COL: error[CODE]: message`, the line, a caret, help."""
    src = _file_of(d.span, source, sources)
    name = src.name if src else "<input>"
    where = f"{name}:{d.span.line}:{d.span.column}" if d.span else name
    lines = [f"{where}: {d.severity}[{d.code}]: {d.message}"]
    if d.span and src is not None:
        lines.extend(_excerpt(src, d.span))
    for note in d.notes:
        at_src = _file_of(note.span, source, sources)
        at = (
            f" (at {at_src.name if at_src else name}:{note.span.line}:{note.span.column})"
            if note.span
            else ""
        )
        lines.append(f"  note: {note.message}{at}")
    if d.help:
        lines.append(f"  help: {d.help}")
    return "\n".join(lines)


def render_all(diagnostics: Iterable[Diagnostic], source: Source | None, sources=None) -> str:
    return "\n".join(render(d, source, sources) for d in diagnostics)


def _excerpt(source: Source, span: Span) -> list[str]:
    text = source.line_text(span.line)
    if not text and span.line > len(source.text.splitlines()) + 1:
        return []
    gutter = str(span.line)
    pad = " " * len(gutter)
    start = max(span.column - 1, 0)
    if span.end_line == span.line:
        width = max(span.end_column - span.column, 1)
    else:
        width = max(len(text) - start, 1)
    # Tabs keep their width so the caret lines up under the right character.
    lead = "".join(ch if ch == "\t" else " " for ch in text[:start])
    marker = "^" + "~" * (width - 1)
    return [f" {gutter} | {text}", f" {pad} | {lead}{marker}"]


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
