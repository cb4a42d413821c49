"""Property-based tests (hypothesis): generated valid specs and mutated files.

1. Valid programs (tests/strategies.py `programs()`): they load with no
   diagnostic at all; netdsl's parameter total, node count and output shapes
   equal the ones computed while generating; `check`, `check --json --strict`
   and `render` agree. Fewer are built in Keras: count_params() equals the
   static total, the output shapes match, predictions are finite, and the
   .keras file `compile` writes loads with safe_mode=True. Every optimizer
   argument netdsl accepts must be accepted by Keras too.
2. Mutation robustness: the examples and the diagnostics goldens, broken at
   random (tokens, bytes, non-UTF-8, NUL, CR, tabs, long lines, deep
   brackets, truncation), never make the CLI crash: exit codes stay in
   {0, 1, 2}, no traceback, no "internal error", `--json` prints JSON whose
   "ok" matches the exit code, and failing commands write nothing.

Every property is derandomized, so CI runs the same cases every time.
NETDSL_HYPOTHESIS_MAX=N overrides every property's number of examples (for a
quick run, or a long soak run).

Bugs the properties found (fixed in netdsl) are pinned by regression tests
at the end of this file.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, note, reject, settings
from hypothesis import strategies as st

import netdsl
from netdsl.cli import main
from netdsl.ir.settings import OPTIMIZERS
from strategies import (
    control_character_specs,
    deeply_nested_specs,
    example_files,
    long_line_specs,
    mutated_specs,
    odd_csvs,
    programs,
    record_programs,
    rows_programs,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


def examples(default: int) -> int:
    env = os.environ.get("NETDSL_HYPOTHESIS_MAX")
    return int(env) if env else default


COMMON = dict(
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)

N_VALID = examples(400)
N_VALID_CLI = examples(200)
N_KERAS = examples(60)
N_RELOAD = examples(15)
N_OPTIMIZERS = examples(40)
N_MUTATIONS = examples(1500)
N_COMPILE = examples(30)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("properties")


def run(argv: list[str]) -> tuple[int, str, str]:
    """netdsl's CLI in-process, its output captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


# Crashes the properties found, each pinned by a regression test at the
# end of this file: signature in the CLI's output -> the pinning test. A mutated
# case whose only problem is one of these is discarded (and counted in the
# hypothesis statistics), so the properties go on looking for new bugs.
# (All of them are fixed now; the regression tests at the end of this file keep them so.)
KNOWN_CRASHES: dict[str, str] = {}


def skip_known_crash(code: int, out: str, err: str) -> None:
    if code == 3:
        for signature, test in KNOWN_CRASHES.items():
            if signature in out + err:
                event(f"known bug, pinned by {test}")
                reject()


def assert_no_crash(code: int, out: str, err: str) -> None:
    skip_known_crash(code, out, err)
    assert code in (0, 1, 2), f"exit code {code}\nstdout:\n{out}\nstderr:\n{err}"
    both = out + err
    assert "Traceback" not in both, both
    assert "internal error" not in both, both


# ---- 1. valid programs ---------------------------------------------------------


@settings(max_examples=N_VALID, **COMMON)
@given(programs())
def test_generated_programs_load_with_no_diagnostics(prog):
    g = netdsl.loads(prog.text)
    assert netdsl.network(g).diagnostics == []
    assert netdsl.network(g).params.as_dict() == {
        "total": prog.params,
        "trainable": prog.params,
        "non_trainable": 0,
    }
    assert g.number_of_nodes() == prog.nodes
    assert sorted(netdsl.network(g).inputs) == sorted(prog.inputs)
    assert sorted(netdsl.network(g).outputs) == sorted(prog.outputs)
    for out in netdsl.network(g).outputs:
        assert netdsl.node(g, out).shape == (prog.outputs[out],), out
    for name in g:
        assert netdsl.node(g, name).shape is not None and netdsl.node(g, name).params is not None, name
    assert sum(sum(netdsl.node(g, n).params) for n in g) == prog.params


