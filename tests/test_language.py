"""The language, feature by feature (issue: core language, points 1-8).

Each test loads a spec through the public API and looks at the checked graph;
errors are asserted by code, position and message.
"""

from __future__ import annotations

import pytest

import netdsl
from netdsl.ir.core import Compile, Optimizer
from netdsl.lang.diagnostics import SpecError


def diags_of(text: str):
    with pytest.raises(SpecError) as info:
        netdsl.loads(text, "t.net")
    return info.value.diagnostics


def errors_of(text: str):
    return [(d.code, d.span.line, d.span.column) for d in diags_of(text) if d.severity == "error"]


def node(g, name):
    return netdsl.node(g, name)


# 1. inputs ---------------------------------------------------------------


def test_input_with_width_and_with_named_features():
    g = netdsl.loads(
        'input x: 4\ninput iris: [sepal_length, sepal_width, "petal length"]\n'
        "output y = concat(x, iris) -> dense(1)\n"
    )
    assert node(g, "x").shape == (4,) and node(g, "x").features is None
    assert node(g, "iris").shape == (3,)
    assert node(g, "iris").features == ("sepal_length", "sepal_width", "petal length")
    assert netdsl.network(g).inputs == ["x", "iris"]


@pytest.mark.parametrize(
    "decl, code",
    [
        ("input x: 0", "ND206"),
        ("input x: -3", "ND206"),
        ("input x: 2.5", "ND107"),
        ("input x: [a, a]", "ND404"),
        ("input x: [a, 1]", "ND107"),
        ("input x: 2000000", "ND901"),
        ("input x: (4, 0)", "ND107"),
        ("input x: (4, -2)", "ND107"),
        ("input x: (4, 2.5)", "ND107"),
        ("input x: (1, 2, 3, 4, 5)", "ND107"),
        ("input x: (2000, 2000)", "ND901"),
    ],
)
def test_bad_input_declarations(decl, code):
    codes = [c for c, *_ in errors_of(decl + "\noutput y = x -> dense(1)\n")]
    assert code in codes


# 2. feature selection ------------------------------------------------------

IRIS = "input iris: [sepal_length, sepal_width, petal_length, petal_width]\n"


@pytest.mark.parametrize(
    "selection, indices",
    [
        ("iris[sepal_length, sepal_width]", [0, 1]),
        ("iris[petal_width, sepal_length]", [3, 0]),
        ("iris[0:2]", [0, 1]),
        ("iris[2:]", [2, 3]),
        ("iris[:1]", [0]),
        ("iris[1]", [1]),
        ("iris[-1]", [3]),
        ("iris[0, 2]", [0, 2]),
        ("iris[sepal_length, 2:4]", [0, 2, 3]),
    ],
)
def test_selection_by_name_position_and_range(selection, indices):
    g = netdsl.loads(IRIS + f"output y = {selection} -> dense(1)\n")
    sel = node(g, "y_select_1")
    assert sel.op == "select"
    assert list(sel.selection.indices) == indices
    assert sel.shape == (len(indices),)
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert sel.features == tuple(names[i] for i in indices)


def test_selection_from_width_only_input_by_position():
    g = netdsl.loads("input x: 5\noutput y = x[1:4] -> dense(2)\n")
    assert node(g, "y_select_1").shape == (3,)


@pytest.mark.parametrize(
    "selection, code, column",
    [
        ("iris[sepal_lenght]", "ND401", 17),
        ("iris[4]", "ND402", 17),
        ("iris[0:9]", "ND402", 17),
        ("iris[]", "ND403", 12),
        ("iris[2:1]", "ND403", 17),
        ("iris[sepal_length, 0]", "ND404", 31),
    ],
)
def test_selection_errors_point_at_the_item(selection, code, column):
    assert errors_of(IRIS + f"output y = {selection} -> dense(1)\n") == [(code, 2, column)]


def test_selection_by_name_needs_feature_names():
    d = diags_of("input x: 4\noutput y = x[a] -> dense(1)\n")
    assert d[0].code == "ND405" and "select by position" in d[0].help


