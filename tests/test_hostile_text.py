"""Hostile input to the front end (issue 17, the language's part): many
misspellings, deep imports, huge lines, control characters, encodings,
look-alike names. Each test failed before its fix."""

from __future__ import annotations

import difflib
import os
import random
import sys
from pathlib import Path

import pytest

import netdsl
from conftest import ROOT, run_cli
from netdsl.lang import imports, names
from netdsl.lang.diagnostics import SpecError, did_you_mean
from netdsl.lang.source import Source

KOREAN = ROOT / "tests" / "errors" / "valid" / "korean_iris.net"


def diags_of(text: str, name: str = "t.net"):
    with pytest.raises(SpecError) as info:
        netdsl.loads(text, name)
    return info.value


# ---- 17.2: did-you-mean does bounded work and suggests as well as before -----------


def _brute_force(word: str, candidates, n: int = 3) -> list[str]:
    """The suggestions of the quadratic algorithm netdsl used before (for comparison)."""
    key = names.comparable(word)
    scored = []
    for c in set(candidates):
        m = difflib.SequenceMatcher(None, key, names.comparable(c))
        if m.real_quick_ratio() >= 0.6 and m.quick_ratio() >= 0.6 and m.ratio() >= 0.6:
            scored.append((-m.ratio(), c))
    scored.sort()
    return [c for r, c in scored if -r >= -scored[0][0] - 0.08][:n] if scored else []


def _typo(rng: random.Random, word: str) -> str:
    k = rng.randrange(len(word))
    kind = rng.choice("dsir")
    if kind == "d":
        return word[:k] + word[k + 1 :]
    if kind == "s" and k + 1 < len(word):
        return word[:k] + word[k + 1] + word[k] + word[k + 2 :]
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz_")
    return word[:k] + letter + word[k + (kind == "r") :]


def test_suggestions_among_many_names_match_the_exhaustive_search():
    rng = random.Random(0)
    parts = ["sepal", "petal", "width", "length", "hidden", "tower", "branch", "merge", "dense", "out"]
    pool = {f"{rng.choice(parts)}_{rng.choice(parts)}_{rng.randrange(100)}" for _ in range(3000)}
    index = names.NameIndex(pool)
    words = [_typo(rng, w) for w in rng.sample(sorted(pool), 200)]
    agree = 0
    for w in words:
        exact = _brute_force(w, pool)
        fast = index.closest(w)
        assert bool(fast) == bool(exact), w
        agree += bool(fast) and fast[0] in exact
    assert agree >= 0.95 * len([w for w in words if _brute_force(w, pool)])


def test_did_you_mean_work_is_bounded():
    pool = {f"layer_{i}" for i in range(20_000)}
    index = names.NameIndex(pool)
    for i in range(3_000):
        pool_size = len(index._pool(names.comparable(f"lyer_{i}")))
        assert pool_size <= names.SCAN
        index.closest(f"lyer_{i}")
    # the postings walked stop growing soon after the budget: linear overall
    assert index.work <= names.BUDGET + 10 * len(pool)
    # answered before the budget ran out (and cached): the exhaustive search's best,
    # and as many suggestions (equally close ones may be others: lyer_7 ~ layer_17 ~ layer_70)
    fast, exact = index.closest("lyer_7"), _brute_force("lyer_7", pool)
    assert fast[0] == exact[0] == "layer_7" and len(fast) == len(exact)


def test_a_misspelled_name_used_many_times_is_looked_up_once():
    pool = [f"h{i}" for i in range(500)]
    index = names.index_of(pool)
    assert did_you_mean("h_17", pool) == did_you_mean("h_17", list(reversed(pool)))
    assert ("h_17", 3) in index.answers and names.index_of(set(pool)) is index


# ---- 17.4: a chain of imported files never exhausts the stack ---------------------