@settings(max_examples=N_VALID_CLI, **COMMON)
@given(programs())
def test_generated_programs_pass_the_cli(workdir, prog):
    """check, check --json --strict and render agree with the Python API."""
    path = workdir / "valid.net"
    path.write_bytes(prog.text.encode("utf-8"))
    code, out, err = run(["check", path])
    assert (code, err) == (0, ""), err
    assert f"{prog.params:,} parameters" in out.splitlines()[0]
    code, out, err = run(["check", "--json", "--strict", path])
    assert code == 0, err
    doc = json.loads(out)
    assert doc["ok"] is True and doc["diagnostics"] == []
    assert doc["params"]["total"] == prog.params
    assert {n["name"]: n["shape"] for n in doc["nodes"] if n["output"]} == {
        o: [w] for o, w in prog.outputs.items()
    }
    dot = workdir / "valid.dot"
    code, out, err = run(["render", path, "-o", dot])
    assert code == 0 and dot.exists(), err
    text = dot.read_text("utf-8")
    assert f"{prog.params:,}" in text
    dot.unlink()


@pytest.fixture(scope="module")
def keras():
    keras = pytest.importorskip("keras")
    import netdsl.backends.keras  # noqa: F401  (TensorFlow starts here, once)

    return keras


def _as_list(y):
    if isinstance(y, dict):
        return list(y.values())
    return list(y) if isinstance(y, (list, tuple)) else [y]


@settings(max_examples=N_KERAS, **COMMON)
@given(programs())
def test_generated_programs_build_in_keras(keras, prog):
    import numpy as np

    keras.utils.clear_session()
    g = netdsl.loads(prog.text)
    model = netdsl.to_keras(g, seed=0)
    assert model.count_params() == netdsl.network(g).params.total == prog.params
    outputs = netdsl.network(g).outputs
    assert [tuple(t.shape[1:]) for t in model.outputs] == [netdsl.node(g, o).shape for o in outputs]
    rng = np.random.default_rng(0)
    xs = [
        rng.normal(size=(5, netdsl.node(g, i).shape[0])).astype("float32") for i in netdsl.network(g).inputs
    ]
    ys = _as_list(model.predict(xs if len(xs) > 1 else xs[0], verbose=0, batch_size=5))
    assert [tuple(np.shape(y)) for y in ys] == [(5,) + netdsl.node(g, o).shape for o in outputs]
    if "exponential" not in prog.text:  # exp(exp(...)) may overflow: not a netdsl matter
        assert all(np.isfinite(y).all() for y in ys), ys
    keras.utils.clear_session()


@settings(max_examples=N_RELOAD, **COMMON)
@given(programs())
def test_generated_programs_compile_to_files_keras_loads_safely(keras, workdir, prog):
    """`netdsl compile` writes a .keras file plain Keras loads with safe_mode=True."""
    path = workdir / "reload.net"
    path.write_bytes(prog.text.encode("utf-8"))
    target = workdir / "reload.keras"
    keras.utils.clear_session()
    try:
        code, out, err = run(["compile", path, "-o", target, "--seed", "0"])
        assert code == 0, err
        model = keras.saving.load_model(target, safe_mode=True)
        assert model.count_params() == prog.params
        assert sorted(tuple(t.shape[1:]) for t in model.outputs) == sorted(
            (w,) for w in prog.outputs.values()
        )
    finally:
        keras.utils.clear_session()
        if target.exists():
            target.unlink()


# The compile line: whatever optimizer arguments netdsl accepts, Keras must
# accept too. Values from the whole range netdsl's checks allow.
_ARG_VALUES = {
    "bool": ["true", "false"],
    "int": ["1", "2", "5"],
    "positive": ["1e-7", "0.001", "0.5", "1", "2.5"],
    "other": ["0", "0.001", "0.5", "0.9", "0.999", "1", "1.5", "2"],
}


