"""Building blocks of the command line's grammar, shared by args.py and the
*_args.py modules of the command groups (which args.py imports): a
subcommand with a described --help, and checked number types."""

from __future__ import annotations

import argparse


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
