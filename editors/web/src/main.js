// The netdsl playground's page: CodeMirror 6 as an LSP client of `netdsl serve`
// over a WebSocket (the same language server editors run), the diagram and
// node table the server pushes after each analysis, the problems list, files
// under the served directory, the packaged examples, downloads.
// Bundled by editors/web/build.sh into netdsl/apps/serve/static/playground.js.
import { EditorView, basicSetup } from "codemirror";
import { keymap, ViewPlugin } from "@codemirror/view";
import { setDiagnostics } from "@codemirror/lint";
import {
  LSPClient,
  LSPPlugin,
  serverCompletion,
  hoverTooltips,
  formatDocument,
  formatKeymap,
  renameKeymap,
  jumpToDefinitionKeymap,
  findReferencesKeymap,
} from "@codemirror/lsp-client";
import { netdsl } from "./language.js";

const $ = (id) => document.getElementById(id);
const page = (crypto.randomUUID && crypto.randomUUID()) || String(Math.random()).slice(2);

// What tests and the benchmark read: latencies from keystroke to diagram, the last results.
const stats = { latencies: [], diagramVersion: null, diagnostics: [], sentAt: new Map(), pending: [] };
window.playground = { stats, view: null, client: null, uri: null };

let root = "";
let current = { path: "", uri: null };
let view = null;
let lastKey = null; // performance.now() of the last keydown in the editor, not yet matched to an edit

function status(text, error = false) {
  const el = $("status");
  el.textContent = text;
  el.classList.toggle("error", error);
}

// ---- the connection ---------------------------------------------------------------------

function webSocketTransport(url) {
  return new Promise((resolve, reject) => {
    const handlers = [];
    const sock = new WebSocket(url);
    sock.onmessage = (e) => handlers.forEach((h) => h(String(e.data)));
    sock.onerror = () => reject(new Error("cannot connect to the server"));
    sock.onclose = () => status("disconnected: is `netdsl serve` still running?", true);
    sock.onopen = () =>
      resolve({
        send: (m) => sock.send(m),
        subscribe: (h) => handlers.push(h),
        unsubscribe: (h) => handlers.splice(handlers.indexOf(h) >>> 0, 1),
      });
  });
}

// An LSP position in a document (UTF-16 units, as CodeMirror counts), kept inside
// it: "unexpected end of file" points just past the last character.
function offset(doc, p) {
  if (p.line + 1 > doc.lines) return doc.length;
  const line = doc.line(p.line + 1);
  return Math.min(line.from + p.character, line.to);
}

function onDiagnostics(client, params) {
  const file = client.workspace.getFile(params.uri);
  if (!file || (params.version != null && params.version !== file.version)) return true; // stale: drop
  const v = file.getView();
  const plugin = v && LSPPlugin.get(v);
  if (!v || !plugin) return true;
  const at = (p) => plugin.unsyncedChanges.mapPos(offset(plugin.syncedDoc, p));
  const mapped = params.diagnostics.map((d) => ({
    from: at(d.range.start),
    to: at(d.range.end),
    severity: d.severity === 2 ? "warning" : "error",
    message: d.message,
    source: d.code,
  }));
  v.dispatch(setDiagnostics(v.state, mapped));
  stats.diagnostics = params.diagnostics;
  showProblems(params.diagnostics, mapped);
  return true;
}

function onDiagram(client, params) {
  const file = client.workspace.getFile(params.uri);
  if (!file || params.uri !== current.uri) return true;
  const diagram = $("diagram");
  if (params.svg != null) {
    diagram.innerHTML = params.svg; // Graphviz's SVG, from our own server, labels escaped by netdsl
    showNodes(params.nodes);
    $("network").textContent =
      `${params.network}: ${params.nodes.length} layers, ${params.params.total.toLocaleString()} parameters`;
  }
  diagram.classList.toggle("stale", params.syntaxError);
  $("stale").hidden = !params.syntaxError;
  stats.diagramVersion = params.version;
  // Keystroke -> diagram on screen: measured at the next frame after the DOM changed.
  const now = performance.now();
  requestAnimationFrame(() => {
    const shown = performance.now();
    stats.pending = stats.pending.filter(([version, t0]) => {
      if (version > params.version) return true;
      stats.latencies.push({ version, ms: shown - t0, dom: now - t0 });
      return false;
    });
  });
  return true;
}

// Send every edit at once (the library's own diagnostics extension waits 500 ms):
// the server analyses the newest text only, so a burst of keystrokes costs little.
const syncNow = ViewPlugin.fromClass(
  class {
    update(update) {
      if (!update.docChanged) return;
      const plugin = LSPPlugin.get(update.view);
      if (!plugin) return;
      plugin.client.sync();
      const file = plugin.client.workspace.getFile(plugin.uri);
      if (file) stats.pending.push([file.version, lastKey ?? performance.now()]);
      lastKey = null;
    }
  },
);

// ---- the side panes ---------------------------------------------------------------------

