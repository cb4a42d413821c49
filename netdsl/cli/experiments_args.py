"""The command line's grammar for the experiment commands: evaluate (and tune)."""

from __future__ import annotations


def add_experiment_parsers(sub) -> None:
    _evaluate_parser(sub)


def add_scale_options(p, natural) -> None:
    """How many runs are made and where: compare and tune."""
    p.add_argument(
        "--folds",
        type=natural(2),
        metavar="K",
        help="stratified K-fold cross-validation instead of one test split (the same folds for every spec)",
    )
    p.add_argument(
        "--jobs",
        type=natural(1),
        metavar="N",
        help="train in N local worker processes (default: one per core; 1: in this process)",
    )
    p.add_argument(
        "--ray",
        metavar="ADDRESS",
        help="run the trials on the Ray cluster at HOST:PORT through Ray Tune (needs netdsl[ray])",
    )


def add_distribute_options(p, natural) -> None:
    """One model trained by several processes or devices: train."""
    p.add_argument(
        "--distribute",
        choices=("data-parallel", "mirrored"),
        help="data-parallel: N processes on Keras's JAX backend (netdsl[jax]); "
        "mirrored: TensorFlow's MirroredStrategy over this machine's devices",
    )
    p.add_argument("--coordinator", metavar="HOST:PORT", help="data-parallel: where process 0 listens")
    p.add_argument(
        "--num-processes", type=natural(1), default=1, metavar="N", help="data-parallel: processes in all"
    )
    p.add_argument(
        "--process-id", type=natural(0), default=0, metavar="I", help="data-parallel: this one, 0..N-1"
    )
    p.add_argument(
        "--replicas",
        type=natural(1),
        metavar="N",
        help="mirrored without a GPU: split the CPU into N logical devices",
    )


def _evaluate_parser(sub) -> None:
    from .parsing import subcommand

    e = subcommand(
        sub,
        "evaluate",
        "report a trained model on labelled rows: per-class precision, recall, F1, confusion matrix",
        "netdsl evaluate build/iris_add.keras --data examples/data/iris.csv",
    )
    e.add_argument("model", metavar="MODEL.keras", help="a model written by `netdsl train -o`")
    e.add_argument("--data", metavar="CSV", required=True, help="labelled rows with the model's columns")
    e.add_argument(
        "--plot",
        metavar="OUT.png",
        help="also draw the confusion matrix, ROC/PR or residuals (.png .svg .pdf)",
    )
    e.add_argument("--json", action="store_true", help="print one JSON object")


def add_tune_parser(sub, natural, training_options, color_option) -> None:
    from .parsing import TRAIN_DEFAULTS, seed, subcommand

    t = subcommand(
        sub,
        "tune",
        "search a spec's space (choice, uniform, ...) for the best concrete spec",
        "netdsl tune tune.net --data examples/data/iris.csv --trials 8 -o build/tune.best.net",
        TRAIN_DEFAULTS + " Every trial trains with the same seed: --seed, else the train\nline's, else 0.",
    )
    t.add_argument("file", metavar="FILE")
    training_options(t)
    t.add_argument(
        "--trials", type=natural(1), default=16, metavar="N", help="random/bayes: trials (default 16)"
    )
    t.add_argument("--search", choices=("random", "grid", "bayes"), default="random", help="default random")
    t.add_argument(
        "--scheduler", choices=("asha",), help="stop bad trials early (successive halving up to the epochs)"
    )
    t.add_argument(
        "--seed",
        type=seed,
        metavar="S",
        help="seeds the sampling and every trial's training (default: the spec's seed, else 0)",
    )
    t.add_argument("-o", "--output", metavar="BEST.net", help="the best spec (default build/<name>.best.net)")
    t.add_argument("--plot", metavar="TRIALS.png", help="draw the trials' scores (.png, .svg, .pdf)")
    t.add_argument("--json", action="store_true", help="print one JSON object with every trial")
    t.add_argument("--quiet", action="store_true", help="no live table")
    add_scale_options(t, natural)
    color_option(t)
