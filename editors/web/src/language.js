// netdsl's highlighting in CodeMirror: the same token classes as the Pygments
// lexer (netdsl/lang/highlight.py) and the TextMate grammar, as a stream parser.
import { StreamLanguage } from "@codemirror/language";

const NAME = /^[\p{L}\p{Nl}\p{No}_][\p{L}\p{N}_]*/u; // Python's [^\W\d]\w*, the grammar's NAME
const KEYWORDS = new Set(["network", "input", "output", "compile", "train", "block", "layer", "return", "import", "from", "as"]);
const DECLARES = new Set(["network", "input", "output", "block"]);

export const netdsl = StreamLanguage.define({
  name: "netdsl",
  startState: () => ({ declaring: false, arrow: false }),
  token(stream, state) {
    if (stream.eatSpace()) return null;
    if (stream.match(/^#.*/)) return "comment";
    if (stream.match(/^"[^"]*"?/)) return "string";
    const atStart = stream.sol() || /^\s*$/.test(stream.string.slice(0, stream.start));
    const arrow = state.arrow;
    state.arrow = false;
    const word = stream.match(NAME);
    if (word) {
      const text = word[0];
      if (state.declaring) {
        state.declaring = false;
        return "def";
      }
      if (KEYWORDS.has(text)) {
        state.declaring = DECLARES.has(text);
        return "keyword";
      }
      if (["true", "false", "none"].includes(text)) return "atom";
      if (atStart && stream.match(/^\s*=/, false)) return "def";
      if (stream.match(/^[ \t]*=/, false)) return "attribute";
      if (stream.match(/^[ \t]*\(/, false) || (arrow && !stream.match(/^[ \t]*\[/, false))) return "variableName.function";
      return "variableName";
    }
    if (stream.match(/^-?(\d+\.\d*|\.\d+|\d+(?=[eE]))([eE][-+]?\d+)?/) || stream.match(/^-?\d+/)) return "number";
    if (stream.match("->")) {
      state.arrow = true;
      return "operator";
    }
    if (stream.match(/^[*=:]/)) return "operator";
    stream.next();
    return "punctuation";
  },
  languageData: { commentTokens: { line: "#" }, closeBrackets: { brackets: ["(", "[", "{", '"'] } },
});
