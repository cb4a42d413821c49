"""The `netdsl` command: check, compile, render, train, compare, fmt, explain.

A thin layer over the public API (netdsl.load, netdsl.to_keras, ...): the
grammar of the command line is in args.py, each command group in a module of
its own, and main() turns every outcome into one of the exit codes of
netdsl.io.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys

from .. import __version__
from ..io import EXIT_BUG, EXIT_OK, EXIT_USAGE, UsageError, signals_clean_up
from .args import build_parser, parser_for

__all__ = ["main", "program", "UsageError"]


def _command(module: str, function: str):
    """A command whose module is imported only when it runs."""

    def run(args) -> int:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{module}"), function)(args)

    return run


COMMANDS = {
    "check": _command("spec", "cmd_check"),
    "compile": _command("spec", "cmd_compile"),
    "render": _command("spec", "cmd_render"),
    "train": _command("training", "cmd_train"),
    "compare": _command("training", "cmd_compare"),
    "fmt": _command("fmt", "cmd_fmt"),
    "explain": _command("explain", "cmd_explain"),
    "import": _command("lockin", "cmd_import"),
    "evaluate": _command("experiments", "cmd_evaluate"),
    "tune": _command("tuning", "cmd_tune"),
    "lsp": _command("lsp", "cmd_lsp"),
    "predict": _command("predict", "cmd_predict"),
    "serve": _command("lsp", "cmd_serve"),
    "diff": _command("lockin", "cmd_diff"),
    "emit": _command("lockin", "cmd_emit"),
}


def _never_fail_on_encoding() -> None:
    """Characters the terminal's encoding lacks (a Korean spec on an ASCII
    terminal, a file name with an undecodable byte) print escaped, never fail."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")


def _choose_color(choice: str) -> None:
    from ..lang.diagnostics import set_color

    if choice == "auto":
        stderr = sys.stderr
        on = not os.environ.get("NO_COLOR") and hasattr(stderr, "isatty") and stderr.isatty()
    else:
        on = choice == "always"
    set_color(on)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    _never_fail_on_encoding()
    try:
        with signals_clean_up():
            code = _run(argv)
            sys.stdout.flush()  # a full disk shows here, not at exit
        return code
    except UsageError as exc:
        print(f"netdsl: error: {exc}", file=sys.stderr)
        if "--json" in argv:  # tools reading --json always get one object
            _print_json_failure(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("netdsl: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `netdsl check x.net | head`: the reader left; not an error
        _silence_stdout()
        return EXIT_OK
    except SystemExit as exc:  # argparse --help / --version
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except OSError as exc:
        if not _stdout_failed(exc):
            return _bug(exc, debug)
        _silence_stdout()
        print(f"netdsl: error: cannot write to standard output: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    except BaseException as exc:  # a bug of ours: say so, in one line
        return _bug(exc, debug)


def program() -> None:
    """The `netdsl` program (console script and `python -m netdsl`): main(),
    then the end of the process.

    Once the command is done and nothing else runs, the process ends without
    the interpreter's final teardown: unloading TensorFlow's thousands of
    modules and objects takes about 1.2 s after any program that imported it
    (`python -c "import tensorflow"` spends that long after its last line), and
    the data libraries' 0.05-0.1 s. Everything registered to run at exit still
    runs, and the standard streams are flushed; every file netdsl writes is
    closed (and renamed into place) before main returns. With another thread
    still running (a server's), the interpreter ends as usual.
    """
    code = main()
    import threading

    if threading.active_count() > 1:
        sys.exit(code)
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def _run(argv: list[str]) -> int:
    args = parser_for(argv).parse_args(argv)
    _choose_color(getattr(args, "color", "auto"))
    if args.command is None:
        build_parser().print_help(sys.stderr)
        return EXIT_USAGE
    return COMMANDS[args.command](args)


def _print_json_failure(message: str) -> None:
    failure: dict[str, object] = {
        "ok": False,
        "network": None,
        "error": message,
        "diagnostics": [],
        "nodes": [],
        "params": None,
    }
    import json

    with contextlib.suppress(OSError):
        print(json.dumps(failure))


def _stdout_failed(exc: OSError) -> bool:
    """Whether the error is standard output's own (a full disk, a closed pipe)."""
    try:
        sys.stdout.flush()
    except OSError:
        return True
    return exc.errno in (errno.ENOSPC, errno.EPIPE) and exc.filename is None


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that the interpreter's final
    flush does not fail a second time."""
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _bug(exc: BaseException, debug: bool) -> int:
    if debug:
        raise exc
    print(
        f"netdsl: internal error: {type(exc).__name__}: {exc}\n"
        f"This is a bug in netdsl {__version__}, not in your spec. Please report it "
        f"with the spec that caused it; rerun with --debug for the traceback.",
        file=sys.stderr,
    )
    return EXIT_BUG
