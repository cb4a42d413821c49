"""Text -> typed syntax tree. Syntax errors become diagnostics with positions.

The Lark parser is built once, lazily (python-hcl2's parser.py does the same),
from the grammar shipped as package data. The transformer runs inline with the
LALR parser, so the parse tree is never built nor walked a second time.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from functools import lru_cache
from importlib import resources
from typing import Any, NamedTuple, cast

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError
from lark.lark import PostLex

from . import ast, codes
from .codes import ErrorCode
from .diagnostics import Diagnostic, Note, SpecError, describe_char, error
from .source import Source, Span

_OPEN = {"LPAR": "RPAR", "LSQB": "RSQB", "LBRACE": "RBRACE"}
_CLOSE = {v: k for k, v in _OPEN.items()}
KEYWORDS = {
    "NETWORK": "network",
    "INPUT": "input",
    "OUTPUT": "output",
    "COMPILE": "compile",
    "TRAIN": "train",
    "BLOCK": "block",
    "LAYER": "layer",
    "RETURN": "return",
    "IMPORT": "import",
    "FROM": "from",
    "AS": "as",
}

_DESCRIBE = {
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "COMMA": "','",
    "COLON": "':'",
    "EQUAL": "'='",
    "ARROW": "'->'",
    "STAR": "'*'",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "SLASH": "'/'",
    "DSLASH": "'//'",
    "NAME": "a name",
    "INT": "an integer",
    "NUMBER": "a number",
    "STRING": "a string",
    "_NL": "the end of the line",
    "$END": "the end of the file",
    **{k: f"'{v}'" for k, v in KEYWORDS.items()},
}
# What an unexpected token is called in "unexpected <kind> '<text>'".
_KIND = {
    "NAME": "name",
    "INT": "number",
    "NUMBER": "number",
    "STRING": "string",
    **{k: "keyword" for k in KEYWORDS},
}
_VALUES = ("NAME", "INT", "NUMBER", "STRING")


class _Layout:
    """Newlines end statements, except inside brackets and next to `->`.

    The braces of a block body are the exception to the exception: inside
    them newlines end statements again (a newline right after `{` is dropped,
    and one is supplied before a `}` that ends a statement).

    It also remembers what a syntax error message needs: the brackets still
    open (an unclosed one is reported where it was opened), the last tokens
    passed on, the first token of the current statement, and a `->` that
    ended a line and so joined the next line to its chain.

    One _Layout per parse (parse() makes it): the Lark parser is built once
    and shared by every thread, so it must hold no state of a parse.
    """

    __slots__ = ("open", "bodies", "last", "previous", "statement", "dangling")

    def __init__(self) -> None:
        self.open: list[Token] = []
        self.bodies: list[bool] = []  # per open bracket: is it a block body?
        self.last: Token | None = None  # the last token passed to the parser
        self.previous: Token | None = None  # the one before it
        self.statement: Token | None = None  # the first token of the current statement
        self.dangling: Token | None = None  # a `->` at the end of a line, in this statement

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        opened, bodies = self.open, self.bodies
        pending = None  # the newline that ends the statement, once a token shows it is not a `->`
        for tok in stream:
            kind = tok.type
            if kind == "_NL":
                last = self.last
                if last is None or (opened and not bodies[-1]) or last.type == "LBRACE":
                    continue
                if last.type == "ARROW":
                    self.dangling = last
                elif pending is None:  # the first newline of a run marks the end
                    pending = tok
                continue
            if pending is not None:
                if kind != "ARROW":
                    yield self._end_statement(pending)
                pending = None
            last = self.last
            if kind in _SIGNED and tok.value[0] == "-" and last is not None and last.type in _VALUE_END:
                # `units-1`: the lexer reads `-1`, a number; after a value it is a minus
                minus, tok = _split_sign(tok)
                self._advance(minus)
                yield minus
                last = minus
            if kind == "RBRACE" and opened and bodies[-1] and last and last.type not in ("_NL", "LBRACE"):
                yield self._end_statement(Token.new_borrow_pos("_NL", "", tok))
            if kind in _OPEN:
                self._open(tok)
            if self.statement is None:
                self.statement = tok
            self._advance(tok)
            yield tok
            # Popped only once the parser has taken the closing bracket, so a
            # ')' the parser refuses still sees its '(' open.
            if kind in _CLOSE and opened and opened[-1].type == _CLOSE[kind]:
                opened.pop()
                bodies.pop()
        if self.last is not None:
            yield pending if pending is not None else Token.new_borrow_pos("_NL", "", self.last)

    def _open(self, tok: Token) -> None:
        self.open.append(tok)
        self.bodies.append(tok.type == "LBRACE" and self.last is not None and self.last.type == "RPAR")
        if len(self.open) > MAX_DEPTH:
            raise _Refused(
                codes.LIMIT,
                f"brackets nested more than {MAX_DEPTH} deep",
                tok,
                help="name the inner parts in statements of their own",
            )

    def _end_statement(self, newline: Token) -> Token:
        self._advance(newline)
        self.statement, self.dangling = None, None  # the parser takes the statement
        return newline

    def _advance(self, tok: Token) -> None:
        self.previous, self.last = self.last, tok


_SIGNED = ("INT", "NUMBER")
_VALUE_END = ("NAME", "INT", "NUMBER", "RPAR", "RSQB")


def _split_sign(tok: Any) -> tuple[Token, Token]:
    """`-1` -> `-`, `1`, at their own columns."""
    minus = Token(
        "MINUS", "-", tok.start_pos, tok.line, tok.column, tok.line, tok.column + 1, tok.start_pos + 1
    )
    number = Token(
        tok.type,
        tok.value[1:],
        tok.start_pos + 1,
        tok.line,
        tok.column + 1,
        tok.end_line,
        tok.end_column,
        tok.end_pos,
    )
    return minus, number


# The layout of the parse running in this thread (or asyncio task). The Lark
# parser, shared, calls _LayoutPostLex.process; that finds this parse's _Layout here.
_CURRENT: ContextVar[_Layout | None] = ContextVar("netdsl_layout", default=None)


class _LayoutPostLex(PostLex):
    """The post-lexer the shared Lark parser holds: stateless, it hands each
    token stream to the _Layout of the parse that asked for it."""

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        layout = _CURRENT.get()
        if layout is None:  # Lark used directly (Lark.lex, a bare parse): a layout of its own
            layout = _Layout()
        return layout.process(stream)


MAX_DEPTH = 100  # brackets inside brackets
MAX_DIGITS = 18  # digits of an integer literal


class _Refused(Exception):
    """Text the parser takes but netdsl refuses (a literal beyond its limits,
    a control character in a name), at this token or at one character of it."""

    def __init__(self, code: ErrorCode, message: str, token: Token, help: str | None = None, at: int = 0):
        super().__init__(message)
        self.code, self.message, self.token, self.help, self.at = code, message, token, help, at

    def diagnostic(self) -> Diagnostic:
        tok: Any = self.token
        span = _tok_span(tok) if not self.at else Span.point(tok.line, tok.column + self.at)
        return error(self.code, self.message, span, help=self.help)


def _int(tok: Token) -> int:
    if len(tok.value.lstrip("-")) > MAX_DIGITS:
        raise _Refused(
            codes.LIMIT,
            f"the number {tok.value[:12]}... has {len(tok.value)} digits, more than any setting needs",
            tok,
        )
    return int(tok)


# Lark types token positions as Optional; every token its lexer makes has them,
# so the span helpers take tokens as Any (they run for every token: no checks).


def _tok_span(tok: Any) -> Span:
    return Span(tok.line, tok.column, tok.end_line, tok.end_column)


_TOKEN: Any = Token  # isinstance against it does not narrow to Token's Optional positions


def _between(first: Any, last: Any) -> Span:
    # Called for most nodes of every parse: no intermediate spans.
    if isinstance(first, _TOKEN):
        line, column = first.line, first.column
    else:
        line, column = first.span[0], first.span[1]
    if isinstance(last, _TOKEN):
        return Span(line, column, last.end_line, last.end_column)
    end = last.span
    return Span(line, column, end[2], end[3])


def _text(tok: Token) -> str:
    """A name as netdsl compares it: NFC, so that the same letters typed
    precomposed or decomposed (NFD) are the same name."""
    text = tok.value
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _string(tok: Token) -> str:
    """A string literal's text, without quotes; control characters refused
    (they would reach file names, diagrams and terminals)."""
    text = tok.value[1:-1]
    if text.isascii() and text.isprintable():
        return text
    for k, ch in enumerate(text):
        if unicodedata.category(ch) == "Cc":
            raise _Refused(
                codes.CONTROL_CHARACTER,
                f"a string cannot hold the control character {describe_char(ch)}",
                tok,
                help="remove it; names and strings are printable text",
                at=k + 1,
            )
    return unicodedata.normalize("NFC", text)


def _name(tok: Token) -> ast.Name:
    if tok.type == "STRING":
        return ast.Name(_string(tok), _tok_span(tok), quoted=True)
    return ast.Name(_text(tok), _tok_span(tok))


MAX_OPERATORS = 100  # arithmetic operators nested in one another


def _depth(node: Any) -> int:
    """Operators nested in an operand of arithmetic, through brackets."""
    while isinstance(node, ast.Chain) and len(node.steps) == 1:
        step = node.steps[0]
        if step.repeat is not None:  # `(a + b) * 2` in brackets: a product (brackets bound this recursion)
            return max(_depth(step.expr), _depth(step.repeat)) + 1
        node = step.expr
    return node.depth if isinstance(node, (ast.BinOp, ast.Neg)) else 0


def _nested(tok: Token, depth: int) -> int:
    if depth > MAX_OPERATORS:
        raise _Refused(
            codes.LIMIT,
            f"arithmetic nested more than {MAX_OPERATORS} operators deep",
            tok,
            help="compute the value in fewer steps, or pass it in as a block parameter",
        )
    return depth


class _Bracketed(NamedTuple):
    """A block header's `(...)`: its items and the span of the brackets."""

    items: tuple
    span: Span


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
        *names, expr = c
        return ast.Assign(
            _name(names[0]), expr, _between(names[0], expr), more_names=tuple(_name(n) for n in names[1:])
        )

    def layer_decl(self, c):
        kw, name, expr = c
        return ast.Assign(_name(name), expr, _between(kw, expr), is_layer=True)

    def block(self, c):
        kw, name, params, inputs, lbrace, *body, rbrace = c
        return ast.BlockDecl(
            _name(name),
            params.items,
            inputs.items,
            tuple(body),
            _between(kw, rbrace),
            _tok_span(lbrace),
            params.span,
            inputs.span,
        )

    def block_params(self, c):
        return _Bracketed(tuple(x for x in c[1:-1] if x is not None), _between(c[0], c[-1]))

    def block_inputs(self, c):
        return _Bracketed(tuple(_name(t) for t in c[1:-1] if t is not None), _between(c[0], c[-1]))

    def param(self, c):
        name, default = c
        return ast.Param(
            _name(name), default, _between(name, default) if default is not None else _tok_span(name)
        )

    def return_stmt(self, c):
        return ast.Return(tuple(c[1:]), _between(c[0], c[-1]))

    def import_all(self, c):
        return ast.Import(_string(c[1]), _tok_span(c[1]), (), _between(c[0], c[1]))

    def import_from(self, c):
        names = tuple(c[3:])
        return ast.Import(_string(c[1]), _tok_span(c[1]), names, _between(c[0], c[-1]))

    def import_name(self, c):
        name, _as, alias = c if len(c) == 3 else (c[0], None, None)
        return ast.ImportName(
            _name(name),
            _name(alias) if alias is not None else None,
            _between(name, alias) if alias is not None else _tok_span(name),
        )

    def compile(self, c):
        return ast.CompileDecl(tuple(c[1:]), _between(c[0], c[-1]))

    def train(self, c):
        return ast.TrainDecl(tuple(c[1:]), _between(c[0], c[-1]))

    def expr(self, c):
        steps = c[::2]
        return ast.Chain(tuple(steps), _between(steps[0], steps[-1]))

    def step(self, c):
        atom = c[0]
        if (
            isinstance(atom, ast.BinOp)
            and atom.op == "*"
            and isinstance(atom.right, (ast.Number, ast.Call))
            and not isinstance(atom.left, (ast.Number, ast.BinOp, ast.Neg))
        ):
            # `dense(8) * 3`, `* choice(1, 2)` (a search space, expanded by check and tune)
            return ast.Step(atom.left, atom.right, atom.span)
        return ast.Step(atom, None, atom.span)

    def binop(self, c):
        left, op, right = c
        depth = _nested(op, max(_depth(left), _depth(right)) + 1)
        return ast.BinOp(op.value, left, right, _between(left, right), _tok_span(op), depth)

    def neg(self, c):
        minus, operand = c
        if isinstance(operand, ast.Number):  # `- 1` is the number -1, as `-1` is
            return ast.Number(-operand.value, _between(minus, operand))
        return ast.Neg(operand, _between(minus, operand), _nested(minus, _depth(operand) + 1))

    def ref(self, c):
        return ast.Ref(_text(c[0]), _tok_span(c[0]))

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
        value = _int(tok) if tok.type == "INT" else float(tok)
        return ast.Number(value, _tok_span(tok))

    def string(self, c):
        return ast.String(_string(c[0]), _tok_span(c[0]))

    def list(self, c):
        return ast.ListLit(tuple(x for x in c[1:-1] if x is not None), _between(c[0], c[-1]))

    def tuple(self, c):
        items = tuple(x for x in c[1:-1] if isinstance(x, ast.Chain))
        return ast.TupleLit(items, _between(c[0], c[-1]))

    def dict(self, c):
        return ast.DictLit(tuple(x for x in c[1:-1] if x is not None), _between(c[0], c[-1]))

    def pair(self, c):
        return ast.Pair(_name(c[0]), c[1], _between(c[0], c[1]))

    def key(self, c):
        return ast.Pair(_name(c[0]), None, _tok_span(c[0]))

    def group(self, c):
        inner = c[1]
        return ast.Chain(inner.steps, _between(c[0], c[2]))

    def kwarg(self, c):
        return ast.KwArg(_name(c[0]), c[1], _between(c[0], c[1]))

    def sel_name(self, c):
        tok = c[0]
        name = _string(tok) if tok.type == "STRING" else _text(tok)
        return ast.SelName(name, _tok_span(tok))

    def sel_index(self, c):
        return ast.SelIndex(_int(c[0]), _tok_span(c[0]))

    def sel_range(self, c):
        start, colon, stop = c
        first = start if start is not None else colon
        last = stop if stop is not None else colon
        return ast.SelRange(
            None if start is None else _int(start),
            None if stop is None else _int(stop),
            _between(first, last),
        )


