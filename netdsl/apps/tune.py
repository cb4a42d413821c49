"""netdsl tune: search a spec's space for the best concrete spec.

A trial is one point of the space: a concrete spec, trained with the same
seed as every other trial (so trials differ only in their values) on the
same split, or the same folds. Its score is the objective's value on rows it
did not train on: the last epoch's validation value, or with folds the mean
over the held-out folds. The objective is the spec's first metric (higher is
better) or else its loss (lower is better).

Searches: grid (every combination; continuous ranges at 3 points), random
(seeded samples) and bayes (Optuna's TPE sampler, seeded; trials asked in
batches of --jobs). `--scheduler asha` stops bad trials early by successive
halving: every trial trains for the first rung's epochs, the best third goes
on to three times as many, and so on up to the spec's epochs. A trial that
goes on is retrained from the start with the same seed, which gives the same
first epochs, and promotion is decided rung by rung, so the result does not
depend on which trial finishes first or on the executor: the same seed gives
the same trials and results sequentially, in a pool and on Ray.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

from ..lang.source import Source
from .runner import RunResult, make_runner, make_task
from .space import Space

ETA = 3  # successive halving keeps the best 1/ETA of each rung


@dataclass
class Trial:
    number: int
    point: tuple[str, ...]
    values: dict  # label -> value
    text: str
    epochs: int = 0
    score: float | None = None
    test: dict = field(default_factory=dict)
    history: dict = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None
    rung: int = 0


@dataclass
class Objective:
    metric: str  # e.g. "accuracy" or "loss"
    higher_is_better: bool

    def key(self, score: float | None) -> float:
        """Sort key: best first."""
        if score is None or math.isnan(score):
            return math.inf
        return -score if self.higher_is_better else score

    def describe(self) -> str:
        return f"{self.metric} ({'higher' if self.higher_is_better else 'lower'} is better)"


def objective_of(g) -> Objective:
    from ..ir.core import network

    net = network(g)
    metrics = net.compile.metrics if net.compile else None
    if isinstance(metrics, dict):
        metrics = next(iter(metrics.values()), [])
    from ..ir.settings import HIGHER_IS_BETTER_METRICS, PER_CLASS_METRICS

    # a per-class metric is a list, not one score to rank by
    names = [m for m in (metrics or []) if isinstance(m, str) and m not in PER_CLASS_METRICS]
    if names and len(net.outputs) == 1:
        # the history's key: a metric's `name=` when given (`FalseNegatives(name=fn)`)
        return Objective(getattr(names[0], "result_key", names[0]), names[0] in HIGHER_IS_BETTER_METRICS)
    return Objective("loss", False)


def score_of(objective: Objective, result, folds: bool) -> float | None:
    """The objective on held-out rows: the fold's test value, else the last
    validation value (the test value when there is no validation split)."""
    if folds:
        return result.test.get(objective.metric)
    curve = result.history.get("val_" + objective.metric)
    return curve[-1] if curve else result.test.get(objective.metric)


def rungs(max_epochs: int) -> list[int]:
    """Epochs of each rung of successive halving, the last being max_epochs."""
    out = [max_epochs]
    while out[0] // ETA >= 1 and len(out) < 4:
        out.insert(0, out[0] // ETA)
    return out


@dataclass
class TuneRun:
    """Everything a trial needs besides its point."""

    space: Space
    data: str
    settings: dict  # shared train settings (epochs, batch_size, ...; seed)
    objective: Objective
    columns: dict = field(default_factory=dict)
    include_paths: tuple = ()
    folds: int | None = None
    jobs: int = 1
    runner: object = None  # an executor of netdsl.apps.runner, kept for every round of trials
    progress: Callable[[Trial], None] | None = None  # called as each trial finishes

    def executor(self):
        if self.runner is None:
            self.runner = make_runner(1)
        return self.runner

    def run(self, trials: list[Trial], epochs: int | None) -> None:
        """Train `trials` (each on every fold) and fill in their scores; `epochs`
        overrides the epochs of the settings and of each trial's spec."""
        folds = [(i, self.folds) for i in range(self.folds)] if self.folds else [None]
        todo = [t for t in trials if t.error is None]
        tasks = [
            make_task(
                self.space.source.name,
                self.data,
                {**self.settings, "epochs": epochs} if epochs else self.settings,
                columns=self.columns,
                fold=fold,
                text=t.text,
                include_paths=self.include_paths,
                keep_going=True,
            )
            for t in todo
            for fold in folds
        ]
        raw = self.executor().map(tasks)
        for k, t in enumerate(todo):
            done = raw[k * len(folds) : (k + 1) * len(folds)]
            failed = next((r["error"] for r in done if "error" in r), None)
            if failed is not None:  # e.g. ND612, the loss became NaN: this trial fails, the search goes on
                t.error, t.epochs = failed.splitlines()[0], epochs or t.epochs
                if self.progress:
                    self.progress(t)
                continue
            mine = [RunResult.from_dict(r) for r in done]
            scores = [score_of(self.objective, r, bool(self.folds)) for r in mine]
            t.epochs = epochs or mine[0].settings["epochs"]
            known = [x for x in scores if x is not None]
            t.score = statistics.fmean(known) if len(known) == len(scores) else None
            t.test = {m: _mean([r.test[m] for r in mine]) for m in mine[0].test}
            t.history = mine[0].history
            t.seconds += sum(r.seconds for r in mine)
            if self.progress:
                self.progress(t)


