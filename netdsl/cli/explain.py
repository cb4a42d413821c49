"""explain: what an error code means."""

from __future__ import annotations

from ..io import EXIT_OK, UsageError


def cmd_explain(args) -> int:
    from ..lang.diagnostics import CODES, did_you_mean
    if args.code is None:
        if args.markdown:
            print("| code | meaning |\n|---|---|")
            for c, text in CODES.items():
                print(f"| {c} | " + text.replace("|", "\\|") + " |")
        else:
            print("\n".join(f"{c}  {text}" for c, text in CODES.items()))
        return EXIT_OK
    code = args.code.upper()
    if code not in CODES:
        hint = did_you_mean(code, CODES)
        raise UsageError(f"unknown code '{args.code}'" + (f"; {hint}" if hint else ""))
    print(f"{code}: {CODES[code]}")
    return EXIT_OK