def grammar_text() -> str:
    return resources.files("netdsl").joinpath("grammars/netdsl.lark").read_text("utf-8")


_OPTIONS: dict[str, Any] = {"parser": "lalr", "lexer": "basic", "maybe_placeholders": True}
_TABLES_HEADER = """\"\"\"netdsl's LALR parser tables, as Lark serializes them: plain Python literals.

Generated by `make parser-tables` (scripts/gen_parser_tables.py) from
netdsl/grammars/netdsl.lark; do not edit. netdsl.lang.parser loads the parser
from these (a few ms) instead of analysing the grammar in every process (25
ms) or using Lark's cache=, which is pickle in a shared temporary directory.
It uses them only when GRAMMAR_SHA256 and LARK are the grammar's and Lark's
(else it builds the parser from the grammar); tests/test_architecture.py checks
that they are current.
\"\"\"

"""


def built_parser(text: str) -> Lark:
    """The parser made from the grammar's text (what the shipped tables are made from)."""
    return Lark(text, **_OPTIONS, postlex=_LayoutPostLex(), transformer=_ToAst())


def grammar_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def tables_module() -> str:
    """The source of netdsl/grammars/lalr_tables.py for the current grammar and Lark."""
    import lark
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    text = grammar_text()
    data, memo = built_parser(text).memo_serialize([TerminalDef, Rule])
    # The post-lexer and transformer are objects of ours, given again at load time.
    data["options"] = {k: v for k, v in data["options"].items() if k not in ("postlex", "transformer")}
    return (
        _TABLES_HEADER
        + f"GRAMMAR_SHA256 = {grammar_sha256(text)!r}\nLARK = {lark.__version__!r}\n"
        + f"DATA = {data!r}\nMEMO = {memo!r}\n"
    )


