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
        assert name in text and data.op in text
        assert f"{sum(data.params):,} param" in text
    title = ET.fromstring(a.read_bytes()).find(f"{SVG}g/{SVG}text")
    assert title is not None and title.text == netdsl.network(g).name


def test_svg_shows_what_a_reader_needs(tmp_path):
    out = tmp_path / "fg.svg"
    assert run_cli("render", EXAMPLES / "iris_feature_groups.net", "-o", out).returncode == 0
    nodes = _svg_nodes(out.read_bytes())
    assert "features: sepal_length, sepal_width" in nodes["sepal_h_select_1"]
    assert "4 units, relu" in nodes["sepal_h"] and "out (None, 4)" in nodes["sepal_h"]
    assert "OUTPUT" in nodes["species"]
    svg = out.read_text()
    assert "123 parameters · 123 trainable" in svg
    edges = [g for g in ET.fromstring(out.read_bytes()).iter(f"{SVG}g") if g.get("class") == "edge"]
    labels = {g.find(f"{SVG}title").text: " ".join(t.text for t in g.iter(f"{SVG}text")) for g in edges}
    assert labels["iris->sepal_h_select_1"].strip() == "(None, 4)"
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
