"""Bad input of every kind gets a clear answer, and nothing is lost.

Writes are atomic: the output is written to a temporary file beside it and
renamed into place; these tests force failures at each step and check that an
existing output survives untouched and no temporary file is left behind.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import netdsl
from conftest import EXAMPLES, IRIS_CSV, ROOT, run_cli
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
    assert f"{blocker} is not a directory" in r.stderr and "File exists" not in r.stderr  # issue 17.17
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


# ---- file modes (issue 10.2): the umask's for new files, the old mode kept ---------------


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_render_and_fmt_files_get_the_umasks_mode(tmp_path):
    for umask, want in ((0o022, 0o644), (0o077, 0o600)):
        out = tmp_path / f"new{umask:o}" / "d.dot"
        r = run_cli("render", EXAMPLES / "iris_add.net", "-o", out, umask=umask)
        assert r.returncode == 0, r.stderr
        assert mode(out) == want, f"umask {umask:o}: {mode(out):o}"
    kept = tmp_path / "kept.dot"
    kept.write_text("old")
    kept.chmod(0o644)
    assert run_cli("render", EXAMPLES / "iris_add.net", "-o", kept, umask=0o077).returncode == 0
    assert mode(kept) == 0o644 and kept.read_text().startswith("digraph")
    for start in (0o644, 0o600):
        messy = tmp_path / f"messy{start:o}.net"
        messy.write_text("input x: 2\noutput y=x->dense(1)\n")
        messy.chmod(start)
        r = run_cli("fmt", messy, umask=0o077 if start == 0o644 else 0o022)
        assert r.returncode == 0 and "reformatted" in r.stdout
        assert mode(messy) == start


TF_WRITERS = r"""
import os, sys
from netdsl.cli import main
root, spec, csv = sys.argv[1:]
def run(umask, folder):
    os.umask(umask)
    d = os.path.join(root, folder)
    for args in (
        ["compile", spec, "-o", f"{d}/c.keras"],
        ["train", spec, "--data", csv, "--epochs", "1", "--quiet",
         "-o", f"{d}/t.keras", "--history", f"{d}/h.json"],
        ["compare", spec, "--data", csv, "--epochs", "1", "--runs", "1", "--quiet", "--plot", f"{d}/p.png"],
    ):
        assert main(args) == 0, args
run(0o022, "new022")
run(0o077, "new077")
run(0o077, "kept644")
"""


def test_tensorflow_writers_get_the_umasks_mode(tmp_path):
    pytest.importorskip("matplotlib")
    names = ["c.keras", "t.keras", "t.labels.json", "h.json", "p.png"]
    kept = tmp_path / "kept644"
    kept.mkdir()
    for name in names:
        (kept / name).write_text("old")
        (kept / name).chmod(0o644)
    r = subprocess.run(
        [sys.executable, "-c", TF_WRITERS, str(tmp_path), str(EXAMPLES / "iris_add.net"), str(IRIS_CSV)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    for folder, want in (("new022", 0o644), ("new077", 0o600), ("kept644", 0o644)):
        got = {name: oct(mode(tmp_path / folder / name)) for name in names}
        assert got == {name: oct(want) for name in names}, folder
        assert (tmp_path / folder / "c.keras").read_bytes()[:2] == b"PK"  # really rewritten


# ---- signals (issue 17.8): SIGTERM and SIGHUP clean up like SIGINT ----------------------------


def _temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.glob(".*") if p.is_file()] if folder.exists() else []


def _compile_until(spec_path: Path, out: Path, ready) -> subprocess.Popen:
    """Start `netdsl compile` and return once ready(temporaries) holds (or it ended)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "netdsl", "compile", str(spec_path), "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        temps = _temporaries(out.parent)
        if temps and ready(temps):
            return proc
        time.sleep(0.003)
    proc.kill()
    pytest.fail(f"compile ended (exit {proc.poll()}) before the moment to signal it: {proc.communicate()}")


def test_sigterm_during_the_save_removes_the_temporary(tmp_path):
    keras_needed = pytest.importorskip("keras")  # noqa: F841
    p = tmp_path / "big.net"  # 24M parameters: the save takes a few tenths of a second
    p.write_text("input x: 2000\noutput y = x -> dense(3000) -> dense(3000) -> dense(3000) -> dense(1)\n")
    out = tmp_path / "out" / "m.keras"

    def saving(temps):
        return any(t.stat().st_size > 0 for t in temps if t.exists())

    proc = _compile_until(p, out, saving)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "stopped by SIGTERM" in err and "Traceback" not in err
    assert not out.parent.exists()  # the temporary and the directory made for it are gone


def test_sighup_while_writing_removes_the_temporary(tmp_path):
    out = tmp_path / "existing" / "m.keras"
    out.parent.mkdir()
    out.write_bytes(b"the user's previous model")
    proc = _compile_until(EXAMPLES / "iris_add.net", out, lambda temps: True)
    proc.send_signal(signal.SIGHUP)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGHUP, err
    assert listing(out.parent) == ["m.keras"] and out.read_bytes() == b"the user's previous model"


# ---- CSV files (issues 17.14, 10.17): codes, true line numbers, rows of the wrong width -------

HEADER = "sepal_length,sepal_width,petal_length,petal_width"


