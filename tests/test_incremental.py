"""The incremental parser gives what the whole-file parser gives: the same
Program, or the same first syntax error, on every example, every error-corpus
file and random edits of them (applied one after another to one parser, so
that statements are reused, shifted and parsed again)."""

from __future__ import annotations

import random

from conftest import EXAMPLES, ROOT
from netdsl.lang.diagnostics import SpecError
from netdsl.lang.incremental import IncrementalParser, chunks
from netdsl.lang.parser import parse
from netdsl.lang.source import Source

SPECS = sorted(EXAMPLES.rglob("*.net")) + sorted((ROOT / "tests" / "errors").rglob("*.net"))
PIECES = list('()[]{}->,=:*#" \n\nxyz12') + ["dense(4)", "-> ", "\n", "add(a, b)", "relu", "\ninput q: 2\n"]


def whole(source: Source):
    try:
        return parse(source), None
    except SpecError as exc:
        return None, exc.diagnostics


def incremental(parser: IncrementalParser, source: Source):
    try:
        return parser.parse(source), None
    except SpecError as exc:
        return None, exc.diagnostics


def test_chunks_cover_the_text():
    for path in SPECS:
        text = path.read_text(encoding="utf-8-sig")
        assert "".join(c for _, c in chunks(text)) == text


def test_same_result_as_the_whole_file_parse_on_every_file():
    for path in SPECS:
        source = Source(str(path), path.read_text(encoding="utf-8-sig"))
        assert incremental(IncrementalParser(), source) == whole(source), path.name


def test_same_result_after_random_edits():
    rng = random.Random(20261129)
    edits = 0
    for path in SPECS[::2]:
        text = path.read_text(encoding="utf-8-sig")
        parser = IncrementalParser()
        for _ in range(15):
            i = rng.randrange(len(text) + 1)
            if rng.random() < 0.5 and text:
                text = text[:i] + text[min(len(text), i + rng.randrange(1, 4)) :]
            else:
                text = text[:i] + rng.choice(PIECES) + text[i:]
            source = Source(str(path), text)
            assert incremental(parser, source) == whole(source), (path.name, text)
            edits += 1
    assert edits > 1000


def test_unchanged_statements_are_reused_and_moved_ones_shifted():
    parser = IncrementalParser()
    first = parser.parse(Source("a.net", "input x: 4\nh = x -> dense(8)\noutput y = h -> dense(1)\n"))
    again = parser.parse(Source("a.net", "input x: 4\nh = x -> dense(8)\noutput y = h -> dense(2)\n"))
    assert again.statements[0] is first.statements[0] and again.statements[1] is first.statements[1]
    moved = parser.parse(Source("a.net", "\n\ninput x: 4\nh = x -> dense(8)\noutput y = h -> dense(2)\n"))
    assert moved.statements[1].span.line == 4 and moved == parse(
        Source("a.net", "\n\n" + "input x: 4\nh = x -> dense(8)\noutput y = h -> dense(2)\n")
    )
