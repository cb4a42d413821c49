// The netdsl extension: starts `netdsl lsp` (configurable) for .net files.
// Highlighting comes from syntaxes/netdsl.tmLanguage.json; everything else
// (diagnostics, hover, go to definition, references, rename, completion,
// symbols, formatting, quick fixes) from the language server.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("netdsl");
  const [command, ...args] = config.get("server.command") || ["netdsl", "lsp"];
  const serverOptions = { command, args, transport: TransportKind.stdio };
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "netdsl" },
      { scheme: "untitled", language: "netdsl" },
    ],
    initializationOptions: { includePaths: config.get("server.includePaths") || [] },
  };
  client = new LanguageClient("netdsl", "netdsl", serverOptions, clientOptions);
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
