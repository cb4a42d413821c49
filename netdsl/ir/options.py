"""Layer options Keras takes on top of a layer's own arguments: initializers,
regularizers, constraints (`kernel_initializer=he_normal(seed=1)`,
`kernel_regularizer=l2(1e-4)`, `kernel_constraint=max_norm(3)`), and
`trainable=false`.

Keras's own lists, written down as data: each name netdsl accepts, the Keras
class it becomes, and the class's arguments (tests/test_layer_options.py checks
every entry against the installed Keras, so `check` never imports it). Which
layer takes which option is Keras's constructor signature, in LAYER_OPTIONS.
"""

from __future__ import annotations

from typing import Any

from ..records import Frozen, frozen_class

# An argument's kind: "float", "int" (an axis), "seed" (an int >= 0), or the
# names it may take (a tuple).
ArgKind = str | tuple[str, ...]


@frozen_class(frozen=True)
class OptionArg(Frozen):
    name: str
    kind: ArgKind
    default: Any = None  # Keras's default, where an importer must know it (ir/setting_args.py)


@frozen_class(frozen=True)
class OptionClass(Frozen):
    """One initializer, regularizer or constraint: its Keras class and arguments (in order)."""

    class_name: str
    args: tuple[OptionArg, ...] = ()


_SEED = OptionArg("seed", "seed")
_FAN = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

INITIALIZERS: dict[str, OptionClass] = {
    "zeros": OptionClass("Zeros"),
    "ones": OptionClass("Ones"),
    "constant": OptionClass("Constant", (OptionArg("value", "float"),)),
    "random_normal": OptionClass(
        "RandomNormal", (OptionArg("mean", "float"), OptionArg("stddev", "float"), _SEED)
    ),
    "random_uniform": OptionClass(
        "RandomUniform", (OptionArg("minval", "float"), OptionArg("maxval", "float"), _SEED)
    ),
    "truncated_normal": OptionClass(
        "TruncatedNormal", (OptionArg("mean", "float"), OptionArg("stddev", "float"), _SEED)
    ),
    "glorot_normal": OptionClass("GlorotNormal", (_SEED,)),
    "glorot_uniform": OptionClass("GlorotUniform", (_SEED,)),
    "he_normal": OptionClass("HeNormal", (_SEED,)),
    "he_uniform": OptionClass("HeUniform", (_SEED,)),
    "lecun_normal": OptionClass("LecunNormal", (_SEED,)),
    "lecun_uniform": OptionClass("LecunUniform", (_SEED,)),
    "variance_scaling": OptionClass(
        "VarianceScaling",
        (
            OptionArg("scale", "float"),
            OptionArg("mode", _FAN),
            OptionArg("distribution", _DISTRIBUTIONS),
            _SEED,
        ),
    ),
    "orthogonal": OptionClass("Orthogonal", (OptionArg("gain", "float"), _SEED)),
    "identity": OptionClass("Identity", (OptionArg("gain", "float"),)),
}

_L1_L2 = OptionClass("L1L2", (OptionArg("l1", "float"), OptionArg("l2", "float")))
REGULARIZERS: dict[str, OptionClass] = {
    "l1": OptionClass("L1", (OptionArg("l1", "float"),)),
    "l2": OptionClass("L2", (OptionArg("l2", "float"),)),
    "l1_l2": _L1_L2,  # tf.keras's spelling (keras.regularizers.l1_l2)
    "l1l2": _L1_L2,  # Keras 3's
    "orthogonal_regularizer": OptionClass(
        "OrthogonalRegularizer", (OptionArg("factor", "float"), OptionArg("mode", ("rows", "columns")))
    ),
}

CONSTRAINTS: dict[str, OptionClass] = {
    "max_norm": OptionClass("MaxNorm", (OptionArg("max_value", "float"), OptionArg("axis", "int"))),
    "min_max_norm": OptionClass(
        "MinMaxNorm",
        (
            OptionArg("min_value", "float"),
            OptionArg("max_value", "float"),
            OptionArg("rate", "float"),
            OptionArg("axis", "int"),
        ),
    ),
    "non_neg": OptionClass("NonNeg"),
    "unit_norm": OptionClass("UnitNorm", (OptionArg("axis", "int"),)),
}

# family -> (its table, the Keras module of its classes)
FAMILIES: dict[str, tuple[dict[str, OptionClass], str]] = {
    "initializer": (INITIALIZERS, "initializers"),
    "regularizer": (REGULARIZERS, "regularizers"),
    "constraint": (CONSTRAINTS, "constraints"),
}


def _weights(*names: str, activity: bool = False, moving: bool = False) -> tuple[tuple[str, str], ...]:
    """The options of a layer whose weights are `names` (Keras's order: initializers,
    regularizers, constraints)."""
    out = [(f"{w}_initializer", "initializer") for w in names]
    if moving:
        out += [("moving_mean_initializer", "initializer"), ("moving_variance_initializer", "initializer")]
    out += [(f"{w}_regularizer", "regularizer") for w in names]
    if activity:
        out.append(("activity_regularizer", "regularizer"))
    out += [(f"{w}_constraint", "constraint") for w in names]
    return tuple(out)


# op -> (option, family), as Keras's constructors take them (checked by a test).
LAYER_OPTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "dense": _weights("kernel", "bias", activity=True),
    "batchnorm": _weights("beta", "gamma", moving=True),
    "layernorm": _weights("beta", "gamma"),
    "prelu": _weights("alpha"),
    "embedding": _weights("embeddings", activity=True),
    "attention": _weights("kernel", "bias", activity=True),
}


@frozen_class(frozen=True)
class KerasObject(Frozen):
    """A checked option value: `l2(0.0001)` is ("regularizer", "l2", (("l2", 0.0001),))."""

    family: str  # a key of FAMILIES
    name: str  # netdsl's name, a key of that family's table
    args: tuple[tuple[str, Any], ...] = ()  # the arguments given, in the class's order

    @property
    def class_name(self) -> str:
        return FAMILIES[self.family][0][self.name].class_name

    @property
    def module(self) -> str:
        return FAMILIES[self.family][1]

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.args)

    def __str__(self) -> str:
        """As a spec writes it: `l2(0.0001)`, `he_normal(seed=1)`, `non_neg`."""
        if not self.args:
            return self.name
        return f"{self.name}(" + ", ".join(f"{k}={_text(v)}" for k, v in self.args) + ")"


def _text(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)
