"""Blocks and imports: declared once, expanded into the graph, checked like the rest."""

from __future__ import annotations

import numpy as np
import pytest

import netdsl
from conftest import EXAMPLES, IRIS_CSV, run_cli
from netdsl.backends.dot import DiagramOptions, to_dot
from netdsl.lang.diagnostics import SpecError

RESIDUAL = """block residual(width, rate=0.0) (x) {
  h = x -> dense(width, relu) -> dropout(rate) -> dense(width)
  return add(x, h)
}
"""


def diags_of(text: str, name: str = "t.net", **kw):
    with pytest.raises(SpecError) as info:
        netdsl.loads(text, name, **kw)
    return info.value.diagnostics


def test_expansion_names_show_where_each_layer_came_from():
    g = netdsl.loads(RESIDUAL + "input f: 8\noutput y = f -> dense(16) -> residual(16) * 2 -> dense(1)\n")
    assert [n for n in g if n.startswith("y.")] == [
        "y.residual_1.h_dense_1",
        "y.residual_1.h_dropout_1",
        "y.residual_1.h",
        "y.residual_1.out",
        "y.residual_2.h_dense_1",
        "y.residual_2.h_dropout_1",
        "y.residual_2.h",
        "y.residual_2.out",
    ]
    assert netdsl.node(g, "y.residual_1.out").inputs == ["y_dense_1", "y.residual_1.h"]
    assert netdsl.node(g, "y.residual_2.h_dense_1").inputs == ["y.residual_1.out"]
    assert netdsl.node(g, "y").inputs == ["y.residual_2.out"]
    assert netdsl.node(g, "y.residual_1.h_dropout_1").args == {"rate": 0.0, "seed": None}  # the defaults
    assert netdsl.network(g).params.total == (8 * 16 + 16) + 2 * 2 * (16 * 16 + 16) + 17


def test_parameters_by_position_and_keyword():
    g = netdsl.loads(RESIDUAL + "input f: 4\noutput y = f -> residual(rate=0.5, width=4)\n")
    assert netdsl.node(g, "y.residual_1.h_dropout_1").args["rate"] == 0.5
    assert netdsl.node(g, "y.residual_1.h").args["units"] == 4


def test_several_inputs_and_outputs():
    text = (
        "block gate(width) (a, b) {\n  g = concat(a, b) -> dense(width, sigmoid)\n"
        "  m = concat(a, b) -> dense(width)\n  return m, g\n}\n"
        "input a: 2\ninput b: 3\nm, w = gate(4, a=a, b=b)\nv, u = a -> gate(5, b=b)\n"
        "output y = concat(m, w) -> dense(1)\noutput z = concat(v, u)\n"
    )
    g = netdsl.loads(text)
    # each name of a block's outputs is an identity layer of its own (Keras has every name)
    assert netdsl.node(g, "y_concat_1").inputs == ["m", "w"]
    assert netdsl.node(g, "m").inputs == ["m.gate_1.m"] and netdsl.node(g, "w").inputs == ["m.gate_1.g"]
    assert netdsl.node(g, "m.gate_1.g_concat_1").inputs == ["a", "b"]
    assert netdsl.node(g, "z").inputs == ["v", "u"] and netdsl.node(g, "u").op == "identity"
    assert netdsl.node(g, "v.gate_1.m").shape == (5,)
    # one name for two outputs, or two outputs in the middle of a chain: an error
    for bad in ("v = a -> gate(5, b=b)\noutput z = v\n", "output z = a -> gate(5, b=b) -> dense(1)\n"):
        d = diags_of(text.split("input a")[0] + "input a: 2\ninput b: 3\n" + bad)
        assert [x.code for x in d] == ["ND112"], d


def test_blocks_using_blocks_and_repeated():
    text = (
        RESIDUAL + "block tower(width) (x) {\n  return x -> residual(width) * 2 -> dense(width)\n}\n"
        "input f: 4\noutput y = f -> tower(4) * 2\n"
    )
    g = netdsl.loads(text)
    assert "y.tower_2.residual_2.out" in g and netdsl.node(g, "y").op == "identity"
    assert netdsl.node(g, "y.tower_1.out").op == "dense"
    assert netdsl.node(g, "y.tower_1.out").inputs == ["y.tower_1.residual_2.out"]
    assert netdsl.node(g, "y.tower_2.residual_1.h_dense_1").inputs == ["y.tower_1.out"]


