"""Highlighting: the Pygments lexer and the TextMate grammar (editors/vscode).

Every example and every error-corpus file lexes with no Error token; the
TextMate grammar, run by node's vscode-textmate (as VS Code runs it), colours
every file the same way the Pygments lexer does.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, String

from conftest import EXAMPLES, ROOT
from netdsl.lang.highlight import NetdslLexer

EDITORS = ROOT / "editors"
SPECS = sorted(EXAMPLES.rglob("*.net")) + sorted((ROOT / "tests" / "errors").rglob("*.net"))


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8-sig")


def test_every_example_and_corpus_file_lexes_without_an_error_token():
    lexer = NetdslLexer()
    for path in SPECS:
        text = read(path)
        tokens = list(lexer.get_tokens(text))
        bad = [(t, v) for t, v in tokens if t in Error]
        assert not bad, (path.name, bad)
        joined = "".join(v for _, v in tokens)  # Pygments drops blank lines at the ends, reads CRLF as LF
        assert joined.strip("\n") == text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    assert len(SPECS) > 200


def test_the_lexer_colours_what_a_reader_needs():
    head = 'network n\ninput x: [a, "b c"]  # two\n'
    text = head + "h = x -> dense(4, relu, use_bias=false) * 2 -> standardize\n"
    kinds: dict = {}
    for t, v in NetdslLexer().get_tokens(text):
        kinds.setdefault(v, t)  # the first occurrence of each text
    assert kinds["network"] in Keyword and kinds["n"] in Name.Class
    assert kinds["x"] in Name.Variable and kinds["h"] in Name.Variable
    assert kinds['"b c"'] in String and kinds["# two"] in Comment
    assert kinds["dense"] in Name.Function and kinds["standardize"] in Name.Function
    assert kinds["use_bias"] in Name.Attribute and kinds["false"] in Keyword.Constant
    assert kinds["4"] in Number and kinds["->"] in Operator


# ---- the TextMate grammar ----------------------------------------------------------------

CATEGORIES = {  # Pygments token type -> the category compared with the grammar's scopes
    "comment": Comment,
    "string": String,
    "number": Number,
    "keyword": Keyword,
    "function": Name.Function,
    "definition": Name.Variable,
    "argument": Name.Attribute,
    "arrow": None,
}
SCOPES = {
    "comment": "comment.",
    "string": "string.",
    "number": "constant.numeric.",
    "keyword": "keyword.other.",
    "function": "entity.name.function.",
    "definition": "variable.other.definition.",
    "argument": "variable.parameter.",
    "arrow": "keyword.operator.arrow.",
}


def pygments_categories(text: str) -> set:
    out = set()
    for offset, ttype, value in NetdslLexer().get_tokens_unprocessed(text):
        line = text.count("\n", 0, offset)
        col = len(text[text.rfind("\n", 0, offset) + 1 : offset].encode("utf-16-le")) // 2
        if ttype in Keyword.Constant:
            continue
        if ttype in Operator and value == "->":
            out.add((line, col, value, "arrow"))
            continue
        for name, kind in CATEGORIES.items():
            if kind is not None and ttype in kind and value.strip():
                out.add((line, col, value.rstrip("\n"), name))
    return {t for t in out if t[2]}


def textmate_categories(tokens: list) -> set:
    out = set()
    for line, start, _end, text, scopes in tokens:
        scope = scopes[-1]
        if scope.startswith(("keyword.control.import.", "keyword.other.")):
            out.add((line, start, text, "keyword"))
            continue
        for name, prefix in SCOPES.items():
            if scope.startswith(prefix):
                out.add((line, start, text, name))
    return out


@pytest.fixture(scope="module")
def textmate_tokens():
    node = shutil.which("node")
    if node is None or not (EDITORS / "node_modules" / "vscode-textmate").is_dir():
        pytest.skip("node and editors/node_modules are needed (scripts/setup.sh installs them)")
    proc = subprocess.run(
        [node, str(EDITORS / "textmate" / "tokenize.mjs"), *map(str, SPECS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_textmate_grammar_tokenizes_every_file_as_the_lexer_does(textmate_tokens):
    assert len(textmate_tokens) == len(SPECS)
    differ = []
    for path in SPECS:
        tm = textmate_categories(textmate_tokens[str(path)])
        pg = pygments_categories(read(path))
        if tm != pg:
            differ.append((path.name, sorted(tm - pg)[:3], sorted(pg - tm)[:3]))
    assert not differ, differ[:5]


def test_the_textmate_grammar_scopes_the_examples(textmate_tokens):
    tokens = textmate_tokens[str(EXAMPLES / "residual_blocks.net")]
    scoped = {(text, scopes[-1]) for _l, _s, _e, text, scopes in tokens}
    assert ("block", "keyword.other.declaration.netdsl") in scoped
    assert ("residual", "entity.name.function.block.netdsl") in scoped
    assert ("dense", "entity.name.function.netdsl") in scoped
    assert ("->", "keyword.operator.arrow.netdsl") in scoped
    assert ("rate", "variable.parameter.netdsl") in scoped
    assert ("0.1", "constant.numeric.float.netdsl") in scoped


def test_the_vscode_extension_uses_the_grammar_and_starts_netdsl_lsp():
    folder = EDITORS / "vscode"
    manifest = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    (language,) = manifest["contributes"]["languages"]
    assert language["id"] == "netdsl" and language["extensions"] == [".net"]
    assert (folder / language["configuration"]).is_file()
    (grammar,) = manifest["contributes"]["grammars"]
    tm = json.loads((folder / grammar["path"]).read_text(encoding="utf-8"))
    assert grammar["scopeName"] == tm["scopeName"] == "source.netdsl" and grammar["language"] == "netdsl"
    command = manifest["contributes"]["configuration"]["properties"]["netdsl.server.command"]["default"]
    assert command == ["netdsl", "lsp"]
    main = (folder / manifest["main"]).read_text(encoding="utf-8")
    assert "vscode-languageclient/node" in main and 'getConfiguration("netdsl")' in main
    assert 'get("server.command")' in main
    assert "vscode-languageclient" in manifest["dependencies"]
