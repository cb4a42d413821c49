"""A Pygments lexer for netdsl specs: `pygmentize -l netdsl spec.net`.

Registered through the `pygments.lexers` entry point (pyproject.toml), so
Pygments, Sphinx and anything else built on it find it by name once netdsl is
installed. It colours what a reader needs and never complains: a highlighter
shows text, the checker and the language server report errors, so even a
broken spec lexes without an Error token (a stray character is plain text).

The same token classes are given by the TextMate grammar in
editors/vscode/syntaxes/netdsl.tmLanguage.json; tests compare the two.
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

__all__ = ["NetdslLexer", "KEYWORDS"]

# The grammar's keywords (netdsl/grammars/netdsl.lark), in the grammar's order.
KEYWORDS = (
    "network",
    "input",
    "output",
    "compile",
    "train",
    "block",
    "layer",
    "return",
    "import",
    "from",
    "as",
)

# A name as the grammar's NAME terminal spells it: a letter or '_', then word characters.
_NAME = r"[^\W\d]\w*"


class NetdslLexer(RegexLexer):
    """Lexer for netdsl network specs (.net files)."""

    name = "netdsl"
    aliases = ["netdsl"]
    filenames = ["*.net"]
    mimetypes = ["text/x-netdsl"]
    url = "https://pypi.org/project/netdsl/"

    tokens = {
        "root": [
            # `h = ...` at the start of a line defines h; `rate=0.1` elsewhere is an argument.
            (rf"^([ \t]*)({_NAME})([ \t]*)(=)", bygroups(Whitespace, Name.Variable, Whitespace, Operator)),
            (r"[ \t\f\r\ufeff]+", Whitespace),
            (r"\n", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r'"[^"\n]*"?', String.Double),  # an unterminated string runs to the end of the line
            (r"'[^'\n]*'?", String.Single),  # not netdsl, but shown as the string it was meant to be
            # The keyword that names something, with the name it introduces.
            (rf"(network)([ \t]+)({_NAME})", bygroups(Keyword.Declaration, Whitespace, Name.Class)),
            (rf"(block)([ \t]+)({_NAME})", bygroups(Keyword.Declaration, Whitespace, Name.Function)),
            (
                rf"(input|output)([ \t]+)({_NAME})",
                bygroups(Keyword.Declaration, Whitespace, Name.Variable),
            ),
            (words(("import", "from", "as"), suffix=r"\b"), Keyword.Namespace),
            (words(KEYWORDS, suffix=r"\b"), Keyword),
            (words(("true", "false", "none"), suffix=r"\b"), Keyword.Constant),
            (rf"({_NAME})([ \t]*)(=)", bygroups(Name.Attribute, Whitespace, Operator)),
            (rf"{_NAME}(?=[ \t]*\()", Name.Function),
            (rf"(->)([ \t]*)({_NAME})\b(?![ \t]*[\[(])", bygroups(Operator, Whitespace, Name.Function)),
            (_NAME, Name),
            (r"-?(\d+\.\d*|\.\d+|\d+(?=[eE]))([eE][-+]?\d+)?", Number.Float),
            (r"-?\d+", Number.Integer),
            (r"->", Operator),
            (r"[*=:]", Operator),
            (r"[()\[\]{},]", Punctuation),
            (r".", Text),  # anything else: shown as is, never an Error token
        ],
    }
