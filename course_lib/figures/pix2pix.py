"""Figures of lesson 02 (Pix2Pix): input / output / target grids, the discriminator's patch map,
dropout as the generator's noise, and the receptive field of the PatchGAN."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..i18n import N_, _
from ..utils import to_image_range

__all__ = ["image_rows", "patch_map_figure", "dropout_figure", "receptive_field_figure"]

#: Names the notebooks give to rows of :func:`image_rows`, shown in the course's language.
ROW_NAMES = (N_("input"), N_("output"), N_("target"), N_("label map x"), N_("photo y"))


def _show(ax, image: torch.Tensor) -> None:
    ax.imshow(to_image_range(image[None])[0].permute(1, 2, 0).numpy(), interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def image_rows(
    rows: Sequence[torch.Tensor],
    titles: Sequence[str],
    n: int = 6,
    title: str | None = None,
    size: float = 1.9,
):
    """Rows of images in [-1, 1] (e.g. input / output / target), ``n`` per row, each row named
    on the left (in the course's language where the catalog knows the name). Returns the
    figure."""
    import matplotlib.pyplot as plt

    if len(rows) != len(titles):
        raise ValueError(f"got {len(rows)} rows of images but {len(titles)} titles")
    n = min(n, min(len(r) for r in rows))
    fig, axes = plt.subplots(
        len(rows), n, figsize=(size * n + 0.8, size * len(rows) + 0.4), squeeze=False
    )
    for r, (batch, name) in enumerate(zip(rows, titles)):
        for c in range(n):
            _show(axes[r, c], batch[c])
        axes[r, 0].set_ylabel(_(name), fontsize=14)
    if title:
        fig.suptitle(_(title), fontsize=16)
    fig.tight_layout()
    return fig


def patch_map_figure(
    condition: torch.Tensor,
    real: torch.Tensor,
    fake: torch.Tensor,
    p_real: torch.Tensor,
    p_fake: torch.Tensor,
    patch_grid: tuple[int, int] | None = None,
):
    """What the PatchGAN says about one real and one generated photo of the same label map.

    ``p_real`` / ``p_fake`` are the probabilities "real" of every patch, upsampled to the image
    size (``(1, H, W)`` or ``(H, W)``). Columns: the label map, the photo, the patch map laid over
    the photo (red: "fake", green: "real"). ``patch_grid`` (h, w) is written in the titles.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(12, 7.8), layout="constrained")
    image = None
    for r, (photo, probs, name) in enumerate(
        [(real, p_real, _("real photo")), (fake, p_fake, _("generated photo"))]
    ):
        probs = probs.reshape(probs.shape[-2:])
        _show(axes[r, 0], condition)
        axes[r, 0].set_title(_("input label map"))
        _show(axes[r, 1], photo)
        axes[r, 1].set_title(name)
        _show(axes[r, 2], photo)
        image = axes[r, 2].imshow(
            probs.numpy(), cmap="RdYlGn", vmin=0, vmax=1, alpha=0.6, interpolation="nearest"
        )
        axes[r, 2].set_title(_("patch map, mean {mean:.2f}").format(mean=float(probs.mean())))
    fig.colorbar(image, ax=axes[:, 2], fraction=0.08, label=_("D's probability \"real\""))
    if patch_grid:
        title = _("What the PatchGAN says: {h}x{w} patches").format(
            h=patch_grid[0], w=patch_grid[1]
        )
    else:
        title = _("What the PatchGAN says")
    fig.suptitle(title, fontsize=16)
    return fig


def dropout_figure(condition: torch.Tensor, eval_output: torch.Tensor, train_outputs: torch.Tensor):
    """One label map, its eval-mode output and several train-mode outputs (dropout on), plus
    the per-pixel standard deviation of the train-mode outputs: how much noise dropout adds."""
    import matplotlib.pyplot as plt

    k = len(train_outputs)
    fig, axes = plt.subplots(1, k + 3, figsize=(2.3 * (k + 3), 2.9))
    _show(axes[0], condition)
    axes[0].set_title(_("input"))
    _show(axes[1], eval_output)
    axes[1].set_title("eval()")
    for i in range(k):
        _show(axes[2 + i], train_outputs[i])
        axes[2 + i].set_title(f"train() #{i + 1}")
    spread = to_image_range(train_outputs).std(dim=0).mean(dim=0)
    image = axes[-1].imshow(spread.numpy(), cmap="magma", vmin=0)
    axes[-1].set_xticks([])
    axes[-1].set_yticks([])
    axes[-1].set_title(_("std over train()"))
    fig.colorbar(image, ax=axes[-1], fraction=0.046)
    fig.tight_layout()
    return fig


def receptive_field_figure(kernel_sizes: Sequence[int], strides: Sequence[int], ax=None):
    """How the receptive field grows layer by layer (input side first), as a bar chart."""
    import matplotlib.pyplot as plt

    from ..models import receptive_field_of

    fields = [
        receptive_field_of(kernel_sizes[: i + 1], strides[: i + 1])
        for i in range(len(kernel_sizes))
    ]
    if ax is None:
        _fig, ax = plt.subplots(figsize=(7, 3.6))
    labels = [f"conv {i + 1}\nk{k} s{s}" for i, (k, s) in enumerate(zip(kernel_sizes, strides))]
    bars = ax.bar(labels, fields, color="tab:blue")
    for bar, value in zip(bars, fields):
        ax.text(bar.get_x() + bar.get_width() / 2, value, str(value), ha="center", va="bottom")
    ax.set_ylabel(_("receptive field (pixels)"))
    ax.set_title(_("Receptive field after each layer"))
    ax.set_ylim(0, max(fields) * 1.15)
    return ax
