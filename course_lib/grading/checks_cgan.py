"""Checks of the conditional-GAN exercises (one-hot labels, combining inputs, the two losses)."""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import torch
from torch import nn

from ..i18n import N_, _
from ..losses import cgan as ref
from ..models import ConditionalDiscriminator, ConditionalGenerator
from .losscheck import (
    GEN_ONCE,
    SEPARATE_BATCHES,
    LossSpec,
    Mistake,
    Probe,
    ProbeData,
    check_loss,
)
from .probes import (
    MockVectorDiscriminator,
    MockVectorGenerator,
    criterion,
    criterion_name,
    probe_init_,
    seeded,
    shape_str,
)
from .registry import Exercise, register
from .runner import CheckContext, fail

__all__ = [
    "check_get_one_hot_labels",
    "check_combine_vectors",
    "check_get_input_dimensions",
    "check_get_disc_loss",
    "check_get_gen_loss",
]

_BOTH_ONES = N_(
    "Your get_disc_loss compares the discriminator's verdict on the fake images with ones, "
    "like the real ones: the discriminator must learn to call fakes fake, so the fake term's "
    "target is zeros (and the real term's ones)."
)


def _size_hint(hint: str) -> tuple[tuple[str, str], ...]:
    """The error hint for tensors whose sizes do not match (``hint`` marked with ``N_``)."""
    return (("Sizes of tensors must match", hint),)


_SIZES_OF_REAL = N_(
    "Take sizes from the tensors you are given (e.g. real.shape), not from fixed numbers or "
    "variables defined elsewhere in the notebook."
)
_SIZES_OF_NOISE = N_(
    "Take sizes from the tensors you are given (e.g. noise.shape or one_hot_labels.shape), not "
    "from fixed numbers or variables defined elsewhere in the notebook."
)


_HELPERS = MappingProxyType(
    {
        "combine_vectors": ref.combine_vectors,
        "get_one_hot_labels": ref.get_one_hot_labels,
        "expand_labels": ref.expand_labels,
    }
)