@pytest.mark.parametrize("files", [500, 10 * imports.MAX_IMPORT_DEPTH])
def test_a_long_chain_of_imports_is_a_diagnostic(tmp_path, files):
    for k in range(files):
        nxt = f'import "f{k + 1}.net"\n' if k + 1 < files else ""
        (tmp_path / f"f{k}.net").write_text(nxt + f"block b{k}() (x) {{\n    return x\n}}\n")
    spec = tmp_path / "main.net"
    spec.write_text('import "f0.net"\ninput x: 2\noutput y = x -> b0() -> dense(1)\n')
    r = run_cli("check", spec, cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert f"error[ND901]: imports nested more than {imports.MAX_IMPORT_DEPTH} files deep" in r.stderr
    assert "internal error" not in r.stderr and r.stderr.count("error[") == 1


def test_imports_just_within_the_limit_work(tmp_path):
    depth = imports.MAX_IMPORT_DEPTH
    for k in range(depth):
        nxt, use = (f'import "f{k + 1}.net"\n', f" -> b{k + 1}()") if k + 1 < depth else ("", "")
        (tmp_path / f"f{k}.net").write_text(nxt + f"block b{k}() (x) {{\n    return x{use}\n}}\n")
    spec = tmp_path / "main.net"
    spec.write_text('import "f0.net"\ninput x: 2\noutput y = x -> b0() -> dense(1)\n')
    g = netdsl.load(str(spec))  # every file of the chain is read, the last block reached
    assert netdsl.network(g).outputs == ["y"] and len(netdsl.network(g).sources) == depth + 1


# ---- 17.5: a long line is shown cut around the span ------------------------------


def test_a_diagnostic_on_a_5_mb_line_shows_a_cut_line_with_an_aligned_caret():
    features = ", ".join(f"f{i}" for i in range(600_000))
    text = f"input x: [{features}, oops oops, {features}]\noutput y = x -> dense(1)\n"
    assert len(text) > 10_000_000
    failure = diags_of(text)
    assert failure.diagnostics[0].span.column > 5_000_000
    shown = failure.render()
    assert len(shown) < 1_000, len(shown)
    line, caret = shown.splitlines()[1:3]
    assert line.startswith(" 1 | …") and line.endswith("…")
    assert line[caret.index("^") :].startswith("oops, f0")  # the caret under the second 'oops'


def test_a_span_near_the_start_of_a_long_line_is_cut_at_the_end_only():
    source = Source("t.net", "input x: 4 # " + "x" * 100_000 + "\n")
    failure = SpecError([_error_at(1, 7)], source)
    line, caret = failure.render().splitlines()[1:3]
    assert line.startswith(" 1 | input x: 4 #") and line.endswith("…") and "…" not in line[:-1]
    assert caret == "   |       ^"


def _error_at(line: int, column: int):
    from netdsl.lang import codes
    from netdsl.lang.diagnostics import error
    from netdsl.lang.source import Span

    return error(codes.UNEXPECTED_TOKEN, "here", Span.point(line, column))


# ---- 17.11: control characters never reach the terminal -------------------------------


def test_control_characters_in_source_lines_and_file_names_are_escaped(tmp_path):
    name = "evil\x1b]0;title\x07.net"
    (tmp_path / name).write_text("input x: 4  # \x1b[2J comment\noutput y = x -> dens(1)\n")
    r = run_cli("check", name, cwd=tmp_path)
    assert r.returncode == 1
    assert "\x1b" not in r.stderr and "\x07" not in r.stderr, r.stderr
    assert "evil\\x1b]0;title\\x07.net:2:17: error[ND201]" in r.stderr
    assert "netdsl: evil\\x1b]0;title\\x07.net: 1 error" in r.stderr


def test_a_control_character_in_a_string_is_refused_before_it_reaches_a_diagram(tmp_path):
    spec = tmp_path / "c.net"
    spec.write_text('input x: [a, "b\x00c"]\noutput y = x -> dense(1)\n')
    r = run_cli("render", spec, "-o", tmp_path / "c.dot")
    assert r.returncode == 1 and "error[ND007]" in r.stderr and "U+0000" in r.stderr
    assert not (tmp_path / "c.dot").exists()


# ---- 17.12: output never fails on encoding ----------------------------------------


@pytest.mark.parametrize("env", [{"PYTHONIOENCODING": "ascii"}, {"LC_ALL": "C", "PYTHONUTF8": "0"}])
def test_a_korean_spec_prints_on_a_terminal_without_utf8(env):
    r = subprocess_cli(["check", str(KOREAN)], env)
    assert r.returncode == 0, r.stderr
    assert b"Traceback" not in r.stderr and b"internal error" not in r.stderr
    r = subprocess_cli(["check", "--json", str(KOREAN)], env)
    assert r.returncode == 0, r.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="file names are bytes on Linux")
def test_a_file_name_that_is_not_utf8(tmp_path):
    path = os.path.join(os.fsencode(tmp_path), b"m\xff.net")
    with open(path, "wb") as fh:
        fh.write(b"input x: 4\noutput y = x -> dens(1)\n")
    for extra in ([], ["--json"]):
        r = subprocess_cli(["check", *extra, os.fsdecode(path)], {}, cwd=tmp_path)
        assert r.returncode == 1 and b"internal error" not in r.stderr, r.stderr
    r = subprocess_cli(["check", os.fsdecode(path)], {}, cwd=tmp_path)
    assert b"m\\xff.net:2:17: error[ND201]" in r.stderr


