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

from . import ast, codes
from .diagnostics import Diagnostic, SpecError, error
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


class _Layout(PostLex):
    """Newlines end statements, except inside brackets and next to `->`.

    The braces of a block body are the exception to the exception: inside
    them newlines end statements again (a newline right after `{` is dropped,
    and one is supplied before a `}` that ends a statement).

    It also remembers what a syntax error message needs: the brackets still
    open (an unclosed one is reported where it was opened), the last tokens
    passed on, the first token of the current statement, and a `->` that
    ended a line and so joined the next line to its chain.
    """

    always_accept = ("_NL",)

    def __init__(self) -> None:
        self.open: list[Token] = []
        self.bodies: list[bool] = []  # per open bracket: is it a block body?
        self.last: Token | None = None  # the last token passed to the parser
        self.previous: Token | None = None  # the one before it
        self.statement: Token | None = None  # the first token of the current statement
        self.dangling: Token | None = None  # a `->` at the end of a line, in this statement

    def process(self, stream):
        self.__init__()
        opened, bodies = self.open, self.bodies
        pending = None
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
                    self._advance(pending)
                    yield pending
                    self.statement, self.dangling = None, None  # the parser took the statement
                pending = None
            if kind == "RBRACE" and opened and bodies[-1] and self.last.type not in ("_NL", "LBRACE"):
                end = Token.new_borrow_pos("_NL", "", tok)
                self._advance(end)
                yield end
                self.statement, self.dangling = None, None
            if kind in _OPEN:
                opened.append(tok)
                bodies.append(kind == "LBRACE" and self.last is not None and self.last.type == "RPAR")
                if len(opened) > MAX_DEPTH:
                    raise _Limit(
                        f"brackets nested more than {MAX_DEPTH} deep",
                        tok,
                        help="name the inner parts in statements of their own",
                    )
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
            end = pending if pending is not None else Token.new_borrow_pos("_NL", "", self.last)
            yield end

    def _advance(self, tok: Token) -> None:
        self.previous, self.last = self.last, tok


MAX_DEPTH = 100  # brackets inside brackets
MAX_DIGITS = 18  # digits of an integer literal


class _Limit(Exception):
    """A literal or a nesting beyond netdsl's limits, at this token."""

    def __init__(self, message: str, token: Token, help: str | None = None):
        super().__init__(message)
        self.message, self.token, self.help = message, token, help


def _int(tok: Token) -> int:
    if len(tok.value.lstrip("-")) > MAX_DIGITS:
        raise _Limit(
            f"the number {tok.value[:12]}... has {len(tok.value)} digits, more than any setting needs", tok
        )
    return int(tok)


def _tok_span(tok: Token) -> Span:
    return Span(tok.line, tok.column, tok.end_line, tok.end_column)


