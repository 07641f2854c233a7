"""The PatchGAN discriminator of Pix2Pix and CycleGAN, and its receptive field."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import norm_layer, uses_bias
from .init import init_weights

__all__ = ["PatchGANDiscriminator", "receptive_field", "receptive_field_of", "output_size"]


class PatchGANDiscriminator(nn.Module):
    """The 70x70 PatchGAN (Isola et al. 2017, appendix 6.1.2): ``C64-C128-C256-C512``.

    ``n_layers=3`` gives the official ``basic`` discriminator: four 4x4 convolutions with
    LeakyReLU(0.2) (strides 2, 2, 2, 1; no norm on the first), then a 4x4 convolution to one
    channel. The output is a map of raw logits, one per overlapping 70x70 patch of the input
    (30x30 for a 256x256 input): no sigmoid, the loss applies it (``BCEWithLogitsLoss``) or
    does without it (least squares, CycleGAN).

    Conditional use (Pix2Pix): ``disc(image, condition)`` concatenates both along the channels,
    so ``input_channels`` is the sum (3 + 3 = 6). Unconditional use (CycleGAN): ``disc(image)``.

    Args:
        input_channels: channels the network sees (image plus condition, if any).
        hidden_channels: filters of the first layer (``ndf``, 64).
        n_layers: number of stride-2 convolutions; receptive field 16/34/70/142/286 for 1..5.
        norm: ``"batch"`` (Pix2Pix) or ``"instance"`` (CycleGAN).
    """

    def __init__(
        self,
        input_channels: int,
        hidden_channels: int = 64,
        n_layers: int = 3,
        norm: str = "batch",
    ) -> None:
        super().__init__()
        if n_layers < 1:
            raise ValueError(f"n_layers must be at least 1, got {n_layers}")
        self.input_channels = input_channels
        bias = uses_bias(norm)
        h = hidden_channels
        layers: list[nn.Module] = [
            nn.Conv2d(input_channels, h, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
        ]
        mult = 1
        for n in range(1, n_layers):
            prev, mult = mult, min(2**n, 8)
            layers += [
                nn.Conv2d(h * prev, h * mult, 4, stride=2, padding=1, bias=bias),
                norm_layer(norm, h * mult),
                nn.LeakyReLU(0.2),
            ]
        prev, mult = mult, min(2**n_layers, 8)
        layers += [
            nn.Conv2d(h * prev, h * mult, 4, stride=1, padding=1, bias=bias),
            norm_layer(norm, h * mult),
            nn.LeakyReLU(0.2),
            nn.Conv2d(h * mult, 1, 4, stride=1, padding=1),
        ]
        self.model = nn.Sequential(*layers)
        self.min_size = _min_input_size(self.model)
        init_weights(self)

    def forward(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """Return one logit per patch; ``condition`` is concatenated after the image."""
        return self.model(self._input(x, condition))

    def forward_groups(
        self, x: torch.Tensor, condition: torch.Tensor | None = None, groups: int = 2
    ) -> torch.Tensor:
        """The logits of ``groups`` equal parts of the batch, each as if it were passed alone:
        ``cat([D(part) for part in x.chunk(groups)])``, in one pass.

        Batch norm in training mode normalises each part with its own statistics and updates
        the running statistics part after part, in the batch's order, as the separate calls do.
        With instance norm, no norm or in eval mode this is :meth:`forward`.
        """
        x = self._input(x, condition)
        if groups < 1 or x.shape[0] % groups:
            raise ValueError(
                f"forward_groups: a batch of {x.shape[0]} does not split into {groups} equal parts"
            )
        for layer in self.model:
            if isinstance(layer, nn.BatchNorm2d) and layer.training and groups > 1:
                x = _batch_norm_groups(layer, x, groups)
            else:
                x = layer(x)
        return x

    def _input(self, x: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
        if condition is not None:
            x = torch.cat([x, condition], dim=1)
        if x.dim() != 4 or x.shape[1] != self.input_channels:
            raise ValueError(
                f"PatchGANDiscriminator was built for {self.input_channels} input channels "
                f"(image and condition together), got input of shape {tuple(x.shape)}"
            )
        h, w = x.shape[-2:]
        if min(h, w) < self.min_size:
            raise ValueError(
                f"input of {h}x{w} is too small for this PatchGAN: the smallest valid size is "
                f"{self.min_size}x{self.min_size}"
            )
        return x


def _batch_norm_groups(bn: nn.BatchNorm2d, x: torch.Tensor, groups: int) -> torch.Tensor:
    """``cat([bn(part) for part in x.chunk(groups)])`` for a batch norm in training mode."""
    if bn.track_running_stats and bn.running_mean is not None and bn.momentum is None:
        return torch.cat([bn(part) for part in x.chunk(groups)])  # cumulative averages
    total, c, h, w = x.shape
    n = total // groups
    # the parts side by side as channels: (n, groups * C, H, W), a view when n == 1
    y = x.reshape(groups, n, c, h, w).transpose(0, 1).reshape(n, groups * c, h, w)
    if bn.track_running_stats and bn.running_mean is not None:
        with torch.no_grad():
            var, mean = torch.var_mean(y.reshape(n, groups, c, h, w), dim=(0, 3, 4), correction=1)
            for i in range(groups):
                bn.running_mean.mul_(1 - bn.momentum).add_(mean[i], alpha=bn.momentum)
                bn.running_var.mul_(1 - bn.momentum).add_(var[i], alpha=bn.momentum)
            bn.num_batches_tracked.add_(groups)
    weight = None if bn.weight is None else bn.weight.repeat(groups)
    bias = None if bn.bias is None else bn.bias.repeat(groups)
    out = F.batch_norm(y, None, None, weight, bias, training=True, eps=bn.eps)
    return out.reshape(n, groups, c, h, w).transpose(0, 1).reshape(total, c, h, w)


def _convs(module: nn.Module) -> list[nn.Conv2d]:
    return [m for m in module.modules() if isinstance(m, nn.Conv2d)]


def receptive_field_of(
    kernel_sizes: Sequence[int], strides: Sequence[int], dilations: Sequence[int] | None = None
) -> int:
    """Receptive field, in input pixels, of one output unit of a stack of convolutions.

    The layers are given in order, first layer first. Going backwards from one output pixel,
    each layer widens the field: ``r <- (r - 1) * stride + dilation * (kernel - 1) + 1``
    (``(r - 1) * stride + kernel`` without dilation). Kernels ``[4, 4, 4, 4, 4]`` with strides
    ``[2, 2, 2, 1, 1]`` (the 70x70 PatchGAN) give 70.
    """
    if dilations is None:
        dilations = [1] * len(kernel_sizes)
    if not (len(kernel_sizes) == len(strides) == len(dilations)):
        raise ValueError("kernel_sizes, strides (and dilations) must have the same length")
    r = 1
    for k, s, d in zip(reversed(kernel_sizes), reversed(strides), reversed(dilations)):
        r = (r - 1) * s + d * (k - 1) + 1
    return r


def receptive_field(discriminator: nn.Module) -> int:
    """Receptive field, in input pixels, of one output unit of a stack of convolutions.

    Computed from the layers (kernel sizes, strides and dilations, in order), not looked up,
    with :func:`receptive_field_of`.
    """
    convs = _convs(discriminator)
    if not convs:
        raise ValueError("the module has no Conv2d layers, so it has no receptive field")
    return receptive_field_of(
        [conv.kernel_size[0] for conv in convs],
        [conv.stride[0] for conv in convs],
        [conv.dilation[0] for conv in convs],
    )


def output_size(discriminator: nn.Module, input_size: int) -> int:
    """Side of the output map for a square input of side ``input_size`` (0 if none)."""
    size = input_size
    for conv in _convs(discriminator):
        k, s, p, d = conv.kernel_size[0], conv.stride[0], conv.padding[0], conv.dilation[0]
        size = (size + 2 * p - d * (k - 1) - 1) // s + 1
        if size < 1:
            return 0
    return size


def _min_input_size(model: nn.Sequential) -> int:
    """Smallest square input for which every normalised map has more than one value per channel
    at batch size 1 (what BatchNorm in training and InstanceNorm need) and the output is >= 1x1."""
    for size in range(1, 4096):
        s, ok = size, True
        for layer in model:
            if isinstance(layer, nn.Conv2d):
                k, st, p = layer.kernel_size[0], layer.stride[0], layer.padding[0]
                s = (s + 2 * p - k) // st + 1
                if s < 1:
                    ok = False
                    break
            elif isinstance(layer, (nn.BatchNorm2d, nn.InstanceNorm2d)) and s * s < 2:
                ok = False
                break
        if ok:
            return size
    raise ValueError("no input size up to 4096 works for this discriminator")
