"""Checks of the Pix2Pix exercises: the U-Net blocks and generator, the PatchGAN, its receptive
field, and the generator and discriminator losses."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..i18n import N_, _
from ..losses import pix2pix as ref
from ..models import (
    ContractingBlock,
    ExpandingBlock,
    PatchGANDiscriminator,
    UNetGenerator,
    receptive_field_of,
)
from .losscheck import (
    GEN_ONCE,
    SEPARATE_BATCHES,
    LossSpec,
    Mistake,
    Probe,
    ProbeData,
    check_loss,
)
from .modulecheck import ForwardMistake, ModuleCase, ModuleSpec, check_module
from .probes import (
    MockImageGenerator,
    MockPatchDiscriminator,
    criterion,
    criterion_name,
    probe_init_,
    seeded,
)
from .registry import Exercise, register
from .runner import CheckContext, fail

__all__ = [
    "check_contracting_block",
    "check_expanding_block",
    "check_unet_generator",
    "check_patchgan",
    "check_receptive_field",
    "check_get_gen_loss",
    "check_get_disc_loss",
]


def _images(*shape: int) -> Callable[[torch.Generator], tuple[torch.Tensor]]:
    return lambda g: (torch.randn(*shape, generator=g),)


# --------------------------------------------------------------------------- ContractingBlock
def _cb_no_activation(self, x):
    return self.norm(self.conv(x))


def _cb_no_norm(self, x):
    return self.conv(self.activation(x))


def _cb_dlai_order(self, x):
    return self.activation(self.norm(self.conv(x)))


def _cb_activation_after_conv(self, x):
    return self.norm(self.activation(self.conv(x)))


def _cb_relu(self, x):
    return self.norm(self.conv(F.relu(x)))


def _cb_leaky_always(self, x):
    return self.norm(self.conv(F.leaky_relu(x, 0.2)))


def _cb_detached(self, x):
    return self.norm(self.conv(self.activation(x.detach())))


def check_contracting_block(candidate: Any, ctx: CheckContext) -> None:
    """``ContractingBlock.forward(x)`` = ``norm(conv(activation(x)))``.

    Catches: a missing activation or norm, the DLAI order conv -> norm -> activation, ReLU
    instead of the block's LeakyReLU (or an activation in the outermost block, which has none),
    a detached input, in-place changes of the input, an inherited or reference forward.
    """
    spec = ModuleSpec(
        cases=[
            ModuleCase((3, 4), {}, lambda g: (torch.randn(2, 3, 8, 8, generator=g),)),
            ModuleCase(
                (4, 6), {"norm": "instance"}, lambda g: (torch.randn(2, 4, 8, 6, generator=g),)
            ),
            ModuleCase(
                (2, 5),
                {"norm": "none", "activation": False},
                lambda g: (torch.randn(1, 2, 8, 8, generator=g),),
            ),
        ],
        mistakes=[
            ForwardMistake(
                _cb_dlai_order,
                _(
                    "Your ContractingBlock applies conv -> norm -> activation; this U-Net (the "
                    "official one) applies the activation first: norm(conv(activation(x)))."
                ),
            ),
            ForwardMistake(
                _cb_activation_after_conv,
                _(
                    "Your ContractingBlock applies the activation after the convolution; the "
                    "order is activation -> conv -> norm: "
                    "self.norm(self.conv(self.activation(x)))."
                ),
            ),
            ForwardMistake(
                _cb_no_activation,
                _(
                    "Your ContractingBlock skips the activation: apply self.activation "
                    "(LeakyReLU 0.2) before the convolution."
                ),
            ),
            ForwardMistake(
                _cb_no_norm,
                _(
                    "Your ContractingBlock skips the normalisation: apply self.norm after the "
                    "convolution."
                ),
            ),
            ForwardMistake(
                _cb_relu,
                _(
                    "Your ContractingBlock uses ReLU; use the block's own self.activation "
                    "(LeakyReLU(0.2), and no activation in the outermost block)."
                ),
            ),
            ForwardMistake(
                _cb_leaky_always,
                _(
                    "Your ContractingBlock always applies a LeakyReLU; use the block's own "
                    "self.activation (the outermost block has none)."
                ),
            ),
            ForwardMistake(
                _cb_detached,
                _(
                    "Your ContractingBlock detaches its input, so no gradient flows back to the "
                    "earlier layers: don't call .detach() in forward."
                ),
                on="grads",
            ),
        ],
        reminder=(
            _("forward applies the activation first, then the convolution, then the normalisation.")
        ),
    )
    check_module(ctx, candidate, spec)


# --------------------------------------------------------------------------- ExpandingBlock
def _eb_up(self, x):
    return self.output(self.dropout(self.norm(self.upconv(self.activation(x)))))


def _eb_cat_after(skip, x):
    return x if skip is None else torch.cat([skip, x], dim=1)


def _eb_wrong_order(self, x, skip=None):
    x = _eb_up(self, x)
    return x if skip is None else torch.cat([x, skip], dim=1)


def _eb_no_output(self, x, skip=None):
    return _eb_cat_after(skip, self.dropout(self.norm(self.upconv(self.activation(x)))))


def _eb_no_dropout(self, x, skip=None):
    return _eb_cat_after(skip, self.output(self.norm(self.upconv(self.activation(x)))))


def _eb_dropout_first(self, x, skip=None):
    return _eb_cat_after(
        skip, self.output(self.norm(self.dropout(self.upconv(self.activation(x)))))
    )


def _eb_no_activation(self, x, skip=None):
    return _eb_cat_after(skip, self.output(self.dropout(self.norm(self.upconv(x)))))


def _eb_no_norm(self, x, skip=None):
    return _eb_cat_after(skip, self.output(self.dropout(self.upconv(self.activation(x)))))


def _eb_ignores_skip(self, x, skip=None):
    return _eb_up(self, x)


def _eb_add_skip(self, x, skip=None):
    x = _eb_up(self, x)
    return x if skip is None else x + skip[:, : x.shape[1]]


def _eb_detached_skip(self, x, skip=None):
    return _eb_cat_after(None if skip is None else skip.detach(), _eb_up(self, x))


def check_expanding_block(candidate: Any, ctx: CheckContext) -> None:
    """``ExpandingBlock.forward(x, skip=None)``: ``output(dropout(norm(upconv(activation(x)))))``
    then ``torch.cat([skip, x], dim=1)`` when ``skip`` is given.

    Catches: ``torch.cat([x, skip])`` (the official order puts the skip first), a skip that is
    ignored or added, a missing activation, norm, dropout or final Tanh, dropout before the
    norm, a detached skip, in-place changes, an inherited or reference forward.
    """
    spec = ModuleSpec(
        cases=[
            ModuleCase(
                (6, 3),
                {},
                lambda g: (
                    torch.randn(2, 6, 4, 4, generator=g),
                    torch.randn(2, 3, 8, 8, generator=g),
                ),
            ),
            ModuleCase(
                (4, 2),
                {"norm": "instance", "use_dropout": True},
                lambda g: (
                    torch.randn(2, 4, 4, 4, generator=g),
                    torch.randn(2, 5, 8, 8, generator=g),
                ),
            ),
            ModuleCase(
                (4, 3),
                {"outermost": True},
                lambda g: (torch.randn(1, 4, 8, 8, generator=g), None),
            ),
        ],
        mistakes=[
            ForwardMistake(
                _eb_wrong_order,
                _(
                    "Your ExpandingBlock concatenates [x, skip]; the skip comes first, in front "
                    "of the upsampled features along the channels, as in the official U-Net."
                ),
            ),
            ForwardMistake(
                _eb_ignores_skip,
                _(
                    "Your ExpandingBlock ignores the skip connection: after upsampling, "
                    "concatenate the encoder's feature map in front of the upsampled features "
                    "along the channels (when skip is not None)."
                ),
            ),
            ForwardMistake(
                _eb_add_skip,
                _(
                    "Your ExpandingBlock adds the skip; the U-Net concatenates it along the "
                    "channels, the skip first."
                ),
            ),
            ForwardMistake(
                _eb_no_output,
                _(
                    "Your ExpandingBlock leaves out self.output (the Tanh of the outermost "
                    "block): apply it last, before the concatenation."
                ),
            ),
            ForwardMistake(
                _eb_dropout_first,
                _(
                    "Your ExpandingBlock applies dropout before the norm; the order is "
                    "activation -> upconv -> norm -> dropout -> output."
                ),
            ),
            ForwardMistake(
                _eb_no_dropout,
                _(
                    "Your ExpandingBlock leaves out self.dropout: apply it after the norm (it is "
                    "nn.Identity when the block has no dropout)."
                ),
            ),
            ForwardMistake(
                _eb_no_activation,
                _(
                    "Your ExpandingBlock skips the activation: apply self.activation (ReLU) "
                    "before the transposed convolution."
                ),
            ),
            ForwardMistake(
                _eb_no_norm,
                _(
                    "Your ExpandingBlock skips the normalisation: apply self.norm after the "
                    "transposed convolution."
                ),
            ),
            ForwardMistake(
                _eb_detached_skip,
                _(
                    "Your ExpandingBlock detaches the skip connection, so the encoder gets no "
                    "gradient through it: concatenate skip itself."
                ),
                on="grads",
            ),
        ],
        reminder=(
            _(
                "Upsample in the block's order (activation, transposed convolution, "
                "normalisation, dropout, output layer), then, when a skip is given, join it in "
                "front of the upsampled features along the channels."
            )
        ),
    )
    check_module(ctx, candidate, spec)


# --------------------------------------------------------------------------- UNetGenerator
def _unet_skips_reversed(self, x):
    skips = []
    for block in self.contract:
        x = block(x)
        skips.append(x)
    x = skips.pop()
    for block in self.expand:
        x = block(x, skips.pop(0) if skips else None)
    return x


def _unet_detached_skips(self, x):
    skips = []
    for block in self.contract:
        x = block(x)
        skips.append(x.detach())
    x = skips.pop()
    for block in self.expand:
        x = block(x, skips.pop() if skips else None)
    return x


def check_unet_generator(candidate: Any, ctx: CheckContext) -> None:
    """``UNetGenerator.forward(x)``: run the contracting blocks keeping every output, then the
    expanding blocks, each given the mirrored encoder output as its skip (none for the last).

    Catches: skips taken in the wrong order, missing skips, detached skips, a wrong number of
    blocks, in-place changes, an inherited or reference forward.
    """
    spec = ModuleSpec(
        cases=[
            ModuleCase((3, 2), {"num_downs": 5, "hidden_channels": 2}, _images(2, 3, 32, 32)),
            ModuleCase(
                (2, 3),
                {"num_downs": 6, "hidden_channels": 2, "norm": "instance"},
                _images(1, 2, 64, 64),
            ),
        ],
        mistakes=[
            ForwardMistake(
                _unet_skips_reversed,
                _(
                    "Your UNetGenerator gives the expanding blocks the skips in the wrong order: "
                    "the first expanding block takes the deepest remaining encoder output "
                    "(skips.pop(), last in, first out)."
                ),
            ),
            ForwardMistake(
                _unet_detached_skips,
                _(
                    "Your UNetGenerator detaches the skip connections: pass the encoder outputs "
                    "as they are, so gradients flow back through them."
                ),
                on="grads",
            ),
        ],
        reminder=(
            _(
                "Keep every contracting block's output; start the decoder from the innermost one "
                "and give each expanding block the mirrored encoder output (None for the last)."
            )
        ),
    )
    check_module(ctx, candidate, spec)


# --------------------------------------------------------------------------- PatchGAN
def _pg_condition_first(self, x, condition=None):
    if condition is not None:
        x = torch.cat([condition, x], dim=1)
    return self.model(x)


def _pg_sigmoid(self, x, condition=None):
    if condition is not None:
        x = torch.cat([x, condition], dim=1)
    return torch.sigmoid(self.model(x))


def _pg_mean(self, x, condition=None):
    if condition is not None:
        x = torch.cat([x, condition], dim=1)
    return self.model(x).mean(dim=(1, 2, 3))


def _pg_mean_keep(self, x, condition=None):
    if condition is not None:
        x = torch.cat([x, condition], dim=1)
    return self.model(x).mean(dim=(2, 3), keepdim=True)


def _pg_detached_condition(self, x, condition=None):
    if condition is not None:
        x = torch.cat([x, condition.detach()], dim=1)
    return self.model(x)


def check_patchgan(candidate: Any, ctx: CheckContext) -> None:
    """``PatchGANDiscriminator.forward(x, condition=None)``: concatenate the condition after the
    image along the channels (when given), then ``self.model``: one logit per patch.

    Catches: the condition before the image, a sigmoid on the output (the loss applies it),
    one number per image instead of a patch map, a detached condition, in-place changes, an
    inherited or reference forward.
    """
    spec = ModuleSpec(
        cases=[
            ModuleCase(
                (6,),
                {"hidden_channels": 4, "n_layers": 2},
                lambda g: (
                    torch.randn(2, 3, 32, 32, generator=g),
                    torch.randn(2, 3, 32, 32, generator=g),
                ),
            ),
            ModuleCase(
                (5,),
                {"hidden_channels": 4, "n_layers": 1, "norm": "instance"},
                lambda g: (
                    torch.randn(2, 3, 16, 16, generator=g),
                    torch.randn(2, 2, 16, 16, generator=g),
                ),
            ),
            ModuleCase(
                (3,),
                {"hidden_channels": 2, "n_layers": 3, "norm": "instance"},
                lambda g: (torch.randn(1, 3, 32, 32, generator=g), None),
            ),
        ],
        mistakes=[
            ForwardMistake(
                _pg_condition_first,
                _(
                    "Your PatchGANDiscriminator puts the condition before the image; concatenate "
                    "the condition after it along the channels, image first."
                ),
            ),
            ForwardMistake(
                _pg_sigmoid,
                _(
                    "Your PatchGANDiscriminator applies a sigmoid: return the raw patch logits "
                    "(BCEWithLogitsLoss applies the sigmoid; the least-squares loss uses none)."
                ),
            ),
            ForwardMistake(
                _pg_mean,
                _(
                    "Your PatchGANDiscriminator averages the patches into one number per image: "
                    "return the whole map of patch logits, shape (N, 1, H', W')."
                ),
            ),
            ForwardMistake(
                _pg_mean_keep,
                _(
                    "Your PatchGANDiscriminator averages the patches into one number per image: "
                    "return the whole map of patch logits, shape (N, 1, H', W')."
                ),
            ),
            ForwardMistake(
                _pg_detached_condition,
                _("Your PatchGANDiscriminator detaches the condition: concatenate it as it is."),
                on="grads",
            ),
        ],
        reminder=(
            _(
                "When a condition is given, join it to the image along the channels, image "
                "first, then run the layers on the result."
            )
        ),
    )
    check_module(ctx, candidate, spec)


# --------------------------------------------------------------------------- receptive field
def _rf_forward_order(kernels, strides):
    r = 1
    for k, s in zip(kernels, strides, strict=False):
        r = (r - 1) * s + k
    return r


def _rf_no_minus_one(kernels, strides):
    r = 1
    for k, s in zip(reversed(kernels), reversed(strides), strict=False):
        r = r * s + k
    return r


def _rf_no_strides(kernels, strides):
    return 1 + sum(k - 1 for k in kernels)


def _rf_start_zero(kernels, strides):
    r = 0
    for k, s in zip(reversed(kernels), reversed(strides), strict=False):
        r = (r - 1) * s + k
    return r


def _rf_stride_of_next(kernels, strides):
    r = 1
    ks, ss = list(reversed(kernels)), list(reversed(strides))
    for i, k in enumerate(ks):
        s = ss[i - 1] if i > 0 else 1
        r = (r - 1) * s + k
    return r


_RF_MISTAKES: tuple[tuple[Callable[[list, list], int], str], ...] = (
    (
        _rf_forward_order,
        N_(
            "Your receptive_field goes through the layers from first to last. The recursion "
            "starts at one output pixel (r = 1) and walks back from the last layer to the first: "
            "r = (r - 1) * stride + kernel."
        ),
    ),
    (
        _rf_no_minus_one,
        N_(
            "Your receptive_field computes r * stride + kernel; a layer adds stride pixels per "
            "extra output pixel: r = (r - 1) * stride + kernel."
        ),
    ),
    (
        _rf_no_strides,
        N_(
            "Your receptive_field ignores the strides: after a stride-2 layer each later pixel "
            "spans twice as many inputs. Use r = (r - 1) * stride + kernel, last layer first."
        ),
    ),
    (
        _rf_start_zero,
        N_(
            "Your receptive_field starts from r = 0: one output pixel sees itself, start from r "
            "= 1."
        ),
    ),
    (
        _rf_stride_of_next,
        N_(
            "Your receptive_field multiplies by the stride of the wrong layer: each layer uses "
            "its own stride, r = (r - 1) * stride + kernel."
        ),
    ),
)


def check_receptive_field(candidate: Any, ctx: CheckContext) -> None:
    """``receptive_field(kernel_sizes, strides) -> int``, by ``r <- (r - 1) * s + k`` from the
    last layer back to the first (70 for the 70x70 PatchGAN).

    Catches: the layers taken first to last, ``r * s + k``, ignored strides, a start at 0, the
    neighbouring layer's stride, input lists reversed in place, a non-integer result.
    Accepts the forward formulation (``r += (k - 1) * jump; jump *= s``), lists or tuples,
    any integer type.
    """
    cases: list[tuple[list[int], list[int]]] = [
        ([4, 4, 4, 4, 4], [2, 2, 2, 1, 1]),
        ([3, 3, 3], [1, 1, 1]),
        ([4, 4, 4, 4, 4, 4], [2, 2, 2, 2, 1, 1]),
        ([7, 3, 5], [2, 3, 1]),
        ([5], [2]),
        ([3, 4, 2, 3], [1, 2, 2, 3]),
    ]
    for i, (kernels, strides) in enumerate(cases, 1):
        where = _("input #{i} (kernel_sizes={kernels}, strides={strides})").format(
            i=i, kernels=kernels, strides=strides
        )
        expected = receptive_field_of(kernels, strides)
        k_in, s_in = list(kernels), list(strides)
        out = ctx.call(candidate, (k_in, s_in), where)
        if k_in != kernels or s_in != strides:
            fail(
                _(
                    "{who} changes the lists it is given on {where} (list.reverse() or .pop() "
                    "work in place): use reversed(...) or slicing [::-1]."
                ).format(who=ctx.who, where=where)
            )
        value = out.item() if isinstance(out, torch.Tensor) and out.numel() == 1 else out
        if out is None:
            fail(
                _("{who} returns None on {where}: did you forget `return`?").format(
                    who=ctx.who, where=where
                )
            )
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            fail(
                _("{who} returns {out!r} on {where}; return a whole number of pixels.").format(
                    who=ctx.who, out=out, where=where
                )
            )
        if not isinstance(value, numbers.Integral):
            fail(
                _(
                    "{who} returns {out!r} on {where}, a {out_type}: a receptive field is a "
                    "whole number of pixels, return an int (use // rather than /, or int(...))."
                ).format(who=ctx.who, out=out, where=where, out_type=type(out).__name__)
            )
        if value == expected:
            continue
        for mistake, hint in _RF_MISTAKES:
            if mistake(kernels, strides) == value:
                fail(
                    _("{hint}\n(seen on {where}: expected {expected}, got {value})").format(
                        hint=_(hint), where=where, expected=expected, value=value
                    )
                )
        fail(
            _(
                "{who} returns {value} on {where}; expected {expected}. Start from r = 1 and, "
                "from the last layer back to the first, set r = (r - 1) * stride + kernel."
            ).format(who=ctx.who, value=value, where=where, expected=expected)
        )


# --------------------------------------------------------------------------- losses
def _probe(
    seed: int, device: torch.device, kind: str, batch: int, adv: str, recon: str, lam: float
) -> Probe:
    def build() -> ProbeData:
        g = seeded(seed)
        if kind == "real":
            size, cin, cout = 32, 3, 3
            gen = UNetGenerator(cin, cout, num_downs=5, hidden_channels=4, norm="instance")
            disc = PatchGANDiscriminator(cin + cout, hidden_channels=4, n_layers=2, norm="instance")
        else:
            size, cin, cout = 16, 2, 3
            gen = MockImageGenerator(cin, cout)
            disc = MockPatchDiscriminator(cout, cin)
        gen = probe_init_(gen, seed + 1).to(device).eval()
        disc = probe_init_(disc, seed + 2).to(device).eval()
        condition = (torch.rand(batch, cin, size, size, generator=g) * 2 - 1).to(device)
        real = (torch.rand(batch, cout, size, size, generator=g) * 2 - 1).to(device)
        adv_c, recon_c = criterion(adv), criterion(recon)
        return ProbeData(
            (gen, disc, real, condition, adv_c, recon_c, lam),
            {"gen": gen, "disc": disc},
            {"real": real, "condition": condition},
            {
                "adv_criterion": criterion_name(adv_c),
                "recon_criterion": criterion_name(recon_c),
                "lambda_recon": lam,
            },
        )

    nets = (
        _("U-Net generator and PatchGAN, 3-channel condition and target")
        if kind == "real"
        else _("non-linear test networks, 2-channel condition, 3-channel target")
    )
    label = _(
        "batch of {batch}, {nets}, adv_criterion={criterion}, "
        "recon_criterion={recon_criterion}, lambda_recon={lam}"
    ).format(
        batch=batch,
        nets=nets,
        criterion=criterion_name(criterion(adv)),
        recon_criterion=criterion_name(criterion(recon)),
        lam=lam,
    )
    return Probe(label, build)


def _probes(ctx: CheckContext) -> list[Probe]:
    s = ctx.seed * 1000 + 300
    return [
        _probe(s + 1, ctx.device, "real", 2, "bce", "l1", 3.5),
        _probe(s + 2, ctx.device, "mock", 3, "mse", "mse", 0.7),
        _probe(s + 3, ctx.device, "mock", 2, "bce", "l1", 12.0),
        _probe(s + 4, ctx.device, "real", 1, "mse", "l1", 100.0),
    ]


def _gen_mistake(**o: Any) -> Callable[..., torch.Tensor]:
    """A wrong Pix2Pix generator loss, computed with reference pieces."""

    def loss(gen, disc, real, condition, adv_criterion, recon_criterion, lambda_recon):
        adv_c = o["adv"]() if "adv" in o else adv_criterion
        recon_c = o["recon"]() if "recon" in o else recon_criterion
        lam = o.get("lam", lambda_recon)
        fake = gen(condition)
        judged = fake.detach() if o.get("detach_adv") else fake
        if o.get("disc_order"):
            pred = disc(condition, judged)
        else:
            pred = disc(judged, condition)
        if o.get("sigmoid"):
            pred = torch.sigmoid(pred)
        target = torch.full_like(pred, o.get("target", 1.0))
        adv = adv_c(target, pred) if o.get("swap_adv") else adv_c(pred, target)
        recon_fake = fake.detach() if o.get("detach_recon") else fake
        recon_target = condition if o.get("recon_condition") else real
        recon = recon_c(recon_target, recon_fake)
        if o.get("lam_on_adv"):
            return lam * adv + recon
        return o.get("adv_weight", 1.0) * adv + o.get("recon_weight", 1.0) * lam * recon

    return loss


def _disc_mistake(**o: Any) -> Callable[..., torch.Tensor]:
    """A wrong Pix2Pix discriminator loss, computed with reference pieces."""

    def loss(gen, disc, real, condition, adv_criterion):
        adv_c = o["adv"]() if "adv" in o else adv_criterion
        fake = gen(condition)
        if o.get("detach", True):
            fake = fake.detach()

        def judge(image):
            return disc(condition, image) if o.get("disc_order") else disc(image, condition)

        fake_pred, real_pred = judge(fake), judge(real)
        if o.get("detach_pred"):
            fake_pred = fake_pred.detach()
        if o.get("sigmoid"):
            fake_pred, real_pred = torch.sigmoid(fake_pred), torch.sigmoid(real_pred)
        t_fake, t_real = o.get("targets", (0.0, 1.0))

        def term(pred, value):
            target = torch.full_like(pred, value)
            return adv_c(target, pred) if o.get("swap") else adv_c(pred, target)

        combine = o.get("combine", lambda f, r: (f + r) / 2)
        return combine(term(fake_pred, t_fake), term(real_pred, t_real))

    return loss


def _ignores(argument: str, used: str) -> str:
    return _(
        "Your {{name}} ignores the `{argument}` argument: it gives the same result as {used} "
        "whatever is passed (here {argument}={{{argument}}}). Use the argument."
    ).format(argument=argument, used=used)


def _hardcoded_lambda(value: float) -> str:
    return _(
        "Your get_gen_loss ignores `lambda_recon`: with lambda_recon={{lambda_recon}} it "
        "should be {{expected}}, yours is {{got}} (looks like a hard-coded {value:g})."
    ).format(value=value)


def check_get_gen_loss(candidate: Any, ctx: CheckContext) -> None:
    """``get_gen_loss(gen, disc, real, condition, adv_criterion, recon_criterion, lambda_recon)``.

    ``fake = gen(condition)``; ``adv_criterion(disc(fake, condition), ones) + lambda_recon *
    recon_criterion(real, fake)``. Catches: a hard-coded lambda (100, 10, 1 ...) or the lambda on
    the adversarial term, zeros as the adversarial target, a missing term, the condition as the
    reconstruction target, ``disc(condition, fake)``, hard-coded criteria, the adversarial
    criterion's arguments swapped, a sigmoid before the criterion, a detached fake in either
    term (no gradient into the generator), side effects, wrong types. Accepts either argument
    order of the (symmetric) reconstruction criterion.
    """
    name = "get_gen_loss"
    mistakes = [
        *[Mistake(_gen_mistake(lam=v), _hardcoded_lambda(v)) for v in (100.0, 10.0, 1.0, 200.0)],
        Mistake(
            _gen_mistake(lam_on_adv=True),
            _(
                "Your get_gen_loss puts lambda_recon on the adversarial term; it weights the "
                "reconstruction term: adv + lambda_recon * recon."
            ),
        ),
        Mistake(
            _gen_mistake(target=0.0),
            _(
                "Your get_gen_loss compares the discriminator's verdict on the fake with zeros: "
                "the generator wants its images called real, so the target is ones."
            ),
        ),
        Mistake(
            _gen_mistake(recon_weight=0.0),
            _(
                "Your get_gen_loss leaves out the reconstruction term: add lambda_recon * "
                "recon_criterion(real, fake)."
            ),
        ),
        Mistake(
            _gen_mistake(adv_weight=0.0),
            _(
                "Your get_gen_loss leaves out the adversarial term: add adv_criterion(disc(fake, "
                "condition), ones)."
            ),
        ),
        Mistake(
            _gen_mistake(recon_condition=True),
            _(
                "Your get_gen_loss compares the fake with the condition; the reconstruction term "
                "compares it with the real target image: recon_criterion(real, fake)."
            ),
        ),
        Mistake(
            _gen_mistake(disc_order=True),
            _(
                "Your get_gen_loss calls disc(condition, fake): the discriminator is called as "
                "disc(image, condition), image first."
            ),
        ),
        Mistake(
            _gen_mistake(adv=nn.BCEWithLogitsLoss),
            _ignores("adv_criterion", "nn.BCEWithLogitsLoss()").format(
                name=name, adv_criterion="{adv_criterion}"
            ),
        ),
        Mistake(
            _gen_mistake(adv=nn.MSELoss),
            _ignores("adv_criterion", "nn.MSELoss()").format(
                name=name, adv_criterion="{adv_criterion}"
            ),
        ),
        Mistake(
            _gen_mistake(recon=nn.L1Loss),
            _ignores("recon_criterion", "nn.L1Loss()").format(
                name=name, recon_criterion="{recon_criterion}"
            ),
        ),
        Mistake(
            _gen_mistake(recon=nn.MSELoss),
            _ignores("recon_criterion", "nn.MSELoss()").format(
                name=name, recon_criterion="{recon_criterion}"
            ),
        ),
        Mistake(
            _gen_mistake(swap_adv=True),
            _(
                "Your get_gen_loss calls adv_criterion(target, prediction): the order is "
                "adv_criterion(prediction, target) (it matters for BCEWithLogitsLoss)."
            ),
        ),
        Mistake(
            _gen_mistake(sigmoid=True),
            _(
                "Your get_gen_loss applies a sigmoid to the discriminator's output: pass the raw "
                "patch logits to adv_criterion."
            ),
        ),
        Mistake(
            _gen_mistake(detach_adv=True),
            _(
                "Your get_gen_loss detaches the fake before the discriminator, so the "
                "adversarial term sends no gradient into the generator: pass fake itself to disc."
            ),
            on="grads",
        ),
        Mistake(
            _gen_mistake(detach_recon=True),
            _(
                "Your get_gen_loss detaches the fake in the reconstruction term, so it sends no "
                "gradient into the generator: use fake itself in recon_criterion."
            ),
            on="grads",
        ),
    ]
    spec = LossSpec(
        outputs=("loss",),
        probes=_probes(ctx),
        mistakes=mistakes,
        reminder=(
            _(
                "The loss adds the adversarial term (the discriminator's verdict on the fake, "
                "with the condition, against ones) and lambda_recon times the reconstruction "
                "term (the fake against the real target), the fake generated once from the "
                "condition."
            )
        ),
        max_calls={"gen": (1, GEN_ONCE)},
        net_hints={
            "gen": {"some": _("This loss trains the generator: don't detach fake.")},
        },
    )
    check_loss(ctx, candidate, spec)


_SWAPPED = N_(
    "Your get_disc_loss compares the real images with zeros and the fake ones with ones: the "
    "real/fake targets are swapped (fake -> zeros, real -> ones)."
)


def check_get_disc_loss(candidate: Any, ctx: CheckContext) -> None:
    """``get_disc_loss(gen, disc, real, condition, adv_criterion)``.

    Half the sum of ``adv_criterion(disc(fake.detach(), condition), zeros)`` and
    ``adv_criterion(disc(real, condition), ones)``. Catches: swapped targets, the sum instead of
    the half sum, a missing term, a missing detach (gradients into the generator), a detached
    prediction instead of a detached image, ``disc(condition, image)``, a hard-coded criterion,
    its arguments swapped, a sigmoid before it, side effects, wrong types. Accepts a fake made
    under ``torch.no_grad()`` or detached, and any way of averaging.
    """
    name = "get_disc_loss"
    mistakes = [
        Mistake(_disc_mistake(targets=(1.0, 0.0)), _SWAPPED),
        Mistake(
            _disc_mistake(targets=(1.0, 1.0)),
            _(
                "Your get_disc_loss compares the discriminator's verdict on the fake images with "
                "ones, like the real ones: the discriminator must learn to call fakes fake, so "
                "the fake term's target is zeros (and the real term's ones)."
            ),
        ),
        Mistake(
            _disc_mistake(combine=lambda f, r: f + r),
            _(
                "Your get_disc_loss returns the sum of the fake and real terms; the official "
                "Pix2Pix halves it: take the mean of the two terms."
            ),
        ),
        Mistake(
            _disc_mistake(combine=lambda f, r: r),
            _(
                "Your get_disc_loss leaves out the fake term: add "
                "adv_criterion(disc(fake.detach(), condition), zeros)."
            ),
        ),
        Mistake(
            _disc_mistake(combine=lambda f, r: r / 2),
            _(
                "Your get_disc_loss leaves out the fake term: add "
                "adv_criterion(disc(fake.detach(), condition), zeros)."
            ),
        ),
        Mistake(
            _disc_mistake(combine=lambda f, r: f),
            _(
                "Your get_disc_loss leaves out the real term: add adv_criterion(disc(real, "
                "condition), ones)."
            ),
        ),
        Mistake(
            _disc_mistake(combine=lambda f, r: f / 2),
            _(
                "Your get_disc_loss leaves out the real term: add adv_criterion(disc(real, "
                "condition), ones)."
            ),
        ),
        Mistake(
            _disc_mistake(disc_order=True),
            _(
                "Your get_disc_loss calls disc(condition, image): the discriminator is called as "
                "disc(image, condition), image first."
            ),
        ),
        Mistake(
            _disc_mistake(adv=nn.BCEWithLogitsLoss),
            _ignores("adv_criterion", "nn.BCEWithLogitsLoss()").format(
                name=name, adv_criterion="{adv_criterion}"
            ),
        ),
        Mistake(
            _disc_mistake(adv=nn.MSELoss),
            _ignores("adv_criterion", "nn.MSELoss()").format(
                name=name, adv_criterion="{adv_criterion}"
            ),
        ),
        Mistake(
            _disc_mistake(swap=True),
            _(
                "Your get_disc_loss calls adv_criterion(target, prediction): the order is "
                "adv_criterion(prediction, target) (it matters for BCEWithLogitsLoss)."
            ),
        ),
        Mistake(
            _disc_mistake(sigmoid=True),
            _(
                "Your get_disc_loss applies a sigmoid to the discriminator's output: pass the "
                "raw patch logits to adv_criterion."
            ),
        ),
        Mistake(
            _disc_mistake(detach=False),
            _(
                "Your get_disc_loss sends gradients into the generator: detach the generated "
                "image (fake.detach()) before passing it to the discriminator."
            ),
            on="grads",
        ),
        Mistake(
            _disc_mistake(detach_pred=True),
            _(
                "Your get_disc_loss detaches the discriminator's prediction on the fake, so the "
                "fake term does not train the discriminator: detach the image (fake.detach()) "
                "before the discriminator, not its output."
            ),
            on="grads",
        ),
    ]
    spec = LossSpec(
        outputs=("loss",),
        probes=[
            Probe(p.label.rsplit(", recon_criterion", 1)[0], _drop_recon(p.build))
            for p in _probes(ctx)
        ],
        mistakes=mistakes,
        reminder=(
            _(
                "The loss is the mean of two terms: the discriminator's verdict on the detached "
                "fake (with the condition) against zeros, and on the real target (with the "
                "condition) against ones."
            )
        ),
        max_calls={"gen": (1, GEN_ONCE)},
        batch_of={"disc": ("real", SEPARATE_BATCHES)},
        net_hints={
            "gen": {"none": _("Detach the generated image (fake.detach()) first.")},
            "disc": {"some": _("Only the generated image should be detached.")},
        },
    )
    check_loss(ctx, candidate, spec)


def _drop_recon(build: Callable[[], ProbeData]) -> Callable[[], ProbeData]:
    def wrapped() -> ProbeData:
        d = build()
        d.args = d.args[:5]
        return d

    return wrapped


_NETWORK_CATCHES = (
    "wrong layer order",
    "missing layer",
    "detached tensors",
    "in-place changes",
)

register(
    Exercise(
        "pix2pix.ContractingBlock",
        "class ContractingBlock(course_lib.models.ContractingBlock): def forward(self, x)",
        ContractingBlock,
        check_contracting_block,
        kind="module",
        catches=("DLAI order conv-norm-activation", "ReLU instead of the block's activation")
        + _NETWORK_CATCHES,
    )
)
register(
    Exercise(
        "pix2pix.ExpandingBlock",
        "class ExpandingBlock(course_lib.models.ExpandingBlock): def forward(self, x, skip=None)",
        ExpandingBlock,
        check_expanding_block,
        kind="module",
        catches=("cat([x, skip]) order", "skip ignored or added", "dropout order", "no Tanh")
        + _NETWORK_CATCHES,
        error_hints=(
            (
                "Sizes of tensors must match",
                N_(
                    "Concatenate after upsampling: the skip has the size of the upsampled x, not "
                    "of the input x."
                ),
            ),
        ),
    )
)
register(
    Exercise(
        "pix2pix.UNetGenerator",
        "class UNetGenerator(course_lib.models.UNetGenerator): def forward(self, x)",
        UNetGenerator,
        check_unet_generator,
        kind="module",
        catches=("skips in the wrong order", "missing or detached skips") + _NETWORK_CATCHES,
        error_hints=(
            (
                "Sizes of tensors must match",
                N_(
                    "Each expanding block needs the encoder output of its own size: take the "
                    "skips last in, first out (skips.pop()), starting after the innermost output."
                ),
            ),
            (
                "channels",
                N_(
                    "Each expanding block but the last takes a skip: block(x, skip), and the "
                    "innermost encoder output is where the decoder starts, not a skip."
                ),
            ),
        ),
    )
)
register(
    Exercise(
        "pix2pix.PatchGANDiscriminator",
        "class PatchGANDiscriminator(course_lib.models.PatchGANDiscriminator): "
        "def forward(self, x, condition=None)",
        PatchGANDiscriminator,
        check_patchgan,
        kind="module",
        catches=("condition before the image", "sigmoid on the logits", "one number per image")
        + _NETWORK_CATCHES,
    )
)
register(
    Exercise(
        "pix2pix.receptive_field",
        "receptive_field(kernel_sizes, strides) -> int",
        receptive_field_of,
        check_receptive_field,
        catches=(
            "layers first to last",
            "r * s + k",
            "strides ignored",
            "start at 0",
            "input lists reversed in place",
        ),
    )
)
register(
    Exercise(
        "pix2pix.get_gen_loss",
        "get_gen_loss(gen, disc, real, condition, adv_criterion, recon_criterion, lambda_recon) "
        "-> Tensor",
        ref.get_gen_loss,
        check_get_gen_loss,
        catches=(
            "hard-coded lambda",
            "lambda on the wrong term",
            "zeros as target",
            "missing term",
            "condition as reconstruction target",
            "disc argument order",
            "hard-coded criteria",
            "criterion argument order",
            "sigmoid",
            "detached fake",
            "side effects",
        ),
        forbidden=(ref.generator_loss,),
    )
)
register(
    Exercise(
        "pix2pix.get_disc_loss",
        "get_disc_loss(gen, disc, real, condition, adv_criterion) -> Tensor",
        ref.get_disc_loss,
        check_get_disc_loss,
        catches=(
            "swapped targets",
            "sum instead of half sum",
            "missing term",
            "missing detach",
            "detached prediction",
            "disc argument order",
            "hard-coded criterion",
            "criterion argument order",
            "sigmoid",
            "side effects",
        ),
        forbidden=(ref.discriminator_loss,),
    )
)
