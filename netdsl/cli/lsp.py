"""lsp: the language server, for editors."""

from __future__ import annotations

import logging
import sys

from ..io import EXIT_OK


def cmd_lsp(args) -> int:
    """netdsl lsp: a language server on stdin/stdout, for editors."""
    from ..apps.lsp.server import NetdslServer, run_stdio

    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="netdsl lsp: %(message)s")
    run_stdio(NetdslServer())
    return EXIT_OK
