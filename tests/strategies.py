"""Hypothesis strategies for netdsl's property tests (tests/test_properties.py).

`programs()` generates VALID specs together with what netdsl must say about
them, computed independently while generating: the parameter total
(in*units + units per dense layer, ...), the number of graph nodes and the
width of every output. Every input and every named value is used, names are
unique and never keywords, so a generated spec loads with no diagnostic at all.

`mutated_specs()` takes the shipped examples and the diagnostics goldens and
breaks them: token edits, random (also non-UTF-8) bytes, truncation, very long
lines, deep nesting.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

from netdsl.ir.ops import ACTIVATIONS
from netdsl.ir.setting_args import PROBABILITY_LOSSES
from netdsl.ir.settings import LOSSES, METRICS, OPTIMIZERS, metric_problem
from netdsl.lang.parser import KEYWORDS as _KEYWORD_TOKENS

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = tuple(sorted(_KEYWORD_TOKENS.values()))  # network, input, output, compile, ...

# Activations that change the width of their input: Keras's `glu` halves the
# last axis, which netdsl's shape rule for dense does not model (a known bug,
# pinned by an xfail test in test_properties.py). Generated programs avoid it.
WIDTH_CHANGING_ACTIVATIONS = ("glu",)
SAFE_ACTIVATIONS = tuple(a for a in ACTIVATIONS if a not in WIDTH_CHANGING_ACTIVATIONS)
# Losses the generator writes: not the crossentropies, which expect probabilities and
# warn (ND513) on an output that ends linear, which a generated output may.
_LOSSES = tuple(loss for loss in LOSSES if loss not in PROBABILITY_LOSSES)

# Stems for value names. Op, activation, loss and optimizer names are not
# reserved by the language, nor are names that merely start with a keyword,
# nor non-ASCII letters (README: "Names may be any Unicode letters").
NAME_STEMS = (
    "x",
    "h",
    "z",
    "v",
    "feat",
    "branch",
    "Hidden_Sepal",
    "sepal_h",
    "petal",
    "_tmp",
    "꽃",
    "échelle",
    "β",
    "données",
    "inputs",
    "outputs",
    "networks",
    "compiled",
    "input_",
    "dense",
    "dropout",
    "concat",
    "add",
    "select",
    "standardize",
    "relu",
    "softmax",
    "adam",
    "mse",
    "accuracy",
    "loss",
    "metrics",
    "optimizer",
)
FEATURE_STEMS = (
    "a",
    "b",
    "c",
    "sepal_length",
    "sepal_width",
    "petal_length",
    "petal_width",
    "f",
    "꽃잎_길이",
    "dense",
    "relu",
    "x",
)
QUOTED_FEATURES = ("petal length", "sepal width (cm)", "a-b", "ünïcode", " ", "1st", "input")

# Optimizer arguments with values Keras accepts. netdsl accepts more (see the
# xfail tests in test_properties.py): only these are generated.
SAFE_OPTIMIZER_ARGS = {
    "learning_rate": ("0.001", "0.01", "1e-3", "0.1", ".05"),
    "beta_1": ("0.9", "0.5"),
    "beta_2": ("0.999", "0.99"),
    "epsilon": ("1e-7", "0.001"),
    "amsgrad": ("true", "false"),
    "momentum": ("0.0", "0.9", "0.5"),
    "nesterov": ("true", "false"),
    "rho": ("0.9", "0.95"),
    "centered": ("true", "false"),
    "initial_accumulator_value": ("0.1", "0"),
    "weight_decay": ("0.004", "0"),
    "clipnorm": ("1.0", "0.5"),
    "use_ema": ("true", "false"),
    "ema_momentum": ("0.99",),
    "l1_regularization_strength": ("0", "0.01"),
    "l2_regularization_strength": ("0", "0.01"),
    "gradient_accumulation_steps": ("2", "3"),
}


@dataclass
class Program:
    text: str
    params: int  # expected static parameter total
    nodes: int  # expected number of graph nodes
    outputs: dict[str, int] = field(default_factory=dict)  # output name -> width
    inputs: dict[str, int] = field(default_factory=dict)  # input name -> width
    dense_layers: int = 0

    def __repr__(self) -> str:  # hypothesis prints the failing example: show the spec
        return (
            f"Program(params={self.params}, nodes={self.nodes}, outputs={self.outputs}, text=\n{self.text})"
        )


@dataclass
class _Value:
    name: str
    width: int
    features: tuple | None  # only for inputs; None when features are unnamed
    is_input: bool


class _Gen:
    """Generates one program; `draw` is hypothesis's draw function."""

    MAX_DENSE = 12

    def __init__(self, draw):
        self.draw = draw
        self.names: set[str] = set()
        self.pool: list[_Value] = []
        self.unused: dict[str, _Value] = {}  # defined and not (yet) consumed
        self.params = 0
        self.nodes = 0
        self.dense = 0

    # ---- small pieces --------------------------------------------------------
    def pick(self, options):
        return self.draw(st.sampled_from(options))

    def chance(self, p: float = 0.5) -> bool:
        return self.draw(st.integers(0, 999)) < p * 1000

    def fresh_name(self) -> str:
        if self.pool and self.chance(0.1):
            # A name that looks like one netdsl generates (`h_dense_1`): the
            # generated names must step around it.
            base = self.pick([v.name for v in self.pool if not v.is_input] or [v.name for v in self.pool])
            name = f"{base}_{self.pick(['dense', 'select', 'concat', 'add', 'dropout'])}_1"
            if name not in self.names:
                self.names.add(name)
                return name
        stem = self.pick(NAME_STEMS)
        name = stem if self.chance(0.3) else f"{stem}{self.draw(st.integers(0, 40))}"
        k = 0
        while name in self.names or name in KEYWORDS or name in ("true", "false"):
            k += 1  # no further draws: always terminates
            name = f"{stem}_{k}"
        self.names.add(name)
        return name

    def sep(self) -> str:
        """What joins two steps of a chain: `->` on one line or split over lines."""
        return self.pick(
            [
                " -> ",
                " -> ",
                " -> ",
                "->",
                " ->\n    ",
                "\n    -> ",
                " ->  # continued\n\t",
                "\n  # a comment inside a chain\n  -> ",
            ]
        )

    def number(self, value: float, allow_exp: bool = True) -> str:
        """A decimal spelling netdsl's NUMBER/INT tokens accept."""
        if float(value).is_integer() and self.chance(0.5):
            return str(int(value))
        forms = [repr(float(value))]
        if allow_exp and value != 0:
            forms.append(f"{value:e}")
        if 0 < abs(value) < 1:
            forms.append(("-" if value < 0 else "") + repr(abs(float(value)))[1:])  # .5
        return self.pick(forms)

    def consume(self, value: _Value) -> None:
        self.unused.pop(value.name, None)

    # ---- layers after '->' ----------------------------------------------------
    def dense_call(self, units: int | None = None) -> tuple[str, int, bool, str]:
        units = units if units is not None else self.draw(st.integers(1, 16))
        written = self.units_text(units) if self.chance(0.2) else str(units)
        act = self.pick(SAFE_ACTIVATIONS)
        bias = self.chance(0.8)
        act_text = f'"{act}"' if self.chance(0.1) else act
        bias_text = "true" if bias else "false"
        forms = [
            f"dense({written}, {act_text}, use_bias={bias_text})",
            f"dense(units={written}, activation={act_text}, use_bias={bias_text})",
            f"dense({written}, {act_text}, {bias_text})",
            f"dense({written}, use_bias={bias_text}, activation={act_text})",
        ]
        if bias:
            forms += [
                f"dense({written}, {act_text})",
                f"dense({written}, activation={act_text})",
                f"dense({written}, {act_text},)",
            ]
            if act == "linear":
                forms += [f"dense({written})", f"dense(units={written})"]
        return self.pick(forms), units, bias, act

    def units_text(self, units: int) -> str:
        """`units` computed by arithmetic that comes to it (README "Computed arguments")."""
        d = self.draw(st.integers(1, 4))
        return self.pick(
            [
                f"{units + d} - {d}",
                f"{units * d} // {d}",
                f"{units * d} / {d}",
                f"max(1, {units})",
                f"floor(sqrt({units * units}))",
                f"({units - 1} + 1) * 1" if units > 1 else f"{units} * 1",
                f"-({d} - {units + d})",
            ]
        )

    def dense_params(self, n_in: int, units: int, bias: bool) -> int:
        return n_in * units + (units if bias else 0)

    def step(self, width: int, allow_merge: bool = True) -> tuple[str, int]:
        """One step after '->' applied to a value of `width`; returns (text, new width)."""
        kinds = ["dropout", "standardize"]
        if self.dense < self.MAX_DENSE:
            kinds += ["dense", "dense", "dense", "dense_repeat", "group"]
        if allow_merge and self.pool:
            kinds += ["add_after", "concat_after"]
        kind = self.pick(kinds)
        if kind == "dense":
            text, units, bias, _ = self.dense_call()
            self.params += self.dense_params(width, units, bias)
            self.nodes += 1
            self.dense += 1
            return text, units
        if kind == "dense_repeat":
            n = self.draw(st.integers(1, 3))
            text, units, bias, _ = self.dense_call()
            self.params += self.dense_params(width, units, bias) + (n - 1) * self.dense_params(
                units, units, bias
            )
            self.nodes += n
            self.dense += n
            return f"{text} * {n}", units
        if kind == "group":
            n = self.draw(st.integers(1, 2))
            text, units, bias, _ = self.dense_call()
            rate = self.pick(["0.1", "0.5", "0"])
            self.params += self.dense_params(width, units, bias) + (n - 1) * self.dense_params(
                units, units, bias
            )
            self.nodes += 2 * n
            self.dense += n
            return f"({text}{self.sep()}dropout({rate})) * {n}", units
        if kind == "dropout":
            rate = self.pick(["0", "0.0", "0.1", "0.25", "0.5", ".5", "0.99", "5e-1", "1e-3"])
            text = f"dropout(rate={rate})" if self.chance(0.2) else f"dropout({rate})"
            if self.chance(0.15):
                self.nodes += 2
                return f"{text} * 2", width
            self.nodes += 1
            return text, width
        if kind == "standardize":
            mean = [
                self.number(self.draw(st.sampled_from([0, 1, -2, 0.5, 3.25, 100, -0.125])))
                for _ in range(width)
            ]
            var = [
                self.number(self.draw(st.sampled_from([1, 0.25, 4, 0.5, 2.5, 1e-3]))) for _ in range(width)
            ]
            m, v = "[" + ", ".join(mean) + "]", "[" + ", ".join(var) + "]"
            text = self.pick(
                [
                    f"standardize(mean={m}, variance={v})",
                    f"standardize(variance={v}, mean={m})",
                    f"standardize({m}, {v})",
                ]
            )
            self.nodes += 1
            return text, width
        if kind == "add_after":
            # x -> add(b, ...): operands projected to x's width.
            ops = [self.operand(width) for _ in range(self.draw(st.integers(1, 2)))]
            self.nodes += 1
            return f"add({', '.join(ops)})", width
        # concat_after
        ops = [self.operand(None) for _ in range(self.draw(st.integers(1, 2)))]
        self.nodes += 1
        return f"concat({', '.join(t for t, _ in ops)})", width + sum(w for _, w in ops)

    def steps(self, width: int, lo: int, hi: int) -> tuple[list[str], int]:
        out = []
        for _ in range(self.draw(st.integers(lo, hi))):
            text, width = self.step(width)
            out.append(text)
        return out, width

    # ---- operands and heads ------------------------------------------------------
    def selection(self, src: _Value, count: int | None = None) -> tuple[str, int]:
        """`src[...]`: by name, index or range, each feature at most once."""
        w = src.width
        free = list(range(w))
        want = count if count is not None else self.draw(st.integers(1, w))
        items: list[str] = []
        picked = 0
        while picked < want:
            i = self.pick(free)
            kinds = ["index", "range"]
            if src.features is not None and src.features[i] is not None:
                kinds.append("name")
            kind = self.pick(kinds)
            if kind == "range":
                stop = i + 1
                while stop < w and stop in free and stop - i < want - picked and self.chance(0.6):
                    stop += 1
                start_txt = self.pick(([""] if i == 0 else []) + [str(i)] + [str(i - w)])
                stop_txt = self.pick(
                    ([""] if stop == w else []) + [str(stop)] + ([str(stop - w)] if stop < w else [])
                )
                items.append(f"{start_txt}:{stop_txt}")
                for j in range(i, stop):
                    free.remove(j)
                picked += stop - i
            else:
                items.append(src.features[i] if kind == "name" else self.pick([str(i), str(i - w)]))
                free.remove(i)
                picked += 1
        self.consume(src)
        self.nodes += 1
        trailing = "," if self.chance(0.1) else ""
        return f"{src.name}[{', '.join(items)}{trailing}]", picked

    def operand(self, width: int | None):
        """An operand of a merge. With `width`, it must have exactly that width
        (returns its text); without, any width (returns (text, width))."""
        src = self.pick(self.pool)
        self.consume(src)
        if width is None:
            if self.chance(0.6) or self.dense >= self.MAX_DENSE:
                return src.name, src.width
            text, w = self.step(src.width, allow_merge=False)
            return src.name + self.sep() + text, w
        if src.width == width and self.chance(0.5):
            return src.name
        if src.width >= width and self.chance(0.3):
            self.unused[src.name] = src  # selection() consumes it again
            return self.selection(src, width)[0]
        text, units, bias, _ = self.dense_call(width)
        self.params += self.dense_params(src.width, units, bias)
        self.nodes += 1
        self.dense += 1
        return f"{src.name}{self.sep()}{text}"

    def head(self) -> tuple[str, int, bool]:
        """The start of a value's chain: (text, width, is_plain_reference)."""
        kinds = ["ref", "ref", "select", "concat", "add", "group"]
        kind = self.pick(kinds)
        if kind == "ref":
            src = self.pick(self.pool)
            self.consume(src)
            return src.name, src.width, True
        if kind == "select":
            return (*self.selection(self.pick(self.pool)), False)
        if kind == "concat":
            ops = [self.operand(None) for _ in range(self.draw(st.integers(2, 3)))]
            self.nodes += 1
            joiner = self.pick([", ", ",\n    ", ",  # operand\n  "])
            return f"concat({joiner.join(t for t, _ in ops)})", sum(w for _, w in ops), False
        if kind == "add":
            k = self.draw(st.integers(1, 8))
            ops = [self.operand(k) for _ in range(self.draw(st.integers(2, 3)))]
            self.nodes += 1
            return f"add({', '.join(ops)})", k, False
        # group: (x -> dense(4)) as the head of a longer chain
        src = self.pick(self.pool)
        self.consume(src)
        steps, w = self.steps(src.width, 1, 2)
        return f"({src.name}{self.sep()}{self.sep().join(steps)})", w, False

    def value(self, output: bool = False, head=None) -> tuple[str, str, int]:
        """A statement `name = chain`; returns (name, text, width)."""
        name = self.fresh_name()
        if head is None:
            head = self.head()
        text, width, plain = head
        steps, width = self.steps(width, 0, 3)
        if not steps and plain:
            self.nodes += 1  # `y = x`: an identity layer called y
        # (`y = (x -> dense(4))`, `y = concat(..)`, `y = x[0:2]`: the last node is y itself)
        chain = text + "".join(self.sep() + s for s in steps)
        stmt = f"{'output ' if output else ''}{name} = {chain}"
        return name, stmt, width

    # ---- the whole program ---------------------------------------------------------
    def program(self) -> Program:
        draw = self.draw
        statements: list[str] = []
        inputs: dict[str, int] = {}
        for _ in range(draw(st.integers(1, 3))):
            name = self.fresh_name()
            width = draw(st.integers(1, 6))
            features = None
            if self.chance(0.5):
                labels, feats = [], []
                used = set()
                for j in range(width):
                    if self.chance(0.2):
                        q = self.pick(QUOTED_FEATURES)
                        if q not in used:
                            used.add(q)
                            labels.append(f'"{q}"')
                            feats.append(None)  # not selectable by name
                            continue
                    f = self.pick(FEATURE_STEMS) + (str(j) if self.chance(0.7) else "")
                    k = 0
                    while f in used:
                        k += 1
                        f = f"{f}_{k}"
                    used.add(f)
                    labels.append(f)
                    feats.append(f)
                features = tuple(feats)
                spec = "[" + ", ".join(labels) + ("," if self.chance(0.1) else "") + "]"
                if self.chance(0.1):
                    spec = "[\n    " + ",\n    ".join(labels) + "\n]"
            else:
                spec = str(width)
            statements.append(f"input {name}: {spec}")
            v = _Value(name, width, features, True)
            self.pool.append(v)
            self.unused[name] = v
            inputs[name] = width
            self.nodes += 1

        for _ in range(draw(st.integers(0, 4))):
            name, stmt, width = self.value()
            statements.append(stmt)
            v = _Value(name, width, None, False)
            self.pool.append(v)
            self.unused[name] = v

        outputs: dict[str, int] = {}
        # Mark some unused values as outputs with `output NAME`.
        for v in list(self.unused.values()):
            if not v.is_input and self.chance(0.3):
                statements.append(f"output {v.name}")
                outputs[v.name] = v.width
                self.consume(v)
        # The rest feed one or two `output y = ...` statements.
        n_out = draw(st.integers(0 if outputs else 1, 2))
        if self.unused and n_out == 0:
            n_out = 1
        rest = list(self.unused.values())
        parts = [rest[i::n_out] for i in range(n_out)] if n_out else []
        for part in parts:
            if len(part) >= 2:
                for v in part:
                    self.consume(v)
                self.nodes += 1
                head = (f"concat({', '.join(v.name for v in part)})", sum(v.width for v in part), False)
            elif len(part) == 1:
                self.consume(part[0])
                head = (part[0].name, part[0].width, True)
            else:
                head = None
            name, stmt, width = self.value(output=True, head=head)
            statements.append(stmt)
            outputs[name] = width
            self.pool.append(_Value(name, width, None, False))
        assert not self.unused, self.unused

        if self.chance(0.5):
            statements.append(self.compile_line(list(outputs)))

        # Order does not matter in netdsl: shuffle the statements.
        statements = list(draw(st.permutations(statements)))
        if self.chance(0.6):
            statements.insert(
                0 if self.chance(0.8) else len(statements),
                f"network {self.pick(['net', 'model', 'iris_concat', 'Net2', 'a'])}",
            )

        lines = ["# generated by tests/strategies.py"] if self.chance(0.5) else []
        for s in statements:
            if self.chance(0.15):
                lines.append(self.pick(["", "# a comment -> with (brackets", "\t# tabbed comment", "   "]))
            if self.chance(0.1):
                s = s + "  # trailing comment: x -> dense(3)"
            lines.append(s)
        newline = "\r\n" if self.chance(0.1) else "\n"
        text = newline.join(line.replace("\n", newline) for line in lines)
        if self.chance(0.8):
            text += newline
        if self.chance(0.05):
            text = "\ufeff" + text
        return Program(text, self.params, self.nodes, outputs, inputs, self.dense)

    def compile_line(self, outputs: list[str]) -> str:
        keys = [k for k in self.draw(st.permutations(["loss", "optimizer", "metrics"])) if self.chance(0.7)]
        # Losses first: a metric must fit the labels its output's loss is given (ND511/ND512).
        losses: dict[str, str] = {}
        loss_text = ""
        if "loss" in keys:
            if len(outputs) > 1 and self.chance(0.5):
                losses = {o: self.pick(_LOSSES) for o in outputs}
                loss_text = "loss={" + ", ".join(f"{o}: {v}" for o, v in losses.items()) + "}"
            else:
                loss = self.pick(_LOSSES)
                losses = dict.fromkeys(outputs, loss)
                loss_text = f'loss="{loss}"' if self.chance(0.1) else f"loss={loss}"
        settings = []
        for key in keys:
            if key == "loss":
                settings.append(loss_text)
            elif key == "optimizer":
                name = self.pick(sorted(OPTIMIZERS))
                allowed = [a for a in OPTIMIZERS[name][1] if a in SAFE_OPTIMIZER_ARGS]
                if self.chance(0.3):
                    settings.append(f"optimizer={name}")
                else:
                    chosen = sorted(set(self.draw(st.lists(st.sampled_from(allowed), max_size=3))))
                    args = ", ".join(f"{a}={self.pick(SAFE_OPTIMIZER_ARGS[a])}" for a in chosen)
                    settings.append(f"optimizer={name}({args})")
            else:
                settings.append(self._metrics(outputs, losses))
        if not settings:
            settings.append("loss=mse")
        return "compile " + " ".join(settings)

    def _metrics(self, outputs: list[str], losses: dict[str, str]) -> str:
        def fitting(names: list[str]) -> list[str]:
            return [
                m for m in METRICS if all(metric_problem(m, losses[o]) is None for o in names if o in losses)
            ]

        if len(outputs) > 1 and self.chance(0.5):
            subset = [o for o in outputs if self.chance(0.6)] or outputs[:1]
            pairs = ", ".join(
                f"{o}: [{', '.join(self.draw(st.lists(st.sampled_from(fitting([o])), max_size=2)))}]"
                for o in subset
            )
            return f"metrics={{{pairs}}}"
        ms = self.draw(st.lists(st.sampled_from(fitting(outputs)), max_size=3, unique=True))
        return f"metrics=[{', '.join(ms)}]"


