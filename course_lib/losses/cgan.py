"""Conditional GAN (Mirza & Osindero 2014) helpers and losses for the class-conditional DCGAN.

The condition ``y`` is a one-hot class vector. The generator models ``G(z | y)`` by reading
``[z, y]``; the discriminator models ``D(x | y)`` by reading the image stacked with ``n_classes``
constant channels (the one-hot vector broadcast over the image).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "get_one_hot_labels",
    "combine_vectors",
    "get_input_dimensions",
    "expand_labels",
    "get_disc_loss",
    "get_gen_loss",
]


def get_one_hot_labels(labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """One-hot vectors ``(N, n_classes)`` for integer class labels of shape ``(N,)``."""
    return F.one_hot(labels, n_classes)


def combine_vectors(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Concatenate ``x`` and ``y`` along dimension 1, as floats.

    Works for vectors ``(N, a)`` and ``(N, b)`` as well as images ``(N, C, H, W)`` and
    broadcast label maps ``(N, n_classes, H, W)``.
    """
    return torch.cat([x.float(), y.float()], dim=1)


def get_input_dimensions(
    z_dim: int, mnist_shape: tuple[int, int, int], n_classes: int
) -> tuple[int, int]:
    """Inputs of the conditional generator and discriminator.

    The generator reads noise and one-hot label: ``z_dim + n_classes`` values. The
    discriminator reads the image's channels plus one constant channel per class:
    ``mnist_shape[0] + n_classes`` channels.
    """
    return z_dim + n_classes, mnist_shape[0] + n_classes


def expand_labels(one_hot_labels: torch.Tensor, image_shape: tuple[int, ...]) -> torch.Tensor:
    """Broadcast one-hot vectors ``(N, n_classes)`` to label channels ``(N, n_classes, H, W)``."""
    h, w = image_shape[-2:]
    return one_hot_labels[:, :, None, None].expand(-1, -1, h, w)


def get_disc_loss(
    gen: nn.Module,
    disc: nn.Module,
    real: torch.Tensor,
    one_hot_labels: torch.Tensor,
    noise: torch.Tensor,
    criterion: nn.Module,
) -> torch.Tensor:
    """Conditional discriminator loss.

    ``fake = gen([noise, y])``; the discriminator judges ``[fake, y]`` (detached: this loss must
    not train the generator) against zeros and ``[real, y]`` against ones; the result is the
    mean of the two terms.
    """
    fake = gen(combine_vectors(noise, one_hot_labels))
    label_maps = expand_labels(one_hot_labels, real.shape)
    fake_pred = disc(combine_vectors(fake.detach(), label_maps))
    real_pred = disc(combine_vectors(real, label_maps))
    fake_loss = criterion(fake_pred, torch.zeros_like(fake_pred))
    real_loss = criterion(real_pred, torch.ones_like(real_pred))
    return (fake_loss + real_loss) / 2


def get_gen_loss(
    gen: nn.Module,
    disc: nn.Module,
    one_hot_labels: torch.Tensor,
    noise: torch.Tensor,
    criterion: nn.Module,
) -> torch.Tensor:
    """Conditional generator loss: the discriminator should call ``[gen([noise, y]), y]`` real."""
    fake = gen(combine_vectors(noise, one_hot_labels))
    fake_pred = disc(combine_vectors(fake, expand_labels(one_hot_labels, fake.shape)))
    return criterion(fake_pred, torch.ones_like(fake_pred))
