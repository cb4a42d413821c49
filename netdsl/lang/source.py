"""Source text and spans: where a thing stands in a spec file."""

from __future__ import annotations

import bisect
import os
import re
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from ..io import InputFileError
from ..records import Frozen


class Span(NamedTuple):
    """A region of a source file; lines and columns count from 1, end is exclusive.

    A NamedTuple rather than a frozen dataclass: the parser makes one per
    token, and tuple construction is several times cheaper.
    """

    line: int
    column: int
    end_line: int
    end_column: int
    file: int = 0  # 0: the spec itself; k: the k-th imported file (graph["sources"])

    @classmethod
    def point(cls, line: int, column: int) -> Span:
        return cls(line, column, line, column + 1)

    def to(self, other: Span) -> Span:
        return Span(self[0], self[1], other[2], other[3], self[4])

    def contains(self, other: Span) -> bool:
        return (
            self[4] == other[4]
            and (self[0], self[1]) <= (other[0], other[1])
            and (other[2], other[3]) <= (self[2], self[3])
        )

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


_LONE_CR = re.compile(r"\r(?!\n)")


@dataclass(frozen=True, eq=False, repr=False)
class Source(Frozen):
    """The text of one spec file, with its name as the user gave it.

    Line ends may be LF, CRLF or a lone CR (old Mac files): a lone CR is
    read as LF, so that lines and columns are the ones an editor shows.
    """

    name: str
    text: str

    def __post_init__(self) -> None:
        if "\r" in self.text:
            object.__setattr__(self, "text", _LONE_CR.sub("\n", self.text))

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> Source:
        """Decode a file: UTF-8 (a BOM is dropped), CRLF accepted.

        Raises UnicodeDecodeError for other encodings; the caller reports it.
        """
        text = data.decode("utf-8")
        if text.startswith("\ufeff"):
            text = text[1:]
        return cls(name, text)

    @cached_property
    def _line_starts(self) -> list[int]:
        starts = [0]
        find = self.text.find
        i = find("\n")
        while i >= 0:
            starts.append(i + 1)
            i = find("\n", i + 1)
        return starts

    @property
    def line_count(self) -> int:
        return len(self._line_starts)

    def line_text(self, line: int) -> str:
        starts = self._line_starts
        if not 1 <= line <= len(starts):
            return ""
        start = starts[line - 1]
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        return self.text[start:end].rstrip("\r")

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column) of a character offset."""
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return index + 1, offset - self._line_starts[index] + 1

    def end_span(self) -> Span:
        """A one-character span just past the last non-blank character."""
        stripped = self.text.rstrip()
        line, column = self.position(len(stripped))
        return Span.point(line, column)


MAX_SPEC_BYTES = 8 << 20  # a 50,000-layer spec is about 1 MiB


def read_source(path: str) -> Source:
    return decode_source(path, read_spec_bytes(path))


def read_spec_bytes(path: str) -> bytes:
    """A spec file's bytes, read once, at most MAX_SPEC_BYTES; InputFileError if not."""
    if os.path.isdir(path):
        raise InputFileError(f"{path}: is a directory, not a spec file")
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_SPEC_BYTES + 1)
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_SPEC_BYTES:
        raise InputFileError(f"{path}: larger than {MAX_SPEC_BYTES >> 20} MiB; is it a spec file?")
    return data


def decode_source(name: str, data: bytes) -> Source:
    """A spec's bytes as its Source; InputFileError if they are not UTF-8."""
    try:
        return Source.from_bytes(name, data)
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{name}: not UTF-8 text (invalid byte at offset {exc.start})") from None
