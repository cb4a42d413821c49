"""`netdsl explain CODE`: what the error means, a spec that has it (from the error
corpus), what netdsl reports for it, and the fix — for every code."""

from __future__ import annotations

import importlib.util
import json

from conftest import ROOT, run_cli
from netdsl.lang.codes import CODES

SCRIPT = ROOT / "scripts" / "gen_explain.py"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_explain", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_explanations_are_generated_from_the_corpus_and_up_to_date():
    gen = _generator()
    committed = (ROOT / "netdsl" / "cli" / "explanations.json").read_text(encoding="utf-8")
    # building runs every wrong example (it must report its code) and every fix (it must not)
    assert gen.dump(gen.build()) == committed, "stale: run `make docs` (scripts/gen_explain.py)"
    for code, stem in gen.CORPUS.items():
        example = json.loads(committed)[code]["example"]
        assert example["source"] == f"tests/errors/{stem}.net"
        assert example["wrong"] == gen.strip_markers(
            (ROOT / example["source"]).read_text(encoding="utf-8-sig")
        )


def test_every_code_has_an_example_or_an_explanation():
    explanations = json.loads((ROOT / "netdsl" / "cli" / "explanations.json").read_text(encoding="utf-8"))
    missing = [
        c
        for c in CODES
        if not (explanations.get(c, {}).get("example") or explanations.get(c, {}).get("about"))
    ]
    assert not missing, (
        f"{missing}: give each a corpus file in scripts/gen_explain.py's CORPUS (and its fix in "
        "tests/errors/fixed/), or tests/errors/explain/CODE.net and CODE.fixed.net, or CODE.md"
    )
    with_examples = [c for c in CODES if explanations[c]["example"]]
    assert len(with_examples) >= len(CODES) - 10


def test_explain_prints_the_meaning_an_example_the_report_and_the_fix():
    r = run_cli("explain", "nd301")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.startswith("ND301: add() operands whose shapes differ.\n")
    assert "A spec that has it (tests/errors/add_shape_mismatch.net):" in out
    assert "`netdsl check spec.net` reports:\n    spec.net:6:18: error[ND301]" in out
    assert "help: project to a common width" in out
    fixed = out.split("Fixed:\n", 1)[1]
    assert "Hidden_Petal = petal -> dense(4, swish)" in fixed
    assert len(out.splitlines()) > 15  # not one line that says less than the error itself


def test_explain_shows_data_files_and_training_errors():
    r = run_cli("explain", "ND608")
    assert "`netdsl train spec.net --data data.csv` reports:" in r.stdout
    assert "with data.csv:\n    sepal_length,sepal_width,petal_length,petal_width,species" in r.stdout
    assert "Fixed data.csv:" in r.stdout
    r = run_cli("explain", "ND603")
    assert "caf\\xe9" in r.stdout  # the byte that is not UTF-8, shown escaped


def test_markdown_has_the_table_and_a_section_per_code():
    r = run_cli("explain", "--markdown")
    assert r.returncode == 0
    assert r.stdout.startswith("| code | meaning |\n|---|---|\n| ND001 |")
    for code in CODES:
        assert f"\n## {code}\n" in r.stdout