@st.composite
def programs(draw) -> Program:
    """A valid netdsl spec with its expected parameter total, nodes and outputs."""
    return _Gen(draw).program()


# ---- mutations -------------------------------------------------------------------


def example_files() -> list[tuple[str, bytes]]:
    """examples/*.net, as bytes."""
    return [(p.name, p.read_bytes()) for p in sorted((ROOT / "examples").glob("*.net"))]


def corpus() -> list[tuple[str, bytes]]:
    """Every example and every diagnostics golden spec, as bytes."""
    goldens = sorted((ROOT / "tests" / "golden" / "diagnostics").glob("*.net"))
    return example_files() + [(p.name, p.read_bytes()) for p in goldens]


TOKEN_RE = re.compile(
    r"""
    \#[^\n]*                                             # comment
  | \r?\n                                                # newline
  | [ \t\f\r\ufeff]+                                     # blanks
  | "[^"\n]*"                                            # string
  | ->
  | -?(?:\d+\.\d*|\.\d+|\d+(?=[eE]))(?:[eE][-+]?\d+)? | -?\d+   # numbers
  | [^\W\d]\w*                                           # names
  | .                                                    # anything else, one char
""",
    re.X | re.S,
)


def tokens(text: str) -> list[str]:
    return TOKEN_RE.findall(text)