def subprocess_cli(args, env, cwd=None):
    import subprocess

    full = {k: v for k, v in os.environ.items() if k not in ("PYTHONIOENCODING", "LC_ALL", "LANG")}
    full.update(env)
    return subprocess.run([sys.executable, "-m", "netdsl", *args], capture_output=True, env=full, cwd=cwd)


# ---- 17.13: look-alikes, NFD, combining marks, CR-only line ends ---------------------


def test_nfd_and_nfc_spellings_are_one_name():
    g = netdsl.loads("input caf\u00e9: 4\noutput y = cafe\u0301 -> dense(1)\n")
    assert netdsl.network(g).inputs == ["caf\u00e9"] and list(g.predecessors("y")) == ["caf\u00e9"]


def test_cr_only_line_ends_are_line_ends_with_the_right_positions():
    g = netdsl.loads("input x: 4\routput y = x -> dense(1)\r")
    assert netdsl.network(g).outputs == ["y"]
    failure = diags_of("input x: 4\r\routput y = x -> dens(1)\r")
    d = failure.diagnostics[0]
    assert (d.span.line, d.span.column) == (3, 17)
    assert " 3 | output y = x -> dens(1)" in failure.render()


def test_confusable_definitions_warn_and_suggestions_say_which_letter():
    g = netdsl.loads("input hal: 4\nh\u0430l = hal -> dense(2)\noutput y = h\u0430l -> dense(1)\n")
    (w,) = netdsl.network(g).diagnostics
    assert w.code == "ND108" and "differs in letter 2: Cyrillic '\u0430' U+0430" in w.message
    assert did_you_mean("h\u0430l", ["hal", "hall"]) == (
        "did you mean 'hal'? ('h\u0430l' differs in letter 2: Cyrillic '\u0430' U+0430)"
    )
    # a look-alike is found even where the letters alone are too few for a near miss
    assert (
        did_you_mean("\u0445", ["x", "y"])
        == "did you mean 'x'? ('\u0445' differs in letter 1: Cyrillic '\u0445' U+0445)"
    )


def test_keyword_list_of_nd006_names_every_keyword():
    from netdsl.lang.codes import KEYWORD_AS_NAME
    from netdsl.lang.parser import KEYWORDS

    for word in KEYWORDS.values():
        assert word in KEYWORD_AS_NAME.explanation, word


# ---- 10.15: colour on a terminal, never elsewhere ------------------------------------


def _broken(tmp_path) -> Path:
    spec = tmp_path / "b.net"
    spec.write_text("input x: 4\noutput y = x -> dens(1)\n")
    return spec


def test_color_always_paints_severity_caret_and_help(tmp_path):
    r = run_cli("check", "--color", "always", _broken(tmp_path))
    assert "\x1b[1;31merror[ND201]\x1b[0m" in r.stderr  # error red
    assert "\x1b[1;31m^~~~\x1b[0m" in r.stderr  # the caret in the error's colour
    assert "\x1b[1;36mhelp:\x1b[0m" in r.stderr
    plain = run_cli("check", _broken(tmp_path))  # not a terminal: no colour
    assert "\x1b" not in plain.stderr and "error[ND201]" in plain.stderr
    never = run_cli("check", "--color", "never", _broken(tmp_path))
    assert never.stderr == plain.stderr
    warned = tmp_path / "w.net"
    warned.write_text("input x: 4\nh = x -> dense(2)\noutput y = x -> dense(1)\n")
    r = run_cli("check", "--color", "always", warned)
    assert r.returncode == 0 and "\x1b[1;33mwarning[ND105]\x1b[0m" in r.stderr  # warning yellow
    assert "\x1b[1;33m^~" in r.stderr


def _on_a_terminal(args, env):
    """Run the CLI with a pseudo-terminal as its stderr; what it wrote there."""
    import pty
    import subprocess

    leader, follower = pty.openpty()
    full = dict(os.environ, **env)
    if "NO_COLOR" not in env:
        full.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "netdsl", *map(str, args)],
        stderr=follower,
        stdout=subprocess.DEVNULL,
        env=full,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.skipif(sys.platform != "linux", reason="uses a pseudo-terminal")
def test_color_on_a_terminal_unless_no_color_or_never(tmp_path):
    spec = _broken(tmp_path)
    assert "\x1b[1;31merror[ND201]" in _on_a_terminal(["check", spec], {})
    assert "\x1b[" not in _on_a_terminal(["check", spec], {"NO_COLOR": "1"})
    assert "\x1b[" not in _on_a_terminal(["check", "--color", "never", spec], {})
    assert "\x1b[1;31merror[ND201]" in _on_a_terminal(["check", "--color", "always", spec], {"NO_COLOR": "1"})
