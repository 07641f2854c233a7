"""Inputs that tell right answers from wrong ones, and the comparisons the checks make.

* :func:`probe_init_` gives small networks weights large enough that their outputs are of order 1
  and differ clearly between inputs (the official N(0, 0.02) init makes a discriminator answer
  about 0 for everything, and then swapped real/fake targets go unnoticed).
* The mocks are asymmetric, non-linear stand-ins for the course's networks: every input channel
  has its own weight, so a wrong argument order or a wrong network changes the result.
* :func:`close` and :func:`tensors_close` compare in float64 with tolerances that hold for
  float32 computations on the CPU and on CUDA (TF32 is off during checks).
* :class:`SideEffects` records what a call must leave alone (inputs, weights, modes, gradients).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import torch
from torch import nn

from ..i18n import _

__all__ = [
    "RTOL",
    "ATOL",
    "GRAD_RTOL",
    "GRAD_ATOL",
    "probe_init_",
    "seeded",
    "criterion",
    "criterion_name",
    "MockImageGenerator",
    "MockPatchDiscriminator",
    "MockVectorGenerator",
    "MockVectorDiscriminator",
    "close",
    "tensors_close",
    "grads_close",
    "grad_norm",
    "fmt",
    "shape_str",
    "SideEffects",
]

#: Relative and absolute (relative to the reference's scale) tolerance on values.
RTOL = 1e-4
ATOL = 1e-5
#: Tolerances on gradients (a longer chain of float32 operations).
GRAD_RTOL = 1e-3
GRAD_ATOL = 1e-4


def seeded(seed: int) -> torch.Generator:
    """A CPU generator seeded with ``seed`` (probes are built on the CPU, then moved)."""
    return torch.Generator().manual_seed(int(seed) % (2**63))


def probe_init_(module: nn.Module, seed: int, gain: float = 1.0) -> nn.Module:
    """Re-initialise ``module`` in place for probing and return it.

    Convolution and linear weights ~ N(0, gain / sqrt(fan_in)), biases ~ U(-0.3, 0.3); batch-norm
    weights ~ N(1, 0.2), biases ~ N(0, 0.2), running mean ~ N(0, 0.2) and running variance
    ~ U(0.5, 1.5), so that train and eval mode give different results.
    """
    g = seeded(seed)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * gain / math.sqrt(fan_in))
            elif isinstance(m, nn.ConvTranspose2d):
                stride = m.stride[0] * m.stride[1]
                fan_in = max(1.0, m.weight.shape[0] * m.weight[0, 0].numel() / stride)
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * gain / math.sqrt(fan_in))
            else:
                if isinstance(m, nn.BatchNorm2d):
                    if m.affine:
                        m.weight.copy_(1 + 0.2 * torch.randn(m.weight.shape, generator=g))
                        m.bias.copy_(0.2 * torch.randn(m.bias.shape, generator=g))
                    if m.running_mean is not None:
                        m.running_mean.copy_(0.2 * torch.randn(m.running_mean.shape, generator=g))
                        m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=g))
                continue
            if m.bias is not None:
                m.bias.copy_((torch.rand(m.bias.shape, generator=g) - 0.5) * 0.6)
    return module


_CRITERIA = MappingProxyType(
    {
        "mse": nn.MSELoss,
        "bce": nn.BCEWithLogitsLoss,
        "l1": nn.L1Loss,
    }
)


def criterion(kind: str) -> nn.Module:
    """A fresh criterion: ``"mse"``, ``"bce"`` (BCE with logits) or ``"l1"``."""
    return _CRITERIA[kind]()


def criterion_name(crit: Any) -> str:
    """How a criterion is shown to the learner (``MSELoss``)."""
    return type(crit).__name__


def _check_channels(x: Any, channels: int, who: str, call: str) -> None:
    if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[1] != channels:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(
            _("{who} takes a batch of shape (N, {channels}, H, W) ({call}), got {shape}").format(
                who=who, channels=channels, call=call, shape=shape
            )
        )


class MockImageGenerator(nn.Module):
    """Image-to-image mock: ``tanh(conv3x3(x) + 0.5 * conv1x1(x) ** 2)``, same size in and out."""

    def __init__(self, input_channels: int, output_channels: int) -> None:
        super().__init__()
        self.input_channels = input_channels
        self.conv = nn.Conv2d(input_channels, output_channels, 3, padding=1)
        self.mix = nn.Conv2d(input_channels, output_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Translate a batch of images."""
        _check_channels(x, self.input_channels, _("This generator"), "gen(image)")
        return torch.tanh(self.conv(x) + 0.5 * self.mix(x) ** 2)


