"""The error corpus: broken specs whose expected diagnostics are written inline.

Every ``tests/errors/*.net`` is a small broken spec. Beside the offending
lines it carries *markers*, comments in the manner of mypy's ``# E:``, that
say exactly which diagnostics netdsl must report (``#`` starts a comment in
netdsl, so markers never change the spec):

``# E:COL CODE message``
    at the end of a line: an error on THIS line, at column COL, with that
    code and exactly that message text.
``# W:COL CODE message``
    the same for a warning.
``# E@LINE:COL CODE message`` / ``# W@LINE:COL CODE message``
    anywhere (usually on a line of its own): a diagnostic on line LINE.
    Needed for "unexpected end of file", for errors at the end of a line
    (a comment would move them, see below) and for lines that cannot carry
    a comment. ``E@0:0`` would mean a diagnostic without a position.
``# E@FILE:LINE:COL CODE message``
    a diagnostic located in another file: a data file (``# data:``), named
    as netdsl names it (the path relative to the spec).
``# H:COL help text`` / ``# H@LINE:COL help text``
    optional: the diagnostic at that position has exactly this ``help:``.
    Help is only checked where such a marker is written (the did-you-means,
    the hints that are the point of a file).

Several markers may share one line: ``x  # E:5 ND101 ... # E:9 ND101 ...``.
A marker's text runs to the next marker or to the end of the line. LINE and
COL count from 1; COL counts characters (code points), as netdsl does, so a
Hangul syllable or a tab is one column. A line ``# data: data/FILE.csv``
(relative to the spec) checks the spec with that CSV, as
``netdsl compile --data`` does.

Each file is run through netdsl's front end in-process (``netdsl.data.spec.checked``,
what ``netdsl check`` runs) and the list of (line, column, severity, code,
message) of its diagnostics must equal the markers' list exactly. Every file
must also have at least one error, and no exception other than SpecError may
escape. ``tests/errors/warnings/`` holds the specs whose only diagnostics are
warnings; ``tests/errors/valid/`` specs that must load with no diagnostic at
all (controls).

Where the markers go matters for diagnostics placed *after* a comment: the
"unexpected end of line" of a statement cut short points at the newline after
any comment (on its line or on the comment lines that follow it), and "end of
file" is the end of the last comment. Markers for those go on lines of their
own *before* the broken line (at the top of the file); the runner fails when a
diagnostic points into the markers of its own line.

Known bugs: a file whose markers say what netdsl *should* report but does
not is listed in KNOWN_BAD with the reason, and its test is xfail(strict=True)
so that fixing netdsl makes the test pass loudly (then drop the entry).

Update mode: ``NETDSL_UPDATE_GOLDENS=1 pytest tests/test_error_corpus.py``
rewrites the E/W markers of every file (except KNOWN_BAD ones) from what
netdsl reports now, and the text of the H markers that already exist; review
the diff before committing. An E/W marker goes inline when it points at a
character of its line's code, and to the file's marker block (its first run
of marker-only lines; a new one goes after the opening comment lines)
otherwise; H markers always go to the block.
Running it twice changes nothing.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import netdsl
from conftest import run_cli
from netdsl.data.spec import checked
from netdsl.lang.diagnostics import SpecError
from netdsl.lang.source import read_source

ERRORS = Path(__file__).resolve().parent / "errors"
WARNINGS = ERRORS / "warnings"
VALID = ERRORS / "valid"
UPDATE = os.environ.get("NETDSL_UPDATE_GOLDENS") == "1"

# file stem -> what netdsl gets wrong (the file's markers say what is right).
KNOWN_BAD: dict[str, str] = {}

_MARK = re.compile(
    r"#[ \t]*(?P<kind>[EWH])(?:@(?:(?P<file>[^\s:@]+):)?(?P<line>\d+))?:(?P<col>\d+)(?=[ \t]|$)"
)
_BODY = re.compile(r"(?P<code>ND\d{3})[ \t]+(?P<message>.*\S)")
_DATA = re.compile(r"^[ \t]*#[ \t]*data:[ \t]*(?P<path>\S+)[ \t]*$")
_SEVERITY = {"E": "error", "W": "warning"}


@dataclass(frozen=True)
class Marker:
    kind: str  # E, W or H
    line: int
    col: int
    text: str  # "CODE message" for E/W, the help for H
    at: int  # the physical line the marker is written on
    inline: bool  # written on the line it is about
    file: str = ""  # "" for the spec itself, else the other file's name


@dataclass
class Spec:
    path: Path
    lines: list[str]  # without line ends
    newline: str  # "\n" or "\r\n"
    bom: bool
    code: list[str]  # each line without its markers, right-stripped
    markers: list[Marker]
    data: str | None  # the `# data:` path, relative to the spec

    def expected(self) -> list[tuple]:
        out = []
        for m in self.markers:
            if m.kind == "H":
                continue
            body = _BODY.fullmatch(m.text)
            assert body, f"{self.path.name}:{m.at}: bad marker text {m.text!r} (want 'CODE message')"
            out.append((m.file, m.line, m.col, _SEVERITY[m.kind], body["code"], body["message"]))
        return sorted(out)

    def helps(self) -> dict[tuple[int, int], str]:
        return {(m.file, m.line, m.col): m.text for m in self.markers if m.kind == "H"}


def read_spec(path: Path) -> Spec:
    raw = path.read_bytes().decode("utf-8")
    bom = raw.startswith("\ufeff")
    text = raw[1:] if bom else raw
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    code, markers, data = [], [], None
    for number, line in enumerate(lines, start=1):
        found = list(_MARK.finditer(line))
        code.append((line[: found[0].start()] if found else line).rstrip())
        for i, m in enumerate(found):
            end = found[i + 1].start() if i + 1 < len(found) else len(line)
            text = line[m.end() : end].strip()
            assert text, f"{path.name}:{number}: marker without text"
            target = int(m["line"]) if m["line"] is not None else number
            markers.append(
                Marker(m["kind"], target, int(m["col"]), text, number, m["line"] is None, m["file"] or "")
            )
        d = _DATA.match(line)
        if d:
            data = d["path"]
    return Spec(path, lines, newline, bom, code, markers, data)


def run_front_end(spec: Spec, monkeypatch) -> list:
    """Every diagnostic of the file, as `netdsl check` (or `compile --data`) sees it,
    each as (file, diagnostic): file "" for the spec, else the other file's name.

    Runs from the spec's directory so that data paths in messages are the
    relative paths written in the spec.
    """
    monkeypatch.chdir(spec.path.parent)
    data = spec.data
    if data is not None:
        assert (spec.path.parent / data).is_file(), f"{spec.path.name}: no data file {data}"
    try:
        g = checked(read_source(spec.path.name), data, False, compiling=data is not None)
    except SpecError as exc:
        diags, sources = list(exc.diagnostics), exc.sources
    except Exception as exc:  # noqa: BLE001 - the point is that nothing else escapes
        pytest.fail(f"{spec.path.name}: {type(exc).__name__} escaped instead of a SpecError: {exc}")
    else:
        net = netdsl.network(g)
        diags, sources = list(net.diagnostics), net.sources
    return [(sources[d.span.file].name if d.span and d.span.file else "", d) for d in diags]


def _pos(item) -> tuple[str, int, int]:
    file, d = item
    return (file, d.span.line, d.span.column) if d.span else (file, 0, 0)


def actual_of(diags) -> list[tuple]:
    return sorted((*_pos(item), item[1].severity, item[1].code, item[1].message) for item in diags)


def _where(file: str, line: int, col: int) -> str:
    return f"{file}:{line}:{col}" if file else f"{line}:{col}"


def _fmt(items) -> str:
    return (
        "\n".join(f"  {_where(f, line, col)} {sev} {code} {msg}" for f, line, col, sev, code, msg in items)
        or "  (none)"
    )


def check_spec(path: Path, monkeypatch, want_errors: bool | None) -> None:
    """want_errors: True (the corpus), False (warnings only), None (valid: nothing at all)."""
    spec = read_spec(path)
    diags = run_front_end(spec, monkeypatch)
    if UPDATE and path.stem not in KNOWN_BAD and want_errors is not None:
        update_markers(spec, monkeypatch)
        spec = read_spec(path)
        diags = run_front_end(spec, monkeypatch)
    for file, d in diags:
        line = d.span.line if d.span else 0
        if (
            not file
            and 1 <= line <= len(spec.lines)
            and d.span.column > len(spec.code[line - 1]) + 1
            and any(m.at == line for m in spec.markers)
        ):
            pytest.fail(
                f"{path.name}:{line}:{d.span.column}: {d.code} points into the markers "
                f"of its own line, so the markers move it; write them before that line"
            )
    actual, expected = actual_of(diags), spec.expected()
    assert actual == expected, (
        f"{path.name}: diagnostics differ from the markers\n"
        f"netdsl reports:\n{_fmt(actual)}\nthe markers say:\n{_fmt(expected)}"
    )
    for where, want in spec.helps().items():
        got = [item[1].help for item in diags if _pos(item) == where]
        assert got, f"{path.name}: an H marker at {_where(*where)} but no diagnostic there"
        assert want in got, f"{path.name}:{_where(*where)}: help is {got!r}, the marker says {want!r}"
    errors = [d for _, d in diags if d.severity == "error"]
    if want_errors is True:
        assert errors, f"{path.name} has no error: it is not a broken spec"
    elif want_errors is False:
        assert not errors and diags, f"{path.name} should have warnings and no error"
    else:
        assert not diags, f"{path.name} should load cleanly"


# ---- update mode -------------------------------------------------------------


def _marker_text(kind: str, file: str, line: int, col: int, text: str, inline: bool) -> str:
    return f"# {kind}:{col} {text}" if inline else f"# {kind}@{_where(file, line, col)} {text}"


def _render(spec: Spec, diags) -> str:
    """The file's text with markers rewritten from `diags`."""
    code = spec.code
    old_helps = spec.helps()
    entries = []  # (file, line, col, kind, text)
    for file, line, col, sev, dcode, msg in actual_of(diags):
        entries.append((file, line, col, "E" if sev == "error" else "W", f"{dcode} {msg}"))
        where = (file, line, col)
        if where in old_helps:
            helps = [item[1].help for item in diags if _pos(item) == where and item[1].help]
            if helps:
                old_helps.pop(where)
                entries.append((file, line, col, "H", helps[0]))
    # An H marker whose diagnostic is gone stays as it is: the test then fails
    # and a person decides.
    for (file, line, col), text in old_helps.items():
        entries.append((file, line, col, "H", text))
    inline: dict[int, list[str]] = {}
    block: list[str] = []
    for file, line, col, kind, text in entries:
        own = code[line - 1] if 1 <= line <= len(code) and not file else ""
        if kind != "H" and own.strip() and not own.lstrip().startswith("#") and col <= len(own):
            inline.setdefault(line, []).append(_marker_text(kind, file, line, col, text, True))
        else:
            block.append(_marker_text(kind, file, line, col, text, False))
    marker_only = [i for i, c in enumerate(code) if c == "" and any(m.at == i + 1 for m in spec.markers)]
    out: list[str] = []
    placed = False
    first_run = set()
    if marker_only:
        i = marker_only[0]
        while i < len(code) and code[i] == "" and any(m.at == i + 1 for m in spec.markers):
            first_run.add(i)
            i += 1
    # A new block goes after the file's opening comment lines, before any code:
    # at the end it would move "unexpected end of file", and after a statement
    # cut short at the end of its line it would move "unexpected end of line".
    head = 0
    while head < len(code) and code[head].startswith("#"):
        head += 1
    for i, c in enumerate(code):
        if block and not placed and not first_run and i == head:
            out.extend(block)
            placed = True
        if i in marker_only:
            if i in first_run and not placed:
                out.extend(block)
                placed = True
            continue
        marks = inline.get(i + 1)
        out.append(c + "  " + " ".join(marks) if marks else c)
    if block and not placed:
        out.extend(block)
    text = spec.newline.join(out) + spec.newline
    return ("\ufeff" if spec.bom else "") + text


