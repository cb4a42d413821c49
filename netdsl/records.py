"""Dataclass methods written once instead of compiled for every class.

`@dataclass` compiles every method it makes on its own (about 0.05 ms each),
and a cold `netdsl check` imports about fifty dataclasses: their methods were
the largest part of its own time (benchmarks/run.py,
check_cold_vs_import_floor). So:

- a dataclass that says `eq=False, repr=False` and derives from Record
  (mutable: unhashable, as a dataclass with eq is) or Frozen (hashable, for
  `frozen=True`) has the __eq__, __hash__ and __repr__ @dataclass would have
  made: every field compared, hashed and shown, in declaration order;
- a Frozen class made by `@frozen_class(frozen=True)` (what mypy sees: exactly
  `@dataclass(frozen=True)`) has no compiled method at all: @dataclass makes
  its fields (fields(), replace() and is_dataclass() are dataclasses' own),
  and its __init__ and frozen __setattr__/__delattr__ are Frozen's. That
  __init__ is slower than a compiled one: classes instantiated for every
  layer of a spec keep @dataclass's (`@dataclass(frozen=True, eq=False,
  repr=False)` on a Frozen).

tests/test_architecture.py compares every such class with a twin made by
@dataclass itself.
"""

from __future__ import annotations

import dataclasses
import operator
import reprlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

_NAMES: dict[type, tuple[str, ...]] = {}
_set = object.__setattr__
_REQUIRED = object()  # a field without a default
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
    """Base of a frozen dataclass: its hash, and (see `frozen_class`) the rest."""

    __slots__ = ()
    # Set by frozen_class: the fields in order, their defaults (_REQUIRED:
    # none), each one's position, and for each count of positional arguments
    # that leaves out only fields with defaults, those defaults.
    _names: tuple[str, ...]
    _defaults: tuple[Any, ...]
    _index: dict[str, int]
    _tails: dict[int, tuple[Any, ...]]

    def __hash__(self) -> int:
        return hash(_parts(self.__class__)[2](self))

    if not TYPE_CHECKING:  # mypy checks each class's own dataclass __init__

        def __init__(self, *args, **kwargs):
            if kwargs:
                args = self._bind(args, kwargs)
            elif len(args) != len(self._names):
                tail = self._tails.get(len(args))
                args = self._bind(args, kwargs) if tail is None else args + tail
            for name, value in zip(self._names, args):
                _set(self, name, value)  # what a frozen dataclass's __init__ does

        def __setattr__(self, name, value):
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

        def __delattr__(self, name):
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

        def __setstate__(self, state):
            """copy and pickle: the fields set past the frozen __setattr__ (state
            is the instance's dict, or (dict, slots) for a class with slots)."""
            for part in state if isinstance(state, tuple) else (state,):
                for name, value in (part or {}).items():
                    _set(self, name, value)

    def _bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
        """The fields' values from positional and keyword arguments; the
        TypeError Python gives a function for a wrong call."""
        names, what = self._names, f"{type(self).__name__}()"
        if len(args) > len(names):
            raise TypeError(f"{what} takes {len(names)} positional arguments but {len(args)} were given")
        values = [*args, *self._defaults[len(args) :]]
        for key, value in kwargs.items():
            i = self._index.get(key)
            if i is None:
                raise TypeError(f"{what} got an unexpected keyword argument {key!r}")
            if i < len(args):
                raise TypeError(f"{what} got multiple values for argument {key!r}")
            values[i] = value
        missing = [repr(n) for n, v in zip(names, values) if v is _REQUIRED]
        if missing:
            raise TypeError(f"{what} missing required arguments: {', '.join(missing)}")
        return values


if TYPE_CHECKING:
    from dataclasses import dataclass as frozen_class  # mypy: exactly @dataclass(frozen=True)
else:

    def frozen_class(*, frozen: bool, slots: bool = False):
        """`@frozen_class(frozen=True)` on a Frozen: a frozen dataclass, nothing compiled."""
        assert frozen
        return lambda cls: _frozen_class(cls, slots)


def _frozen_class(cls: Any, slots: bool) -> Any:
    assert issubclass(cls, Frozen), cls
    cls = dataclasses.dataclass(init=False, eq=False, repr=False, slots=slots)(cls)  # fields only
    fields = dataclasses.fields(cls)
    assert all(f.default_factory is dataclasses.MISSING for f in fields), cls
    assert "__post_init__" not in vars(cls), cls  # Frozen's __init__ would not call it
    defaults = tuple(_REQUIRED if f.default is dataclasses.MISSING else f.default for f in fields)
    cls._names = tuple(f.name for f in fields)
    cls._defaults = defaults
    cls._index = {name: i for i, name in enumerate(cls._names)}
    required = sum(d is _REQUIRED for d in defaults)  # the first fields: @dataclass's rule
    cls._tails = {k: defaults[k:] for k in range(required, len(defaults))}
    return cls
