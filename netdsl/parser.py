"""Text -> typed syntax tree. Syntax errors become diagnostics with positions.

The Lark parser is built once, lazily (python-hcl2's parser.py does the same),
from the grammar shipped as package data. The transformer runs inline with the
LALR parser, so the parse tree is never built nor walked a second time.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError
from lark.lark import PostLex

from . import ast
from .diagnostics import Diagnostic, SpecError, error
from .source import Source, Span

_OPEN = {"LPAR": "RPAR", "LSQB": "RSQB", "LBRACE": "RBRACE"}
_CLOSE = {v: k for k, v in _OPEN.items()}
KEYWORDS = {"NETWORK": "network", "INPUT": "input", "OUTPUT": "output", "COMPILE": "compile",
            "TRAIN": "train"}

_DESCRIBE = {
    "LPAR": "'('", "RPAR": "')'", "LSQB": "'['", "RSQB": "']'", "LBRACE": "'{'",
    "RBRACE": "'}'", "COMMA": "','", "COLON": "':'", "EQUAL": "'='", "ARROW": "'->'",
    "STAR": "'*'", "NAME": "a name", "INT": "an integer", "NUMBER": "a number",
    "STRING": "a string", "_NL": "the end of the line", "$END": "the end of the file",
    **{k: f"'{v}'" for k, v in KEYWORDS.items()},
}
# What an unexpected token is called in "unexpected <kind> '<text>'".
_KIND = {"NAME": "name", "INT": "number", "NUMBER": "number", "STRING": "string",
         **{k: "keyword" for k in KEYWORDS}}
_VALUES = ("NAME", "INT", "NUMBER", "STRING")


class _Layout(PostLex):
    """Newlines end statements, except inside brackets and next to `->`.

    It also remembers the brackets still open, so that an unclosed one can be
    reported where it was opened rather than at the end of the file.
    """

    always_accept = ("_NL",)

    def __init__(self) -> None:
        self.open: list[Token] = []

    def process(self, stream):
        self.open = []
        opened = self.open
        pending = None
        last = None
        for tok in stream:
            kind = tok.type
            if kind == "_NL":
                if not opened and last is not None and last.type != "ARROW":
                    pending = tok
                continue
            if pending is not None:
                if kind != "ARROW":
                    yield pending
                pending = None
            if kind in _OPEN:
                opened.append(tok)
            elif kind in _CLOSE and opened and opened[-1].type == _CLOSE[kind]:
                opened.pop()
            yield tok
            last = tok
        if last is not None:
            yield pending if pending is not None else Token.new_borrow_pos("_NL", "", last)


def _tok_span(tok: Token) -> Span:
    return Span(tok.line, tok.column, tok.end_line, tok.end_column)


def _span_of(x) -> Span:
    return _tok_span(x) if isinstance(x, Token) else x.span


def _between(first, last) -> Span:
    return _span_of(first).to(_span_of(last))


def _name(tok: Token) -> ast.Name:
    return ast.Name(str(tok), _tok_span(tok))


class _ToAst(Transformer):
    """Children -> AST nodes. Spans come from the first and last child."""

    def start(self, c):
        return ast.Program(tuple(c))

    def network(self, c):
        return ast.NetworkDecl(_name(c[1]), _between(c[0], c[1]))

    def input_decl(self, c):
        return ast.InputDecl(_name(c[1]), c[2], _between(c[0], c[2]))

    def output_decl(self, c):
        kw, name, expr = c
        if expr is None:
            return ast.OutputDecl(_name(name), _between(kw, name))
        return ast.Assign(_name(name), expr, _between(kw, expr), is_output=True)

    def assign(self, c):
        return ast.Assign(_name(c[0]), c[1], _between(c[0], c[1]))

    def compile(self, c):
        return ast.CompileDecl(tuple(c[1:]), _between(c[0], c[-1]))

    def train(self, c):
        return ast.TrainDecl(tuple(c[1:]), _between(c[0], c[-1]))

    def expr(self, c):
        steps = c[::2]
        return ast.Chain(tuple(steps), _between(steps[0], steps[-1]))

    def step(self, c):
        atom, _star, count = c
        if count is None:
            return ast.Step(atom, None, atom.span)
        repeat = ast.Number(int(count), _tok_span(count))
        return ast.Step(atom, repeat, _between(atom, count))

    def ref(self, c):
        return ast.Ref(str(c[0]), _tok_span(c[0]))

    def select(self, c):
        items = tuple(x for x in c[2:-1] if x is not None)
        return ast.Select(_name(c[0]), items, _between(c[0], c[-1]))

    def call(self, c):
        inner = [x for x in c[2:-1] if x is not None]
        args = tuple(x for x in inner if isinstance(x, ast.Chain))
        kwargs = tuple(x for x in inner if isinstance(x, ast.KwArg))
        return ast.Call(_name(c[0]), args, kwargs, _between(c[0], c[-1]))

    def number(self, c):
        tok = c[0]
        value = int(tok) if tok.type == "INT" else float(tok)
        return ast.Number(value, _tok_span(tok))

    def string(self, c):
        return ast.String(str(c[0])[1:-1], _tok_span(c[0]))

    def list(self, c):
        return ast.ListLit(tuple(x for x in c[1:-1] if x is not None), _between(c[0], c[-1]))

    def dict(self, c):
        return ast.DictLit(tuple(x for x in c[1:-1] if x is not None), _between(c[0], c[-1]))

    def pair(self, c):
        return ast.Pair(_name(c[0]), c[1], _between(c[0], c[1]))

    def group(self, c):
        inner = c[1]
        return ast.Chain(inner.steps, _between(c[0], c[2]))

    def kwarg(self, c):
        return ast.KwArg(_name(c[0]), c[1], _between(c[0], c[1]))

    def sel_name(self, c):
        return ast.SelName(str(c[0]), _tok_span(c[0]))

    def sel_index(self, c):
        return ast.SelIndex(int(c[0]), _tok_span(c[0]))

    def sel_range(self, c):
        start, colon, stop = c
        first = start if start is not None else colon
        last = stop if stop is not None else colon
        return ast.SelRange(None if start is None else int(start),
                            None if stop is None else int(stop), _between(first, last))


def grammar_text() -> str:
    return resources.files("netdsl").joinpath("grammars", "netdsl.lark").read_text("utf-8")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="basic",
        maybe_placeholders=True,
        postlex=_Layout(),
        cache=True,
        transformer=_ToAst(),
    )


def parse(source: Source) -> ast.Program:
    """Parse a whole file, or raise SpecError with one syntax diagnostic."""
    parser = _parser()
    try:
        return parser.parse(source.text)
    except UnexpectedInput as exc:
        raise SpecError([_syntax_diagnostic(exc, source, parser.options.postlex.open)], source) from None
    except VisitError as exc:  # lark wraps errors raised inside the transformer
        raise exc.orig_exc from None


_VALUE_START = {"NAME", "INT", "NUMBER", "STRING", "LPAR", "LSQB", "LBRACE"}


def _expected(exc: UnexpectedToken) -> str:
    expected = set(exc.expected)
    if _VALUE_START <= expected:
        # Every kind of value fits here: say so in words, not as a token list.
        rest = sorted(_DESCRIBE.get(t, t) for t in expected - _VALUE_START if t not in KEYWORDS)
        head = "a value (a name, a call like dense(4), a number or a list)"
        return "expected " + " or ".join([head] + rest)
    names = sorted({_DESCRIBE.get(t, t) for t in expected if t not in KEYWORDS})
    if not names:
        return ""
    if len(names) == 1:
        return f"expected {names[0]}"
    return "expected " + ", ".join(names[:-1]) + " or " + names[-1]


def _syntax_diagnostic(exc: UnexpectedInput, source: Source, still_open: list[Token]) -> Diagnostic:
    if isinstance(exc, UnexpectedCharacters):
        span = Span.point(exc.line, exc.column)
        char = exc.char
        if char == '"':
            return error("ND001", "unterminated string", span,
                         help='a string opens and closes with " on the same line')
        if char in "-" and source.text[exc.pos_in_stream:exc.pos_in_stream + 2] != "->":
            return error("ND001", "unexpected character '-'", span,
                         help="chains are written with '->'; negative numbers as -1 or -0.5")
        shown = repr(char) if char.isprintable() else f"U+{ord(char):04X}"
        return error("ND001", f"unexpected character {shown}", span,
                     help="names are letters, digits and '_'; comments start with '#'")
    assert isinstance(exc, UnexpectedToken)
    tok = exc.token
    kind = tok.type
    expected = _expected(exc)
    if kind == "$END" or (kind == "_NL" and tok.value == ""):  # "" is the synthetic last newline
        if still_open:
            bracket = still_open[-1]
            closer = {"LPAR": ")", "LSQB": "]", "LBRACE": "}"}[bracket.type]
            return error("ND004", f"'{bracket}' is never closed", _tok_span(bracket),
                         help=f"add the missing '{closer}'")
        return error("ND003", "unexpected end of file", source.end_span(),
                     help=expected + " before the end of the file" if expected else None)
    span = _tok_span(tok)
    if still_open and tok.line > still_open[-1].line:
        # Newlines inside brackets are not statement ends, so a forgotten ')'
        # shows up lines later; the place to fix is the bracket.
        bracket = still_open[-1]
        closer = {"LPAR": ")", "LSQB": "]", "LBRACE": "}"}[bracket.type]
        return error("ND004", f"'{bracket}' is never closed", _tok_span(bracket),
                     help=f"add the missing '{closer}' before the end of this statement")
    if kind in _CLOSE:
        if still_open and still_open[-1].type != _CLOSE[kind]:
            bracket = still_open[-1]
            closer = {"LPAR": ")", "LSQB": "]", "LBRACE": "}"}[bracket.type]
            return error("ND005", f"'{tok}' does not match '{bracket}' opened at "
                         f"{bracket.line}:{bracket.column}", span, help=f"close it with '{closer}'")
        if not still_open or still_open[-1].type != _CLOSE[kind]:
            return error("ND005", f"unmatched '{tok}'", span, help="remove it, or add the opening bracket")
    if kind in KEYWORDS and "NAME" in exc.expected:
        return error("ND006", f"'{tok}' is a keyword and cannot be used as a name", span,
                     help=f"choose another name, e.g. '{tok}_'")
    if kind == "_NL":
        line = Span.point(tok.line, tok.column)
        return error("ND003", "unexpected end of line: the statement is not finished", line,
                     help=expected)
    what = f"{_KIND[kind]} '{tok}'" if kind in _KIND else _DESCRIBE.get(kind, kind)
    if (kind in _VALUES or kind == "LPAR") and "_NL" in exc.expected:
        return error("ND002", f"unexpected {what} after a complete statement", span,
                     help="join the steps of a chain with '->' (x -> dense(4)); "
                          "a new statement goes on a new line")
    if kind in _VALUES and "COMMA" in exc.expected:
        return error("ND002", f"unexpected {what}", span, help="separate arguments with ','")
    if kind in KEYWORDS:
        return error("ND002", f"unexpected {what}", span,
                     help=f"'{tok}' starts a statement of its own, on its own line")
    return error("ND002", f"unexpected {what}", span, help=expected or None)
