"""The language server (`netdsl lsp`): diagnostics, hover, navigation, rename,
completion, symbols, formatting and quick fixes for .net files, over stdio for
editors and over a WebSocket for the playground (netdsl.apps.serve).

    model.py       the one adapter over the analysed graph; analysis itself
    index.py       names defined and used in one file
    navigate.py    definitions and references across files (imports)
    documents.py   open documents; one analysis at a time, never stale
    convert.py     positions and diagnostics in LSP terms, quick fixes
    describe.py    signatures and hover words
    completion.py  completion from the statement's tokens
    features.py    the handlers
    server.py      the server, stdio transport, error responses
"""
