"""Train-line settings that are more than a number: `class_weight` (a weight per
class, or `balanced`) and `callbacks=[early_stopping(...), reduce_on_plateau(...)]`;
and the optimizer's learning-rate schedules (`adam(learning_rate=exponential_decay(...))`).

Checked here without Keras; the labels a map names are checked against the
data where the data is read (data/tables.py, apps/training.py), and the map is
given to `model.fit` by class index (backends/keras.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..lang import ast, codes
from ..lang.diagnostics import Diagnostic, Note, did_you_mean, error
from ..records import Frozen, frozen_class
from .core import Network, TrainSettings
from .options import OptionArg, OptionClass
from .settings import REGRESSION_LOSSES
from .values import BadValue, call_arguments, describe

BALANCED = "balanced"
_CLASS_WEIGHT_EXAMPLE = "e.g. class_weight={setosa: 1.0, versicolor: 2.0}, or class_weight=balanced"


def check_class_weight(atom: Any, net: Network, fit: TrainSettings, diags: list[Diagnostic]) -> None:
    """`class_weight=balanced` or `class_weight={label: weight, ...}`: fills fit.class_weight
    (and the labels' spans, for the check against the data)."""
    if not _one_class_output(atom, net, diags):
        return
    name = atom.name if isinstance(atom, ast.Ref) else atom.value if isinstance(atom, ast.String) else None
    if name == BALANCED:
        fit.class_weight = BALANCED
        return
    if not isinstance(atom, ast.DictLit):
        hint = did_you_mean(name, [BALANCED]) if name is not None else None
        diags.append(
            error(
                codes.BAD_TRAIN_SETTING,
                f"class_weight is a weight per class or balanced, got {describe(atom)}",
                atom.span,
                help=hint or _CLASS_WEIGHT_EXAMPLE,
            )
        )
        return
    weights: dict[str, float] = {}
    spans: dict = {}
    for pair in atom.pairs:
        label = pair.key.text
        value = ast.unwrap(pair.value) if pair.value is not None else None
        first = next((p.key.span for p in atom.pairs if p.key.text == label), pair.key.span)
        if first != pair.key.span:
            diags.append(
                error(
                    codes.BAD_TRAIN_SETTING,
                    f"class '{label}' is given a weight twice",
                    pair.key.span,
                    notes=[Note("first given here", first)],
                )
            )
        elif not isinstance(value, ast.Number) or not _is_weight(value):
            got = describe(value) if value is not None else "no weight"
            diags.append(
                error(
                    codes.BAD_TRAIN_SETTING,
                    f"a class weight is a number >= 0, got {got}",
                    value.span if value is not None else pair.span,
                    help=_CLASS_WEIGHT_EXAMPLE,
                )
            )
        else:
            weights[label], spans[label] = float(value.value), pair.key.span
    if len(weights) == len(atom.pairs):
        fit.class_weight, fit.class_weight_spans = weights, spans


def declared_sample_weight(net: Network) -> tuple[str, Any] | None:
    """The column `sample_weight=COLUMN` names on the train line and its span, read from
    the declaration (the data is read before the checks run); None when there is none."""
    decl = net.train_decl
    for kw in decl.settings if decl is not None else ():
        if kw.name.text == "sample_weight":
            atom = ast.unwrap(kw.value)
            name = _column_name(atom)
            return (name, atom.span) if name else None
    return None


def _column_name(atom: Any) -> str | None:
    name = atom.name if isinstance(atom, ast.Ref) else atom.value if isinstance(atom, ast.String) else None
    return name if isinstance(name, str) and name else None


def check_sample_weight(atom: Any, net: Network, fit: TrainSettings, diags: list[Diagnostic]) -> None:
    """`sample_weight=COLUMN`: each row weighs its loss by that column (model.fit's
    sample_weight); Keras refuses it together with class_weight."""
    name = _column_name(atom)
    if not name:
        diags.append(
            error(
                codes.BAD_TRAIN_SETTING,
                f"sample_weight names the data column holding each row's weight, got {describe(atom)}",
                atom.span,
                help='e.g. sample_weight=instance_weight, or sample_weight="instance weight"',
            )
        )
        return
    if fit.class_weight is not None:
        diags.append(
            error(
                codes.BAD_TRAIN_SETTING,
                "sample_weight and class_weight cannot be given together: Keras's model.fit refuses both",
                atom.span,
                help="keep one; a class's weight can be written into the weight column",
            )
        )
        return
    if name in net.outputs:
        diags.append(
            error(
                codes.BAD_TRAIN_SETTING,
                f"sample_weight '{name}' is the label column of output '{name}'",
                atom.span,
                help="name the column holding each row's weight",
            )
        )
        return
    fit.sample_weight, fit.sample_weight_span = name, atom.span


def _is_weight(value: Any) -> bool:
    from .ops import is_finite_number

    return isinstance(value, ast.Number) and is_finite_number(value.value) and value.value >= 0


def _one_class_output(atom: Any, net: Network, diags: list[Diagnostic]) -> bool:
    """Keras weighs the classes of a single output, trained as a classification."""
    if len(net.outputs) != 1:
        diags.append(
            error(
                codes.BAD_TRAIN_SETTING,
                f"class_weight weighs the classes of one output, but the network has {len(net.outputs)}",
                atom.span,
                help="Keras's model.fit takes class_weight only for a model with one output",
            )
        )
        return False
    loss = net.compile.loss if net.compile is not None else None
    if isinstance(loss, dict):
        loss = next(iter(loss.values()), None)
    if isinstance(loss, str) and loss in REGRESSION_LOSSES:
        diags.append(
            error(
                codes.BAD_TRAIN_SETTING,
                f"class_weight weighs classes, but {loss} trains a regression",
                atom.span,
                help="use a classification loss (categorical_crossentropy, ...), or drop class_weight",
            )
        )
        return False
    return True


def unknown_class_weight_labels(fit: TrainSettings, classes: list, column: str) -> list[Diagnostic]:
    """The labels of a class_weight map that are not classes of the label column (ND613)."""
    if not isinstance(fit.class_weight, dict):
        return []
    known = [str(c) for c in classes]
    diags = []
    for label, span in fit.class_weight_spans.items():
        if label not in known:
            shown = ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")
            diags.append(
                error(
                    codes.UNKNOWN_CLASS,
                    f"class_weight names class '{label}', which label column '{column}' does not have",
                    span,
                    help=did_you_mean(label, known) or f"its classes: {shown}",
                )
            )
    return diags


def class_weight_by_index(fit: TrainSettings, classes: list, train_labels: Any) -> dict[int, float] | None:
    """What model.fit takes: {class index: weight}. A map gives 1.0 to the classes it
    does not name; `balanced` is n_samples / (n_classes * count) over `train_labels`
    (class indices of the rows given to fit), as sklearn's compute_class_weight."""
    import numpy as np

    if fit.class_weight is None:
        return None
    if isinstance(fit.class_weight, dict):
        given = fit.class_weight
        return {i: given.get(str(c), 1.0) for i, c in enumerate(classes)}
    counts = np.bincount(np.asarray(train_labels, dtype="int64"), minlength=len(classes))
    n, k = int(counts.sum()), len(classes)
    return {i: float(n / (k * c)) if c else 1.0 for i, c in enumerate(counts.tolist())}


# ---- Keras objects called with arguments: callbacks (and learning-rate schedules) ----


@frozen_class(frozen=True)
class KerasCall(Frozen):
    """A checked call of a Keras class: `early_stopping(patience=5)` is
    ("callbacks", "early_stopping", "EarlyStopping", (("patience", 5),))."""

    module: str  # under `keras.`: "callbacks", "optimizers.schedules"
    name: str  # netdsl's (snake-case) name
    class_name: str
    args: tuple[tuple[str, Any], ...] = ()  # the arguments given, in the class's order

    @property
    def config(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.args}

    def __str__(self) -> str:
        """As a spec writes it: `early_stopping(patience=5, restore_best_weights=true)`."""
        return f"{self.name}(" + ", ".join(f"{k}={_text(v)}" for k, v in self.args) + ")"


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, tuple):
        return "[" + ", ".join(_text(x) for x in v) + "]"
    return f"{v:g}" if isinstance(v, float) else str(v)