# --------------------------------------------------------------------------- one-hot labels
def check_get_one_hot_labels(candidate: Any, ctx: CheckContext) -> None:
    """``get_one_hot_labels(labels, n_classes)`` -> ``(N, n_classes)`` one-hot rows.

    Catches: a transposed result, a width taken from the labels instead of ``n_classes``
    (``F.one_hot(labels)``), a wrong number of columns, the 1 in the wrong column, returning the
    labels, values other than 0/1, a result on another device, modified inputs. Accepts any
    numeric or bool dtype (``F.one_hot``, ``torch.eye(n)[labels]``, ``scatter_`` ...).
    """
    cases = [([2, 0, 1, 1], 5), ([9, 3, 3], 10), ([0], 3), ([1, 3, 0, 2, 3], 7)]
    for i, (values, n_classes) in enumerate(cases, 1):
        labels = torch.tensor(values, dtype=torch.long, device=ctx.device)
        where = _("input #{i} (labels={values}, n_classes={n_classes})").format(
            i=i, values=values, n_classes=n_classes
        )
        kept = labels.clone()
        out = ctx.call(candidate, (labels, n_classes), where)
        if not torch.equal(labels, kept):
            fail(
                _("{who} modifies `labels` in place on {where}; build a new tensor.").format(
                    who=ctx.who, where=where
                )
            )
        expected = ref.get_one_hot_labels(kept, n_classes)
        if out is None:
            fail(
                _("{who} returns None on {where}: did you forget `return`?").format(
                    who=ctx.who, where=where
                )
            )
        if not isinstance(out, torch.Tensor):
            fail(
                _("{who} returns a {out_type} on {where}; return a tensor.").format(
                    who=ctx.who, out_type=type(out).__name__, where=where
                )
            )
        n = len(values)
        if tuple(out.shape) == (n_classes, n) and n != n_classes:
            fail(
                _(
                    "{who} returns shape {out_shape} on {where}: the result is transposed; one "
                    "row per label, shape ({n}, {n_classes})."
                ).format(
                    who=ctx.who, out_shape=shape_str(out), where=where, n=n, n_classes=n_classes
                )
            )
        if out.dim() == 2 and out.shape[0] == n and out.shape[1] == max(values) + 1 != n_classes:
            fail(
                _(
                    "{who} returns {columns} columns on {where}, one per label seen, instead "
                    "of n_classes={n_classes}: pass n_classes to F.one_hot (the batch need not "
                    "contain the largest class)."
                ).format(who=ctx.who, columns=out.shape[1], where=where, n_classes=n_classes)
            )
        if tuple(out.shape) != tuple(expected.shape):
            fail(
                _(
                    "{who} returns shape {out_shape} on {where}; expected ({n}, {n_classes}): "
                    "one row per label, n_classes columns."
                ).format(
                    who=ctx.who, out_shape=shape_str(out), where=where, n=n, n_classes=n_classes
                )
            )
        if out.device != labels.device:
            fail(
                _("{who} returns a tensor on {device}, labels are on {device2}.").format(
                    who=ctx.who, device=out.device, device2=labels.device
                )
            )
        if out.is_complex() or not torch.equal(out.detach().double(), expected.double()):
            rows_ok = bool(((out == 0) | (out == 1)).all()) and bool((out.sum(1) == 1).all())
            if rows_ok:
                fail(
                    _(
                        "{who} puts the 1 in the wrong column on {where}: row i must have its 1 "
                        "in column labels[i] (expected {expected}, got {got})."
                    ).format(
                        who=ctx.who,
                        where=where,
                        expected=expected.tolist(),
                        got=out.tolist(),
                    )
                )
            first = [round(float(v), 3) for v in out[0].detach().cpu().reshape(-1)]
            fail(
                _(
                    "{who} returns values other than a single 1 per row on {where} (first row: "
                    "{first}): each row should hold one 1, in column labels[i], and zeros "
                    "elsewhere."
                ).format(who=ctx.who, where=where, first=first)
            )


