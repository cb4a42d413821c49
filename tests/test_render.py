"""`netdsl render`: golden DOT for every example, real `dot` for SVG/PNG/PDF."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import netdsl
from conftest import EXAMPLES, check_golden, example_paths, run_cli
from netdsl.backends.dot import DiagramOptions, to_dot

GOLDEN = Path(__file__).parent / "golden" / "dot"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.stem)
def test_dot_golden_for_every_example(path, tmp_path):
    out = tmp_path / "d.dot"
    r = run_cli("render", path.name, "-o", out, cwd=EXAMPLES)
    assert r.returncode == 0, r.stderr
    check_golden(GOLDEN / f"{path.stem}.dot", out.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "variant, options",
    [
        ("lr", DiagramOptions(direction="LR")),
        ("no_clusters", DiagramOptions(clusters=False)),
    ],
)
def test_dot_golden_options(variant, options):
    g = netdsl.load(str(EXAMPLES / "iris_concat.net"))
    check_golden(GOLDEN / f"iris_concat.{variant}.dot", to_dot(g, options))


def test_cli_options_reach_the_diagram(tmp_path):
    out = tmp_path / "d.dot"
    r = run_cli("render", EXAMPLES / "iris_concat.net", "-o", out, "--direction", "LR", "--no-clusters")
    assert r.returncode == 0
    text = out.read_text()
    assert 'rankdir="LR"' in text and "subgraph" not in text


def test_dot_text_is_deterministic_and_ids_are_names():
    g1 = netdsl.load(str(EXAMPLES / "iris_feature_groups.net"))
    g2 = netdsl.load(str(EXAMPLES / "iris_feature_groups.net"))
    a, b = to_dot(g1), to_dot(g2)
    assert a == b
    for name in g1.nodes:
        assert f'\n    "{name}" [' in a or f'\n  "{name}" [' in a


def _svg_nodes(data: bytes) -> dict[str, str]:
    root = ET.fromstring(data)
    nodes = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "node":
            title = g.find(f"{SVG}title").text
            nodes[title] = " ".join(t.text or "" for t in g.iter(f"{SVG}text"))
    return nodes


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.stem)
def test_svg_has_a_node_for_every_layer_and_is_byte_identical(path, tmp_path):
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    for out in (a, b):
        r = run_cli("render", path, "-o", out)
        assert r.returncode == 0, r.stderr
    assert a.read_bytes() == b.read_bytes()
    g = netdsl.load(str(path))
    nodes = _svg_nodes(a.read_bytes())
    assert set(nodes) == set(g.nodes)
    for name, text in nodes.items():
        data = netdsl.node(g, name)
        shown = name[len(data.uses[-1].prefix) + 1 :] if data.uses else name  # inside its block's box
        assert shown in text and data.op in text
        assert f"{sum(data.params):,} param" in text
    title = ET.fromstring(a.read_bytes()).find(f"{SVG}g/{SVG}text")
    assert title is not None and title.text == netdsl.network(g).name


def test_svg_shows_what_a_reader_needs(tmp_path):
    out = tmp_path / "fg.svg"
    assert run_cli("render", EXAMPLES / "iris_feature_groups.net", "-o", out).returncode == 0
    nodes = _svg_nodes(out.read_bytes())
    assert "features: sepal_length, sepal_width" in nodes["sepal_h_select_1"]
    assert "4 units, relu" in nodes["sepal_h"] and "out (4,)" in nodes["sepal_h"]
    assert "OUTPUT" in nodes["species"]
    svg = out.read_text()
    assert "123 parameters · 123 trainable" in svg
    edges = [g for g in ET.fromstring(out.read_bytes()).iter(f"{SVG}g") if g.get("class") == "edge"]
    labels = {g.find(f"{SVG}title").text: " ".join(t.text for t in g.iter(f"{SVG}text")) for g in edges}
    assert labels["iris->sepal_h_select_1"].strip() == "(4,)"
    clusters = [g for g in ET.fromstring(out.read_bytes()).iter(f"{SVG}g") if g.get("class") == "cluster"]
    assert sorted(c.find(f"{SVG}title").text for c in clusters) == [
        "cluster_petal_h",
        "cluster_sepal_h",
        "cluster_species",
    ]


@pytest.mark.parametrize("ext, magic", [(".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF-")])
def test_png_and_pdf(tmp_path, ext, magic):
    out = tmp_path / ("diagram" + ext)
    r = run_cli("render", EXAMPLES / "iris_add.net", "-o", out)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes().startswith(magic)
    assert r.stdout.strip() == f"wrote {out}"


def test_standardize_and_dropout_details(tmp_path):
    g = netdsl.load(str(EXAMPLES / "standardized.net"))
    assert "adapted from data" in to_dot(g)
    g = netdsl.load(str(EXAMPLES / "mlp_dropout.net"))
    assert "rate 0.5" in to_dot(g)


def test_errors_fail_without_allow_errors_and_leave_output_untouched(spec, tmp_path):
    bad = spec(
        "input a: 2\ninput b: 2\nha = a -> dense(4)\nhb = b -> dense(8)\noutput y = add(ha, hb) -> dense(1)\n"
    )
    out = tmp_path / "d.svg"
    out.write_bytes(b"old")
    r = run_cli("render", bad, "-o", out)
    assert r.returncode == 1 and "error[ND301]" in r.stderr
    assert out.read_bytes() == b"old"


def test_allow_errors_draws_the_offending_parts_in_red(spec, tmp_path):
    bad = spec(
        "input a: 2\ninput b: 2\nha = a -> dense(4)\nhb = b -> dense(8)\n"
        "output y = add(ha, hb, c) -> dense(1)\n"
    )
    out = tmp_path / "d.svg"
    r = run_cli("render", bad, "-o", out, "--allow-errors")
    assert r.returncode == 0, r.stderr
    assert "error[ND101]" in r.stderr and "drawn in red" in r.stdout
    nodes = _svg_nodes(out.read_bytes())
    assert "ND101: 'c' is not defined" in nodes["y_add_1"]
    assert "not defined" in nodes["?c"]
    root = ET.fromstring(out.read_bytes())
    red = [
        g.find(f"{SVG}title").text
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "node"
        and any(p.get("stroke") == "#b91c1c" for p in g.iter() if p.tag in (f"{SVG}path", f"{SVG}polygon"))
    ]
    assert "y_add_1" in red and "ha" not in red


def test_syntax_errors_cannot_be_drawn(spec, tmp_path):
    bad = spec("input a: 2\noutput y = a -> dense(2\n")
    r = run_cli("render", bad, "-o", tmp_path / "d.svg", "--allow-errors")
    assert r.returncode == 1 and "ND004" in r.stderr
    assert not (tmp_path / "d.svg").exists()


def test_missing_dot_is_a_clear_error_and_dot_text_still_works(tmp_path):
    empty = tmp_path / "empty-path"
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty)}
    cmd = [sys.executable, "-m", "netdsl", "render", str(EXAMPLES / "iris_add.net"), "-o"]
    r = subprocess.run(cmd + [str(tmp_path / "d.svg")], env=env, capture_output=True, text=True)
    assert r.returncode == 2
    assert "apt-get install graphviz" in r.stderr and "-o diagram.dot" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "d.svg").exists()
    r = subprocess.run(cmd + [str(tmp_path / "d.dot")], env=env, capture_output=True, text=True)
    assert r.returncode == 0 and (tmp_path / "d.dot").read_text().startswith('digraph "iris_add"')


def test_a_dot_that_never_returns_is_stopped_by_the_timeout(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "dot"
    fake.write_text("#!/bin/sh\nsleep 600\n")
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    out = tmp_path / "d.svg"
    cmd = [sys.executable, "-m", "netdsl", "render", str(EXAMPLES / "iris_add.net"), "-o", str(out)]
    r = subprocess.run(cmd + ["--dot-timeout", "1"], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, r.stderr
    assert "did not finish within 1 s" in r.stderr and "--dot-timeout" in r.stderr
    assert "Traceback" not in r.stderr and not out.exists()


def test_unknown_format_is_a_usage_error(tmp_path):
    r = run_cli("render", EXAMPLES / "iris_add.net", "-o", tmp_path / "d.jpg")
    assert r.returncode == 2 and ".svg" in r.stderr


def test_render_never_imports_tensorflow(tmp_path):
    code = (
        "import sys\nfrom netdsl.cli import main\n"
        f"rc = main(['render', {str(EXAMPLES / 'iris_concat.net')!r}, '-o', {str(tmp_path / 'x.svg')!r}])\n"
        "print(rc, sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip().splitlines()[-1] == "0 []", r.stdout + r.stderr


@pytest.mark.parametrize("name", ["iris_concat", "iris_add", "iris_feature_groups"])
def test_readme_diagrams_are_up_to_date(name, tmp_path):
    """docs/*.svg are what `make docs` makes from today's code."""
    docs = Path(__file__).resolve().parent.parent / "docs"
    out = tmp_path / f"{name}.svg"
    assert run_cli("render", EXAMPLES / f"{name}.net", "-o", out).returncode == 0
    assert out.read_bytes() == (docs / f"{name}.svg").read_bytes(), "run `make docs`"


# ---- issue 10: shapes, order, block boxes, collapsed outputs, dpi, legend, partial totals ----


def test_diagram_writes_shapes_as_check_does():
    """One notation, per sample as keras.Input(shape=...) takes it: (4,) in check and diagrams."""
    r = run_cli("check", EXAMPLES / "iris_feature_groups.net")
    rows = {line.split()[0]: line.split() for line in r.stdout.splitlines()[2:]}
    dot = to_dot(netdsl.load(str(EXAMPLES / "iris_feature_groups.net")))
    for name in ("iris", "sepal_h_select_1", "sepal_h", "species_concat_1"):
        shape = rows[name][2]
        assert shape.startswith("(") and f"out {shape}" in dot.split(f'"{name}" [', 1)[1].split("\n")[0]
    assert "None" not in dot


def _positions(dot_text: str, direction: str = "TB") -> dict[str, tuple[float, float]]:
    """Each node's centre as Graphviz lays it out (dot -Tplain; y grows upwards)."""
    text = dot_text.replace('rankdir="TB"', f'rankdir="{direction}"')
    plain = subprocess.run(["dot", "-Tplain"], input=text, capture_output=True, text=True, check=True).stdout
    out = {}
    for line in plain.splitlines():
        if line.startswith("node "):
            _, name, x, y = line.split()[:4]
            out[name.strip('"')] = (float(x), float(y))
    return out


@pytest.mark.parametrize(
    "spec_file, first, second",
    [
        ("iris_concat.net", "sepal_h", "petal_h"),
        ("iris_feature_groups.net", "sepal_h", "petal_h"),
        ("iris_add.net", "Hidden_Sepal", "Hidden_Petal"),
    ],
)
@pytest.mark.parametrize("swap", [False, True])
def test_operands_are_drawn_in_the_order_written_and_inputs_come_first(spec_file, first, second, swap):
    text = (EXAMPLES / spec_file).read_text()
    if swap:  # the order of the operands, not of the lines, decides
        text = text.replace(f"({first}, {second})", f"({second}, {first})")
        first, second = second, first
    g = netdsl.loads(text)
    dot = to_dot(g)
    inputs = netdsl.network(g).inputs
    tb = _positions(dot)
    assert tb[first][0] < tb[second][0]  # left of
    assert len({tb[i][1] for i in inputs}) == 1 and tb[inputs[0]][1] == max(y for _, y in tb.values())
    lr = _positions(dot, "LR")
    assert lr[first][1] > lr[second][1]  # above
    assert len({lr[i][0] for i in inputs}) == 1 and lr[inputs[0]][0] == min(x for x, _ in lr.values())


def test_block_boxes_show_the_call_and_names_relative_to_the_block():
    g = netdsl.load(str(EXAMPLES / "residual_blocks.net"))
    dot = to_dot(g)
    box = dot.split('subgraph "cluster_h.residual_2" {', 1)[1]
    assert box.split("\n", 2)[1].count("<B>residual(64, rate=0.1)</B>") == 1
    assert '"h.residual_2.h_dense_1" [' in box and "<B>h_dense_1</B>" in box
    assert "<B>h.residual_2.h_dense_1</B>" not in dot  # the full name is the node's id
    collapsed = to_dot(g, DiagramOptions(collapse_blocks=True))
    assert collapsed.count("<B>residual(64, rate=0.1)</B>") == 3
    towers = to_dot(netdsl.load(str(EXAMPLES / "towers" / "model.net")))
    # a block used inside a block shows the values it gets, not the parameter's name
    for call in ("deep_tower(8)", "tower(8)", "residual(8)", "shallow(8, rate=0.2)", "gate(8)"):
        assert f"<B>{call}</B>" in towers, call
    assert "tower(width)" not in towers


def test_collapsed_block_draws_one_edge_per_output_with_its_shape(spec):
    text = (
        "block two(w) (x) {\n    a = x -> dense(w)\n    b = x -> dense(8)\n    return a, b\n}\n"
        "input f: 3\nnarrow, wide = f -> two(4)\noutput y = concat(narrow, wide) -> dense(1)\n"
    )
    dot = to_dot(netdsl.loads(text), DiagramOptions(collapse_blocks=True))
    edges = [line.strip() for line in dot.splitlines() if line.strip().startswith('"narrow.two_1" ->')]
    assert edges == [
        '"narrow.two_1" -> "narrow" [label=" (4,)"];',
        '"narrow.two_1" -> "wide" [label=" (8,)"];',
    ]
    assert "out (4,), (8,)" in dot
    assert (
        '"narrow" -> "y_concat_1" [label=" (4,)"]' in dot and '"wide" -> "y_concat_1" [label=" (8,)"]' in dot
    )


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_png_text_is_at_least_as_large_as_plot_models_and_dpi_sets_it(tmp_path):
    svg, png, small = tmp_path / "d.svg", tmp_path / "d.png", tmp_path / "s.png"
    for out, extra in ((svg, []), (png, []), (small, ["--dpi", "72"])):
        r = run_cli("render", EXAMPLES / "iris_add.net", "-o", out, *extra)
        assert r.returncode == 0, r.stderr
    width_pt = float(ET.fromstring(svg.read_bytes()).get("width").removesuffix("pt"))
    pixels_per_point = _png_size(png.read_bytes())[0] / width_pt
    # our smallest text is 9 pt; plot_model's is 14 pt at its default 200 dpi
    assert 9 * pixels_per_point >= 14 * 200 / 72
    assert abs(_png_size(small.read_bytes())[0] - width_pt) <= 2
    r = run_cli("render", EXAMPLES / "iris_add.net", "-o", tmp_path / "x.png", "--dpi", "0")
    assert r.returncode == 2 and "--dpi" in r.stderr


def test_legend_shows_the_kinds_drawn(tmp_path):
    out = tmp_path / "d.dot"
    r = run_cli("render", EXAMPLES / "iris_feature_groups.net", "-o", out, "--legend")
    assert r.returncode == 0, r.stderr
    legend = out.read_text().split('subgraph "cluster_legend" {', 1)[1]
    lines = [line.strip() for line in legend.splitlines()]
    kinds = [
        line.split('"')[1].removeprefix("legend_")
        for line in lines
        if line.startswith('"legend_') and "->" not in line
    ]
    assert kinds == ["input", "selection", "layer", "merge", "output"]
    assert "cluster_legend" not in to_dot(netdsl.load(str(EXAMPLES / "iris_feature_groups.net")))
    assert (
        run_cli("render", EXAMPLES / "towers" / "model.net", "-o", tmp_path / "t.svg", "--legend").returncode
        == 0
    )


def test_totals_drawn_with_errors_are_marked_partial(spec, tmp_path):
    bad = spec("input a: 2\nh = a -> dense(4)\noutput y = h -> dense(3, rellu) -> dense(1)\n")
    out = tmp_path / "d.dot"
    r = run_cli("render", bad, "-o", out, "--allow-errors")
    assert r.returncode == 0, r.stderr
    title = out.read_text().split("\n")[1]
    assert "12 parameters" in title and "partial: 2 layers not counted" in title
    good = to_dot(netdsl.load(str(EXAMPLES / "iris_add.net")))
    assert "partial" not in good


def test_render_allow_errors_draws_a_cycle_once(tmp_path):
    """Values that depend on each other (ND110) are drawn with --allow-errors, each once: the
    drawing order walks the graph without going round the cycle (it once grew without end)."""
    spec = tmp_path / "cycle.net"
    spec.write_text("input x: 2\na = b -> dense(2)\nb = a -> dense(2)\noutput y = a -> dense(1)\n")
    out = tmp_path / "cycle.dot"
    r = run_cli("render", spec, "-o", out, "--allow-errors", timeout=60)
    assert r.returncode == 0, r.stderr
    text = out.read_text(encoding="utf-8")
    for name in ("x", "a", "b", "y"):
        assert text.count(f'"{name}" [') == 1, name