@frozen_class(frozen=True)
class CallFamily(Frozen):
    """Keras classes a setting may call: their arguments (Keras's names, order and
    defaults: checked against the installed Keras by tests/test_fit_settings.py),
    those without a default, and the ranges Keras's constructors (or training) need."""

    what: str  # "callback", "learning-rate schedule"
    module: str
    classes: dict[str, OptionClass]
    required: dict[str, tuple[str, ...]]
    limits: dict[str, tuple[Callable[[Any], bool], str]]  # argument -> (test, what it accepts)
    code: Any  # the code of an unknown name
    example: str

    def spellings(self) -> dict[str, str]:
        """Keras class name -> netdsl's name."""
        return {entry.class_name: snake for snake, entry in self.classes.items()}


_MONITOR = OptionArg("monitor", "text", "val_loss")
_MODE = OptionArg("mode", ("auto", "min", "max"), "auto")
_NOT_NEGATIVE = (lambda v: v >= 0, "a number >= 0")

CALLBACKS = CallFamily(
    "callback",
    "callbacks",
    {
        "early_stopping": OptionClass(
            "EarlyStopping",
            (
                _MONITOR,
                OptionArg("min_delta", "float", 0),
                OptionArg("patience", "int", 0),
                _MODE,
                OptionArg("baseline", "float", None),
                OptionArg("restore_best_weights", "bool", False),
                OptionArg("start_from_epoch", "int", 0),
            ),
        ),
        "reduce_on_plateau": OptionClass(
            "ReduceLROnPlateau",
            (
                _MONITOR,
                OptionArg("factor", "float", 0.1),
                OptionArg("patience", "int", 10),
                _MODE,
                OptionArg("min_delta", "float", 0.0001),
                OptionArg("cooldown", "int", 0),
                OptionArg("min_lr", "float", 0.0),
            ),
        ),
    },
    {},
    {
        "min_delta": _NOT_NEGATIVE,
        "patience": _NOT_NEGATIVE,
        "start_from_epoch": _NOT_NEGATIVE,
        "cooldown": _NOT_NEGATIVE,
        "min_lr": _NOT_NEGATIVE,
        "factor": (lambda v: 0 < v < 1, "a number between 0 and 1 (both excluded)"),
    },
    codes.BAD_TRAIN_SETTING,
    "callbacks=[early_stopping(patience=5, restore_best_weights=true)]",
)


