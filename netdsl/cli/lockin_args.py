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
