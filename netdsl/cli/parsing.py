"""argparse value types shared by every subcommand's options (checked numbers, column lists)."""

from __future__ import annotations

import argparse


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


def fraction(low_open: bool):
    if low_open:
        return checked_number(float, lambda v: 0 < v < 1, "between 0 and 1")
    return checked_number(float, lambda v: 0 <= v < 1, "from 0 up to 1")


def columns(text: str) -> tuple[str, list[str]]:
    name, sep, cols = text.partition("=")
    if not sep or not name or not cols:
        raise argparse.ArgumentTypeError(f"expected INPUT=col1,col2,..., got {text!r}")
    return name.strip(), [c.strip() for c in cols.split(",")]


__all__ = ["checked_number", "columns", "fraction", "natural"]
