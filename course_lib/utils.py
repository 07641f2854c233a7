"""Small utilities used across the course: device choice, seeding, image grids, loss curves."""

from __future__ import annotations

import os
import random
from collections.abc import Mapping, Sequence

import numpy as np
import torch

from .i18n import _

__all__ = [
    "get_device",
    "seed_everything",
    "to_image_range",
    "make_image_grid",
    "show_images",
    "plot_losses",
    "count_parameters",
    "text_width",
    "pad",
]


def get_device(prefer: str | None = None) -> torch.device:
    """Return the device to train on: CUDA when present, else Apple's MPS, else the CPU.

    ``prefer`` (e.g. ``"cpu"``) or the environment variable ``GAN_COURSE_DEVICE`` overrides it.
    """
    choice = prefer or os.environ.get("GAN_COURSE_DEVICE")
    if choice:
        return torch.device(choice)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch (all devices); return a torch generator seeded the same way."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def count_parameters(module: torch.nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters of ``module`` (all of them, or only those that require a gradient)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def to_image_range(images: torch.Tensor) -> torch.Tensor:
    """Map a batch from the networks' range [-1, 1] to [0, 1] for display, clamped."""
    return ((images.detach().float().cpu() + 1) / 2).clamp(0, 1)


def make_image_grid(images: torch.Tensor, nrow: int = 8, padding: int = 2) -> torch.Tensor:
    """A (3, H, W) grid in [0, 1] from a batch in [-1, 1] (one or three channels)."""
    from torchvision.utils import make_grid

    if images.dim() != 4:
        raise ValueError(f"expected a batch of shape (N, C, H, W), got shape {tuple(images.shape)}")
    return make_grid(to_image_range(images), nrow=nrow, padding=padding, pad_value=1.0)


def show_images(
    rows: Sequence[torch.Tensor] | torch.Tensor,
    titles: Sequence[str] | None = None,
    nrow: int = 8,
    figsize_per_row: float = 2.2,
    suptitle: str | None = None,
):
    """Show one or several batches in [-1, 1] as rows of image grids; return the figure.

    ``rows`` is a batch or a list of batches (e.g. input / output / target); ``titles`` labels
    each row on the left so the figure reads well projected.
    """
    import matplotlib.pyplot as plt

    batches = [rows] if isinstance(rows, torch.Tensor) else list(rows)
    if titles is not None and len(titles) != len(batches):
        raise ValueError(f"got {len(batches)} rows of images but {len(titles)} titles")
    fig, axes = plt.subplots(
        len(batches),
        1,
        figsize=(min(2.0 * nrow, 16), figsize_per_row * len(batches)),
        squeeze=False,
    )
    for i, batch in enumerate(batches):
        ax = axes[i, 0]
        ax.imshow(make_image_grid(batch[:nrow], nrow=nrow).permute(1, 2, 0).numpy())
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_ylabel(titles[i], fontsize=14, rotation=0, ha="right", va="center")
    if suptitle:
        fig.suptitle(suptitle, fontsize=16)
    fig.tight_layout()
    return fig


def plot_losses(
    history: Mapping[str, Sequence[float]], smooth: int = 1, title: str | None = None, ax=None
):
    """Plot loss curves (one line per key), optionally smoothed by a running mean.

    ``title`` may be a message marked with ``N_`` (e.g. a label of ``lesson05.ARMS``): it is
    shown in the edition's language. Returns the matplotlib axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _fig, ax = plt.subplots(figsize=(8, 4))
    for name, values in history.items():
        values = np.asarray(list(values), dtype=float)
        if values.size == 0:
            continue
        if smooth > 1 and values.size >= smooth:
            kernel = np.ones(smooth) / smooth
            values = np.convolve(values, kernel, mode="valid")
        ax.plot(values, label=name, linewidth=2)
    ax.set_xlabel(_("iteration"), fontsize=13)
    ax.set_ylabel(_("loss"), fontsize=13)
    ax.legend(fontsize=12)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(_(title), fontsize=14)
    return ax


def text_width(text: str) -> int:
    """The columns ``text`` takes in a monospaced font: Hangul and other wide characters take
    two (what ``len`` undercounts in a Korean table)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in str(text))


def pad(text: str, width: int, align: str = "<") -> str:
    """``text`` padded with spaces to ``width`` columns (``"<"`` left, ``">"`` right), counting
    wide characters as two, so that Korean and English rows of a plain-text table line up."""
    if align not in ("<", ">"):
        raise ValueError(f"align must be '<' or '>', got {align!r}")
    fill = " " * max(0, width - text_width(text))
    return f"{text}{fill}" if align == "<" else f"{fill}{text}"
