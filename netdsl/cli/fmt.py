"""fmt: rewrite specs in the canonical layout (the layout itself is netdsl.lang.fmt)."""

from __future__ import annotations

import difflib
import os
import stat
import sys

from ..io import EXIT_OK, EXIT_SPEC, InputFileError, UsageError, atomic_output
from ..lang.diagnostics import ERROR, SpecError
from ..lang.fmt import format_source
from ..lang.source import decode_source, read_spec_bytes


def cmd_fmt(args) -> int:
    """netdsl fmt FILE... [--check] [--diff] [--width N]"""
    width = getattr(args, "width", None) or 88
    if width < 1:
        raise UsageError(f"--width must be at least 1, got {width}")
    check, show_diff = getattr(args, "check", False), getattr(args, "diff", False)

    # Read every file first, each once (a pipe can be read only once): a missing
    # one is a usage error before anything is written.
    sources = []
    for path in args.files:
        if not (check or show_diff) and _not_regular(path):
            raise UsageError(f"{path}: not a regular file, so it cannot be rewritten; use --check or --diff")
        try:
            raw = read_spec_bytes(path)
            source = decode_source(path, raw)
        except InputFileError as exc:
            raise UsageError(str(exc)) from None
        sources.append((path, source, raw))

    syntax_errors = changed = 0
    for path, source, raw in sources:
        try:
            formatted = format_source(source.text, width, name=source.name)
        except SpecError as exc:
            syntax_errors += 1
            print(exc.render(), file=sys.stderr)
            errors = sum(d.severity == ERROR for d in exc.diagnostics)
            print(f"netdsl: {path}: {errors} error{'s' * (errors != 1)}", file=sys.stderr)
            continue
        new = formatted.encode("utf-8")
        if new == raw:
            continue
        changed += 1
        if show_diff:
            sys.stdout.writelines(
                difflib.unified_diff(
                    source.text.splitlines(keepends=True),
                    formatted.splitlines(keepends=True),
                    fromfile=f"{path}\t(original)",
                    tofile=f"{path}\t(formatted)",
                )
            )
        if check:
            print(f"would reformat {path}")
        elif not show_diff:
            target = os.path.realpath(path)  # rewrite a symlink's target, keep the link
            with atomic_output(target) as tmp:  # keeps the file's mode
                with open(tmp, "wb") as fh:
                    fh.write(new)
            print(f"reformatted {path}")
    if syntax_errors:
        return EXIT_SPEC
    if check and changed:
        return EXIT_SPEC
    return EXIT_OK


def _not_regular(path: str) -> bool:
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False  # reading it says what is wrong
