"""The command line's grammar: every subcommand and option, and nothing else.

Parsing arguments is kept apart from the work (the command modules), so that
`--help` never imports more than argparse.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..io import UsageError
from .parsing import columns, fraction, natural


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


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="netdsl", description="Write, check, compile and draw neural-network graphs.")
    p.add_argument("--version", action="version", version=f"netdsl {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    _check_parser(sub)
    _compile_parser(sub)
    _render_parser(sub)
    _train_parser(sub)
    _compare_parser(sub)
    _fmt_parser(sub)
    _explain_parser(sub)
    _editor_parsers(sub)
    from .lockin_args import add_parsers

    add_parsers(sub)
    from .experiments_args import add_experiment_parsers, add_tune_parser

    add_experiment_parsers(sub)
    add_tune_parser(sub, natural, _training_options, _color_option)
    from .predict_args import add_predict_parser

    add_predict_parser(sub)
    return p


def _check_parser(sub) -> None:
    c = sub.add_parser("check", help="check a spec; print every layer's shape and parameters")
    c.add_argument("file", metavar="FILE")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.add_argument("--data", metavar="CSV", help="also check the spec's features against a CSV")
    c.add_argument("--strict", action="store_true", help="treat warnings as errors")
    _include_option(c)
    _color_option(c)


def _compile_parser(sub) -> None:
    k = sub.add_parser("compile", help="compile a spec to a Keras model (.keras)")
    k.add_argument("file", metavar="FILE")
    k.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="where to write the model (default: build/<name>.keras); its suffix picks the format: "
        ".keras, .onnx, .tflite, or a directory for a SavedModel",
    )
    k.add_argument(
        "--format",
        choices=("keras", "savedmodel", "onnx", "litert"),
        help="the model format (default: from -o's suffix, else keras)",
    )
    k.add_argument("--data", metavar="CSV", help="CSV to adapt standardize layers on")
    k.add_argument("--seed", type=int, metavar="N", help="seed for identical initial weights")
    k.add_argument("--summary", action="store_true", help="print the Keras model summary")
    k.add_argument("--strict", action="store_true", help="treat warnings as errors")
    _include_option(k)
    _color_option(k)


def _render_parser(sub) -> None:
    r = sub.add_parser("render", help="draw a spec as a diagram (.svg, .png, .pdf or .dot)")
    r.add_argument("file", metavar="FILE")
    r.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        required=True,
        help="the diagram; its extension (.svg .png .pdf .dot) picks the format",
    )
    r.add_argument(
        "--direction", choices=("TB", "LR"), default="TB", help="top to bottom (default) or left to right"
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
    t = sub.add_parser("train", help="train a spec on a CSV file and report test metrics")
    t.add_argument("file", metavar="FILE")
    _training_options(t)
    t.add_argument("-o", "--output", metavar="OUT.keras", help="save the trained model here")
    t.add_argument("--history", metavar="FILE.json", help="save the per-epoch history and test metrics")
    t.add_argument("--seed", type=natural(0), metavar="S", help="seed: identical weights and metrics")
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
    c = sub.add_parser("compare", help="train several specs on the same splits and compare them")
    c.add_argument("files", metavar="FILE", nargs="+")
    _training_options(c)
    c.add_argument("--runs", type=natural(1), default=5, metavar="N", help="seeds per spec (default 5)")
    c.add_argument("--seed", type=natural(0), default=0, metavar="S", help="first seed (default 0)")
    c.add_argument("--plot", metavar="CURVES.png", help="save the validation curves (.png, .svg, .pdf)")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.add_argument("--quiet", action="store_true", help="no progress lines")
    _color_option(c)
    from .experiments_args import add_scale_options

    add_scale_options(c, natural)


def _fmt_parser(sub) -> None:
    f = sub.add_parser("fmt", help="rewrite specs in the canonical layout")
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
    e = sub.add_parser("explain", help="explain an error code, e.g. ND301 (all codes without one)")
    e.add_argument("code", metavar="CODE", nargs="?")
    e.add_argument("--markdown", action="store_true", help="all codes as a Markdown table")


def _editor_parsers(sub) -> None:
    sub.add_parser("lsp", help="run the language server on stdin/stdout (for editors)")
    s = sub.add_parser("serve", help="a playground in the browser: edit a spec, see its diagram live")
    s.add_argument("path", metavar="PATH", nargs="?", default=".", help="a directory (or a spec) to serve")
    s.add_argument("--port", type=natural(0), default=8765, metavar="N", help="port (default 8765; 0: any)")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")


def _training_options(p) -> None:
    _include_option(p)
    p.add_argument("--data", metavar="CSV", required=True, help="the data, a CSV file with a header")
    p.add_argument("--epochs", type=natural(1), metavar="N")
    p.add_argument("--batch-size", type=natural(1), metavar="B")
    p.add_argument("--test-size", type=fraction(True), metavar="F", help="held-out share (default 0.2)")
    p.add_argument(
        "--validation-split",
        type=fraction(False),
        metavar="F",
        help="share of the training rows used for validation (default 0.1)",
    )
    p.add_argument(
        "--columns",
        type=columns,
        action="append",
        default=[],
        metavar="INPUT=c1,c2",
        help="bind an input without feature names to these columns",
    )
