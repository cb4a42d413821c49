"""netdsl: write, check, compile and draw neural-network graphs.

    graph = netdsl.load("spec.net")        # parsed and checked; SpecError if not clean
    model = netdsl.to_keras(graph)         # a Keras 3 Functional model

Importing netdsl is cheap: Lark, networkx and TensorFlow load only when used.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["load", "loads", "to_keras", "train", "SpecError", "InputFileError", "__version__"]


def __getattr__(name):
    if name == "SpecError":
        from .diagnostics import SpecError
        return SpecError
    if name == "InputFileError":
        from .pipeline import InputFileError
        return InputFileError
    raise AttributeError(name)


def load(path: str, *, data=None, strict: bool = False, include_paths=()):
    """Read, parse and check a spec file; returns the checked networkx graph.

    Raises SpecError (with every diagnostic) when the spec has errors, and
    InputFileError when the file cannot be read. With `data`, a CSV path (or a
    netdsl.data.Table), the
    spec's named features are bound to its columns and standardize layers
    without statistics are adapted on it by to_keras.
    """
    from .pipeline import read_source
    return _checked(read_source(path), data, strict, compiling=False, include_paths=include_paths)


def loads(text: str, name: str = "<string>", *, data: str | None = None, strict: bool = False):
    """Like load, from a string."""
    from .source import Source
    return _checked(Source(name, text), data, strict, compiling=False)


def _checked(source, data, strict, compiling, include_paths=()):
    from .data import DataError, Table, check_data, read_csv
    from .diagnostics import error
    from .pipeline import analyze, finish
    g = analyze(source, include_paths)
    try:
        table = data if isinstance(data, Table) or data is None else read_csv(data)
    except DataError as exc:
        named = [n for n in g.graph["inputs"] if g.nodes[n].get("features")]
        span = g.nodes[named[0]]["width_span"] if named else None
        g.graph["table"] = None
        return finish(g, [error("ND603", str(exc), span)], strict)
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


def train(spec, data, **settings):
    """Train a spec (a path, or a graph from load) on a CSV file.

    Returns a TrainResult: .model (keras.Model), .history (per-epoch metrics),
    .test (metrics on the held-out split), .classes (label names per output),
    .settings. Keyword settings: epochs, batch_size, test_size,
    validation_split, seed, columns ({input: [column, ...]}), verbose.
    """
    from .training import train as run
    return run(spec, data, **settings)
