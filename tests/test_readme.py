"""The README cannot drift: what it shows is what the program does (issue 10.23-10.25).

- Console blocks. A fenced block whose first line starts with `$ ` shows commands
  and what they print. Every `$ netdsl ...` command runs as a real subprocess
  (`python -m netdsl`), in README order, in one scratch directory holding a copy
  of examples/ and the FIXTURES below (files the README's commands read that the
  repository does not ship), so a command may read what an earlier one wrote, as
  for a reader following along, and nothing is written into the repository. Its
  standard output and error, interleaved as a terminal shows them, must be the
  lines the README shows under it (trailing spaces aside); it must exit 0, or 1
  or 2 when what is shown reports an error. Only VOLATILE parts may differ.
- Blocks that are not run. A console block right after
  `<!-- readme-test: illustrative: WHY -->` is not run; ILLUSTRATIVE lists every
  one, and a marker not listed there (or a listed one that is gone) fails, so no
  block is skipped silently (each also shows as a skip, with its reason). A `$`
  command other than `netdsl` may appear only in such a block; `$ make TARGET`
  must echo what `make -n TARGET` prints.
- The synopsis: the block after `<!-- readme-test: synopsis -->` lists every
  subcommand and every option of each, as argparse defines them
  (netdsl/cli/args.py); every `netdsl COMMAND ...` line of any other block names
  only options that command has, and where it spells out choices (`TB|LR`) they
  are the parser's.
- A Python block after `<!-- readme-test: same model as SPEC -->` runs in a fresh
  process and builds the model netdsl compiles SPEC to (layers, parameters,
  loss, optimizer and its learning rate).
- The Python API section names every public name of `netdsl` (`__all__`) and
  says truly what a node's `params` is; Set-up names every extra of
  pyproject.toml and the Python version it requires, and each command it says
  needs no TensorFlow (`pip install .`) runs without loading it.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import netdsl
from conftest import EXAMPLES, ROOT
from netdsl.cli.args import build_parser

README = ROOT / "README.md"

# Console blocks shown but not run, by their first command, with why. A block is
# added here only when running it is impossible or too slow for the suite; say
# in the README how its output was produced.
ILLUSTRATIVE = {
    "make compare": "trains 4 specs x 5 seeds (minutes); the README shows the numbers that command "
    "printed, and the quick `netdsl compare` before it is run instead",
}

# What may differ from run to run, each replaced by a placeholder on both sides
# before comparing: wall-clock times only.
VOLATILE = [
    # compare's train-time column: "6.3 ± 0.3 s"
    ("<seconds ± seconds>", re.compile(r"\b\d+\.\d ± \d+\.\d s\b")),
    # train's first line ends with its duration: "... seed 1 (5.6 s)"
    ("(<seconds>)", re.compile(r"\(\d+\.\d s\)$")),
]


def _fixture_text(text: str):
    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8")

    return write


def _keras_model(name: str):
    def write(path: Path) -> None:
        import keras
        import test_lockin  # the models written in Keras that the round-trip tests import too

        keras.utils.clear_session()  # Keras's own names (input_layer, dense_2) count from zero
        getattr(test_lockin, name)().save(path)

    return write


# Files the README's commands read that are not in the repository.
FIXTURES = {
    # `netdsl diff`'s example: iris_concat.net with wider sepal layers and the petal branch renamed
    "iris_concat_v2.net": _fixture_text(
        (EXAMPLES / "iris_concat.net")
        .read_text(encoding="utf-8")
        .replace("sepal -> dense(2, relu)", "sepal -> dense(4, relu)")
        .replace("petal_h = petal -> dense(2, relu)", "petal_hidden = petal -> dense(4, relu)")
        .replace("concat(sepal_h, petal_h)", "concat(sepal_h, petal_hidden)")
    ),
    # `netdsl check` and `netdsl tune` of a spec with a search space (see "Searching")
    "tune.net": _fixture_text(
        "input iris: [sepal_length, sepal_width, petal_length, petal_width]\n"
        "output species = iris -> dense(choice(4, 16), relu) -> dropout(uniform(0.0, 0.4))"
        " -> dense(3, softmax)\n"
        "compile loss=categorical_crossentropy optimizer=adam(learning_rate=loguniform(1e-3, 3e-2)) "
        "metrics=[accuracy]\ntrain epochs=9 batch_size=16 seed=1\n"
    ),
    "widths.net": _fixture_text(
        "input sepal: [sepal_length, sepal_width]\ninput petal: [petal_length, petal_width]\n"
        "a = sepal -> dense(choice(4, 8), relu)\nb = petal -> dense(choice(4, 8, 16), relu)\n"
        "output species = add(a, b) -> dense(3, softmax)\n"
    ),
    # `netdsl import`'s examples: the Keras guide's MNIST MLP, and a model with a shared layer
    "mnist_model.keras": _keras_model("mnist_mlp"),
    "siamese.keras": _keras_model("shared_layers"),
}


# ---- reading the README --------------------------------------------------------


@dataclass
class Block:
    line: int  # of the opening fence, 1-based
    info: str
    lines: list[str]
    marker: str | None  # the `<!-- readme-test: ... -->` right before it

    @property
    def is_console(self) -> bool:
        return bool(self.lines) and self.lines[0].startswith("$ ")


@dataclass
class Command:
    line: int
    text: str
    expected: list[str] = field(default_factory=list)


_MARKER = re.compile(r"^<!--\s*readme-test:\s*(.*?)\s*-->$")


def readme_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    lines = text.splitlines()
    i, last = 0, ""  # last: the previous non-blank line
    while i < len(lines):
        fence = re.match(r"^(```+)\s*(\S*)", lines[i])
        if not fence:
            last = lines[i].strip() or last
            i += 1
            continue
        marker = _MARKER.match(last)
        end = i + 1
        while end < len(lines) and not lines[end].startswith(fence.group(1)):
            end += 1
        blocks.append(Block(i + 1, fence.group(2), lines[i + 1 : end], marker.group(1) if marker else None))
        i, last = end + 1, lines[end] if end < len(lines) else ""
    return blocks


def commands(block: Block) -> list[Command]:
    """The `$` commands of a console block, each with the lines shown under it."""
    out: list[Command] = []
    continued = False
    for n, line in enumerate(block.lines, start=block.line + 1):
        if continued:
            out[-1].text += " " + line.strip()
        elif line.startswith("$ "):
            out.append(Command(n, line[2:].strip()))
        else:
            out[-1].expected.append(line)
            continue
        continued = out[-1].text.endswith("\\")
        out[-1].text = out[-1].text.rstrip("\\").rstrip()
    return out


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))
CONSOLE = [b for b in BLOCKS if b.is_console]


def _illustrative(block: Block) -> str | None:
    if block.marker and block.marker.startswith("illustrative"):
        return block.marker.partition(":")[2].strip() or "(no reason given)"
    return None


def _block_id(block: Block) -> str:
    return f"L{block.line}: {commands(block)[0].text[:60]}"


# ---- running the commands --------------------------------------------------------


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    ws = tmp_path_factory.mktemp("readme")
    shutil.copytree(EXAMPLES, ws / "examples")
    for name, make in FIXTURES.items():
        make(ws / name)
    return ws


# What importing TensorFlow puts in os.environ (in this process, once any test
# module has imported Keras): a reader's shell has none of it, and
# TF_CPP_MIN_LOG_LEVEL=1 there would let TensorFlow's C++ notices through.
_SET_BY_TENSORFLOW = ("TF_", "TF2_", "TPU_", "ENABLE_RUNTIME_UPTIME_TELEMETRY", "HDF5_PLUGIN_PATH")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SET_BY_TENSORFLOW)}
    # this checkout's netdsl, whatever the installed one; output in the order written
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("NO_COLOR", None)  # not a terminal: no colour either way
    return env


def _normalized(lines: list[str]) -> list[str]:
    out = [line.rstrip() for line in lines]
    while out and not out[-1]:
        out.pop()
    timed = False
    for i, line in enumerate(out):
        for placeholder, pattern in VOLATILE:
            line, n = pattern.subn(placeholder, line)
            timed = timed or n > 0
        out[i] = line
    if timed:  # columns are as wide as their times: compare the words, not their padding
        out = [" ".join(line.split()) for line in out]
    return out


def _shows_error(lines: list[str]) -> bool:
    return any(re.search(r"\berror\[ND\d+\]|^netdsl: error", line) for line in lines)


def run_shown(command: Command, cwd: Path) -> list[str]:
    """Run one README command; the mismatches with what the README shows (none: [])."""
    argv = shlex.split(command.text)
    assert argv[0] == "netdsl", f"README line {command.line}: only netdsl commands run: {command.text}"
    r = subprocess.run(
        [sys.executable, "-m", "netdsl", *argv[1:]],
        cwd=cwd,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )
    shown, got = _normalized(command.expected), _normalized(r.stdout.splitlines())
    problems = []
    if shown != got:
        diff = difflib.unified_diff(shown, got, "README", "actual", lineterm="", n=1)
        problems.append(f"README line {command.line}: $ {command.text}\n" + "\n".join(diff))
    expected_codes = (1, 2) if _shows_error(command.expected) else (0,)
    if r.returncode not in expected_codes:
        problems.append(f"README line {command.line}: $ {command.text}: exit {r.returncode}")
    return problems


@pytest.mark.parametrize("block", CONSOLE, ids=_block_id)
def test_console_block(block, workspace):
    reason = _illustrative(block)
    if reason is not None:
        _check_make_echo(block)
        pytest.skip(f"illustrative: {reason}")
    problems = [p for c in commands(block) for p in run_shown(c, workspace)]
    assert not problems, "\n\n".join(problems)


def _check_make_echo(block: Block) -> None:
    for c in commands(block):
        argv = shlex.split(c.text)
        if argv[0] != "make":
            continue
        # Run as a top-level make even under `make test`: no inherited MAKEFLAGS/MAKELEVEL, no
        # "Entering directory" lines.
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
        r = subprocess.run(
            ["make", "--no-print-directory", "-n", *argv[1:]],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        echo = r.stdout.splitlines()
        assert c.expected[: len(echo)] == echo, f"README line {c.line}: `make -n` prints\n{r.stdout}"


def test_illustrative_blocks_are_the_listed_ones():
    marked = {commands(b)[0].text: _illustrative(b) for b in CONSOLE if _illustrative(b) is not None}
    assert set(marked) == set(ILLUSTRATIVE), "update ILLUSTRATIVE (with why) or the README's markers"
    for block in CONSOLE:
        if _illustrative(block) is None:
            for c in commands(block):
                assert c.text.startswith("netdsl "), f"README line {c.line}: mark it illustrative or run it"


def test_every_marker_is_understood():
    kinds = ("synopsis", "illustrative: ", "same model as ")
    unknown = [
        f"README line {b.line - 1}: {b.marker}" for b in BLOCKS if b.marker and not b.marker.startswith(kinds)
    ]
    assert unknown == [], f"a readme-test marker is one of {kinds}"
    # a marker works only alone on its line, right before its block
    placed = sum(b.marker is not None for b in BLOCKS)
    assert len(re.findall(r"<!--\s*readme-test", README.read_text(encoding="utf-8"))) == placed


def test_fixtures_are_used():
    shown = " ".join(c.text for b in CONSOLE for c in commands(b))
    assert [name for name in FIXTURES if name not in shown] == []


def test_the_error_example_is_shipped():
    cmds = [c.text for b in CONSOLE for c in commands(b)]
    assert "netdsl check examples/errors/add_mismatch.net" in cmds
    assert (EXAMPLES / "errors" / "add_mismatch.net").is_file()


# ---- the synopsis -------------------------------------------------------------------


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("netdsl has no subcommands")


def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    # Hidden options (help=SUPPRESS: --debug repeated after each command) are
    # documented once, with the top level's.
    return [
        a
        for a in parser._actions
        if a.option_strings and not isinstance(a, argparse._HelpAction) and a.help != argparse.SUPPRESS
    ]


def synopsis_lines(block: Block) -> list[tuple[str, str]]:
    """(command, its synopsis text) for each `netdsl COMMAND ...` line; indented
    lines continue the one before; `# ...` comments are left out."""
    out: list[tuple[str, str]] = []
    for line in block.lines:
        text = line.split(" # ")[0].rstrip()
        m = re.match(r"^netdsl ([a-z]+)(\s.*)?$", text)
        if m:
            out.append((m.group(1), text))
        elif re.match(r"^netdsl \[", text):
            out.append(("", text))
        elif line.startswith(" ") and out and line.strip():
            out[-1] = (out[-1][0], out[-1][1] + " " + text.strip())
    return out


_FLAG = re.compile(r"(?<![\w-])(--?[a-zA-Z][\w-]*)(?:[ =]([^\s\]\[]+))?")


def _shown_flags(text: str) -> dict[str, str | None]:
    return {m.group(1): m.group(2) for m in _FLAG.finditer(text)}


def _option_problems(command: str, text: str, parser: argparse.ArgumentParser) -> list[str]:
    """Options shown that the command lacks, or whose choices differ."""
    known = {s: a for a in _options(parser) for s in a.option_strings}
    problems = []
    for flag, value in _shown_flags(text).items():
        action = known.get(flag)
        if action is None:
            problems.append(f"`netdsl {command}` has no option {flag}")
        elif action.choices and value and "|" in value:
            if {v.lower() for v in value.split("|")} != {str(c).lower() for c in action.choices}:
                problems.append(f"`netdsl {command} {flag}` takes {'|'.join(action.choices)}, not {value}")
    return problems


def test_synopsis_lists_every_command_and_option():
    [block] = [b for b in BLOCKS if b.marker == "synopsis"]
    parser = build_parser()
    subs = _subparsers(parser)
    shown: dict[str, str] = {}
    for command, text in synopsis_lines(block):
        shown[command] = shown.get(command, "") + " " + text
    problems = [f"`netdsl {c}` is not in the synopsis" for c in subs if c not in shown]
    problems += [
        f"the synopsis shows `netdsl {c}`, which does not exist" for c in shown if c and c not in subs
    ]
    for command, sub in [("", parser), *subs.items()]:
        flags = _shown_flags(shown.get(command, ""))
        for action in _options(sub):
            if not any(s in flags for s in action.option_strings):
                problems.append(f"the synopsis of `netdsl {command}` lacks {'/'.join(action.option_strings)}")
    assert not problems, "\n".join(problems)


def test_every_synopsis_line_is_true():
    parser = build_parser()
    subs = _subparsers(parser)
    problems = []
    for block in BLOCKS:
        if block.is_console:
            continue
        for command, text in synopsis_lines(block):
            if command and command not in subs:
                problems.append(f"README line {block.line}: no command `netdsl {command}`")
                continue
            problems += [
                f"README line {block.line}: {p}"
                for p in _option_problems(command, text, subs.get(command, parser))
            ]
    assert not problems, "\n".join(problems)


# ---- Python --------------------------------------------------------------------------


_SAME_MODEL = """
import json, sys
import netdsl
made = netdsl.to_keras(netdsl.load(sys.argv[1]), seed=0)
def signature(m):
    opt = m.optimizer
    return {
        "layers": [type(layer).__name__ for layer in m.layers],
        "dense": sorted((d.units, d.activation.__name__) for d in m.layers if hasattr(d, "units")),
        "params": m.count_params(),
        "optimizer": type(opt).__name__,
        "learning_rate": round(float(opt.learning_rate), 8),
        "loss": getattr(m.loss, "__name__", m.loss),
    }
