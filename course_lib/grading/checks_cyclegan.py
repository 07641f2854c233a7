"""Checks of the CycleGAN exercises: the residual block and ResNet generator, and the losses."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..i18n import N_, _
from ..losses import cyclegan as ref
from ..models import FeatureMapBlock, PatchGANDiscriminator, ResidualBlock, ResnetGenerator
from .losscheck import LossSpec, Mistake, Probe, ProbeData, check_loss
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
    "check_residual_block",
    "check_feature_map_block",
    "check_resnet_generator",
    "check_get_disc_loss",
    "check_get_gen_adversarial_loss",
    "check_get_identity_loss",
    "check_get_cycle_consistency_loss",
    "check_get_gen_loss",
]


def _one(*shape: int) -> Callable[[torch.Generator], tuple[torch.Tensor]]:
    return lambda g: (torch.randn(*shape, generator=g),)


# --------------------------------------------------------------------------- ResidualBlock
def _rb_no_skip(self, x):
    return self.block(x)


def _rb_relu_after(self, x):
    return F.relu(x + self.block(x))


def _rb_minus(self, x):
    return x - self.block(x)


def _rb_twice(self, x):
    return x + self.block(self.block(x))


def _rb_detached_skip(self, x):
    return x.detach() + self.block(x)


def check_residual_block(candidate: Any, ctx: CheckContext) -> None:
    """``ResidualBlock.forward(x)`` = ``x + self.block(x)``.

    Catches: a missing skip connection, an activation after the sum (ResNet v1 style, not in
    CycleGAN's block), a difference instead of a sum, the block applied twice, a detached skip,
    ``x += ...`` on the input, an inherited or reference forward.
    """
    spec = ModuleSpec(
        cases=[
            ModuleCase((4,), {}, _one(2, 4, 6, 6)),
            ModuleCase((3,), {"norm": "batch"}, _one(2, 3, 5, 5)),
            ModuleCase((2,), {"use_dropout": True}, _one(2, 2, 6, 6)),
        ],
        mistakes=[
            ForwardMistake(
                _rb_no_skip,
                _(
                    "Your ResidualBlock returns only self.block(x): add the input back, x + "
                    "self.block(x) (the skip connection)."
                ),
            ),
            ForwardMistake(
                _rb_relu_after,
                _(
                    "Your ResidualBlock applies an activation after the sum; CycleGAN's residual "
                    "block returns x + self.block(x) as it is."
                ),
            ),
            ForwardMistake(
                _rb_minus,
                _("Your ResidualBlock subtracts the block's output: return x + self.block(x)."),
            ),
            ForwardMistake(
                _rb_twice,
                _("Your ResidualBlock applies self.block twice: return x + self.block(x)."),
            ),
            ForwardMistake(
                _rb_detached_skip,
                _(
                    "Your ResidualBlock detaches x in the skip connection, which blocks the "
                    "gradient the skip is there to carry: return x + self.block(x)."
                ),
                on="grads",
            ),
        ],
        reminder=_("forward adds the block's output to its input (a residual connection)."),
    )
    check_module(ctx, candidate, spec)


# --------------------------------------------------------------------------- FeatureMapBlock
def _fm_no_pad(self, x):
    return self.activation(self.norm(self.conv(F.pad(x, (3, 3, 3, 3)))))


def _fm_no_activation(self, x):
    return self.norm(self.conv(self.pad(x)))


def _fm_no_norm(self, x):
    return self.activation(self.conv(self.pad(x)))


def _fm_activation_first(self, x):
    return self.norm(self.activation(self.conv(self.pad(x))))


def check_feature_map_block(candidate: Any, ctx: CheckContext) -> None:
    """``FeatureMapBlock.forward(x)`` = ``activation(norm(conv(pad(x))))``.

    Catches: zero padding instead of the reflection pad, a missing norm or activation, the
    activation before the norm, an inherited or reference forward.
    """
    spec = ModuleSpec(
        cases=[
            ModuleCase((3, 4), {}, _one(2, 3, 8, 8)),
            ModuleCase((4, 3), {"final": True}, _one(1, 4, 6, 7)),
            ModuleCase((2, 3), {"norm": "batch"}, _one(2, 2, 5, 5)),
        ],
        mistakes=[
            ForwardMistake(
                _fm_no_pad,
                _("Your FeatureMapBlock pads with zeros; use self.pad (reflection padding)."),
            ),
            ForwardMistake(
                _fm_activation_first,
                _(
                    "Your FeatureMapBlock applies the activation before the norm; the order is "
                    "pad -> conv -> norm -> activation."
                ),
            ),
            ForwardMistake(_fm_no_norm, _("Your FeatureMapBlock skips self.norm after the conv.")),
            ForwardMistake(
                _fm_no_activation,
                _("Your FeatureMapBlock skips self.activation (ReLU, or Tanh in the final block)."),
            ),
        ],
        reminder=(
            _(
                "forward pads the input, then applies the convolution, the normalisation and the "
                "activation, in that order."
            )
        ),
    )
    check_module(ctx, candidate, spec)


# --------------------------------------------------------------------------- ResnetGenerator
def _rg_no_residual(self, x):
    return self.final(self.upsample(self.downsample(self.initial(x))))


def _rg_global_skip(self, x):
    return x + self.final(self.upsample(self.residual(self.downsample(self.initial(x)))))


def _rg_double_tanh(self, x):
    return torch.tanh(self.final(self.upsample(self.residual(self.downsample(self.initial(x))))))


def _rg_residual_twice(self, x):
    h = self.residual(self.residual(self.downsample(self.initial(x))))
    return self.final(self.upsample(h))


def _rg_detached(self, x):
    h = self.residual(self.downsample(self.initial(x)).detach())
    return self.final(self.upsample(h))


def check_resnet_generator(candidate: Any, ctx: CheckContext) -> None:
    """``ResnetGenerator.forward(x)`` = ``final(upsample(residual(downsample(initial(x)))))``.

    Catches: the residual blocks skipped or applied twice, a skip around the whole generator,
    a second tanh, a stage out of order (it fails on the channel counts), a detached stage, an
    inherited or reference forward.
    """
    spec = ModuleSpec(
        cases=[
            ModuleCase((3, 3), {"hidden_channels": 2, "n_blocks": 2}, _one(2, 3, 8, 8)),
            ModuleCase(
                (1, 2), {"hidden_channels": 3, "n_blocks": 1, "norm": "batch"}, _one(2, 1, 12, 12)
            ),
            ModuleCase((3, 3), {"hidden_channels": 2, "n_blocks": 0}, _one(1, 3, 16, 8)),
        ],
        mistakes=[
            ForwardMistake(
                _rg_no_residual,
                _(
                    "Your ResnetGenerator skips the residual blocks: initial -> downsample -> "
                    "residual -> upsample -> final."
                ),
            ),
            ForwardMistake(
                _rg_residual_twice,
                _(
                    "Your ResnetGenerator applies the residual blocks twice: initial -> "
                    "downsample -> residual -> upsample -> final."
                ),
            ),
            ForwardMistake(
                _rg_global_skip,
                _(
                    "Your ResnetGenerator adds the input image to its output: the skip "
                    "connections live inside the residual blocks only."
                ),
            ),
            ForwardMistake(
                _rg_double_tanh,
                _("Your ResnetGenerator applies tanh again: self.final already ends with Tanh."),
            ),
            ForwardMistake(
                _rg_detached,
                _(
                    "Your ResnetGenerator detaches an intermediate result, so the first layers "
                    "get no gradient: don't call .detach() in forward."
                ),
                on="grads",
            ),
        ],
        reminder=(
            _(
                "forward runs the input through the initial block, the downsampling blocks, the "
                "residual blocks, the upsampling blocks and the final block, in that order, each "
                "once."
            )
        ),
    )
    check_module(ctx, candidate, spec)


# --------------------------------------------------------------------------- probes
def _nets(kind: str, seed: int, device: torch.device, n_gen: int, n_disc: int):
    gens, discs = [], []
    for i in range(n_gen):
        g = (
            ResnetGenerator(3, 3, hidden_channels=4, n_blocks=1)
            if kind == "real"
            else (MockImageGenerator(3, 3))
        )
        gens.append(probe_init_(g, seed + 10 + i).to(device).eval())
    for i in range(n_disc):
        d = (
            PatchGANDiscriminator(3, hidden_channels=4, n_layers=2, norm="instance")
            if kind == "real"
            else MockPatchDiscriminator(3, offset=0.3 + 0.4 * i)
        )
        discs.append(probe_init_(d, seed + 20 + i).to(device).eval())
    return gens, discs


def _images(seed: int, device: torch.device, kind: str, batch: int, n: int) -> list[torch.Tensor]:
    g = seeded(seed)
    size = 16 if kind == "real" else 8
    return [(torch.rand(batch, 3, size, size, generator=g) * 2 - 1).to(device) for _ in range(n)]


def _nets_label(kind: str, batch: int) -> str:
    nets = (
        _("ResNet generators and PatchGANs, 16x16")
        if kind == "real"
        else _("non-linear test networks, 8x8")
    )
    return _("batch of {batch}, {nets}").format(batch=batch, nets=nets)


_SETTINGS = (("mock", 3), ("real", 2), ("mock", 2), ("real", 1))


def _seed(ctx: CheckContext, i: int) -> int:
    return ctx.seed * 1000 + 500 + 50 * i


# --------------------------------------------------------------------------- discriminator loss
def check_get_disc_loss(candidate: Any, ctx: CheckContext) -> None:
    """``get_disc_loss(real_X, fake_X, disc_X, adv_criterion)``: the mean of
    ``adv_criterion(disc_X(fake_X.detach()), zeros)`` and ``adv_criterion(disc_X(real_X), ones)``.

    ``fake_X`` comes out of a generator with its graph, so a missing detach shows as gradients
    in that generator. Catches: swapped targets, the sum instead of the mean, a missing term, a
    missing detach, a detached prediction, a hard-coded criterion, its arguments swapped, a
    sigmoid before it, side effects, wrong types.
    """
    crits = ["mse", "bce", "bce", "mse"]
    probes = []
    for i, ((kind, batch), crit) in enumerate(zip(_SETTINGS, crits, strict=True)):
        s = _seed(ctx, i)

        def build(kind: str = kind, batch: int = batch, crit: str = crit, s: int = s) -> ProbeData:
            (gen,), (disc,) = _nets(kind, s, ctx.device, 1, 1)
            real_X, source = _images(s, ctx.device, kind, batch, 2)
            fake_X = gen(source)
            c = criterion(crit)
            return ProbeData(
                (real_X, fake_X, disc, c),
                {"disc_X": disc, N_("generator of fake_X"): gen},
                {"real_X": real_X, "fake_X": fake_X},
                {"adv_criterion": criterion_name(c)},
            )

        label = f"{_nets_label(kind, batch)}, adv_criterion={criterion_name(criterion(crit))}"
        probes.append(Probe(label, build))

    def mistake(**o: Any) -> Callable[..., torch.Tensor]:
        def loss(real_X, fake_X, disc_X, adv_criterion):
            c = o["adv"]() if "adv" in o else adv_criterion
            fake_pred = disc_X(fake_X if o.get("no_detach") else fake_X.detach())
            real_pred = disc_X(real_X)
            if o.get("detach_pred"):
                fake_pred = fake_pred.detach()
            if o.get("sigmoid"):
                fake_pred, real_pred = torch.sigmoid(fake_pred), torch.sigmoid(real_pred)
            t_fake, t_real = o.get("targets", (0.0, 1.0))

            def term(pred, value):
                t = torch.full_like(pred, value)
                return c(t, pred) if o.get("swap") else c(pred, t)

            return o.get("combine", lambda f, r: (f + r) / 2)(
                term(fake_pred, t_fake), term(real_pred, t_real)
            )

        return loss

    mistakes = [
        Mistake(
            mistake(targets=(1.0, 1.0)),
            _(
                "Your get_disc_loss compares the discriminator's verdict on the fake images with "
                "ones, like the real ones: the discriminator must learn to call fakes fake, so "
                "the fake term's target is zeros (and the real term's ones)."
            ),
        ),
        Mistake(
            mistake(targets=(1.0, 0.0)),
            _(
                "Your get_disc_loss compares the real images with zeros and the fake ones with "
                "ones: the real/fake targets are swapped (fake -> zeros, real -> ones)."
            ),
        ),
        Mistake(
            mistake(combine=lambda f, r: f + r),
            _(
                "Your get_disc_loss returns the sum of the two terms; CycleGAN averages them: "
                "take the mean of the two terms."
            ),
        ),
        *[
            Mistake(
                mistake(combine=c),
                _(
                    "Your get_disc_loss leaves out the fake term: add the discriminator's "
                    "verdict on the detached fake images, compared with zeros."
                ),
            )
            for c in (lambda f, r: r, lambda f, r: r / 2)
        ],
        *[
            Mistake(
                mistake(combine=c),
                _(
                    "Your get_disc_loss leaves out the real term: add "
                    "adv_criterion(disc_X(real_X), ones)."
                ),
            )
            for c in (lambda f, r: f, lambda f, r: f / 2)
        ],
        *[
            Mistake(
                mistake(adv=c),
                _(
                    "Your get_disc_loss ignores the `adv_criterion` argument: it gives the same "
                    "result as nn.{name}() whatever is passed (here "
                    "adv_criterion={{adv_criterion}}). Use the argument."
                ).format(name=c.__name__),
            )
            for c in (nn.MSELoss, nn.BCEWithLogitsLoss)
        ],
        Mistake(
            mistake(swap=True),
            _(
                "Your get_disc_loss calls adv_criterion(target, prediction): the order is "
                "adv_criterion(prediction, target) (it matters for BCEWithLogitsLoss)."
            ),
        ),
        Mistake(
            mistake(sigmoid=True),
            _(
                "Your get_disc_loss applies a sigmoid to the discriminator's output: pass the "
                "raw outputs to adv_criterion."
            ),
        ),
        Mistake(
            mistake(no_detach=True),
            _(
                "Your get_disc_loss sends gradients into the generator: detach the generated "
                "images (fake_X.detach()) before passing them to the discriminator."
            ),
            on="grads",
        ),
        Mistake(
            mistake(detach_pred=True),
            _(
                "Your get_disc_loss detaches the discriminator's prediction on fake_X, so the "
                "fake term does not train the discriminator: detach fake_X before disc_X, not "
                "disc_X's output."
            ),
            on="grads",
        ),
    ]
    spec = LossSpec(
        outputs=("loss",),
        probes=probes,
        mistakes=mistakes,
        reminder=(
            _(
                "The loss is the mean of two terms: the discriminator's verdict on the detached "
                "fake images against zeros and its verdict on the real images against ones."
            )
        ),
        net_hints={
            "generator of fake_X": {"none": _("Detach fake_X before the discriminator sees it.")},
            "disc_X": {"some": _("Only fake_X should be detached.")},
        },
    )
    check_loss(ctx, candidate, spec)


# --------------------------------------------------------------------------- adversarial loss
def check_get_gen_adversarial_loss(candidate: Any, ctx: CheckContext) -> None:
    """``get_gen_adversarial_loss(real_X, disc_Y, gen_XY, adv_criterion)`` ->
    ``(adv_criterion(disc_Y(fake_Y), ones), fake_Y)`` with ``fake_Y = gen_XY(real_X)``, returned
    with its graph (the cycle-consistency loss backpropagates through it).

    Catches: zeros as the target, the discriminator judging real_X, a detached fake (no
    gradient into the generator), a detached returned fake_Y, a hard-coded criterion, its
    arguments swapped, a sigmoid before it, the values returned in the wrong order, side
    effects, wrong types.
    """
    crits = ["mse", "bce", "bce", "mse"]
    probes = []
    for i, ((kind, batch), crit) in enumerate(zip(_SETTINGS, crits, strict=True)):
        s = _seed(ctx, i) + 1

        def build(kind: str = kind, batch: int = batch, crit: str = crit, s: int = s) -> ProbeData:
            (gen,), (disc,) = _nets(kind, s, ctx.device, 1, 1)
            (real_X,) = _images(s, ctx.device, kind, batch, 1)
            c = criterion(crit)
            return ProbeData(
                (real_X, disc, gen, c),
                {"disc_Y": disc, "gen_XY": gen},
                {"real_X": real_X},
                {"adv_criterion": criterion_name(c)},
            )

        label = f"{_nets_label(kind, batch)}, adv_criterion={criterion_name(criterion(crit))}"
        probes.append(Probe(label, build))

    def mistake(**o: Any) -> Callable[..., tuple[torch.Tensor, torch.Tensor]]:
        def loss(real_X, disc_Y, gen_XY, adv_criterion):
            c = o["adv"]() if "adv" in o else adv_criterion
            fake_Y = gen_XY(real_X)
            judged = real_X if o.get("judge_real") else fake_Y
            pred = disc_Y(judged.detach() if o.get("detach") else judged)
            if o.get("sigmoid"):
                pred = torch.sigmoid(pred)
            t = torch.full_like(pred, o.get("target", 1.0))
            return (c(t, pred) if o.get("swap") else c(pred, t)), fake_Y

        return loss

    mistakes = [
        Mistake(
            mistake(target=0.0),
            _(
                "Your get_gen_adversarial_loss compares the discriminator's verdict on fake_Y "
                "with zeros: the generator wants its images called real, so the target is ones."
            ),
        ),
        Mistake(
            mistake(judge_real=True),
            _(
                "Your get_gen_adversarial_loss gives disc_Y the real image: it must judge the "
                "generated one, fake_Y = gen_XY(real_X)."
            ),
        ),
        *[
            Mistake(
                mistake(adv=c),
                _(
                    "Your get_gen_adversarial_loss ignores the `adv_criterion` argument: it "
                    "gives the same result as nn.{name}() whatever is passed (here "
                    "adv_criterion={{adv_criterion}}). Use the argument."
                ).format(name=c.__name__),
            )
            for c in (nn.MSELoss, nn.BCEWithLogitsLoss)
        ],
        Mistake(
            mistake(swap=True),
            _(
                "Your get_gen_adversarial_loss calls adv_criterion(target, prediction): the "
                "order is adv_criterion(prediction, target) (it matters for BCEWithLogitsLoss)."
            ),
        ),
        Mistake(
            mistake(sigmoid=True),
            _(
                "Your get_gen_adversarial_loss applies a sigmoid to the discriminator's output: "
                "pass the raw outputs to adv_criterion."
            ),
        ),
        Mistake(
            mistake(detach=True),
            _(
                "Your get_gen_adversarial_loss detaches fake_Y before the discriminator, so no "
                "gradient reaches the generator: pass fake_Y itself to disc_Y."
            ),
            on="grads",
        ),
    ]
    spec = LossSpec(
        outputs=("adversarial_loss", "fake_Y"),
        probes=probes,
        mistakes=mistakes,
        reminder=(
            _(
                "Translate the real images with the generator, then compare the other domain's "
                "discriminator verdict on them with ones."
            )
        ),
        net_hints={"gen_XY": {"some": _("This loss trains gen_XY: don't detach fake_Y.")}},
    )
    check_loss(ctx, candidate, spec)


# --------------------------------------------------------------------------- identity loss
def check_get_identity_loss(candidate: Any, ctx: CheckContext) -> None:
    """``get_identity_loss(real_X, gen_YX, identity_criterion)`` ->
    ``(identity_criterion(gen_YX(real_X), real_X), gen_YX(real_X))``.

    Catches: a hard-coded criterion, the image not passed through gen_YX, gen_YX applied twice,
    a detached identity image (no gradient), the values in the wrong order, side effects, wrong
    types. Accepts either argument order of the (symmetric) criterion.
    """
    crits = ["l1", "mse", "mse", "l1"]
    probes = []
    for i, ((kind, batch), crit) in enumerate(zip(_SETTINGS, crits, strict=True)):
        s = _seed(ctx, i) + 2

        def build(kind: str = kind, batch: int = batch, crit: str = crit, s: int = s) -> ProbeData:
            (gen,), _unused = _nets(kind, s, ctx.device, 1, 0)
            (real_X,) = _images(s, ctx.device, kind, batch, 1)
            c = criterion(crit)
            return ProbeData(
                (real_X, gen, c),
                {"gen_YX": gen},
                {"real_X": real_X},
                {"identity_criterion": criterion_name(c)},
            )

        label = f"{_nets_label(kind, batch)}, identity_criterion={criterion_name(criterion(crit))}"
        probes.append(Probe(label, build))

    def mistake(**o: Any) -> Callable[..., tuple[torch.Tensor, torch.Tensor]]:
        def loss(real_X, gen_YX, identity_criterion):
            c = o["crit"]() if "crit" in o else identity_criterion
            identity_X = gen_YX(real_X)
            if o.get("twice"):
                identity_X = gen_YX(identity_X)
            if o.get("no_gen"):
                identity_X = real_X
            return c(identity_X, real_X), identity_X

        return loss

    mistakes = [
        *[
            Mistake(
                mistake(crit=c),
                _(
                    "Your get_identity_loss ignores the `identity_criterion` argument: it gives "
                    "the same result as nn.{name}() whatever is passed (here "
                    "identity_criterion={{identity_criterion}}). Use the argument."
                ).format(name=c.__name__),
            )
            for c in (nn.L1Loss, nn.MSELoss)
        ],
        Mistake(
            mistake(no_gen=True),
            _(
                "Your get_identity_loss never runs the generator: identity_X = gen_YX(real_X), "
                "then compare it with real_X."
            ),
        ),
        Mistake(
            mistake(twice=True),
            _("Your get_identity_loss applies gen_YX twice: identity_X = gen_YX(real_X)."),
        ),
    ]
    spec = LossSpec(
        outputs=("identity_loss", "identity_X"),
        detached_ok=("identity_X",),
        probes=probes,
        mistakes=mistakes,
        reminder=(
            _(
                "Pass the real images of a domain through the generator that produces that "
                "domain, and compare the result with the real images."
            )
        ),
        net_hints={"gen_YX": {"some": _("Don't detach identity_X: this loss trains gen_YX.")}},
    )
    check_loss(ctx, candidate, spec)


# --------------------------------------------------------------------------- cycle loss
def check_get_cycle_consistency_loss(candidate: Any, ctx: CheckContext) -> None:
    """``get_cycle_consistency_loss(real_X, fake_Y, gen_YX, cycle_criterion)`` ->
    ``(cycle_criterion(gen_YX(fake_Y), real_X), gen_YX(fake_Y))``.

    ``fake_Y`` comes out of a generator with its graph: the cycle loss trains both generators.
    Catches: a detached fake_Y (no gradient into the first generator), gen_YX applied to real_X,
    the cycle image compared with fake_Y, a hard-coded criterion, the values in the wrong order,
    side effects, wrong types. Accepts either argument order of the (symmetric) criterion.
    """
    crits = ["l1", "mse", "l1", "mse"]
    probes = []
    for i, ((kind, batch), crit) in enumerate(zip(_SETTINGS, crits, strict=True)):
        s = _seed(ctx, i) + 3

        def build(kind: str = kind, batch: int = batch, crit: str = crit, s: int = s) -> ProbeData:
            (gen_XY, gen_YX), _unused = _nets(kind, s, ctx.device, 2, 0)
            (real_X,) = _images(s, ctx.device, kind, batch, 1)
            fake_Y = gen_XY(real_X)
            c = criterion(crit)
            return ProbeData(
                (real_X, fake_Y, gen_YX, c),
                {"gen_YX": gen_YX, N_("gen_XY (which made fake_Y)"): gen_XY},
                {"real_X": real_X, "fake_Y": fake_Y},
                {"cycle_criterion": criterion_name(c)},
            )

        label = f"{_nets_label(kind, batch)}, cycle_criterion={criterion_name(criterion(crit))}"
        probes.append(Probe(label, build))

    def mistake(**o: Any) -> Callable[..., tuple[torch.Tensor, torch.Tensor]]:
        def loss(real_X, fake_Y, gen_YX, cycle_criterion):
            c = o["crit"]() if "crit" in o else cycle_criterion
            source = real_X if o.get("from_real") else fake_Y
            cycle_X = gen_YX(source.detach() if o.get("detach") else source)
            target = fake_Y if o.get("vs_fake") else real_X
            return c(cycle_X, target), cycle_X

        return loss

    mistakes = [
        *[
            Mistake(
                mistake(crit=c),
                _(
                    "Your get_cycle_consistency_loss ignores the `cycle_criterion` argument: it "
                    "gives the same result as nn.{name}() whatever is passed (here "
                    "cycle_criterion={{cycle_criterion}}). Use the argument."
                ).format(name=c.__name__),
            )
            for c in (nn.L1Loss, nn.MSELoss)
        ],
        Mistake(
            mistake(from_real=True),
            _(
                "Your get_cycle_consistency_loss applies gen_YX to real_X; the cycle goes X -> Y "
                "-> X: translate fake_Y back with gen_YX."
            ),
        ),
        Mistake(
            mistake(vs_fake=True),
            _(
                "Your get_cycle_consistency_loss compares cycle_X with fake_Y; the cycle must "
                "come back to the start: compare cycle_X with real_X."
            ),
        ),
        Mistake(
            mistake(detach=True),
            _(
                "Your get_cycle_consistency_loss detaches fake_Y, so the generator that made it "
                "gets no gradient: the cycle loss trains both generators, use fake_Y as it is."
            ),
            on="grads",
        ),
    ]
    spec = LossSpec(
        outputs=("cycle_loss", "cycle_X"),
        detached_ok=("cycle_X",),
        probes=probes,
        mistakes=mistakes,
        reminder=(
            _(
                "Translate the fake images back with the other generator and compare the result "
                "with the real images they came from."
            )
        ),
        net_hints={
            "gen_XY (which made fake_Y)": {
                "some": _("Don't detach fake_Y: the cycle loss trains both generators.")
            }
        },
    )
    check_loss(ctx, candidate, spec)


# --------------------------------------------------------------------------- full objective
_GEN_HELPERS = MappingProxyType(
    {
        "get_gen_adversarial_loss": ref.get_gen_adversarial_loss,
        "get_identity_loss": ref.get_identity_loss,
        "get_cycle_consistency_loss": ref.get_cycle_consistency_loss,
    }
)


def _full_mistake(**o: Any) -> Callable[..., tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """A wrong CycleGAN generator objective, computed with the reference helpers."""

    def loss(
        real_A,
        real_B,
        gen_AB,
        gen_BA,
        disc_A,
        disc_B,
        adv_criterion,
        identity_criterion,
        cycle_criterion,
        lambda_identity=0.1,
        lambda_cycle=10,
    ):
        lam_id = o.get("lam_id", lambda_identity)
        lam_cyc = o.get("lam_cyc", lambda_cycle)
        if o.get("id_relative"):
            lam_id = lambda_identity * lambda_cycle
        if o.get("swap_lambdas"):
            lam_id, lam_cyc = lam_cyc, lam_id
        crit_id = cycle_criterion if o.get("id_uses_cycle") else identity_criterion
        crit_cyc = identity_criterion if o.get("cycle_uses_id") else cycle_criterion
        d_for_B, d_for_A = (disc_A, disc_B) if o.get("swap_discs") else (disc_B, disc_A)
        adv_AB, fake_B = ref.get_gen_adversarial_loss(real_A, d_for_B, gen_AB, adv_criterion)
        adv_BA, fake_A = ref.get_gen_adversarial_loss(real_B, d_for_A, gen_BA, adv_criterion)
        id_gen_A, id_gen_B = (gen_AB, gen_BA) if o.get("swap_id_gens") else (gen_BA, gen_AB)
        id_A, _unused = ref.get_identity_loss(real_A, id_gen_A, crit_id)
        id_B, _unused = ref.get_identity_loss(real_B, id_gen_B, crit_id)
        fb, fa = (fake_B.detach(), fake_A.detach()) if o.get("detach_cycle") else (fake_B, fake_A)
        if o.get("swap_cycle_gens"):
            cyc_A, _unused = ref.get_cycle_consistency_loss(real_A, fb, gen_AB, crit_cyc)
            cyc_B, _unused = ref.get_cycle_consistency_loss(real_B, fa, gen_BA, crit_cyc)
        elif o.get("cycle_wrong_fake"):
            cyc_A, _unused = ref.get_cycle_consistency_loss(real_A, fa, gen_AB, crit_cyc)
            cyc_B, _unused = ref.get_cycle_consistency_loss(real_B, fb, gen_BA, crit_cyc)
        else:
            cyc_A, _unused = ref.get_cycle_consistency_loss(real_A, fb, gen_BA, crit_cyc)
            cyc_B, _unused = ref.get_cycle_consistency_loss(real_B, fa, gen_AB, crit_cyc)
        adv = adv_AB + adv_BA
        identity = id_A + id_B
        cycle = cyc_A + cyc_B
        if o.get("average"):
            adv, identity, cycle = adv / 2, identity / 2, cycle / 2
        total = (
            o.get("w_adv", 1.0) * adv
            + o.get("w_id", 1.0) * lam_id * identity
            + o.get("w_cyc", 1.0) * lam_cyc * cycle
        )
        if o.get("one_direction"):
            total = adv_AB + lam_id * id_A + lam_cyc * cyc_A
        return total, fake_A, fake_B

    return loss


def _check_defaults(candidate: Any, ctx: CheckContext) -> None:
    try:
        params = list(inspect.signature(candidate).parameters.values())
    except (TypeError, ValueError):
        return
    if len(params) < 11:
        return
    defaults = [p.default for p in params[9:11]]
    if inspect.Parameter.empty in defaults:
        return
    if defaults != [0.1, 10]:
        fail(
            _(
                "{who} has the defaults lambda_identity={defaults_0!r}, "
                "lambda_cycle={defaults_1!r}; keep the signature's defaults lambda_identity=0.1, "
                "lambda_cycle=10."
            ).format(who=ctx.who, defaults_0=defaults[0], defaults_1=defaults[1])
        )


def check_get_gen_loss(candidate: Any, ctx: CheckContext) -> None:
    """``get_gen_loss(real_A, real_B, gen_AB, gen_BA, disc_A, disc_B, adv_criterion,
    identity_criterion, cycle_criterion, lambda_identity=0.1, lambda_cycle=10)`` ->
    ``(gen_loss, fake_A, fake_B)``.

    Both adversarial terms, plus ``lambda_identity`` times both identity terms, plus
    ``lambda_cycle`` times both cycle terms. The learner's own helpers are replaced by the
    references, so only this function is graded. Catches: the wrong discriminator or generator
    for a direction, the lambdas swapped, hard-coded or with other defaults, a missing term or
    direction, the criteria mixed up, averaged directions, detached fakes in the cycle terms,
    (fake_B, fake_A) returned in the wrong order, side effects, wrong types.
    """
    _check_defaults(candidate, ctx)
    settings = [
        ("mock", 3, ("bce", "mse", "l1"), (2.0, 0.25)),
        ("real", 2, ("mse", "l1", "l1"), (0.5, 3.0)),
        ("mock", 2, ("mse", "l1", "mse"), None),
        ("real", 1, ("mse", "l1", "mse"), (0.1, 10.0)),
    ]
    probes = []
    for i, (kind, batch, crits, lambdas) in enumerate(settings):
        s = _seed(ctx, i) + 4

        def build(kind=kind, batch=batch, crits=crits, lambdas=lambdas, s=s) -> ProbeData:
            (gen_AB, gen_BA), (disc_A, disc_B) = _nets(kind, s, ctx.device, 2, 2)
            real_A, real_B = _images(s, ctx.device, kind, batch, 2)
            adv_c, id_c, cyc_c = (criterion(c) for c in crits)
            args: tuple[Any, ...] = (
                real_A,
                real_B,
                gen_AB,
                gen_BA,
                disc_A,
                disc_B,
                adv_c,
                id_c,
                cyc_c,
            )
            if lambdas is not None:
                args += lambdas
            lam_id, lam_cyc = lambdas if lambdas is not None else (0.1, 10)
            return ProbeData(
                args,
                {"gen_AB": gen_AB, "gen_BA": gen_BA, "disc_A": disc_A, "disc_B": disc_B},
                {"real_A": real_A, "real_B": real_B},
                {"lambda_identity": lam_id, "lambda_cycle": lam_cyc},
            )

        names = ", ".join(
            f"{arg}={criterion_name(criterion(c))}"
            for arg, c in zip(("adv", "identity", "cycle"), crits, strict=True)
        )
        lam = (
            f"lambda_identity={lambdas[0]}, lambda_cycle={lambdas[1]}"
            if lambdas
            else _("default lambdas (not passed)")
        )
        probes.append(
            Probe(
                _("{nets}, {names} criteria, {lam}").format(
                    nets=_nets_label(kind, batch), names=names, lam=lam
                ),
                build,
            )
        )

    m = _full_mistake
    mistakes = [
        Mistake(
            m(id_relative=True),
            _(
                "Your get_gen_loss multiplies lambda_identity by lambda_cycle, as the official "
                "code does with its relative weight (0.5 there). Here lambda_identity is the "
                "identity terms' own weight: multiply their sum by lambda_identity alone."
            ),
        ),
        Mistake(
            m(swap_discs=True),
            _(
                "Your get_gen_loss gives each generator's output to the wrong discriminator: "
                "fake_B = gen_AB(real_A) is judged by disc_B, fake_A by disc_A."
            ),
        ),
        Mistake(
            m(swap_id_gens=True),
            _(
                "Your get_gen_loss uses the wrong generators for the identity terms: an A image "
                "goes through gen_BA (the generator into A), get_identity_loss(real_A, gen_BA, "
                "...), and a B image through gen_AB."
            ),
        ),
        Mistake(
            m(swap_cycle_gens=True),
            _(
                "Your get_gen_loss closes the cycles with the wrong generators: A -> B -> A is "
                "get_cycle_consistency_loss(real_A, fake_B, gen_BA, ...), and B -> A -> B uses "
                "gen_AB."
            ),
        ),
        Mistake(
            m(cycle_wrong_fake=True),
            _(
                "Your get_gen_loss pairs each real image with the wrong fake in the cycle terms: "
                "real_A goes with fake_B (gen_BA(fake_B) should give back real_A)."
            ),
        ),
        Mistake(
            m(swap_lambdas=True),
            _(
                "Your get_gen_loss swaps the weights: lambda_identity multiplies the identity "
                "terms and lambda_cycle the cycle terms."
            ),
        ),
        Mistake(
            m(lam_id=0.1, lam_cyc=10),
            _(
                "Your get_gen_loss ignores the lambda_identity and lambda_cycle arguments (it "
                "always uses 0.1 and 10): with lambda_identity={lambda_identity}, "
                "lambda_cycle={lambda_cycle} the loss should be {expected}, yours is {got}."
            ),
        ),
        Mistake(
            m(lam_id=0.1),
            _(
                "Your get_gen_loss ignores the lambda_identity argument (it always uses 0.1; "
                "here lambda_identity={lambda_identity})."
            ),
        ),
        Mistake(
            m(lam_cyc=10),
            _(
                "Your get_gen_loss ignores the lambda_cycle argument (it always uses 10; here "
                "lambda_cycle={lambda_cycle})."
            ),
        ),
        Mistake(
            m(lam_id=5.0, lam_cyc=10),
            _(
                "Your get_gen_loss uses the official weights 5 and 10 instead of the arguments "
                "lambda_identity={lambda_identity} and lambda_cycle={lambda_cycle}."
            ),
        ),
        Mistake(m(w_id=0.0), _("Your get_gen_loss leaves out the identity terms.")),
        Mistake(m(w_cyc=0.0), _("Your get_gen_loss leaves out the cycle-consistency terms.")),
        Mistake(m(w_adv=0.0), _("Your get_gen_loss leaves out the adversarial terms.")),
        Mistake(
            m(one_direction=True),
            _(
                "Your get_gen_loss only counts the A -> B direction: add the B -> A adversarial, "
                "identity and cycle terms too."
            ),
        ),
        Mistake(
            m(average=True),
            _(
                "Your get_gen_loss averages the two directions; add them: adv_AB + adv_BA, "
                "identity_A + identity_B, cycle_A + cycle_B."
            ),
        ),
        Mistake(
            m(id_uses_cycle=True),
            _(
                "Your get_gen_loss computes the identity terms with cycle_criterion: use "
                "identity_criterion for them."
            ),
        ),
        Mistake(
            m(cycle_uses_id=True),
            _(
                "Your get_gen_loss computes the cycle terms with identity_criterion: use "
                "cycle_criterion for them."
            ),
        ),
        Mistake(
            m(detach_cycle=True),
            _(
                "Your get_gen_loss detaches the fakes before the cycle terms, so the cycle loss "
                "no longer trains the first generator of each cycle: pass fake_A and fake_B as "
                "they are."
            ),
            on="grads",
        ),
    ]
    spec = LossSpec(
        outputs=("gen_loss", "fake_A", "fake_B"),
        detached_ok=("fake_A", "fake_B"),
        probes=probes,
        mistakes=mistakes,
        reminder=(
            _(
                "The generator objective adds the two adversarial terms, lambda_identity times "
                "the two identity terms and lambda_cycle times the two cycle terms."
            )
        ),
        helpers=_GEN_HELPERS,
    )
    check_loss(ctx, candidate, spec)


_NETWORK_CATCHES = (
    "detached tensors",
    "in-place changes",
    "inherited or reference forward",
)

register(
    Exercise(
        "cyclegan.ResidualBlock",
        "class ResidualBlock(course_lib.models.ResidualBlock): def forward(self, x)",
        ResidualBlock,
        check_residual_block,
        kind="module",
        catches=("missing skip", "activation after the sum", "block applied twice")
        + _NETWORK_CATCHES,
    )
)
register(
    Exercise(
        "cyclegan.FeatureMapBlock",
        "class FeatureMapBlock(course_lib.models.FeatureMapBlock): def forward(self, x)",
        FeatureMapBlock,
        check_feature_map_block,
        kind="module",
        catches=("zero padding", "missing norm or activation", "activation before norm")
        + _NETWORK_CATCHES,
    )
)
register(
    Exercise(
        "cyclegan.ResnetGenerator",
        "class ResnetGenerator(course_lib.models.ResnetGenerator): def forward(self, x)",
        ResnetGenerator,
        check_resnet_generator,
        kind="module",
        catches=("residual blocks skipped or doubled", "global skip", "second tanh")
        + _NETWORK_CATCHES,
    )
)
register(
    Exercise(
        "cyclegan.get_disc_loss",
        "get_disc_loss(real_X, fake_X, disc_X, adv_criterion) -> Tensor",
        ref.get_disc_loss,
        check_get_disc_loss,
        catches=(
            "swapped targets",
            "sum instead of mean",
            "missing term",
            "missing detach",
            "detached prediction",
            "hard-coded criterion",
            "criterion argument order",
            "sigmoid",
            "side effects",
        ),
    )
)
register(
    Exercise(
        "cyclegan.get_gen_adversarial_loss",
        "get_gen_adversarial_loss(real_X, disc_Y, gen_XY, adv_criterion) -> (loss, fake_Y)",
        ref.get_gen_adversarial_loss,
        check_get_gen_adversarial_loss,
        catches=(
            "zeros as target",
            "real image judged",
            "detached fake",
            "hard-coded criterion",
            "criterion argument order",
            "return order",
            "side effects",
        ),
    )
)
register(
    Exercise(
        "cyclegan.get_identity_loss",
        "get_identity_loss(real_X, gen_YX, identity_criterion) -> (loss, identity_X)",
        ref.get_identity_loss,
        check_get_identity_loss,
        catches=(
            "hard-coded criterion",
            "generator not applied or applied twice",
            "detached",
            "return order",
            "side effects",
        ),
    )
)
register(
    Exercise(
        "cyclegan.get_cycle_consistency_loss",
        "get_cycle_consistency_loss(real_X, fake_Y, gen_YX, cycle_criterion) -> (loss, cycle_X)",
        ref.get_cycle_consistency_loss,
        check_get_cycle_consistency_loss,
        catches=(
            "detached fake_Y",
            "gen_YX applied to real_X",
            "compared with fake_Y",
            "hard-coded criterion",
            "return order",
            "side effects",
        ),
    )
)
register(
    Exercise(
        "cyclegan.get_gen_loss",
        "get_gen_loss(real_A, real_B, gen_AB, gen_BA, disc_A, disc_B, adv_criterion, "
        "identity_criterion, cycle_criterion, lambda_identity=0.1, lambda_cycle=10) -> "
        "(gen_loss, fake_A, fake_B)",
        ref.get_gen_loss,
        check_get_gen_loss,
        catches=(
            "wrong discriminator or generator for a direction",
            "lambdas swapped, hard-coded or wrong defaults",
            "missing term or direction",
            "criteria mixed up",
            "averaged directions",
            "detached cycle fakes",
            "return order",
            "side effects",
        ),
    )
)
