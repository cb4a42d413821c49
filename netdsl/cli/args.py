"""The command line's grammar: every subcommand and option, and nothing else.

Parsing arguments is kept apart from the work (the command modules), so that
`--help` never imports more than argparse.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from .. import __version__
from ..io import UsageError
from .parsing import (
    TRAIN_DEFAULTS,
    checked_number,
    columns,
    fraction,
    memory_size,
    natural,
    seed,
    subcommand,
)

FORMATS = ("svg", "png", "pdf", "dot")  # the diagram formats (netdsl.backends.dot renders them)


class Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own exit is 2 as well; keep our prefix
        self.print_usage(sys.stderr)
        raise UsageError(message)


def _include_option(p) -> None:
    p.add_argument(
        "--include-path",
        action="append",
        default=[],
        metavar="DIR",
        help="also allow imports from this directory (repeatable)",
    )


def _color_option(p) -> None:
    p.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour diagnostics: auto (default: on a terminal, unless NO_COLOR is set), always, never",
    )


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line's parser; with `command`, one that knows only the
    group of subcommands `command` is in (what `main` parses a known command
    with: building all fifteen costs a cold `check` a few milliseconds)."""
    p = Parser(
        prog="netdsl",
        description="Write, check, compile and draw neural-network graphs.",
        epilog="Run `netdsl COMMAND --help` for a command's options and an example.",
    )
    p.add_argument("--version", action="version", version=f"netdsl {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for names, add in _GROUPS:
        if command is None or command in names:
            add(sub)
    return p


def parser_for(argv: list[str]) -> argparse.ArgumentParser:
    """The parser for `argv`: only its command's group when the command is known
    and nothing but --debug comes before it (so that the result, the errors and
    every --help are those of the whole parser); the whole parser otherwise."""
    for token in argv:
        if token != "--debug":
            known = any(token in names for names, _ in _GROUPS)
            return build_parser(token if known else None)
    return build_parser()


SPEC_FILES = "spec files (.net); '-' reads one from standard input"


def _check_parser(sub) -> None:
    c = subcommand(
        sub,
        "check",
        "check specs; print every layer's shape and parameters (never loads TensorFlow)",
        "netdsl check examples/iris_concat.net --data examples/data/iris.csv",
        "With several files, each is checked; --json then prints a JSON array, one object per file.",
    )
    c.add_argument("files", metavar="FILE", nargs="+", help=SPEC_FILES)
    c.add_argument("--json", action="store_true", help="print one JSON object (its fields: see the README)")
    c.add_argument("--data", metavar="CSV", help="also check the spec's features against a CSV")
    c.add_argument("--strict", action="store_true", help="treat warnings as errors")
    _include_option(c)
    _color_option(c)


def _compile_parser(sub) -> None:
    k = subcommand(
        sub,
        "compile",
        "compile specs to Keras models saved as .keras",
        "netdsl compile examples/iris_concat.net -o build/iris_concat.keras --summary",
        "The model of FILE goes to build/NAME.keras under the current directory, NAME being\n"
        "FILE's name without .net (build/stdin.keras for '-'), unless -o says otherwise. -o's\n"
        "suffix picks the format: .keras, .onnx, .tflite, or a directory name for a SavedModel.",
    )
    k.add_argument("files", metavar="FILE", nargs="+", help=SPEC_FILES)
    k.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="where to write the model (default: build/NAME.keras); its suffix picks the format: "
        ".keras, .onnx, .tflite, or a directory for a SavedModel; with several files, a directory",
    )
    k.add_argument(
        "--format",
        choices=("keras", "savedmodel", "onnx", "litert"),
        help="the model format (default: from -o's suffix, else keras)",
    )
    k.add_argument("--data", metavar="CSV", help="CSV to adapt standardize layers on")
    k.add_argument("--seed", type=seed, metavar="N", help="seed: identical initial weights (default: random)")
    k.add_argument("--summary", action="store_true", help="print the Keras model summary")
    k.add_argument("--strict", action="store_true", help="treat warnings as errors")
    _memory_option(k)
    _include_option(k)
    _color_option(k)