def update_markers(spec: Spec, monkeypatch) -> None:
    """Rewrite the markers until they describe the file they are in (a fixpoint)."""
    path = spec.path
    for _ in range(6):
        spec = read_spec(path)
        new = _render(spec, run_front_end(spec, monkeypatch))
        old = path.read_bytes().decode("utf-8")
        if new == old:
            return
        path.write_bytes(new.encode("utf-8"))
    pytest.fail(
        f"{path.name}: markers do not settle; place the marker block by hand "
        f"(before the broken line when a diagnostic points at an end of line or of file)"
    )


# ---- the tests -----------------------------------------------------------------


def _params(folder: Path, bad: dict[str, str]):
    params = []
    for path in sorted(folder.glob("*.net")):
        marks = [pytest.mark.xfail(strict=True, reason=bad[path.stem])] if path.stem in bad else []
        params.append(pytest.param(path, marks=marks, id=path.stem))
    return params


CORPUS = _params(ERRORS, KNOWN_BAD)


def test_corpus_is_big_enough_and_known_bad_is_current():
    assert len(CORPUS) >= 70
    stems = {p.stem for p in ERRORS.glob("*.net")}
    assert set(KNOWN_BAD) <= stems, f"KNOWN_BAD names missing files: {set(KNOWN_BAD) - stems}"


