"""The command line's grammar for the experiment commands: evaluate (and tune)."""

from __future__ import annotations


def add_experiment_parsers(sub) -> None:
    _evaluate_parser(sub)


def _evaluate_parser(sub) -> None:
    e = sub.add_parser(
        "evaluate",
        help="report a trained model on labelled rows: per-class precision/recall/F1, confusion matrix, ...",
    )
    e.add_argument("model", metavar="MODEL.keras", help="a model written by `netdsl train -o`")
    e.add_argument("--data", metavar="CSV", required=True, help="labelled rows with the model's columns")
    e.add_argument(
        "--plot",
        metavar="OUT.png",
        help="also draw the confusion matrix, ROC/PR or residuals (.png .svg .pdf)",
    )
    e.add_argument("--json", action="store_true", help="print one JSON object")