# --------------------------------------------------------------------------- combine vectors
def check_combine_vectors(candidate: Any, ctx: CheckContext) -> None:
    """``combine_vectors(x, y)``: ``x`` and ``y`` concatenated along dim 1, as floats.

    Catches: the wrong dimension (0, or -1 for images), ``y`` before ``x``, ``torch.stack``
    instead of ``torch.cat``, an integer result, a result cut from the autograd graph
    (``.detach()``, ``torch.tensor``, numpy), another device, modified inputs. Accepts any
    floating dtype and any way of concatenating.
    """
    g = seeded(ctx.seed + 11)
    cases: list[tuple[str, Callable[[], tuple[torch.Tensor, torch.Tensor, torch.Tensor]]]] = []

    def vectors() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        leaf = torch.randn(3, 5, generator=g).to(ctx.device).requires_grad_()
        y = ref.get_one_hot_labels(torch.tensor([1, 3, 0]), 4).to(ctx.device)
        return leaf, leaf * 1.0, y

    def images() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        leaf = torch.randn(2, 1, 6, 5, generator=g).to(ctx.device).requires_grad_()
        one_hot = ref.get_one_hot_labels(torch.tensor([2, 0]), 3).to(ctx.device)
        return leaf, leaf * 1.0, ref.expand_labels(one_hot, (6, 5))

    def integers() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = torch.randint(-5, 5, (2, 3), generator=g).to(ctx.device)
        return x, x, ref.get_one_hot_labels(torch.tensor([1, 0]), 2).to(ctx.device)

    cases = [
        (_("noise (3, 5) float and one-hot labels (3, 4) int64"), vectors),
        (_("images (2, 1, 6, 5) and label maps (2, 3, 6, 5)"), images),
        (_("two integer tensors (2, 3) and (2, 2)"), integers),
    ]
    for i, (label, make) in enumerate(cases, 1):
        leaf, x, y = make()
        where = _("input #{i} ({label})").format(i=i, label=label)
        kept_x, kept_y = x.detach().clone(), y.clone()
        out, exc = ctx.attempt(candidate, (x, y))
        if exc is not None:
            dim = re.search(r"except in dimension (-?\d+)", str(exc))
            if "stack expects" in str(exc):
                fail(
                    _(
                        "{who} uses torch.stack on {where}, which needs equal shapes and adds a "
                        "dimension: concatenate with torch.cat([x, y], dim=1)."
                    ).format(who=ctx.who, where=where)
                )
            if dim and dim.group(1) != "1":
                fail(
                    _(
                        "{who} concatenates along dimension {dim} on {where}, where the "
                        "shapes differ: concatenate along dim=1 (the features or channels)."
                    ).format(who=ctx.who, dim=dim.group(1), where=where)
                )
            fail(ctx.describe_error(exc, where))
        if not (torch.equal(x.detach(), kept_x) and torch.equal(y, kept_y)):
            fail(
                _("{who} modifies its inputs in place on {where}; build a new tensor.").format(
                    who=ctx.who, where=where
                )
            )
        expected = ref.combine_vectors(kept_x, kept_y)
        if out is None:
            fail(
                _("{who} returns None on {where}: did you forget `return`?").format(
                    who=ctx.who, where=where
                )
            )
        if not isinstance(out, torch.Tensor):
            fail(
                _("{who} returns a {out_type} on {where}; return a tensor.").format(
                    who=ctx.who, out_type=type(out).__name__, where=where
                )
            )
        if out.dim() == x.dim() + 1:
            fail(
                _(
                    "{who} returns shape {out_shape} on {where}: torch.stack adds a dimension; "
                    "concatenate with torch.cat(..., dim=1)."
                ).format(who=ctx.who, out_shape=shape_str(out), where=where)
            )
        if tuple(out.shape) != tuple(expected.shape):
            dim0 = (x.shape[0] + y.shape[0], *x.shape[1:])
            extra = ""
            if tuple(out.shape) == dim0:
                extra = _(" You concatenated along dim 0, the batch: use dim=1.")
            elif out.dim() == 4 and out.shape[-1] == x.shape[-1] + y.shape[-1]:
                extra = _(" You concatenated along the last dimension: use dim=1 (channels).")
            fail(
                _(
                    "{who} returns shape {out_shape} on {where}; expected {expected_shape}.{extra}"
                ).format(
                    who=ctx.who,
                    out_shape=shape_str(out),
                    where=where,
                    expected_shape=shape_str(expected),
                    extra=extra,
                )
            )
        if not out.is_floating_point():
            fail(
                _(
                    "{who} returns {dtype} on {where}: the result must be float (the networks "
                    "read floats); convert with .float()."
                ).format(who=ctx.who, dtype=out.dtype, where=where)
            )
        if out.device != x.device:
            fail(
                _("{who} returns a tensor on {device}, the inputs are on {device2}.").format(
                    who=ctx.who, device=out.device, device2=x.device
                )
            )
        if not torch.equal(out.detach().double(), expected.double()):
            swapped = ref.combine_vectors(kept_y, kept_x)
            if out.shape == swapped.shape and torch.equal(out.detach().double(), swapped.double()):
                fail(
                    _("{who} puts y before x on {where}: the result is [x, y], x first.").format(
                        who=ctx.who, where=where
                    )
                )
            fail(
                _(
                    "{who} returns the wrong values on {where}: the first x.shape[1] entries "
                    "along dim 1 should be x, the rest y."
                ).format(who=ctx.who, where=where)
            )
        if leaf.requires_grad:
            if not out.requires_grad:
                fail(
                    _(
                        "{who} cuts the autograd graph on {where} (.detach(), torch.tensor(...) "
                        "or numpy): the generator is trained through combine_vectors(fake, "
                        "labels), so gradients must flow back into x."
                    ).format(who=ctx.who, where=where)
                )
            weights = torch.randn(out.shape, generator=g).to(ctx.device)
            (grad,) = torch.autograd.grad((out * weights).sum(), leaf)
            if not torch.allclose(grad, weights[:, : x.shape[1]]):
                fail(
                    _("{who} does not pass the gradient back to x unchanged on {where}.").format(
                        who=ctx.who, where=where
                    )
                )


