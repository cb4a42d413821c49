"""Arguments computed statically (issue 13 point 5): arithmetic on block parameters,
width() and vocab_size(), evaluated over the syntax tree (netdsl/ir/compute.py).

A property test writes random expressions as text, computes what they are worth
with its own small evaluator over the tree it generated, and checks that netdsl
(parser, block substitution, width(), validation) gets the same units or the
error that value calls for, and that `fmt` keeps the expression. The CLI tests
run check with and without data, emit --python, render and compile, and load the
compiled model with Keras (safe_mode) to read the layers' resolved sizes.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_properties import COMMON, examples

from conftest import run_cli
from netdsl.ir.core import network, node
from netdsl.ir.ops import MAX_WIDTH
from netdsl.ir.pipeline import analyze
from netdsl.lang.fmt import format_source
from netdsl.lang.source import Source

IRIS = Path("/work/shared/data/iris.csv")
if not IRIS.exists():
    IRIS = Path(__file__).resolve().parent.parent / "examples" / "data" / "iris.csv"

# ---- the property: random arithmetic, netdsl's value against the test's own ----------

_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "//": 2}


@st.composite
def trees(draw, depth: int = 3):
    """A tree: ("num", n) | ("k",) | ("width",) | ("call", name, [trees]) | (op, left, right)."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from([("num", n) for n in range(10)] + [("k",), ("width",)]))
    kind = draw(st.sampled_from(["op", "op", "op", "call"]))
    if kind == "call":
        name = draw(st.sampled_from(["floor", "ceil", "max", "min"]))
        n = 1 if name in ("floor", "ceil") else draw(st.integers(1, 3))
        return ("call", name, [draw(trees(depth - 1)) for _ in range(n)])
    return (draw(st.sampled_from(list(_PREC))), draw(trees(depth - 1)), draw(trees(depth - 1)))


def _text(t, draw_parens) -> str:
    if t[0] == "num":
        return str(t[1])
    if t[0] == "k":
        return "k"
    if t[0] == "width":
        return "width()"
    if t[0] == "call":
        return f"{t[1]}({', '.join(_text(a, draw_parens) for a in t[2])})"
    op, left, right = t
    ltext, rtext = _text(left, draw_parens), _text(right, draw_parens)
    # brackets where precedence needs them (the right side of the same precedence too:
    # netdsl's operators are left-associative), and some where it does not
    if left[0] in _PREC and (_PREC[left[0]] < _PREC[op] or draw_parens()):
        ltext = f"({ltext})"
    if right[0] in _PREC and (_PREC[right[0]] <= _PREC[op] or draw_parens()):
        rtext = f"({rtext})"
    return f"{ltext} {op} {rtext}"


def _value(t, k: int, width: int):
    """Python's arithmetic on the tree (what netdsl's `/` and `//` promise)."""
    if t[0] == "num":
        return t[1]
    if t[0] == "k":
        return k
    if t[0] == "width":
        return width
    if t[0] == "call":
        args = [_value(a, k, width) for a in t[2]]
        if t[1] in ("max", "min"):
            return max(args) if t[1] == "max" else min(args)
        return math.floor(args[0]) if t[1] == "floor" else math.ceil(args[0])
    op, left, right = t
    a, b = _value(left, k, width), _value(right, k, width)
    if op in ("/", "//") and b == 0:
        raise ZeroDivisionError
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else 0, "//": a // b if b else 0}[op]


def _units(text: str) -> tuple[int | None, list[str]]:
    g = analyze(Source("spec.net", text))
    codes = [d.code for d in network(g).diagnostics if d.severity == "error"]
    return (node(g, "y.b_1.out").args or {}).get("units"), codes


@settings(max_examples=examples(300), **COMMON)
@given(trees(), st.integers(1, 9), st.integers(1, 9), st.data())
def test_computed_units_are_what_the_arithmetic_gives(tree, k, width, data):
    expr = _text(tree, lambda: data.draw(st.booleans()))
    text = f"input x: {width}\nblock b(k) (v) {{\n    return v -> dense({expr})\n}}\noutput y = x -> b({k})\n"
    units, codes = _units(text)
    try:
        want = _value(tree, k, width)
    except ZeroDivisionError:
        assert codes == ["ND214"], (expr, codes)
        return
    if want != int(want):
        assert codes == ["ND215"], (expr, want, codes)
    elif want < 1:
        assert codes == ["ND206"], (expr, want, codes)
    elif want > MAX_WIDTH:
        assert codes == ["ND901"], (expr, want, codes)
    else:
        assert codes == [] and units == int(want), (expr, want, units, codes)
    # the formatter keeps the expression (its own check: the same tree), and the same value
    formatted = format_source(text)
    assert format_source(formatted) == formatted
    assert _units(formatted) == (units, codes)