def keras_call(atom: Any, family: CallFamily, diags: list[Diagnostic]) -> KerasCall | None:
    """`name`, `name(args, key=value)` or Keras's `ClassName(...)`: one of the family's
    classes with its arguments checked, or None (reported)."""
    call = atom if isinstance(atom, ast.Call) else None
    name = call.op.text if call is not None else atom.name if isinstance(atom, ast.Ref) else None
    spellings = family.spellings()
    snake = name if name in family.classes else spellings.get(name or "")
    if snake is None:
        where = call.op.span if call is not None else atom.span
        said = (
            f"unknown {family.what} '{name}'" if name else f"a {family.what} is a call, got {describe(atom)}"
        )
        # a name spelled like a class is matched against the class names first
        first, then = (list(spellings), list(family.classes))
        if name and not name[:1].isupper():
            first, then = then, first
        hint = (did_you_mean(name, first) or did_you_mean(name, then)) if name else None
        diags.append(error(family.code, said, where, help=hint or f"e.g. {family.example}"))
        return None
    entry = family.classes[snake]
    try:
        args = call_arguments(str(name), entry, call) if call is not None else ()
        _check_limits(str(name), family, snake, args, call)
    except BadValue as exc:
        diags.append(error(exc.code, exc.message, exc.span or atom.span, help=exc.help))
        return None
    return KerasCall(family.module, snake, entry.class_name, args)


