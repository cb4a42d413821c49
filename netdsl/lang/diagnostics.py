"""Diagnostics: what is wrong with a spec, where, and how to fix it.

Every diagnostic has a stable code. The table below is the one place the codes
are declared; `netdsl explain CODE` and the docs read it.
"""

from __future__ import annotations

import dataclasses
import difflib
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable

from .source import Source, Span

ERROR = "error"
WARNING = "warning"

# code -> one line of explanation
CODES: dict[str, str] = {
    # syntax
    "ND001": "A character that cannot start any token of the language.",
    "ND002": "A token where the grammar does not allow it.",
    "ND003": "The file ends in the middle of a statement.",
    "ND004": "An opening bracket that is never closed.",
    "ND005": "A closing bracket with no opening bracket before it.",
    "ND006": "A keyword (network, input, output, compile) used as a name.",
    # names and structure
    "ND101": "A name that is used but never defined.",
    "ND102": "A name defined twice.",
    "ND103": "Layers that feed into themselves (a cycle).",
    "ND104": "The spec declares no output.",
    "ND105": "An input or layer whose value nothing uses (warning).",
    "ND106": "More than one `network` line, or a misplaced one.",
    "ND107": "An input declared with something other than a width or a feature list.",
    # blocks and imports
    "ND110": "A block that uses itself, directly or through other blocks.",
    "ND112": "A block without exactly one return, or names that do not match a block's outputs.",
    "ND113": "An import that cannot be resolved: no such file or block, a cycle, or a path outside the spec's directory.",
    "ND114": "An imported file that holds more than blocks and imports.",
    # ops and arguments
    "ND201": "An op that the registry does not know.",
    "ND202": "An op given the wrong number of inputs.",
    "ND203": "A required argument is missing.",
    "ND204": "An argument the op does not take.",
    "ND205": "An argument of the wrong type.",
    "ND206": "A numeric argument outside its allowed range.",
    "ND207": "An unknown activation function.",
    "ND208": "The same argument given twice.",
    "ND209": "More positional arguments than the op takes.",
    "ND210": "A repetition count (`* n`) that is not a positive integer, or on a non-layer.",
    "ND211": "A value where a layer or a name was expected.",
    # shapes
    "ND301": "add() operands whose shapes differ.",
    "ND302": "concat() operands that disagree on an axis other than the last.",
    "ND303": "standardize mean/variance that do not match the width of its input.",
    # feature selection
    "ND401": "A selected feature the input does not have.",
    "ND402": "A selected index outside the input's width.",
    "ND403": "A selection that selects nothing.",
    "ND404": "A feature selected twice.",
    "ND405": "Selection by feature name from a value that has no feature names.",
    # compile section
    "ND501": "An unknown loss.",
    "ND502": "An unknown optimizer.",
    "ND503": "An argument the optimizer does not take, or a bad value for it.",
    "ND504": "An unknown metric.",
    "ND505": "A per-output setting for an output that does not exist.",
    "ND506": "An output with no loss when losses are given per output.",
    "ND507": "A compile setting that does not exist, or one given twice.",
    "ND508": "More than one compile (or train) line.",
    "ND509": "A train setting that does not exist, or a bad value for one.",
    "ND510": "Training a spec whose compile line gives no loss.",
    # data
    "ND601": "A standardize layer with neither mean/variance nor data to adapt on.",
    "ND602": "A feature that the data file has no column for.",
    "ND603": "A data file that cannot be used (unreadable, empty, not numeric).",
    "ND604": "A standardize layer whose input cannot be computed from named data columns.",
    "ND605": "An output with no column of its name in the data.",
    "ND606": "An input without feature names, not bound to columns with --columns.",
    "ND607": "A label column that does not fit its output and loss (classes, values).",
    "ND608": "Too few rows (or rows of a class) for the train/test split.",
    # limits
    "ND901": "A size beyond netdsl's limits (units, width, parameters, layers).",
}


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
    node: str | None = field(default=None, compare=False)   # the layer it is about, if one

    def sort_key(self):
        span = self.span or Span(0, 0, 0, 0)
        return (span.file, span.line, span.column, self.code, self.message)

    def as_error(self) -> "Diagnostic":
        return dataclasses.replace(self, severity=ERROR)


class SpecError(Exception):
    """A spec has errors. Carries every diagnostic, errors and warnings."""

    def __init__(self, diagnostics: list[Diagnostic], source: Source | None = None,
                 sources: list[Source] | None = None):
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


def error(code: str, message: str, span: Span | None = None, help: str | None = None,
          notes: Iterable[Note] = ()) -> Diagnostic:
    return Diagnostic(ERROR, code, message, span, help, tuple(notes))


def warning(code: str, message: str, span: Span | None = None, help: str | None = None,
            notes: Iterable[Note] = ()) -> Diagnostic:
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
        at = f" (at {at_src.name if at_src else name}:{note.span.line}:{note.span.column})" \
            if note.span else ""
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
            {"message": n.message, "line": n.span.line if n.span else None,
             "column": n.span.column if n.span else None}
            for n in d.notes
        ],
    }