VOCABULARY = (
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "=",
    "->",
    "*",
    "-",
    ".",
    "#",
    '"',
    "\n",
    "\r\n",
    "\r",
    "\t",
    " ",
    *KEYWORDS,
    "true",
    "false",
    "epochs",
    "batch_size",
    "dense",
    "dropout",
    "standardize",
    "concat",
    "add",
    "identity",
    "select",
    "input",
    "relu",
    "softmax",
    "glu",
    "swish",
    "linear",
    "adam",
    "sgd",
    "mse",
    "accuracy",
    "loss",
    "optimizer",
    "metrics",
    "units",
    "activation",
    "use_bias",
    "rate",
    "mean",
    "variance",
    "learning_rate",
    "clipnorm",
    "x",
    "y",
    "h",
    "꽃",
    "_",
    "a_dense_1",
    "0",
    "1",
    "-1",
    "2",
    "3",
    "16",
    "0.5",
    "-0.5",
    ".5",
    "1e3",
    "1e309",
    "-1e309",
    "1e-400",
    "00",
    "1000000",
    "1000001",
    "2000000000",
    "99999999999999999999999",
    "-0",
    "1.0",
    "2.5",
    '""',
    '"a b"',
    '"relu"',
    '"',
    "dense(",
    "(x",
    "x)",
    "->->",
    "* 0",
    "* -1",
    "* 100000",
    "[0:2]",
    "[:]",
    "[-1]",
    "[5:1]",
    "[a, a]",
    "{y: mse}",
    "\x00",
    "\ufeff",
    "\u00a0",
    "\u2028",
)

