"""Search spaces in the language, `check` of a whole space, and `netdsl tune`."""

from __future__ import annotations

import json
from pathlib import Path

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
    assert check_space(space).diagnostics == []


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
    result = check_space(parse_space(Source("a.net", ADD)))
    diags, checked, total = result.diagnostics, result.checked, result.total
    assert (checked, total) == (6, 6)
    assert result.params == (2 * (2 * 4 + 4) + 4 * 3 + 3, 2 * (2 * 8 + 8) + 8 * 3 + 3)  # a, b equal: 4 or 8
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


REPEATED = """\
block residual(width, rate=0.1) (x) {
    h = x -> dense(width, relu) -> dropout(rate)
    return add(x, h)
}
input iris: [sepal_length, sepal_width, petal_length, petal_width]
h = iris -> dense(choice(8, 16), relu) -> residual(8) * choice(1, 2, 3)
output species = h -> dense(3, softmax)
"""


def _params(width: int, repeats: int, residual: int = 8) -> int:
    head = 4 * width + width
    return head + repeats * (width * residual + residual) + width * 3 + 3


def test_a_repetition_count_is_a_space(spec):
    space = parse_space(Source("r.net", REPEATED))
    assert [d.describe() for d in space.dimensions] == [
        "dense#1: choice of 8, 16",
        "residual*: choice of 1, 2, 3",
    ]
    assert "residual(8) * 3" in space.concrete(("8", "3"))
    result = check_space(space)
    # residual(8) adds an 8-wide branch to its input: only dense(8) fits, for every count.
    assert [d.code for d in result.diagnostics] == ["ND802"]
    assert result.diagnostics[0].message.startswith("with dense#1=16, residual*=1 (and 2 more of the 6")
    ok = check_space(parse_space(Source("r.net", REPEATED.replace("choice(8, 16)", "8"))))
    assert ok.diagnostics == [] and ok.params == (_params(8, 1), _params(8, 3))
    r = run_cli("check", spec(REPEATED.replace("choice(8, 16)", "8"), "r.net"))
    assert r.returncode == 0, r.stderr
    assert "residual*: choice of 1, 2, 3" in r.stdout
    assert f"parameters: {_params(8, 1):,} to {_params(8, 3):,}" in r.stdout
    assert run_cli("fmt", "--check", spec(REPEATED, "clean.net")).returncode == 0


@pytest.mark.parametrize(
    "count, message",
    [
        ("uniform(1, 3)", "a repeat count is a whole number: use choice(...) or randint(...)"),
        ("choice(1, 2.5)", "whole numbers of 1 or more"),
        ("choice(0, 1)", "whole numbers of 1 or more"),
    ],
)
def test_malformed_repetition_spaces(count, message):
    with pytest.raises(SpaceError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        parse_space(Source("s.net", f"input x: 4\noutput y = x -> dense(4) * {count}\n"))


def test_commands_that_need_one_model_say_so_at_the_space(spec):
    path = spec(REPEATED, "r.net")
    for command in (
        ["render", path, "-o", str(path) + ".svg"],
        ["compile", path, "-o", str(path) + ".keras"],
    ):
        r = run_cli(*command)
        assert r.returncode == 1, r.stderr
        assert "r.net:6:19: error[ND801]: dense() argument 'units': choice(...) is a search space" in r.stderr
        assert "r.net:6:57: error[ND801]: a repeat count: choice(...) is a search space" in r.stderr
        assert "help: write one value here, or run `netdsl tune`" in r.stderr
        assert not any(p.name.startswith("r.net.") for p in Path(path).parent.iterdir())


def test_check_json_of_a_space_has_the_first_combination_and_the_range(spec):
    r = run_cli("check", "--json", spec(REPEATED.replace("choice(8, 16)", "8"), "r.net"))
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["ok"] is True and report["network"] == "r"
    assert report["params"]["total"] == _params(8, 1)  # the first combination: residual * 1
    assert [n["op"] for n in report["nodes"]][:2] == ["input", "dense"]
    assert report["space"]["params"] == {"min": _params(8, 1), "max": _params(8, 3)}
    assert report["space"]["combinations"] == report["space"]["checked"] == 3


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
    r = run_cli("tune", spec(SPACE), "--data", IRIS_CSV, "--seed", "4294967296")
    assert r.returncode == 2 and "--seed: must be from 0 to 4294967295" in r.stderr


def test_tune_refuses_data_over_the_memory_budget_before_any_trial(tmp_path, spec):
    out = tmp_path / "best.net"
    r = run_cli("tune", spec(SPACE), "--data", IRIS_CSV, "--memory-limit", "1K", "-o", out, "--jobs", "1")
    assert r.returncode == 1, r.stderr
    assert "iris.csv:1:1: error[ND902]: reading this file would take about" in r.stderr
    assert "help: pass --memory-limit" in r.stderr and "trial" not in r.stderr and not out.exists()


def test_the_live_table_says_1_epoch_not_1_epochs(capsys):
    from netdsl.apps.tune import Objective, Trial
    from netdsl.cli.tuning import _live

    space = parse_space(Source("s.net", SPACE))
    show = _live(space, Objective("accuracy", True))
    for epochs in (1, 3):
        show(Trial(1, ("4", "0.0", "0.001"), {}, "", epochs=epochs, score=0.5, seconds=1.0))
    lines = capsys.readouterr().err.splitlines()
    assert "[1 epoch]" in lines[0] and "[3 epochs]" in lines[1], lines


@pytest.mark.parametrize(
    "metrics, objective",
    [
        ("[accuracy]", ("accuracy", True)),
        ("[f1_score, recall]", ("recall", True)),  # f1_score is a list, one value per class
        ("[f1_score]", ("loss", False)),
        ("[mae]", ("mae", False)),  # an error: less is better
        ("[categorical_crossentropy, accuracy]", ("categorical_crossentropy", False)),
    ],
)
def test_trials_are_ranked_by_a_scalar_metric_in_its_own_direction(metrics, objective):
    import netdsl
    from netdsl.apps.tune import objective_of

    g = netdsl.loads(
        "input x: 4\noutput y = x -> dense(3, softmax)\n"
        f"compile loss=categorical_crossentropy metrics={metrics}\n"
    )
    o = objective_of(g)
    assert (o.metric, o.higher_is_better) == objective


def test_a_trial_whose_loss_becomes_nan_fails_alone_and_per_class_metrics_are_kept(spec):
    path = spec(
        "input iris: [sepal_length, sepal_width, petal_length, petal_width]\n"
        "output species = iris -> dense(4, relu) -> dense(3, softmax)\n"
        "compile loss=categorical_crossentropy optimizer=sgd(learning_rate=choice(0.01, 1e30)) "
        "metrics=[f1_score, accuracy]\n"
        "train epochs=2 batch_size=16 seed=1\n"
    )
    out = path.parent / "best.net"
    r = run_cli("tune", path, "--data", IRIS_CSV, "--search", "grid", "--jobs", "1", "-o", out, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "trial   2 [0 epochs]  learning_rate=1e30  failed: " in r.stderr and "error[ND612]" in r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["trial", "learning_rate", "epochs", "accuracy"]  # ranked by accuracy, not f1
    assert lines[2].split()[-1] == "error" and lines[3].startswith("best: trial 1 (learning_rate=0.01)")
    assert "learning_rate=0.01" in out.read_text()