function showProblems(diagnostics, mapped) {
  const list = $("problems");
  list.textContent = "";
  let errors = 0;
  diagnostics.forEach((d, i) => {
    const severity = d.severity === 2 ? "warning" : "error";
    if (severity === "error") errors++;
    const li = document.createElement("li");
    li.className = severity;
    const [message, ...rest] = d.message.split("\n");
    const where = document.createElement("span");
    where.className = "where";
    where.textContent = `${d.range.start.line + 1}:${d.range.start.character + 1}`;
    const code = document.createElement("span");
    code.className = "code";
    code.textContent = `${severity}[${d.code}]`;
    li.append(where, code, document.createTextNode(message));
    for (const line of rest) {
      const extra = document.createElement("span");
      extra.className = "help";
      extra.textContent = line;
      li.append(extra);
    }
    li.onclick = () => {
      view.dispatch({ selection: { anchor: mapped[i].from, head: mapped[i].to }, scrollIntoView: true });
      view.focus();
    };
    list.append(li);
  });
  const warnings = diagnostics.length - errors;
  $("counts").textContent = diagnostics.length ? `${errors} error(s), ${warnings} warning(s)` : "none";
  status(errors ? `${errors} error(s)` : "ok");
}

function showNodes(nodes) {
  const body = $("nodes").tBodies[0];
  body.textContent = "";
  for (const n of nodes) {
    const tr = body.insertRow();
    tr.className = n.output ? "output" : "";
    const cells = [n.name, n.op ?? "?", n.shape, n.params == null ? "?" : n.params.toLocaleString(),
      n.op === "merge" ? "" : n.from.join(", "), n.details];
    cells.forEach((text, i) => {
      const td = tr.insertCell();
      td.textContent = text;
      if (i === 3) td.className = "num";
    });
  }
}

// ---- files ------------------------------------------------------------------------------

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Netdsl-Page": page },
    body: JSON.stringify(body),
  };
  const response = await fetch(path, init);
  if (!response.ok) {
    let message = response.statusText;
    try { message = (await response.json()).error; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}

function open(path, text) {
  if (view) view.destroy(); // closes the document on the server
  current = { path, uri: `${root}/${path || "untitled.net"}` };
  window.playground.uri = current.uri;
  $("path").value = path;
  stats.pending = [];
  stats.diagramVersion = null;
  view = new EditorView({
    doc: text,
    parent: $("editor"),
    extensions: [
      basicSetup,
      netdsl,
      window.playground.client.plugin(current.uri, "netdsl"),
      syncNow,
      keymap.of([...formatKeymap, ...renameKeymap, ...jumpToDefinitionKeymap, ...findReferencesKeymap]),
      EditorView.domEventHandlers({ keydown: () => { lastKey ??= performance.now(); } }),
    ],
  });
  window.playground.view = view;
  view.focus();
}

async function fillPicker(listing) {
  const picker = $("picker");
  picker.textContent = "";
  const add = (label, items, prefix) => {
    if (!items.length) return;
    const group = document.createElement("optgroup");
    group.label = label;
    for (const item of items) group.append(new Option(item, prefix + item));
    picker.append(group);
  };
  picker.append(new Option("—", ""));
  add("files", listing.files, "file:");
  add("examples", listing.examples, "example:");
  picker.onchange = async () => {
    const [kind, name] = [picker.value.split(":")[0], picker.value.slice(picker.value.indexOf(":") + 1)];
    if (kind === "file") open(name, (await (await api(`/api/file?path=${encodeURIComponent(name)}`)).json()).text);
    if (kind === "example") open(name, (await (await api(`/api/example?name=${encodeURIComponent(name)}`)).json()).text);
  };
}

function download(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function filename(response, fallback) {
  const m = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
  return m ? m[1] : fallback;
}

function buttons() {
  $("new").onclick = () => open("", "");
  $("format").onclick = () => { formatDocument(view); view.focus(); };
  $("save").onclick = async () => {
    let path = $("path").value.trim();
    if (!path) return status("give the file a name ending in .net first", true);
    if (!path.endsWith(".net")) path += ".net";
    try {
      await api("/api/save", { path, text: view.state.doc.toString() });
      status(`saved ${path}`);
      if (path !== current.path) open(path, view.state.doc.toString());
      fillPicker(await (await api("/api/files")).json());
    } catch (e) { status(`not saved: ${e.message}`, true); }
  };
  $("download-svg").onclick = async () => {
    try {
      const r = await api("/api/svg", { path: $("path").value, text: view.state.doc.toString() });
      download(await r.blob(), filename(r, "diagram.svg"));
    } catch (e) { status(e.message, true); }
  };
  $("download-keras").onclick = async () => {
    status("compiling… (TensorFlow loads on the first compile)");
    try {
      const r = await api("/api/keras", { path: $("path").value, text: view.state.doc.toString() });
      download(await r.blob(), filename(r, "model.keras"));
      status("compiled");
    } catch (e) { status(`not compiled: ${e.message.split("\n")[0]}`, true); }
  };
}

async function main() {
  const listing = await (await api("/api/files")).json();
  root = listing.root;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const transport = await webSocketTransport(`${scheme}://${location.host}/lsp`);
  const client = new LSPClient({
    rootUri: root,
    timeout: 10000,
    notificationHandlers: { "textDocument/publishDiagnostics": onDiagnostics, "netdsl/diagram": onDiagram },
    extensions: [serverCompletion(), hoverTooltips()],
  }).connect(transport);
  window.playground.client = client;
  await client.initializing;
  status("connected");
  await fillPicker(listing);
  buttons();
  if (listing.initial) {
    open(listing.initial, (await (await api(`/api/file?path=${encodeURIComponent(listing.initial)}`)).json()).text);
  } else {
    open("", "");
  }
}

main().catch((e) => status(e.message, true));