class MockPatchDiscriminator(nn.Module):
    """Patch-discriminator mock: stride-2 conv, LeakyReLU, conv to one channel, plus an offset.

    ``conditional=True`` makes it a Pix2Pix discriminator called as ``disc(image, condition)``
    (the condition is concatenated after the image); otherwise it is called as ``disc(image)``.
    """

    def __init__(
        self, image_channels: int, condition_channels: int = 0, offset: float = 0.4
    ) -> None:
        super().__init__()
        self.image_channels = image_channels
        self.condition_channels = condition_channels
        channels = image_channels + condition_channels
        self.conv = nn.Conv2d(channels, 4, 3, stride=2, padding=1)
        self.out = nn.Conv2d(4, 1, 3, padding=1)
        self.offset = offset

    def forward(self, image: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """A map of patch logits."""
        if self.condition_channels:
            if condition is None:
                raise TypeError(
                    _(
                        "this discriminator judges an image given its condition: call it as "
                        "disc(image, condition)"
                    )
                )
            _check_channels(image, self.image_channels, "disc's image", "disc(image, condition)")
            _check_channels(
                condition, self.condition_channels, "disc's condition", "disc(image, condition)"
            )
            image = torch.cat([image, condition], dim=1)
        else:
            if condition is not None:
                raise TypeError(
                    _("this discriminator takes only the image: call it as disc(image)")
                )
            _check_channels(image, self.image_channels, _("This discriminator"), "disc(image)")
        h = nn.functional.leaky_relu(self.conv(image), 0.2)
        return 1.5 * self.out(h) + self.offset


class MockVectorGenerator(nn.Module):
    """Vector-to-image mock for the conditional GAN: ``(N, input_dim)`` -> ``(N, C, S, S)``."""

    def __init__(self, input_dim: int, image_channels: int, size: int) -> None:
        super().__init__()
        self.input_dim, self.shape = input_dim, (image_channels, size, size)
        self.linear = nn.Linear(input_dim, image_channels * size * size)
        self.gate = nn.Linear(input_dim, image_channels * size * size)

    def forward(self, noise_and_labels: torch.Tensor) -> torch.Tensor:
        """Images in (-1, 1) from noise and one-hot labels concatenated."""
        x = noise_and_labels
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] != self.input_dim:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(
                _(
                    "the generator reads vectors of shape (N, {input_dim}) (noise and one-hot "
                    "labels concatenated), got {shape}"
                ).format(input_dim=self.input_dim, shape=shape)
            )
        out = torch.tanh(self.linear(x) * torch.sigmoid(self.gate(x) + 0.5))
        return out.view(len(x), *self.shape)


class MockVectorDiscriminator(nn.Module):
    """Image-and-label-maps mock for the conditional GAN.

    Reads ``(N, C + n_classes, S, S)`` and returns one logit per image, ``(N, 1)``.
    """

    def __init__(self, input_channels: int, offset: float = 0.3) -> None:
        super().__init__()
        self.input_channels = input_channels
        self.conv = nn.Conv2d(input_channels, 3, 3, stride=2, padding=1)
        self.out = nn.Linear(3, 1)
        self.offset = offset

    def forward(self, image_and_labels: torch.Tensor) -> torch.Tensor:
        """One logit per image."""
        _check_channels(
            image_and_labels,
            self.input_channels,
            _("The discriminator"),
            _("images and label channels concatenated"),
        )
        h = torch.tanh(self.conv(image_and_labels)).mean(dim=(2, 3))
        return 2.0 * self.out(h + h**2) + self.offset


