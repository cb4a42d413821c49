"""Building blocks of the command line's grammar, shared by args.py and the
*_args.py modules of the command groups (which args.py imports): a
subcommand with a described --help, and the argparse value types (checked
numbers, seeds, sizes, column lists)."""

from __future__ import annotations

import argparse

from ..io import parse_size

TRAIN_DEFAULTS = (
    "--epochs, --batch-size, --test-size and --validation-split default to the spec's `train`\n"
    "line, then to netdsl's defaults (100 epochs, batch size 32, test size 0.2, validation\n"
    "split 0.1)."
)


def subcommand(sub, name: str, summary: str, example: str, notes: str = ""):
    """A subcommand whose --help has a one-line description, notes and an example."""
    epilog = (notes.strip() + "\n\n" if notes else "") + "example:\n  " + example
    p = sub.add_parser(
        name,
        help=summary,
        description=summary[0].upper() + summary[1:] + ".",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # --debug is accepted after the subcommand too (argparse would keep only
    # one of the two places; SUPPRESS keeps the top level's when absent here).
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return p


def checked_number(convert, ok, accepts: str):
    """An argparse type: the text converted, then checked; a clear message otherwise."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            kind = "an integer" if convert is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {kind}, got {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"must be {accepts}, got {value}")
        return value

    return parse


def natural(minimum: int):
    return checked_number(int, lambda v: v >= minimum, f"at least {minimum}")


# What NumPy's and Keras's seeding accept: checked here, before TensorFlow loads.
seed = checked_number(int, lambda v: 0 <= v < 2**32, "from 0 to 4294967295")


def fraction(low_open: bool):
    if low_open:
        return checked_number(float, lambda v: 0 < v < 1, "between 0 and 1")
    return checked_number(float, lambda v: 0 <= v < 1, "from 0 up to 1")


def memory_size(text: str) -> int:
    """512M, 8G, 1.5G, 1000000 (bytes); 0 means no limit."""
    try:
        return parse_size(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a size such as 512M or 8G, got {text!r}") from None


def columns(text: str) -> tuple[str, list[str]]:
    name, sep, cols = text.partition("=")
    if not sep or not name.strip() or not cols.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=col1,col2,..., got {text!r}")
    return name.strip(), [c.strip() for c in cols.split(",")]


__all__ = [
    "TRAIN_DEFAULTS",
    "checked_number",
    "columns",
    "fraction",
    "memory_size",
    "natural",
    "seed",
    "subcommand",
]
