"""Shared helpers: the CLI as a real subprocess, paths, goldens."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
IRIS_CSV = EXAMPLES / "data" / "iris.csv"
PENGUINS_CSV = EXAMPLES / "data" / "penguins.csv"
UPDATE_GOLDENS = os.environ.get("NETDSL_UPDATE_GOLDENS") == "1"


def run_cli(*args, cwd=None, timeout=300, env=None, umask=-1, input=None) -> subprocess.CompletedProcess:
    """`python -m netdsl ARGS` in a fresh process (with that umask, and `input`
    on standard input); returns the completed process."""
    return subprocess.run(
        [sys.executable, "-m", "netdsl", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        umask=umask,
        input=input,
    )


def example_paths() -> list[Path]:
    return sorted(EXAMPLES.glob("*.net"))


def data_for(path: Path) -> Path | None:
    """The data an example needs to compile: the file its `# data: PATH` line names
    (relative to the spec), else iris for standardize layers that adapt."""
    text = path.read_text(encoding="utf-8")
    named = re.search(r"^# data: (\S+)", text, re.M)
    if named:
        return path.parent / named.group(1)
    code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())  # not its comments
    return IRIS_CSV if "standardize" in code and "mean=" not in code else None


def check_golden(path: Path, actual: str) -> None:
    """Compare with a golden file; NETDSL_UPDATE_GOLDENS=1 rewrites it for review."""
    if UPDATE_GOLDENS or not path.exists():
        if not UPDATE_GOLDENS:
            pytest.fail(f"golden file {path} is missing; run with NETDSL_UPDATE_GOLDENS=1 and review it")
        path.write_text(actual, encoding="utf-8")
        return
    assert actual == path.read_text(encoding="utf-8"), f"output differs from {path}"


@pytest.fixture
def spec(tmp_path):
    """Write a spec string to a file in tmp_path; returns its path."""

    def write(text: str, name: str = "spec.net") -> Path:
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        return p

    return write