@lru_cache(maxsize=1)
def _parser() -> Lark:
    """The parser, from the shipped tables when they are this grammar's (see
    netdsl/grammars/lalr_tables.py), else built from the grammar."""
    import lark

    from ..grammars import lalr_tables as tables

    text = grammar_text()
    if tables.GRAMMAR_SHA256 != grammar_sha256(text) or tables.LARK != lark.__version__:
        return built_parser(text)
    loaded = Lark._load_from_dict(  # what Lark's own standalone parsers call
        tables.DATA, tables.MEMO, postlex=_LayoutPostLex(), transformer=_ToAst()
    )
    return cast(Lark, loaded)


def parse(source: Source) -> ast.Program:
    """Parse a whole file, or raise SpecError with one syntax diagnostic.

    Safe to call from several threads at once: the parser is shared, the
    state of a parse (its _Layout) is not.
    """
    return parse_with(_parser(), source)


def parse_with(parser: Lark, source: Source) -> ast.Program:
    """`parse` with a given Lark parser of netdsl's grammar (tests compare the
    one loaded from the shipped tables with one built from the grammar)."""
    layout = _Layout()
    token = _CURRENT.set(layout)
    try:
        return cast(ast.Program, parser.parse(source.text))
    except _Refused as exc:
        raise SpecError([exc.diagnostic()], source) from None
    except UnexpectedInput as exc:
        raise SpecError([_syntax_diagnostic(exc, source, layout)], source) from None
    except VisitError as exc:  # lark wraps errors raised inside the transformer
        if isinstance(exc.orig_exc, _Refused):
            raise SpecError([exc.orig_exc.diagnostic()], source) from None
        raise exc.orig_exc from None
    finally:
        _CURRENT.reset(token)