def _arg_kind(arg: str) -> str:
    from netdsl.ir.settings import BOOL_OPTIMIZER_ARGS, INT_OPTIMIZER_ARGS, POSITIVE_OPTIMIZER_ARGS

    if arg in BOOL_OPTIMIZER_ARGS:
        return "bool"
    if arg in INT_OPTIMIZER_ARGS:
        return "int"
    return "positive" if arg in POSITIVE_OPTIMIZER_ARGS else "other"


@st.composite
def optimizer_calls(draw):
    name = draw(st.sampled_from(sorted(OPTIMIZERS)))
    allowed = OPTIMIZERS[name][1]
    chosen = draw(st.lists(st.sampled_from(allowed), max_size=4, unique=True))
    args = {a: draw(st.sampled_from(_ARG_VALUES[_arg_kind(a)])) for a in chosen}
    return name, args


def known_keras_rejection(name: str, args: dict[str, str]) -> bool:
    """Optimizer arguments Keras's constructors reject (written from Keras's
    source): netdsl must report exactly these, before TensorFlow loads."""
    v = {k: float(x) if x not in ("true", "false") else x for k, x in args.items()}
    clips = sum(k in v for k in ("clipnorm", "clipvalue", "global_clipnorm"))
    return (
        clips > 1
        or v.get("gradient_accumulation_steps") == 1
        or (name == "sgd" and v.get("momentum", 0) > 1)
        or (v.get("use_ema") == "true" and v.get("ema_momentum", 0) > 1)
        or (name == "ftrl" and v.get("learning_rate_power", 0) > 0)
        or (name == "lion" and not 0 < v.get("beta_1", 0.9) <= 1)
    )


@settings(max_examples=N_OPTIMIZERS, **COMMON)
@given(optimizer_calls())
def test_accepted_optimizer_arguments_build_in_keras(keras, call):
    name, args = call
    text = (
        "network opt\ninput x: 3\noutput y = x -> dense(2)\n"
        f"compile loss=mse optimizer={name}({', '.join(f'{k}={v}' for k, v in args.items())})\n"
    )
    note(text)
    try:
        g = netdsl.loads(text)
    except netdsl.SpecError as exc:
        # netdsl may be stricter than Keras (a decay rate `rho` above 1 makes no
        # sense, though Keras takes it), but it refuses with ND503 only.
        assert {d.code for d in exc.diagnostics} == {"ND503"}
        return
    assert not known_keras_rejection(name, args), "netdsl accepted what Keras refuses"
    keras.utils.clear_session()
    model = netdsl.to_keras(g, seed=0)  # accepted, so Keras must build it
    assert type(model.optimizer).__name__ == OPTIMIZERS[name][0]
    keras.utils.clear_session()


# ---- 2. mutation robustness ------------------------------------------------------


def _check_json(code: int, out: str, data: bytes) -> None:
    doc = json.loads(out)  # always one object, an I/O problem (exit 2) included
    assert doc["ok"] is (code == 0), doc
    if code == 2:
        assert doc["error"], doc
        return
    errors = [d for d in doc["diagnostics"] if d["severity"] == "error"]
    assert bool(errors) is (code == 1), doc["diagnostics"]
    n_lines = len(re.split(rb"\r\n|\r|\n", data))  # a lone CR ends a line too (old Mac files)
    for d in doc["diagnostics"]:
        assert d["code"].startswith("ND") and d["message"], d
        if d["line"] is not None:
            assert 1 <= d["line"] <= n_lines and d["column"] >= 1, d