def _render_parser(sub) -> None:
    r = subcommand(
        sub,
        "render",
        "draw specs as diagrams (.svg, .png, .pdf or .dot; never loads TensorFlow)",
        "netdsl render examples/iris_add.net -o iris_add.svg --direction LR",
        "The format comes from --format, else from OUT's extension, else svg. Without -o the\n"
        "diagram goes to build/NAME.FORMAT; '-o -' writes it to standard output.",
    )
    r.add_argument("files", metavar="FILE", nargs="+", help=SPEC_FILES)
    r.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="the diagram (default: build/NAME.FORMAT); '-' for standard output; "
        "with several files, a directory",
    )
    r.add_argument("--format", type=str.lower, choices=FORMATS, help="svg, png, pdf or dot")
    r.add_argument(
        "--direction",
        type=str.upper,
        choices=("TB", "LR"),
        default="TB",
        help="top to bottom (default) or left to right",
    )
    r.add_argument(
        "--no-clusters", action="store_true", help="do not group the layers of a named chain in a box"
    )
    r.add_argument(
        "--collapse-blocks",
        action="store_true",
        help="draw each use of a block as one node with its parameter count",
    )
    r.add_argument(
        "--allow-errors",
        action="store_true",
        help="draw a spec with errors anyway, the offending parts in red",
    )
    r.add_argument("--strict", action="store_true", help="treat warnings as errors")
    r.add_argument(
        "--dpi",
        type=natural(1),
        metavar="N",
        help="resolution of a .png (default 320: its smallest text as large as plot_model's at its default)",
    )
    r.add_argument("--legend", action="store_true", help="add a small key of the node kinds drawn")
    r.add_argument(
        "--dot-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="stop Graphviz's dot after this long (default 60)",
    )
    r.add_argument("--diff", metavar="A", help="colour what FILE changed since the model A (.net or .keras)")
    _include_option(r)
    _color_option(r)


def _train_parser(sub) -> None:
    t = subcommand(
        sub,
        "train",
        "train a spec on a CSV file and report its test metrics",
        "netdsl train examples/iris_add.net --data examples/data/iris.csv -o build/iris_add.keras",
        TRAIN_DEFAULTS + " --seed defaults to the train line's, else a random one (printed).",
    )
    t.add_argument("file", metavar="FILE", help="the spec (.net)")
    _training_options(t)
    t.add_argument(
        "-o", "--output", metavar="OUT.keras", help="save the trained model here (and OUT.labels.json)"
    )
    t.add_argument("--history", metavar="FILE.json", help="save the per-epoch history and test metrics")
    t.add_argument("--seed", type=seed, metavar="S", help="seed: identical weights and metrics")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.add_argument(
        "--stream",
        action="store_true",
        default=None,
        help="read the file piece by piece in every pass, with a hashed split (the default over 256 MiB)",
    )
    from .experiments_args import add_distribute_options

    add_distribute_options(t, natural)
    _color_option(t)


def _compare_parser(sub) -> None:
    c = subcommand(
        sub,
        "compare",
        "train several specs with the same settings and splits and compare them",
        "netdsl compare examples/iris_dense.net examples/iris_add.net --data examples/data/iris.csv --runs 3",
        TRAIN_DEFAULTS.replace("the spec's", "the FIRST spec's")
        + "\nEvery spec is trained with these same settings; a note says when the specs' train\n"
        "lines disagree.",
    )
    c.add_argument("files", metavar="FILE", nargs="+", help="the specs (.net)")
    _training_options(c)
    c.add_argument("--runs", type=natural(1), default=5, metavar="N", help="seeds per spec (default 5)")
    c.add_argument("--seed", type=seed, default=0, metavar="S", help="first seed (default 0)")
    c.add_argument("--plot", metavar="CURVES.png", help="save the validation curves (.png, .svg, .pdf)")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.add_argument("--quiet", action="store_true", help="no progress lines")
    _color_option(c)
    from .experiments_args import add_scale_options

    add_scale_options(c, natural)


