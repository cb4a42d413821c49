"""The data stage's error: a file that cannot be used. Light on purpose: the
commands that only read data (predict) import it without the front end."""

from __future__ import annotations


class DataError(Exception):
    """A data file that cannot be used; the message says where and why (`help`, when set, how to fix it)."""