@settings(max_examples=N_MUTATIONS, **COMMON)
@given(mutated_specs())
def test_cli_survives_mutated_specs(workdir, case):
    base, mutations, data = case
    note(f"base={base} mutations={mutations!r}")
    path = workdir / "mutated.net"
    path.write_bytes(data)

    code, out, err = run(["check", path])
    assert_no_crash(code, out, err)
    if code == 1:
        assert "error[ND" in err, err
    elif code == 2:
        assert err.startswith("netdsl: error:"), err

    jcode, jout, jerr = run(["check", "--json", path])
    assert_no_crash(jcode, jout, jerr)
    assert jcode == code
    _check_json(jcode, jout, data)

    dot = workdir / "x.dot"
    if dot.exists():
        dot.unlink()
    rcode, rout, rerr = run(["render", path, "-o", dot, "--allow-errors"])
    assert_no_crash(rcode, rout, rerr)
    assert dot.exists() is (rcode == 0)
    if code == 0:
        assert rcode == 0
    if code == 2:
        assert rcode == 2
    leftovers = [p.name for p in workdir.iterdir() if p.name.startswith(".x.dot")]
    assert not leftovers, leftovers


@settings(max_examples=N_COMPILE, **COMMON)
@given(mutated_specs(base=example_files(), max_mutations=1))
def test_compile_survives_mutated_specs(keras, workdir, case):
    base, mutations, data = case
    note(f"base={base} mutations={mutations!r}")
    path = workdir / "mutated_compile.net"
    path.write_bytes(data)
    target = workdir / "m.keras"
    if target.exists():
        target.unlink()
    try:
        code, out, err = run(["compile", path, "-o", target])
    finally:
        keras.utils.clear_session()
    assert_no_crash(code, out, err)
    if code != 0:
        assert not target.exists()
    else:
        assert target.exists() and out.startswith(f"wrote {target}")
    leftovers = [p.name for p in workdir.iterdir() if p.name.startswith(".m.keras")]
    assert not leftovers, leftovers


# ---- bugs the properties found, fixed; these keep them fixed -------------------------


def _check_file(workdir: Path, text: str, *extra: str) -> tuple[int, str, str]:
    path = workdir / "pinned.net"
    path.write_text(text, encoding="utf-8")
    return run(["check", path, *extra])


@pytest.mark.parametrize(
    "text",
    [
        "input x: " + "(" * 3000 + "4" + ")" * 3000 + "\noutput y = x -> dense(1)\n",
        "input x: 4\noutput y = x -> dense(" + "(" * 3000 + "4" + ")" * 3000 + ")\n",
        "input x: 4\noutput y = x -> dense(1)\ncompile loss=" + "(" * 3000 + "mse" + ")" * 3000 + "\n",
    ],
    ids=["input-width", "dense-units", "compile-loss"],
)
def test_deeply_parenthesized_values_are_reported_not_crashed(workdir, text):
    # Deep nesting of a chain's head is already reported as ND901 ("expressions
    # nested more than 100 deep"); the same should hold here.
    code, out, err = _check_file(workdir, text)
    assert (code, "internal error" in err) == (1, False), err
    assert "ND901" in err


@pytest.mark.parametrize(
    "text",
    [
        "input x: 1" + "0" * 4300 + "\noutput y = x -> dense(1)\n",
        "input x: 4\noutput y = x[1" + "0" * 4300 + "]\n",
    ],
    ids=["input-width", "selection-index"],
)
def test_very_long_integer_literals_are_reported_not_crashed(workdir, text):
    # A shorter huge number (`input x: 1000...0`, 400 digits) is ND901; so should this be.
    code, out, err = _check_file(workdir, text)
    assert (code, "internal error" in err) == (1, False), err


@pytest.mark.parametrize(
    "text",
    [
        "input x: 4\noutput y = x -> dropout(1" + "0" * 309 + ")\n",
        "input x: 1\noutput y = x -> standardize(mean=[1" + "0" * 309 + "], variance=[1])\n",
        "input x: 4\noutput y = x -> dense(1)\ncompile optimizer=adam(learning_rate=1" + "0" * 309 + ")\n",
    ],
    ids=["dropout-rate", "standardize-mean", "optimizer-argument"],
)
def test_integers_beyond_float_range_are_reported_not_crashed(workdir, text):
    # `dropout(1e309)` is already "ND205: expected a number, got inf".
    code, out, err = _check_file(workdir, text)
    assert (code, "internal error" in err) == (1, False), err


