// Tokenize .net files with the TextMate grammar, as VS Code does (vscode-textmate
// on the Oniguruma regex engine), and print every token as JSON:
//   node textmate/tokenize.mjs FILE...  ->  {"FILE": [[line, start, end, "text", ["scope", ...]], ...]}
// Lines and columns count from 0; columns in UTF-16 code units (JavaScript's).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";
import vsctm from "vscode-textmate";
import oniguruma from "vscode-oniguruma";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const grammarPath = path.join(here, "..", "vscode", "syntaxes", "netdsl.tmLanguage.json");
const wasm = readFileSync(path.join(path.dirname(require.resolve("vscode-oniguruma")), "onig.wasm"));
await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));

const registry = new vsctm.Registry({
  onigLib: Promise.resolve({
    createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
    createOnigString: (s) => new oniguruma.OnigString(s),
  }),
  loadGrammar: async (scopeName) =>
    scopeName === "source.netdsl"
      ? vsctm.parseRawGrammar(readFileSync(grammarPath, "utf8"), grammarPath)
      : null,
});
const grammar = await registry.loadGrammar("source.netdsl");
const out = {};
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, "utf8").replace(/^\uFEFF/, "");
  let state = vsctm.INITIAL;
  const tokens = [];
  text.split("\n").forEach((raw, lineNo) => {
    const line = raw.replace(/\r$/, "");
    const result = grammar.tokenizeLine(line, state);
    for (const t of result.tokens) {
      const end = Math.min(t.endIndex, line.length);
      if (end > t.startIndex) tokens.push([lineNo, t.startIndex, end, line.slice(t.startIndex, end), t.scopes]);
    }
    state = result.ruleStack;
  });
  out[file] = tokens;
}
process.stdout.write(JSON.stringify(out));