@pytest.mark.parametrize(
    "text, code",
    [
        ("block loop(w) (x) {\n  return x -> loop(w)\n}\ninput f: 2\noutput y = f -> loop(2)\n", "ND110"),
        (
            "block a1(w) (x) {\n  return x -> b1(w)\n}\nblock b1(w) (x) {\n  return x -> a1(w)\n}\n"
            "input f: 2\noutput y = f -> a1(2)\n",
            "ND110",
        ),
        (RESIDUAL + "input f: 4\noutput y = f -> residual()\n", "ND203"),
        (RESIDUAL + "input f: 4\noutput y = f -> residual(4, 0.1, 3)\n", "ND209"),
        (RESIDUAL + "input f: 4\noutput y = f -> residual(4, widht=3)\n", "ND204"),
        (RESIDUAL + "input f: 4\noutput y = residual(4)\n", "ND202"),
        ("block b(w) (x) {\n  h = x -> dense(w)\n}\ninput f: 4\noutput y = f -> b(4)\n", "ND112"),
        ("block b(w) (x) {\n  return q -> dense(w)\n}\ninput f: 4\noutput y = f -> b(4)\n", "ND101"),
        ("block dense(w) (x) {\n  return x\n}\ninput f: 4\noutput y = f -> dense(4)\n", "ND102"),
        ("block b(w, w) (x) {\n  return x\n}\ninput f: 4\noutput y = f -> b(4)\n", "ND102"),
    ],
)
def test_block_errors(text, code):
    assert code in [d.code for d in diags_of(text)]


def test_error_inside_a_block_points_at_the_line_and_the_use():
    text = RESIDUAL + "input f: 4\nh = f -> dense(8)\noutput y = h -> residual(4)\n"
    (d,) = diags_of(text)
    assert (d.code, d.span.line, d.span.column) == ("ND301", 3, 10)  # add(x, h) in the block
    assert [(n.span.line, n.span.column) for n in d.notes][-1] == (7, 17)  # residual(4) at the use
    assert "in block 'residual'" in d.notes[-1].message


def test_bad_argument_points_at_the_use_and_the_line_inside():
    (d,) = diags_of(RESIDUAL + "input f: 4\noutput y = f -> residual(4, rate=1.5)\n")
    assert (d.code, d.span.line, d.span.column) == ("ND206", 6, 34)
    assert (d.notes[0].span.line, d.notes[0].span.column) == (2, 34)


def test_a_block_name_that_is_unknown_gets_a_suggestion():
    d = diags_of(RESIDUAL + "input f: 4\noutput y = f -> residul(4)\n")
    assert d[0].code == "ND201" and d[0].help == "did you mean 'residual'?"


def test_keras_model_of_a_block_spec_matches_its_graph():
    g = netdsl.load(str(EXAMPLES / "residual_blocks.net"))
    model = netdsl.to_keras(g, seed=0)
    assert model.count_params() == netdsl.network(g).params.total
    assert model.get_layer("h.residual_3.out").output.shape == (None, 64)
    out = model.predict(np.random.default_rng(0).normal(size=(4, 30)).astype("float32"), verbose=0)
    assert out.shape == (4, 2) and np.allclose(out.sum(axis=1), 1, atol=1e-5)


# ---- imports --------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "towers.net").write_text(
        "block tower(width) (x) {\n  return x -> dense(width, relu) -> dense(width)\n}\n"
        "block twin(width) (x) {\n  return x -> tower(width) -> tower(width)\n}\n"
    )
    return tmp_path


def test_import_every_block_and_from_import_with_alias(project):
    (project / "a.net").write_text('import "lib/towers.net"\ninput f: 3\noutput y = f -> twin(4)\n')
    g = netdsl.load(str(project / "a.net"))
    assert "y.twin_1.tower_2.out" in g
    (project / "b.net").write_text(
        'from "lib/towers.net" import twin as pair\ninput f: 3\noutput y = f -> pair(4)\n'
    )
    g = netdsl.load(str(project / "b.net"))  # twin still finds tower, in its own file
    assert "y.pair_1.tower_1.dense_1" in g


