"""Figures of lesson 04: training previews, the two cycles, and the cycle-loss ablation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from ..experiments.cyclegan import ARMS, CycleAblation, translate
from ..i18n import _
from ..utils import show_images

__all__ = [
    "arm_label",
    "display_figure",
    "cycle_rows",
    "show_cycles",
    "preview_callback",
    "show_ablation",
    "plot_identification",
    "plot_similarity",
]


def arm_label(arm: str) -> str:
    """The label of an arm of the ablation (``ARMS``) in the course's language."""
    return _(ARMS.get(arm, (0, arm))[1])


def display_figure(fig: Any) -> None:
    """Show ``fig`` now (in Jupyter: below the running cell) and close it."""
    import matplotlib.pyplot as plt

    try:
        from IPython.display import display

        display(fig)
    except ImportError:  # pragma: no cover - outside IPython
        pass
    plt.close(fig)


def cycle_rows(
    model: Any, real_A: torch.Tensor, real_B: torch.Tensor, names: Sequence[str] = ("A", "B")
) -> tuple[list[torch.Tensor], list[str]]:
    """The six rows of the cycle figure and their titles: ``A``, ``A -> B``, ``A -> B -> A``,
    then the same from ``B``. The domains' names are shown in the course's language."""
    a, b = (_(name) for name in names)
    fake_B = translate(model, real_A, "AtoB")
    fake_A = translate(model, real_B, "BtoA")
    rows = [
        real_A.cpu(), fake_B, translate(model, fake_B, "BtoA"),
        real_B.cpu(), fake_A, translate(model, fake_A, "AtoB"),
    ]
    titles = [
        _("real {domain}").format(domain=a), f"{a} → {b}", f"{a} → {b} → {a}",
        _("real {domain}").format(domain=b), f"{b} → {a}", f"{b} → {a} → {b}",
    ]
    return rows, titles


def show_cycles(
    model: Any,
    real_A: torch.Tensor,
    real_B: torch.Tensor,
    names: Sequence[str] = ("A", "B"),
    n: int = 8,
    suptitle: str | None = None,
):
    """Both cycles of ``model`` on ``n`` images of each domain; returns the figure."""
    rows, titles = cycle_rows(model, real_A[:n], real_B[:n], names)
    return show_images(rows, titles, nrow=n, suptitle=suptitle)


def preview_callback(
    real_A: torch.Tensor,
    real_B: torch.Tensor,
    names: Sequence[str] = ("A", "B"),
    n: int = 6,
    label: str = "",
) -> Callable[[Any], None]:
    """A training callback that shows both cycles on fixed images (``fit(callback=...)``)."""
    real_A, real_B = real_A[:n], real_B[:n]

    def callback(model: Any) -> None:
        title = _("iteration {iteration}").format(iteration=model.iteration)
        if label:
            title = f"{label}: {title}"
        display_figure(show_cycles(model, real_A, real_B, names, n, suptitle=title))

    return callback


def show_ablation(
    result: CycleAblation, direction: str = "AtoB", n: int = 8, names: Sequence[str] = ("A", "B")
):
    """Inputs and the outputs of each arm of the ablation, one row each; returns the figure."""
    side = "A" if direction == "AtoB" else "B"
    a, b = (_(name) for name in (names if direction == "AtoB" else reversed(names)))
    rows, titles = [result.inputs[side][:n]], [_("input ({domain})").format(domain=a)]
    for arm, res in result.results.items():
        rows.append(res.outputs[direction][:n])
        titles.append(arm_label(arm).split(" (")[0])
    return show_images(rows, titles, nrow=n, suptitle=f"{a} → {b}")


def plot_identification(result: CycleAblation, ax: Any = None):
    """Bar chart: how often each output's own input is the closest, per arm and direction."""
    import matplotlib.pyplot as plt
    import numpy as np

    if ax is None:
        _fig, ax = plt.subplots(figsize=(8, 4.5))
    arms = list(result.results)
    x = np.arange(len(arms))
    width = 0.38
    for k, (direction, label) in enumerate((("AtoB", "A → B"), ("BtoA", "B → A"))):
        values = [100 * result.results[arm].accuracy[direction] for arm in arms]
        bars = ax.bar(x + (k - 0.5) * width, values, width, label=label)
        ax.bar_label(bars, fmt="%.0f%%", fontsize=12)
    ax.axhline(100 * result.chance, color="k", linestyle="--", linewidth=1.5)
    ax.text(
        0.99,
        100 * result.chance + 2,
        _("chance"),
        ha="right",
        fontsize=12,
        transform=ax.get_yaxis_transform(),  # x in axes fraction: inside the frame
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
    )
    ax.set_xticks(x, [arm_label(arm).replace(" (", "\n(") for arm in arms])
    ax.set_ylabel(_("own input identified (%)"))
    ax.set_ylim(0, 110)
    ax.legend(loc="upper right")
    ax.set_title(_("Does the output still point to its input?"))
    return ax


def plot_similarity(result: CycleAblation, direction: str = "AtoB", n: int = 20):
    """Heat maps of output-to-input layout similarity for each arm (the diagonal: own input)."""
    import matplotlib.pyplot as plt

    from ..experiments.cyclegan import identification_accuracy

    side = "A" if direction == "AtoB" else "B"
    inputs = result.inputs[side][:n]
    arms = list(result.results)
    fig, axes = plt.subplots(
        1, len(arms), figsize=(5.5 * len(arms), 5), squeeze=False, layout="constrained"
    )
    for ax, arm in zip(axes[0], arms):
        outputs = result.results[arm].outputs[direction][:n]
        acc, sim = identification_accuracy(outputs, inputs)
        image = ax.imshow(sim.numpy(), cmap="viridis", vmin=-0.2, vmax=1)
        label = arm_label(arm).split(" (")[0]
        found = _("{accuracy:.0%} of {n} identified").format(accuracy=acc, n=len(inputs))
        ax.set_title(f"{label}\n({found})")
        ax.set_xlabel(_("input j"))
        ax.set_ylabel(_("output i"))
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8, label=_("layout similarity"))
    return fig
