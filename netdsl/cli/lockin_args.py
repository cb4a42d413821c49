"""The command-line grammar of import, emit and diff (see lockin.py for the work)."""

from __future__ import annotations


def add_parsers(sub) -> None:
    from .parsing import subcommand

    i = subcommand(
        sub,
        "import",
        "turn a saved Keras model (.keras) into a spec",
        "netdsl import build/iris_add.keras -o iris_add.net",
        "Without -o the spec is printed.",
    )
    i.add_argument("file", metavar="MODEL.keras")
    i.add_argument("-o", "--output", metavar="OUT.net", help="write the spec here (default: print it)")
    i.add_argument(
        "--allow-unsupported",
        action="store_true",
        help="leave out the layers netdsl cannot express and write the rest",
    )

    d = subcommand(
        sub,
        "diff",
        "what changed between two models (.net or .keras)",
        "netdsl diff examples/iris_concat.net examples/iris_add.net",
    )
    d.add_argument("a", metavar="A")
    d.add_argument("b", metavar="B")
    d.add_argument("--json", action="store_true", help="print one JSON object")
    d.add_argument(
        "--include-path", action="append", default=[], metavar="DIR", help="also allow imports from DIR"
    )

    e = subcommand(
        sub,
        "emit",
        "write a spec as readable Keras 3 Python",
        "netdsl emit examples/iris_add.net --python -o iris_add.py",
        "Without -o the source is printed.",
    )
    e.add_argument("file", metavar="FILE")
    e.add_argument("--python", action="store_true", required=True, help="emit Python (the one target)")
    e.add_argument("-o", "--output", metavar="OUT.py", help="write the source here (default: print it)")
    e.add_argument(
        "--data", metavar="CSV", help="CSV that standardize layers adapt on (written as constants)"
    )
    e.add_argument("--strict", action="store_true", help="treat warnings as errors")
    e.add_argument(
        "--include-path", action="append", default=[], metavar="DIR", help="also allow imports from DIR"
    )
