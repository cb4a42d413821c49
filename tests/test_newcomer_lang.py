"""What a new user trips over in the language (issue 10: points 6, 7, 11, 17)."""

from __future__ import annotations

from pathlib import Path

import pytest

import netdsl
from conftest import run_cli
from netdsl.lang.diagnostics import SpecError, did_you_mean
from netdsl.lang.fmt import format_source
from netdsl.lang.names import KEYWORDS, written

TOWER = "block tower(w) (x) {{\n    return x -> dense(w{extra})\n}}\n"


def _errors(path: Path, include=()):
    with pytest.raises(SpecError) as info:
        netdsl.load(str(path), include_paths=[str(p) for p in include])
    return info.value.diagnostics


# ---- 10.6: --include-path is searched in order, like a compiler's -I ---------------


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "vendor").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "lib" / "blocks.net").write_text(TOWER.format(extra=", relu"))
    (tmp_path / "vendor" / "blocks.net").write_text(TOWER.format(extra=", tanh"))
    (tmp_path / "app" / "main.net").write_text(
        'from "blocks.net" import tower\ninput f: 3\noutput y = f -> tower(2)\n'
    )
    return tmp_path


def test_an_import_is_found_in_an_include_directory(tree):
    r = run_cli("check", "app/main.net", "--include-path", "lib", cwd=tree)
    assert r.returncode == 0, r.stderr
    g = netdsl.load(str(tree / "app" / "main.net"), include_paths=[str(tree / "lib")])
    assert netdsl.network(g).sources[1].name.endswith("lib/blocks.net")


def test_include_directories_are_searched_in_order_after_the_importing_file(tree):
    main = tree / "app" / "main.net"

    def found(*dirs: str) -> str:
        g = netdsl.load(str(main), include_paths=[str(tree / d) for d in dirs])
        return Path(netdsl.network(g).sources[1].name).parent.name

    assert found("vendor", "lib") == "vendor"
    assert found("lib", "vendor") == "lib"
    (tree / "app" / "blocks.net").write_text(TOWER.format(extra=", sigmoid"))
    assert found("lib", "vendor") == "app"  # next to the importing file first


def test_a_missing_import_says_where_it_looked(tree):
    (tree / "lib" / "blocks.net").unlink()
    (tree / "vendor" / "blocks.net").unlink()
    r = run_cli("check", "app/main.net", "--include-path", "lib", "--include-path", "vendor", cwd=tree)
    assert r.returncode == 1
    assert "error[ND113]: cannot import 'blocks.net': no such file" in r.stderr
    assert "help: looked for app/blocks.net, then lib/blocks.net, then vendor/blocks.net" in r.stderr


# ---- 10.7: a failed import is one error, not one per use --------------------------


@pytest.mark.parametrize(
    "head",
    [
        'import "nowhere.net"\n',
        'from "nowhere.net" import tower\n',
        'from "lib/blocks.net" import towr as tower\n',
        'from "lib/broken.net" import tower\n',
    ],
    ids=["import-all-missing", "from-missing", "no-such-block", "syntax-error-in-file"],
)
def test_a_failed_import_is_reported_once(tree, head):
    (tree / "lib" / "broken.net").write_text("block tower(w) (x) {\n    return x -> dense(w\n}\n")
    spec = tree / "m.net"
    spec.write_text(head + "input f: 3\nh = f -> tower(4)\noutput y = h -> tower(2) -> dense(1)\n")
    diags = _errors(spec)
    assert len([d for d in diags if d.severity == "error"]) == 1, [d.message for d in diags]
    assert not any(d.code == "ND201" for d in diags)


def test_a_real_unknown_layer_is_still_reported_next_to_a_failed_import(tree):
    spec = tree / "m.net"
    spec.write_text(
        'from "nowhere.net" import tower\ninput f: 3\nh = f -> tower(4)\noutput y = f -> dens(1)\n'
    )
    assert sorted(d.code for d in _errors(spec)) == ["ND113", "ND201"]


# ---- 10.11: output names may be quoted, like feature names ---------------------------


QUOTED = (
    "input x: [alcohol, acid]\nh = x -> dense(4, relu)\n"
    'output "wine class" = h -> dense(3, softmax)\n'
    'compile loss={"wine class": categorical_crossentropy} optimizer=adam\n'
)


def test_an_output_name_may_be_a_quoted_string():
    g = netdsl.loads(QUOTED)
    assert netdsl.network(g).outputs == ["wine class"] and netdsl.node(g, "wine class").shape == (3,)
    assert format_source(QUOTED) == QUOTED  # printed back with its quotes


def test_a_label_column_that_is_no_identifier_is_a_target(tmp_path):
    rows = ["alcohol,acid,wine class"] + [f"{10 + k % 3}.5,{k % 5}.1,{'abc'[k % 3]}" for k in range(30)]
    (tmp_path / "wine.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "wine.net").write_text(QUOTED)
    r = run_cli("train", "wine.net", "--data", "wine.csv", "--epochs", "1", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    (tmp_path / "bare.net").write_text(QUOTED.replace('"wine class"', "wine_class"))
    r = run_cli("train", "bare.net", "--data", "wine.csv", "--epochs", "1", "--quiet", cwd=tmp_path)
    assert r.returncode == 1
    assert (
        'help: did you mean "wine class"? (a name that is not an identifier is written in quotes)' in r.stderr
    )


def test_suggested_names_are_written_as_a_spec_needs_them():
    assert written("species") == "species" and written("wine class") == '"wine class"'
    assert written("input") == '"input"' and written("2nd") == '"2nd"' and written("꽃") == "꽃"
    assert did_you_mean("species_", ["species", "wine class"], as_names=True) == "did you mean 'species'?"


def test_written_agrees_with_the_grammar():
    from netdsl.lang.parser import KEYWORDS as TOKENS
    from netdsl.lang.parser import grammar_text

    assert set(TOKENS.values()) == KEYWORDS
    for name in ("a", "_x", "café", "cafe\u0301", "꽃잎", "x1"):
        assert written(name) == name
        netdsl.loads(f"input {name}: 1\noutput y = {name} -> dense(1)\n")
    assert "NAME: /[^\\W\\d][\\w\\u0300-\\u036f" in grammar_text()


# ---- 10.17: keywords and input widths explained ------------------------------------


def test_a_shape_is_an_input_of_that_shape():
    assert netdsl.node(netdsl.loads("input x: (4,)\noutput y = x -> dense(1)\n"), "x").shape == (4,)
    with pytest.raises(SpecError) as info:
        netdsl.loads("input x: (4, 0)\noutput y = x -> flatten -> dense(1)\n")
    (d,) = info.value.diagnostics
    assert d.code == "ND107" and "a positive integer, got 0" in d.message
    assert "input x: (4, 62)" in d.help
