"""Records: an input of typed columns, `input penguin: {bill_length_mm, island: string}`.

The builder (ir/graph.py) reads a record's fields here: each field is a
number (a bare name, or `float`), a string category (`string`) or an integer
category (`int`), optionally with its vocabulary
(`island: string(vocabulary=["Biscoe", "Dream"])`). Types are looked up in
one table (core.FIELD_TYPES); the grammar knows only `key: value`.
"""

from __future__ import annotations

from ..lang import ast, codes
from ..lang.diagnostics import Diagnostic, did_you_mean, error
from .core import FIELD_TYPES, FLOAT, STRING, Field


def item_text(item) -> str:
    """A feature-list item as it is written in a record (for a help text)."""
    if isinstance(item, ast.Pair):
        key = f'"{item.key.text}"' if item.key.quoted else item.key.text
        value = ast.unwrap(item.value) if item.value is not None else None
        if isinstance(value, ast.Ref):
            return f"{key}: {value.name}"
        if isinstance(value, ast.Call):
            return f"{key}: {value.op.text}(...)"
        return key
    value = ast.unwrap(item)
    if isinstance(value, ast.Ref):
        return value.name
    if isinstance(value, ast.String):
        return f'"{value.value}"'
    return "..."


def field_of(record: str, label: str, pair: ast.Pair, diags: list[Diagnostic]) -> Field | None:
    """One record field from `label` or `label: type` (`type(vocabulary=[...])`)."""
    if pair.value is None:
        return Field(label, FLOAT, None, pair.span, record)
    atom = ast.unwrap(pair.value)
    call = atom if isinstance(atom, ast.Call) else None
    type_name = call.op.text if call else atom.name if isinstance(atom, ast.Ref) else None
    where = call.op.span if call else atom.span
    if type_name not in FIELD_TYPES:
        hint = did_you_mean(type_name, FIELD_TYPES) if type_name else None
        message = (
            f"unknown type '{type_name}' for field '{label}'"
            if type_name
            else f"field '{label}' needs a type"
        )
        diags.append(
            error(
                codes.UNKNOWN_TYPE,
                message,
                where,
                help=hint or "a field is a number (no type, or float) or a category: string or int",
            )
        )
        return None
    dtype = FIELD_TYPES[type_name]
    if call is None:
        return Field(label, dtype, None, pair.span, record)
    declared = _type_arguments(label, dtype, call, diags)
    if declared is None:
        return None
    vocabulary, shape = declared
    return Field(label, dtype, vocabulary, pair.span, record, shape=shape)


# The shapes a column may have: one value per row, as (1,) or as a scalar ()
FIELD_SHAPES = ((1,), ())


def _type_arguments(
    label: str, dtype: str, call: ast.Call, diags: list[Diagnostic]
) -> tuple[tuple | None, tuple[int, ...]] | None:
    """`string(vocabulary=["a", "b"], shape=())`: a type's keyword arguments (a number's: shape)."""
    kwargs = {kw.name.text: kw for kw in call.kwargs}
    allowed = ("shape",) if dtype == FLOAT else ("vocabulary", "shape")
    extra = [a.span for a in call.args] + [kw.name.span for k, kw in kwargs.items() if k not in allowed]
    if extra or not kwargs:
        what = (
            "a number takes only shape=() (a scalar column)"
            if dtype == FLOAT
            else "a category type takes vocabulary=[...] and shape=()"
        )
        example = '["a", "b"]' if dtype == STRING else "[1, 2, 3]"
        diags.append(
            error(
                codes.ARGUMENT_TYPE,
                f"field '{label}': {what}",
                extra[0] if extra else call.span,
                help=f"e.g. {label}: float(shape=())"
                if dtype == FLOAT
                else f"e.g. {label}: {call.op.text}(vocabulary={example})",
            )
        )
        return None
    shape = _field_shape(label, kwargs["shape"].value, diags) if "shape" in kwargs else (1,)
    if shape is None:
        return None
    if "vocabulary" not in kwargs:
        return None, shape
    vocabulary = vocabulary_values(kwargs["vocabulary"].value, dtype, diags)
    return None if vocabulary is None else (vocabulary, shape)


def _field_shape(label: str, expr, diags: list[Diagnostic]) -> tuple[int, ...] | None:
    """A column's shape: `()` (a scalar per row) or `(1,)`."""
    atom = ast.unwrap(expr)
    items = [ast.unwrap(i) for i in atom.items] if isinstance(atom, ast.TupleLit) else None
    shape = (
        tuple(i.value for i in items if isinstance(i, ast.Number) and type(i.value) is int)
        if items is not None
        else None
    )
    if shape is None or len(shape) != len(items or ()) or shape not in FIELD_SHAPES:
        diags.append(
            error(
                codes.ARGUMENT_RANGE,
                f"field '{label}': a column holds one value per row, of shape () or (1,)",
                atom.span,
                help="a scalar column: shape=(); a vector of numbers is an input of its own, "
                "input x: [a, b, c]",
            )
        )
        return None
    return shape


def vocabulary_values(expr, dtype: str, diags: list[Diagnostic]) -> tuple | None:
    """A vocabulary written as a list of strings (STRING) or integers; None when wrong."""
    atom = ast.unwrap(expr)
    want = "strings" if dtype == STRING else "integers"
    if not isinstance(atom, ast.ListLit) or not atom.items:
        example = 'vocabulary=["a", "b"]' if dtype == STRING else "vocabulary=[1, 2, 3]"
        diags.append(
            error(
                codes.BAD_VOCABULARY,
                f"a vocabulary is a non-empty list of {want}",
                atom.span,
                help=f"e.g. {example}",
            )
        )
        return None
    values: list = []
    for item in atom.items:
        v = ast.unwrap(item)
        ok = (
            isinstance(v, ast.String)
            if dtype == STRING
            else isinstance(v, ast.Number) and type(v.value) is int
        )
        value = getattr(v, "value", None)
        if not ok:
            diags.append(error(codes.BAD_VOCABULARY, f"a vocabulary of {want} holds {_what(v)}", v.span))
            return None
        if value in values:
            diags.append(
                error(
                    codes.BAD_VOCABULARY,
                    f"{value!r} is in the vocabulary twice",
                    v.span,
                    help="list each value once",
                )
            )
            return None
        if value == "":
            diags.append(
                error(
                    codes.BAD_VOCABULARY,
                    "the empty string is how a missing category reaches the model; "
                    "it cannot be in a vocabulary",
                    v.span,
                    help='to give missing values a category of their own, fill them: -> fill("none")',
                )
            )
            return None
        values.append(value)
    return tuple(values)


def _what(atom) -> str:
    if isinstance(atom, ast.Number):
        return f"the number {atom.value!r}"
    if isinstance(atom, ast.String):
        return f'the string "{atom.value}"'
    if isinstance(atom, ast.Ref):
        return f"the name '{atom.name}' (text is quoted: \"{atom.name}\")"
    return "something else"