def _check_limits(name: str, family: CallFamily, snake: str, args, call) -> None:
    given = dict(args)
    missing = [a for a in family.required.get(snake, ()) if a not in given]
    if missing:
        signature = f"{name}(" + ", ".join(a.name for a in family.classes[snake].args) + ")"
        raise BadValue(
            codes.MISSING_ARGUMENT,
            f"{name}() needs {', '.join(missing)}",
            f"e.g. {signature}",
            call.span if call is not None else None,
        )
    for key, value in args:
        test, accepts = family.limits.get(key, (None, ""))
        if test is not None and value is not None and not test(value):
            raise BadValue(
                codes.ARGUMENT_RANGE,
                f"{name}() argument '{key}' must be {accepts}, got {_text(value)}",
                span=_argument_span(call, family.classes[snake], key),
            )


def _argument_span(call, entry: OptionClass, key: str):
    for kw in call.kwargs:
        if kw.name.text == key:
            return kw.value.span
    order = [a.name for a in entry.args]
    return call.args[order.index(key)].span


def check_callbacks(atom: Any, net: Network, fit: TrainSettings, diags: list[Diagnostic]) -> None:
    """`callbacks=[early_stopping(...), reduce_on_plateau(...)]`: each checked, its
    monitor one of the values training reports. Fills fit.callbacks."""
    items = [ast.unwrap(i) for i in atom.items] if isinstance(atom, ast.ListLit) else [atom]
    made = []
    for item in items:
        one = keras_call(item, CALLBACKS, diags)
        if one is None:
            continue
        monitor = one.config.get("monitor", "val_loss")
        problem = _monitor_problem(monitor, net, fit)
        if problem is not None:
            message, hint = problem
            span = (
                _argument_span(item, CALLBACKS.classes[one.name], "monitor")
                if "monitor" in one.config
                else None
            )
            diags.append(error(codes.UNKNOWN_MONITOR, message, span or item.span, help=hint))
            continue
        made.append(one)
    if len(made) == len(items):
        fit.callbacks = tuple(made)


def monitored_values(net: Network) -> list[str]:
    """What Keras's history will have for this compile line: the loss and each
    metric (per output, prefixed by its name, when there are several)."""
    settings = net.compile
    outputs = net.outputs
    several = len(outputs) > 1
    names = ["loss"] + ([f"{o}_loss" for o in outputs] if several else [])
    metrics = settings.metrics if settings is not None else None
    per_output = metrics if isinstance(metrics, dict) else {o: metrics or [] for o in outputs}
    for output, listed in per_output.items():
        for m in listed or []:
            key = getattr(m, "result_key", str(m))
            names.append(f"{output}_{key}" if several else key)
    return names + ["val_" + n for n in names]


def _monitor_problem(monitor: str, net: Network, fit: TrainSettings) -> tuple[str, str] | None:
    known = monitored_values(net)
    if monitor not in known:
        hint = did_you_mean(monitor, known) or "training reports: " + ", ".join(known)
        return f"training reports no '{monitor}' to monitor", hint
    if monitor.startswith("val_") and fit.validation_split == 0:
        return (
            f"'{monitor}' is measured on the validation rows, but the train line sets validation_split=0",
            f"set validation_split (e.g. 0.1), or monitor={monitor.removeprefix('val_')}",
        )
    return None


# ---- learning-rate schedules: an optimizer's learning_rate ----

_INITIAL = OptionArg("initial_learning_rate", "float")
_DECAY_STEPS = OptionArg("decay_steps", "int")
_DECAY_RATE = OptionArg("decay_rate", "float")
_STAIRCASE = OptionArg("staircase", "bool", False)
_POSITIVE = (lambda v: v > 0, "a number > 0")
_AT_LEAST_ONE = (lambda v: v >= 1, "an integer >= 1")