# --------------------------------------------------------------------------- input dimensions
def check_get_input_dimensions(candidate: Any, ctx: CheckContext) -> None:
    """``get_input_dimensions(z_dim, mnist_shape, n_classes)`` -> ``(z_dim + n_classes,
    mnist_shape[0] + n_classes)``.

    Catches: the two numbers swapped, ``n_classes`` missing from either, the image's height or
    width used instead of its channels, products instead of sums, a wrong return type.
    """
    cases = [(64, (1, 28, 28), 10), (5, (3, 32, 32), 4), (10, (2, 7, 9), 1), (7, (4, 5, 6), 3)]
    for i, (z_dim, shape, n_classes) in enumerate(cases, 1):
        where = _("input #{i} (z_dim={z_dim}, mnist_shape={shape}, n_classes={n_classes})").format(
            i=i, z_dim=z_dim, shape=shape, n_classes=n_classes
        )
        out = ctx.call(candidate, (z_dim, shape, n_classes), where)
        gen_in, disc_in = ref.get_input_dimensions(z_dim, shape, n_classes)
        if out is None:
            fail(
                _("{who} returns None on {where}: did you forget `return`?").format(
                    who=ctx.who, where=where
                )
            )
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            fail(
                _(
                    "{who} returns {out!r} on {where}; return two numbers: (generator_input_dim, "
                    "discriminator_image_channel)."
                ).format(who=ctx.who, out=out, where=where)
            )
        values = []
        for v in out:
            if isinstance(v, torch.Tensor) and v.numel() == 1:
                v = v.item()
            if not isinstance(v, numbers.Real) or float(v) != int(v):
                fail(
                    _("{who} returns {out!r} on {where}; both values should be integers.").format(
                        who=ctx.who, out=out, where=where
                    )
                )
            values.append(int(v))
        got = tuple(values)
        if got == (gen_in, disc_in):
            continue
        if got == (disc_in, gen_in):
            fail(
                _(
                    "{who} returns {got} on {where}: the two values are swapped; return "
                    "(generator input, discriminator channels)."
                ).format(who=ctx.who, got=got, where=where)
            )
        hints = []
        if got[0] == z_dim:
            hints.append(
                _("the generator reads the noise and the one-hot label: z_dim + n_classes")
            )
        elif got[0] != gen_in:
            hints.append(_("the generator's input is z_dim + n_classes"))
        if got[1] == shape[0]:
            hints.append(
                _(
                    "the discriminator reads the image's channels plus one channel per class: "
                    "mnist_shape[0] + n_classes"
                )
            )
        elif got[1] in (shape[1] + n_classes, shape[2] + n_classes):
            hints.append(_("mnist_shape is (channels, height, width): use mnist_shape[0]"))
        elif got[1] != disc_in:
            hints.append(_("the discriminator's input channels are mnist_shape[0] + n_classes"))
        fail(
            _("{who} returns {got} on {where}, expected {expected}: ").format(
                who=ctx.who, got=got, where=where, expected=(gen_in, disc_in)
            )
            + "; ".join(hints)
            + "."
        )


