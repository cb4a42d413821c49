"""The CLI contract, run as a real subprocess: output, exit codes, files written."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import unicodedata
from pathlib import Path

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
    # located in the data file, with its code (was "bad.csv:3: column ..." before CSV errors had codes)
    assert "bad.csv:3:3: error[ND609]: column 'sepal_width' is not a number: 'x'" in r.stderr
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


# several files, standard input, options anywhere (issue 10.13) -----------------------


def test_check_takes_several_files_and_json_gives_one_object_each(spec):
    bad = spec("input x: 2\noutput y = x -> dense(0)\n", "bad.net")
    r = run_cli("check", EXAMPLES / "iris_add.net", bad, EXAMPLES / "iris_dense.net")
    assert r.returncode == 1
    assert r.stdout.count("network ") == 2  # both good files' tables, in order
    assert r.stdout.index("network iris_add") < r.stdout.index("network iris_dense")
    assert f"{bad}:2:23: error[ND206]" in r.stderr
    r = run_cli("check", "--json", EXAMPLES / "iris_add.net", bad)
    out = json.loads(r.stdout)
    assert r.returncode == 1 and [o["ok"] for o in out] == [True, False]
    assert [o["network"] for o in out] == ["iris_add", "bad"]
    r = run_cli("check", EXAMPLES / "iris_add.net", "missing.net")
    assert r.returncode == 2 and r.stdout == "" and "missing.net: no such file" in r.stderr


def test_dash_reads_the_spec_from_standard_input():
    text = (EXAMPLES / "iris_dense.net").read_text()
    r = run_cli("check", "-", input=text)
    assert r.returncode == 0 and r.stdout.startswith("network iris_dense: 4 nodes")
    r = run_cli("check", "-", input="input x: 2\noutput y = x -> dense(2, relu\n")
    assert r.returncode == 1 and "<stdin>:2:22: error[ND004]" in r.stderr
    r = run_cli("check", "-", "-", input=text)
    assert r.returncode == 2 and "only once" in r.stderr


def test_render_writes_to_standard_output_in_the_format_asked(tmp_path):
    text = (EXAMPLES / "iris_add.net").read_text()
    r = run_cli("render", "-", "-o", "-", "--format", "dot", input=text, cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith('digraph "iris_add"')
    assert list(tmp_path.iterdir()) == []  # nothing written
    svg = run_cli("render", EXAMPLES / "iris_add.net", "-o", "-")
    assert svg.returncode == 0 and "<svg" in svg.stdout and "wrote" not in svg.stdout


def test_render_several_files_into_a_directory(tmp_path):
    r = run_cli(
        "render", EXAMPLES / "iris_add.net", EXAMPLES / "iris_dense.net", "-o", tmp_path, "--format", "DOT"
    )
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["iris_add.dot", "iris_dense.dot"]
    r = run_cli("render", EXAMPLES / "iris_add.net", EXAMPLES / "iris_dense.net", "-o", tmp_path / "x.svg")
    assert r.returncode == 2 and "-o names a directory" in r.stderr


def test_direction_is_case_insensitive():
    r = run_cli("render", EXAMPLES / "iris_add.net", "-o", "-", "--format", "dot", "--direction", "lr")
    assert r.returncode == 0 and 'rankdir="LR"' in r.stdout


def test_debug_works_after_the_subcommand(tmp_path):
    r = run_cli("check", EXAMPLES / "iris_add.net", "--debug")
    assert r.returncode == 0, r.stderr
    code = (
        "import sys, netdsl.cli as c\n"
        "def boom(*a, **k):\n    raise RuntimeError('injected fault')\n"
        "c.COMMANDS['check'] = boom\n"
        "sys.exit(c.main(sys.argv[1:]))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, "check", "x.net", "--debug"], capture_output=True, text=True
    )
    assert r.returncode != 0 and "Traceback" in r.stderr and "injected fault" in r.stderr


# --help (issue 10.14) -----------------------------------------------------------------


def _subcommands() -> list[str]:
    from netdsl.cli.args import build_parser

    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(sub.choices)


@pytest.mark.parametrize("command", _subcommands())
def test_every_subcommand_help_has_a_description_and_an_example(command):
    r = run_cli(command, "--help")
    assert r.returncode == 0, r.stderr
    text = r.stdout
    description = text.split("\n\n")[1]
    assert "\n" not in description.strip() and description.strip().endswith(".")
    example = text.split("example:\n", 1)[1].strip().splitlines()[0]
    assert example.startswith(f"netdsl {command} ")
    if command in ("train", "compare", "tune"):
        assert "`train`" in text and "line" in text  # where --epochs and --batch-size come from
        assert "netdsl's defaults (100 epochs, batch size 32" in text
    if command == "compile":
        assert "build/NAME.keras" in text and "current directory" in text


def _subparser(parser, command):
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sub.choices[command]


def test_a_command_parsed_with_its_group_alone_is_parsed_as_by_the_whole_parser():
    from netdsl.cli.args import build_parser, parser_for

    whole = build_parser()
    for command in _subcommands():
        alone = parser_for(["--debug", command])
        assert _subparser(alone, command).format_help() == _subparser(whole, command).format_help()
    argv = ["--debug", "check", "a.net", "b.net", "--json", "--include-path", "lib", "--color", "never"]
    assert parser_for(argv).parse_args(argv) == whole.parse_args(argv)
    argv = ["render", "a.net", "--direction", "lr", "--diff", "b.net"]
    assert parser_for(argv).parse_args(argv) == whole.parse_args(argv)
    # Anything else before the command, or an unknown one: the whole parser
    # (`netdsl -h check` lists every command; a typo's error lists the choices).
    for argv in (["-h", "check"], ["--deb", "check"], ["chek", "a.net"], ["--", "check"], []):
        assert parser_for(argv).format_help() == whole.format_help()


def test_top_level_help_lists_every_command():
    r = run_cli("--help")
    assert r.returncode == 0
    for command in ("check", "compile", "render", "train", "compare", "fmt", "explain"):
        assert f"    {command} " in r.stdout
    assert "netdsl COMMAND --help" in r.stdout


# outputs that would destroy an input (issue 17.6) and outputs checked first (17.7) ----


def _spec_named(tmp_path, name: str) -> Path:
    p = tmp_path / name
    p.write_text((EXAMPLES / "iris_add.net").read_text())
    return p


@pytest.mark.parametrize(
    "make_args, message",
    [
        (lambda t: ["render", _spec_named(t, "m.dot"), "-o", t / "m.dot"], "also an input"),
        (lambda t: ["compile", _spec_named(t, "x.keras"), "-o", t / "x.keras"], "also an input"),
        (
            lambda t: ["train", _spec_named(t, "h.json"), "--data", IRIS_CSV, "--history", t / "h.json"],
            "also an input",
        ),
        (
            lambda t: [
                "train",
                _spec_named(t, "m.net"),
                "--data",
                _copy(IRIS_CSV, t / "d.keras"),
                "-o",
                t / "d.keras",
            ],
            "also an input",
        ),
        (
            lambda t: [
                "train",
                _spec_named(t, "m.net"),
                "--data",
                IRIS_CSV,
                "-o",
                t / "M.keras",
                "--history",
                t / "M.labels.json",
            ],
            "are the same file",
        ),
        (
            lambda t: ["render", _spec_named(t, "m.net"), "-o", _symlink(t / "m.net", t / "link.dot")],
            "also an input",
        ),
        (
            lambda t: ["render", _spec_named(t, "m.net"), "-o", _hardlink(t / "m.net", t / "hard.dot")],
            "also an input",
        ),
        (
            lambda t: [
                "compare",
                _spec_named(t, "m.net"),
                "--data",
                IRIS_CSV,
                "--plot",
                _symlink(t / "m.net", t / "p.png"),
            ],
            "also an input",
        ),
        (lambda t: ["tune", _spec_named(t, "s.net"), "--data", IRIS_CSV, "-o", t / "s.net"], "also an input"),
        (
            lambda t: [
                "evaluate",
                _junk(t / "m.keras"),
                "--data",
                IRIS_CSV,
                "--plot",
                _symlink(t / "m.keras", t / "p.png"),
            ],
            "also an input",
        ),
        (
            lambda t: [
                "predict",
                _junk(t / "m.keras"),
                "--data",
                _copy(IRIS_CSV, t / "d.csv"),
                "-o",
                t / "d.csv",
            ],
            "also an input",
        ),
        (
            lambda t: ["import", _junk(t / "m.keras"), "-o", _symlink(t / "m.keras", t / "m.net")],
            "also an input",
        ),
        (
            lambda t: ["emit", _spec_named(t, "m.net"), "--python", "-o", _symlink(t / "m.net", t / "m.py")],
            "also an input",
        ),
    ],
    ids=[
        "render",
        "compile",
        "train-history",
        "train-data",
        "labels",
        "symlink",
        "hardlink",
        "compare-plot",
        "tune",
        "evaluate-plot",
        "predict",
        "import",
        "emit",
    ],
)
def test_an_output_that_is_an_input_is_refused_before_any_work(tmp_path, make_args, message):
    args = make_args(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    r = run_cli(*args, timeout=60)
    assert r.returncode == 2, r.stderr
    assert message in r.stderr and "Traceback" not in r.stderr
    assert r.stdout == ""  # nothing trained, compiled or drawn
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def _junk(path: Path) -> Path:
    path.write_bytes(b"not a zip")  # refused before anything reads it
    return path


def _copy(src: Path, dst: Path) -> Path:
    shutil.copy(src, dst)
    return dst


def _symlink(target: Path, link: Path) -> Path:
    link.symlink_to(target)
    return link


def _hardlink(target: Path, link: Path) -> Path:
    link.hardlink_to(target)
    return link


@pytest.mark.parametrize(
    "option",
    [
        ["-o", "{b}/m.keras"],
        ["--history", "{b}/h.json"],
        ["-o", "{t}/ok/m.keras", "--history", "{b}/sub/h.json"],
    ],
)
def test_train_checks_every_output_location_before_training(tmp_path, option):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a directory")
    args = [a.format(b=blocker, t=tmp_path) for a in option]
    r = run_cli("train", EXAMPLES / "iris_add.net", "--data", IRIS_CSV, "--epochs", "1", *args, timeout=60)
    assert r.returncode == 2, r.stderr
    assert f"{blocker} is not a directory" in r.stderr and "File exists" not in r.stderr
    assert r.stdout == ""  # refused before training, not after
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]


def test_compare_plot_location_is_checked_before_training(tmp_path):
    blocker = tmp_path / "bad"
    blocker.write_text("a file")
    r = run_cli(
        "compare", EXAMPLES / "iris_add.net", "--data", IRIS_CSV, "--runs", "1", "--plot", blocker / "x.png"
    )
    assert r.returncode == 2 and "not a directory" in r.stderr and r.stdout == ""


# standard output and pipes (issue 17.9) ------------------------------------------------


def test_a_full_standard_output_is_an_io_error_not_a_bug():
    with open("/dev/full", "w") as full:
        r = subprocess.run(
            [sys.executable, "-m", "netdsl", "check", str(EXAMPLES / "iris_add.net")],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert r.returncode == 2, r.stderr
    assert "cannot write to standard output: No space left on device" in r.stderr
    assert "internal error" not in r.stderr and "Exception ignored" not in r.stderr


def test_fmt_reads_a_fifo_once_and_refuses_to_rewrite_one(tmp_path):
    import threading

    fifo = tmp_path / "spec.fifo"
    os.mkfifo(fifo)
    text = (EXAMPLES / "iris_add.net").read_bytes()

    def feed():
        with open(fifo, "wb") as fh:  # blocks until netdsl opens it; one writer, once
            fh.write(text)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    r = run_cli("fmt", "--check", fifo, timeout=30)
    writer.join(timeout=5)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run_cli("fmt", fifo, timeout=30)  # no writer at all: must not wait for one
    assert r.returncode == 2 and "not a regular file" in r.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


# JSON on failures (issue 17.17) --------------------------------------------------------


def test_check_json_on_failure_has_the_network_field(spec):
    p = spec("network broken\ninput x: 2\noutput y = x -> dense(0)\n")
    out = json.loads(run_cli("check", "--json", p).stdout)
    assert out["ok"] is False and out["network"] == "broken"
    assert set(out) >= {"ok", "network", "diagnostics", "nodes", "params"}
    out = json.loads(run_cli("check", "--json", "missing.net").stdout)  # a usage / I-O failure
    assert out["ok"] is False and out["network"] is None and "no such file" in out["error"]
    assert set(out) >= {"ok", "network", "diagnostics", "nodes", "params", "error"}


# seeds (issue 17.16) ---------------------------------------------------------------------


@pytest.mark.parametrize("command", ["train", "compare", "compile"])
@pytest.mark.parametrize("seed", ["-1", "4294967296", "12345678901234567890"])
def test_out_of_range_seeds_are_refused_before_tensorflow_loads(command, seed):
    extra = ["--data", IRIS_CSV] if command != "compile" else []
    r = run_cli(command, EXAMPLES / "iris_add.net", *extra, "--seed", seed, timeout=60)
    assert r.returncode == 2, r.stderr
    assert "must be from 0 to 4294967295" in r.stderr and "Traceback" not in r.stderr


def test_compile_takes_several_files_and_standard_input(tmp_path):
    out = tmp_path / "models"
    r = run_cli(
        "compile", EXAMPLES / "iris_add.net", "-", "-o", out, input=(EXAMPLES / "iris_dense.net").read_text()
    )
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["iris_add.keras", "stdin.keras"]
    assert f"wrote {out / 'stdin.keras'}: model 'iris_dense', 139 parameters" in r.stdout


TRAIN_WITH_A_FULL_DISK = r"""
import errno, sys
import keras
def full_disk(self, path, *a, **k):
    raise OSError(errno.ENOSPC, "No space left on device")
keras.Model.save = full_disk
from netdsl.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_train_prints_its_results_before_writing_files(tmp_path):
    out = tmp_path / "m.keras"
    args = ["train", EXAMPLES / "iris_add.net", "--data", IRIS_CSV, "--epochs", "1", "-o", out]
    r = subprocess.run(
        [sys.executable, "-c", TRAIN_WITH_A_FULL_DISK, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 2, r.stderr
    assert "test: accuracy" in r.stdout  # the results survive a failed write
    assert f"{out}: cannot write: No space left on device; nothing was written" in r.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv, code", [(["explain", "ND301"], 0), (["check", "no-such.net"], 2)])
def test_the_program_runs_exit_functions_and_keeps_the_exit_code(argv, code, tmp_path):
    """netdsl.cli.program ends the process itself (no interpreter teardown): what
    was registered to run at exit still runs, after the command's own output."""
    script = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('exit functions ran', flush=True))\n"
        f"sys.argv = ['netdsl', *{argv!r}]\n"
        "from netdsl.cli import program\n"
        "program()\n"
        "print('not reached')\n"
    )
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == code, r.stderr
    assert r.stdout.endswith("exit functions ran\n") and "not reached" not in r.stdout
