"""Figures of lesson 06: where a pool's images come from, and the discriminators over time."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..experiments.pool import PoolExperiment, PoolTrace

__all__ = ["plot_pool_trace", "plot_probe_scores", "plot_instability"]


def _running_mean(values: np.ndarray, window: int) -> np.ndarray:
    if len(values) < window:
        return values
    return np.convolve(values, np.ones(window) / window, mode="valid")


def plot_pool_trace(trace: PoolTrace, window: int = 25):
    """Two panels: which image came back for each new one (the diagonal: the new image
    itself; below it: an older one), and the running fraction of returns from the history."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8))
    k = np.arange(len(trace.returned))
    history = trace.from_history.numpy()
    returned = trace.returned.numpy()
    left.plot(k, k, color="0.6", linewidth=1, label="the new image")
    left.scatter(k[~history], returned[~history], s=8, color="tab:blue", label="returned: new")
    left.scatter(k[history], returned[history], s=12, color="tab:orange",
                 label="returned: from the history")
    left.axvline(trace.pool_size - 0.5, color="k", linestyle=":", linewidth=1.2)
    left.text(trace.pool_size + 3, len(k) * 0.9, "pool full", fontsize=12)
    left.set_xlabel("number of the image given to the pool")
    left.set_ylabel("number of the image returned")
    left.legend(fontsize=11, loc="upper left", bbox_to_anchor=(0.0, 0.85))
    left.set_title(f"ImagePool({trace.pool_size}), batches of {trace.batch_size}")

    fraction = _running_mean(history.astype(float), window)
    right.plot(np.arange(len(fraction)) + window - 1, fraction, linewidth=2)
    right.axhline(0.5, color="k", linestyle="--", linewidth=1.2)
    right.axvline(trace.pool_size - 0.5, color="k", linestyle=":", linewidth=1.2)
    right.set_ylim(-0.05, 1.05)
    right.set_xlabel("number of the image given to the pool")
    right.set_ylabel(f"returned from history\n(running mean of {window})")
    age = trace.age.numpy()[trace.pool_size:]
    older = age[age > 0]
    if len(older):
        right.set_title(f"history: {trace.history_fraction():.0%} once full, "
                        f"median age {int(np.median(older))} images")
    fig.tight_layout()
    return fig


def plot_probe_scores(result: PoolExperiment, disc: str = "D_B"):
    """One panel per pool size: ``disc``'s mean score on fixed real images and on the current
    fakes over training (first seed). LSGAN targets: 1 for real, 0 for fake."""
    import matplotlib.pyplot as plt

    sizes = list(result.records)
    fig, axes = plt.subplots(1, len(sizes), figsize=(6.5 * len(sizes), 4.5), sharey=True,
                             squeeze=False)
    for ax, size in zip(axes[0], sizes):
        records = result.records[size][0]
        steps = records["iteration"]
        ax.plot(steps, records[f"{disc} real"], linewidth=2, label="real probe images")
        ax.plot(steps, records[f"{disc} fake"], linewidth=2, label="current fakes")
        ax.axhline(1, color="0.5", linestyle=":")
        ax.axhline(0, color="0.5", linestyle=":")
        m = result.runs[size][0]
        ax.set_title(f"pool_size = {size}: step {m.probe_step:.3f}, std {m.probe_std:.3f}")
        ax.set_xlabel("iteration")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(f"mean score of {disc}")
    axes[0][0].legend(fontsize=11)
    fig.tight_layout()
    return fig


def plot_instability(result: PoolExperiment, ax: Any = None):
    """Bar chart of the three instability measures per pool size (each seed as a dot)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    measures = [("loss_std", "D loss std"), ("probe_step", "probe step"),
                ("probe_std", "probe std")]
    sizes = list(result.runs)
    x = np.arange(len(measures))
    width = 0.8 / max(1, len(sizes))
    for k, size in enumerate(sizes):
        offset = x + (k - (len(sizes) - 1) / 2) * width
        mean = result.mean(size)
        values = [getattr(mean, name) for name, _ in measures]
        bars = ax.bar(offset, values, width, label=f"pool_size = {size}")
        ax.bar_label(bars, fmt="%.3f", fontsize=11)
        if len(result.runs[size]) > 1:
            for j, (name, _) in enumerate(measures):
                dots = [getattr(r, name) for r in result.runs[size]]
                ax.scatter([offset[j]] * len(dots), dots, color="k", s=12, zorder=3)
    ax.set_xticks(x, [label for _, label in measures])
    ax.set_ylabel("lower = steadier")
    ax.legend(fontsize=11)
    ax.set_title("How much do the discriminators move?")
    return ax