_SEPARATORS = ("", " ", "\n")


@st.composite
def _token_mutation(draw):
    kind = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "insert", "replace"]))
    pos = draw(st.integers(0, 10_000))
    other = draw(st.integers(0, 10_000))
    tok = draw(st.sampled_from(VOCABULARY))
    sep = draw(st.sampled_from(_SEPARATORS))
    return ("token", kind, pos, other, tok, sep)


_DEPTHS = (1, 3, 150, 600, 2_000)
_SIZES = (100, 1_000, 5_000, 20_000)


@st.composite
def _structure_mutation(draw):
    """Token-aligned stress: wrap a token in brackets many levels deep, make a
    token very long, or insert a very long run of tokens between two tokens."""
    kind = draw(st.sampled_from(["wrap", "wrap", "lengthen", "long_run"]))
    pos = draw(st.integers(0, 10_000))
    brackets = draw(st.sampled_from(["()", "()", "[]", "{}"]))
    depth = draw(st.sampled_from(_DEPTHS))
    size = draw(st.sampled_from(_SIZES))
    return ("structure", kind, pos, brackets, depth, size)


@st.composite
def _byte_mutation(draw):
    kind = draw(st.sampled_from(["bytes", "bytes", "truncate", "long_line", "nesting", "repeat_line"]))
    pos = draw(st.integers(0, 100_000))
    data = draw(
        st.one_of(
            st.binary(min_size=1, max_size=4),
            st.sampled_from(
                [
                    b"\x00",
                    b"\xff",
                    b"\xc3",
                    b"\xe2\x82",
                    b"\r",
                    b"\t",
                    b"\r\n",
                    b"\xef\xbb\xbf",
                    b"\x80",
                    b"\xed\xa0\x80",
                    b"\xf4\x90\x80\x80",
                    "꽃".encode(),
                    b"\x1b[31m",
                ]
            ),
        )
    )
    size = draw(st.sampled_from(_SIZES))
    return ("bytes", kind, pos, data, size)


