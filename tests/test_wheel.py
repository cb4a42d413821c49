"""The package as a user gets it: build the wheel, install it (not editable)
into a fresh virtualenv, and run the CLI from outside the source tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile

from conftest import EXAMPLES, ROOT


def test_wheel_installs_and_runs_outside_the_source_tree(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(
        ROOT,
        src,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git",
            "build",
            "dist",
            "*.egg-info",
            "__pycache__",
            ".pytest_cache",
            ".hypothesis",
            "tests",
            "docs",
        ),
    )
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(src),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("netdsl-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "netdsl/grammars/netdsl.lark" in names
    assert "netdsl/grammars/lalr_tables.py" in names  # the parser is loaded from them
    for static in ("index.html", "playground.css", "playground.js", "examples/iris_concat.net"):
        assert f"netdsl/apps/serve/static/{static}" in names  # the playground needs no network
    assert not any(n.startswith(("tests/", "examples/")) for n in names)

    venv = tmp_path / "venv"
    # System site-packages provide the dependencies (TensorFlow, Lark,
    # networkx) without a download; netdsl itself comes from the wheel only.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    subprocess.run(
        [str(bindir / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )

    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(EXAMPLES / "iris_feature_groups.net", work / "spec.net")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run(
        [str(bindir / "python"), "-c", "import netdsl; print(netdsl.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.strip().startswith(str(venv)), where.stdout

    check = subprocess.run(
        [str(bindir / "netdsl"), "check", "spec.net"], cwd=work, env=env, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    assert "123 parameters" in check.stdout

    # The Pygments lexer is found by name through the wheel's entry point.
    lexed = subprocess.run(
        [str(bindir / "python"), "-m", "pygments", "-l", "netdsl", "-f", "html", "spec.net"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert lexed.returncode == 0, lexed.stderr
    assert '<span class="kd">input</span>' in lexed.stdout and '<span class="nf">dense</span>' in lexed.stdout

    build = subprocess.run(
        [str(bindir / "netdsl"), "compile", "spec.net", "-o", "out/model.keras"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    assert (work / "out" / "model.keras").read_bytes()[:2] == b"PK"