# --------------------------------------------------------------------------- losses
def _real_probe(seed: int, device: torch.device, batch: int, crit: str, float_labels: bool):
    z_dim, n_classes = 6, 3

    def build() -> ProbeData:
        g = seeded(seed)
        gen = probe_init_(ConditionalGenerator(z_dim + n_classes, 1, hidden_channels=4), seed + 1)
        disc = probe_init_(ConditionalDiscriminator(1 + n_classes, hidden_channels=4), seed + 2)
        gen, disc = gen.to(device).eval(), disc.to(device).eval()
        real = (torch.rand(batch, 1, 28, 28, generator=g) * 2 - 1).to(device)
        labels = torch.randint(0, n_classes, (batch,), generator=g)
        one_hot = ref.get_one_hot_labels(labels, n_classes).to(device)
        if float_labels:
            one_hot = one_hot.float()
        noise = torch.randn(batch, z_dim, generator=g).to(device)
        c = criterion(crit)
        return ProbeData(
            (gen, disc, real, one_hot, noise, c),
            {"gen": gen, "disc": disc},
            {"real": real, "one_hot_labels": one_hot, "noise": noise},
            {"criterion": criterion_name(c)},
        )

    label = _(
        "batch of {batch}, ConditionalGenerator and ConditionalDiscriminator, "
        "{label_dtype} one-hot labels, criterion={criterion}"
    ).format(
        batch=batch,
        label_dtype="float" if float_labels else "int64",
        criterion=criterion_name(criterion(crit)),
    )
    return label, build


def _mock_probe(seed: int, device: torch.device, batch: int, crit: str):
    z_dim, n_classes, channels, size = 4, 5, 2, 8

    def build() -> ProbeData:
        g = seeded(seed)
        gen = probe_init_(MockVectorGenerator(z_dim + n_classes, channels, size), seed + 1)
        disc = probe_init_(MockVectorDiscriminator(channels + n_classes), seed + 2)
        gen, disc = gen.to(device).eval(), disc.to(device).eval()
        real = (torch.rand(batch, channels, size, size, generator=g) * 2 - 1).to(device)
        labels = torch.randint(0, n_classes, (batch,), generator=g)
        one_hot = ref.get_one_hot_labels(labels, n_classes).to(device)
        noise = torch.randn(batch, z_dim, generator=g).to(device)
        c = criterion(crit)
        return ProbeData(
            (gen, disc, real, one_hot, noise, c),
            {"gen": gen, "disc": disc},
            {"real": real, "one_hot_labels": one_hot, "noise": noise},
            {"criterion": criterion_name(c)},
        )

    label = _(
        "batch of {batch}, {channels}-channel {size}x{size} images, {n_classes} classes, "
        "non-linear test networks, criterion={criterion}"
    ).format(
        batch=batch,
        channels=channels,
        size=size,
        n_classes=n_classes,
        criterion=criterion_name(criterion(crit)),
    )
    return label, build


def _probes(ctx: CheckContext, with_real: bool = True) -> list[Probe]:
    s = ctx.seed * 1000 + 100
    specs = [
        _real_probe(s + 1, ctx.device, 2, "bce", float_labels=False),
        _mock_probe(s + 2, ctx.device, 3, "mse"),
        _real_probe(s + 3, ctx.device, 1, "mse", float_labels=True),
        _mock_probe(s + 4, ctx.device, 2, "bce"),
    ]
    return [Probe(label, build) for label, build in specs]


def _fake(gen, one_hot, noise, noise_first=True):
    if noise_first:
        return gen(ref.combine_vectors(noise, one_hot))
    return gen(ref.combine_vectors(one_hot, noise))


def _judge(disc, image, one_hot, labels_first=False):
    maps = ref.expand_labels(one_hot, image.shape)
    if labels_first:
        return disc(ref.combine_vectors(maps, image))
    return disc(ref.combine_vectors(image, maps))


