"""The command-line grammar of import, emit and diff (see lockin.py for the work)."""

from __future__ import annotations


def add_parsers(sub) -> None:
    i = sub.add_parser("import", help="turn a saved Keras model (.keras) into a spec")
    i.add_argument("file", metavar="MODEL.keras")
    i.add_argument("-o", "--output", metavar="OUT.net", help="write the spec here (default: print it)")
    i.add_argument(
        "--allow-unsupported",
        action="store_true",
        help="leave out the layers netdsl cannot express and write the rest",
    )

    d = sub.add_parser("diff", help="what changed between two models (.net or .keras)")
    d.add_argument("a", metavar="A")
    d.add_argument("b", metavar="B")
    d.add_argument("--json", action="store_true", help="print one JSON object")
    d.add_argument(
        "--include-path", action="append", default=[], metavar="DIR", help="also allow imports from DIR"
    )

    e = sub.add_parser("emit", help="write a spec as readable Keras 3 Python")
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
