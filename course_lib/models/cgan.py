"""The small conditional DCGAN of the cGAN notebook (28x28 images, e.g. digits or MNIST).

The class condition enters both networks as a one-hot vector: the generator sees
``[z, one_hot]`` (``z_dim + n_classes`` inputs), the discriminator sees the image stacked with
``n_classes`` constant channels, one of them all ones (``image_channels + n_classes``).
"""

from __future__ import annotations

import torch
from torch import nn

from .init import init_weights

__all__ = ["ConditionalGenerator", "ConditionalDiscriminator"]


def _gen_block(cin: int, cout: int, kernel: int, stride: int, final: bool = False) -> nn.Sequential:
    if final:
        return nn.Sequential(nn.ConvTranspose2d(cin, cout, kernel, stride), nn.Tanh())
    return nn.Sequential(
        nn.ConvTranspose2d(cin, cout, kernel, stride), nn.BatchNorm2d(cout), nn.ReLU()
    )


def _disc_block(cin: int, cout: int, final: bool = False) -> nn.Sequential:
    if final:
        return nn.Sequential(nn.Conv2d(cin, cout, 4, 2))
    return nn.Sequential(nn.Conv2d(cin, cout, 4, 2), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2))


class ConditionalGenerator(nn.Module):
    """DCGAN generator for 28x28 images: a vector ``(N, input_dim)`` -> ``(N, C, 28, 28)``.

    ``ConvT(k3,s2)-BN-ReLU -> ConvT(k4,s1)-BN-ReLU -> ConvT(k3,s2)-BN-ReLU -> ConvT(k4,s2)-Tanh``,
    spatial sizes 1 -> 3 -> 6 -> 13 -> 28. ``input_dim`` is ``z_dim + n_classes``.
    """

    def __init__(self, input_dim: int, image_channels: int = 1, hidden_channels: int = 64) -> None:
        super().__init__()
        self.input_dim = input_dim
        h = hidden_channels
        self.gen = nn.Sequential(
            _gen_block(input_dim, h * 4, 3, 2),
            _gen_block(h * 4, h * 2, 4, 1),
            _gen_block(h * 2, h, 3, 2),
            _gen_block(h, image_channels, 4, 2, final=True),
        )
        init_weights(self)

    def forward(self, noise_and_labels: torch.Tensor) -> torch.Tensor:
        """Map ``(N, input_dim)`` vectors to images in [-1, 1]."""
        if noise_and_labels.dim() != 2 or noise_and_labels.shape[1] != self.input_dim:
            raise ValueError(
                f"expected vectors of shape (N, {self.input_dim}) (noise and one-hot labels "
                f"concatenated), got {tuple(noise_and_labels.shape)}"
            )
        return self.gen(noise_and_labels[:, :, None, None])


class ConditionalDiscriminator(nn.Module):
    """DCGAN discriminator for 28x28 inputs: ``(N, C, 28, 28)`` -> one logit per image.

    ``Conv(k4,s2)-BN-LReLU -> Conv(k4,s2)-BN-LReLU -> Conv(k4,s2)``, sizes 28 -> 13 -> 5 -> 1.
    ``input_channels`` is ``image_channels + n_classes`` for the conditional model.
    """

    def __init__(self, input_channels: int, hidden_channels: int = 64) -> None:
        super().__init__()
        h = hidden_channels
        self.disc = nn.Sequential(
            _disc_block(input_channels, h),
            _disc_block(h, h * 2),
            _disc_block(h * 2, 1, final=True),
        )
        init_weights(self)

    def forward(self, image_and_labels: torch.Tensor) -> torch.Tensor:
        """Return raw logits of shape ``(N, 1)``."""
        return self.disc(image_and_labels).view(len(image_and_labels), -1)
