"""Golden files: the CLI's diagnostics, byte for byte, for a set of broken specs.

Each tests/golden/diagnostics/NAME.net has NAME.err beside it (stderr of
`netdsl check NAME.net`, with its exit code on the first line).
NETDSL_UPDATE_GOLDENS=1 rewrites them; review the diff before committing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import check_golden, run_cli

GOLDEN = Path(__file__).parent / "golden" / "diagnostics"


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.net")), ids=lambda p: p.stem)
def test_diagnostics_golden(path):
    r = run_cli("check", path.name, cwd=GOLDEN)
    assert "Traceback" not in r.stderr
    check_golden(path.with_suffix(".err"), f"exit {r.returncode}\n{r.stderr}")