def _d_mistake(**options: Any) -> Callable[..., torch.Tensor]:
    """A wrong conditional discriminator loss, computed with the references."""
    combine = options.get("combine", lambda f, r: (f + r) / 2)
    targets = options.get("targets", (0.0, 1.0))
    crit_override = options.get("criterion")
    swap_args = options.get("swap_args", False)
    sigmoid = options.get("sigmoid", False)
    detach = options.get("detach", True)
    detach_pred = options.get("detach_pred", False)
    labels_first = options.get("labels_first", False)
    noise_first = options.get("noise_first", True)

    def loss(gen, disc, real, one_hot_labels, noise, crit):
        c = crit_override() if crit_override else crit
        fake = _fake(gen, one_hot_labels, noise, noise_first)
        fake_pred = _judge(disc, fake.detach() if detach else fake, one_hot_labels, labels_first)
        real_pred = _judge(disc, real, one_hot_labels, labels_first)
        if detach_pred:
            fake_pred = fake_pred.detach()
        if sigmoid:
            fake_pred, real_pred = torch.sigmoid(fake_pred), torch.sigmoid(real_pred)

        def term(pred, value):
            target = torch.full_like(pred, value)
            return c(target, pred) if swap_args else c(pred, target)

        return combine(term(fake_pred, targets[0]), term(real_pred, targets[1]))

    return loss


def _g_mistake(**options: Any) -> Callable[..., torch.Tensor]:
    """A wrong conditional generator loss, computed with the references."""
    target = options.get("target", 1.0)
    crit_override = options.get("criterion")
    swap_args = options.get("swap_args", False)
    sigmoid = options.get("sigmoid", False)
    detach = options.get("detach", False)
    labels_first = options.get("labels_first", False)
    noise_first = options.get("noise_first", True)

    def loss(gen, disc, one_hot_labels, noise, crit):
        c = crit_override() if crit_override else crit
        fake = _fake(gen, one_hot_labels, noise, noise_first)
        pred = _judge(disc, fake.detach() if detach else fake, one_hot_labels, labels_first)
        if sigmoid:
            pred = torch.sigmoid(pred)
        t = torch.full_like(pred, target)
        return c(t, pred) if swap_args else c(pred, t)

    return loss


_SWAPPED = N_(
    "The real images are compared with zeros and the fake ones with ones: the real/fake "
    "targets are swapped (fake -> 0, real -> 1)."
)
_DETACH_D = N_(
    "Your get_disc_loss sends gradients into the generator: detach the generated images "
    "(fake.detach()) before the discriminator judges them."
)
_IGNORES_CRIT = N_(
    "Your {name} ignores the `criterion` argument (it gives the same result as {used} "
    "whatever criterion is passed; here criterion is {criterion}): use the criterion you are "
    "given."
)
_SWAP_ARGS = N_(
    "Your {name} calls the criterion as criterion(target, prediction): the order is "
    "criterion(prediction, target) (it matters for BCEWithLogitsLoss)."
)
_SIGMOID = N_(
    "Your {name} applies a sigmoid to the discriminator's output: pass the raw outputs to "
    "the criterion (BCEWithLogitsLoss applies the sigmoid itself)."
)
_LABELS_FIRST = N_(
    "Your {name} puts the label channels before the image: the discriminator reads the image "
    "stacked with the label channels, image first."
)
_NOISE_ORDER = N_(
    "Your {name} gives the generator [one-hot labels, noise]: it reads the noise joined with "
    "the one-hot labels, noise first."
)


def _crit_mistakes(name: str, make: Callable[..., Callable[..., torch.Tensor]]) -> list[Mistake]:
    return [
        Mistake(
            make(criterion=nn.BCEWithLogitsLoss),
            _(_IGNORES_CRIT).format(
                name=name, used="nn.BCEWithLogitsLoss()", criterion="{criterion}"
            ),
        ),
        Mistake(
            make(criterion=nn.MSELoss),
            _(_IGNORES_CRIT).format(name=name, used="nn.MSELoss()", criterion="{criterion}"),
        ),
        Mistake(
            make(criterion=nn.BCELoss),
            _(_IGNORES_CRIT).format(name=name, used="nn.BCELoss()", criterion="{criterion}"),
        ),
        Mistake(make(swap_args=True), _(_SWAP_ARGS).format(name=name)),
        Mistake(make(sigmoid=True), _(_SIGMOID).format(name=name)),
        Mistake(make(labels_first=True), _(_LABELS_FIRST).format(name=name)),
        Mistake(make(noise_first=False), _(_NOISE_ORDER).format(name=name)),
    ]


