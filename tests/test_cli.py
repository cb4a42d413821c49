"""The CLI contract, run as a real subprocess: output, exit codes, files written."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import unicodedata

import pytest

import netdsl
from conftest import EXAMPLES, IRIS_CSV, ROOT, data_for, example_paths, run_cli


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.name)
def test_check_every_example_is_clean(path):
    data = data_for(path)
    r = run_cli("check", path, *(["--data", data] if data else []))
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    g = netdsl.load(str(path), data=str(data) if data else None)
    total = netdsl.network(g).params.total
    first = r.stdout.splitlines()[0]
    assert first.startswith(
        f"network {netdsl.network(g).name}: {g.number_of_nodes()} nodes, {total:,} parameters"
    )
    for name in g.nodes:
        assert any(line.split()[0] == name for line in r.stdout.splitlines()[2:]), name


def test_check_table_shows_shapes_and_parameters():
    r = run_cli("check", EXAMPLES / "iris_concat.net")
    rows = {line.split()[0]: line.split() for line in r.stdout.splitlines()[2:]}
    assert rows["sepal_h"][1:4] == ["dense", "(2,)", "6"]
    assert rows["species_concat_1"][1:4] == ["concat", "(4,)", "0"]
    assert rows["species"][1:5] == ["(output)", "dense", "(3,)", "15"]
    assert "39 parameters (39 trainable, 0 non-trainable)" in r.stdout


def test_check_json_schema():
    r = run_cli("check", "--json", EXAMPLES / "iris_add.net")
    assert r.returncode == 0
    out = json.loads(r.stdout)
    assert set(out) >= {"ok", "diagnostics", "nodes", "params"}
    assert out["ok"] is True and out["diagnostics"] == []
    assert out["params"] == {"total": 39, "trainable": 39, "non_trainable": 0}
    node = {n["name"]: n for n in out["nodes"]}
    assert set(node["Hidden_Sepal"]) >= {"name", "op", "shape", "params"}
    assert node["Hidden_Sepal"]["op"] == "dense"
    assert node["Hidden_Sepal"]["shape"] == [4] and node["Hidden_Sepal"]["params"] == 12


def test_check_json_always_has_network_and_node_arguments_and_lists_what_was_built(spec, tmp_path):
    p = spec(
        "input x: [a, b, c]\nh = x -> dense(4, relu) -> dropout(0.5)\ns = x[a, c]\n"
        "output y = concat(h, s) -> dense(1, relu)\nz = y -> dense(2, rellu)\n"
    )
    r = run_cli("check", "--json", p)
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert out["ok"] is False and out["network"] == p.stem and out["params"] is None
    node = {n["name"]: n for n in out["nodes"]}
    assert node["x"]["args"] == {"features": ["a", "b", "c"]}
    assert node["h_dense_1"]["args"] == {"units": 4, "activation": "relu", "use_bias": True}
    assert node["h"]["args"]["rate"] == 0.5 and node["h"]["shape"] == [4]
    assert node["s"]["args"] == {"features": ["a", "c"]}
    assert node["y"]["shape"] == [1] and node["y"]["output"] is True
    r = run_cli("check", "--json", spec("input x: 2\noutput y = x -> dense(2, relu\n"))
    assert r.returncode == 1 and "network" in json.loads(r.stdout)
    r = run_cli("check", "--json", tmp_path / "missing.net")
    assert r.returncode == 2 and json.loads(r.stdout)["network"] is None
    r = run_cli("check", "--json", EXAMPLES / "iris_add.net")
    assert {n["name"]: n for n in json.loads(r.stdout)["nodes"]}["Hidden_Sepal"]["args"]["units"] == 4


def test_check_table_merges_list_operands_wide_letters_align_and_defaults_are_shown(spec):
    r = run_cli("check", EXAMPLES / "iris_concat.net")
    merge = next(line for line in r.stdout.splitlines() if line.split()[0] == "species_concat_1")
    assert merge.rstrip().endswith("0  sepal_h, petal_h")
    p = spec("input 꽃잎: [a, b]\n줄기 = 꽃잎 -> dense(2)\noutput y = concat(꽃잎, 줄기) -> dense(1)\n")
    lines = run_cli("check", p).stdout.splitlines()[1:]
    width = unicodedata.east_asian_width

    def shape_column(line: str) -> int:  # terminal columns before the shape
        head = line[: re.search(r"\(\d", line).start()]
        return sum(2 if width(ch) in ("W", "F") else 1 for ch in head)

    assert len({shape_column(line) for line in lines[1:]}) == 1, lines
    r = run_cli("check", EXAMPLES / "towers" / "blocks.net")
    assert "block tower(width, rate=0.1) (x)" in r.stdout and "..." not in r.stdout


def test_check_lists_a_librarys_blocks_with_their_defaults_as_written(spec):
    p = spec(
        'block b(w, act=relu, k=-1, s="x y", l=[1, 2], d={a: 1, b}, o=adam(learning_rate=0.1)) (x) {\n'
        "    return x -> dense(w, act)\n}\n"
    )
    r = run_cli("check", p)
    assert r.returncode == 0, r.stderr
    shown = 'block b(w, act=relu, k=-1, s="x y", l=[1, 2], d={a: 1, b}, o=adam(learning_rate=0.1)) (x)'
    assert shown in r.stdout


def test_check_json_on_errors(spec):
    p = spec("input x: 2\noutput y = x -> dense(2, relu\n")
    r = run_cli("check", "--json", p)
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert out["ok"] is False
    (d,) = out["diagnostics"]
    assert set(d) >= {
        "severity",
        "code",
        "message",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "help",
    }
    assert (d["severity"], d["code"], d["line"], d["column"]) == ("error", "ND004", 2, 22)
    assert d["file"] == str(p)


def test_check_reports_errors_with_location_caret_and_help(spec):
    p = spec("input il_l: 2\ninput il_w: 2\noutput ol = concat(il_sp, il_w) -> dense(3, softmax)\n")
    r = run_cli("check", p)
    assert r.returncode == 1 and r.stdout == ""
    lines = r.stderr.splitlines()
    assert lines[0] == f"{p}:3:20: error[ND101]: 'il_sp' is not defined"
    assert lines[1] == " 3 | output ol = concat(il_sp, il_w) -> dense(3, softmax)"
    assert lines[2] == "   |                    ^~~~~"
    assert lines[3] == "  help: did you mean 'il_l' or 'il_w'?"
    assert lines[-1] == f"netdsl: {p}: 1 error"


def test_warnings_do_not_fail_unless_strict(spec):
    p = spec("input x: 2\ninput unused: 3\noutput y = x -> dense(1)\n")
    r = run_cli("check", p)
    assert r.returncode == 0 and "warning[ND105]" in r.stderr
    r = run_cli("check", "--strict", p)
    assert r.returncode == 1 and "error[ND105]" in r.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["check", "does/not/exist.net"], "no such file"),
        (["check", "."], "is a directory"),
        (["check"], "the following arguments are required"),
        (["frobnicate"], "invalid choice"),
        (["check", "--nope", "x.net"], "unrecognized arguments"),
        (["compile", "examples/iris_add.net", "-o", "model.h5"], "must end in .keras"),
        (["explain", "ND999"], "unknown code"),
    ],
)
def test_usage_and_io_problems_exit_2(args, message):
    r = run_cli(*args, cwd=ROOT)
    assert r.returncode == 2, r.stderr
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_non_utf8_file_exits_2(spec, tmp_path):
    p = tmp_path / "latin1.net"
    p.write_bytes("input caf\xe9: 2\n".encode("latin-1"))
    r = run_cli("check", p)
    assert r.returncode == 2 and "not UTF-8" in r.stderr
    r = run_cli("check", "--json", p)  # still one JSON object on stdout
    assert r.returncode == 2 and json.loads(r.stdout)["ok"] is False


def test_no_command_prints_help_and_exits_2():
    r = run_cli()
    assert r.returncode == 2 and "check" in r.stderr


def test_version():
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"netdsl {netdsl.__version__}"


def test_explain():
    r = run_cli("explain", "nd301")
    assert r.returncode == 0 and r.stdout.startswith("ND301: add() operands")


def test_check_never_imports_tensorflow():
    # Without data not even numpy; with data pyarrow reads it (and brings numpy), never TensorFlow.
    code = (
        "import sys\nfrom netdsl.cli import main\n"
        f"rc = main(['check', {str(EXAMPLES / 'iris_feature_groups.net')!r}])\n"
        "light = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'numpy'))\n"
        f"rc2 = main(['check', {str(EXAMPLES / 'standardized.net')!r}, '--data', {str(IRIS_CSV)!r}])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))\n"
        "print(rc, rc2, light, heavy)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip().splitlines()[-1] == "0 0 [] []", r.stdout + r.stderr


def test_console_script_and_python_m_agree():
    exe = shutil.which("netdsl")
    if exe is None:
        pytest.skip("the netdsl console script is not on PATH (package not installed)")
    a = subprocess.run(
        [exe, "check", "--json", str(EXAMPLES / "residual.net")], capture_output=True, text=True
    )
    b = run_cli("check", "--json", EXAMPLES / "residual.net")
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout


# compile ---------------------------------------------------------------------------


def test_compile_writes_a_keras_file_and_prints_summary(tmp_path):
    out = tmp_path / "nested" / "dir" / "m.keras"
    r = run_cli("compile", EXAMPLES / "iris_concat.net", "-o", out, "--summary")
    assert r.returncode == 0, r.stderr
    assert out.is_file() and out.read_bytes()[:2] == b"PK"
    assert "Total params: 39" in r.stdout and "sepal_h (Dense)" in r.stdout
    assert f"wrote {out}" in r.stdout
    assert [p.name for p in out.parent.iterdir()] == ["m.keras"]  # no temporary left over


def test_compile_prints_the_saved_models_parameters_and_says_what_it_leaves_out(tmp_path, spec):
    # An unused input and a dead branch (10 parameters) are not in the model: 49, not 59.
    p = spec(
        "input a: 4\ninput unused: 3\ndead = a -> dense(2)\n"
        "output y = a -> dense(8, relu) -> dense(1)\ncompile loss=mse optimizer=adam\n"
    )
    out = tmp_path / "m.keras"
    r = run_cli("compile", p, "-o", out, "--summary")
    assert r.returncode == 0, r.stderr
    assert "Total params: 49" in r.stdout and "unused" not in r.stdout and "dead" not in r.stdout
    assert f"wrote {out}: model 'spec', 49 parameters (49 trainable)" in r.stdout
    assert "input 'unused' is never used: the Keras model leaves it out of its inputs" in r.stderr
    assert "value 'dead' is never used: the Keras model leaves it out" in r.stderr


def test_compile_default_output_path(tmp_path):
    shutil.copy(EXAMPLES / "iris_add.net", tmp_path / "iris_add.net")
    r = run_cli("compile", "iris_add.net", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "build" / "iris_add.keras").is_file()


def _failing_compile(tmp_path, args, existing: bytes | None):
    out = tmp_path / "out" / "model.keras"
    if existing is not None:
        out.parent.mkdir()
        out.write_bytes(existing)
    r = run_cli("compile", *args, "-o", out)
    return r, out


def test_failed_compile_leaves_existing_output_untouched(tmp_path, spec):
    bad = spec("input x: 2\noutput y = x -> dense(0)\n")
    r, out = _failing_compile(tmp_path, [bad], b"previous model")
    assert r.returncode == 1 and "ND206" in r.stderr
    assert out.read_bytes() == b"previous model"
    assert sorted(p.name for p in out.parent.iterdir()) == ["model.keras"]


def test_failed_compile_writes_nothing(tmp_path, spec):
    bad = spec("input x: 2\noutput y = x -> dense(2) -> nope\n")
    r, out = _failing_compile(tmp_path, [bad], None)
    assert r.returncode == 1
    assert not out.parent.exists()


def test_standardize_without_data_fails_to_compile(tmp_path):
    r, out = _failing_compile(tmp_path, [EXAMPLES / "standardized.net"], b"old")
    assert r.returncode == 1 and "error[ND601]" in r.stderr and "--data" in r.stderr
    assert out.read_bytes() == b"old"


def test_bad_data_fails_cleanly(tmp_path):
    csv = tmp_path / "bad.csv"
    csv.write_text("sepal_length,sepal_width,petal_length,petal_width\n1,2,3,4\n5,x,7,8\n")
    r, out = _failing_compile(tmp_path, [EXAMPLES / "standardized.net", "--data", csv], b"old")
    assert r.returncode == 1, r.stderr
    assert "bad.csv:3: column 'sepal_width' is not a number: 'x'" in r.stderr
    assert out.read_bytes() == b"old"
    r, _ = _failing_compile(tmp_path, [EXAMPLES / "standardized.net", "--data", tmp_path / "none.csv"], None)
    assert r.returncode == 2 and "no such file" in r.stderr


def test_missing_data_column_suggests(tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("sepal_length,sepal_widht,petal_length,petal_width\n1,2,3,4\n")
    r = run_cli("check", EXAMPLES / "standardized.net", "--data", csv)
    assert r.returncode == 1
    assert "error[ND602]" in r.stderr and "did you mean 'sepal_widht'?" in r.stderr


def test_internal_errors_are_reported_as_bugs(tmp_path):
    # A spec path that makes open() raise something we never expect: a bug
    # report, one line, no traceback, and the traceback with --debug.
    code = (
        "import sys, netdsl.cli as c\n"
        "def boom(*a, **k):\n    raise RuntimeError('injected fault')\n"
        "c.COMMANDS['check'] = boom\n"
        "sys.exit(c.main(sys.argv[1:]))\n"
    )
    r = subprocess.run([sys.executable, "-c", code, "check", "x.net"], capture_output=True, text=True)
    assert r.returncode == 3
    assert "internal error: RuntimeError: injected fault" in r.stderr
    assert f"bug in netdsl {netdsl.__version__}" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run(
        [sys.executable, "-c", code, "--debug", "check", "x.net"], capture_output=True, text=True
    )
    assert r.returncode != 0 and "Traceback" in r.stderr


def test_every_example_is_fmt_clean():
    paths = sorted(EXAMPLES.rglob("*.net"))
    r = run_cli("fmt", "--check", *paths)
    assert r.returncode == 0, r.stdout + r.stderr
