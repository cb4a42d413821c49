"""netdsl: write, check, compile and draw neural-network graphs.

    graph = netdsl.load("spec.net")        # parsed and checked; SpecError if not clean
    netdsl.network(graph).params.total     # the typed IR: network(graph), node(graph, name)
    model = netdsl.to_keras(graph)         # a Keras 3 Functional model

Importing netdsl is cheap: Lark, networkx and TensorFlow load only when used.
This module is the public API; the command line (netdsl.cli) uses nothing else
of the pipeline's stages.
"""

from __future__ import annotations

import os

__version__ = "0.1.0"
__all__ = [
    "load",
    "loads",
    "analyze",
    "network",
    "node",
    "to_keras",
    "to_dot",
    "render",
    "train",
    "predict",
    "import_keras",
    "load_any",
    "to_python",
    "diff",
    "prepare",
    "has_errors",
    "SpecError",
    "InputFileError",
    "__version__",
]


def __getattr__(name):
    if name == "SpecError":
        from .lang.diagnostics import SpecError

        return SpecError
    if name == "InputFileError":
        from .io import InputFileError

        return InputFileError
    if name == "has_errors":
        from .lang.diagnostics import has_errors

        return has_errors
    if name in ("network", "node"):
        from .ir import core

        return getattr(core, name)
    raise AttributeError(name)


def load(path: str, *, data=None, strict: bool = False, include_paths=(), compiling: bool = False):
    """Read, parse and check a spec file; returns the checked networkx graph
    (its typed data: netdsl.network(graph), netdsl.node(graph, name)).

    Raises SpecError (with every diagnostic) when the spec has errors, and
    InputFileError when the file cannot be read. With `data`, a CSV path (or a
    netdsl.data.tables.Table), the spec's named features are checked against
    its columns (pass the same data to to_keras to adapt standardize layers).
    `strict` turns warnings into errors; `compiling` also reports what would
    stop to_keras without data (a standardize layer with nothing to adapt on).
    """
    from .data.spec import checked
    from .lang.source import read_source

    return checked(read_source(path), data, strict, compiling, include_paths)


def loads(
    text: str,
    name: str = "<string>",
    *,
    data=None,
    strict: bool = False,
    compiling: bool = False,
    include_paths=(),
):
    """Like load, from a string; `name` is used in messages (imports are
    relative to its directory, or to the working directory for "<...>")."""
    from .data.spec import checked
    from .lang.source import Source

    return checked(Source(name, text), data, strict, compiling, include_paths)


def analyze(path: str, *, include_paths=(), strict: bool = False, text: str | None = None):
    """Parse and check a spec file without raising for its errors: the graph
    holds what could be built, network(graph).diagnostics every problem
    (warnings made errors with `strict`). InputFileError when unreadable.
    With `text`, that is the spec and `path` only its name."""
    from .ir.core import network
    from .ir.pipeline import analyze as run
    from .lang.source import Source, read_source

    g = run(read_source(path) if text is None else Source(path, text), include_paths)
    if strict:
        net = network(g)
        net.diagnostics = [d.as_error() for d in net.diagnostics]
    return g


def to_keras(graph, *, data=None, seed: int | None = None):
    """The Keras model of a checked graph (imports TensorFlow).

    `data` (a CSV path or a Table; check it with load(..., data=...)) is what
    standardize layers without statistics adapt on. Raises SpecError, before
    TensorFlow loads, when such a layer has no data; DataError when the data
    lacks the columns it reads.
    """
    from .data.tables import learning_nodes, missing_data
    from .ir.core import network

    if data is None or not learning_nodes(graph):  # nothing learns from data: none is read
        from .lang.diagnostics import SpecError

        problems = missing_data(graph, compiling=True)
        if problems:
            raise SpecError(problems, network(graph).source)
        arrays = None
    else:
        from .apps.training import learning_feed

        arrays = learning_feed(graph, data)
    from .backends.keras import to_keras as build

    return build(graph, arrays, seed=seed)


def to_dot(graph, options=None) -> str:
    """The DOT text of a graph (from load or analyze); options: DiagramOptions."""
    from .backends.dot import DiagramOptions
    from .backends.dot import to_dot as build

    return build(graph, options or DiagramOptions())


def render(
    graph, fmt: str = "svg", options=None, timeout: float | None = None, dpi: int | None = None
) -> bytes:
    """A diagram of the graph: `fmt` is svg, png, pdf (through Graphviz's dot, stopped after
    `timeout` seconds, 60 by default) or dot; a png has `dpi` dots per inch (default 320)."""
    from .backends.dot import DOT_TIMEOUT
    from .backends.dot import render as draw

    return draw(to_dot(graph, options), fmt, timeout=DOT_TIMEOUT if timeout is None else timeout, dpi=dpi)