print(json.dumps([signature(model), signature(made)]))
"""


@pytest.mark.parametrize(
    "block",
    [b for b in BLOCKS if (b.marker or "").startswith("same model as ")],
    ids=lambda b: b.marker,
)
def test_keras_snippet_builds_the_spec_beside_it(block, tmp_path):
    spec = ROOT / block.marker.removeprefix("same model as ").strip()
    assert spec.is_file(), block.marker
    script = tmp_path / "snippet.py"
    script.write_text("\n".join(block.lines) + "\n" + _SAME_MODEL, encoding="utf-8")
    r = subprocess.run(
        [sys.executable, str(script), str(spec)], capture_output=True, text=True, env=_env(), timeout=600
    )
    assert r.returncode == 0, r.stderr[-3000:]
    written, compiled = json.loads(r.stdout.splitlines()[-1])
    assert sorted(written.pop("layers")) == sorted(compiled.pop("layers"))
    assert written == compiled


def test_keras_snippet_is_marked():
    assert any((b.marker or "").startswith("same model as ") for b in BLOCKS)


def _section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def test_python_api_section_names_every_public_name():
    section = _section("Python API")
    missing = [name for name in netdsl.__all__ if f"netdsl.{name}" not in section]
    assert missing == []


def test_python_api_params_are_trainable_and_non_trainable():
    assert "a pair of counts (trainable,\nnon-trainable)" in _section("Python API")
    graph = netdsl.load(str(EXAMPLES / "standardized.net"), data=str(EXAMPLES / "data" / "iris.csv"))
    pairs = [netdsl.node(graph, n).params for n in graph]
    assert all(isinstance(p, tuple) and len(p) == 2 for p in pairs)
    assert (0, 9) in pairs  # the standardize layer of 4 features, as the README says
    assert sum(t for t, _ in pairs) == netdsl.network(graph).params.trainable
    assert sum(n for _, n in pairs) == netdsl.network(graph).params.non_trainable


# ---- set-up ---------------------------------------------------------------------------


# One invocation of each command Set-up says works without TensorFlow (`pip install .`).
WITHOUT_TENSORFLOW = {
    "check": ["check", "examples/iris_concat.net"],
    "render": ["render", "examples/iris_concat.net", "-o", "no_tf.dot"],
    "fmt": ["fmt", "--check", "examples/iris_concat.net"],
    "explain": ["explain", "ND301"],
    "import": ["import", "mnist_model.keras"],
    "emit": ["emit", "examples/iris_concat.net", "--python"],
    "diff": ["diff", "examples/iris_concat.net", "examples/iris_add.net"],
}

_WHICH_LOAD_TENSORFLOW = """
import contextlib, io, json, sys
from netdsl.cli import main
out = {}
for name, argv in json.loads(sys.argv[1]).items():
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(argv)
    out[name] = [code, "tensorflow" in sys.modules]