@pytest.mark.parametrize("path", CORPUS)
def test_broken_spec(path, monkeypatch):
    check_spec(path, monkeypatch, want_errors=True)


@pytest.mark.parametrize("path", _params(WARNINGS, {}))
def test_spec_with_warnings_only(path, monkeypatch):
    check_spec(path, monkeypatch, want_errors=False)


@pytest.mark.parametrize("path", _params(VALID, {}))
def test_valid_control_loads_cleanly(path, monkeypatch):
    check_spec(path, monkeypatch, want_errors=None)


def test_korean_control_is_a_real_network(monkeypatch):
    monkeypatch.chdir(VALID)
    g = netdsl.load("korean_iris.net")
    assert netdsl.network(g).outputs == ["품종"]
    assert netdsl.node(g, "받침_select_1").features == ("꽃받침_길이", "꽃받침_너비")
    assert netdsl.node(g, "품종").shape == (3,)


def test_line_end_and_bom_files_are_what_they_claim():
    """The CRLF and BOM cases are only tests if the bytes survive checkout."""
    crlf = sorted(ERRORS.glob("crlf_*.net")) + sorted(ERRORS.glob("bom_crlf_*.net"))
    bom = sorted(ERRORS.glob("bom_*.net"))
    assert crlf and bom
    for path in crlf:
        data = path.read_bytes()
        assert data.count(b"\r\n") == data.count(b"\n") > 0, f"{path.name} is not CRLF throughout"
    for path in bom:
        assert path.read_bytes().startswith(b"\xef\xbb\xbf"), f"{path.name} has no UTF-8 BOM"


_HEADER = re.compile(
    r"^(?P<file>[^\n]+?):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning)"
    r"\[(?P<code>ND\d{3})\]: (?P<msg>.*)$"
)

CLI_FILES = [
    "syntax_missing_paren",
    "undefined_name_did_you_mean",
    "korean_undefined_name",
    "crlf_several_errors",
    "bom_error_on_first_line",
    "compile_several_errors",
]


@pytest.mark.parametrize("stem", CLI_FILES)
def test_cli_headers_match_the_markers(stem):
    path = ERRORS / f"{stem}.net"
    r = run_cli("check", path.name, cwd=ERRORS, timeout=60)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    headers = [m for m in map(_HEADER.match, r.stderr.splitlines()) if m]
    assert {m["file"] for m in headers} == {path.name}
    got = sorted(("", int(m["line"]), int(m["col"]), m["sev"], m["code"], m["msg"]) for m in headers)
    assert got == read_spec(path).expected()
    assert r.stderr.rstrip().splitlines()[-1].startswith(f"netdsl: {path.name}: ")
