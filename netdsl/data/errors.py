"""The data stage's error: a file that cannot be used, located in that file.
Light on purpose: the commands that only read data (predict) import it
without the front end."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lang import codes

if TYPE_CHECKING:
    from ..lang.diagnostics import Diagnostic, SpecError
    from ..lang.source import Source


class DataError(Exception):
    """A data file that cannot be used, located in that file.

    str() is "PATH:LINE: message" (or "PATH: message" for the whole file);
    diagnostic() is the same as a Diagnostic pointing into the file (its
    code, line, the cell's column and width, `help` when a fix is known).
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        code=codes.BAD_DATA_FILE,
        line: int | None = None,
        column: int = 1,
        width: int = 1,
        text: str = "",
        help: str | None = None,
    ):
        where = f"{path}:{line}: " if path and line else f"{path}: " if path else ""
        super().__init__(where + message)
        self.path, self.message, self.code, self.help = path, message, code, help
        self.line, self.column, self.width = line, column, width
        self.text = text  # the file's text up to the line (or all of it): for the excerpt

    def diagnostic(self, sources: list[Source]) -> Diagnostic:
        """The problem as a diagnostic in the data file, whose Source is added
        to `sources` (the spec's, so that it renders with the spec's); without
        a path (a message made elsewhere), one without a position."""
        from ..lang.diagnostics import error
        from ..lang.source import Source, Span

        if self.path is None:
            return error(self.code, self.message, None, help=self.help)
        line = self.line or 1
        index = next(
            (i for i, s in enumerate(sources) if i and s.name == self.path and s.text == self.text), None
        )
        if index is None:
            sources.append(Source(self.path, self.text))
            index = len(sources) - 1
        span = Span(line, self.column, line, self.column + max(self.width, 1), index)
        return error(self.code, self.message, span, help=self.help)

    def spec_error(self, g=None) -> SpecError:
        """The problem as a SpecError: with the spec's sources when `g` is given."""
        from ..ir.core import network
        from ..lang.diagnostics import SpecError

        net = network(g) if g is not None else None
        sources = list(net.sources or [net.source]) if net is not None else []
        diag = self.diagnostic(sources)
        return SpecError([diag], sources[0] if sources else None, sources)


def cell_position(line: str, j: int) -> tuple[int, int]:
    """(column, width) of the j-th cell of a CSV line, quotes respected;
    (1, len) when the line has fewer cells (the rest is on later lines)."""
    start, quoted, k = 0, False, 0
    for pos, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            if k == j:
                return start + 1, max(pos - start, 1)
            k, start = k + 1, pos + 1
    if k == j:
        return start + 1, max(len(line) - start, 1)
    return 1, max(len(line), 1)


def file_line(path: str, line: int) -> str:
    """The text of one line of a file (read only when an error is reported)."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        for number, text in enumerate(fh, 1):
            if number == line:
                return text.rstrip("\r\n")
    return ""


def located(
    path: str,
    message: str,
    line: int | None = None,
    *,
    cell: int | None = None,
    code=codes.BAD_DATA_FILE,
    help: str | None = None,
    column: int | None = None,
) -> DataError:
    """A DataError at a line of a file (its cell `cell`, or column `column`), with the line's text."""
    if line is None:
        return DataError(message, path=path, code=code, help=help)
    try:
        text = file_line(path, line)
    except OSError:
        text = ""
    start, width = cell_position(text, cell) if cell is not None else (column or 1, 1)
    return DataError(
        message,
        path=path,
        code=code,
        line=line,
        column=start,
        width=width,
        text="\n" * (line - 1) + text,
        help=help,
    )
