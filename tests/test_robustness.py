"""Bad input of every kind gets a clear answer, and nothing is lost.

Writes are atomic: the output is written to a temporary file beside it and
renamed into place; these tests force failures at each step and check that an
existing output survives untouched and no temporary file is left behind.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest

import netdsl
from conftest import EXAMPLES, ROOT, run_cli
from netdsl import cli
from netdsl import io as nd_io


def run_in_process(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# ---- nothing lost ------------------------------------------------------------


@pytest.fixture
def existing(tmp_path):
    def make(name: str) -> Path:
        out = tmp_path / "out" / name
        out.parent.mkdir(exist_ok=True)
        out.write_bytes(b"the user's previous work")
        return out

    return make


def test_rename_failure_leaves_existing_output_and_no_temporary(existing, monkeypatch):
    out = existing("d.svg")

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(nd_io.os, "replace", failing_replace)
    code, _, err = run_in_process("render", EXAMPLES / "iris_add.net", "-o", out)
    assert code == 2 and "cannot write: No space left on device; nothing was written" in err
    assert out.read_bytes() == b"the user's previous work"
    assert listing(out.parent) == ["d.svg"]


def test_failure_while_writing_the_model_leaves_existing_output(existing, monkeypatch):
    keras = pytest.importorskip("keras")
    out = existing("m.keras")

    def save_half_then_fail(self, path, *a, **k):
        with open(path, "wb") as fh:
            fh.write(b"PK\x03\x04 half a zip")
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(keras.Model, "save", save_half_then_fail)
    code, _, err = run_in_process("compile", EXAMPLES / "iris_concat.net", "-o", out)
    assert code == 2 and "cannot write: Input/output error" in err and "Traceback" not in err
    assert out.read_bytes() == b"the user's previous work"
    assert listing(out.parent) == ["m.keras"]


def test_interrupt_while_writing_leaves_nothing_behind(tmp_path, monkeypatch):
    keras = pytest.importorskip("keras")
    out = tmp_path / "new" / "deeper" / "m.keras"

    def interrupted(self, path, *a, **k):
        with open(path, "wb") as fh:
            fh.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(keras.Model, "save", interrupted)
    code, _, err = run_in_process("compile", EXAMPLES / "iris_concat.net", "-o", out)
    assert code == 130 and "interrupted" in err
    assert not (tmp_path / "new").exists()  # directories it created are gone too


def test_render_failure_in_dot_leaves_existing_output(existing, monkeypatch):
    from netdsl.backends import dot

    out = existing("d.png")

    def broken(text, fmt, **_options):
        raise dot.RenderError("`dot` failed: simulated crash")

    monkeypatch.setattr(dot, "render", broken)
    code, _, err = run_in_process("render", EXAMPLES / "iris_add.net", "-o", out)
    assert code == 2 and "simulated crash" in err
    assert out.read_bytes() == b"the user's previous work"
    assert listing(out.parent) == ["d.png"]


def test_output_under_a_file_is_an_io_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    r = run_cli("render", EXAMPLES / "iris_add.net", "-o", blocker / "d.dot")
    assert r.returncode == 2 and "cannot create its directory" in r.stderr
    assert blocker.read_text() == "not a directory"


def test_successful_overwrite_replaces_the_file(existing):
    out = existing("d.dot")
    code, stdout, _ = run_in_process("render", EXAMPLES / "iris_add.net", "-o", out)
    assert code == 0 and out.read_text().startswith('digraph "iris_add"')
    assert listing(out.parent) == ["d.dot"]


# ---- input handling ---------------------------------------------------------------


def test_crlf_and_bom_give_the_same_graph_and_positions(tmp_path):
    text = (EXAMPLES / "iris_concat.net").read_text()
    p = tmp_path / "crlf.net"
    p.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    a, b = netdsl.load(str(EXAMPLES / "iris_concat.net")), netdsl.load(str(p))
    assert sorted(a.nodes) == sorted(b.nodes)
    assert [netdsl.node(a, n).span for n in a] == [netdsl.node(b, n).span for n in b]
    bad = tmp_path / "bad.net"
    bad.write_bytes(b"\xef\xbb\xbfinput x: 2\r\noutput y = x -> dense(0)\r\n")
    code, _, err = run_in_process("check", bad)
    assert code == 1 and f"{bad}:2:23: error[ND206]" in err
    assert " 2 | output y = x -> dense(0)\n" in err  # no stray \r in the excerpt


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "error[ND104]: the spec defines no network"),
        (b"\n\n# just a comment\n", "error[ND104]: the spec defines no network"),
        (b"input x: 2\x00\n", "error[ND001]: unexpected character U+0000"),
    ],
)
def test_empty_and_odd_files(tmp_path, content, message):
    p = tmp_path / "odd.net"
    p.write_bytes(content)
    code, _, err = run_in_process("check", p)
    assert code == 1 and message in err


def test_binary_file_is_an_io_error(tmp_path):
    p = tmp_path / "model.keras.net"
    p.write_bytes(bytes(range(256)) * 64)
    code, _, err = run_in_process("check", p)
    assert code == 2 and "not UTF-8" in err


def test_huge_file_is_refused_before_reading_it_all(tmp_path):
    p = tmp_path / "huge.net"
    with open(p, "wb") as fh:
        fh.write(b"# " + b"x" * (9 << 20) + b"\n")
    code, _, err = run_in_process("check", p)
    assert code == 2 and "larger than 8 MiB" in err


def test_several_megabytes_of_comments_work(tmp_path):
    p = tmp_path / "big.net"
    p.write_text("# padding\n" * 300_000 + "input x: 2\noutput y = x -> dense(1)\n")
    assert os.path.getsize(p) > 3_000_000
    code, out, err = run_in_process("check", p)
    assert code == 0, err


def test_chain_of_50000_layers_works_without_recursion(tmp_path):
    p = tmp_path / "long.net"
    p.write_text("input x: 4\noutput y = x" + "\n  -> dense(4, relu)" * 50_000 + "\n")
    g = netdsl.load(str(p))
    assert g.number_of_nodes() == 50_001
    assert netdsl.network(g).params.total == 50_000 * 20


def test_deep_nesting_is_a_diagnostic_not_a_recursion_error(tmp_path):
    p = tmp_path / "deep.net"
    p.write_text("input x: 4\noutput y = " + "(" * 3000 + "x" + ")" * 3000 + " -> dense(1)\n")
    code, _, err = run_in_process("check", p)
    assert code == 1 and "ND901" in err and "RecursionError" not in err


def test_too_many_layers_is_a_limit_diagnostic(tmp_path):
    p = tmp_path / "many.net"
    p.write_text("input x: 4\noutput y = x -> dense(4) * 200000\n")
    code, _, err = run_in_process("check", p)
    assert code == 1 and "error[ND901]" in err


def test_the_layer_limit_counts_layers_and_adds_no_spurious_diagnostic(tmp_path):
    from netdsl.ir.ops import MAX_NODES

    exact = netdsl.loads(f"input x: 4\noutput y = x -> dense(1) * {MAX_NODES}\n")
    assert exact.number_of_nodes() == MAX_NODES + 1  # the input is not a layer
    p = tmp_path / "over.net"
    half = MAX_NODES // 2
    p.write_text(f"input x: 4\noutput y = x -> dense(1) * {half} -> dense(1) * {half + 1}\n")
    code, _, err = run_in_process("render", p, "--allow-errors", "-o", tmp_path / "over.dot")
    assert code == 0, err
    assert err.count("error[") == 1 and f"more than {MAX_NODES:,} layers" in err
    assert "no output" not in err and (tmp_path / "over.dot").exists()


@pytest.mark.parametrize(
    "spec_text",
    [
        "input x: 1000000\noutput y = x -> dense(1000000) -> dense(1000000) -> dense(1)\n",
        "input x: 4\noutput y = x -> dense(1000001)\n",
    ],
)
def test_oversized_models_are_refused_before_any_allocation(tmp_path, spec_text):
    p = tmp_path / "big_model.net"
    p.write_text(spec_text)
    code, _, err = run_in_process("compile", p, "-o", tmp_path / "m.keras")
    assert code == 1 and "error[ND901]" in err
    assert not (tmp_path / "m.keras").exists()


def test_error_code_docs_are_generated_from_the_table():
    code, out, _ = run_in_process("explain", "--markdown")
    docs = (ROOT / "docs" / "errors.md").read_text()
    assert code == 0 and docs.endswith(out)
    from netdsl.lang.codes import CODES

    for c in CODES:
        assert f"| {c} |" in docs
