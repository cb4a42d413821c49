"""explain: what an error code means."""

from __future__ import annotations

from ..io import EXIT_OK, UsageError


def cmd_explain(args) -> int:
    from ..lang.codes import CODES
    from ..lang.diagnostics import did_you_mean

    if args.code is None:
        if args.markdown:
            print("| code | meaning |\n|---|---|")
            for c, code in CODES.items():
                print(f"| {c} | " + code.explanation.replace("|", "\\|") + " |")
        else:
            print("\n".join(f"{c}  {code.explanation}" for c, code in CODES.items()))
        return EXIT_OK
    code = args.code.upper()
    if code not in CODES:
        hint = did_you_mean(code, CODES)
        raise UsageError(f"unknown code '{args.code}'" + (f"; {hint}" if hint else ""))
    print(f"{code}: {CODES[code].explanation}")
    return EXIT_OK