def _mean(values: list):
    """The mean over folds; per class for a metric Keras reports per class."""
    if values and isinstance(values[0], list):
        return [statistics.fmean(column) for column in zip(*values)]
    return statistics.fmean(values)


def make_trials(space: Space, points: list[tuple[str, ...]], first: int = 0) -> list[Trial]:
    """Trials for the points; a point whose concrete spec has errors is a failed trial."""
    from ..ir.core import network
    from ..ir.pipeline import analyze
    from ..lang.diagnostics import has_errors

    trials = []
    for k, point in enumerate(points):
        text = space.concrete(point)
        trial = Trial(first + k + 1, point, dict(zip([d.label for d in space.dimensions], point)), text)
        diags = network(analyze(Source(space.source.name, text))).diagnostics
        if has_errors(diags):
            first_error = next(d for d in diags if d.severity == "error")
            trial.error = f"[{first_error.code}] {first_error.message}"
        trials.append(trial)
    return trials


def successive_halving(tune: TuneRun, trials: list[Trial], max_epochs: int) -> None:
    alive = [t for t in trials if t.error is None]
    for rung, epochs in enumerate(rungs(max_epochs)):
        for t in alive:
            t.rung = rung
        tune.run(alive, epochs)
        alive.sort(key=lambda t: (tune.objective.key(t.score), t.number))
        alive = alive[: max(1, math.ceil(len(alive) / ETA))]


def bayes(tune: TuneRun, n_trials: int, seed: int) -> list[Trial]:
    """Optuna's TPE sampler, seeded; asks `jobs` points at a time."""
    try:
        import optuna
    except ImportError:
        from ..io import UsageError

        raise UsageError("--search bayes needs Optuna: pip install 'netdsl[tune]'") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed)
    if tune.objective.higher_is_better:
        study = optuna.create_study(direction="maximize", sampler=sampler)
    else:
        study = optuna.create_study(direction="minimize", sampler=sampler)
    dims = tune.space.dimensions
    distributions = {d.label: _distribution(optuna, d) for d in dims}
    trials: list[Trial] = []
    while len(trials) < n_trials:
        asked = [study.ask(distributions) for _ in range(min(max(1, tune.jobs), n_trials - len(trials)))]
        points = [tuple(_as_text(d, a.params[d.label]) for d in dims) for a in asked]
        batch = make_trials(tune.space, points, first=len(trials))
        tune.run(batch, None)
        for a, t in zip(asked, batch):
            if t.score is None:
                study.tell(a, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(a, t.score)
        trials += batch
    return trials


def _distribution(optuna, d):
    if d.kind == "choice":
        return optuna.distributions.CategoricalDistribution(list(d.values))
    if d.kind == "randint":
        return optuna.distributions.IntDistribution(int(d.low), int(d.high))
    return optuna.distributions.FloatDistribution(d.low, d.high, log=d.kind == "loguniform")


def _as_text(d, value) -> str:
    from .space import _fmt

    if d.kind == "choice":
        return str(value)
    return str(int(value)) if d.kind == "randint" else _fmt(float(value))


def search(tune: TuneRun, how: str, n_trials: int, seed: int, asha_epochs: int | None) -> list[Trial]:
    """Run the search; the trials in the order they were made. `asha_epochs`:
    successive halving up to that many epochs."""
    if how == "bayes":
        return bayes(tune, n_trials, seed)
    points = tune.space.grid() if how == "grid" else tune.space.sample(n_trials, seed)
    trials = make_trials(tune.space, points)
    if asha_epochs:
        successive_halving(tune, trials, asha_epochs)
    else:
        tune.run(trials, None)
    return trials


def best(trials: list[Trial], objective: Objective) -> Trial | None:
    """The best trial among those that trained the most epochs."""
    done = [t for t in trials if t.score is not None]
    if not done:
        return None
    top = max(t.epochs for t in done)
    return min((t for t in done if t.epochs == top), key=lambda t: (objective.key(t.score), t.number))


def best_spec(space: Space, trial: Trial, objective: Objective, seed: int) -> str:
    """The best point as a concrete, formatted spec, with a comment saying where it came from."""
    from ..lang.fmt import format_source

    header = (
        f"# the best of a netdsl tune search of {space.source.name}: trial {trial.number}, "
        f"{objective.metric} {trial.score:.4f} on held-out rows, trained with seed {seed}\n"
        f"# {space.name_point(trial.point)}\n"
    )
    return format_source(header + trial.text, name=space.source.name)
