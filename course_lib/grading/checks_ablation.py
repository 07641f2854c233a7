"""Checks of the L1-vs-L2 ablation exercises: the image metrics and the loss switch."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F

from .. import metrics as ref
from ..i18n import N_, _
from .probes import close, fmt, seeded
from .registry import Exercise, register
from .runner import CheckContext, fail

__all__ = [
    "check_per_pixel_l1",
    "check_high_frequency_energy",
    "check_sharpness_ratio",
    "check_mean_saturation",
    "check_colour_histogram_distance",
    "check_label_accuracy",
    "check_get_recon_criterion",
]

Case = tuple[str, Callable[[torch.Generator], tuple[Any, ...]]]
MetricMistake = tuple[Callable[..., Any], str]


def _uniform(g: torch.Generator, *shape: int, low: float = -0.999, high: float = 0.999):
    return torch.rand(*shape, generator=g) * (high - low) + low


def _smooth(x: torch.Tensor) -> torch.Tensor:
    c = x.shape[1]
    kernel = torch.full((c, 1, 3, 3), 1 / 9, dtype=x.dtype)
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel, groups=c)


def _cast(x: torch.Tensor, shifts: Sequence[float]) -> torch.Tensor:
    """Shift each channel (a colour cast), staying inside (-1, 1)."""
    return (x * 0.6 + torch.tensor(shifts).view(1, -1, 1, 1)).clamp(-0.999, 0.999)


def _check_metric(
    ctx: CheckContext,
    candidate: Any,
    cases: Sequence[Case],
    mistakes: Sequence[MetricMistake],
    reminder: str,
) -> None:
    """Compare a metric with the reference on every case; name a known mistake if one fits."""
    reference = ctx.exercise.reference
    for i, (label, make) in enumerate(cases, 1):
        where = _("input #{i} ({label})").format(i=i, label=label)
        cpu_args = make(seeded(ctx.seed * 1000 + 700 + i))
        args = tuple(a.to(ctx.device) if isinstance(a, torch.Tensor) else a for a in cpu_args)
        kept = [a.clone() if isinstance(a, torch.Tensor) else a for a in args]
        out = ctx.call(candidate, args, where)
        for a, k in zip(args, kept, strict=True):
            if isinstance(a, torch.Tensor) and not torch.equal(a, k):
                fail(
                    _("{who} modifies its input in place on {where}: compute new tensors.").format(
                        who=ctx.who, where=where
                    )
                )
        expected = reference(*kept)
        _validate_scalar(ctx, out, kept, where)
        if close(out, expected):
            continue
        got = float(out.detach().double().cpu().reshape(-1)[0])
        if math.isnan(got):
            nan_hint = _nan_hint(mistakes)
            fail(
                _("{who} returns nan on {where}. {hint}")
                .format(who=ctx.who, where=where, hint=_(nan_hint or reminder))
                .rstrip()
            )
        for fn, hint in mistakes:
            try:
                value = fn(*[a.clone() if isinstance(a, torch.Tensor) else a for a in kept])
            except Exception:
                continue
            if value is not None and close(out, value):
                fail(
                    _("{hint}\n(seen on {where}: expected {expected}, got {out})").format(
                        hint=_(hint), where=where, expected=fmt(expected), out=fmt(out)
                    )
                )
        fail(
            _("{who} returns {out} on {where}; expected {expected}. {reminder}").format(
                who=ctx.who, out=fmt(out), where=where, expected=fmt(expected), reminder=_(reminder)
            )
        )


def _nan_hint(mistakes: Sequence[MetricMistake]) -> str | None:
    for fn, hint in mistakes:
        if getattr(fn, "nan_hint", False):
            return hint
    return None


def _validate_scalar(ctx: CheckContext, out: Any, inputs: Sequence[Any], where: str) -> None:
    who = ctx.who
    if out is None:
        fail(
            _("{who} returns None on {where}: did you forget `return`?").format(
                who=who, where=where
            )
        )
    if isinstance(out, (int, float)) and not isinstance(out, bool):
        fail(
            _(
                "{who} returns a Python number ({out!r}) on {where}: return a 0-dim tensor (drop "
                ".item() / float())."
            ).format(who=who, out=out, where=where)
        )
    if not isinstance(out, torch.Tensor):
        fail(
            _("{who} returns a {out_type} on {where}; return a 0-dim tensor.").format(
                who=who, out_type=type(out).__name__, where=where
            )
        )
    if out.numel() != 1:
        fail(
            _(
                "{who} returns a tensor of shape {tuple_shape} on {where}; return a single "
                "number for the whole batch (a 0-dim tensor)."
            ).format(who=who, tuple_shape=tuple(out.shape), where=where)
        )
    if not out.is_floating_point():
        fail(
            _(
                "{who} returns a {dtype} tensor on {where}; the result is a fraction or an "
                "average, so it must be a floating-point tensor (.float() before averaging)."
            ).format(who=who, dtype=out.dtype, where=where)
        )
    device = next(a.device for a in inputs if isinstance(a, torch.Tensor))
    if out.device != device:
        fail(
            _("{who} returns a tensor on {device}, the inputs are on {device2}.").format(
                who=who, device=out.device, device2=device
            )
        )


# --------------------------------------------------------------------------- per-pixel L1
def check_per_pixel_l1(candidate: Any, ctx: CheckContext) -> None:
    """``per_pixel_l1(output, target)``: mean absolute difference over the whole batch.

    Catches: a sum instead of the mean, the squared error, a missing absolute value, images
    rescaled to [0, 1], a per-image mean summed over the batch, a Python float.
    """
    cases: list[Case] = [
        (
            _("two (2, 3, 8, 8) batches"),
            lambda g: (_uniform(g, 2, 3, 8, 8), _uniform(g, 2, 3, 8, 8)),
        ),
        (
            _("two (1, 1, 5, 7) batches"),
            lambda g: (_uniform(g, 1, 1, 5, 7), _uniform(g, 1, 1, 5, 7)),
        ),
        (
            _("two (4, 3, 4, 4) batches"),
            lambda g: (_uniform(g, 4, 3, 4, 4), _uniform(g, 4, 3, 4, 4)),
        ),
    ]
    mistakes: list[MetricMistake] = [
        (
            lambda o, t: (o - t).abs().sum(),
            _("Your per_pixel_l1 sums the differences: take the mean."),
        ),
        (
            lambda o, t: (o - t).abs().flatten(1).mean(1).sum(),
            _(
                "Your per_pixel_l1 sums the per-image means over the batch: average over every "
                "value of the batch."
            ),
        ),
        (
            lambda o, t: ((o - t) ** 2).mean(),
            _(
                "Your per_pixel_l1 squares the differences (that is the L2/MSE error): take "
                "their absolute value."
            ),
        ),
        (
            lambda o, t: (o - t).mean(),
            _(
                "Your per_pixel_l1 forgets the absolute value: positive and negative differences "
                "cancel out. Average the absolute differences."
            ),
        ),
        (
            lambda o, t: ((o - t) / 2).abs().mean(),
            _(
                "Your per_pixel_l1 rescales the images to [0, 1] first: measure in the [-1, 1] "
                "units the images come in."
            ),
        ),
    ]
    _check_metric(
        ctx,
        candidate,
        cases,
        mistakes,
        _("It is the mean of the absolute differences over every pixel of the batch."),
    )


# --------------------------------------------------------------------------- high frequencies
def _hf_with(
    kernel_rows,
    padding: int | str = 0,
    square=True,
    reduce="mean",
    scale=1.0,
    grayscale=False,
    mixed=False,
):
    def metric(images: torch.Tensor) -> torch.Tensor:
        x = images * scale
        if grayscale:
            x = x.mean(dim=1, keepdim=True)
        c = x.shape[1]
        k = torch.tensor(kernel_rows, dtype=x.dtype)
        if mixed:
            response = F.conv2d(x, k.expand(1, c, 3, 3))
        else:
            if padding == "reflect":
                x = F.pad(x, (1, 1, 1, 1), mode="reflect")
                pad = 0
            else:
                pad = padding
            response = F.conv2d(x, k.expand(c, 1, 3, 3), groups=c, padding=pad)
        energy = response.pow(2) if square else response.abs()
        return energy.sum() if reduce == "sum" else energy.mean()

    return metric


_EIGHT = ((1.0, 1.0, 1.0), (1.0, -8.0, 1.0), (1.0, 1.0, 1.0))


def check_high_frequency_energy(candidate: Any, ctx: CheckContext) -> None:
    """``high_frequency_energy(images)``: mean squared response of the 3x3 Laplacian
    ``[[0, 1, 0], [1, -4, 1], [0, 1, 0]]``, each channel separately, no padding.

    Catches: zero or reflection padding, the absolute instead of the squared response, a sum
    instead of the mean, the 8-neighbour Laplacian, images rescaled to [0, 1], channels averaged
    or mixed into one filter. Accepts the negated kernel, slicing instead of a convolution,
    a reshape to one channel.
    """
    cases: list[Case] = [
        (_("a (2, 3, 8, 8) batch"), lambda g: (_uniform(g, 2, 3, 8, 8),)),
        (_("a (1, 1, 6, 9) batch"), lambda g: (_uniform(g, 1, 1, 6, 9),)),
        (_("a (3, 2, 5, 5) batch"), lambda g: (_uniform(g, 3, 2, 5, 5),)),
        (_("a (2, 3, 6, 7) float64 batch"), lambda g: (_uniform(g, 2, 3, 6, 7).double(),)),
    ]
    lap = ref.LAPLACIAN
    mistakes: list[MetricMistake] = [
        (
            _hf_with(lap, padding=1),
            _(
                "Your high_frequency_energy pads the images with zeros, which adds false edges "
                "at the border: use no padding (only positions where the 3x3 filter fits)."
            ),
        ),
        (
            _hf_with(lap, padding="reflect"),
            _(
                "Your high_frequency_energy pads the images: use no padding (only positions "
                "where the 3x3 filter fits)."
            ),
        ),
        (
            _hf_with(lap, square=False),
            _(
                "Your high_frequency_energy averages the absolute response: the energy is the "
                "mean of the squared response."
            ),
        ),
        (
            _hf_with(lap, reduce="sum"),
            _("Your high_frequency_energy sums the squared responses: take their mean."),
        ),
        (
            _hf_with(_EIGHT),
            _(
                "Your high_frequency_energy uses the 8-neighbour Laplacian: use [[0, 1, 0], [1, "
                "-4, 1], [0, 1, 0]]."
            ),
        ),
        (
            _hf_with(lap, scale=0.5),
            _(
                "Your high_frequency_energy rescales the images to [0, 1] first: filter them in "
                "the [-1, 1] range they come in."
            ),
        ),
        (
            _hf_with(lap, grayscale=True),
            _(
                "Your high_frequency_energy averages the channels first: filter each channel "
                "separately (groups=C) and average the squared responses."
            ),
        ),
        (
            _hf_with(lap, mixed=True),
            _(
                "Your high_frequency_energy mixes the channels in one filter (a conv2d without "
                "groups): filter each channel separately (groups=C)."
            ),
        ),
    ]
    _check_metric(
        ctx,
        candidate,
        cases,
        mistakes,
        _(
            "Filter each channel with [[0, 1, 0], [1, -4, 1], [0, 1, 0]] without padding and "
            "return the mean of the squared responses."
        ),
    )


# --------------------------------------------------------------------------- sharpness ratio
def check_sharpness_ratio(candidate: Any, ctx: CheckContext) -> None:
    """``sharpness_ratio(outputs, targets)`` = ``high_frequency_energy(outputs) /
    high_frequency_energy(targets)``.

    Catches: the inverse ratio, a difference, the mean of per-image ratios, square roots.
    Accepts any correct way of computing the two energies.
    """
    hf = ref.high_frequency_energy

    def per_image(o, t):
        return torch.stack([hf(o[i : i + 1]) / hf(t[i : i + 1]) for i in range(len(o))]).mean()

    cases: list[Case] = [
        (
            _("blurred (2, 3, 8, 8) outputs and sharp targets"),
            lambda g: (_smooth(_uniform(g, 2, 3, 8, 8)), _uniform(g, 2, 3, 8, 8)),
        ),
        (
            _("two (3, 1, 6, 7) batches of different sharpness"),
            lambda g: (
                _uniform(g, 3, 1, 6, 7) * torch.linspace(0.2, 1, 3).view(3, 1, 1, 1),
                _smooth(_uniform(g, 3, 1, 6, 7)) + 0.3 * _uniform(g, 3, 1, 6, 7),
            ),
        ),
        (
            _("float64 (2, 3, 6, 6) outputs and targets"),
            lambda g: (_smooth(_uniform(g, 2, 3, 6, 6)).double(), _uniform(g, 2, 3, 6, 6).double()),
        ),
    ]
    mistakes: list[MetricMistake] = [
        (
            lambda o, t: hf(t) / hf(o),
            _(
                "Your sharpness_ratio is upside down: divide the energy of the outputs by that "
                "of the targets."
            ),
        ),
        (
            lambda o, t: hf(o) - hf(t),
            _(
                "Your sharpness_ratio subtracts the energies: divide the energy of the outputs "
                "by that of the targets."
            ),
        ),
        (
            per_image,
            _(
                "Your sharpness_ratio averages per-image ratios: divide the energy of the whole "
                "output batch by that of the whole target batch."
            ),
        ),
        (
            lambda o, t: (hf(o) / hf(t)).sqrt(),
            _("Your sharpness_ratio takes a square root: return the plain ratio of the energies."),
        ),
    ]
    _check_metric(
        ctx,
        candidate,
        cases,
        mistakes,
        _("It is the high-frequency energy of the outputs divided by that of the targets."),
    )


# --------------------------------------------------------------------------- saturation
def _saturation_images(g: torch.Generator, n: int, h: int, w: int) -> torch.Tensor:
    x = _uniform(g, n, 3, h, w)
    x[:, :, 0, 0] = -1.0  # black pixels: max = 0 in [0, 1]
    x[:, :, -1, -1] = 0.2  # grey pixels: saturation 0
    x[0, :, 0, 1] = torch.tensor([0.9, -1.0, -1.0])  # a saturated red
    return x


def _out_of_range(x: torch.Tensor) -> torch.Tensor:
    """Values up to 10% outside [-1, 1], as un-squashed or mixed-precision outputs give."""
    return x * 1.1


def _sat_variant(mapping=True, kind="hsv", dim=1, guard=True, clamp=True):
    def metric(images: torch.Tensor) -> torch.Tensor:
        x = (images + 1) / 2 if mapping else images
        x = x.clamp(0, 1) if mapping and clamp else x
        high, low = x.max(dim=dim).values, x.min(dim=dim).values
        if kind == "chroma":
            return (high - low).mean()
        if kind == "hsl":
            light = (high + low) / 2
            denom = 1 - (2 * light - 1).abs()
            s = torch.where(
                denom > 0, (high - low) / denom.clamp_min(1e-12), torch.zeros_like(high)
            )
            return s.mean()
        if not guard:
            return ((high - low) / high).mean()
        return torch.where(
            high != 0, (high - low) / torch.where(high != 0, high, 1), torch.zeros_like(high)
        ).mean()

    return metric


def check_mean_saturation(candidate: Any, ctx: CheckContext) -> None:
    """``mean_saturation(images)``: HSV saturation ``(max - min) / max`` over the channels of
    each pixel (0 where max is 0), images mapped from [-1, 1] to [0, 1], averaged over all
    pixels.

    Catches: no [-1, 1] -> [0, 1] mapping, the chroma ``max - min`` without the division, HSL
    saturation, max/min over the wrong dimension, a division by zero on black pixels (nan).
    Accepts ``1 - min / max``, an epsilon in the denominator, any way of averaging.
    """
    cases: list[Case] = [
        (
            _("a (2, 3, 6, 6) batch with black and grey pixels"),
            lambda g: (_saturation_images(g, 2, 6, 6),),
        ),
        (
            _("a (1, 3, 4, 5) batch with black and grey pixels"),
            lambda g: (_saturation_images(g, 1, 4, 5),),
        ),
        (
            _("a (3, 3, 5, 5) batch with black and grey pixels"),
            lambda g: (_saturation_images(g, 3, 5, 5),),
        ),
        (
            _("a (2, 3, 6, 6) batch with values slightly outside [-1, 1]"),
            lambda g: (_out_of_range(_saturation_images(g, 2, 6, 6)),),
        ),
    ]
    no_guard = _sat_variant(guard=False)
    no_guard.nan_hint = True  # type: ignore[attr-defined]
    mistakes: list[MetricMistake] = [
        (
            no_guard,
            _(
                "Black pixels (max = 0) have saturation 0: avoid dividing by zero, e.g. "
                "torch.where(mx > 0, (mx - mn) / mx.clamp_min(1e-12), 0)."
            ),
        ),
        (
            _sat_variant(mapping=False),
            _(
                "Your mean_saturation works on [-1, 1] values: map the images to [0, 1] first, "
                "(images + 1) / 2."
            ),
        ),
        (
            _sat_variant(mapping=False, guard=False),
            _(
                "Your mean_saturation works on [-1, 1] values: map the images to [0, 1] first, "
                "(images + 1) / 2."
            ),
        ),
        (
            _sat_variant(clamp=False),
            _(
                "Your mean_saturation does not clamp: generator outputs can lie slightly outside "
                "[-1, 1], so after mapping to [0, 1] clamp the values to [0, 1]."
            ),
        ),
        (
            _sat_variant(kind="chroma"),
            _(
                "Your mean_saturation returns max - min (the chroma): HSV saturation divides it "
                "by max."
            ),
        ),
        (
            _sat_variant(kind="hsl"),
            _("Your mean_saturation computes HSL saturation: use HSV, (max - min) / max."),
        ),
        (
            _sat_variant(dim=0),
            _(
                "Your mean_saturation takes max and min over the batch: take them over the "
                "channels of each pixel (dim=1)."
            ),
        ),
        (
            _sat_variant(dim=-1),
            _(
                "Your mean_saturation takes max and min over the width: take them over the "
                "channels of each pixel (dim=1)."
            ),
        ),
        (
            _sat_variant(dim=2),
            _(
                "Your mean_saturation takes max and min over the height: take them over the "
                "channels of each pixel (dim=1)."
            ),
        ),
    ]
    _check_metric(
        ctx,
        candidate,
        cases,
        mistakes,
        _(
            "Map to [0, 1], take max and min over the channels (dim=1), saturation (max - min) / "
            "max (0 where max is 0), then the mean over all pixels."
        ),
    )


# --------------------------------------------------------------------------- histogram distance
def _hist_variant(
    normalise=True,
    half=True,
    pooled=False,
    low=-1.0,
    bins=None,
    reduce="mean",
    per_image=False,
    clamp=True,
):
    def metric(outputs, targets, nbins=16):
        nb = bins or nbins

        def hist(x):
            x = x.clamp(low, 1) if clamp else x
            h = torch.histc(x.float(), bins=nb, min=low, max=1)
            return h / h.sum() if normalise else h

        def distance(o, t):
            d = (hist(o) - hist(t)).abs().sum()
            return 0.5 * d if half else d

        if pooled:
            return distance(outputs, targets)
        if per_image:
            return torch.stack(
                [
                    distance(outputs[i, c], targets[i, c])
                    for i in range(min(len(outputs), len(targets)))
                    for c in range(outputs.shape[1])
                ]
            ).mean()
        ds = torch.stack([distance(outputs[:, c], targets[:, c]) for c in range(outputs.shape[1])])
        return ds.sum() if reduce == "sum" else ds.mean()

    return metric


def check_colour_histogram_distance(candidate: Any, ctx: CheckContext) -> None:
    """``colour_histogram_distance(outputs, targets, bins=16)``: per channel, normalised
    histograms over all pixels of the batch on [-1, 1]; their total-variation distance
    ``0.5 * sum |p - q|``; the mean over channels.

    Catches: unnormalised counts, the L1 distance without the 1/2, channels pooled in one
    histogram, the range [0, 1] instead of [-1, 1], ``bins`` ignored, a sum over channels,
    per-image histograms. Accepts ``1 - sum(min(p, q))`` (histogram intersection),
    ``torch.histogram`` or bucketing by hand.
    """
    cases: list[Case] = [
        (
            _("(2, 3, 8, 8) outputs with a colour cast and targets, bins=16"),
            lambda g: (
                _cast(_uniform(g, 2, 3, 8, 8), (0.5, -0.5, 0.0)),
                _uniform(g, 2, 3, 8, 8),
                16,
            ),
        ),
        (
            _("(1, 3, 6, 6) outputs and (3, 3, 6, 6) targets, bins=8"),
            lambda g: (
                _cast(_uniform(g, 1, 3, 6, 6), (-0.4, 0.0, 0.6)),
                _uniform(g, 3, 3, 6, 6),
                8,
            ),
        ),
        (
            _("(2, 2, 5, 5) outputs and targets, bins=5"),
            lambda g: (
                _cast(_uniform(g, 2, 2, 5, 5) ** 3, (0.3, -0.3)),
                _uniform(g, 2, 2, 5, 5),
                5,
            ),
        ),
        (
            _("(2, 3, 6, 6) outputs and targets with values slightly outside [-1, 1], bins=8"),
            lambda g: (
                _out_of_range(_cast(_uniform(g, 2, 3, 6, 6), (0.4, -0.4, 0.0))),
                _out_of_range(_uniform(g, 2, 3, 6, 6)),
                8,
            ),
        ),
    ]
    mistakes: list[MetricMistake] = [
        (
            _hist_variant(normalise=False),
            _(
                "Your colour_histogram_distance compares raw counts: normalise each histogram to "
                "sum 1 first."
            ),
        ),
        (
            _hist_variant(half=False),
            _(
                "Your colour_histogram_distance returns sum |p - q|: the total-variation "
                "distance is half of it, 0.5 * sum |p - q| (in [0, 1])."
            ),
        ),
        (
            _hist_variant(pooled=True),
            _(
                "Your colour_histogram_distance pools all channels in one histogram: compute one "
                "histogram per channel and average the channels' distances."
            ),
        ),
        (
            _hist_variant(low=0.0),
            _(
                "Your colour_histogram_distance bins the range [0, 1]: the images are in [-1, "
                "1], use min=-1, max=1."
            ),
        ),
        (
            _hist_variant(clamp=False),
            _(
                "Your colour_histogram_distance does not clamp: values outside [-1, 1] "
                "(generator outputs can lie slightly outside) fall out of every bin; clamp them "
                "to [-1, 1] before the histogram."
            ),
        ),
        (
            _hist_variant(bins=16),
            _(
                "Your colour_histogram_distance ignores the `bins` argument (it always uses 16 "
                "bins)."
            ),
        ),
        (
            _hist_variant(reduce="sum"),
            _("Your colour_histogram_distance sums the channels' distances: take their mean."),
        ),
        (
            _hist_variant(per_image=True),
            _(
                "Your colour_histogram_distance compares images one by one: build each channel's "
                "histogram over all pixels of the batch."
            ),
        ),
    ]
    _check_metric(
        ctx,
        candidate,
        cases,
        mistakes,
        _(
            "Per channel: histograms of outputs and targets over the whole batch (bins equal "
            "bins on [-1, 1]), normalised to sum 1, distance 0.5 * sum |p - q|; then the mean "
            "over channels."
        ),
    )


# --------------------------------------------------------------------------- label accuracy
def _labels(g: torch.Generator, *shape: int, agree: float = 0.6):
    true = torch.randint(0, 5, shape, generator=g)
    noise = torch.randint(0, 5, shape, generator=g)
    keep = torch.rand(shape, generator=g) < agree
    return torch.where(keep, true, noise), true


def check_label_accuracy(candidate: Any, ctx: CheckContext) -> None:
    """``label_accuracy(pred_indices, true_indices)``: fraction of equal positions, as a float
    tensor.

    Catches: integer division (always 0), a count instead of a fraction, a percentage, a
    division by the batch size only, the error rate, a Python float.
    """
    cases: list[Case] = [
        (_("(2, 8, 8) index maps"), lambda g: _labels(g, 2, 8, 8)),
        (_("(1, 5, 7) index maps"), lambda g: _labels(g, 1, 5, 7, agree=0.3)),
        (_("(3, 4, 4) identical index maps"), lambda g: _labels(g, 3, 4, 4, agree=1.1)),
    ]
    mistakes: list[MetricMistake] = [
        (
            lambda p, t: (p == t).sum().float(),
            _(
                "Your label_accuracy counts the equal positions: divide by their number (or use "
                ".float().mean())."
            ),
        ),
        (
            lambda p, t: (p == t).float().mean() * 100,
            _("Your label_accuracy returns a percentage: return the fraction, in [0, 1]."),
        ),
        (
            lambda p, t: (p == t).sum().float() / len(p),
            _(
                "Your label_accuracy divides by the batch size: divide by the number of "
                "positions (numel), or use .float().mean()."
            ),
        ),
        (
            lambda p, t: (p != t).float().mean(),
            _("Your label_accuracy returns the error rate: count where the maps are equal."),
        ),
        (
            lambda p, t: torch.div((p == t).sum(), p.numel(), rounding_mode="floor").float(),
            _(
                "Your label_accuracy uses integer division: convert to float before dividing "
                "((pred == true).float().mean())."
            ),
        ),
    ]
    _check_metric(
        ctx, candidate, cases, mistakes, _("It is (pred_indices == true_indices).float().mean().")
    )


# --------------------------------------------------------------------------- loss switch
def check_get_recon_criterion(candidate: Any, ctx: CheckContext) -> None:
    """``get_recon_criterion(kind)``: a criterion computing the mean absolute error for
    ``"l1"`` and the mean squared error for ``"l2"``; ``ValueError`` naming the allowed kinds
    for anything else.

    Checked by behaviour on several inputs (values and gradients), so a lambda or a custom
    module computing the same means is accepted. Catches: the two kinds swapped, a sum
    reduction, a class returned instead of an instance, a criterion cut from the autograd
    graph, no error (or another exception type, or a message without the allowed kinds) for
    an unknown kind.
    """
    g = seeded(ctx.seed * 1000 + 800)
    name = ctx.exercise.short_name
    shapes = [(2, 3, 8, 8), (1, 1, 5, 7), (3, 2, 4, 4)]
    for kind in ("l1", "l2"):
        where = f"kind={kind!r}"
        crit = ctx.call(candidate, (kind,), where)
        if crit is None:
            fail(
                _("{who}({kind!r}) returns None: return a criterion (e.g. nn.L1Loss()).").format(
                    who=ctx.who, kind=kind
                )
            )
        if isinstance(crit, type):
            fail(
                _(
                    "{who}({kind!r}) returns the class {name}, not a criterion: return an "
                    "instance, {name}()."
                ).format(who=ctx.who, kind=kind, name=crit.__name__)
            )
        if not callable(crit):
            fail(
                _(
                    "{who}({kind!r}) returns {crit!r}, which cannot be called as a criterion."
                ).format(who=ctx.who, kind=kind, crit=crit)
            )
        for shape in shapes:
            leaf = (torch.rand(*shape, generator=g) * 2 - 1).to(ctx.device).requires_grad_()
            target = (torch.rand(*shape, generator=g) * 2 - 1).to(ctx.device)
            at = _("{where}, criterion(output, target) on two {shape} batches").format(
                where=where, shape=shape
            )
            value = ctx.call(crit, (leaf * 1.0, target), at)
            l1 = (leaf - target).abs().mean()
            l2 = ((leaf - target) ** 2).mean()
            expected, other = (l1, l2) if kind == "l1" else (l2, l1)
            if not isinstance(value, torch.Tensor) or value.numel() != 1:
                fail(
                    _(
                        "The criterion returned by {name}({kind!r}) must return a one-number "
                        "tensor ({at})."
                    ).format(name=name, kind=kind, at=at)
                )
            if close(value, other):
                fail(
                    _(
                        "{who} swaps the kinds: 'l1' is the mean absolute error (nn.L1Loss()), "
                        "'l2' the mean squared error (nn.MSELoss())."
                    ).format(who=ctx.who)
                )
            if not close(value, expected):
                n = leaf.numel()
                if close(value, expected * n):
                    fail(
                        _(
                            "The criterion returned by {name}({kind!r}) sums over the elements: "
                            "average them (reduction='mean', the default)."
                        ).format(name=name, kind=kind)
                    )
                fail(
                    _(
                        "The criterion returned by {name}({kind!r}) returns {value} ({at}); "
                        "expected {expected}."
                    ).format(name=name, kind=kind, value=fmt(value), at=at, expected=fmt(expected))
                )
            if not value.requires_grad:
                fail(
                    _(
                        "The criterion returned by {name}({kind!r}) is cut from the autograd "
                        "graph: it could not train the generator."
                    ).format(name=name, kind=kind)
                )
    for bad in ("huber", "L3", ""):
        result, exc = ctx.attempt(candidate, (bad,))
        if exc is None:
            fail(
                _(
                    "{who}({bad!r}) returns {result!r}; it should raise a ValueError naming the "
                    "allowed kinds ('l1' and 'l2')."
                ).format(who=ctx.who, bad=bad, result=result)
            )
        if not isinstance(exc, ValueError):
            fail(
                _(
                    "{who}({bad!r}) raises {exc_type}; raise a ValueError naming the allowed "
                    "kinds ('l1' and 'l2') for an unknown kind."
                ).format(who=ctx.who, bad=bad, exc_type=type(exc).__name__)
            )
        text = str(exc)
        if "l1" not in text or "l2" not in text:
            fail(
                _(
                    "{who}({bad!r}) raises ValueError({text!r}): name the allowed kinds, 'l1' "
                    "and 'l2', in the message."
                ).format(who=ctx.who, bad=bad, text=text)
            )


#: The hint for a tensor built with a fixed dtype or device (a kernel, a target).
_DTYPE_HINT = N_(
    "A tensor you build inside the function (the Laplacian kernel) must take the input's "
    "dtype and device: pass dtype=images.dtype and device=images.device when you create it, "
    "or the function fails on float64 inputs and on a GPU."
)
_DTYPE_HINTS = (
    ("expected scalar type", _DTYPE_HINT),
    ("should be the same", _DTYPE_HINT),
    ("same dtype", _DTYPE_HINT),
    ("same device", _DTYPE_HINT),
)


def _register(
    name: str,
    signature: str,
    reference: Any,
    checker: Any,
    catches: tuple,
    error_hints: tuple[tuple[str, str], ...] = (),
) -> None:
    register(
        Exercise(
            f"ablation.{name}",
            signature,
            reference,
            checker,
            catches=catches,
            error_hints=error_hints,
        )
    )


_register(
    "per_pixel_l1",
    "per_pixel_l1(output, target) -> 0-dim Tensor",
    ref.per_pixel_l1,
    check_per_pixel_l1,
    ("sum", "squared error", "no abs", "rescaled"),
)
_register(
    "high_frequency_energy",
    "high_frequency_energy(images) -> 0-dim Tensor",
    ref.high_frequency_energy,
    check_high_frequency_energy,
    (
        "padding",
        "abs instead of square",
        "sum",
        "8-neighbour kernel",
        "rescaled",
        "channels mixed",
        "kernel fixed to float32 or the CPU",
    ),
    _DTYPE_HINTS,
)
_register(
    "sharpness_ratio",
    "sharpness_ratio(outputs, targets) -> 0-dim Tensor",
    ref.sharpness_ratio,
    check_sharpness_ratio,
    (
        "inverted",
        "difference",
        "mean of per-image ratios",
        "kernel fixed to float32 or the CPU",
    ),
    _DTYPE_HINTS,
)
_register(
    "mean_saturation",
    "mean_saturation(images) -> 0-dim Tensor",
    ref.mean_saturation,
    check_mean_saturation,
    (
        "no [0, 1] mapping",
        "no clamp",
        "chroma",
        "HSL",
        "wrong axis",
        "division by zero",
    ),
)
_register(
    "colour_histogram_distance",
    "colour_histogram_distance(outputs, targets, bins=16) -> 0-dim Tensor",
    ref.colour_histogram_distance,
    check_colour_histogram_distance,
    (
        "unnormalised",
        "no 1/2",
        "pooled channels",
        "wrong range",
        "no clamp",
        "bins ignored",
        "sum over channels",
        "per image",
    ),
)
_register(
    "label_accuracy",
    "label_accuracy(pred_indices, true_indices) -> 0-dim Tensor",
    ref.label_accuracy,
    check_label_accuracy,
    ("integer division", "count", "percentage", "divided by batch", "error rate"),
)
_register(
    "get_recon_criterion",
    "get_recon_criterion(kind) -> criterion ('l1' or 'l2')",
    ref.get_recon_criterion,
    check_get_recon_criterion,
    (
        "kinds swapped",
        "sum reduction",
        "class instead of instance",
        "no or wrong error for unknown kinds",
    ),
)