def check_get_disc_loss(candidate: Any, ctx: CheckContext) -> None:
    """``get_disc_loss(gen, disc, real, one_hot_labels, noise, criterion)``.

    ``fake = gen(combine_vectors(noise, one_hot_labels))``; the mean of
    ``criterion(disc([fake.detach(), label maps]), 0)`` and ``criterion(disc([real, label maps]),
    1)``. Catches: swapped targets, the sum instead of the mean, a missing term, a missing
    detach (gradients into the generator), a detached prediction instead of a detached image,
    a hard-coded criterion, criterion(target, prediction), a sigmoid before the criterion, the
    labels before the image, the wrong generator input order, side effects, wrong types. The
    learner's combine_vectors / get_one_hot_labels are replaced by the references.
    """
    name = "get_disc_loss"
    spec = LossSpec(
        outputs=("loss",),
        probes=_probes(ctx),
        mistakes=[
            Mistake(_d_mistake(targets=(1.0, 0.0)), _SWAPPED),
            Mistake(_d_mistake(targets=(1.0, 1.0)), _BOTH_ONES),
            Mistake(
                _d_mistake(combine=lambda f, r: f + r),
                _(
                    "Your get_disc_loss returns the sum of the fake and real terms: the "
                    "discriminator loss is their mean."
                ),
            ),
            Mistake(
                _d_mistake(combine=lambda f, r: r),
                _(
                    "Your get_disc_loss leaves out the fake term: add criterion(disc(fake images "
                    "and labels), zeros)."
                ),
            ),
            Mistake(
                _d_mistake(combine=lambda f, r: f),
                _(
                    "Your get_disc_loss leaves out the real term: add criterion(disc(real images "
                    "and labels), ones)."
                ),
            ),
            Mistake(
                _d_mistake(combine=lambda f, r: r / 2),
                _(
                    "Your get_disc_loss leaves out the fake term: add criterion(disc(fake images "
                    "and labels), zeros)."
                ),
            ),
            Mistake(
                _d_mistake(combine=lambda f, r: f / 2),
                _(
                    "Your get_disc_loss leaves out the real term: add criterion(disc(real images "
                    "and labels), ones)."
                ),
            ),
            *_crit_mistakes(name, _d_mistake),
            Mistake(_d_mistake(detach=False), _DETACH_D, on="grads"),
            Mistake(
                _d_mistake(detach_pred=True),
                _(
                    "Your get_disc_loss detaches the discriminator's prediction on the fake "
                    "images, so the fake term does not train the discriminator: detach the image "
                    "(fake.detach()) before the discriminator, not its output."
                ),
                on="grads",
            ),
        ],
        reminder=(
            _(
                "The loss is the mean of criterion(disc(fake), zeros) and criterion(disc(real), "
                "ones), the discriminator reading each image stacked with the label channels."
            )
        ),
        helpers=_HELPERS,
        max_calls={"gen": (1, GEN_ONCE)},
        batch_of={"disc": ("real", SEPARATE_BATCHES)},
        net_hints={
            "gen": {"none": _("Detach the generated images (fake.detach()) first.")},
            "disc": {"some": _("Only the generated image should be detached.")},
        },
    )
    check_loss(ctx, candidate, spec)