def _between(first, last) -> Span:
    # Called for most nodes of every parse: no intermediate spans.
    if isinstance(first, Token):
        line, column = first.line, first.column
    else:
        line, column = first.span[0], first.span[1]
    if isinstance(last, Token):
        return Span(line, column, last.end_line, last.end_column)
    end = last.span
    return Span(line, column, end[2], end[3])


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
        *names, expr = c
        return ast.Assign(
            _name(names[0]), expr, _between(names[0], expr), more_names=tuple(_name(n) for n in names[1:])
        )

    def block(self, c):
        kw, name, lpar, *rest = c
        i = rest.index(next(t for t in rest if isinstance(t, Token) and t.type == "RPAR"))
        params = tuple(x for x in rest[:i] if x is not None)
        rest = rest[i + 2 :]  # past ')' and the inputs' '('
        j = next(k for k, t in enumerate(rest) if isinstance(t, Token) and t.type == "RPAR")
        inputs = tuple(_name(t) for t in rest[:j] if t is not None)
        body = rest[j + 2 : -1]  # past ')' and '{', before '}'
        return ast.BlockDecl(
            _name(name), params, inputs, tuple(body), _between(kw, rest[-1]), _tok_span(rest[j + 1])
        )

    def param(self, c):
        name, default = c
        return ast.Param(
            _name(name), default, _between(name, default) if default is not None else _tok_span(name)
        )

    def return_stmt(self, c):
        return ast.Return(tuple(c[1:]), _between(c[0], c[-1]))

    def import_all(self, c):
        return ast.Import(str(c[1])[1:-1], _tok_span(c[1]), (), _between(c[0], c[1]))

    def import_from(self, c):
        names = tuple(c[3:])
        return ast.Import(str(c[1])[1:-1], _tok_span(c[1]), names, _between(c[0], c[-1]))

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
        atom, _star, count = c
        if count is None:
            return ast.Step(atom, None, atom.span)
        repeat = ast.Number(_int(count), _tok_span(count))
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
        value = _int(tok) if tok.type == "INT" else float(tok)
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
        tok = c[0]
        name = str(tok)[1:-1] if tok.type == "STRING" else str(tok)
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
    except _Limit as exc:
        raise SpecError(
            [error(codes.LIMIT, exc.message, _tok_span(exc.token), help=exc.help)], source
        ) from None
    except UnexpectedInput as exc:
        raise SpecError([_syntax_diagnostic(exc, source, parser.options.postlex)], source) from None
    except VisitError as exc:  # lark wraps errors raised inside the transformer
        if isinstance(exc.orig_exc, _Limit):
            limit = exc.orig_exc
            raise SpecError(
                [error(codes.LIMIT, limit.message, _tok_span(limit.token), help=limit.help)], source
            ) from None
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


_CLOSER = {"LPAR": ")", "LSQB": "]", "LBRACE": "}"}


