"""explain: what an error code means, a spec that has it, what netdsl says, and the fix.

The examples are generated from the error corpus by scripts/gen_explain.py
into explanations.json (shipped with the package); tests keep it in sync.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from ..io import EXIT_OK, UsageError

MAX_DATA_LINES = 8


@lru_cache(maxsize=1)
def explanations() -> dict:
    text = resources.files("netdsl.cli").joinpath("explanations.json").read_text(encoding="utf-8")
    return json.loads(text)


def cmd_explain(args) -> int:
    from ..lang.codes import CODES
    from ..lang.diagnostics import did_you_mean

    if args.code is None:
        if args.markdown:
            print(markdown(CODES), end="")
        else:
            print("\n".join(f"{c}  {code.explanation}" for c, code in CODES.items()))
        return EXIT_OK
    code = args.code.upper()
    if code not in CODES:
        hint = did_you_mean(code, CODES)
        raise UsageError(f"unknown code '{args.code}'" + (f"; {hint}" if hint else ""))
    print(explain(code, CODES[code].explanation))
    return EXIT_OK


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line else "" for line in text.rstrip("\n").split("\n"))


def _data(text: str) -> str:
    lines = text.rstrip("\n").split("\n")
    if len(lines) <= MAX_DATA_LINES:
        return text
    more = len(lines) - MAX_DATA_LINES
    return "\n".join(lines[:MAX_DATA_LINES] + [f"... ({more} more line{'s' * (more != 1)})"])


def _sections(code: str, meaning: str) -> list[tuple[str, str, str]]:
    """(heading, text, kind) parts of a code's explanation; kind "text" or "code"."""
    entry = explanations().get(code) or {}
    parts = [("", f"{code}: {meaning}", "text")]
    if entry.get("about"):
        parts.append(("", entry["about"], "text"))
    example = entry.get("example")
    if not example:
        return parts
    parts.append((f"A spec that has it ({example['source']}):", example["wrong"], "code"))
    for name, text in example["files"].items():
        parts.append((f"with {name}:", _data(text), "code"))
    if example.get("reported"):
        parts.append((f"`{example['command']}` reports:", example["reported"], "code"))
    else:
        parts.append((f"`{example['command']}` stops with it while training.", "", "text"))
    if example["fixed"] != example["wrong"]:
        parts.append(("Fixed:", example["fixed"], "code"))
    for name, text in example["fixed_files"].items():
        if text != example["files"][name]:
            parts.append((f"Fixed {name}:", _data(text), "code"))
    return parts


def explain(code: str, meaning: str) -> str:
    out = []
    for heading, text, kind in _sections(code, meaning):
        block = _indent(text) if kind == "code" else text
        out.append("\n".join(filter(None, [heading, block])))
    return "\n\n".join(out)


def markdown(codes) -> str:
    """Every code: the table of one-line meanings, then each code's explanation."""
    rows = [f"| {c} | " + code.explanation.replace("|", "\\|") + " |" for c, code in codes.items()]
    blocks = ["| code | meaning |\n|---|---|\n" + "\n".join(rows)]
    for c, code in codes.items():
        blocks.append(f"## {c}\n\n{code.explanation}")
        for heading, text, kind in _sections(c, code.explanation)[1:]:
            if kind == "code":
                fence = "````" if "```" in text else "```"
                text = f"{fence}\n{text.rstrip()}\n{fence}"
            blocks.append("\n\n".join(filter(None, [heading, text])))
    return "\n\n".join(blocks) + "\n"
