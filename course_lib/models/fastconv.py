"""Convolutions on small feature maps computed as one matrix product, for the CPU.

The innermost layers of the U-Net work on maps of 1x1 to 8x8 pixels with weights of up to
1024 x 512 x 4 x 4 (32 MB). There the work is dominated by the weights, not the arithmetic,
and the CPU's oneDNN convolution copies every weight into its own blocked layout on each call,
forward and backward. Written as ``unfold`` + matrix product (convolution) or matrix product +
``fold`` (transposed convolution), the same sums read the weight in place, in the layout the
module stores it: on 2 cores a transposed convolution on a 2x2 map runs about twice as fast.

:func:`conv2d` and :func:`conv_transpose2d` take the module itself and choose: the matrix
product for small maps on the CPU, the module's own forward everywhere else. Both compute the
same function of the same parameters (only the order of the floating-point additions differs),
and the modules and their state dicts are unchanged.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "SMALL_MAP_PIXELS",
    "gemm_conv2d",
    "gemm_conv_transpose2d",
    "conv2d",
    "conv_transpose2d",
]

#: Maps with at most this many pixels (height x width; the output of a convolution, the input
#: of a transposed convolution) take the matrix product on the CPU.
SMALL_MAP_PIXELS = 64


def _pair(value: int | tuple[int, ...]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _check_input(x: torch.Tensor, weight: torch.Tensor, cin: int, what: str) -> None:
    if x.dim() != 4:
        raise ValueError(f"{what} expects a batch (N, C, H, W), got shape {tuple(x.shape)}")
    if x.shape[1] != cin:
        raise ValueError(
            f"{what}: the weight {tuple(weight.shape)} expects {cin} input channels, "
            f"got input of shape {tuple(x.shape)}"
        )


def gemm_conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> torch.Tensor:
    """``F.conv2d(x, weight, bias, stride, padding)`` (zero padding, no dilation, no groups) as
    ``weight.view(C_out, -1) @ unfold(x)``."""
    cout, cin, kh, kw = weight.shape
    _check_input(x, weight, cin, "gemm_conv2d")
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    n, _, h, w = x.shape
    ho, wo = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    if ho < 1 or wo < 1:
        raise ValueError(f"gemm_conv2d: a {kh}x{kw} kernel does not fit a {h}x{w} input")
    cols = F.unfold(x, (kh, kw), padding=(ph, pw), stride=(sh, sw))  # N, C_in*kh*kw, ho*wo
    out = torch.matmul(weight.reshape(cout, cin * kh * kw), cols).view(n, cout, ho, wo)
    if bias is not None:
        out = out + bias.view(1, cout, 1, 1)
    return out


def gemm_conv_transpose2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    output_padding: int | tuple[int, int] = 0,
) -> torch.Tensor:
    """``F.conv_transpose2d(x, weight, bias, stride, padding, output_padding)`` (no dilation,
    no groups) as ``fold(weight.view(C_in, -1).T @ x)``."""
    cin, cout, kh, kw = weight.shape
    _check_input(x, weight, cin, "gemm_conv_transpose2d")
    (sh, sw), (ph, pw), (oph, opw) = _pair(stride), _pair(padding), _pair(output_padding)
    if oph >= sh or opw >= sw:
        raise ValueError("gemm_conv_transpose2d: output_padding must be smaller than stride")
    n, _, h, w = x.shape
    ho, wo = (h - 1) * sh - 2 * ph + kh + oph, (w - 1) * sw - 2 * pw + kw + opw
    cols = torch.matmul(weight.reshape(cin, cout * kh * kw).t(), x.reshape(n, cin, h * w))
    out = F.fold(cols, (ho, wo), (kh, kw), padding=(ph, pw), stride=(sh, sw))
    if bias is not None:
        out = out + bias.view(1, cout, 1, 1)
    return out


def _plain(module: nn.Module, x: torch.Tensor) -> bool:
    """Whether the module and input are ones the matrix-product path covers (a module with
    hooks keeps its own forward, so that the hooks run)."""
    return (
        x.device.type == "cpu"
        and x.dim() == 4
        and x.dtype in (torch.float32, torch.float64)
        and module.groups == 1
        and module.padding_mode == "zeros"
        and tuple(module.dilation) == (1, 1)
        and not isinstance(module.padding, str)
        and not (module._forward_hooks or module._forward_pre_hooks)
    )


def conv2d(module: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """``module(x)``, through :func:`gemm_conv2d` when the output map is small on the CPU."""
    if type(module) is nn.Conv2d and _plain(module, x):
        (kh, kw), (sh, sw), (ph, pw) = module.kernel_size, module.stride, module.padding
        ho = (x.shape[-2] + 2 * ph - kh) // sh + 1
        wo = (x.shape[-1] + 2 * pw - kw) // sw + 1
        if ho > 0 and wo > 0 and ho * wo <= SMALL_MAP_PIXELS:
            return gemm_conv2d(x, module.weight, module.bias, module.stride, module.padding)
    return module(x)


def conv_transpose2d(module: nn.ConvTranspose2d, x: torch.Tensor) -> torch.Tensor:
    """``module(x)``, through :func:`gemm_conv_transpose2d` when the input map is small on the
    CPU."""
    if (
        type(module) is nn.ConvTranspose2d
        and _plain(module, x)
        and x.shape[-2] * x.shape[-1] <= SMALL_MAP_PIXELS
    ):
        return gemm_conv_transpose2d(
            x, module.weight, module.bias, module.stride, module.padding, module.output_padding
        )
    return module(x)
