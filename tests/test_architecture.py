"""The shape of the code: a reentrant front end, one AST traversal API, no import cycles."""

from __future__ import annotations

import ast as pyast
import copy
import dataclasses
import sys
import threading
from pathlib import Path

import pytest

from netdsl.ir import ops
from netdsl.ir.core import network
from netdsl.ir.pipeline import analyze
from netdsl.lang import ast
from netdsl.lang.diagnostics import Diagnostic
from netdsl.lang.parser import parse
from netdsl.lang.source import read_source

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "netdsl"


def _corpus() -> list[Path]:
    specs = sorted((ROOT / "examples").rglob("*.net")) + sorted((ROOT / "tests" / "errors").rglob("*.net"))
    assert len(specs) > 100
    return specs


def _snapshot(path: Path):
    """What a run of the front end produced: its diagnostics and the graph's nodes and edges."""
    g = analyze(read_source(str(path)))
    return (
        list(network(g).diagnostics),
        sorted(g.nodes(data=True), key=lambda n: n[0]),
        sorted(g.edges(data=True), key=lambda e: (e[0], e[1])),
    )


# ---- 11.1: parsing in threads gives what parsing one after another gives -----------


THREADS, PARSES = 8, 50


def test_threads_get_exactly_the_results_of_a_serial_run():
    specs = _corpus()
    serial = {p: _snapshot(p) for p in specs}
    results: dict[int, list] = {}
    failures: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work(k: int) -> None:
        try:
            start.wait()
            # Each thread its own sequence of different specs, so that parses overlap.
            mine = [specs[(k * 37 + i * 11) % len(specs)] for i in range(PARSES)]
            results[k] = [(p, _snapshot(p)) for p in mine]
        except BaseException as exc:  # reported below, with the thread's number
            failures.append(exc)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: races show
    try:
        threads = [threading.Thread(target=work, args=(k,)) for k in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert not failures, failures
    assert sum(len(r) for r in results.values()) == THREADS * PARSES
    wrong = [(p.name, k) for k, rs in results.items() for p, snap in rs if snap != serial[p]]
    assert not wrong, f"{len(wrong)} of {THREADS * PARSES} parses differ from the serial run: {wrong[:10]}"


# ---- 11.5: one traversal API for the syntax tree ----------------------------------


def _reflected_children(node):
    """Children found by looking at every field: what `children` must declare."""
    for _, value in node.iter_fields():
        items = value if type(value) is tuple else (value,)
        yield from (v for v in items if isinstance(v, ast.Node))


def test_every_node_declares_exactly_the_fields_that_hold_nodes():
    seen: set[type] = set()
    for path in _corpus():
        try:
            program = parse(read_source(str(path)))
        except Exception:
            continue
        for node in program.walk():
            seen.add(type(node))
            declared = sorted(map(id, node.iter_child_nodes()))
            assert declared == sorted(map(id, _reflected_children(node))), type(node).__name__
    # The corpus reaches every kind of node.
    kinds = {
        c for c in vars(ast).values() if isinstance(c, type) and issubclass(c, ast.Node) and c is not ast.Node
    }
    assert kinds <= seen, kinds - seen


def _frozen_classes() -> list[type]:
    from netdsl.ir import core, fit_settings, ops, options
    from netdsl.lang import diagnostics
    from netdsl.records import Frozen

    found = {
        c
        for module in (ast, core, ops, options, fit_settings, diagnostics)
        for c in vars(module).values()
        if isinstance(c, type) and issubclass(c, Frozen) and dataclasses.is_dataclass(c)
    }
    return sorted(found, key=lambda c: c.__qualname__)


def test_every_frozen_class_behaves_as_the_frozen_dataclass_mypy_sees():
    """Most are made without @dataclass's compiled methods (netdsl/records.py):
    each is compared with its twin made by @dataclass(frozen=True)."""
    classes = _frozen_classes()
    assert len(classes) >= 40 and {ast.Select, ast.Name, ops.Op, Diagnostic} <= set(classes)
    for cls in classes:
        fields = dataclasses.fields(cls)
        spec = [
            (
                f.name,
                f.type,
                dataclasses.field(default=f.default, compare=f.compare, hash=f.hash, repr=f.repr),
            )
            for f in fields
        ]
        twin = dataclasses.make_dataclass(cls.__name__, spec, frozen=True)
        twin.__qualname__ = cls.__qualname__
        values = [f"{f.name}-value" for f in fields]
        ours, theirs = cls(*values), twin(*values)
        assert repr(ours) == repr(theirs) and hash(ours) == hash(theirs), cls
        assert ours == cls(*values) and ours != cls("other", *values[1:]) and ours != theirs
        assert cls(**dict(zip([f.name for f in fields], values))) == ours
        required = [v for f, v in zip(fields, values) if f.default is dataclasses.MISSING]
        assert repr(cls(*required)) == repr(twin(*required))
        first = fields[0].name
        for act in (lambda o: setattr(o, first, 1), lambda o: delattr(o, first)):  # noqa: B023
            messages = []
            for obj in (ours, theirs):
                with pytest.raises(dataclasses.FrozenInstanceError) as caught:
                    act(obj)
                messages.append(str(caught.value))
            assert messages[0] == messages[1]
        assert repr(dataclasses.replace(ours, **{first: 7})) == repr(
            dataclasses.replace(theirs, **{first: 7})
        )
        # copy uses __reduce_ex__ and __setstate__, as multiprocessing's pickling does
        for back in (copy.copy(ours), copy.deepcopy(ours)):
            assert back == ours and repr(back) == repr(ours)
        for wrong in ((*values, "extra"), ()):
            with pytest.raises(TypeError):
                cls(*wrong)
        with pytest.raises(TypeError):
            cls(*values, nonsense=1)
        with pytest.raises(TypeError):
            cls(*values, **{first: 1})


def test_walk_find_all_and_replace_spans():
    text = (
        'from "lib.net" import tower as t\n'
        "block pair(w=2) (x) {\n    h = x -> dense(w)\n    return add(x, h)\n}\n"
        'input x: [a, "b c"]\noutput y = x[a] -> (dense(4) -> dense(2)) * 2 -> pair(3)\n'
    )
    program = parse(_source(text))
    assert [c.op.text for c in program.find_all(ast.Call)] == ["dense", "add", "dense", "dense", "pair"]
    assert program.find(ast.Select).source.text == "x"
    assert program.find(ast.DictLit) is None
    first = list(program.walk())
    assert first[0] is program and len({id(n) for n in first}) == len(first)
    moved = ast.replace_spans(program, lambda s: s._replace(file=3))
    spans = [v for n in moved.walk() for _, v in n.iter_fields() if isinstance(v, ast.Span)]
    assert spans and all(s.file == 3 for s in spans)
    assert [type(n) for n in moved.walk()] == [type(n) for n in first]


def test_walking_a_deep_tree_does_not_recurse():
    deep = "input x: 4\noutput y = " + "(" * 99 + "x" + ")" * 99 + " -> dense(1)\n"
    program = parse(_source(deep))
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(120)  # far less than the tree's depth (about 200 nodes)
    try:
        nodes = list(program.walk())
        moved = ast.replace_spans(program, lambda s: s._replace(file=1))
    finally:
        sys.setrecursionlimit(limit)
    assert len(nodes) > 200 and len(list(moved.walk())) == len(nodes)


def test_block_headers_are_split_by_the_grammar():
    text = 'block b(w=f(")"), k=(1)) (x, y) {\n    return add(x, y) -> dense(w)\n}\n'
    decl = parse(_source(text)).statements[0]
    assert isinstance(decl, ast.BlockDecl)
    assert (decl.params_span.column, decl.params_span.end_column) == (8, 25)
    assert (decl.inputs_span.column, decl.inputs_span.end_column) == (26, 32)
    assert [p.name.text for p in decl.params] == ["w", "k"] and [i.text for i in decl.inputs] == ["x", "y"]


def _source(text: str):
    from netdsl.lang.source import Source

    return Source("t.net", text)


# ---- the parser comes from shipped tables (no Lark cache=, which is pickle) ----------


def test_the_shipped_parser_tables_are_the_grammars():
    import lark

    from netdsl.grammars import lalr_tables
    from netdsl.lang.parser import _parser, grammar_sha256, grammar_text

    fix = "the grammar or Lark changed: run `make parser-tables`"
    assert lalr_tables.GRAMMAR_SHA256 == grammar_sha256(grammar_text()), fix
    assert lalr_tables.LARK == lark.__version__, fix
    assert _parser().source_path == "<deserialized>"  # loaded from them, not built


def test_the_shipped_tables_parse_as_the_parser_built_from_the_grammar():
    from netdsl.lang.diagnostics import SpecError
    from netdsl.lang.parser import _parser, built_parser, grammar_text, parse_with

    def outcome(parser, path: Path):
        source = read_source(str(path))
        try:
            return repr(parse_with(parser, source))
        except SpecError as exc:
            return repr(exc.diagnostics)

    shipped, built = _parser(), built_parser(grammar_text())
    assert shipped is not built and built.source_path != "<deserialized>"
    specs = _corpus()
    differ = [p.name for p in specs if outcome(shipped, p) != outcome(built, p)]
    assert not differ, differ


def test_functions_in_lang_are_short():
    long = []
    for path in sorted((PACKAGE / "lang").glob("*.py")):
        for node in pyast.walk(pyast.parse(path.read_text("utf-8"))):
            if isinstance(node, (pyast.FunctionDef, pyast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > 60:
                    long.append(f"{path.name}:{node.name} ({length} lines)")
    assert not long, long


# ---- 11.4: no import cycles between netdsl's modules -------------------------------


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """netdsl modules a module imports, anywhere in it (functions included)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in pyast.walk(pyast.parse(path.read_text("utf-8"))):
        if isinstance(node, pyast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, pyast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                # `from . import x`: the submodule x if there is one, else a name of the package.
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in modules else target)
    return {m for m in found if m in modules and m != name}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the path, 2: done
    for root in sorted(graph):
        if root in state:
            continue
        path, stack = [root], [iter(sorted(graph[root]))]
        state[root] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph[nxt])))
    return None


def test_the_cycle_finder_sees_relative_and_function_level_imports(tmp_path):
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
    modules = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    cli = _imports(PACKAGE / "cli" / "__init__.py", modules)
    assert {"netdsl", "netdsl.io", "netdsl.cli.args"} <= cli  # `from .. import __version__` is netdsl


def test_no_import_cycles_between_netdsl_modules():
    files = sorted(PACKAGE.rglob("*.py"))
    modules = {_module_name(p) for p in files}
    graph = {_module_name(p): _imports(p, modules) for p in files}
    assert sum(len(v) for v in graph.values()) > 50
    cycle = _cycle(graph)
    assert cycle is None, " -> ".join(cycle)
