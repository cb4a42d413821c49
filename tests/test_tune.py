"""Search spaces in the language, `check` of a whole space, and `netdsl tune`."""

from __future__ import annotations

import json

import pytest

from conftest import IRIS_CSV, run_cli
from netdsl.apps.space import SpaceError, check_space, parse_space
from netdsl.apps.tune import rungs
from netdsl.lang.source import Source

SPACE = """\
input iris: [sepal_length, sepal_width, petal_length, petal_width]
output species = iris -> dense(choice(4, 16), relu) -> dropout(uniform(0.0, 0.4)) -> dense(3, softmax)
compile loss=categorical_crossentropy optimizer=adam(learning_rate=loguniform(1e-3, 3e-2)) metrics=[accuracy]
train epochs=3 batch_size=16 seed=1
"""

ADD = """\
input sepal: [sepal_length, sepal_width]
input petal: [petal_length, petal_width]
a = sepal -> dense(choice(4, 8), relu)
b = petal -> dense(choice(4, 8, 16), relu)
output species = add(a, b) -> dense(3, softmax)
"""


def test_space_dimensions_points_and_concrete_specs():
    space = parse_space(Source("s.net", SPACE))
    assert [d.describe() for d in space.dimensions] == [
        "dense#1: choice of 4, 16",
        "dropout#1: uniform from 0.0 to 0.4",
        "learning_rate: loguniform from 0.001 to 0.03",
    ]
    assert len(space.grid()) == 2 * 3 * 3 and space.grid()[0] == ("4", "0.0", "0.001")
    assert space.sample(5, seed=3) == space.sample(5, seed=3) != space.sample(5, seed=4)
    text = space.concrete(("16", "0.25", "0.01"))
    assert "dense(16, relu) -> dropout(0.25) -> dense(3, softmax)" in text
    assert "adam(learning_rate=0.01)" in text and "choice" not in text
    assert parse_space(Source("plain.net", text)) is None
    import netdsl

    assert netdsl.network(netdsl.loads(text, "c.net")).params.total == 4 * 16 + 16 + 16 * 3 + 3


def test_spaces_in_blocks_and_settings():
    text = (
        "block tower(width, rate=choice(0.0, 0.2)) (x) {\n"
        "    return x -> dense(width, relu) -> dropout(rate)\n}\n"
        "input iris: [sepal_length, sepal_width, petal_length, petal_width]\n"
        "output species = iris -> tower(randint(2, 4)) -> dense(3, softmax)\n"
        "compile loss=categorical_crossentropy optimizer=sgd(momentum=uniform(0.0, 0.9))\n"
        "train epochs=choice(5, 10)\n"
    )
    space = parse_space(Source("b.net", text))
    assert [d.label for d in space.dimensions] == ["rate", "tower#1", "momentum", "epochs"]
    assert space.size() == float("inf") and len(space.grid()) == 2 * 3 * 3 * 2
    point = space.concrete(("0.2", "3", "0.45", "10"))
    assert "rate=0.2" in point and "tower(3)" in point and "momentum=0.45" in point and "epochs=10" in point
    assert check_space(space)[0] == []


@pytest.mark.parametrize(
    "value, message",
    [
        ("choice(4)", "choice(...) needs at least two values"),
        ("uniform(0.5, 0.1)", "needs low < high"),
        ("loguniform(0, 1)", "needs low > 0"),
        ("randint(1, 2.5)", "takes two integers"),
        ("choice(4, choice(8, 16))", "a space inside a space"),
        ("choice(4, 8) -> dense(2)", "must be an argument's whole value"),
    ],
)
def test_malformed_spaces(value, message):
    with pytest.raises(SpaceError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_space(Source("s.net", f"input x: 4\noutput y = x -> dense({value})\n"))


def test_check_names_the_combinations_that_break_a_rule(spec):
    diags, checked, total = check_space(parse_space(Source("a.net", ADD)))
    assert (checked, total) == (6, 6)
    assert len(diags) == 1 and diags[0].code == "ND802"
    assert diags[0].message.startswith("with dense#1@3:20=4, dense#1@4:20=8 (and 3 more of the 6")
    assert "[ND301] add() needs operands of identical shape" in diags[0].message
    assert diags[0].span.line == 5
    r = run_cli("check", spec(ADD, "a.net"))
    assert r.returncode == 1 and "error[ND802]" in r.stderr and "a.net:5:18" in r.stderr
    r = run_cli("check", spec(SPACE))
    assert r.returncode == 0, r.stderr
    assert (
        "3 dimension(s), continuous" in r.stdout
        and "learning_rate: loguniform from 0.001 to 0.03" in r.stdout
    )
    assert "checked all 18 combinations" in r.stdout
    r = run_cli("check", spec("input x: 4\noutput y = x -> dense(choice(4))\n", "bad.net"))
    assert r.returncode == 1 and "error[ND801]" in r.stderr and "bad.net:2:23" in r.stderr


def test_rungs_of_successive_halving():
    assert rungs(30) == [1, 3, 10, 30] and rungs(9) == [1, 3, 9] and rungs(2) == [2]


def _in_process(path, search, n, **kw):
    """The same search through the API, in this process (the sequential executor)."""
    import netdsl
    from netdsl.apps.tune import TuneRun, objective_of
    from netdsl.apps.tune import search as run_search

    space = parse_space(Source(str(path), path.read_text()))
    g = netdsl.loads(space.concrete(space.grid()[0]), str(path))
    run = TuneRun(space, str(IRIS_CSV), {"seed": 2}, objective_of(g))
    try:
        return run_search(run, search, n, 2, **kw)
    finally:
        run.executor().close()


def test_tune_is_seeded_on_every_executor_and_writes_a_clean_spec(tmp_path, spec):
    path = spec(SPACE)
    out, plot = tmp_path / "best.net", tmp_path / "t.png"
    args = ["--trials", "4", "--scheduler", "asha", "--jobs", "2", "--seed", "2", "--json"]
    r = run_cli("tune", path, "--data", IRIS_CSV, *args, "-o", out, "--plot", plot)
    assert r.returncode == 0, r.stderr
    pooled = json.loads(r.stdout)
    assert [t["epochs"] for t in pooled["trials"]].count(3) == 2  # half of them stopped after 1 epoch
    here = _in_process(path, "random", 4, asha_epochs=3)
    assert [(t.values, t.epochs, t.score) for t in here] == [
        (t["values"], t["epochs"], t["score"]) for t in pooled["trials"]
    ]
    best = out.read_text()
    assert best.startswith("# the best of a netdsl tune search") and "choice" not in best
    assert f"trial {pooled['best']['trial']}," in best and "trained with seed 2" in best
    assert run_cli("fmt", "--check", out).returncode == 0
    assert plot.read_bytes().startswith(b"\x89PNG")
    bayes = _in_process(path, "bayes", 2, asha_epochs=None)
    assert len(bayes) == 2 and all(t.score is not None for t in bayes)
    assert [t.values for t in bayes] == [t.values for t in _in_process(path, "bayes", 2, asha_epochs=None)]


def test_tune_usage_errors(spec):
    r = run_cli("tune", spec("input x: 4\noutput y = x -> dense(2)\n"), "--data", IRIS_CSV)
    assert r.returncode == 2 and "has no search space" in r.stderr
    r = run_cli("tune", spec(SPACE), "--data", IRIS_CSV, "--search", "bayes", "--scheduler", "asha")
    assert r.returncode == 2 and "--scheduler asha works with --search random or grid" in r.stderr
