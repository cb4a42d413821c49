"""lsp and serve: the language server, for editors, and the playground, for browsers."""

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


def cmd_serve(args) -> int:
    """netdsl serve [PATH] [--port N] [--host H]: the playground, until Ctrl-C."""
    import os
    import socket

    from ..io import UsageError

    path = args.path
    if not os.path.exists(path):
        raise UsageError(f"{path}: no such file or directory")
    if os.path.isdir(path):
        root, initial = path, None
    elif path.endswith(".net"):
        root, initial = os.path.dirname(os.path.abspath(path)), os.path.basename(path)
    else:
        raise UsageError(f"{path}: serve a directory or a .net spec")
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    import uvicorn

    from ..apps.serve.app import create_app

    app = create_app(root, initial, host=args.host)
    sock.listen(2048)  # before the URL is printed: a client may connect at once
    port = sock.getsockname()[1]
    shown = f"[{args.host}]" if family == socket.AF_INET6 else args.host
    print(
        f"netdsl serve: http://{shown}:{port}/  (serving {os.path.abspath(root)}; Ctrl-C stops)", flush=True
    )
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="netdsl serve: %(message)s")
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])
    return EXIT_OK
