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
import stat
import tempfile
from collections.abc import Iterator

EXIT_OK, EXIT_SPEC, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3


class UsageError(Exception):
    """Bad arguments or an unreadable/unwritable path: exit 2."""


class InputFileError(Exception):
    """A spec or data file that cannot be read (an I/O problem, exit code 2)."""


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


def _remove_dirs(created: list[str]) -> None:
    for d in created:
        with contextlib.suppress(OSError):
            os.rmdir(d)


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
    shutil.rmtree(tmp, ignore_errors=True)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
