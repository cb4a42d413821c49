"""netdsl: write, check, compile and draw neural-network graphs.

    graph = netdsl.load("spec.net")        # parsed and checked; SpecError if not clean
    model = netdsl.to_keras(graph)         # a Keras 3 Functional model

Importing netdsl is cheap: Lark, networkx and TensorFlow load only when used.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["load", "loads", "to_keras", "SpecError", "InputFileError", "__version__"]


def __getattr__(name):
    if name == "SpecError":
        from .diagnostics import SpecError
        return SpecError
    if name == "InputFileError":
        from .pipeline import InputFileError
        return InputFileError
    raise AttributeError(name)


def load(path: str, *, data: str | None = None, strict: bool = False):
    """Read, parse and check a spec file; returns the checked networkx graph.

    Raises SpecError (with every diagnostic) when the spec has errors, and
    InputFileError when the file cannot be read. With `data`, a CSV path, the
    spec's named features are bound to its columns and standardize layers
    without statistics are adapted on it by to_keras.
    """
    from .pipeline import read_source
    return _checked(read_source(path), data, strict, compiling=False)


def loads(text: str, name: str = "<string>", *, data: str | None = None, strict: bool = False):
    """Like load, from a string."""
    from .source import Source
    return _checked(Source(name, text), data, strict, compiling=False)


def _checked(source, data, strict, compiling):
    from .data import check_data, read_csv
    from .pipeline import analyze, finish
    g = analyze(source)
    table = read_csv(data) if data is not None else None
    g.graph["table"] = table
    extra = check_data(g, table, compiling) if not g.graph.get("syntax_error") else []
    return finish(g, extra, strict)


def to_keras(graph, *, seed: int | None = None):
    """The Keras model of a checked graph (imports TensorFlow).

    Raises SpecError, before TensorFlow loads, if the model cannot be built as
    checked (a standardize layer with nothing to adapt on).
    """
    from .data import check_data
    from .diagnostics import SpecError, has_errors
    table = graph.graph.get("table")
    problems = check_data(graph, table, compiling=True)
    if has_errors(problems):
        raise SpecError(problems, graph.graph["source"])
    from .backends.keras import to_keras as build
    return build(graph, table, seed=seed)
