"""The Pix2Pix generator: a U-Net with skip connections (``unet_256`` / ``unet_128``)."""

from __future__ import annotations

import torch
from torch import nn

from .blocks import ContractingBlock, ExpandingBlock, uses_bias
from .init import init_weights

__all__ = ["UNetGenerator"]


class UNetGenerator(nn.Module):
    """U-Net generator of Pix2Pix (Isola et al. 2017, appendix 6.1.1).

    Encoder ``C64-C128-C256-C512-C512-C512-C512-C512``, decoder
    ``CD512-CD1024-CD1024-C1024-C1024-C512-C256-C128`` for ``num_downs=8`` (the decoder's
    numbers count channels after the skip concatenation), then a transposed convolution to
    ``output_channels`` and ``tanh``. Each encoder step halves the image, so the input's height
    and width must be multiples of ``2 ** num_downs``: ``num_downs=8`` for 256x256
    (``unet_256``), 7 for 128x128 (``unet_128``), 6 for 64x64.

    As in the official ``UnetGenerator``: LeakyReLU(0.2) in the encoder, ReLU in the decoder,
    no norm on the outermost encoder layer nor on the innermost (bottleneck) one, no bias on
    convolutions followed by batch norm, and dropout 0.5 on the ``num_downs - 5`` decoder steps
    that follow the bottleneck (the paper's "CD" layers; in the official code the bottleneck's own
    up-convolution has no dropout). Dropout is Pix2Pix's only noise source: the paper keeps it
    on at test time too.

    Args:
        input_channels: channels of the condition image (e.g. 3 for a label map).
        output_channels: channels of the generated image.
        num_downs: number of downsamplings (at least 5).
        hidden_channels: filters of the first layer (``ngf``, 64 in the paper).
        use_dropout: dropout in the middle decoder steps.
        norm: ``"batch"`` (paper) or ``"instance"``.
    """

    def __init__(
        self,
        input_channels: int,
        output_channels: int,
        num_downs: int = 8,
        hidden_channels: int = 64,
        use_dropout: bool = True,
        norm: str = "batch",
    ) -> None:
        super().__init__()
        if num_downs < 5:
            raise ValueError(
                f"num_downs must be at least 5 (the paper's U-Net has 8), got {num_downs}"
            )
        self.num_downs = num_downs
        h = hidden_channels
        enc_channels = [h, h * 2, h * 4] + [h * 8] * (num_downs - 3)
        # Encoder: the outermost step has no activation and no norm, the innermost no norm.
        self.contract = nn.ModuleList()
        prev = input_channels
        for i, ch in enumerate(enc_channels):
            outermost, innermost = i == 0, i == num_downs - 1
            self.contract.append(
                ContractingBlock(
                    prev,
                    ch,
                    norm="none" if (outermost or innermost) else norm,
                    activation=not outermost,
                    bias=uses_bias(norm),
                )
            )
            prev = ch
        # Decoder: mirrors the encoder; each step's output is concatenated with a skip.
        self.expand = nn.ModuleList()
        for i in range(num_downs - 1, 0, -1):
            innermost = i == num_downs - 1
            in_ch = enc_channels[i] if innermost else enc_channels[i] * 2
            dropout = use_dropout and (num_downs - 5) >= (num_downs - 1 - i) >= 1
            self.expand.append(
                ExpandingBlock(in_ch, enc_channels[i - 1], norm=norm, use_dropout=dropout)
            )
        self.expand.append(
            ExpandingBlock(enc_channels[0] * 2, output_channels, norm=norm, outermost=True)
        )
        init_weights(self)

    @property
    def min_size(self) -> int:
        """Smallest height/width the network accepts (it must also divide every valid size)."""
        return 2**self.num_downs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Encode, keeping every feature map; decode, concatenating each with its mirror."""
        _check_unet_input(x, self.num_downs)
        skips = []
        for block in self.contract:
            x = block(x)
            skips.append(x)
        x = skips.pop()  # the bottleneck
        for block in self.expand:
            x = block(x, skips.pop() if skips else None)
        return x


def _check_unet_input(x: torch.Tensor, num_downs: int) -> None:
    if x.dim() != 4:
        raise ValueError(f"UNetGenerator expects a batch (N, C, H, W), got shape {tuple(x.shape)}")
    step = 2**num_downs
    h, w = x.shape[-2:]
    if h % step or w % step:
        raise ValueError(
            f"UNetGenerator(num_downs={num_downs}) needs height and width that are multiples of "
            f"{step} (smallest valid size {step}x{step}), got {h}x{w}; resize or crop the input, "
            f"or use num_downs={_largest_num_downs(h, w)} for this size"
        )


def _largest_num_downs(h: int, w: int) -> int:
    n = 0
    while h % 2 == 0 and w % 2 == 0 and h > 1 and w > 1:
        h, w, n = h // 2, w // 2, n + 1
    return n