def test_import_errors(project, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere")
    (outside / "x.net").write_text("block far() (x) {\n  return x\n}\n")
    (project / "lib" / "cyc1.net").write_text('import "cyc2.net"\nblock c1() (x) {\n  return x\n}\n')
    (project / "lib" / "cyc2.net").write_text('import "cyc1.net"\nblock c2() (x) {\n  return x\n}\n')
    (project / "lib" / "model.net").write_text("input q: 2\noutput r = q\n")
    spec = project / "main.net"
    spec.write_text(
        f'import "{outside}/x.net"\nimport "lib/none.net"\nfrom "lib/towers.net" import towr\n'
        'import "lib/cyc1.net"\nimport "lib/model.net"\ninput f: 2\noutput y = f -> dense(1)\n'
    )
    with pytest.raises(SpecError) as info:
        netdsl.load(str(spec))
    got = [(d.code, d.message.split(":")[0]) for d in info.value.diagnostics]
    assert ("ND113", f"'{outside}/x.net' is outside the directory of the spec") in got
    assert any(c == "ND113" and m.startswith("cannot import 'lib/none.net'") for c, m in got)
    assert ("ND113", "'lib/towers.net' has no block 'towr'") in got
    assert any(c == "ND113" and m == "import cycle" for c, m in got)
    assert any(c == "ND114" for c, _ in got)
    towr = next(d for d in info.value.diagnostics if "towr" in d.message)
    assert towr.help == "did you mean 'tower'?"
    # an include path lets the outside file in
    with pytest.raises(SpecError) as info:
        netdsl.load(str(spec), include_paths=[str(outside)])
    assert not any("outside" in d.message for d in info.value.diagnostics)


def test_error_in_an_imported_file_names_that_file(project):
    (project / "lib" / "broken.net").write_text("block b(w) (x) {\n  return x -> dense(w, rellu)\n}\n")
    (project / "m.net").write_text('import "lib/broken.net"\ninput f: 2\noutput y = f -> b(3)\n')
    r = run_cli("check", "m.net", cwd=project)
    assert r.returncode == 1
    assert (
        "lib/broken.net:2:24: error[ND207]: dense() argument 'activation': unknown activation 'rellu'"
        in r.stderr
    )
    assert " 2 |   return x -> dense(w, rellu)" in r.stderr
    assert "(at m.net:3:17)" in r.stderr


def test_library_file_checks_clean():
    r = run_cli("check", EXAMPLES / "towers" / "blocks.net")
    assert r.returncode == 0 and "a library of 4 block(s)" in r.stdout


@pytest.mark.parametrize(
    "command",
    [
        ("compile", "-o", "m.keras"),
        ("train", "--data", IRIS_CSV, "-o", "m.keras"),
        ("render", "-o", "m.svg"),
        ("render", "--allow-errors", "-o", "m.svg"),
    ],
)
def test_a_library_file_gets_one_clear_diagnostic_from_every_building_command(command, tmp_path):
    name, *rest = command
    r = run_cli(name, EXAMPLES / "towers" / "blocks.net", *rest, cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert r.stderr.count("error[") == 1, r.stderr
    assert "this file defines blocks only; import it from a spec" in r.stderr
    assert 'from "blocks.net" import tower' in r.stderr
    assert "internal error" not in r.stderr and list(tmp_path.iterdir()) == []


def test_towers_example_compiles_with_imported_blocks(tmp_path):
    r = run_cli("compile", EXAMPLES / "towers" / "model.net", "-o", tmp_path / "t.keras")
    assert r.returncode == 0, r.stderr


# ---- diagrams ----------------------------------------------------------------------------


def test_each_block_use_is_a_cluster_and_can_be_collapsed():
    g = netdsl.load(str(EXAMPLES / "residual_blocks.net"))
    dot = to_dot(g)
    for k in (1, 2, 3):
        assert f'subgraph "cluster_h.residual_{k}"' in dot
        assert f'"h.residual_{k}.h_dense_1" [' in dot
    collapsed = to_dot(g, DiagramOptions(collapse_blocks=True))
    assert '"h.residual_2" [' in collapsed and '"h.residual_2.h" [' not in collapsed
    assert '"h.residual_1" -> "h.residual_2"' in collapsed
    per_block = 2 * (64 * 64 + 64)
    assert f"{per_block:,} params" in collapsed


def test_collapse_blocks_flag_renders(tmp_path):
    out = tmp_path / "c.svg"
    r = run_cli("render", EXAMPLES / "towers" / "model.net", "-o", out, "--collapse-blocks")
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert "sepal_h.deep_tower_1" in text and "6 layers" in text


def _nested_blocks(n: int, cycle: bool) -> str:
    """n blocks, each using the next (the last a dense layer, or the first: a cycle)."""
    body = []
    for i in range(n):
        used = f"b{(i + 1) % n}(w)" if i < n - 1 or cycle else "dense(w)"
        body.append(f"block b{i}(w) (x) {{\n  return x -> {used}\n}}")
    return "\n".join(body) + "\ninput x: 4\noutput y = x -> b0(2)\n"


def test_blocks_nested_to_the_limit_build_and_ten_times_deeper_is_a_diagnostic(tmp_path):
    from netdsl.ir.graph import MAX_BLOCK_DEPTH

    ok = tmp_path / "ok.net"
    ok.write_text(_nested_blocks(MAX_BLOCK_DEPTH, cycle=False))
    assert len(netdsl.network(netdsl.load(str(ok))).outputs) == 1
    deep = tmp_path / "deep.net"
    deep.write_text(_nested_blocks(10 * MAX_BLOCK_DEPTH, cycle=False))
    r = run_cli("check", deep)
    assert r.returncode == 1, r.stderr
    assert f"error[ND901]: blocks nested more than {MAX_BLOCK_DEPTH} deep" in r.stderr
    assert r.stderr.count("error[") == 1 and "internal error" not in r.stderr


def test_a_long_cycle_of_blocks_is_nd110_not_a_recursion_error(tmp_path):
    from netdsl.ir.graph import MAX_BLOCK_DEPTH

    spec = tmp_path / "cycle.net"
    n = 10 * MAX_BLOCK_DEPTH
    spec.write_text(_nested_blocks(n, cycle=True))
    r = run_cli("check", spec)
    assert r.returncode == 1, r.stderr
    assert "error[ND110]: block 'b0' uses itself: b0 -> b1 -> b2 -> b3 -> ..." in r.stderr
    assert f"-> b{n - 1} -> b0" in r.stderr
    assert r.stderr.count("error[") == 1 and "internal error" not in r.stderr