def _gen_probes(ctx: CheckContext) -> list[Probe]:
    probes = []
    for p in _probes(ctx):

        def build(p: Probe = p) -> ProbeData:
            d = p.build()
            gen, disc, real, one_hot, noise, crit = d.args
            d.args = (gen, disc, one_hot, noise, crit)
            d.watched.pop("real")
            return d

        probes.append(Probe(p.label, build))
    return probes


def check_get_gen_loss(candidate: Any, ctx: CheckContext) -> None:
    """``get_gen_loss(gen, disc, one_hot_labels, noise, criterion)``.

    ``criterion(disc(combine_vectors(gen(combine_vectors(noise, y)), label maps)), ones)``.
    Catches: zeros as the target, a detached fake (no gradient into the generator), a
    hard-coded criterion, criterion(target, prediction), a sigmoid before the criterion, the
    labels before the image, the wrong generator input order, side effects, wrong types.
    """
    name = "get_gen_loss"
    spec = LossSpec(
        outputs=("loss",),
        probes=_gen_probes(ctx),
        mistakes=[
            Mistake(
                _g_mistake(target=0.0),
                _(
                    "Your get_gen_loss compares the discriminator's verdict on the fake images "
                    "with zeros: the generator wants them called real, so the target is ones."
                ),
            ),
            *_crit_mistakes(name, _g_mistake),
        ],
        reminder=(
            _(
                "The generator loss is criterion(disc(fake images stacked with the label "
                "channels), ones)."
            )
        ),
        helpers=_HELPERS,
        max_calls={"gen": (1, GEN_ONCE)},
        net_hints={
            "gen": {
                "some": _("Don't detach the generated images here: this loss trains the generator.")
            }
        },
    )
    check_loss(ctx, candidate, spec)


register(
    Exercise(
        "cgan.get_one_hot_labels",
        "get_one_hot_labels(labels, n_classes) -> Tensor (N, n_classes)",
        ref.get_one_hot_labels,
        check_get_one_hot_labels,
        catches=(
            "transposed result",
            "width from the labels instead of n_classes",
            "1 in the wrong column",
            "values other than 0/1",
            "wrong type or device",
        ),
    )
)
register(
    Exercise(
        "cgan.combine_vectors",
        "combine_vectors(x, y) -> float Tensor, x and y concatenated on dim 1",
        ref.combine_vectors,
        check_combine_vectors,
        catches=(
            "wrong dimension (0 or -1)",
            "y before x",
            "torch.stack instead of torch.cat",
            "integer result",
            "autograd graph cut",
        ),
    )
)
register(
    Exercise(
        "cgan.get_input_dimensions",
        "get_input_dimensions(z_dim, mnist_shape, n_classes) -> (z_dim + n_classes, "
        "mnist_shape[0] + n_classes)",
        ref.get_input_dimensions,
        check_get_input_dimensions,
        catches=("values swapped", "n_classes left out", "height/width instead of channels"),
    )
)
register(
    Exercise(
        "cgan.get_disc_loss",
        "get_disc_loss(gen, disc, real, one_hot_labels, noise, criterion) -> Tensor",
        ref.get_disc_loss,
        check_get_disc_loss,
        catches=(
            "swapped real/fake targets",
            "sum instead of mean",
            "missing term",
            "missing detach",
            "detached prediction",
            "hard-coded criterion",
            "criterion argument order",
            "sigmoid before the criterion",
            "labels before the image",
            "side effects",
        ),
        error_hints=_size_hint(_SIZES_OF_REAL),
    )
)
register(
    Exercise(
        "cgan.get_gen_loss",
        "get_gen_loss(gen, disc, one_hot_labels, noise, criterion) -> Tensor",
        ref.get_gen_loss,
        check_get_gen_loss,
        catches=(
            "zeros as target",
            "detached fake",
            "hard-coded criterion",
            "criterion argument order",
            "sigmoid before the criterion",
            "labels before the image",
            "side effects",
        ),
        error_hints=_size_hint(_SIZES_OF_NOISE),
    )
)