def test_unknown_feature_suggests_the_right_one():
    d = diags_of(IRIS + "output y = iris[petal_lenght] -> dense(1)\n")
    assert d[0].help == "did you mean 'petal_length'?"


def test_selected_features_carry_through_to_later_selections():
    g = netdsl.loads(
        IRIS + "petals = iris[petal_length, petal_width]\noutput y = petals[petal_width] -> dense(1)\n"
    )
    assert list(node(g, "y_select_1").selection.indices) == [1]


# 3. dense stacks -------------------------------------------------------------


def test_dense_arguments_and_bias():
    g = netdsl.loads("input x: 3\nh = x -> dense(4, relu, use_bias=false)\noutput y = h -> dense(units=2)\n")
    assert node(g, "h").args == {"units": 4, "activation": "relu", "use_bias": False}
    assert node(g, "h").params == (12, 0)
    assert node(g, "y").args["activation"] == "linear"
    assert node(g, "y").params == (4 * 2 + 2, 0)


def test_repetition_expands_into_named_layers():
    g = netdsl.loads("input x: 3\noutput y = x -> dense(8, relu) * 3 -> dense(1)\n")
    dense = [n for n in g if node(g, n).op == "dense"]
    assert dense == ["y_dense_1", "y_dense_2", "y_dense_3", "y"]
    assert node(g, "y_dense_2").inputs == ["y_dense_1"]
    assert netdsl.network(g).params.total == (3 * 8 + 8) + 2 * (8 * 8 + 8) + (8 + 1)


def test_repeated_group_of_layers():
    g = netdsl.loads("input x: 4\noutput y = x -> (dense(4, relu) -> dropout(0.1)) * 2\n")
    assert [node(g, n).op for n in ["y_dense_1", "y_dropout_1", "y_dense_2", "y"]] == [
        "dense",
        "dropout",
        "dense",
        "dropout",
    ]


@pytest.mark.parametrize(
    "call, code",
    [
        ("dense(0)", "ND206"),
        ("dense(-1)", "ND206"),
        ("dense(2.5)", "ND205"),
        ("dense(relu)", "ND205"),
        ("dense()", "ND203"),
        ("dense(2, relu, true, 4)", "ND209"),
        ("dense(2, unitz=3)", "ND204"),
        ("dense(2, units=3)", "ND208"),
        ("dense(2, use_bias=yes)", "ND205"),
        ("dense(2, rellu)", "ND207"),
        ("dense(2) * 0", "ND210"),
        ("dense(5000000)", "ND901"),
    ],
)
def test_dense_argument_errors(call, code):
    codes = [c for c, *_ in errors_of(f"input x: 3\noutput y = x -> {call}\n")]
    assert codes == [code]


def test_unknown_activation_gets_a_suggestion():
    d = diags_of("input x: 3\noutput y = x -> dense(2, sigmod)\n")
    assert d[0].code == "ND207" and "'sigmoid'" in d[0].help


# 4. dropout --------------------------------------------------------------------


@pytest.mark.parametrize(
    "rate, ok", [("0", True), ("0.5", True), ("0.999", True), ("1", False), ("1.0", False), ("-0.1", False)]
)
def test_dropout_rate_range(rate, ok):
    text = f"input x: 3\noutput y = x -> dropout({rate})\n"
    if ok:
        assert netdsl.node(netdsl.loads(text), "y").args["rate"] == float(rate)
    else:
        assert errors_of(text) == [("ND206", 2, 25)]


# 5. standardize -------------------------------------------------------------------


def test_standardize_with_explicit_statistics_has_no_weights():
    g = netdsl.loads("input x: 2\noutput y = x -> standardize(mean=[1, 2], variance=[4, 9])\n")
    assert node(g, "y").args == {"mean": (1.0, 2.0), "variance": (4.0, 9.0)}
    assert node(g, "y").params == (0, 0)


def test_standardize_adapted_has_2n_plus_1_non_trainable_parameters():
    g = netdsl.loads("input x: [a, b, c]\noutput y = x -> standardize\n")
    assert node(g, "y").params == (0, 7)
    assert netdsl.network(g).params.as_dict() == {"total": 7, "trainable": 0, "non_trainable": 7}