def mutations(max_size: int = 4):
    return st.lists(
        st.one_of(_token_mutation(), _token_mutation(), _structure_mutation(), _byte_mutation()),
        min_size=1,
        max_size=max_size,
    )


_LONG = ("x" * 2, "-> dense(1) ", "a, ", "# ", "(", "[", "꽃", "1", " ", "9")
_RUNS = ("-> dense(1) ", "-> dropout(0.1) ", "x, ", "1, ", "# ", "\n", "\t", "(", ")", "->", "9")


def apply_mutation(data: bytes, m) -> bytes:
    if m[0] in ("token", "structure"):
        text = data.decode("utf-8", "surrogateescape")
        toks = tokens(text) or [""]
        i = m[2] % len(toks)
        if m[0] == "token":
            _, kind, pos, other, tok, sep = m
            if kind == "delete":
                del toks[i]
            elif kind == "duplicate":
                toks.insert(i, toks[i] + sep)
            elif kind == "swap":
                j = i + 1 if i + 1 < len(toks) else i - 1
                if j >= 0:
                    toks[i], toks[j] = toks[j], toks[i]
            elif kind == "insert":
                toks.insert(i, sep + tok + sep)
            else:  # replace
                toks[i] = tok
        else:
            _, kind, pos, brackets, depth, size = m
            if kind == "wrap":
                # Prefer a token that carries a value: names and numbers.
                values = [k for k, t in enumerate(toks) if re.match(r"[\w\-.\"]", t)]
                if values:
                    i = values[pos % len(values)]
                toks[i] = brackets[0] * depth + toks[i] + brackets[1] * depth
            elif kind == "lengthen":
                numbers = [k for k, t in enumerate(toks) if re.fullmatch(r"-?\d+", t)]
                if numbers:
                    i = numbers[pos % len(numbers)]
                    toks[i] = toks[i] + "9" * size
                else:
                    toks[i] = toks[i] * (size // max(len(toks[i]), 1))
            else:  # long_run
                toks.insert(i, _RUNS[pos % len(_RUNS)] * (size // 10))
        return "".join(toks).encode("utf-8", "surrogateescape")
    _, kind, pos, payload, size = m
    i = pos % (len(data) + 1)
    if kind == "bytes":
        return data[:i] + payload + data[i + 1 :]
    if kind == "truncate":
        return data[:i]
    if kind == "long_line":
        unit = _LONG[pos % len(_LONG)].encode()
        return data[:i] + unit * (size // len(unit)) + data[i:]
    if kind == "nesting":
        n = size // 10
        return data[:i] + b"(" * n + b"x" + b")" * n + data[i:]
    # repeat_line: one line of the file many times (many statements)
    lines = data.split(b"\n")
    line = lines[pos % len(lines)]
    return b"\n".join(lines + [line] * (size // 100))


def mutated_specs(base=None, max_mutations: int = 4):
    """(base file name, mutations, mutated bytes). The files are read once, here."""
    files = list(base) if base is not None else corpus()

    @st.composite
    def build(draw):
        name, data = draw(st.sampled_from(files))
        ms = draw(mutations(max_mutations))
        for m in ms:
            data = apply_mutation(data, m)
        return name, ms, data

    return build()


# ---- hostile text: deep nesting, long lines, control characters -------------------------

_BRACKETS = ("()", "[]", "{}")


@st.composite
def deeply_nested_specs(draw) -> tuple[str, int, str]:
    """(spec, depth, brackets): a value wrapped in brackets `depth` deep, in one of the places
    a value may stand (an input's width, a layer's argument, a chain's group, a loss)."""
    depth = draw(st.sampled_from((1, 2, 50, 99, 100, 101, 150, 1_000, 3_000)))
    pair = draw(st.sampled_from(_BRACKETS))
    wrap = lambda v: pair[0] * depth + v + pair[1] * depth  # noqa: E731
    place = draw(st.sampled_from(("width", "argument", "group", "loss", "block")))
    if place == "width":
        return f"input x: {wrap('4')}\noutput y = x -> dense(1)\n", depth, pair
    if place == "argument":
        return f"input x: 4\noutput y = x -> dense({wrap('2')})\n", depth, pair
    if place == "group":
        return f"input x: 4\noutput y = x -> {wrap('dense(2)')}\n", depth, pair
    if place == "loss":
        return f"input x: 4\noutput y = x -> dense(1)\ncompile loss={wrap('mse')}\n", depth, pair
    return f"block b() (x) {{\n    return {wrap('x')}\n}}\ninput x: 4\noutput y = x -> b()\n", depth, pair


_LONG_UNITS = ("a, ", "x -> dense(1) ", "1, ", "\t", "꽃", " ", "f_1, ")


@st.composite
def long_line_specs(draw) -> tuple[str, str]:
    """(spec, the long line's text): a statement made very long with a
    mistake at its start, its middle or its end (or none)."""
    unit = draw(st.sampled_from(_LONG_UNITS))
    size = draw(st.sampled_from((200, 5_000, 60_000, 300_000)))
    where = draw(st.sampled_from(("start", "middle", "end", "nowhere")))
    body = unit * (size // len(unit))
    bad = draw(st.sampled_from(("$", "oops oops", ")", "dens(1)")))
    half = len(body) // 2
    if where == "start":
        body = bad + " " + body
    elif where == "middle":
        body = body[:half] + " " + bad + " " + body[half:]
    elif where == "end":
        body = body + " " + bad
    line = f"input x: [{body}]"
    return f"{line}\noutput y = x -> dense(1)\n", line


CONTROL_CHARACTERS = tuple(chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0x9B))
_INVISIBLE = ("\u202e", "\u200b", "\u2066", "\ufeff", "\u00ad")


@st.composite
def control_character_specs(draw) -> tuple[str, str]:
    """(spec, file name): a control character (or an invisible format
    character) in a feature name, a selection, a comment, a name or the file name."""
    ch = draw(st.sampled_from(CONTROL_CHARACTERS + _INVISIBLE))
    place = draw(st.sampled_from(("feature", "selection", "comment", "name", "file", "import")))
    file = f"c{ch}.net" if place == "file" and ch not in ("\x00", "/") else "c.net"
    spec = {
        "feature": f'input x: [a, "b{ch}"]\noutput y = x -> dense(1)\n',
        "selection": f'input x: [a, b]\noutput y = x["a{ch}"] -> dense(1)\n',
        "comment": f"input x: 4  # note {ch}[31m red\noutput y = x -> dens(1)\n",
        "name": f"input x{ch}y: 4\noutput y = x -> dense(1)\n",
        "file": "input x: 4\noutput y = x -> dens(1)\n",
        "import": f'import "lib{ch}.net"\ninput x: 4\noutput y = x -> dense(1)\n',
    }[place]
    return spec, file


# ---- records and encodings (issue 12) ----------------------------------------------------

TOKENS = ("Biscoe", "Dream", "Torgersen", "male", "female", "a b", "é", "x-1", "NA?")


@dataclass
class RecordProgram:
    """A valid spec of a record with typed columns and encodings, every size
    known without data (vocabularies declared), with what netdsl must say."""

    text: str
    params: int  # expected static parameter total
    width: int  # the output's width
    numbers: list[str]  # the numeric columns (missing cells allowed: each is filled)
    categories: dict[str, tuple]  # category column -> its declared vocabulary
    closed: frozenset[str] = frozenset()  # columns read by a lookup(oov=0): no value outside the vocabulary

    def __repr__(self) -> str:
        return f"RecordProgram(params={self.params}, width={self.width}, text=\n{self.text})"


def _string_encoding(draw, field: str, size: int) -> tuple[str, int, int]:
    """(chain after `r[field]`, its width, its parameters) for a string category of `size` values."""
    kind = draw(
        st.sampled_from(("one_hot", "lookup_one_hot", "embedding", "hash", "fill", "multi_hot", "count"))
    )
    if kind == "one_hot":
        return "one_hot", size + 1, 0
    if kind == "lookup_one_hot":
        oov = draw(st.integers(0, 3))
        return f"lookup(oov={oov}) -> one_hot", size + oov, 0
    if kind == "embedding":
        dim = draw(
            st.sampled_from(("2", "3", "floor(sqrt(vocab_size()))", "max(2, ceil(log2(vocab_size())))"))
        )
        v = size + 1
        d = {"2": 2, "3": 3}.get(dim) or (
            math.floor(math.sqrt(v)) if dim.startswith("floor") else max(2, math.ceil(math.log2(v)))
        )
        return f"lookup -> embedding({dim}) -> flatten", d, v * d
    if kind == "hash":
        bins = draw(st.integers(2, 9))
        return f"hash({bins}) -> one_hot", bins, 0
    if kind == "fill":
        return 'fill("zz") -> one_hot', size + 1, 0
    if kind == "multi_hot":
        return "multi_hot", size + 1, 0
    return "lookup(output_mode=count)", size + 1, 0


@st.composite
def record_programs(draw) -> RecordProgram:
    n_numbers = draw(st.integers(1, 3))
    numbers = [f"n{i}" for i in range(n_numbers)]
    n_strings = draw(st.integers(1, 3))
    categories: dict[str, tuple] = {}
    fields = list(numbers)
    for i in range(n_strings):
        vocab = tuple(draw(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=4, unique=True)))
        categories[f"s{i}"] = vocab
        fields.append(f"s{i}: string(vocabulary=[{', '.join(f'{chr(34)}{t}{chr(34)}' for t in vocab)}])")
    if draw(st.booleans()):
        years = tuple(draw(st.lists(st.integers(1990, 2030), min_size=1, max_size=3, unique=True)))
        categories["year"] = years
        fields.append(f"year: int(vocabulary=[{', '.join(map(str, years))}])")
    lines = ["input r: {" + ", ".join(fields) + "}"]
    parts, width, params = [], 0, 0
    closed: set[str] = set()
    k = len(numbers)
    means, variances = ", ".join("0" for _ in numbers), ", ".join("1" for _ in numbers)
    fill = draw(st.sampled_from(("0", "1.5", "[" + ", ".join("2" for _ in numbers) + "]")))
    lines.append(
        f"nums = r[0:{k}] -> concat -> fill({fill}) -> standardize(mean=[{means}], variance=[{variances}])"
    )
    parts.append("nums")
    width += k
    if draw(st.booleans()):
        lines.append("bins = r[n0] -> fill(0) -> discretize(boundaries=[-1, 0, 1]) -> one_hot")
        parts.append("bins")
        width += 4
    for name, vocab in categories.items():
        if name == "year":
            if draw(st.booleans()):
                chain, w, p = "one_hot", len(vocab) + 1, 0
            else:
                chain, w, p = "hash(5, output_mode=one_hot)", 5, 0
        else:
            chain, w, p = _string_encoding(draw, name, len(vocab))
        lines.append(f"e_{name} = r[{name}] -> {chain}")
        if chain.startswith("lookup(oov=0)"):
            closed.add(name)
        parts.append(f"e_{name}")
        width += w
        params += p
    if n_strings >= 2 and draw(st.booleans()):
        bins = draw(st.integers(2, 16))
        lines.append(f"crossed = cross(r[s0], r[s1], bins={bins}) -> one_hot")
        parts.append("crossed")
        width += bins
    units, out = draw(st.integers(1, 8)), draw(st.integers(1, 4))
    act = draw(st.sampled_from(("relu", "tanh", "linear")))
    lines.append(f"output y = concat({', '.join(parts)}) -> dense({units}, {act}) -> dense({out})")
    params += width * units + units + units * out + out
    return RecordProgram("\n".join(lines) + "\n", params, out, numbers, categories, frozenset(closed))


# ---- values of rank 3: rows of vectors (issue 13) ---------------------------------------


@dataclass
class RowsProgram:
    text: str
    params: int  # expected total
    non_trainable: int
    rows: tuple[int, int]  # the shape of the stacked value, (n, d), before the chain
    width: int  # of output y


def _rows_step(draw, d: int) -> tuple[str, int, int, int]:
    """One layer on rows of width d: (chain text, new width, trainable, non-trainable)."""
    kinds = ("attention", "attention", "layernorm", "batchnorm", "dense", "dropout", "clip")
    kind = draw(st.sampled_from(kinds))
    if kind == "clip":
        low = draw(st.sampled_from((-1, -0.5, 0)))
        return f"clip({low}, {draw(st.sampled_from((0, 0.5, 2)))})", d, 0, 0
    if kind == "attention":
        h, k = draw(st.integers(1, 3)), draw(st.integers(1, 6))
        v = draw(st.one_of(st.none(), st.integers(1, 6)))
        bias = draw(st.booleans())
        args = f"{h}, {k}" + (f", value_dim={v}" if v else "") + ("" if bias else ", use_bias=false")
        args += draw(st.sampled_from(("", ", dropout=0.1")))
        v = v or k
        # query, key and value kernels (d -> h x k, h x k, h x v), output kernel (h x v -> d)
        weights = 2 * d * h * k + d * h * v + h * v * d
        biases = (2 * h * k + h * v + d) if bias else 0
        return f"attention({args})", d, weights + biases, 0
    if kind == "layernorm":
        return "layernorm", d, 2 * d, 0
    if kind == "batchnorm":
        return "batchnorm", d, 2 * d, 2 * d
    if kind == "dropout":
        return "dropout(0.2)", d, 0, 0
    units = draw(st.integers(1, 8))
    act = draw(st.sampled_from(("relu", "tanh", "gelu", "linear")))
    return f"dense({units}, {act})", units, d * units + units, 0


@st.composite
def rows_programs(draw) -> RowsProgram:
    """A spec stacking n dense projections of an input into (n, d) (or one projection reshaped
    or repeated into n rows), then layers on that
    rank-3 value (self-attention, norms, dense on the last axis, clip, residual adds), sometimes
    attention to a memory of other rows and width, a position embedding added, the rows
    joined on axis 1, flattened (flatten, reshape), pooled over the rows or summed weighted by
    n weights (weighted_sum)."""
    width, n, d = draw(st.integers(1, 5)), draw(st.integers(2, 4)), draw(st.integers(1, 6))
    lines = [f"input x: {width}"]
    start = draw(st.sampled_from(("stack", "reshape", "repeat")))
    if start == "stack":
        parts = ", ".join(f"x -> dense({d})" for _ in range(n))
        lines.append(f"s = stack({parts}, axis=1)")
        trainable, frozen = n * (width * d + d), 0
    elif start == "reshape":  # one projection cut into n rows, one size maybe left to -1
        dims = draw(st.sampled_from(((n, d), (n, -1), (-1, d))))
        lines.append(f"s = x -> dense({n * d}) -> reshape({dims[0]}, {dims[1]})")
        trainable, frozen = width * n * d + n * d, 0
    else:  # one projection repeated as n rows
        lines.append(f"s = x -> dense({d}) -> repeat({n})")
        trainable, frozen = width * d + d, 0
    stacked = (n, d)
    prev, cur = "s", d
    for i in range(draw(st.integers(1, 4))):
        step, new, t, f = _rows_step(draw, cur)
        if new == cur and draw(st.booleans()):
            lines.append(f"r{i} = add({prev} -> {step}, {prev})")  # a skip connection, as transformers
        else:
            lines.append(f"r{i} = {prev} -> {step}")
        prev, cur, trainable, frozen = f"r{i}", new, trainable + t, frozen + f
    if draw(st.booleans()):  # attention of the rows to other rows: a memory of its own width
        rows, dm, heads, key_dim = (draw(st.integers(1, 4)) for _ in range(4))
        memory = ", ".join(f"x -> dense({dm})" for _ in range(rows))
        one_row = f"x -> dense({dm}) -> expand_dims(1)"  # stack() needs two
        lines.append(f"m = {one_row}" if rows == 1 else f"m = stack({memory}, axis=1)")
        lines.append(f"c = {prev} -> attention({heads}, {key_dim}, value=m)")
        projections = heads * key_dim
        trainable += rows * (width * dm + dm)
        trainable += (cur + 1) * projections + 2 * (dm + 1) * projections + projections * cur + cur
        prev = "c"
    if draw(st.booleans()):  # a learned position embedding added (its table may have spare rows)
        table = n + draw(st.integers(0, 2))
        lines.append(f"p = add({prev}, {prev} -> positions -> embedding({cur}, input_dim={table}))")
        prev, trainable = "p", trainable + table * cur
    if draw(st.booleans()):  # the rows joined with themselves: (n, d) and (n, d) -> (2n, d)
        lines.append(f"j = concat({prev}, {prev}, axis=1)")
        prev, n = "j", 2 * n
    out = draw(st.integers(1, 3))
    if draw(st.booleans()):  # a variable selection network's end: n weights of x, the rows' weighted sum
        act = draw(st.sampled_from(("softmax", "sigmoid")))
        lines.append(f"output y = weighted_sum(x -> dense({n}, {act}), {prev}) -> dense({out})")
        trainable += width * n + n + cur * out + out
    elif draw(st.booleans()):  # pooled over the rows
        pool = draw(st.sampled_from(("global_avg_pool", "global_max_pool")))
        lines.append(f"output y = {prev} -> {pool} -> dense({out})")
        trainable += cur * out + out
    else:
        flat = draw(st.sampled_from(("flatten", "reshape(-1)", f"reshape({n * cur})")))
        lines.append(f"output y = {prev} -> {flat} -> dense({out})")
        trainable += n * cur * out + out
    return RowsProgram("\n".join(lines) + "\n", trainable + frozen, frozen, stacked, out)


# ---- odd CSVs: quoting, line breaks in cells, blank lines, line endings, bad widths ------

# (as written in the file, the value a CSV reader gives back)
_CSV_CELLS = (
    ('"a,b"', "a,b"),  # a comma inside quotes
    ('"say ""hi"""', 'say "hi"'),  # doubled quotes
    ('"p\nq"', "p\nq"),  # a line break inside a quoted label: a new physical line
    ('"p\u2028q"', "p\u2028q"),  # LINE SEPARATOR: a character, not a line break, in CSV
    ('" padded "', " padded "),
    ("", ""),  # an empty cell (a gap)
    ("NA", "NA"),
    ("꽃", "꽃"),
)


@dataclass
class OddCsv:
    text: str
    columns: list[str]
    records: list[list[str]]  # the values a reader must give back, row by row
    lines: list[int]  # the physical line each record starts on (from 1)
    error: tuple[str, int] | None  # (code, line) a reader must report instead


@st.composite
def odd_csvs(draw) -> OddCsv:
    """A CSV with the features that break hand-written readers: quoted commas
    and quotes, line breaks and U+2028 inside quoted cells, empty lines,
    LF / CRLF / CR line endings, a missing final line end; sometimes a row
    with a cell too few or too many (ND610 at its line) or a header naming a
    column twice (ND611 at the header's line)."""
    eol = draw(st.sampled_from(("\n", "\r\n", "\r")))
    width = draw(st.integers(2, 4))
    columns = [f"c{j}" for j in range(width)]
    header = list(columns)
    error: tuple[str, int] | None = None
    lead = draw(st.integers(0, 1))  # blank lines before the header
    out = [eol] * lead
    line = 1 + lead
    if draw(st.integers(0, 3)) == 0:
        header[-1] = header[0]
        error = ("ND611", line)
    out.append(",".join(header) + eol)
    line += 1
    records: list[list[str]] = []
    lines: list[int] = []
    bad = draw(st.integers(-1, 5)) if error is None else -1  # the index of a row of the wrong width
    for i in range(draw(st.integers(1, 6))):
        for _ in range(draw(st.integers(0, 2))):
            out.append(eol)  # empty lines, skipped (a line of spaces or commas is a row)
            line += 1
        first = str(draw(st.integers(-999, 999)))  # a row's first cell is never blank
        cells = [(first, first)] + [draw(st.sampled_from(_CSV_CELLS)) for _ in range(width - 1)]
        if i == bad:
            cells = cells[:-1] if draw(st.booleans()) else cells + [("9", "9")]
            error = ("ND610", line)
        lines.append(line)
        records.append([value for _, value in cells])
        written = ",".join(text for text, _ in cells)
        out.append(written + eol)
        line += 1 + written.count("\n")
    if draw(st.booleans()):
        out[-1] = out[-1][: -len(eol)]  # no line end after the last row
    return OddCsv("".join(out), columns, records, lines, error)
