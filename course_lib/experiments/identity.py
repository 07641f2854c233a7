"""Lesson 05: the identity loss keeps colours (the paper's Monet -> photo figure, in small).

The embedded summer/winter scenes have houses whose walls take a random hue with the same
distribution in both domains: a good translation changes the season and keeps the wall's colour.
The lesson uses their variant with a large house in every scene (:data:`DATASET`,
``unpaired_houses``): on lesson 04's scenes the walls cover about 2% of a picture, and a small
generator trained for a few thousand steps does not reproduce their colour even when it is trained
to do nothing but copy images (a wall drift of about 65, against 10 for a 3 x 3 blur), so no
loss term could show an effect there; with walls of a sixth of the picture it can.
The cycle loss alone does not ask for that (a generator may permute colours as long as the
other one permutes them back), so without the identity loss the walls often drift. The
experiment trains two small CycleGANs with the same seed, data and budget, with
``lambda_identity = 0`` and with the official ``0.5 * lambda_cycle = 5``, and measures on the
test images the colour shift between input and output in CIELAB, where a Euclidean distance
(``Delta E*ab``, CIE76) roughly follows perceived colour difference: about 2.3 is a just
noticeable difference, above 10 two colours read as different.

Two numbers per model and direction: the shift on the house walls (pixels given by the
dataset's masks, the colour that should be kept), and the shift of the whole image's mean
colour (which should change: summer to winter). On a real dataset without masks only the second.

``python benchmarks/lesson05_identity.py`` runs :func:`run_experiment` with the defaults.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from ..i18n import N_, _
from ..training import CycleGAN
from ..training.common import History
from ..utils import pad, text_width
from .cyclegan import (
    CPU,
    CycleGANSettings,
    UnpairedImages,
    checkpoint_path,
    load_unpaired,
    make_cyclegan,
    make_loader,
    train_cyclegan,
    translate,
)

__all__ = [
    "DATASET",
    "rgb_to_lab",
    "delta_e",
    "load_masks",
    "ColourShift",
    "colour_shift",
    "evaluate_colour_shift",
    "evaluate_identity",
    "ARMS",
    "IdentityExperiment",
    "run_experiment",
]

#: The embedded data set of the lesson (:func:`course_lib.notebook.ensure_embedded`).
DATASET = "unpaired_houses"

# sRGB (D65) -> CIE XYZ, and the D65 white point.
_RGB_TO_XYZ = torch.tensor(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
_WHITE_D65 = torch.tensor([0.95047, 1.0, 1.08883])
_EPS = (6 / 29) ** 3


def rgb_to_lab(
    images: torch.Tensor, value_range: tuple[float, float] = (-1.0, 1.0)
) -> torch.Tensor:
    """Convert sRGB images ``(..., 3, H, W)`` to CIELAB (D65): ``L`` in [0, 100], ``a``, ``b``.

    ``value_range`` is the range of the input (``(-1, 1)``: the networks' range; ``(0, 1)``).
    The steps: undo the sRGB gamma, a linear map to XYZ, divide by the white point, then the
    cube-root compression of the Lab formulas (linear near 0).
    """
    lo, hi = value_range
    rgb = ((images.float() - lo) / (hi - lo)).clamp(0, 1)
    linear = torch.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    matrix = _RGB_TO_XYZ.to(images.device)
    xyz = torch.einsum("ij,...jhw->...ihw", matrix, linear)
    xyz = xyz / _WHITE_D65.to(images.device).view(3, 1, 1)
    f = torch.where(xyz > _EPS, xyz.clamp_min(_EPS) ** (1 / 3), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    fx, fy, fz = f.unbind(-3)
    return torch.stack([116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)], dim=-3)


def delta_e(lab1: torch.Tensor, lab2: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """CIE76 colour difference: the Euclidean distance in Lab along ``dim``."""
    return (lab1 - lab2).square().sum(dim).sqrt()


def load_masks(
    root: str | os.PathLike[str], split: str, side: str, names: list[str], size: int
) -> torch.Tensor | None:
    """The embedded set's house-wall masks ``(N, size, size)`` (bool), or None if it has none.

    A pixel of the resized mask counts only if it lies entirely on the wall, so colours at the
    wall's border (mixed with the sky or a tree) are not measured.
    """
    import numpy as np
    from PIL import Image

    folder = Path(root) / "masks" / f"{split}{side}"
    if not folder.is_dir():
        return None
    masks = []
    for name in names:
        path = folder / name
        if not path.is_file():
            return None
        with Image.open(path) as image:
            m = torch.from_numpy(np.asarray(image.convert("L"), dtype=np.float32))
        m = F.adaptive_avg_pool2d((m / 255.0)[None, None], size)[0, 0]
        masks.append(m > 0.99)
    return torch.stack(masks)


@dataclass
class ColourShift:
    """Colour shifts (Delta E*ab) between inputs and outputs of one direction.

    ``walls``: mean over the images with a house of the distance between the mean Lab colour of
    the walls in the input and in the output (None without masks); ``image``: mean over all
    images of the distance between their mean Lab colours; ``per_image_walls`` the values
    behind ``walls``.
    """

    walls: float | None
    image: float
    per_image_walls: torch.Tensor | None = None
    n_houses: int = 0


def colour_shift(
    inputs: torch.Tensor,
    outputs: torch.Tensor,
    masks: torch.Tensor | None = None,
    min_pixels: int = 4,
) -> ColourShift:
    """Measure how far ``outputs`` moved from the colours of ``inputs`` (both in [-1, 1]).

    With ``masks`` ``(N, H, W)``, the mean Lab colour inside each mask (images with at least
    ``min_pixels`` mask pixels) is compared between input and output.
    """
    lab_in, lab_out = rgb_to_lab(inputs.cpu()), rgb_to_lab(outputs.cpu())
    image = delta_e(lab_in.mean((-2, -1)), lab_out.mean((-2, -1))).mean().item()
    if masks is None:
        return ColourShift(None, image)
    values = []
    for lin, lout, m in zip(lab_in, lab_out, masks.cpu()):
        if int(m.sum()) < min_pixels:
            continue
        values.append(delta_e(lin[:, m].mean(1), lout[:, m].mean(1), dim=0))
    if not values:
        return ColourShift(None, image)
    per_image = torch.stack(values)
    return ColourShift(per_image.mean().item(), image, per_image, len(values))


def evaluate_colour_shift(
    model: CycleGAN, test: UnpairedImages, masks: Mapping[str, torch.Tensor | None], n: int
) -> tuple[dict[str, ColourShift], dict[str, torch.Tensor]]:
    """Colour shifts of ``A -> B`` and ``B -> A`` on the first ``n`` test images, and outputs."""
    shifts, outputs = {}, {}
    for side, direction in (("A", "AtoB"), ("B", "BtoA")):
        inputs = test.batch(side, n)
        out = translate(model, inputs, direction)
        m = masks.get(side)
        shifts[direction] = colour_shift(inputs, out, None if m is None else m[:n])
        outputs[direction] = out
    return shifts, outputs


#: The models compared: (lambda_identity, label). ``"dlai"`` is optional.
ARMS: dict[str, tuple[float, str]] = {
    "no_identity": (0.0, N_("no identity loss (lambda_id = 0)")),
    "identity": (5.0, N_("identity loss (lambda_id = 5, official)")),
    "dlai": (0.1, N_("identity loss (lambda_id = 0.1, DLAI)")),
}


@dataclass
class IdentityExperiment:
    """The result of :func:`run_experiment`: shifts, outputs and histories per arm.

    ``seconds``: each arm's training time on the clock; ``cpu_seconds``: the processor time
    the training process used meanwhile (with one thread, the time on an otherwise idle core).
    """

    settings: CycleGANSettings
    inputs: dict[str, torch.Tensor] = field(default_factory=dict)
    masks: dict[str, torch.Tensor | None] = field(default_factory=dict)
    shifts: dict[str, dict[str, ColourShift]] = field(default_factory=dict)
    outputs: dict[str, dict[str, torch.Tensor]] = field(default_factory=dict)
    histories: dict[str, History] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    models: dict[str, CycleGAN] = field(default_factory=dict, repr=False)

    def table(self) -> str:
        """A plain-text table: Delta E*ab on the walls and of the image mean, per direction."""

        def fmt(value: float | None) -> str:
            return "   n/a" if value is None else f"{value:6.1f}"

        heads = [_("walls A->B"), _("walls B->A"), _("image A->B"), _("image B->A")]
        labels = {arm: _(ARMS.get(arm, (0, arm))[1]) for arm in self.shifts}
        first = max([42, *(text_width(label) + 1 for label in labels.values())])
        widths = [max(11, text_width(h) + 1) for h in heads]
        lines = [
            _("colour shift input -> output, Delta E*ab (CIE76; ~2.3 just noticeable)"),
            pad(_("model"), first) + "".join(pad(h, w, ">") for h, w in zip(heads, widths))
            + pad(_("time"), 7, ">"),
        ]
        for arm, shifts in self.shifts.items():
            ab, ba = shifts["AtoB"], shifts["BtoA"]
            values = [fmt(ab.walls), fmt(ba.walls), fmt(ab.image), fmt(ba.image)]
            lines.append(
                pad(labels[arm], first)
                + "".join(pad(v, w, ">") for v, w in zip(values, widths))
                + f"{self.seconds.get(arm, 0):>6.0f}s"
            )
        return "\n".join(lines)

    def wall_shift(self, arm: str) -> float | None:
        """Mean of both directions' wall shifts (None without masks)."""
        values = [s.walls for s in self.shifts[arm].values() if s.walls is not None]
        return sum(values) / len(values) if values else None


def evaluate_identity(
    models: Mapping[str, CycleGAN],
    root: str | os.PathLike[str],
    settings: CycleGANSettings,
    test: UnpairedImages | None = None,
    histories: Mapping[str, History] | None = None,
    seconds: Mapping[str, float] | None = None,
) -> IdentityExperiment:
    """Measure the colour shift of trained models (arm name -> model) on the test images of
    ``root`` (the first ``settings.n_eval`` of each domain)."""
    test = test or load_unpaired(root, "test", settings.image_size)
    n = min(settings.n_eval, len(test.A), len(test.B))
    result = IdentityExperiment(settings)
    result.inputs = {"A": test.batch("A", n), "B": test.batch("B", n)}
    result.masks = {
        side: load_masks(root, "test", side, names, settings.image_size)
        for side, names in (("A", test.names_A), ("B", test.names_B))
    }
    for arm, model in models.items():
        result.shifts[arm], result.outputs[arm] = evaluate_colour_shift(
            model, test, result.masks, n
        )
        result.models[arm] = model
    result.histories = dict(histories or {})
    result.seconds = dict(seconds or {})
    return result


def run_experiment(
    root: str | os.PathLike[str],
    settings: CycleGANSettings = CPU,
    device: torch.device | str | None = None,
    seed: int = 0,
    arms: tuple[str, ...] = ("no_identity", "identity"),
    checkpoint_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
    loss_functions: Mapping[str, Callable[..., Any]] | None = None,
) -> IdentityExperiment:
    """Train one CycleGAN per arm (only ``lambda_identity`` differs; ``lambda_cycle = 10``)
    and measure the colour shift of its translations of the test images.

    With ``checkpoint_dir`` each run saves to and resumes from ``05_<arm>_<tag>.pt`` there;
    ``loss_functions`` (``gen_loss``, ``disc_loss``) replace course_lib's losses in training.
    """
    loader = make_loader(root, settings, seed)
    models, histories, seconds, cpu_seconds = {}, {}, {}, {}
    for arm in arms:
        lambda_identity, _ = ARMS[arm]
        model = make_cyclegan(
            settings,
            device,
            lambda_cycle=10.0,
            lambda_identity=lambda_identity,
            seed=seed,
            **dict(loss_functions or {}),
        )
        start, cpu_start = time.perf_counter(), time.process_time()
        histories[arm] = train_cyclegan(
            model,
            loader.with_seed(seed),
            settings,
            seed,
            checkpoint_path(checkpoint_dir, f"05_{arm}", settings),
            progress=progress,
        )
        seconds[arm] = time.perf_counter() - start
        cpu_seconds[arm] = time.process_time() - cpu_start
        models[arm] = model
    result = evaluate_identity(models, root, settings, None, histories, seconds)
    result.cpu_seconds = cpu_seconds
    return result