def _as64(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to(device="cpu", dtype=torch.float64)


def close(got: Any, expected: Any, rtol: float = RTOL, atol: float = 1e-6) -> bool:
    """Whether two numbers (or one-element tensors) agree: ``|g - e| <= atol + rtol * |e|``."""
    try:
        g = float(_as64(got).reshape(-1)[0]) if isinstance(got, torch.Tensor) else float(got)
        e = (
            float(_as64(expected).reshape(-1)[0])
            if isinstance(expected, torch.Tensor)
            else float(expected)
        )
    except (TypeError, ValueError, IndexError, RuntimeError):
        return False
    if math.isnan(e):
        return math.isnan(g)
    if math.isnan(g) or math.isinf(g) != math.isinf(e):
        return False
    if math.isinf(e):
        return g == e
    return abs(g - e) <= atol + rtol * abs(e)


def tensors_close(
    got: torch.Tensor, expected: torch.Tensor, rtol: float = RTOL, atol: float = ATOL
) -> bool:
    """Same shape and ``|g - e| <= rtol * |e| + atol * max|e|`` everywhere (float64 on the CPU)."""
    if not isinstance(got, torch.Tensor) or tuple(got.shape) != tuple(expected.shape):
        return False
    g, e = _as64(got), _as64(expected)
    if g.numel() == 0:
        return True
    if bool(torch.isnan(e).any()) or bool(torch.isnan(g).any()):
        return bool(torch.equal(torch.isnan(g), torch.isnan(e))) and tensors_close(
            torch.nan_to_num(g), torch.nan_to_num(e), rtol, atol
        )
    scale = float(e.abs().max())
    return bool(((g - e).abs() <= rtol * e.abs() + atol * max(scale, 1e-12)).all())


def grad_norm(grads: Iterable[torch.Tensor | None]) -> float:
    """Largest absolute gradient entry (0 when there is none)."""
    largest = 0.0
    for g in grads:
        if g is not None and g.numel():
            largest = max(largest, float(_as64(g).abs().max()))
    return largest


def grads_close(got: list[torch.Tensor | None], expected: list[torch.Tensor | None]) -> bool:
    """Gradients of one network agree; ``None`` counts as zeros."""
    scale = max(grad_norm(expected), grad_norm(got), 1e-12)
    if len(got) != len(expected):
        return False
    for g, e in zip(got, expected, strict=True):
        if g is None and e is None:
            continue
        if g is None or e is None:
            if grad_norm([g if g is not None else e]) > GRAD_ATOL * scale:
                return False
            continue
        if tuple(g.shape) != tuple(e.shape):
            return False
        d = (_as64(g) - _as64(e)).abs()
        if bool((d > GRAD_RTOL * _as64(e).abs() + GRAD_ATOL * scale).any()):
            return False
    return True


def fmt(value: Any) -> str:
    """A number as shown in messages (6 significant digits)."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            return _("a tensor of shape {value_shape}").format(value_shape=shape_str(value))
        value = float(_as64(value).reshape(-1)[0])
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(value)


def shape_str(t: torch.Tensor) -> str:
    """``(2, 3, 32, 32)``."""
    return str(tuple(t.shape))


class SideEffects:
    """What a call must leave alone: input tensors (values, in-place versions, ``requires_grad``),
    networks (weights, train/eval mode, ``requires_grad``) and gradients (none yet)."""

    def __init__(self, tensors: Mapping[str, Any], nets: Mapping[str, nn.Module]) -> None:
        self.tensors = {
            k: (t, t.detach().clone(), t._version, t.requires_grad)
            for k, t in tensors.items()
            if isinstance(t, torch.Tensor)
        }
        self.nets = {
            k: (
                net,
                [p.detach().clone() for p in net.parameters()],
                [m.training for m in net.modules()],
                [p.requires_grad for p in net.parameters()],
            )
            for k, net in nets.items()
        }

    def problems(self, who: str) -> list[str]:
        """Learner-facing descriptions of what changed (empty when nothing did)."""
        out = []
        for name, (net, params, modes, flags) in self.nets.items():
            if any(p.grad is not None for p in net.parameters()):
                out.append(
                    _(
                        "{who} fills the gradients of `{name}` (it calls .backward()): return "
                        "the loss and let the training loop call backward() and step the "
                        "optimizer."
                    ).format(who=who, name=name)
                )
            now = list(net.parameters())
            if any(not torch.equal(p.detach(), q) for p, q in zip(now, params, strict=True)):
                out.append(
                    _(
                        "{who} changes the weights of `{name}` (an optimizer step inside the "
                        "function?): it should only compute the loss."
                    ).format(who=who, name=name)
                )
            if [m.training for m in net.modules()] != modes:
                out.append(
                    _(
                        "{who} switches `{name}` between train and eval mode (.train()/.eval()): "
                        "leave the mode to the training loop."
                    ).format(who=who, name=name)
                )
            if [p.requires_grad for p in net.parameters()] != flags:
                out.append(
                    _(
                        "{who} changes requires_grad on the parameters of `{name}`: freezing "
                        "networks is the training loop's job, not the loss function's."
                    ).format(who=who, name=name)
                )
        for name, (t, value, version, requires_grad) in self.tensors.items():
            if t._version != version or not torch.equal(t.detach(), value):
                out.append(
                    _(
                        "{who} modifies its input `{name}` in place (an operation ending in _ "
                        "such as add_, or `x += ...`, `x[...] = ...`): compute new tensors "
                        "instead."
                    ).format(who=who, name=name)
                )
            elif t.requires_grad != requires_grad:
                out.append(
                    _(
                        "{who} changes requires_grad of its input `{name}` (requires_grad_() or "
                        "detach_()): use `.detach()`, which returns a new tensor."
                    ).format(who=who, name=name)
                )
        return out