@pytest.mark.parametrize(
    "args, code",
    [
        ("mean=[1, 2]", "ND303"),
        ("variance=[1, 2]", "ND303"),
        ("mean=[1], variance=[1]", "ND303"),
        ("mean=[1, 2], variance=[1, -1]", "ND206"),
        ("mean=1, variance=[2, 2]", "ND205"),
    ],
)
def test_standardize_statistics_errors(args, code):
    assert [c for c, *_ in errors_of(f"input x: 2\noutput y = x -> standardize({args})\n")] == [code]


def test_standardize_without_data_warns_on_check_and_fails_to_compile():
    g = netdsl.loads("input x: [a, b]\noutput y = x -> standardize\n")
    assert [(d.severity, d.code) for d in netdsl.network(g).diagnostics] == [("warning", "ND601")]
    with pytest.raises(SpecError) as info:
        netdsl.to_keras(g)
    assert [d.code for d in info.value.diagnostics] == ["ND601"]


def test_data_columns_are_checked(tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("a,bee\n1,2\n3,4\n")
    with pytest.raises(SpecError) as info:
        netdsl.loads("input x: [a, be]\noutput y = x -> standardize\n", data=str(csv))
    d = info.value.diagnostics[0]
    assert d.code == "ND602" and d.help == "did you mean 'bee'?"


def test_standardize_on_width_only_input_cannot_adapt(tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("a,b\n1,2\n3,4\n")
    with pytest.raises(SpecError) as info:
        netdsl.loads("input x: 2\noutput y = x -> standardize\n", data=str(csv))
    assert info.value.diagnostics[0].code == "ND604"


# 6. merges --------------------------------------------------------------------------


def test_concat_and_add_of_several_operands():
    g = netdsl.loads(
        "input a: 2\ninput b: 3\ninput c: 4\n"
        "wide = concat(a, b, c)\n"
        "s = add(a -> dense(5), b -> dense(5), c -> dense(5))\n"
        "output y = concat(wide, s) -> dense(1)\n"
    )
    assert node(g, "wide").shape == (9,)
    assert node(g, "s").shape == (5,)
    assert node(g, "s").inputs == ["s_dense_1", "s_dense_2", "s_dense_3"]
    assert node(g, "y_concat_1").shape == (14,)


def test_merge_as_a_step_takes_the_chain_as_first_operand():
    g = netdsl.loads("input x: 4\noutput y = x -> dense(4) -> add(x)\n")
    assert node(g, "y").op == "add" and node(g, "y").inputs == ["y_dense_1", "x"]


def test_add_shape_mismatch_names_each_operand_and_where_it_was_defined():
    text = (
        "input il_l: 2\ninput il_w: 2\nhl_l = il_l -> dense(4, swish)\n"
        "hl_w = il_w -> dense(8, swish)\noutput ol = add(hl_l, hl_w) -> dense(3, softmax)\n"
    )
    (d,) = diags_of(text)
    assert (d.code, d.span.line, d.span.column) == ("ND301", 5, 13)
    assert "'hl_l' is (4,)" in d.message and "'hl_w' is (8,)" in d.message
    assert [(n.span.line, n.span.column) for n in d.notes] == [(3, 16), (4, 16)]
    assert "concat" in d.help and "hl_l -> dense(8)" in d.help


def test_merge_of_one_operand_is_an_arity_error():
    assert [c for c, *_ in errors_of("input x: 2\noutput y = add(x)\n")] == ["ND202"]


def test_layer_without_input_is_an_error():
    assert [c for c, *_ in errors_of("input x: 2\noutput y = dense(2)\n")] == ["ND202"]


# 7. outputs and names ------------------------------------------------------------------


def test_several_named_outputs_in_declaration_order():
    g = netdsl.loads(
        "input x: 4\nh = x -> dense(8, relu)\noutput b = h -> dense(1)\n"
        "a = h -> dense(3, softmax)\noutput a\n"
    )
    assert netdsl.network(g).outputs == ["b", "a"]
    assert node(g, "a").output and node(g, "b").output and not node(g, "h").output


def test_generated_names_never_collide_with_user_names():
    g = netdsl.loads("input x: 2\ny_dense_1 = x -> dense(3)\noutput y = y_dense_1 -> dense(4) -> dense(1)\n")
    assert sorted(g.nodes) == ["x", "y", "y_dense_1", "y_dense_2"]
    assert node(g, "y_dense_2").inputs == ["y_dense_1"]


def test_alias_becomes_identity_layer():
    g = netdsl.loads("input x: 2\noutput y = x\n")
    assert node(g, "y").op == "identity" and node(g, "y").inputs == ["x"]


def test_names_may_be_used_before_they_are_defined():
    g = netdsl.loads("output y = h -> dense(1)\nh = x -> dense(2)\ninput x: 3\n")
    assert netdsl.network(g).params.total == 3 * 2 + 2 + 3


def test_non_ascii_names():
    g = netdsl.loads(
        "input 꽃: [꽃받침_길이, 꽃잎_길이]\n가지 = 꽃[꽃잎_길이] -> dense(2)\noutput 종 = 가지 -> dense(3)\n"
    )
    assert node(g, "가지_select_1").features == ("꽃잎_길이",)


def test_network_name_defaults_to_file_stem():
    assert netdsl.network(netdsl.loads("input x: 1\noutput y = x\n", "dir/my_net.net")).name == "my_net"


# structure checks ---------------------------------------------------------------------


def test_undefined_name_suggests_the_defined_ones():
    # The course notes' own mistake: Model([il_sp, il_pt], ol) after defining il_l and il_w.
    text = (
        "input il_l: 2\ninput il_w: 2\nhl_l = il_l -> dense(2, relu)\nhl_w = il_w -> dense(2, relu)\n"
        "output ol = concat(il_sp, il_pt) -> dense(3, softmax)\n"
    )
    d = [x for x in diags_of(text) if x.severity == "error"]
    assert [(x.code, x.span.line, x.span.column) for x in d] == [("ND101", 5, 20), ("ND101", 5, 27)]
    assert "'il_l'" in d[0].help and "'il_w'" in d[0].help


def test_defined_twice():
    d = diags_of("input x: 2\nh = x -> dense(2)\nh = x -> dense(3)\noutput y = h\n")
    assert (d[0].code, d[0].span.line) == ("ND102", 3) and d[0].notes[0].span.line == 2


def test_cycle():
    assert ("ND103", 2, 1) in errors_of(
        "input x: 1\na = b -> dense(2)\nb = a -> dense(2)\noutput y = concat(a, x)\n"
    )


def test_self_cycle():
    assert "ND103" in [c for c, *_ in errors_of("input x: 1\na = add(a, x)\noutput y = a\n")]


def test_no_output():
    d = diags_of("input x: 2\nh = x -> dense(2)\n")
    assert d[-1].code == "ND104" and "output h" in d[-1].help


def test_unused_input_and_value_are_warnings_not_errors():
    g = netdsl.loads("input x: 2\ninput z: 3\nspare = x -> dense(4)\noutput y = x -> dense(1)\n")
    assert [(d.severity, d.code, d.span.line) for d in netdsl.network(g).diagnostics] == [
        ("warning", "ND105", 2),
        ("warning", "ND105", 3),
    ]
    with pytest.raises(SpecError):
        netdsl.loads("input x: 2\ninput z: 3\noutput y = x -> dense(1)\n", strict=True)


def test_unknown_layer_suggests_known_ones():
    d = diags_of("input x: 2\noutput y = x -> dens(2)\n")
    assert d[0].code == "ND201" and d[0].help == "did you mean 'dense'?"


def test_all_diagnostics_reported_together_sorted_by_position():
    d = diags_of("input x: 2\noutput y = x -> dense(0) -> dropout(2) -> nope\nz = q\n")
    assert [(x.code, x.span.line) for x in d if x.severity == "error"] == [("ND201", 2), ("ND101", 3)] or len(
        d
    ) >= 2
    positions = [(x.span.line, x.span.column) for x in d]
    assert positions == sorted(positions)


def test_errors_in_separate_statements_are_all_reported():
    d = diags_of(
        "input x: 2\na = x -> dense(0)\nb = x -> dropout(2)\nc = x -> dense(2, nope)\n"
        "output y = concat(a, b, c)\n"
    )
    assert [(x.code, x.span.line) for x in d] == [("ND206", 2), ("ND206", 3), ("ND207", 4)]


# 8. compile section ---------------------------------------------------------------------


def test_compile_settings_are_normalized():
    g = netdsl.loads(
        "input x: 4\noutput y = x -> dense(3, softmax)\n"
        "compile loss=categorical_crossentropy optimizer=adam(learning_rate=0.001, amsgrad=true) "
        "metrics=[accuracy, auc]\n"
    )
    assert netdsl.network(g).compile == Compile(
        loss="categorical_crossentropy",
        optimizer=Optimizer("adam", {"learning_rate": 0.001, "amsgrad": True}),
        metrics=["accuracy", "auc"],
    )


def test_compile_loss_per_output():
    g = netdsl.loads(
        "input x: 4\noutput a = x -> dense(1)\noutput b = x -> dense(2, softmax)\n"
        "compile loss={a: mse, b: sparse_categorical_crossentropy} optimizer=sgd metrics={a: [mae]}\n"
    )
    assert netdsl.network(g).compile.loss == {"a": "mse", "b": "sparse_categorical_crossentropy"}
    assert netdsl.network(g).compile.metrics == {"a": ["mae"]}


@pytest.mark.parametrize(
    "settings, code, suggestion",
    [
        ("loss=categorical_crossentropi", "ND501", "'categorical_crossentropy'"),
        ("optimizer=adamm", "ND502", "'adam'"),
        ("optimizer=adam(lr=0.1)", "ND503", None),
        ("optimizer=adam(learning_rate=-1)", "ND503", None),
        ("optimizer=adam(0.1)", "ND503", None),
        ("metrics=[acuracy]", "ND504", "'accuracy'"),
        ("loss={z: mse}", "ND505", "'y'"),
        ("los=mse", "ND507", "'loss'"),
        ("loss=mse loss=mae", "ND507", None),
    ],
)
def test_compile_errors(settings, code, suggestion):
    d = [x for x in diags_of(f"input x: 4\noutput y = x -> dense(1)\ncompile {settings}\n") if x.code == code]
    assert d, f"no {code}"
    if suggestion:
        assert suggestion in d[0].help


def test_missing_loss_for_one_output():
    d = diags_of("input x: 4\noutput a = x -> dense(1)\noutput b = x -> dense(1)\ncompile loss={a: mse}\n")
    assert [x.code for x in d] == ["ND506"]


def test_two_compile_lines():
    d = diags_of("input x: 4\noutput y = x -> dense(1)\ncompile loss=mse\ncompile optimizer=sgd\n")
    assert [x.code for x in d] == ["ND508"]


def test_compile_setting_on_its_own_line_gets_a_hint():
    d = diags_of("input x: 4\noutput y = x -> dense(1)\ncompile loss=mse\noptimizer = adam\n")
    assert d[0].code == "ND101" and "compile line" in d[0].help


# layout ------------------------------------------------------------------------------------


def test_chains_split_over_lines_comments_crlf_and_bom():
    text = (
        "\ufeff# a comment\r\ninput x: [a, b]  # trailing\r\n\r\noutput y = x\r\n"
        "    -> dense(4,\r\n        relu)   # inside brackets\r\n    -> dense(1)\r\n"
    )
    g = netdsl.loads(text.lstrip("\ufeff"))
    assert [n for n in g] == ["x", "y_dense_1", "y"]
    from netdsl.lang.source import Source

    assert Source.from_bytes("t.net", text.encode()).text.startswith("# a comment")


def test_spans_of_nodes():
    g = netdsl.loads("input x: 2\noutput y = x -> dense(2, relu) -> dense(1)\n")
    s = netdsl.node(g, "y_dense_1").span
    assert (s.line, s.column, s.end_line, s.end_column) == (2, 17, 2, 31)