@pytest.mark.parametrize(
    "content, where, code, message",
    [
        (HEADER + "\n\n1,2,3,4\n\n\n5,x,7,8\n", "6:3", "ND609", "column 'sepal_width' is not a number: 'x'"),
        (
            HEADER + ',note\n1,2,3,4,"two\nlines"\n1,2,3,4,"a\r\nb"\n9,9,,9,z\n',
            "6:5",
            "ND621",  # a gap the model does not fill
            "column 'petal_length' is empty on this row",
        ),
        (
            HEADER + "\n1,2,3,4\n\n5,6,7\n",
            "4:6",
            "ND610",
            "this row has 3 cells, the header 4 columns: no 'petal_width'",
        ),
        (HEADER + "\n1,2,3,4\n5,6,7,8,9\n", "3:9", "ND610", "this row has 5 cells, the header 4 columns"),
        (
            HEADER + ",sepal_width\n1,2,3,4,5\n",
            "1:51",
            "ND611",
            "column 'sepal_width' is named twice in the header (columns 2 and 5)",
        ),
        ("", "1:1", "ND603", "the file is empty"),
        ("\n\n" + HEADER + "\n", "3:1", "ND603", "there is a header but no data rows"),
    ],
    ids=["blank-lines", "multi-line-cells", "short-row", "long-row", "duplicate-header", "empty", "no-rows"],
)
def test_csv_problems_are_located_in_the_csv_with_a_code(tmp_path, content, where, code, message):
    data = tmp_path / "d.csv"
    data.write_bytes(content.encode())
    spec_path = EXAMPLES / "standardized.net"
    code_, _, err = run_in_process("check", spec_path, "--data", data)
    assert code_ == 1, err
    assert err.startswith(f"{data}:{where}: error[{code}]: {message}\n"), err
    # the data's fault: no diagnostic (and no caret) at the spec, only a note pointing at the input
    assert not any(line.startswith(f"{spec_path}:") for line in err.splitlines())


def test_a_non_utf8_csv_is_reported_at_its_byte_not_at_the_spec(tmp_path):
    data = tmp_path / "latin1.csv"
    data.write_bytes(HEADER.encode() + b"\n1,2,3,4\n5,6,caf\xe9,8\n")
    code, out, err = run_in_process("check", "--json", EXAMPLES / "standardized.net", "--data", data)
    (d,) = json.loads(out)["diagnostics"]
    assert code == 1 and (d["file"], d["line"], d["column"], d["code"]) == (str(data), 3, 8, "ND603")
    assert d["message"] == "not UTF-8 text: byte 0xe9 at line 3"
    code, _, err = run_in_process("check", EXAMPLES / "standardized.net", "--data", data)
    assert err.splitlines()[:3] == [
        f"{data}:3:8: error[ND603]: not UTF-8 text: byte 0xe9 at line 3",
        " 3 | 5,6,caf\ufffd,8",
        "   |        ^",
    ]


# ---- memory (issue 17.3): estimated before anything is allocated, refused over the budget -----


MEMORY_PROBE = (
    "import sys\nfrom netdsl.cli import main\nrc = main(sys.argv[1:])\n"
    "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))\n"
    "print('rc', rc, heavy)\n"
)


def test_a_model_over_the_memory_budget_is_refused_before_tensorflow_loads(tmp_path):
    p = tmp_path / "half_the_limit.net"  # 1e9 parameters: half the parameter limit, ~20 GB to compile
    p.write_text("input x: 1000000\noutput y = x -> dense(1000)\n")
    r = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, "compile", str(p), "-o", str(tmp_path / "m.keras")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.stdout.strip().splitlines()[-1] == "rc 1 []", r.stdout + r.stderr
    assert f"{p}:2:17: error[ND902]: compile would take about 18.6 GiB of memory" in r.stderr
    assert "the budget is 4.0 GiB" in r.stderr and "--memory-limit 24G" in r.stderr
    assert listing(tmp_path) == ["half_the_limit.net"]
    small = tmp_path / "small.net"
    small.write_text("input x: 1000\noutput y = x -> dense(1000) -> dense(1000)\n")  # 2M parameters
    code, _, err = run_in_process("compile", small, "-o", tmp_path / "s.keras", "--memory-limit", "20M")
    assert code == 1 and "error[ND902]: compile would take about 38.2 MiB" in err
    assert not (tmp_path / "s.keras").exists()


def test_data_over_the_memory_budget_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    big = tmp_path / "big.csv"
    big.write_text(HEADER + ",species\n" + "5.1,3.5,1.4,0.2,setosa\n" * 60_000)
    code, _, err = run_in_process(
        "train",
        EXAMPLES / "iris_dense.net",
        "--data",
        big,
        "--memory-limit",
        "5M",
        "-o",
        tmp_path / "m.keras",
    )
    assert code == 1, err
    assert err.startswith(f"{big}:1:1: error[ND902]: reading this file would take about ")
    assert "over the budget of 5.0 MiB" in err and "--memory-limit" in err
    assert "or --stream to read the file piece by piece" in err
    monkeypatch.setenv("NETDSL_MEMORY_LIMIT", "5M")  # the default budget comes from the environment
    code, _, err = run_in_process(
        "train", EXAMPLES / "iris_dense.net", "--data", big, "-o", tmp_path / "m.keras", "--epochs", "1"
    )
    assert code == 1 and "error[ND902]" in err
    # check reads the file piece by piece: its memory does not grow with the file
    code, _, err = run_in_process("check", EXAMPLES / "standardized.net", "--data", big)
    assert code == 0 and "ND902" not in err, err
    monkeypatch.setenv("NETDSL_MEMORY_LIMIT", "lots")
    code, _, err = run_in_process("train", EXAMPLES / "iris_dense.net", "--data", big)
    assert code == 2 and "NETDSL_MEMORY_LIMIT='lots'" in err
