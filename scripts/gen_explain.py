"""Build netdsl/cli/explanations.json, what `netdsl explain CODE` prints, from
the error corpus. `make docs` runs it; tests/test_explain.py keeps the file in
sync with what this script builds now.

Each code gets its one-line meaning (netdsl/lang/codes.py), a longer text when
tests/errors/explain/CODE.md exists, and an example: a spec that has the
error, what netdsl reports for it (run here, not written by hand) and a fixed
version that no longer has it. Examples come from the error corpus: CORPUS
maps a code to a corpus file, tests/errors/fixed/ holds its fix (and
fixed/data/ fixed data files). A code only training or compiling meets has
tests/errors/explain/CODE.net instead, whose first line says how it is run
(`# run: netdsl train spec.net --data data.csv`); CODE.fixed.net is its fix,
and any other CODE.NAME file is the file NAME beside it (CODE.fixed.NAME its
fixed version).

    python scripts/gen_explain.py            # writes netdsl/cli/explanations.json
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ERRORS = ROOT / "tests" / "errors"
EXPLAIN = ERRORS / "explain"
FIXED = ERRORS / "fixed"
OUTPUT = ROOT / "netdsl" / "cli" / "explanations.json"

# code -> the corpus file that shows it best (small, one cause, a clear fix)
CORPUS = {
    "ND001": "syntax_stray_at",
    "ND002": "syntax_input_equals",
    "ND003": "syntax_compile_empty",
    "ND004": "syntax_missing_paren",
    "ND005": "syntax_extra_brace",
    "ND006": "syntax_keyword_input_as_name",
    "ND007": "control_character_in_feature",
    "ND101": "undefined_name_did_you_mean",
    "ND102": "defined_twice",
    "ND103": "cycle_two_values",
    "ND104": "no_output_only_inputs",
    "ND105": "warnings/unused_input",
    "ND106": "network_twice",
    "ND107": "input_width_float",
    "ND108": "warnings/confusable_definitions",
    "ND120": "record_unknown_type",
    "ND121": "record_typed_in_brackets",
    "ND201": "unknown_layer_typo",
    "ND202": "merge_one_operand",
    "ND203": "dense_missing_units",
    "ND204": "dense_unknown_argument",
    "ND205": "dense_units_float",
    "ND206": "dense_units_zero",
    "ND207": "dense_unknown_activation",
    "ND208": "dense_units_twice",
    "ND209": "dense_too_many_positional",
    "ND210": "repeat_zero",
    "ND211": "number_after_arrow",
    "ND214": "syntax_bare_minus",
    "ND215": "computed_not_integer",
    "ND216": "computed_size_reference",
    "ND301": "add_shape_mismatch",
    "ND303": "standardize_mean_only",
    "ND305": "multiply_broadcast_mismatch",
    "ND306": "dot_width_mismatch",
    "ND320": "categorical_into_dense",
    "ND321": "bundle_into_dense",
    "ND322": "cross_of_numbers",
    "ND323": "lookup_vocabulary_type",
    "ND307": "shared_layer_width_mismatch",
    "ND401": "select_unknown_feature",
    "ND402": "select_index_out_of_range",
    "ND403": "select_empty",
    "ND404": "input_feature_twice",
    "ND405": "select_name_without_features",
    "ND501": "compile_unknown_loss",
    "ND502": "compile_unknown_optimizer",
    "ND503": "compile_optimizer_unknown_argument",
    "ND504": "compile_unknown_metric",
    "ND505": "compile_loss_unknown_output",
    "ND506": "compile_loss_missing_output",
    "ND507": "compile_unknown_setting",
    "ND508": "compile_twice",
    "ND509": "train_unknown_setting",
    "ND511": "compile_metric_needs_one_hot",
    "ND512": "warnings/compile_accuracy_on_regression",
    "ND513": "warnings/logits_linear_output",
    "ND514": "train_callbacks_unknown_monitor",
    "ND601": "warnings/standardize_without_data",
    "ND602": "data_missing_column",
    "ND603": "data_not_utf8",
    "ND604": "data_width_only_input",
    "ND609": "data_not_numeric",
    "ND610": "data_short_row",
    "ND611": "data_duplicate_header",
    "ND613": "train_class_weight_unknown_class",
    "ND621": "data_unfilled_missing",
    "ND901": "input_width_too_large",
}

_MARKER_LINE = re.compile(r"^[ \t]*#[ \t]*(?:[EWH](?:@\S+)?:\d+[ \t]|data:)")
_INLINE_MARKER = re.compile(r"[ \t]*#[ \t]*[EWH](?:@(?:[^\s:@]+:)?\d+)?:\d+(?=[ \t]|$).*$")


def strip_markers(text: str) -> str:
    """A corpus file as a user would write it: no test markers, no `# data:` line."""
    lines = [_INLINE_MARKER.sub("", ln) for ln in text.split("\n") if not _MARKER_LINE.match(ln)]
    return "\n".join(lines)


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", "replace").removeprefix("\ufeff").replace("\r\n", "\n")


def _shown(data: bytes) -> str:
    """A data file as shown: bytes that are not UTF-8 as \\xNN."""
    return data.decode("utf-8", "backslashreplace")


def _corpus_example(code: str) -> dict:
    stem = CORPUS[code]
    raw = _read(ERRORS / f"{stem}.net")
    data = re.search(r"^#\s*data:\s*(\S+)", raw, re.M)
    files, fixed_files = {}, {}
    if data:
        name = data.group(1)
        files[name] = (ERRORS / name).read_bytes()
        fixed = FIXED / name
        fixed_files[name] = fixed.read_bytes() if fixed.exists() else files[name]
    fixed_spec = FIXED / f"{Path(stem).name}.net"
    wrong = strip_markers(raw)
    return {
        "source": f"tests/errors/{stem}.net",
        "command": "netdsl check spec.net" + (f" --data {data.group(1)}" if data else ""),
        "wrong": wrong,
        "fixed": _read(fixed_spec) if fixed_spec.exists() else wrong,
        "files": files,
        "fixed_files": fixed_files,
    }


def _explain_example(code: str) -> dict | None:
    spec = EXPLAIN / f"{code}.net"
    if not spec.exists():
        return None
    lines = _read(spec).split("\n")
    command = lines[0].removeprefix("# run: ") if lines[0].startswith("# run: ") else "netdsl check spec.net"
    wrong = "\n".join(lines[1:] if lines[0].startswith("# run: ") else lines)
    fixed_path = EXPLAIN / f"{code}.fixed.net"
    fixed = _read(fixed_path).split("\n", 1)[1] if fixed_path.exists() else wrong
    files, fixed_files = {}, {}
    for p in sorted(EXPLAIN.glob(f"{code}.*")):
        rest = p.name[len(code) + 1 :]
        if rest in ("net", "fixed.net", "md") or rest.startswith("fixed."):
            continue
        files[rest] = p.read_bytes()
        alt = EXPLAIN / f"{code}.fixed.{rest}"
        fixed_files[rest] = alt.read_bytes() if alt.exists() else files[rest]
    return {
        "source": f"tests/errors/explain/{code}.net",
        "command": command,
        "wrong": wrong,
        "fixed": fixed,
        "files": files,
        "fixed_files": fixed_files,
    }


def run(command: str, spec_text: str, files: dict[str, bytes]) -> tuple[str, list[str]]:
    """What `command` reports for the spec (its diagnostics as the CLI prints
    them, without colour) and the codes of its diagnostics; TensorFlow is never
    loaded ("" for what only a training run meets)."""
    with tempfile.TemporaryDirectory() as tmp, _cwd(tmp):
        Path("spec.net").write_text(spec_text, encoding="utf-8")
        for name, text in files.items():
            Path(name).parent.mkdir(parents=True, exist_ok=True)
            Path(name).write_bytes(text)
        return _report(shlex.split(command))


@contextlib.contextmanager
def _cwd(path: str):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def _report(words: list[str]) -> tuple[str, list[str]]:
    from netdsl.apps.memory import check_model_memory
    from netdsl.apps.training import check_columns_option, prepare, resolve_settings
    from netdsl.data.errors import DataError
    from netdsl.data.spec import checked_graph, read_for
    from netdsl.ir.core import network
    from netdsl.ir.pipeline import analyze
    from netdsl.lang.diagnostics import SpecError, has_errors
    from netdsl.lang.source import read_source

    command = words[1]
    data = words[words.index("--data") + 1] if "--data" in words else None
    if command == "check" and data is None:
        spaced = _space_report()
        if spaced is not None:
            return spaced
    try:
        spec = analyze(read_source("spec.net"))  # the columns it declares, typed
        table = read_for(spec, data) if command == "train" and data else data
    except DataError as exc:
        failure = exc.spec_error()
        return _rendered(failure), [d.code for d in failure.diagnostics]
    g = checked_graph(read_source("spec.net"), table, False, compiling=command != "check" or data is not None)
    net = network(g)
    diags = net.diagnostics
    failure = SpecError(diags, net.source, net.sources)
    try:
        if not has_errors(diags) and command == "compile":
            check_model_memory(g, None, training=False)
        if not has_errors(diags) and command == "train":
            settings = resolve_settings(g, {"seed": 0})
            check_columns_option(g, {})
            check_model_memory(g, None, True, settings["batch_size"], table.memory)
            prepare(g, table, {}).split(g, settings["test_size"], settings["seed"])
    except SpecError as exc:
        failure = exc
    return _rendered(failure), [d.code for d in failure.diagnostics]


def _space_report() -> tuple[str, list[str]] | None:
    """What `check` reports for a spec with a search space (every combination
    of its grid checked); None when it has none."""
    import argparse

    from netdsl.cli.tuning import check_space_of
    from netdsl.lang.source import read_source

    spaced = check_space_of(read_source("spec.net"), argparse.Namespace(include_path=(), json=True))
    if spaced is None:
        return None
    failure = spaced[0]
    return ("", []) if failure is None else (_rendered(failure), [d.code for d in failure.diagnostics])


def _rendered(failure) -> str:
    from netdsl.cli.common import summary_line

    if not failure.diagnostics:
        return ""
    return failure.render() + f"\nnetdsl: {failure.source.name}: {summary_line(failure.diagnostics)}"


def build() -> dict:
    from netdsl.lang.codes import CODES

    out = {}
    for code, meaning in CODES.items():
        about = EXPLAIN / f"{code}.md"
        example = _corpus_example(code) if code in CORPUS else _explain_example(code)
        if example is not None:
            example["reported"] = _checked_example(code, example)
            for key in ("files", "fixed_files"):
                example[key] = {name: _shown(data) for name, data in example[key].items()}
        out[code] = {
            "meaning": meaning.explanation,
            "about": _read(about).strip() if about.exists() else None,
            "example": example,
        }
    return out


def _checked_example(code: str, example: dict) -> str | None:
    """The report of the wrong spec, which must have `code`; the fixed one must not."""
    if "train" in example["command"] and code == "ND612":
        return None  # only a real training run meets it (TensorFlow, not loaded here)
    reported, codes = run(example["command"], example["wrong"], example["files"])
    if code not in codes:
        raise SystemExit(f"{example['source']}: `{example['command']}` does not report {code}: {codes}")
    _, after = run(example["command"], example["fixed"], example["fixed_files"])
    if after:
        raise SystemExit(f"{example['source']}: the fixed version still reports {after}")
    return reported


def dump(explanations: dict) -> str:
    return json.dumps(explanations, indent=1, ensure_ascii=False) + "\n"


def main() -> None:
    sys.path.insert(0, str(ROOT))
    OUTPUT.write_text(dump(build()), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