def _fmt_parser(sub) -> None:
    f = subcommand(
        sub,
        "fmt",
        "rewrite specs in the canonical layout",
        "netdsl fmt --check examples/*.net",
    )
    f.add_argument("files", metavar="FILE", nargs="+")
    f.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file would change")
    f.add_argument("--diff", action="store_true", help="print the changes as a diff; write nothing")
    f.add_argument(
        "--width",
        type=natural(20),
        default=88,
        metavar="N",
        help="split chains longer than this (default 88)",
    )
    _color_option(f)


def _explain_parser(sub) -> None:
    e = subcommand(
        sub,
        "explain",
        "explain an error code: what it means, a spec that has it, and the fix",
        "netdsl explain ND301",
        "Without CODE, every code with its one-line meaning.",
    )
    e.add_argument("code", metavar="CODE", nargs="?")
    e.add_argument("--markdown", action="store_true", help="all codes as Markdown (docs/errors.md)")


def _memory_option(p) -> None:
    p.add_argument(
        "--memory-limit",
        type=memory_size,
        metavar="SIZE",
        help="refuse models and data estimated to need more memory than this, e.g. 512M, 8G "
        "(default: 4G, or $NETDSL_MEMORY_LIMIT; 0 for no limit)",
    )


def _editor_parsers(sub) -> None:
    subcommand(
        sub,
        "lsp",
        "run the language server on standard input and output (for editors)",
        "netdsl lsp   # started by the editor, not by hand",
    )
    s = subcommand(
        sub,
        "serve",
        "a playground in the browser: edit a spec, see its diagram live",
        "netdsl serve examples --port 8765",
    )
    s.add_argument("path", metavar="PATH", nargs="?", default=".", help="a directory (or a spec) to serve")
    s.add_argument("--port", type=natural(0), default=8765, metavar="N", help="port (default 8765; 0: any)")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")


def _training_options(p) -> None:
    _include_option(p)
    p.add_argument("--data", metavar="CSV", required=True, help="the data, a CSV file with a header")
    p.add_argument("--epochs", type=natural(1), metavar="N", help="passes over the training rows")
    p.add_argument("--batch-size", type=natural(1), metavar="B", help="rows per gradient step")
    p.add_argument(
        "--test-size",
        type=checked_number(float, lambda v: 0 <= v < 1, "between 0 and 1 (0: no test split; 1 excluded)"),
        metavar="F",
        help="held-out share; 0 trains on every row and skips the evaluation",
    )
    p.add_argument(
        "--validation-split",
        type=fraction(False),
        metavar="F",
        help="share of the training rows used for validation",
    )
    p.add_argument(
        "--columns",
        type=columns,
        action="append",
        default=[],
        metavar="NAME=c1,c2",
        help="bind an input to these columns, or an output to its label column (label=species)",
    )
    _memory_option(p)


def _lockin_parsers(sub) -> None:
    from .lockin_args import add_parsers

    add_parsers(sub)


def _experiment_parsers(sub) -> None:
    from .experiments_args import add_experiment_parsers

    add_experiment_parsers(sub)


def _tune_parser(sub) -> None:
    from .experiments_args import add_tune_parser

    add_tune_parser(sub, natural, _training_options, _color_option)


def _predict_parser(sub) -> None:
    from .predict_args import add_predict_parser

    add_predict_parser(sub)


# Each builder with the subcommands it adds, in the order of `netdsl --help`.
_GROUPS: tuple[tuple[tuple[str, ...], Callable[[Any], None]], ...] = (
    (("check",), _check_parser),
    (("compile",), _compile_parser),
    (("render",), _render_parser),
    (("train",), _train_parser),
    (("compare",), _compare_parser),
    (("fmt",), _fmt_parser),
    (("explain",), _explain_parser),
    (("lsp", "serve"), _editor_parsers),
    (("import", "diff", "emit"), _lockin_parsers),
    (("evaluate",), _experiment_parsers),
    (("tune",), _tune_parser),
    (("predict",), _predict_parser),
)