# ---- the CLI: sizes that wait for data, and what each command shows ------------------

SPEC = """\
input p: {sepal_length, petal_length, species: string}
sp = p[species] -> lookup -> embedding(floor(sqrt(vocab_size() + 5)))
h = p[sepal_length, petal_length] -> concat
output y = concat(h, sp -> flatten) -> dense(2 * width()) -> dense(1)
"""


def test_check_says_a_computed_size_waits_for_data_and_resolves_with_it(tmp_path):
    spec = tmp_path / "spec.net"
    spec.write_text(SPEC)
    without = run_cli("check", spec, "--json")
    assert without.returncode == 0, without.stderr
    report = json.loads(without.stdout)
    assert report["waits"] == ["the vocabulary of 'species' (from --data)"]
    with_data = run_cli("check", spec, "--data", IRIS, "--json")
    assert with_data.returncode == 0, with_data.stderr
    report = json.loads(with_data.stdout)
    assert report["waits"] == []
    shapes = {n["name"]: n["shape"] for n in report["nodes"]}
    # 3 species + 1 OOV slot = 4; floor(sqrt(4 + 5)) = 3; then 2 + 3 = 5 wide, 2 * 5 = 10 units
    assert shapes["sp"] == [1, 3]
    assert shapes["y_dense_1"] == [10]


def test_compiled_model_has_the_computed_sizes(tmp_path):
    spec = tmp_path / "spec.net"
    spec.write_text(SPEC)
    out = tmp_path / "m.keras"
    done = run_cli("compile", spec, "--data", IRIS, "-o", out)
    assert done.returncode == 0, done.stderr
    probe = (
        "import json, sys, keras\n"
        "m = keras.saving.load_model(sys.argv[1], safe_mode=True)\n"
        "print(json.dumps({l.name: l.get_config() for l in m.layers}))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe, str(out)], capture_output=True, text=True, timeout=300
    )
    assert loaded.returncode == 0, loaded.stderr
    configs = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert configs["sp"]["output_dim"] == 3
    assert configs["sp"]["input_dim"] == 4
    assert configs["y_dense_1"]["units"] == 10


BLOCKS = """\
input x: 6
block mlp(units, rate=0.2) (v) {
    return v -> dense(units * 2, relu) -> dense(units // 2 + 1) -> dropout(rate / 2)
}
h = x -> dense(8) -> mlp(width() * 3)
output y = concat(h, x) -> dense(2 * width(h) - 1) -> dense(floor(sqrt(width(x))), softmax)
"""


def test_emit_python_and_the_diagram_show_the_computed_numbers(tmp_path):
    spec = tmp_path / "spec.net"
    spec.write_text(BLOCKS)
    emitted = run_cli("emit", "--python", spec)
    assert emitted.returncode == 0, emitted.stderr
    # width() of the block's input is 8: units 24; 48, 24 // 2 + 1 = 13, rate 0.1;
    # 2 * 13 - 1 = 25; floor(sqrt(6)) = 2
    for layer in ("Dense(8,", "Dense(48,", "Dense(13,", "Dropout(0.1,", "Dense(25,", "Dense(2,"):
        assert layer in emitted.stdout, (layer, emitted.stdout)
    dot = tmp_path / "spec.dot"
    drawn = run_cli("render", spec, "-o", dot)
    assert drawn.returncode == 0, drawn.stderr
    text = dot.read_text()
    for label in ("48 units", "13 units", "25 units", "2 units"):
        assert label in text


@pytest.mark.parametrize(
    ("expr", "code", "column"),
    [
        ("width() / 4", "ND215", 23),  # 6 / 4
        ("1 // (width() - 6)", "ND214", 28),
        ("floor(sqroot(4))", "ND214", 29),
        ("vocab_size()", "ND216", 23),
        ("width(nowhere)", "ND216", 29),
    ],
)
def test_errors_point_at_the_expression(tmp_path, expr, code, column):
    spec = tmp_path / "spec.net"
    spec.write_text(f"input x: 6\noutput y = x -> dense({expr})\n")
    done = run_cli("check", spec)
    assert done.returncode == 1
    assert f"spec.net:2:{column}: error[{code}]" in done.stderr, done.stderr