def _syntax_diagnostic(exc: UnexpectedInput, source: Source, layout: _Layout) -> Diagnostic:
    still_open = layout.open
    if isinstance(exc, UnexpectedCharacters):
        span = Span.point(exc.line, exc.column)
        char = exc.char
        if char == '"':
            return error(
                codes.BAD_CHARACTER,
                "unterminated string",
                span,
                help='a string opens and closes with " on the same line',
            )
        if char == "'":
            return error(
                codes.BAD_CHARACTER,
                'unexpected character "\'"',
                span,
                help='strings are written with double quotes, e.g. "relu"; a plain name works too: relu',
            )
        if char == "-" and source.text[exc.pos_in_stream : exc.pos_in_stream + 2] != "->":
            return error(
                codes.BAD_CHARACTER,
                "unexpected character '-'",
                span,
                help="chains are written with '->'; negative numbers as -1 or -0.5",
            )
        shown = repr(char) if char.isprintable() else f"U+{ord(char):04X}"
        return error(
            codes.BAD_CHARACTER,
            f"unexpected character {shown}",
            span,
            help="names are letters, digits and '_'; comments start with '#'",
        )
    assert isinstance(exc, UnexpectedToken)
    tok = exc.token
    kind = tok.type
    expected = _expected(exc)
    if kind == "$END" or (kind == "_NL" and tok.value == ""):  # "" is the synthetic last newline
        if still_open:
            bracket = still_open[-1]
            return error(
                codes.UNCLOSED_BRACKET,
                f"'{bracket}' is never closed",
                _tok_span(bracket),
                help=f"add the missing '{_CLOSER[bracket.type]}'",
            )
        return error(
            codes.UNEXPECTED_END,
            "unexpected end of file",
            source.end_span(),
            help=expected + " before the end of the file" if expected else None,
        )
    span = _tok_span(tok)
    closes_innermost = kind in _CLOSE and still_open and still_open[-1].type == _CLOSE[kind]
    if still_open and not layout.bodies[-1] and tok.line > still_open[-1].line and not closes_innermost:
        # Newlines inside brackets are not statement ends, so a forgotten ')'
        # shows up lines later; the place to fix is the bracket.
        bracket = still_open[-1]
        return error(
            codes.UNCLOSED_BRACKET,
            f"'{bracket}' is never closed",
            _tok_span(bracket),
            help=f"add the missing '{_CLOSER[bracket.type]}' before the end of this statement",
        )
    if kind in _CLOSE and not closes_innermost:
        if still_open:
            bracket = still_open[-1]
            return error(
                codes.UNMATCHED_BRACKET,
                f"'{tok}' does not match '{bracket}' opened at {bracket.line}:{bracket.column}",
                span,
                help=f"close it with '{_CLOSER[bracket.type]}'",
            )
        return error(
            codes.UNMATCHED_BRACKET, f"unmatched '{tok}'", span, help="remove it, or add the opening bracket"
        )
    dangling = layout.dangling
    if dangling is not None and tok.line > dangling.line:
        what = (
            f"keyword '{tok}'"
            if kind in KEYWORDS
            else f"{_KIND[kind]} '{tok}'"
            if kind in _KIND
            else _DESCRIBE.get(kind, kind)
        )
        return error(
            codes.UNEXPECTED_TOKEN,
            f"unexpected {what}",
            span,
            help=f"line {dangling.line} ends with '->', which continues the chain on this "
            "line: remove the '->' or add the next step",
        )
    previous = layout.previous
    if kind == "EQUAL" and previous is not None and previous.type in KEYWORDS:
        return error(
            codes.KEYWORD_AS_NAME,
            f"'{previous}' is a keyword and cannot be used as a name",
            _tok_span(previous),
            help=f"choose another name, e.g. '{previous}_'",
        )
    if kind in KEYWORDS and "NAME" in exc.expected:
        hint = (
            f'write it as a string to keep the column\'s name: "{tok}"'
            if still_open
            else f"choose another name, e.g. '{tok}_'"
        )
        return error(
            codes.KEYWORD_AS_NAME, f"'{tok}' is a keyword and cannot be used as a name", span, help=hint
        )
    if kind == "EQUAL" and source.text[tok.end_pos : tok.end_pos + 1] == ">":
        return error(
            codes.UNEXPECTED_TOKEN,
            "unexpected '='",
            span,
            help="chains are written with '->', e.g. x -> dense(4)",
        )
    if kind == "_NL":
        last = layout.previous if layout.last is tok else layout.last  # the last real token
        at = (
            Span.point(last.end_line, last.end_column)
            if last is not None
            else Span.point(tok.line, tok.column)
        )
        if (
            layout.statement is not None
            and layout.statement.type in ("COMPILE", "TRAIN")
            and last is layout.statement
        ):
            word = layout.statement.value
            example = "loss=mse optimizer=adam" if word == "compile" else "epochs=50 batch_size=16"
            return error(codes.UNEXPECTED_END, f"'{word}' needs settings", at, help=f"e.g. {word} {example}")
        return error(
            codes.UNEXPECTED_END, "unexpected end of line: the statement is not finished", at, help=expected
        )
    what = f"{_KIND[kind]} '{tok}'" if kind in _KIND else _DESCRIBE.get(kind, kind)
    if (kind in _VALUES or kind == "LPAR") and "_NL" in exc.expected:
        if layout.statement is not None and layout.statement.type == "NETWORK":
            return error(
                codes.UNEXPECTED_TOKEN,
                f"unexpected {what} after a complete statement",
                span,
                help=f"a network name is one word: write it with '_', e.g. network {layout.previous}_{tok}",
            )
        return error(
            codes.UNEXPECTED_TOKEN,
            f"unexpected {what} after a complete statement",
            span,
            help="join the steps of a chain with '->' (x -> dense(4)); a new statement goes on a new line",
        )
    if kind in _VALUES and "COMMA" in exc.expected:
        if still_open and still_open[-1].type != "LPAR":
            return error(
                codes.UNEXPECTED_TOKEN,
                f"unexpected {what}",
                span,
                help=f"expected ',' or '{_CLOSER[still_open[-1].type]}'",
            )
        return error(codes.UNEXPECTED_TOKEN, f"unexpected {what}", span, help="separate arguments with ','")
    if kind in KEYWORDS:
        return error(
            codes.UNEXPECTED_TOKEN,
            f"unexpected {what}",
            span,
            help=f"'{tok}' starts a statement of its own, on its own line",
        )
    return error(codes.UNEXPECTED_TOKEN, f"unexpected {what}", span, help=expected or None)
