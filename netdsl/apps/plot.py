"""Figures: learning curves of several specs (`compare --plot`, `tune`) and
evaluation plots (`evaluate --plot`).

The only module that imports matplotlib, and only when a plot is asked for.
"""

from __future__ import annotations


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.hashsalt"] = "netdsl"  # stable ids in SVG output
    return plt


def _save(fig, path: str) -> None:
    fig.savefig(path, dpi=150, metadata={"Date": None} if path.endswith((".svg", ".pdf")) else None)
    import matplotlib.pyplot as plt

    plt.close(fig)


def _centre(values, log: bool):
    """The mean of the runs at each epoch; geometric on a log scale, where an
    arithmetic mean would be pulled up by one bad run."""
    import numpy as np

    return np.exp(np.log(np.maximum(values, 1e-12)).mean(axis=0)) if log else values.mean(axis=0)


def plot_curves(runs_by_spec: dict[str, list[dict]], path: str, metric: str | None, title: str) -> None:
    """Training (dashed) and validation (solid) curves per spec: the mean over
    its runs (geometric for the loss, drawn on a log scale) and a band over the
    range (min to max) of the runs.

    runs_by_spec maps a spec's label to the Keras histories of its runs. The
    format comes from the file's extension (.png, .svg or .pdf).
    """
    import numpy as np

    plt = _pyplot()
    panels = [("loss", "loss")] + ([(metric, metric.replace("_", " "))] if metric else [])
    fig, axes = plt.subplots(1, len(panels), figsize=(5.6 * len(panels), 4.2), squeeze=False)
    colors = plt.get_cmap("tab10").colors
    for ax, (key, label) in zip(axes[0], panels):
        log = key == "loss"
        for i, (spec, runs) in enumerate(runs_by_spec.items()):
            color = colors[i % len(colors)]
            for prefix, style in (("", "--"), ("val_", "-")):
                curves: list[list] = [c for r in runs if (c := r.get(prefix + key))]
                if not curves or not all(isinstance(v, (int, float)) for v in curves[0]):
                    continue
                n = min(len(c) for c in curves)
                values = np.asarray([c[:n] for c in curves], dtype="float64")
                epochs = np.arange(1, n + 1)
                name = spec if prefix == "val_" or not any("val_" + key in r for r in runs) else None
                ax.plot(epochs, _centre(values, log), style, color=color, linewidth=1.6, label=name)
                if len(curves) > 1 and prefix == "val_":  # the range stays positive on the log scale
                    ax.fill_between(
                        epochs, values.min(axis=0), values.max(axis=0), color=color, alpha=0.12, linewidth=0
                    )
        ax.set_title(label + " (solid: validation, dashed: training)", fontsize=10)
        ax.set_xlabel("epoch")
        ax.grid(True, color="#e2e8f0", linewidth=0.8)
        ax.spines[["top", "right"]].set_visible(False)
        if log:
            ax.set_yscale("log")
    axes[0][-1].legend(frameon=False, fontsize=8, loc="best", ncol=2 if len(runs_by_spec) > 5 else 1)
    fig.suptitle(title + " (line: mean, geometric for the loss; band: range over the runs)", fontsize=10)
    fig.tight_layout()
    _save(fig, path)


def plot_evaluation(reports: dict[str, dict], path: str, title: str) -> None:
    """Per output: the confusion matrix, and the ROC and precision-recall
    curves of a binary output; predicted values against residuals for a
    regression output."""
    plt = _pyplot()
    panels = []
    for name, r in reports.items():
        if r["kind"] == "regression":
            panels.append((name, "residuals", r))
            continue
        panels.append((name, "confusion", r))
        if "binary" in r:
            panels += [(name, "roc", r), (name, "pr", r)]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4.2), squeeze=False)
    for ax, (name, kind, r) in zip(axes[0], panels):
        {"confusion": _confusion, "roc": _roc, "pr": _pr, "residuals": _residuals}[kind](ax, name, r)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    _save(fig, path)


def _confusion(ax, name: str, r: dict) -> None:
    import numpy as np

    m = np.asarray(r["confusion"])
    labels = [str(c) for c in r["classes"]]
    ax.imshow(m, cmap="Blues")
    for (i, j), v in np.ndenumerate(m):
        ax.text(j, i, str(v), ha="center", va="center", color="white" if v > m.max() / 2 else "black")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{name}: confusion matrix (accuracy {r['accuracy']:.3f})", fontsize=10)


def _roc(ax, name: str, r: dict) -> None:
    b = r["binary"]
    ax.plot(b["roc"]["fpr"], b["roc"]["tpr"], linewidth=1.6)
    ax.plot([0, 1], [0, 1], ":", color="#94a3b8")
    auc = "n/a" if b["roc_auc"] is None else f"{b['roc_auc']:.3f}"
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title=f"{name}: ROC (AUC {auc})")
    ax.title.set_fontsize(10)


def _pr(ax, name: str, r: dict) -> None:
    b = r["binary"]
    ax.step(b["pr"]["recall"], b["pr"]["precision"], where="post", linewidth=1.6)
    ax.set(xlabel="recall", ylabel="precision", ylim=(0, 1.02))
    ax.set_title(f"{name}: precision-recall (AP {b['average_precision']:.3f})", fontsize=10)


def _residuals(ax, name: str, r: dict) -> None:
    res = r["residuals"]
    ax.scatter(res["predicted"], res["residual"], s=10, alpha=0.6)
    ax.axhline(0, color="#94a3b8", linewidth=1)
    ax.set(xlabel="predicted", ylabel="true - predicted")
    ax.set_title(f"{name}: residuals (RMSE {r['rmse']:.3g})", fontsize=10)


def plot_trials(trials, space, objective, path: str, title: str) -> None:
    """The score of every trial in order (and the best so far among those
    trained longest), then the score against each searched value (up to four
    dimensions). Grey: trials stopped early (their last score)."""
    import numpy as np

    plt = _pyplot()
    done = [t for t in trials if t.score is not None]
    top = max((t.epochs for t in done), default=0)
    colors = ["#94a3b8" if t.epochs < top else "#2563eb" for t in done]
    scores = [t.score for t in done]
    dims = list(space.dimensions)[:4]
    fig, axes = plt.subplots(1, 1 + len(dims), figsize=(4.4 * (1 + len(dims)), 3.8), squeeze=False)
    ax = axes[0][0]
    ax.scatter([t.number for t in done], scores, s=16, c=colors)
    final = sorted((t for t in done if t.epochs == top), key=lambda t: t.number)
    if final:
        running = (np.maximum if objective.higher_is_better else np.minimum).accumulate(
            [t.score for t in final]
        )
        ax.step([t.number for t in final], running, where="post", color="#dc2626", linewidth=1.4)
    ax.set(xlabel="trial", ylabel=objective.metric)
    ax.set_title("scores (grey: stopped early; red: best so far)", fontsize=9)
    for k, d in enumerate(dims):
        a = axes[0][k + 1]
        xs = [t.point[space.dimensions.index(d)] for t in done]
        if d.kind == "choice":
            labels = list(d.values)
            a.scatter([labels.index(x) for x in xs], scores, s=16, c=colors)
            a.set_xticks(range(len(labels)), labels, fontsize=8)
        else:
            a.scatter([float(x) for x in xs], scores, s=16, c=colors)
            if d.kind == "loguniform":
                a.set_xscale("log")
        a.set_title(d.label, fontsize=9)
        a.set_ylabel(objective.metric)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    _save(fig, path)
