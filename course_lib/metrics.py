"""Image metrics of the L1-vs-L2 ablation notebook, and the reconstruction-loss switch.

All metrics take batches ``(N, C, H, W)`` in the networks' range [-1, 1] and return a 0-dim
tensor (so that they can be logged, compared and checked like any other tensor):

* :func:`per_pixel_l1`: mean absolute error, in [-1, 1] units.
* :func:`high_frequency_energy`: mean squared response of the 3x3 Laplacian
  ``[[0, 1, 0], [1, -4, 1], [0, 1, 0]]`` applied to each channel separately, without padding
  (only the ``(H - 2) x (W - 2)`` positions where the filter fits). Blurry images have little.
* :func:`sharpness_ratio`: ``high_frequency_energy(outputs) / high_frequency_energy(targets)``;
  below 1 means the outputs are blurrier than the targets (the L2 loss's typical failure).
* :func:`mean_saturation`: HSV saturation ``(max - min) / max`` over the three channels of each
  pixel (0 where ``max`` is 0), the images mapped from [-1, 1] to [0, 1], averaged over all
  pixels of the batch. Washed-out (greyish) outputs have low saturation.
* :func:`colour_histogram_distance`: for each channel, the histograms of ``outputs`` and
  ``targets`` over all pixels of the batch (``bins`` equal bins on [-1, 1], values clamped to
  that range), normalised to sum 1; their total-variation distance ``0.5 * sum |p - q|``
  (equivalently ``1 - sum min(p, q)``, one minus the histogram intersection), in [0, 1];
  averaged over the channels.
* :func:`label_accuracy`: fraction of positions where two index maps agree.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "LAPLACIAN",
    "per_pixel_l1",
    "high_frequency_energy",
    "sharpness_ratio",
    "mean_saturation",
    "colour_histogram_distance",
    "label_accuracy",
    "get_recon_criterion",
    "RECON_KINDS",
]

#: The 3x3 Laplacian used by :func:`high_frequency_energy`.
LAPLACIAN = ((0.0, 1.0, 0.0), (1.0, -4.0, 1.0), (0.0, 1.0, 0.0))

#: The reconstruction losses :func:`get_recon_criterion` knows.
RECON_KINDS = ("l1", "l2")


def per_pixel_l1(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference over every value of the batch, in [-1, 1] units."""
    return (output - target).abs().mean()


def high_frequency_energy(images: torch.Tensor) -> torch.Tensor:
    """Mean squared Laplacian response, each channel filtered on its own, no padding."""
    channels = images.shape[1]
    kernel = torch.tensor(LAPLACIAN, dtype=images.dtype, device=images.device)
    kernel = kernel.expand(channels, 1, 3, 3)
    response = F.conv2d(images, kernel, groups=channels)
    return response.pow(2).mean()


def sharpness_ratio(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``high_frequency_energy(outputs) / high_frequency_energy(targets)`` (1: as sharp)."""
    return high_frequency_energy(outputs) / high_frequency_energy(targets)


def mean_saturation(images: torch.Tensor) -> torch.Tensor:
    """Average HSV saturation of RGB images in [-1, 1] (mapped to [0, 1] first)."""
    rgb = ((images + 1) / 2).clamp(0, 1)
    high = rgb.max(dim=1).values
    low = rgb.min(dim=1).values
    saturation = torch.where(high > 0, (high - low) / high.clamp_min(1e-12), torch.zeros_like(high))
    return saturation.mean()


def colour_histogram_distance(
    outputs: torch.Tensor, targets: torch.Tensor, bins: int = 16
) -> torch.Tensor:
    """Mean over channels of the total-variation distance between normalised histograms."""
    distances = []
    for c in range(outputs.shape[1]):
        p = torch.histc(outputs[:, c].clamp(-1, 1).float(), bins=bins, min=-1, max=1)
        q = torch.histc(targets[:, c].clamp(-1, 1).float(), bins=bins, min=-1, max=1)
        distances.append(0.5 * (p / p.sum() - q / q.sum()).abs().sum())
    return torch.stack(distances).mean()


def label_accuracy(pred_indices: torch.Tensor, true_indices: torch.Tensor) -> torch.Tensor:
    """Fraction of positions where ``pred_indices`` equals ``true_indices`` (a float tensor)."""
    return (pred_indices == true_indices).float().mean()


def get_recon_criterion(kind: str) -> nn.Module:
    """``nn.L1Loss()`` for ``"l1"``, ``nn.MSELoss()`` for ``"l2"``; ``ValueError`` otherwise."""
    if kind == "l1":
        return nn.L1Loss()
    if kind == "l2":
        return nn.MSELoss()
    raise ValueError(f"kind must be one of {RECON_KINDS}, got {kind!r}")
