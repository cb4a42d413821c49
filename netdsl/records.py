"""Equality, hash and repr of dataclasses, written once instead of per class.

`@dataclass` compiles every method it makes on its own (about 0.05 ms each).
A cold `netdsl check` imports about fifty dataclasses, and their __eq__,
__hash__ and __repr__ were about 6 ms of it (benchmarks/run.py,
check_cold_vs_import_floor). A dataclass that says `eq=False, repr=False` and
derives from Record (mutable: unhashable, as a dataclass with eq is) or Frozen
(hashable, for `frozen=True`) has the methods @dataclass would have made:
every field compared, hashed and shown, in declaration order.
"""

from __future__ import annotations

import dataclasses
import operator
import reprlib
from collections.abc import Callable
from typing import Any

_NAMES: dict[type, tuple[str, ...]] = {}
_Values = Callable[[Any], tuple[Any, ...]]
_PARTS: dict[type, tuple[tuple[str, ...], _Values, _Values]] = {}


def field_names(cls: type) -> tuple[str, ...]:
    """The names of a dataclass's fields, in declaration order (cached)."""
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def _getter(names: list[str]) -> _Values:
    """A function giving an instance's values of `names`, in order, as a tuple."""
    if len(names) == 1:
        get = operator.attrgetter(names[0])
        return lambda obj: (get(obj),)
    if not names:
        return lambda obj: ()
    return operator.attrgetter(*names)  # a tuple, at C speed


def _parts(cls: type) -> tuple[tuple[str, ...], _Values, _Values]:
    """What repr shows, what == compares and what hash hashes (each field's
    repr=, compare= and hash= options, as @dataclass reads them)."""
    parts = _PARTS.get(cls)
    if parts is None:
        fields = dataclasses.fields(cls)
        shown = tuple(f.name for f in fields if f.repr)
        compared = _getter([f.name for f in fields if f.compare])
        hashed = _getter([f.name for f in fields if (f.compare if f.hash is None else f.hash)])
        parts = _PARTS[cls] = (shown, compared, hashed)
    return parts


class Record:
    """Base of a dataclass with `eq=False, repr=False`: its equality and repr."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        compared = _parts(self.__class__)[1]
        return compared(self) == compared(other)

    @reprlib.recursive_repr()
    def __repr__(self) -> str:
        cls = self.__class__
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _parts(cls)[0])
        return f"{cls.__qualname__}({shown})"


class Frozen(Record):
    """Base of a dataclass with `frozen=True, eq=False, repr=False`: also its hash."""

    __slots__ = ()

    def __hash__(self) -> int:
        return hash(_parts(self.__class__)[2](self))
