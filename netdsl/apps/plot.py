"""Learning curves of several specs on one figure (`netdsl compare --plot`).

The only module that imports matplotlib, and only when a plot is asked for.
"""

from __future__ import annotations


def plot_curves(runs_by_spec: dict[str, list[dict]], path: str, metric: str | None, title: str) -> None:
    """Mean validation curves per spec, shaded over the range (min to max) of its runs.

    runs_by_spec maps a spec's label to the Keras histories of its runs. The
    format comes from the file's extension (.png, .svg or .pdf).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    matplotlib.rcParams["svg.hashsalt"] = "netdsl"  # stable ids in SVG output
    some = next(iter(runs_by_spec.values()))[0]
    prefix = "val_" if "val_loss" in some else ""
    panels = [("loss", "loss")] + ([(metric, metric.replace("_", " "))] if metric else [])
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.9), squeeze=False)
    colors = plt.get_cmap("tab10").colors
    for ax, (key, label) in zip(axes[0], panels):
        for i, (spec, runs) in enumerate(runs_by_spec.items()):
            curves = [r.get(prefix + key) for r in runs if r.get(prefix + key)]
            if not curves:
                continue
            n = min(len(c) for c in curves)
            values = np.asarray([c[:n] for c in curves])
            epochs = np.arange(1, n + 1)
            color = colors[i % len(colors)]
            ax.plot(epochs, values.mean(axis=0), color=color, linewidth=1.8, label=spec)
            if len(curves) > 1:  # the range stays positive on the log scale, unlike mean ± std
                ax.fill_between(
                    epochs, values.min(axis=0), values.max(axis=0), color=color, alpha=0.15, linewidth=0
                )
        ax.set_title(("validation " if prefix else "training ") + label, fontsize=11)
        ax.set_xlabel("epoch")
        ax.grid(True, color="#e2e8f0", linewidth=0.8)
        ax.spines[["top", "right"]].set_visible(False)
        if key == "loss":
            ax.set_yscale("log")
    axes[0][-1].legend(frameon=False, fontsize=9, loc="best")
    fig.suptitle(title + " (line: mean; band: range over the runs)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=150, metadata={"Date": None} if path.endswith((".svg", ".pdf")) else None)
    plt.close(fig)
