"""The command line's grammar for `netdsl predict`."""

from __future__ import annotations

from .parsing import natural, subcommand


def add_predict_parser(sub) -> None:
    p = subcommand(
        sub,
        "predict",
        "predict the rows of a CSV or Parquet file with a saved model",
        "netdsl predict build/iris_add.keras --data examples/data/iris.csv -o predictions.csv",
    )
    p.add_argument("model", metavar="MODEL.keras", help="a model written by `netdsl train -o` (or `compile`)")
    p.add_argument("--data", metavar="FILE", required=True, help="the rows to predict (.csv, or .parquet)")
    p.add_argument(
        "-o", "--output", metavar="OUT.csv", help="write the result here (default: standard output)"
    )
    p.add_argument("--batch-size", type=natural(1), default=1024, metavar="B", help="rows per batch (1024)")
    p.add_argument(
        "--stream",
        action="store_true",
        default=None,
        help="read the file piece by piece (the default for files over 256 MiB)",
    )