@pytest.mark.parametrize(
    "optimizer",
    [
        "sgd(clipnorm=1, clipvalue=1)",
        "adam(clipnorm=1, global_clipnorm=1)",
        "adam(gradient_accumulation_steps=1)",
        "sgd(momentum=2)",
        "adam(use_ema=true, ema_momentum=2)",
        "ftrl(learning_rate_power=0.5)",
        "lion(beta_1=2)",
        "lion(beta_1=0)",
    ],
)
def test_optimizer_arguments_keras_rejects_are_reported_by_check(keras, workdir, optimizer):
    text = f"input x: 3\noutput y = x -> dense(2)\ncompile loss=mse optimizer={optimizer}\n"
    assert known_keras_rejection(*_parse_optimizer(optimizer))  # the property skips these
    target = workdir / "pinned.keras"
    path = workdir / "pinned.net"
    path.write_text(text, encoding="utf-8")
    try:
        code, out, err = run(["compile", path, "-o", target])
    finally:
        keras.utils.clear_session()
    # What should happen: `check` (and so `compile`) reports the bad value, ND503, exit 1.
    assert (code, "internal error" in err) == (1, False), err
    assert "ND503" in err


def _parse_optimizer(text: str) -> tuple[str, dict[str, str]]:
    name, _, rest = text.partition("(")
    pairs = [p.split("=") for p in rest.rstrip(")").split(",") if p.strip()]
    return name, {k.strip(): v.strip() for k, v in pairs}


@pytest.mark.parametrize(
    "text",
    [
        "input x: 3\noutput y = x -> dense(4, glu) -> dense(2)\n",
        "input x: 3\noutput y = x -> dense(4, glu)\n",
        "input x: 3\noutput y = x -> dense(3, glu)\n",
    ],
    ids=["glu-then-dense", "glu-output", "glu-odd-units"],
)
def test_glu_activation_is_refused_with_a_reason(text):
    # Keras's glu halves the last axis but Dense's shape inference does not know
    # it, so the next layer would be built for the wrong width: netdsl refuses it.
    from netdsl.lang.diagnostics import SpecError

    with pytest.raises(SpecError) as info:
        netdsl.loads(text)
    assert "glu" in info.value.diagnostics[0].message


# ---- 3. hostile text: deep nesting, long lines, control characters, odd CSVs ------------

N_HOSTILE = examples(60)


@settings(max_examples=N_HOSTILE, **COMMON)
@given(deeply_nested_specs())
def test_deep_nesting_is_checked_or_refused_never_crashed(workdir, case):
    text, depth, pair = case
    code, out, err = _check_file(workdir, text)
    assert_no_crash(code, out, err)
    assert code in (0, 1), err
    if depth > 100 and pair != "{}":  # `{{` is a syntax error before any depth counts
        assert "ND901" in err, err


@settings(max_examples=N_HOSTILE, **COMMON)
@given(long_line_specs())
def test_long_lines_are_shown_cut_with_the_caret_on_the_span(workdir, case):
    text, line = case
    path = workdir / "long.net"
    path.write_text(text, encoding="utf-8")
    try:
        netdsl.load(str(path))
        return
    except netdsl.SpecError as exc:
        failure = exc
    shown = failure.render()
    assert len(shown) < 600 * len(failure.diagnostics), len(shown)
    for d, block in zip(failure.diagnostics, shown.split("\n" + path.as_posix())):
        if d.span is None or d.span.line != 1:
            continue
        excerpt = block.splitlines()[1:3]
        source_line, caret = excerpt
        at = caret.index("^")
        if "\t" not in line[: d.span.column] and "꽃" not in line[: d.span.column]:
            # the character under the caret is the span's first character
            assert source_line[at] == line[d.span.column - 1], (source_line, caret)


