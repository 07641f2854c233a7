"""The building blocks of the course's networks, named as in the lecture.

Each block mirrors one layer group of the official pix2pix/CycleGAN ``models/networks.py``:

* :class:`ContractingBlock`: one U-Net encoder step ``LeakyReLU(0.2) -> Conv4x4/s2 -> Norm``
  (the paper's ``Ck``: Convolution-BatchNorm-ReLU with k filters, leaky in the encoder).
* :class:`ExpandingBlock`: one U-Net decoder step ``ReLU -> ConvTranspose4x4/s2 -> Norm
  [-> Dropout(0.5)]`` followed by the skip concatenation (the paper's ``CDk`` with dropout).
* :class:`FeatureMapBlock`: the reflection-padded 7x7 convolution that maps images to feature
  maps and back in the ResNet generator (the CycleGAN paper's ``c7s1-k``).
* :class:`ResidualBlock`: two reflection-padded 3x3 convolutions with a residual connection
  (the CycleGAN paper's ``Rk``).
"""

from __future__ import annotations

import torch
from torch import nn

from .fastconv import conv2d, conv_transpose2d

__all__ = [
    "norm_layer",
    "ContractingBlock",
    "ExpandingBlock",
    "FeatureMapBlock",
    "ResidualBlock",
]

_NORMS = ("batch", "instance", "none")


def norm_layer(kind: str, channels: int) -> nn.Module:
    """The official code's normalisation layers.

    ``"batch"``: ``BatchNorm2d(affine=True, track_running_stats=True)``; ``"instance"``:
    ``InstanceNorm2d(affine=False, track_running_stats=False)``; ``"none"``: identity.
    """
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"norm must be one of {_NORMS}, got {kind!r}")


def uses_bias(norm: str) -> bool:
    """Convolutions carry a bias unless a BatchNorm follows them (its shift makes it redundant)."""
    if norm not in _NORMS:
        raise ValueError(f"norm must be one of {_NORMS}, got {norm!r}")
    return norm != "batch"


class ContractingBlock(nn.Module):
    """U-Net encoder step: ``LeakyReLU(0.2) -> Conv2d(4, stride 2, padding 1) -> Norm``.

    Halves the height and width. The outermost block (applied to the image itself) has neither
    the activation nor the norm (``activation=False, norm="none"``); the innermost has no norm.
    As in the official code the convolution has no bias when it is followed by batch norm,
    except in the outermost block, which follows the same rule as all others.
    """

    def __init__(
        self,
        input_channels: int,
        output_channels: int,
        norm: str = "batch",
        activation: bool = True,
        bias: bool | None = None,
    ) -> None:
        super().__init__()
        bias = uses_bias(norm) if bias is None else bias
        self.activation = nn.LeakyReLU(0.2) if activation else nn.Identity()
        self.conv = nn.Conv2d(input_channels, output_channels, 4, stride=2, padding=1, bias=bias)
        self.norm = norm_layer(norm, output_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``norm(conv(activation(x)))``: half the spatial size, ``output_channels``."""
        return self.norm(conv2d(self.conv, self.activation(x)))


class ExpandingBlock(nn.Module):
    """U-Net decoder step: ``ReLU -> ConvTranspose2d(4, stride 2, padding 1) -> Norm
    [-> Dropout(0.5)]``, then ``torch.cat([skip, x], dim=1)`` with the encoder's feature map.

    Doubles the height and width. With ``outermost=True`` the block ends the generator:
    ``ReLU -> ConvTranspose2d (with bias) -> Tanh`` and there is no skip to concatenate.
    The skip comes first in the concatenation, as in the official ``UnetSkipConnectionBlock``
    (``torch.cat([x, self.model(x)], 1)``).
    """

    def __init__(
        self,
        input_channels: int,
        output_channels: int,
        norm: str = "batch",
        use_dropout: bool = False,
        outermost: bool = False,
    ) -> None:
        super().__init__()
        self.outermost = outermost
        self.activation = nn.ReLU()
        bias = True if outermost else uses_bias(norm)
        self.upconv = nn.ConvTranspose2d(
            input_channels, output_channels, 4, stride=2, padding=1, bias=bias
        )
        self.norm = nn.Identity() if outermost else norm_layer(norm, output_channels)
        self.dropout = nn.Dropout(0.5) if use_dropout else nn.Identity()
        self.output = nn.Tanh() if outermost else nn.Identity()

    def forward(self, x: torch.Tensor, skip: torch.Tensor | None = None) -> torch.Tensor:
        """Upsample ``x`` and concatenate the encoder feature map ``skip`` in front of it."""
        x = self.output(self.dropout(self.norm(conv_transpose2d(self.upconv, self.activation(x)))))
        if skip is None:
            return x
        return torch.cat([skip, x], dim=1)


class FeatureMapBlock(nn.Module):
    """``c7s1-k``: ``ReflectionPad2d(3) -> Conv2d(7x7, stride 1)``, then norm and ReLU, or Tanh.

    The first block of the ResNet generator maps the image to ``k`` feature maps
    (``final=False``: norm + ReLU); the last maps features back to an image
    (``final=True``: bias, no norm, Tanh).
    """

    def __init__(
        self, input_channels: int, output_channels: int, norm: str = "instance", final: bool = False
    ) -> None:
        super().__init__()
        bias = True if final else uses_bias(norm)
        self.pad = nn.ReflectionPad2d(3)
        self.conv = nn.Conv2d(input_channels, output_channels, 7, padding=0, bias=bias)
        self.norm = nn.Identity() if final else norm_layer(norm, output_channels)
        self.activation = nn.Tanh() if final else nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Same spatial size in and out."""
        return self.activation(self.norm(self.conv(self.pad(x))))


class ResidualBlock(nn.Module):
    """``Rk``: ``x + Norm(Conv3x3(Pad(ReLU(Norm(Conv3x3(Pad(x)))))))`` with reflection padding.

    Keeps both the channel count and the spatial size, so the residual sum is defined.
    The official ``ResnetBlock`` with ``padding_type="reflect"`` and no dropout
    (CycleGAN's default).
    """

    def __init__(self, channels: int, norm: str = "instance", use_dropout: bool = False) -> None:
        super().__init__()
        bias = uses_bias(norm)
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, padding=0, bias=bias),
            norm_layer(norm, channels),
            nn.ReLU(),
        ]
        if use_dropout:
            layers.append(nn.Dropout(0.5))
        layers += [
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, padding=0, bias=bias),
            norm_layer(norm, channels),
        ]
        self.block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Add the block's output to its input (the skip connection)."""
        return x + self.block(x)
