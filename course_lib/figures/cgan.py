"""Figures of lesson 01 (conditional GAN basics): class grids and per-class accuracy bars."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from ..i18n import N_, _
from ..utils import make_image_grid

__all__ = ["class_grid", "accuracy_bars"]


def class_grid(
    images: torch.Tensor,
    n_classes: int = 10,
    predicted: torch.Tensor | None = None,
    class_names: Sequence[str] | None = None,
    title: str | None = None,
    max_per_row: int = 10,
    ax=None,
):
    """One row per requested class: ``images`` holds the samples class by class.

    ``images`` is ``(n_classes * k, C, H, W)`` in [-1, 1], the first ``k`` asked for class 0,
    the next ``k`` for class 1, and so on (what
    :func:`course_lib.experiments.cgan.sample_per_class` returns). With ``predicted`` (the
    judge's label per sample), samples judged to show another class get a red frame.
    Returns the matplotlib axes.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    if len(images) % n_classes:
        raise ValueError(f"{len(images)} images cannot be split into {n_classes} equal rows")
    per_class = len(images) // n_classes
    shown = min(per_class, max_per_row)
    index = torch.arange(n_classes)[:, None] * per_class + torch.arange(shown)[None, :]
    index = index.reshape(-1)
    pad = 2
    grid = make_image_grid(images[index], nrow=shown, padding=pad)
    if ax is None:
        _fig, ax = plt.subplots(figsize=(0.75 * shown + 1.5, 0.75 * n_classes + 0.8))
    ax.imshow(grid.permute(1, 2, 0).numpy(), interpolation="nearest")
    h, w = images.shape[-2:]
    names = list(class_names) if class_names is not None else [str(k) for k in range(n_classes)]
    ax.set_yticks([pad + r * (h + pad) + h / 2 for r in range(n_classes)])
    ax.set_yticklabels(names, fontsize=14)
    ax.set_ylabel(_("requested class"), fontsize=14)
    ax.set_xticks([])
    if predicted is not None:
        requested = torch.arange(n_classes).repeat_interleave(per_class)
        wrong = (predicted.cpu() != requested)[index]
        for i in torch.nonzero(wrong).flatten().tolist():
            r, c = divmod(i, shown)
            x0, y0 = pad + c * (w + pad) - 1, pad + r * (h + pad) - 1
            ax.add_patch(Rectangle((x0, y0), w + 1, h + 1, fill=False, edgecolor="red", lw=2))
    if title:
        ax.set_title(title, fontsize=15)
    return ax


def accuracy_bars(
    per_class: Mapping[str, Sequence[float]],
    chance: float | None = None,
    class_names: Sequence[str] | None = None,
    title: str | None = N_("Generated samples recognised as the requested class"),
    ax=None,
):
    """Grouped bars: per-class accuracy of each model (e.g. conditional vs unconditional).

    ``per_class`` maps a model name to its accuracy per requested class; ``chance`` draws a
    dashed line (1 / n_classes for a model that ignores the label). Returns the axes.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    names = list(per_class)
    n_classes = len(next(iter(per_class.values())))
    if ax is None:
        _fig, ax = plt.subplots(figsize=(10, 4))
    width = 0.8 / max(1, len(names))
    x = np.arange(n_classes)
    for i, name in enumerate(names):
        values = np.asarray(per_class[name], dtype=float)
        mean = float(values.mean())
        label = f"{_(name)} ({mean:.0%})"
        ax.bar(x + (i - (len(names) - 1) / 2) * width, values, width, label=label)
    if chance is not None:
        label = _("chance ({chance:.0%})").format(chance=chance)
        ax.axhline(chance, color="black", linestyle="--", linewidth=1.5, label=label)
    ax.set_xticks(x)
    ax.set_xticklabels(class_names if class_names is not None else [str(k) for k in x])
    ax.set_xlabel(_("requested class"))
    ax.set_ylabel(_("recognised"))
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _pos: f"{v:.0%}"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if title:
        ax.set_title(_(title))
    return ax
