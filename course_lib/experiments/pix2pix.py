"""Lesson 02: Pix2Pix on the embedded label-map -> photo facades (or the real facades).

What the notebook and ``benchmarks/lesson02_pix2pix.py`` share: the settings for each place
the course runs (fast mode, a laptop CPU, a GPU), the data loaders, the training call, the
discriminator's patch map, and the evaluation on the held-out pairs (per-pixel L1 error,
sharpness and colour against the targets, and how sure the discriminator is on real and
generated photos).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from .. import metrics
from ..training import Pix2Pix, Pix2PixConfig
from ..training.common import History
from .cgan import checkpoint_path

__all__ = [
    "Pix2PixSettings",
    "FAST",
    "CPU",
    "GPU_EMBEDDED",
    "GPU_FACADES",
    "settings_for",
    "train_loader",
    "TestPairs",
    "load_test_pairs",
    "make_pix2pix",
    "train_pix2pix",
    "use_learner_modules",
    "patch_probabilities",
    "translate",
    "evaluate",
    "Pix2PixEvaluation",
    "run_experiment",
    "checkpoint_path",
]


@dataclass(frozen=True)
class Pix2PixSettings:
    """Budget and size of one Pix2Pix run.

    ``image_size`` must be a multiple of ``2 ** num_downs``; ``load_size`` > ``image_size``
    adds the paper's random-crop jitter (resize to ``load_size``, crop ``image_size``).
    ``disc_layers`` sets the PatchGAN's receptive field: 1, 2, 3 give 16, 34, 70 pixels.
    ``direction``: which half of the AB files is the input; the embedded facades have the label
    map on the left (``"AtoB"``), the real facades on the right (``"BtoA"``, as in the official
    instructions).
    """

    iterations: int = 2000
    batch_size: int = 4
    image_size: int = 64
    load_size: int = 64
    num_downs: int = 6
    gen_channels: int = 32
    disc_channels: int = 32
    disc_layers: int = 2
    lambda_recon: float = 100.0
    lr: float = 2e-4
    max_items: int | None = None
    direction: str = "AtoB"

    def config(self, recon: str = "l1", use_gan: bool = True) -> Pix2PixConfig:
        """The :class:`~course_lib.training.Pix2PixConfig` of these settings."""
        return Pix2PixConfig(
            num_downs=self.num_downs,
            gen_channels=self.gen_channels,
            disc_channels=self.disc_channels,
            disc_layers=self.disc_layers,
            lambda_recon=self.lambda_recon,
            lr=self.lr,
            recon=recon,
            use_gan=use_gan,
        )


#: Fast mode (autograder, CI): a handful of updates of tiny networks, to run every line.
FAST = Pix2PixSettings(iterations=4, batch_size=2, gen_channels=8, disc_channels=8)
#: The default on a laptop CPU, embedded 64x64 facades: a few minutes.
CPU = Pix2PixSettings()
#: A GPU on the embedded facades: the paper's widths, a longer run.
GPU_EMBEDDED = Pix2PixSettings(iterations=6000, batch_size=4, gen_channels=64, disc_channels=64)
#: A GPU on the real 256x256 facades: the paper's networks and data settings (unet_256,
#: 70x70 PatchGAN, batch 1, jitter 286 -> 256, labels -> photos), for 50 epochs of the 400
#: training pairs (20,000 iterations, about half an hour on a T4); the paper trains 200 epochs
#: (80,000 iterations, 1.5 to 2 hours on a T4).
GPU_FACADES = Pix2PixSettings(
    iterations=20_000,
    batch_size=1,
    image_size=256,
    load_size=286,
    num_downs=8,
    gen_channels=64,
    disc_channels=64,
    disc_layers=3,
    direction="BtoA",
)


def settings_for(fast: bool, device: torch.device | str, real: bool = False) -> Pix2PixSettings:
    """The settings of a notebook run (``real``: the real 256x256 facades)."""
    if fast:
        return FAST
    if real:
        return GPU_FACADES
    return GPU_EMBEDDED if torch.device(device).type == "cuda" else CPU


def train_loader(
    root: str | os.PathLike[str], settings: Pix2PixSettings, seed: int = 0
) -> DataLoader:
    """Shuffled training pairs (label map ``"A"``, photo ``"B"``), same crops and flips for both.

    The order of the batches, the crops and the flips depend only on ``seed``, so runs that
    differ only in their loss see exactly the same data.
    """
    from ..data import PairedABDataset

    dataset = PairedABDataset(
        root,
        "train",
        load_size=settings.load_size,
        crop_size=settings.image_size,
        flip=True,
        direction=settings.direction,
        seed=seed,
        max_items=settings.max_items,
    )
    return DataLoader(
        dataset,
        batch_size=min(settings.batch_size, len(dataset)),
        shuffle=True,
        drop_last=len(dataset) > settings.batch_size,
        generator=torch.Generator().manual_seed(seed),
    )


@dataclass
class TestPairs:
    """Held-out pairs: label maps ``A``, photos ``B`` (both ``(N, 3, H, W)`` in [-1, 1]) and,
    for the embedded facades, the class index of every pixel ``labels`` ``(N, H, W)``."""

    A: torch.Tensor
    B: torch.Tensor
    labels: torch.Tensor | None

    def __len__(self) -> int:
        return len(self.A)


def load_test_pairs(
    root: str | os.PathLike[str],
    split: str = "test",
    image_size: int = 64,
    max_items: int | None = None,
    direction: str = "AtoB",
) -> TestPairs:
    """All pairs of ``split`` resized to ``image_size`` without jitter, and their label maps.

    The label maps come from ``root/labels/<split>/`` (written with the embedded facades);
    for data sets without them ``labels`` is None.
    """
    from ..data import PairedABDataset

    dataset = PairedABDataset(
        root,
        split,
        load_size=image_size,
        crop_size=image_size,
        train=False,
        direction=direction,
        max_items=max_items,
    )
    items = [dataset[i] for i in range(len(dataset))]
    a = torch.stack([item["A"] for item in items])
    b = torch.stack([item["B"] for item in items])
    labels = None
    label_dir = Path(root) / "labels" / split
    if label_dir.is_dir():
        from PIL import Image

        maps = []
        for item in items:
            path = label_dir / Path(item["path"]).name
            if not path.is_file():
                maps = []
                break
            image = Image.open(path)
            if image.size != (image_size, image_size):
                image = image.resize((image_size, image_size), Image.NEAREST)
            maps.append(torch.from_numpy(np.asarray(image, dtype=np.int64)))
        labels = torch.stack(maps) if maps else None
    return TestPairs(a, b, labels)


def make_pix2pix(
    settings: Pix2PixSettings,
    device: torch.device | str | None = None,
    seed: int = 0,
    recon: str = "l1",
    use_gan: bool = True,
) -> Pix2Pix:
    """A Pix2Pix model with ``settings``; ``seed`` fixes the initial weights."""
    torch.manual_seed(seed)
    return Pix2Pix(settings.config(recon, use_gan), device)


def use_learner_modules(network: nn.Module, *classes: type) -> int:
    """Make the blocks of ``network`` run a learner's ``forward``; returns how many changed.

    Each class in ``classes`` must subclass a course_lib block (e.g. ``class ContractingBlock(
    course_lib.models.ContractingBlock)`` overriding ``forward`` only): every submodule whose
    type is exactly that parent then takes the learner's class, keeping its weights. A class
    that subclasses no course_lib block is rejected with ``TypeError``.
    """
    from .. import models

    parents = {
        models.ContractingBlock,
        models.ExpandingBlock,
        models.PatchGANDiscriminator,
        models.UNetGenerator,
    }
    mapping: dict[type, type] = {}
    for cls in classes:
        parent = next((p for p in cls.__mro__[1:] if p in parents), None)
        if parent is None:
            raise TypeError(
                f"{cls.__name__} does not subclass a course_lib block, so it cannot be plugged "
                "into the course's networks"
            )
        mapping[parent] = cls
    changed = 0
    for module in network.modules():
        new = mapping.get(type(module))
        if new is not None:
            module.__class__ = new
            changed += 1
    return changed


def train_pix2pix(
    model: Pix2Pix,
    loader: DataLoader,
    settings: Pix2PixSettings,
    seed: int = 0,
    checkpoint: str | os.PathLike[str] | None = None,
    callback: Callable[[Any], None] | None = None,
    callback_every: int = 500,
    progress: bool = True,
) -> History:
    """Train ``model`` for ``settings.iterations`` updates (resuming from ``checkpoint``)."""
    epochs = math.ceil(settings.iterations / max(1, len(loader)))
    torch.manual_seed(seed)
    return model.fit(
        loader,
        epochs=epochs,
        max_iterations=settings.iterations,
        checkpoint=checkpoint,
        checkpoint_every=max(100, settings.iterations // 10),
        callback=callback,
        callback_every=callback_every,
        progress=progress,
    )


@torch.no_grad()
def translate(
    model: Pix2Pix, condition: torch.Tensor, train_mode: bool = False, batch_size: int = 32
) -> torch.Tensor:
    """The generator's outputs for ``condition`` on the CPU (eval mode unless ``train_mode``).

    In train mode batch norm normalises with each batch's statistics and dropout is on, as in
    the paper's test-time setting; the running statistics are restored afterwards, so asking
    for train-mode outputs does not change later eval-mode ones.
    """
    saved = {name: buffer.clone() for name, buffer in model.gen.named_buffers() if train_mode}
    try:
        out = [
            model.generate(condition[i : i + batch_size], train_mode=train_mode).cpu()
            for i in range(0, len(condition), batch_size)
        ]
    finally:
        buffers = dict(model.gen.named_buffers())
        for name, value in saved.items():
            buffers[name].copy_(value)
    return torch.cat(out)


@torch.no_grad()
def patch_probabilities(
    disc: nn.Module,
    image: torch.Tensor,
    condition: torch.Tensor,
    upsample: bool = True,
    batch_size: int = 4,
    train_mode: bool = True,
) -> torch.Tensor:
    """The discriminator's "real" probability for every patch: ``sigmoid(disc(image, cond))``.

    Returns ``(N, 1, h, w)`` for the patch map itself, or with ``upsample`` the map stretched
    (nearest neighbour) to the image's size, to lay it over the image.

    By default the discriminator is asked as it was trained: batch norm with the statistics
    of batches of ``batch_size`` images of one kind (all real or all generated, as in a training
    step), its running averages left untouched. In eval mode (``train_mode=False``) it uses
    those running averages instead, which mix real and generated batches and shift its answers.
    """
    was_training = disc.training
    saved = {name: buffer.clone() for name, buffer in disc.named_buffers()}
    disc.train(train_mode)
    try:
        device = next(disc.parameters()).device
        logits = torch.cat(
            [
                disc(image[i : i + batch_size].to(device), condition[i : i + batch_size].to(device))
                .float()
                .cpu()
                for i in range(0, len(image), batch_size)
            ]
        )
    finally:
        buffers = dict(disc.named_buffers())
        for name, value in saved.items():
            buffers[name].copy_(value)
        disc.train(was_training)
    probs = torch.sigmoid(logits)
    if upsample:
        probs = F.interpolate(probs, size=image.shape[-2:], mode="nearest")
    return probs


@dataclass
class Pix2PixEvaluation:
    """Scores of generated photos on held-out pairs (see :mod:`course_lib.metrics`)."""

    l1: float
    sharpness: float
    saturation: float
    target_saturation: float
    colour_distance: float
    d_real: float
    d_fake: float

    def as_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)


def evaluate(
    model: Pix2Pix, pairs: TestPairs, train_mode: bool = False, batch_size: int = 4
) -> Pix2PixEvaluation:
    """Per-pixel L1, sharpness ratio, saturation, colour-histogram distance on ``pairs``, and the
    discriminator's mean patch probability on the real and on the generated photos (asked in
    batches of ``batch_size``, see :func:`patch_probabilities`). ``train_mode`` generates the
    photos with dropout and batch statistics on."""
    fake = translate(model, pairs.A, train_mode)
    return Pix2PixEvaluation(
        l1=metrics.per_pixel_l1(fake, pairs.B).item(),
        sharpness=metrics.sharpness_ratio(fake, pairs.B).item(),
        saturation=metrics.mean_saturation(fake).item(),
        target_saturation=metrics.mean_saturation(pairs.B).item(),
        colour_distance=metrics.colour_histogram_distance(fake, pairs.B).item(),
        d_real=patch_probabilities(model.disc, pairs.B, pairs.A, False, batch_size).mean().item(),
        d_fake=patch_probabilities(model.disc, fake, pairs.A, False, batch_size).mean().item(),
    )


def run_experiment(
    root: str | os.PathLike[str],
    settings: Pix2PixSettings = CPU,
    device: torch.device | str | None = None,
    seed: int = 0,
    checkpoint: str | os.PathLike[str] | None = None,
    progress: bool = True,
) -> tuple[Pix2Pix, History, dict[str, Pix2PixEvaluation], float]:
    """Train Pix2Pix (cGAN + L1) on ``root`` and evaluate it on the test split.

    Returns the model, its loss history, the evaluation in eval mode and in train mode
    (``{"eval": ..., "train": ...}``: dropout and batch statistics off or on) and the training
    time in seconds.
    """
    import time

    loader = train_loader(root, settings, seed)
    model = make_pix2pix(settings, device, seed)
    start = time.perf_counter()
    history = train_pix2pix(model, loader, settings, seed, checkpoint, progress=progress)
    seconds = time.perf_counter() - start
    pairs = load_test_pairs(root, "test", settings.image_size, direction=settings.direction)
    torch.manual_seed(seed)
    scores = {
        "eval": evaluate(model, pairs, batch_size=settings.batch_size),
        "train": evaluate(model, pairs, train_mode=True, batch_size=settings.batch_size),
    }
    return model, history, scores, seconds
