"""The CycleGAN generator: a ResNet of residual blocks between two down- and upsamplings."""

from __future__ import annotations

import torch
from torch import nn

from .blocks import FeatureMapBlock, ResidualBlock, norm_layer, uses_bias
from .init import init_weights

__all__ = ["ResnetGenerator"]


class ResnetGenerator(nn.Module):
    """ResNet generator of CycleGAN (Zhu et al. 2017, appendix 7.2; Johnson et al. 2016).

    ``c7s1-64, d128, d256, R256 x n_blocks, u128, u64, c7s1-3``: a reflection-padded 7x7
    convolution, two stride-2 3x3 convolutions, ``n_blocks`` residual blocks (9 for 256x256,
    6 for 128x128), two stride-2 transposed convolutions (``output_padding=1``), a final 7x7
    convolution and ``tanh``. Instance norm and ReLU throughout, reflection padding, no dropout,
    as the official ``resnet_9blocks`` / ``resnet_6blocks``. Height and width must be multiples
    of 4 (so the output has the input's size), at least 8.
    """

    def __init__(
        self,
        input_channels: int,
        output_channels: int,
        hidden_channels: int = 64,
        n_blocks: int = 9,
        norm: str = "instance",
        use_dropout: bool = False,
    ) -> None:
        super().__init__()
        if n_blocks < 0:
            raise ValueError(f"n_blocks must be >= 0, got {n_blocks}")
        h, bias = hidden_channels, uses_bias(norm)
        self.initial = FeatureMapBlock(input_channels, h, norm=norm)  # c7s1-64
        self.downsample = nn.Sequential(  # d128, d256
            *[
                layer
                for mult in (1, 2)
                for layer in (
                    nn.Conv2d(h * mult, h * mult * 2, 3, stride=2, padding=1, bias=bias),
                    norm_layer(norm, h * mult * 2),
                    nn.ReLU(),
                )
            ]
        )
        self.residual = nn.Sequential(  # R256 x n_blocks
            *[ResidualBlock(h * 4, norm=norm, use_dropout=use_dropout) for _ in range(n_blocks)]
        )
        self.upsample = nn.Sequential(  # u128, u64
            *[
                layer
                for mult in (4, 2)
                for layer in (
                    nn.ConvTranspose2d(
                        h * mult, h * mult // 2, 3, stride=2, padding=1, output_padding=1, bias=bias
                    ),
                    norm_layer(norm, h * mult // 2),
                    nn.ReLU(),
                )
            ]
        )
        self.final = FeatureMapBlock(h, output_channels, final=True)  # c7s1-3
        init_weights(self)

    min_size = 8

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Translate a batch of images; the output has the input's size."""
        if x.dim() != 4:
            raise ValueError(f"ResnetGenerator expects a batch (N, C, H, W), got {tuple(x.shape)}")
        h, w = x.shape[-2:]
        if h % 4 or w % 4 or min(h, w) < self.min_size:
            raise ValueError(
                f"ResnetGenerator needs height and width that are multiples of 4, smallest valid "
                f"size {self.min_size}x{self.min_size}, got {h}x{w}"
            )
        x = self.downsample(self.initial(x))
        return self.final(self.upsample(self.residual(x)))
