"""Figures of lesson 06: where a pool's images come from, the discriminators over time, and the
GAN on a ring of Gaussians with and without the pool."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..experiments.pool import PoolExperiment, PoolTrace
from ..experiments.pool_mixture import MEASURES, MixtureExperiment
from ..i18n import N_, _

__all__ = [
    "plot_pool_trace",
    "plot_probe_scores",
    "plot_instability",
    "plot_mode_occupancy",
    "plot_oscillation",
]


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
    left.plot(k, k, color="0.6", linewidth=1, label=_("the new image"))
    left.scatter(k[~history], returned[~history], s=8, color="tab:blue", label=_("returned: new"))
    left.scatter(
        k[history],
        returned[history],
        s=12,
        color="tab:orange",
        label=_("returned: from the history"),
    )
    left.axvline(trace.pool_size - 0.5, color="k", linestyle=":", linewidth=1.2)
    left.text(trace.pool_size + 3, len(k) * 0.9, _("pool full"), fontsize=12)
    left.set_xlabel(_("number of the image given to the pool"))
    left.set_ylabel(_("number of the image returned"))
    left.legend(fontsize=11, loc="upper left", bbox_to_anchor=(0.0, 0.85))
    left.set_title(
        _("ImagePool({size}), batches of {batch}").format(
            size=trace.pool_size, batch=trace.batch_size
        )
    )

    fraction = _running_mean(history.astype(float), window)
    right.plot(np.arange(len(fraction)) + window - 1, fraction, linewidth=2)
    right.axhline(0.5, color="k", linestyle="--", linewidth=1.2)
    right.axvline(trace.pool_size - 0.5, color="k", linestyle=":", linewidth=1.2)
    right.set_ylim(-0.05, 1.05)
    right.set_xlabel(_("number of the image given to the pool"))
    right.set_ylabel(
        _("returned from history\n(running mean of {window})").format(window=window),
        linespacing=1.6,  # rotated lines of Hangul touch at the default 1.2
    )
    age = trace.age.numpy()[trace.pool_size :]
    older = age[age > 0]
    if len(older):
        right.set_title(
            _("history: {fraction:.0%} once full, median age {age} images").format(
                fraction=trace.history_fraction(), age=int(np.median(older))
            )
        )
    fig.tight_layout()
    return fig


def plot_probe_scores(result: PoolExperiment, disc: str = "D_B"):
    """One panel per pool size: ``disc``'s mean score on fixed real images and on the current
    fakes over training (first seed). LSGAN targets: 1 for real, 0 for fake."""
    import matplotlib.pyplot as plt

    sizes = list(result.records)
    fig, axes = plt.subplots(
        1, len(sizes), figsize=(6.5 * len(sizes), 4.5), sharey=True, squeeze=False
    )
    for ax, size in zip(axes[0], sizes):
        records = result.records[size][0]
        steps = records["iteration"]
        ax.plot(steps, records[f"{disc} real"], linewidth=2, label=_("real probe images"))
        ax.plot(steps, records[f"{disc} fake"], linewidth=2, label=_("current fakes"))
        ax.axhline(1, color="0.5", linestyle=":")
        ax.axhline(0, color="0.5", linestyle=":")
        m = result.runs[size][0]
        ax.set_title(
            _("pool_size = {size}: step {step:.3f}, std {std:.3f}").format(
                size=size, step=m.probe_step, std=m.probe_std
            )
        )
        ax.set_xlabel(_("iteration"))
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(_("mean score of {disc}").format(disc=disc))
    axes[0][0].legend(fontsize=11)
    fig.tight_layout()
    return fig


def plot_instability(result: PoolExperiment, ax: Any = None):
    """Bar chart of the three instability measures per pool size (each seed as a dot)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _fig, ax = plt.subplots(figsize=(8, 4.5))
    measures = [
        ("loss_std", N_("D loss std")),
        ("probe_step", N_("probe step")),
        ("probe_std", N_("probe std")),
    ]
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
            for j, (name, _label) in enumerate(measures):
                dots = [getattr(r, name) for r in result.runs[size]]
                ax.scatter([offset[j]] * len(dots), dots, color="k", s=12, zorder=3)
    ax.set_xticks(x, [_(label) for _name, label in measures])
    ax.set_ylabel(_("lower = steadier"))
    ax.legend(fontsize=11)
    ax.set_title(_("How much do the discriminators move?"))
    return ax


