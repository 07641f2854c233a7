"""Weight initialisation as in the official pix2pix/CycleGAN code (``networks.init_weights``)."""

from __future__ import annotations

from torch import nn


def init_weights(module: nn.Module, gain: float = 0.02) -> nn.Module:
    """Initialise ``module`` in place the official way and return it.

    Convolution, transposed convolution and linear weights ~ N(0, gain), their biases 0;
    BatchNorm weights ~ N(1, gain), biases 0 (instance norm here has no affine parameters).
    """

    def _init(m: nn.Module) -> None:
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, gain)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d) and m.affine:
            nn.init.normal_(m.weight, 1.0, gain)
            nn.init.zeros_(m.bias)

    module.apply(_init)
    return module
