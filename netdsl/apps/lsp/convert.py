"""netdsl's positions and diagnostics in the Language Server Protocol's terms.

netdsl counts lines and columns from 1, in characters (code points); LSP
counts from 0, in the units of the position encoding the client and server
agreed on (UTF-16 unless both prefer another).
"""

from __future__ import annotations

import re

from lsprotocol import types

from ...lang import codes
from ...lang.diagnostics import ERROR, Diagnostic
from ...lang.source import Source, Span

_WIDTH = {
    types.PositionEncodingKind.Utf16: lambda ch: 2 if ord(ch) > 0xFFFF else 1,
    types.PositionEncodingKind.Utf8: lambda ch: len(ch.encode("utf-8")),
    types.PositionEncodingKind.Utf32: lambda ch: 1,
}


class Positions:
    """Converts between netdsl's (line, column) and LSP positions in one text."""

    def __init__(self, source: Source, encoding=types.PositionEncodingKind.Utf16):
        self.source = source
        self._width = _WIDTH.get(encoding, _WIDTH[types.PositionEncodingKind.Utf16])

    def to_lsp(self, line: int, column: int) -> types.Position:
        text = self.source.line_text(line)
        prefix = text[: max(column - 1, 0)]
        units = len(prefix) if prefix.isascii() else sum(self._width(ch) for ch in prefix)
        units += max(column - 1 - len(text), 0)  # a position past the end of the line
        return types.Position(line=max(line - 1, 0), character=units)

    def range(self, span: Span | None) -> types.Range:
        if span is None:
            start = types.Position(line=0, character=0)
            return types.Range(start=start, end=start)
        return types.Range(
            start=self.to_lsp(span.line, span.column), end=self.to_lsp(span.end_line, span.end_column)
        )

    def from_lsp(self, position: types.Position) -> tuple[int, int]:
        """(line, column), both from 1."""
        text = self.source.line_text(position.line + 1)
        if text.isascii():
            return position.line + 1, position.character + 1
        units = 0
        for i, ch in enumerate(text):
            if units >= position.character:
                return position.line + 1, i + 1
            units += self._width(ch)
        return position.line + 1, len(text) + 1 + max(position.character - units, 0)


_UNUSED = {codes.UNUSED_VALUE}
_DID_YOU_MEAN = re.compile(r"did you mean (.*)\?$")
_QUOTED = re.compile(r"'([^']+)'")
_IDENTIFIER = re.compile(r'[^\W\d]\w*|"[^"\n]*"')


def fixes(d: Diagnostic, source: Source) -> list[dict]:
    """Quick fixes a diagnostic's `help:` spells out: each did-you-mean
    candidate replaces the misspelt name; a missing `output` line is added."""
    out: list[dict] = []
    span = d.span
    if span is None or span.file != 0 or not d.help:
        return out
    match = _DID_YOU_MEAN.search(d.help)
    written = (
        source.line_text(span.line)[span.column - 1 : span.end_column - 1]
        if span.line == span.end_line
        else ""
    )
    if match and _IDENTIFIER.fullmatch(written):
        for candidate in _QUOTED.findall(match.group(1)):
            text = f'"{candidate}"' if written.startswith('"') else candidate
            shown = written.strip('"')
            out.append({"title": f"Replace '{shown}' with '{candidate}'", "span": span, "text": text})
    marker = "mark the result as an output: add the line '"
    if marker in d.help:
        line = d.help.split(marker, 1)[1].split("'", 1)[0]
        end = len(source.text.splitlines()) + 1
        prefix = "" if source.text.endswith("\n") or not source.text else "\n"
        out.append({"title": f"Add '{line}'", "span": Span(end, 1, end, 1), "text": prefix + line + "\n"})
    return out


def diagnostic(
    d: Diagnostic, positions: Positions, sources: list[Source], uri_of, imports_span
) -> types.Diagnostic:
    """One netdsl diagnostic as an LSP diagnostic.

    `uri_of(source)` gives a file's URI; `imports_span(k)` where the spec
    imports the k-th file (a problem inside an imported file is shown there,
    with its real place as related information).
    """
    span = d.span
    related: list[types.DiagnosticRelatedInformation] = []
    message = d.message
    if span is not None and span.file:
        where = sources[span.file] if span.file < len(sources) else None
        if where is not None:
            related.append(_related(f"{d.message} (here)", span, where, uri_of))
            message = f"in {where.name}:{span.line}:{span.column}: {d.message}"
        span = imports_span(span.file)
    for note in d.notes:
        src = sources[note.span.file] if note.span is not None and note.span.file < len(sources) else None
        if note.span is None or src is None:
            message += f"\nnote: {note.message}"
        else:
            related.append(_related(note.message, note.span, src, uri_of))
    if d.help:
        message += f"\nhelp: {d.help}"
    source = sources[0]
    data = {
        "help": d.help,
        "fixes": [
            {"title": f["title"], "range": _range_json(positions.range(f["span"])), "newText": f["text"]}
            for f in fixes(d, source)
        ],
    }
    return types.Diagnostic(
        range=positions.range(span),
        message=message,
        severity=types.DiagnosticSeverity.Error if d.severity == ERROR else types.DiagnosticSeverity.Warning,
        code=d.code,
        source="netdsl",
        related_information=related or None,
        tags=[types.DiagnosticTag.Unnecessary] if d.code in _UNUSED else None,
        data=data,
    )


def _related(message: str, span: Span, source: Source, uri_of) -> types.DiagnosticRelatedInformation:
    rng = Positions(source).range(span)
    return types.DiagnosticRelatedInformation(
        location=types.Location(uri=uri_of(source), range=rng), message=message
    )


def _range_json(r: types.Range) -> dict:
    return {
        "start": {"line": r.start.line, "character": r.start.character},
        "end": {"line": r.end.line, "character": r.end.character},
    }