# ---- syntax errors: what went wrong, said the way a person would fix it ----------

_VALUE_START = {"NAME", "INT", "NUMBER", "STRING", "LPAR", "LSQB", "LBRACE", "MINUS"}
_CLOSER = {"LPAR": ")", "LSQB": "]", "LBRACE": "}"}
# Keywords that start a top-level statement, never a line of a block's body.
_TOP_LEVEL = {"NETWORK", "INPUT", "OUTPUT", "LAYER", "COMPILE", "TRAIN", "BLOCK", "IMPORT", "FROM"}


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


def _short(text: str, keep: int = 40) -> str:
    """A token's text as a message quotes it: a huge one cut (the excerpt shows where it is)."""
    return text if len(text) <= keep else text[: keep - 10] + "…" + text[-9:]


def _what(tok: Token) -> str:
    """How an unexpected token is named: "keyword 'input'", "name 'x'", "','"."""
    kind = tok.type
    if kind in KEYWORDS:
        return f"keyword '{tok}'"
    if kind in _KIND:
        return f"{_KIND[kind]} '{_short(tok.value)}'"
    return _DESCRIBE.get(kind, kind)


def _syntax_diagnostic(exc: UnexpectedInput, source: Source, layout: _Layout) -> Diagnostic:
    if isinstance(exc, UnexpectedCharacters):
        return _character_diagnostic(exc, source)
    assert isinstance(exc, UnexpectedToken)
    tok = exc.token
    if tok.type == "$END" or (tok.type == "_NL" and tok.value == ""):  # "": the synthetic last newline
        return _end_of_file(exc, source, layout)
    for rule in _TOKEN_RULES:
        found = rule(exc, tok, source, layout)
        if found is not None:
            return found
    return error(
        codes.UNEXPECTED_TOKEN, f"unexpected {_what(tok)}", _tok_span(tok), help=_expected(exc) or None
    )