@settings(max_examples=N_HOSTILE, **COMMON)
@given(control_character_specs())
def test_control_characters_never_reach_the_terminal(workdir, case):
    text, name = case
    path = workdir / name
    path.write_text(text, encoding="utf-8")
    try:
        code, out, err = run(["check", path])
    finally:
        path.unlink()
    assert_no_crash(code, out, err)
    assert code in (0, 1), err
    shown = out + err
    bad = [ch for ch in shown if ch != "\n" and (ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F)]
    assert not bad, shown


# ---- records and encodings (issue 12) ------------------------------------------------------

N_RECORDS = examples(40)
N_RECORDS_KERAS = examples(6)


@settings(max_examples=N_RECORDS, **COMMON)
@given(record_programs())
def test_record_programs_load_with_their_sizes(prog):
    g = netdsl.loads(prog.text, "record.net")
    assert netdsl.network(g).diagnostics == []
    assert netdsl.network(g).params.total == prog.params
    assert netdsl.node(g, "y").shape == (prog.width,)


def _raw_rows(prog, n: int = 6) -> dict:
    """Raw columns with gaps: NaN numbers (filled), missing ("" / -1) and unseen categories
    (not in a column a lookup(oov=0) reads: netdsl refuses such a cell before Keras, ND623)."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = {}
    for c in prog.numbers:
        values = rng.normal(size=(n, 1)).astype("float32")
        values[0, 0] = np.nan
        x[c] = tf.constant(values)
    for c, vocab in prog.categories.items():
        if isinstance(vocab[0], int):
            x[c] = tf.constant([[v] for v in (list(vocab) + [-1, 1234] * n)[:n]], dtype="int64")
        elif c in prog.closed:
            x[c] = tf.constant([[v] for v in (list(vocab) * n)[:n]])
        else:
            x[c] = tf.constant([[v] for v in (list(vocab) + ["", "unseen"] * n)[:n]])
    return x


@settings(max_examples=N_RECORDS_KERAS, **COMMON)
@given(record_programs())
def test_record_programs_build_save_and_load_in_keras(keras, workdir, prog):
    """Parameters as counted, finite predictions of raw rows with gaps, and the
    same predictions from the .keras file loaded with safe_mode=True."""
    import numpy as np

    keras.utils.clear_session()
    try:
        g = netdsl.loads(prog.text, "record.net")
        model = netdsl.to_keras(g, seed=0)
        assert model.count_params() == prog.params
        x = _raw_rows(prog)
        y = model.predict(x, verbose=0)
        assert y.shape == (6, prog.width) and np.isfinite(y).all()
        path = workdir / "record.keras"
        model.save(path)
        again = keras.saving.load_model(path, safe_mode=True)
        assert np.allclose(again.predict(x, verbose=0), y, atol=1e-6)
    finally:
        keras.utils.clear_session()


# ---- values of rank 3: stack, attention, dense on the last axis (issue 13) -----------------

N_ROWS = examples(40)
N_ROWS_KERAS = examples(5)


@settings(max_examples=N_ROWS, **COMMON)
@given(rows_programs())
def test_rows_programs_load_with_their_shapes_and_counts(prog):
    g = netdsl.loads(prog.text, "rows.net")
    net = netdsl.network(g)
    assert net.diagnostics == []
    assert (net.params.total, net.params.non_trainable) == (prog.params, prog.non_trainable)
    assert netdsl.node(g, "s").shape == prog.rows
    assert netdsl.node(g, "y").shape == (prog.width,)


@settings(max_examples=N_ROWS_KERAS, **COMMON)
@given(rows_programs())
def test_rows_programs_build_save_and_load_in_keras(keras, workdir, prog):
    """Keras counts what check counts; the .keras loads with safe_mode=True, same predictions."""
    import numpy as np

    keras.utils.clear_session()
    try:
        model = netdsl.to_keras(netdsl.loads(prog.text, "rows.net"), seed=0)
        trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        assert (model.count_params(), model.count_params() - trainable) == (prog.params, prog.non_trainable)
        x = np.random.default_rng(0).normal(size=(4, model.input.shape[-1])).astype("float32")
        y = model.predict(x, verbose=0)
        assert y.shape == (4, prog.width) and np.isfinite(y).all()
        model.save(workdir / "rows.keras")
        again = keras.saving.load_model(workdir / "rows.keras", safe_mode=True)
        assert np.allclose(again.predict(x, verbose=0), y, atol=1e-6)
    finally:
        keras.utils.clear_session()


@settings(max_examples=N_ROWS_KERAS, **COMMON)
@given(rows_programs())
def test_rows_programs_import_back_or_are_refused_by_layer(keras, workdir, prog):
    """`netdsl import` of a rank-3 model: a spec that builds the same model (count,
    predictions with the same weights) and imports to the same text again, or a
    refusal naming the layer it cannot read (weighted_sum's operations, a concat of
    rows, positions); never a different model."""
    import numpy as np

    keras.utils.clear_session()
    try:
        model = netdsl.to_keras(netdsl.loads(prog.text, "rows.net"), seed=0)
        model.save(workdir / "rows.keras")
        result = netdsl.import_keras(str(workdir / "rows.keras"))
        if result.text is None:
            event("refused: " + re.sub(r"layer '[^']*' ", "", result.diagnostics[0].message)[:40])
            assert result.diagnostics
            for d in result.diagnostics:
                assert d.code in ("ND702", "ND703", "ND705") and "layer '" in d.message, d.message
            return
        event("imported")
        again = netdsl.to_keras(netdsl.loads(result.text, "imported.net"), seed=1)
        assert again.count_params() == model.count_params() == prog.params
        again.set_weights(model.get_weights())
        x = np.random.default_rng(0).normal(size=(4, model.input.shape[-1])).astype("float32")
        np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
        again.save(workdir / "again.keras")
        assert netdsl.import_keras(str(workdir / "again.keras")).text == result.text
    finally:
        keras.utils.clear_session()


@settings(max_examples=N_HOSTILE, **COMMON)
@given(odd_csvs())
def test_odd_csvs_are_read_exactly_or_refused_at_their_true_line(workdir, case):
    """Every cell comes back as written (quoted commas, quotes, line breaks and
    U+2028 inside labels kept apart), every row knows the physical line it
    starts on; a row of the wrong width or a column named twice is refused
    with its code at its line, by the reader and by `check --data`."""
    from netdsl.data import arrow
    from netdsl.data.errors import DataError

    path = workdir / "odd.csv"
    path.write_bytes(case.text.encode("utf-8"))
    spec = workdir / "odd.net"
    spec.write_text("input x: [c0]\noutput c1 = x -> dense(1)\n", encoding="utf-8")
    code, out, err = run(["check", spec, "--data", path])
    assert_no_crash(code, out, err)
    try:
        table = arrow.read_table(str(path), {c: arrow.RAW for c in case.columns})
    except DataError as exc:
        assert case.error is not None, str(exc)
        assert (str(exc.code), exc.line) == case.error, str(exc)
        assert code == 1 and f"odd.csv:{exc.line}:" in err and f"error[{exc.code}]" in err, err
        return
    assert case.error is None, case.error
    assert table.columns == case.columns
    missing = ("", *arrow.MISSING)  # pyarrow's null markers: a gap
    expected = [[None if v in missing else v for v in row] for row in case.records]
    assert [list(r.values()) for r in table.data.to_pylist()] == expected
    located = [arrow.locate_cell(str(path), case.columns, "c0", i)[0] for i in range(table.num_rows)]
    assert located == case.lines