print(json.dumps(out))
"""


def test_commands_set_up_says_need_no_tensorflow_load_none(workspace):
    line = re.search(r"^pip install \.\s+# (.*): no TensorFlow$", _section("Set-up"), re.M)
    assert line, "Set-up's `pip install .` line says which commands need no TensorFlow"
    named = [c.strip() for c in line.group(1).split(",")]
    assert [c for c in named if c not in WITHOUT_TENSORFLOW] == [], "add an invocation to WITHOUT_TENSORFLOW"
    runs = {c: WITHOUT_TENSORFLOW[c] for c in named}
    r = subprocess.run(
        [sys.executable, "-c", _WHICH_LOAD_TENSORFLOW, json.dumps(runs)],
        cwd=workspace,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    result = json.loads(r.stdout)
    assert {c: code for c, (code, _) in result.items()} == dict.fromkeys(named, 0)
    assert [c for c, (_, loaded) in result.items() if loaded] == [], (
        "these load TensorFlow (the first, at least)"
    )


def test_setup_names_every_extra_and_the_python_version():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    section = _section("Set-up")
    missing = [e for e in project["optional-dependencies"] if f"| `{e}` |" not in section]
    assert missing == [], "the extras table in Set-up lacks these"
    assert f"Python {project['requires-python']}".replace(">=", ">= ") in section
    assert "pip install . " in section
    assert "pip install '.[keras]'" in section
    assert "make demo" in section and "make test" in section
