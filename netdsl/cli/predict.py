"""predict: a saved model's predictions for the rows of a file."""

from __future__ import annotations

import os
import sys

from ..io import EXIT_OK, EXIT_SPEC, UsageError, check_outputs


def cmd_predict(args) -> int:
    import netdsl

    from ..data.errors import DataError
    from ..io import InputFileError

    if not args.model.endswith(".keras"):
        raise UsageError(f"{args.model}: expected a .keras model (Keras 3's format)")
    if args.output and not args.output.lower().endswith(".csv"):
        raise UsageError(f"{args.output}: predictions are written as CSV; name it *.csv")
    for path in (args.model, args.data):
        if not os.path.isfile(path):
            raise UsageError(f"{path}: " + ("is a directory" if os.path.isdir(path) else "no such file"))
    if args.output:
        check_outputs([("-o", args.output)], [args.model, args.data])
    try:
        result = netdsl.predict(
            args.model, args.data, output=args.output, batch_size=args.batch_size, stream=args.stream
        )
    except DataError as exc:
        from .common import report_data_error

        report_data_error(exc)
        return EXIT_SPEC
    except InputFileError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"{exc.filename or args.data}: {exc.strerror}") from None
    if args.output:
        print(f"wrote {args.output}: {result.rows:,} rows, {len(result.columns)} columns")
    else:
        _print_csv(result.table)
    return EXIT_OK


def _print_csv(table) -> None:
    from ..apps.predict import csv_parts

    sys.stdout.flush()
    for part in csv_parts(table, header=True):
        sys.stdout.buffer.write(part)
    sys.stdout.buffer.flush()