def _character_diagnostic(exc: UnexpectedCharacters, source: Source) -> Diagnostic:
    span = Span.point(exc.line, exc.column)
    char = exc.char
    if char == '"':
        message, help = "unterminated string", 'a string opens and closes with " on the same line'
    elif char == "'":
        message = 'unexpected character "\'"'
        help = 'strings are written with double quotes, e.g. "relu"; a plain name works too: relu'
    elif char == "-" and not source.text.startswith("->", exc.pos_in_stream or 0):
        message = "unexpected character '-'"
        help = "chains are written with '->'; negative numbers as -1 or -0.5"
    else:
        message = f"unexpected character {describe_char(char)}"
        help = "names are letters, digits and '_'; comments start with '#'"
    return error(codes.BAD_CHARACTER, message, span, help=help)


def _end_of_file(exc: UnexpectedToken, source: Source, layout: _Layout) -> Diagnostic:
    if layout.open:
        bracket = layout.open[-1]
        return error(
            codes.UNCLOSED_BRACKET,
            f"'{bracket}' is never closed",
            _tok_span(bracket),
            help=f"add the missing '{_CLOSER[bracket.type]}'",
        )
    expected = _expected(exc)
    return error(
        codes.UNEXPECTED_END,
        "unexpected end of file",
        source.end_span(),
        help=expected + " before the end of the file" if expected else None,
    )