SCHEDULES = CallFamily(
    "learning-rate schedule",
    "optimizers.schedules",
    {
        "exponential_decay": OptionClass(
            "ExponentialDecay", (_INITIAL, _DECAY_STEPS, _DECAY_RATE, _STAIRCASE)
        ),
        "inverse_time_decay": OptionClass(
            "InverseTimeDecay", (_INITIAL, _DECAY_STEPS, _DECAY_RATE, _STAIRCASE)
        ),
        "polynomial_decay": OptionClass(
            "PolynomialDecay",
            (
                _INITIAL,
                _DECAY_STEPS,
                OptionArg("end_learning_rate", "float", 0.0001),
                OptionArg("power", "float", 1.0),
                OptionArg("cycle", "bool", False),
            ),
        ),
        "cosine_decay": OptionClass(
            "CosineDecay",
            (
                _INITIAL,
                _DECAY_STEPS,
                OptionArg("alpha", "float", 0.0),
                OptionArg("warmup_target", "float", None),
                OptionArg("warmup_steps", "int", 0),
            ),
        ),
        "cosine_decay_restarts": OptionClass(
            "CosineDecayRestarts",
            (
                _INITIAL,
                OptionArg("first_decay_steps", "int"),
                OptionArg("t_mul", "float", 2.0),
                OptionArg("m_mul", "float", 1.0),
                OptionArg("alpha", "float", 0.0),
            ),
        ),
        "piecewise_constant_decay": OptionClass(
            "PiecewiseConstantDecay", (OptionArg("boundaries", "floats"), OptionArg("values", "floats"))
        ),
    },
    {
        "exponential_decay": ("initial_learning_rate", "decay_steps", "decay_rate"),
        "inverse_time_decay": ("initial_learning_rate", "decay_steps", "decay_rate"),
        "polynomial_decay": ("initial_learning_rate", "decay_steps"),
        "cosine_decay": ("initial_learning_rate", "decay_steps"),
        "cosine_decay_restarts": ("initial_learning_rate", "first_decay_steps"),
        "piecewise_constant_decay": ("boundaries", "values"),
    },
    {
        "initial_learning_rate": _POSITIVE,
        "decay_steps": _AT_LEAST_ONE,
        "first_decay_steps": _AT_LEAST_ONE,
        "decay_rate": _POSITIVE,
        "end_learning_rate": _NOT_NEGATIVE,
        "power": _POSITIVE,
        "alpha": (lambda v: 0 <= v <= 1, "a fraction from 0 to 1"),
        "warmup_target": _POSITIVE,
        "warmup_steps": _NOT_NEGATIVE,
        "t_mul": _POSITIVE,
        "m_mul": _POSITIVE,
    },
    codes.OPTIMIZER_ARGUMENT,
    "learning_rate=exponential_decay(0.01, decay_steps=100, decay_rate=0.9)",
)


def learning_rate_schedule(atom: ast.Call, diags: list[Diagnostic]) -> KerasCall | None:
    """`exponential_decay(0.01, decay_steps=100, decay_rate=0.9)`, ...: a schedule of
    keras.optimizers.schedules with its arguments checked, or None (reported)."""
    schedule = keras_call(atom, SCHEDULES, diags)
    if schedule is None or schedule.name != "piecewise_constant_decay":
        return schedule
    problem = _piecewise_problem(schedule.config["boundaries"], schedule.config["values"])
    if problem is not None:
        diags.append(error(codes.ARGUMENT_RANGE, f"{atom.op.text}(): {problem}", atom.span))
        return None
    boundaries = tuple(int(b) for b in schedule.config["boundaries"])
    return KerasCall(
        schedule.module, schedule.name, schedule.class_name, (("boundaries", boundaries),) + schedule.args[1:]
    )


def _piecewise_problem(boundaries: list, values: list) -> str | None:
    """Keras's own rule (one more value than boundaries) and what a boundary is: a step."""
    if len(values) != len(boundaries) + 1:
        return (
            f"values needs one more item than boundaries (a learning rate before each boundary and "
            f"after the last): got {len(boundaries)} boundaries and {len(values)} values"
        )
    if any(b != int(b) or b < 0 for b in boundaries):
        return "boundaries are training steps: integers >= 0"
    if any(b >= a for b, a in zip(boundaries, boundaries[1:])):
        return "boundaries must increase"
    if any(v < 0 for v in values):
        return "values are learning rates: numbers >= 0"
    return None