def plot_mode_occupancy(result: MixtureExperiment, seed_index: int = 0):
    """One row per pool size: the share of the generator's samples on each mode of the ring
    over training (dark: many), for one seed, and its final samples on the data's modes.
    Oscillation shows as the dark band hopping from mode to mode."""
    import matplotlib.pyplot as plt

    from ..experiments.pool_mixture import ring_modes

    sizes = list(result.runs)
    fig, axes = plt.subplots(
        len(sizes),
        2,
        figsize=(14, 3.2 * len(sizes)),
        squeeze=False,
        gridspec_kw={"width_ratios": [4, 1]},
    )
    for row, size in zip(axes, sizes):
        run = result.runs[size][seed_index]
        s = run.settings
        shares = (
            np.stack([np.bincount(a.numpy(), minlength=s.n_modes + 1) for a in run.assignments]).T
            / s.n_probe
        )
        step = s.record_every
        row[0].imshow(
            shares,
            aspect="auto",
            cmap="Greys",
            vmin=0,
            vmax=1,
            interpolation="nearest",
            extent=(step / 2, run.iterations[-1] + step / 2, s.n_modes + 0.5, -0.5),
        )
        row[0].set_yticks(range(s.n_modes + 1), [*map(str, range(s.n_modes)), _("none")])
        row[0].set_ylabel(_("mode"))
        m = run.measures
        row[0].set_title(
            _(
                "pool_size = {size}, seed {seed}: {switches:.0f} main-mode switches and "
                "{returns:.0f} returns per 1k iterations (second half)"
            ).format(size=size, seed=run.seed, switches=m.switches, returns=m.returns),
            fontsize=12,
        )
        modes = ring_modes(s.n_modes, s.radius).numpy()
        row[1].scatter(
            modes[:, 0], modes[:, 1], s=120, facecolors="none", edgecolors="tab:blue", linewidths=2
        )
        row[1].scatter(run.samples[:, 0], run.samples[:, 1], s=4, color="k", alpha=0.5)
        lim = 1.5 * s.radius
        row[1].set_xlim(-lim, lim)
        row[1].set_ylim(-lim, lim)
        row[1].set_aspect("equal")
        row[1].set_xticks([])
        row[1].set_yticks([])
        row[1].set_title(_("final samples"), fontsize=12)
    axes[-1][0].set_xlabel(_("iteration"))
    fig.tight_layout()
    return fig


def plot_oscillation(result: MixtureExperiment):
    """One panel per measure: the mean per pool size with its 95% interval, each seed a dot
    (same seeds joined by grey lines)."""
    import matplotlib.pyplot as plt

    sizes = list(result.runs)
    fig, axes = plt.subplots(1, len(MEASURES), figsize=(3.2 * len(MEASURES), 4))
    x = np.arange(len(sizes))
    for ax, (name, (title, lower)) in zip(axes, MEASURES.items()):
        values = np.array([result.values(size, name) for size in sizes])
        ax.plot(x, values, color="0.75", linewidth=1, zorder=1)
        for k, size in enumerate(sizes):
            mean, half = result.interval(size, name)
            ax.errorbar(
                k,
                mean,
                yerr=half,
                fmt="o",
                color=f"C{k}",
                markersize=9,
                capsize=6,
                linewidth=2,
                zorder=3,
            )
            ax.scatter([k] * values.shape[1], values[k], color="k", s=10, zorder=2)
        ax.set_xticks(x, [_("pool {size}").format(size=size) for size in sizes])
        ax.set_xlim(-0.5, len(sizes) - 0.5)
        better = _("lower: steadier") if lower else _("higher: better")
        ax.set_title(f"{_(title)}\n({better})", fontsize=11)
        ax.grid(alpha=0.3, axis="y")
    n = len(result.seeds)
    fig.suptitle(
        _("mean and 95% interval over {n} seeds (dots: seeds)").format(n=n), fontsize=12
    )
    fig.tight_layout()
    return fig