# Each rule looks at an unexpected token and returns a diagnostic if it knows
# the cause; the first that does wins (most specific first).
_Rule = Callable[[UnexpectedToken, Token, Source, _Layout], "Diagnostic | None"]


def _closes_innermost(tok: Token, layout: _Layout) -> bool:
    return tok.type in _CLOSE and bool(layout.open) and layout.open[-1].type == _CLOSE[tok.type]


def _unclosed_bracket(exc, tok, source, layout) -> Diagnostic | None:
    """A forgotten ')' shows up lines later (newlines inside brackets are not
    statement ends): the place to fix is the bracket."""
    still_open = layout.open
    if not still_open or tok.line <= still_open[-1].line or _closes_innermost(tok, layout):
        return None
    bracket = still_open[-1]
    if layout.bodies[-1]:
        # Inside a block's braces lines are statements; one that only the top
        # level can hold means the block's '}' is missing.
        if tok.type not in _TOP_LEVEL or layout.statement is not tok:
            return None
        return error(
            codes.UNCLOSED_BRACKET,
            f"'{bracket}' is never closed",
            _tok_span(bracket),
            help=f"add the missing '}}' before line {tok.line}, where '{tok}' starts a statement "
            "a block cannot hold",
            notes=[Note(f"keyword '{tok}' inside the block", _tok_span(tok))],
        )
    return error(
        codes.UNCLOSED_BRACKET,
        f"'{bracket}' is never closed",
        _tok_span(bracket),
        help=f"add the missing '{_CLOSER[bracket.type]}' before the end of this statement",
    )


def _input_shape(exc, tok, source, layout) -> Diagnostic | None:
    """`input x: (,4)`: a shape (`input seq: (4, 62)`) written wrong."""
    statement, still_open = layout.statement, layout.open
    if statement is None or statement.type != "INPUT" or tok.type != "COMMA":
        return None
    if not still_open or still_open[-1].type != "LPAR":
        return None
    return error(
        codes.BAD_INPUT_WIDTH,
        "an input's shape is its sizes separated by commas",
        _tok_span(still_open[-1]),
        help="e.g. input seq: (4, 62), a vector input x: (4,) or input x: 4",
    )


def _stray_closer(exc, tok, source, layout) -> Diagnostic | None:
    if tok.type not in _CLOSE or _closes_innermost(tok, layout):
        return None
    span = _tok_span(tok)
    if layout.open:
        bracket = layout.open[-1]
        return error(
            codes.UNMATCHED_BRACKET,
            f"'{tok}' does not match '{bracket}' opened at {bracket.line}:{bracket.column}",
            span,
            help=f"close it with '{_CLOSER[bracket.type]}'",
        )
    return error(
        codes.UNMATCHED_BRACKET, f"unmatched '{tok}'", span, help="remove it, or add the opening bracket"
    )


