"""Figures of lesson 05: colour drift with and without the identity loss."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ..experiments.identity import ARMS, IdentityExperiment
from ..i18n import N_, _
from ..utils import show_images, to_image_range

__all__ = ["show_colour_drift", "plot_colour_shift", "plot_wall_swatches", "wall_colours"]


def _label(arm: str) -> str:
    return _(ARMS.get(arm, (0, arm))[1])


def show_colour_drift(
    result: IdentityExperiment, direction: str = "AtoB", n: int = 8,
    names: Sequence[str] = ("A", "B"),
):
    """Inputs and each model's outputs, one row each; returns the figure."""
    side = "A" if direction == "AtoB" else "B"
    a, b = (_(name) for name in (names if direction == "AtoB" else reversed(names)))
    rows, titles = [result.inputs[side][:n]], [_("input ({domain})").format(domain=a)]
    for arm, outputs in result.outputs.items():
        rows.append(outputs[direction][:n])
        titles.append(_label(arm).split(" (")[0])
    return show_images(rows, titles, nrow=n, suptitle=f"{a} → {b}")


def plot_colour_shift(result: IdentityExperiment, ax: Any = None):
    """Bar chart of the colour shift (Delta E*ab) per model: house walls and whole image."""
    import matplotlib.pyplot as plt
    import numpy as np

    if ax is None:
        _fig, ax = plt.subplots(figsize=(9, 4.5))
    arms = list(result.shifts)
    groups = [("walls", "AtoB", N_("walls\nA → B")), ("walls", "BtoA", N_("walls\nB → A")),
              ("image", "AtoB", N_("image mean\nA → B")),
              ("image", "BtoA", N_("image mean\nB → A"))]
    groups = [g for g in groups if all(
        getattr(result.shifts[arm][g[1]], g[0]) is not None for arm in arms)]
    x = np.arange(len(groups))
    width = 0.8 / max(1, len(arms))
    for k, arm in enumerate(arms):
        values = [getattr(result.shifts[arm][d], what) for what, d, _ in groups]
        bars = ax.bar(x + (k - (len(arms) - 1) / 2) * width, values, width, label=_label(arm))
        ax.bar_label(bars, fmt="%.1f", fontsize=11)
    ax.axhline(2.3, color="k", linestyle=":", linewidth=1.5, label=_("just noticeable (2.3)"))
    ax.set_xticks(x, [_(label) for *_rest, label in groups])
    ax.set_ylabel(_("colour shift ΔE*ab"))
    ax.legend(fontsize=11)
    ax.set_title(_("How far do the colours move from input to output?"))
    return ax


def wall_colours(images: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Mean RGB colour in [0, 1] of the masked pixels of each image ``(N, 3)`` (NaN if none)."""
    rgb = to_image_range(images)
    m = masks[: len(rgb)].float()
    total = m.sum((-2, -1)).unsqueeze(1)
    return (rgb * m.unsqueeze(1)).sum((-2, -1)) / total


def plot_wall_swatches(result: IdentityExperiment, direction: str = "AtoB", n: int = 12):
    """The mean wall colour of ``n`` houses: in the input and in each model's output.

    Each column is one test image with a house; a swatch that keeps its colour down the column
    means the model kept the wall's colour.
    """
    import matplotlib.pyplot as plt

    side = "A" if direction == "AtoB" else "B"
    masks = result.masks.get(side)
    if masks is None:
        raise ValueError("this dataset has no house masks (only the embedded one has)")
    inputs = result.inputs[side]
    keep = [i for i in range(len(inputs)) if masks[i].sum() >= 4][:n]
    rows = [(_("input"), wall_colours(inputs[keep], masks[keep]))]
    rows += [
        (_label(arm).split(" (")[0], wall_colours(out[direction][keep], masks[keep]))
        for arm, out in result.outputs.items()
    ]
    swatches = torch.stack([colours for _, colours in rows])  # (rows, n, 3)
    fig, ax = plt.subplots(figsize=(min(1.0 * len(keep) + 3, 16), 0.9 * len(rows) + 1))
    ax.imshow(swatches.clamp(0, 1).numpy(), aspect="equal")
    ax.set_yticks(range(len(rows)), [label for label, _ in rows], fontsize=13)
    ax.set_xticks([])
    ax.set_title(
        _("mean wall colour of {n} houses ({direction})").format(
            n=len(keep), direction=direction.replace("to", " → ")
        )
    )
    fig.tight_layout()
    return fig
