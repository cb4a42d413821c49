"""The ground floor: exit codes, the usage/I-O error types, atomic writes.

Every other module may import this one; it imports nothing of netdsl.

Exit codes (a contract other tools rely on):
  0  success (warnings allowed)
  1  the spec (or its data) has errors
  2  usage or I/O problems
  3  an internal error: a bug in netdsl
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator

EXIT_OK, EXIT_SPEC, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3


class UsageError(Exception):
    """Bad arguments or an unreadable/unwritable path: exit 2."""


class InputFileError(Exception):
    """A spec or data file that cannot be read (an I/O problem, exit code 2)."""


# Temporary files (and the directories made for them) of the atomic writes in
# progress: a signal handler removes them.
_ACTIVE: list[tuple[str, list[str]]] = []
_SIGNALS = {
    "SIGINT": ("interrupted", 130),
    "SIGTERM": ("stopped by SIGTERM", 143),
    "SIGHUP": ("stopped by SIGHUP", 129),
}


def _stop(signum, frame) -> None:
    """Remove the writes in progress and exit at once. Raising an exception
    instead (as Python's SIGINT handler does) is not safe: a C extension
    running when it arrives (h5py, saving a model) swallows it or turns it
    into another error, and the process carries on."""
    import shutil

    for tmp, created in list(_ACTIVE):
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        _remove_dirs(created)
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    message, code = _SIGNALS[signal.Signals(signum).name]
    with contextlib.suppress(OSError):
        os.write(2, f"netdsl: {message}\n".encode())
    os._exit(code)


@contextlib.contextmanager
def signals_clean_up() -> Iterator[None]:
    """While inside, SIGINT, SIGTERM and SIGHUP remove the temporary files of
    atomic_output and end the process (exit 130, 143, 129). Only in the main
    thread (elsewhere signals cannot be handled; nothing changes)."""
    import threading

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for name in _SIGNALS:
            signum = getattr(signal, name, None)
            if signum is not None:
                previous[signum] = signal.signal(signum, _stop)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _final_mode(path: str) -> int:
    """An existing file keeps its mode; a new one gets what open() would give it."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


@contextlib.contextmanager
def atomic_output(path: str) -> Iterator[str]:
    """Yield a temporary path beside `path`; rename it into place on success.

    On any failure the temporary file is removed and an existing `path` is left
    as it was; a directory created for it is removed again. The file written
    has the mode an ordinary write would give it: the umask's for a new file,
    the old mode for a file replaced.
    """
    parent = os.path.dirname(os.path.abspath(path))
    created = []
    probe = parent
    while not os.path.exists(probe):
        created.append(probe)
        probe = os.path.dirname(probe)
    check_output_location(path)
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{path}: cannot create its directory: {exc.strerror}") from None
    base = os.path.basename(path)
    suffix = os.path.splitext(base)[1]
    try:
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{base}.", suffix=suffix)
    except OSError as exc:
        _remove_dirs(created)
        raise UsageError(f"{path}: cannot write here: {exc.strerror}") from None
    os.close(fd)
    entry = (tmp, created)
    _ACTIVE.append(entry)
    try:
        yield tmp
        os.chmod(tmp, _final_mode(path))
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        _remove_dirs(created)
        if isinstance(exc, OSError):
            reason = exc.strerror or str(exc)
            raise UsageError(f"{path}: cannot write: {reason}; nothing was written") from None
        raise
    finally:
        _ACTIVE.remove(entry)


@contextlib.contextmanager
def atomic_directory(path: str) -> Iterator[str]:
    """Like atomic_output, for a directory (a SavedModel): yield a fresh path
    beside `path` to create; on success it replaces `path` (an existing
    directory there is removed only then); on failure nothing changes."""
    import shutil

    parent = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(dir=parent, prefix=f".{os.path.basename(path.rstrip(os.sep))}.")
    except OSError as exc:
        raise UsageError(f"{path}: cannot write here: {exc.strerror}") from None
    target = os.path.join(tmp, "out")
    old = None
    entry: tuple[str, list[str]] = (tmp, [])
    _ACTIVE.append(entry)
    try:
        yield target
        if os.path.isdir(path):
            old = tmp + ".old"
            os.replace(path, old)
        os.replace(target, path)
    except BaseException as exc:
        if old is not None and not os.path.exists(path):
            os.replace(old, path)
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise UsageError(f"{path}: cannot write: {exc.strerror or exc}; nothing was written") from None
        raise
    finally:
        _ACTIVE.remove(entry)
    shutil.rmtree(tmp, ignore_errors=True)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _remove_dirs(created: list[str]) -> None:
    for d in created:
        with contextlib.suppress(OSError):
            os.rmdir(d)


def _existing_ancestor(path: str) -> str:
    probe = os.path.dirname(os.path.abspath(path))
    while not os.path.lexists(probe):
        probe = os.path.dirname(probe)
    return probe


def check_output_location(path: str) -> None:
    """UsageError unless `path` could be written: not a directory itself, and
    its nearest existing ancestor a directory we may create files in."""
    if os.path.isdir(path):
        raise UsageError(f"{path}: is a directory")
    ancestor = _existing_ancestor(path)
    if not os.path.isdir(ancestor):
        raise UsageError(f"{path}: cannot create its directory: {ancestor} is not a directory")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise UsageError(f"{path}: cannot write here: {ancestor} is not writable")


def _identity(path: str) -> tuple:
    """What makes two paths the same file: the resolved path, and the inode
    when it exists (hard links)."""
    try:
        st = os.stat(path)
        return ("inode", st.st_dev, st.st_ino)
    except OSError:
        return ("path", os.path.realpath(path))


def check_outputs(outputs: Iterable[tuple[str, str]], inputs: Iterable[str]) -> None:
    """Refuse a run whose outputs would overwrite one of its inputs or each
    other, or cannot be written; `outputs` are (what, path) pairs such as
    ("--history", "h.json"). Raises UsageError before any work is done."""
    seen_inputs: dict[tuple, str] = {}
    for path in inputs:
        if path and path != "-":
            seen_inputs.setdefault(_identity(path), path)
            seen_inputs.setdefault(("path", os.path.realpath(path)), path)
    seen_outputs: dict = {}
    for what, path in outputs:
        keys = {_identity(path), ("path", os.path.realpath(path))}
        for key in keys:
            if key in seen_inputs:
                raise UsageError(
                    f"{what} {path}: that is also an input of this command ({seen_inputs[key]}); "
                    "writing it would destroy it"
                )
            if key in seen_outputs:
                other, other_path = seen_outputs[key]
                raise UsageError(
                    f"{what} {path} and {other} {other_path} are the same file; give them different names"
                )
        for key in keys:
            seen_outputs[key] = (what, path)
        check_output_location(path)


DEFAULT_MEMORY_LIMIT = 4 << 30


def memory_budget(limit: int | None = None) -> int:
    """The memory budget in bytes (0: none): `limit` when given (--memory-limit),
    else $NETDSL_MEMORY_LIMIT (512M, 8G, ...), else 4 GiB."""
    if limit is not None:
        return limit
    env = os.environ.get("NETDSL_MEMORY_LIMIT", "").strip()
    if not env:
        return DEFAULT_MEMORY_LIMIT
    try:
        return parse_size(env)
    except ValueError:
        raise UsageError(f"NETDSL_MEMORY_LIMIT={env!r}: expected a size such as 512M or 8G") from None


_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text: str) -> int:
    """512M, 8G, 1.5G, 1000000 (bytes), 0; ValueError otherwise."""
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = t[-1:] if t[-1:] in _UNITS else ""
    value = float(t[: len(t) - len(unit)])
    if not 0 <= value < float("inf"):
        raise ValueError(text)
    return int(value * _UNITS[unit])


def format_bytes(n: int, unit: bool = False) -> str:
    """1.5 GiB; with `unit`, the spelling parse_size reads back (rounded up): 2G."""
    for suffix, size in (("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n >= size:
            if unit:
                return f"{-(-n // size)}{suffix}"
            return f"{n / size:.1f} {suffix}iB"
    return f"{n}" if unit else f"{n} bytes"