def _after_dangling_arrow(exc, tok, source, layout) -> Diagnostic | None:
    dangling = layout.dangling
    if dangling is None or tok.line <= dangling.line:
        return None
    return error(
        codes.UNEXPECTED_TOKEN,
        f"unexpected {_what(tok)}",
        _tok_span(tok),
        help=f"line {dangling.line} ends with '->', which continues the chain on this "
        "line: remove the '->' or add the next step",
    )


def _keyword_as_name(exc, tok, source, layout) -> Diagnostic | None:
    previous = layout.previous
    if tok.type == "EQUAL" and previous is not None and previous.type in KEYWORDS:
        return error(
            codes.KEYWORD_AS_NAME,
            f"'{previous}' is a keyword and cannot be used as a name",
            _tok_span(previous),
            help=f"choose another name, e.g. '{previous}_'",
        )
    if tok.type in KEYWORDS and "NAME" in exc.expected:
        hint = (
            f'write it as a string to keep the column\'s name: "{tok}"'
            if layout.open
            else f"choose another name, e.g. '{tok}_'"
        )
        return error(
            codes.KEYWORD_AS_NAME,
            f"'{tok}' is a keyword and cannot be used as a name",
            _tok_span(tok),
            help=hint,
        )
    return None


def _equal_arrow(exc, tok, source, layout) -> Diagnostic | None:
    if tok.type != "EQUAL" or source.text[tok.end_pos : tok.end_pos + 1] != ">":
        return None
    return error(
        codes.UNEXPECTED_TOKEN,
        "unexpected '='",
        _tok_span(tok),
        help="chains are written with '->', e.g. x -> dense(4)",
    )


def _line_ends_early(exc, tok, source, layout) -> Diagnostic | None:
    if tok.type != "_NL":
        return None
    last: Any = layout.previous if layout.last is tok else layout.last  # the last real token
    where: Any = last if last is not None else tok
    at = (
        Span.point(where.end_line, where.end_column) if last is not None else Span.point(tok.line, tok.column)
    )
    statement = layout.statement
    if statement is not None and statement.type in ("COMPILE", "TRAIN") and last is statement:
        word = statement.value
        example = "loss=mse optimizer=adam" if word == "compile" else "epochs=50 batch_size=16"
        return error(codes.UNEXPECTED_END, f"'{word}' needs settings", at, help=f"e.g. {word} {example}")
    return error(
        codes.UNEXPECTED_END,
        "unexpected end of line: the statement is not finished",
        at,
        help=_expected(exc),
    )


def _value_after_statement(exc, tok, source, layout) -> Diagnostic | None:
    if not ((tok.type in _VALUES or tok.type == "LPAR") and "_NL" in exc.expected):
        return None
    message = f"unexpected {_what(tok)} after a complete statement"
    if layout.statement is not None and layout.statement.type == "NETWORK":
        previous = _short(str(layout.previous))
        help = f"a network name is one word: write it with '_', e.g. network {previous}_{_short(tok.value)}"
    else:
        help = "join the steps of a chain with '->' (x -> dense(4)); a new statement goes on a new line"
    return error(codes.UNEXPECTED_TOKEN, message, _tok_span(tok), help=help)


def _missing_comma(exc, tok, source, layout) -> Diagnostic | None:
    if not (tok.type in _VALUES and "COMMA" in exc.expected):
        return None
    still_open = layout.open
    if still_open and still_open[-1].type != "LPAR":
        help = f"expected ',' or '{_CLOSER[still_open[-1].type]}'"
    else:
        help = "separate arguments with ','"
    return error(codes.UNEXPECTED_TOKEN, f"unexpected {_what(tok)}", _tok_span(tok), help=help)


def _misplaced_keyword(exc, tok, source, layout) -> Diagnostic | None:
    if tok.type not in KEYWORDS:
        return None
    return error(
        codes.UNEXPECTED_TOKEN,
        f"unexpected {_what(tok)}",
        _tok_span(tok),
        help=f"'{tok}' starts a statement of its own, on its own line",
    )


_TOKEN_RULES: tuple[_Rule, ...] = (
    _unclosed_bracket,
    _input_shape,
    _stray_closer,
    _after_dangling_arrow,
    _keyword_as_name,
    _equal_arrow,
    _line_ends_early,
    _value_after_statement,
    _missing_comma,
    _misplaced_keyword,
)