def train(spec, data, **settings):
    """Train a spec (a path, or a graph from load) on data (a CSV or Parquet
    path, a table, or what prepare() made of one).

    Returns a TrainResult: .model (keras.Model), .history (per-epoch metrics),
    .test (metrics on the held-out split), .classes (label names per output),
    .settings. Keyword settings: epochs, batch_size, test_size,
    validation_split, seed, columns ({input: [column, ...]}), verbose, and
    stream: read the file piece by piece in every pass, with a hashed split
    (the default for files over 256 MiB; memory does not grow with the file).
    """
    stream = settings.pop("stream", None)
    from .apps.streaming import should_stream

    if isinstance(data, (str, os.PathLike)) and should_stream(data, stream):
        from .apps.streaming import resolve_settings, train_streamed
        from .data.spec import checked
        from .lang.source import read_source

        g = (
            checked(read_source(str(spec)), str(data), False, True)
            if isinstance(spec, (str, os.PathLike))
            else spec
        )
        columns = settings.pop("columns", None)
        verbose = settings.pop("verbose", 0)
        return train_streamed(g, str(data), resolve_settings(g, settings), columns, verbose)
    from .apps.training import train as run

    return run(spec, data, **settings)


def import_keras(path: str, *, allow_unsupported: bool = False):
    """A saved Keras model (.keras) as spec text, read from the archive's
    config.json without TensorFlow. Returns an ImportResult: .text (None when
    errors stop it), .diagnostics, .source. InputFileError for a file that is
    not a Keras archive. With `allow_unsupported`, layers netdsl cannot express
    are left out and the rest is written, with a comment where it stopped."""
    from .backends.keras_import import import_keras as run

    return run(path, allow_unsupported)


def predict(model, data, *, output=None, batch_size: int = 1024, stream=None):
    """Predict the rows of a CSV or Parquet file with a saved `.keras` model.

    Returns a PredictResult: .rows, .columns and, without `output`, .table (a
    pyarrow.Table: the file's columns, then per output `<output>_predicted` and
    one `<output>_prob_<class>` column per class). With `output`, the CSV is
    written there atomically. The file is checked against the model before
    TensorFlow loads: netdsl.data.tables.DataError names the column (and line).
    """
    from .apps.predict import predict as run

    return run(str(model), str(data), output=output, batch_size=batch_size, stream=stream)


def load_any(path: str, *, include_paths=(), strict: bool = False):
    """netdsl.load for a spec; for a saved Keras model (.keras), its import,
    checked the same way (SpecError with the import's diagnostics otherwise)."""
    if not str(path).endswith(".keras"):
        return load(path, include_paths=include_paths, strict=strict)
    from .lang.diagnostics import SpecError

    result = import_keras(path)
    if result.text is None:
        raise SpecError(result.diagnostics, result.source)
    return loads(result.text, str(path)[: -len(".keras")] + ".net", strict=strict)


def diff(a: str, b: str, *, include_paths=()):
    """What changed from model `a` to model `b` (each a .net or .keras path): a
    netdsl.ir.diff.Diff with .added, .removed, .renamed, .changed, .rewired,
    .params, .text(), .to_json()."""
    from .ir.diff import diff_graphs

    ga = load_any(a, include_paths=include_paths)
    gb = load_any(b, include_paths=include_paths)
    return diff_graphs(ga, gb, str(a), str(b))


def to_python(graph, *, data=None, origin: str = "") -> str:
    """Readable Keras 3 Python source that builds the model of a checked graph.
    Standardize layers that adapt on `data` (as to_keras) are built
    (TensorFlow loads) to write their statistics as constants; otherwise
    nothing heavy is imported beyond the Keras backend's names."""
    from .backends.python import to_python as emit
    from .data.tables import adapting_nodes
    from .ir.core import nodes

    unwritten = sorted({n.op for n in nodes(graph) if n.op in TABULAR_OPS or (n.op == "input" and n.bundle)})
    if unwritten or any(n.op == "input" and n.args and n.args.get("fields") for n in nodes(graph)):
        from .io import UsageError

        what = ", ".join(unwritten) or "record inputs"
        raise UsageError(f"emit --python does not write models of records and encodings yet ({what})")
    adapted = {}
    needs = adapting_nodes(graph)
    if needs:
        from .backends.keras_layers import keras_names

        model = to_keras(graph, data=data, seed=0)
        names = keras_names(graph)
        for n in needs:
            mean, variance, count = model.get_layer(names[n]).get_weights()
            adapted[n] = (mean.reshape(-1).tolist(), variance.reshape(-1).tolist(), int(count))
    return emit(graph, adapted, origin)


# The ops of records and encodings (docs/design/tabular.md), which emit does not write yet.
TABULAR_OPS = (
    "lookup",
    "one_hot",
    "multi_hot",
    "embedding",
    "hash",
    "discretize",
    "cross",
    "fill",
)


def prepare(graph, data, *, columns=None):
    """Bind a checked graph to data for training, without TensorFlow: inputs
    to columns, labels encoded as the loss wants. Raises SpecError (every
    problem) or DataError. Train on the result as many times as you like:
    train(graph, prepare(graph, data), seed=...) reads the data once."""
    from .apps.training import prepare as run
    from .data.spec import read_for

    return run(graph, read_for(graph, data, columns), columns)
