"""Lesson 04: what the cycle-consistency loss buys, in small (the paper's ablation, Table 4).

The experiment trains two small CycleGANs on the embedded summer/winter scenes (or a real
CycleGAN dataset) with the same seed, data order and budget: one with the GAN loss alone
(``lambda_cycle = 0``), one with GAN + cycle loss (``lambda_cycle = 10``); neither uses the
identity loss. It then asks, for every translated test image, *which input it came from*:
each output is compared with every input of the test set by a colour-blind description of the
layout (:func:`layout_features`: where the edges are: horizon, trees, house), and the
identification counts as right when the closest input is its own. Top-1 accuracy is the result:
chance level is ``1 / n`` for ``n`` test images.

This module also holds what lessons 05 and 06 share: the settings of a small CycleGAN run
(:class:`CycleGANSettings`), an in-memory loader of unpaired images (:func:`make_loader`),
a :class:`~course_lib.training.CycleGAN` driven by given loss functions and image-pool class
(:class:`LossFunctionsCycleGAN`, so that a learner's answers train the model) and the training
call (:func:`train_cyclegan`).

``python benchmarks/lesson04_cycle_loss.py`` runs :func:`run_experiment` with the defaults.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from ..i18n import N_, _
from ..losses import cyclegan as reference_losses
from ..training import CycleGAN, CycleGANConfig
from ..training.common import History
from ..utils import pad

__all__ = [
    "CycleGANSettings",
    "FAST",
    "CPU",
    "GPU",
    "settings_for",
    "UnpairedImages",
    "load_unpaired",
    "UnpairedTensorLoader",
    "DOMAIN_NAMES",
    "domain_names",
    "make_loader",
    "make_gen_loss",
    "LossFunctionsCycleGAN",
    "make_cyclegan",
    "train_cyclegan",
    "cpu_threads",
    "default_checkpoint_dir",
    "checkpoint_path",
    "translate",
    "layout_features",
    "identification_accuracy",
    "Identification",
    "evaluate_identification",
    "evaluate_ablation",
    "CycleAblation",
    "ARMS",
    "run_experiment",
]


@dataclass(frozen=True)
class CycleGANSettings:
    """Size and budget of one small CycleGAN run.

    Images are loaded at ``image_size`` (the embedded scenes' native 64x64) and the models
    train on random ``crop_size`` crops of them (the official pipeline's random crop; 32x32
    crops keep a step cheap while houses and trees stay at their full resolution); the
    generators are fully convolutional, so the test images are translated whole, at
    ``image_size``. ``iterations`` updates at ``batch_size``; the generators are ResNets of
    width ``gen_channels`` with ``n_blocks`` residual blocks (the paper: 64 and 9 at 256x256,
    6 at 128x128), the discriminators PatchGANs of width ``disc_channels`` with
    ``disc_layers`` stride-2 layers. The learning rate is constant for the first half of the
    epochs and decays linearly to nearly 0 over the second half (the official schedule,
    compressed). ``n_eval`` test images are scored; ``max_train`` limits the training images
    per domain (``None``: all). ``preview_every``: iterations between training previews.
    ``cpu_threads``: threads torch may use while training on the CPU (None: torch's
    default); networks this small gain little from more than one, and several threads slow
    training down many times over when other programs keep the cores busy.
    """

    image_size: int = 64
    crop_size: int = 32
    batch_size: int = 4
    iterations: int = 1500
    gen_channels: int = 16
    n_blocks: int = 3
    disc_channels: int = 16
    disc_layers: int = 2
    lr: float = 2e-4
    n_eval: int = 50
    max_train: int | None = None
    preview_every: int = 250
    cpu_threads: int | None = 1

    @property
    def tag(self) -> str:
        """A short hash of the settings, part of the checkpoint file names."""
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:8]


#: Fast mode (autograder, CI): a handful of updates of tiny networks, enough to run every line.
FAST = CycleGANSettings(
    image_size=32,
    batch_size=4,
    iterations=6,
    gen_channels=8,
    n_blocks=1,
    disc_channels=8,
    n_eval=6,
    preview_every=3,
)
#: The default on a laptop CPU: about three minutes per model (one thread).
CPU = CycleGANSettings()
#: On a GPU (Colab's T4), for the real horse2zebra: 128x128 crops of 144x144 images, 6 blocks,
#: the paper's widths, batch 1.
GPU = CycleGANSettings(
    image_size=144,
    crop_size=128,
    batch_size=1,
    iterations=6000,
    gen_channels=64,
    n_blocks=6,
    disc_channels=64,
    disc_layers=3,
    n_eval=100,
    preview_every=500,
)


def settings_for(fast: bool, device: torch.device | str) -> CycleGANSettings:
    """The settings a notebook uses: :data:`FAST`, :data:`GPU` on CUDA, else :data:`CPU`."""
    if fast:
        return FAST
    return GPU if torch.device(device).type == "cuda" else CPU


# --------------------------------------------------------------------------- data
@dataclass
class UnpairedImages:
    """Both domains of one split in memory: ``A`` and ``B`` are uint8 ``(N, 3, S, S)``.

    ``names_A`` / ``names_B`` are the file names (the embedded set's masks share them).
    """

    A: torch.Tensor
    B: torch.Tensor
    names_A: list[str]
    names_B: list[str]

    def batch(self, side: str, n: int | None = None, start: int = 0) -> torch.Tensor:
        """``n`` images of domain ``side`` from ``start`` on, as floats in [-1, 1]."""
        images = self.A if side == "A" else self.B
        stop = None if n is None else start + n
        return images[start:stop].float() / 127.5 - 1.0


def _to_uint8(images: torch.Tensor) -> torch.Tensor:
    return ((images + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)


def load_unpaired(
    root: str | os.PathLike[str], split: str = "train", size: int = 32, limit: int | None = None
) -> UnpairedImages:
    """Read ``root/<split>A`` and ``root/<split>B`` resized to ``size`` (no crop, no flip)."""
    from ..data import UnpairedDataset

    dataset = UnpairedDataset(
        root,
        split,
        load_size=size,
        crop_size=size,
        flip=False,
        serial_batches=True,
        train=False,
        max_items=limit,
    )
    sides = {}
    for side, paths in (("A", dataset.paths_A), ("B", dataset.paths_B)):
        images = [dataset._load(path, None) for path in paths]
        sides[side] = (_to_uint8(torch.stack(images)), [Path(p).name for p in paths])
    return UnpairedImages(sides["A"][0], sides["B"][0], sides["A"][1], sides["B"][1])


class UnpairedTensorLoader:
    """Batches ``{"A", "B"}`` of unpaired images held in memory, as the official loader.

    Each epoch walks through domain A in a new random order and draws the B images at random
    (nothing pairs them); from every image a random ``crop_size`` x ``crop_size`` crop is taken
    (``None``: the whole image) and flipped horizontally with probability 1/2. An epoch has
    ``max(len(A), len(B)) // batch_size`` batches. Deterministic for a given ``seed``.
    """

    def __init__(
        self,
        images: UnpairedImages,
        batch_size: int,
        seed: int = 0,
        flip: bool = True,
        crop_size: int | None = None,
    ) -> None:
        self.images = images
        self.batch_size = batch_size
        self.flip = flip
        self.crop_size = crop_size
        self.generator = torch.Generator().manual_seed(seed)

    def with_seed(self, seed: int) -> UnpairedTensorLoader:
        """A loader over the same images whose random choices restart from ``seed``."""
        return UnpairedTensorLoader(self.images, self.batch_size, seed, self.flip, self.crop_size)

    def __len__(self) -> int:
        n = max(len(self.images.A), len(self.images.B))
        return max(1, n // self.batch_size)

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        size = self.crop_size
        if size is not None and size < images.shape[-1]:
            high = images.shape[-1] - size + 1
            corners = torch.randint(0, high, (len(images), 2), generator=self.generator).tolist()
            images = torch.stack(
                [img[:, t : t + size, s : s + size] for img, (t, s) in zip(images, corners)]
            )
        images = images.float() / 127.5 - 1.0
        if not self.flip:
            return images
        mask = torch.rand(len(images), generator=self.generator) < 0.5
        return torch.where(mask[:, None, None, None], images.flip(-1), images)

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        a, b = self.images.A, self.images.B
        n, bs = len(self) * self.batch_size, self.batch_size
        order = torch.randperm(len(a), generator=self.generator).repeat(math.ceil(n / len(a)))
        for i in range(len(self)):
            index_a = order[i * bs : (i + 1) * bs]
            index_b = torch.randint(0, len(b), (bs,), generator=self.generator)
            yield {"A": self._augment(a[index_a]), "B": self._augment(b[index_b])}


#: Names of the two domains of the datasets the course uses, for figure titles (in English;
#: :func:`domain_names` gives them in the course's language).
DOMAIN_NAMES: dict[str, tuple[str, str]] = {
    "unpaired": (N_("summer"), N_("winter")),
    "unpaired_houses": (N_("summer"), N_("winter")),
    "horse2zebra": (N_("horse"), N_("zebra")),
    "monet2photo": (N_("Monet"), N_("photo")),
    "summer2winter_yosemite": (N_("summer"), N_("winter")),
    "apple2orange": (N_("apple"), N_("orange")),
    "vangogh2photo": (N_("Van Gogh"), N_("photo")),
}


def domain_names(root: str | os.PathLike[str]) -> tuple[str, str]:
    """The names of domains A and B of the dataset in ``root`` (``("A", "B")`` if unknown), in
    the course's language at the time of the call (``("말", "얼룩말")`` under Korean)."""
    a, b = DOMAIN_NAMES.get(Path(root).name, ("A", "B"))
    return _(a), _(b)


def make_loader(
    root: str | os.PathLike[str], settings: CycleGANSettings, seed: int = 0
) -> UnpairedTensorLoader:
    """The training loader for ``settings``: the training split of ``root`` in memory at
    ``settings.image_size``, served as random ``settings.crop_size`` crops."""
    images = load_unpaired(root, "train", settings.image_size, settings.max_train)
    return UnpairedTensorLoader(
        images, min(settings.batch_size, len(images.A)), seed, crop_size=settings.crop_size
    )


# --------------------------------------------------------------------------- model
def make_gen_loss(
    adversarial: Callable[..., Any] | None = None,
    identity: Callable[..., Any] | None = None,
    cycle: Callable[..., Any] | None = None,
) -> Callable[..., tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """The generators' objective of :func:`course_lib.losses.cyclegan.get_gen_loss`, built from
    the three given loss functions (course_lib's where one is not given).

    ``L = L_GAN(A->B) + L_GAN(B->A) + lambda_identity * (L_id(A) + L_id(B))
    + lambda_cycle * (L_cyc(A) + L_cyc(B))``; a term whose weight is 0 is not computed at all
    (it saves two generator passes).
    """
    adversarial = adversarial or reference_losses.get_gen_adversarial_loss
    identity = identity or reference_losses.get_identity_loss
    cycle = cycle or reference_losses.get_cycle_consistency_loss

    def get_gen_loss(
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
        adv_AB, fake_B = adversarial(real_A, disc_B, gen_AB, adv_criterion)
        adv_BA, fake_A = adversarial(real_B, disc_A, gen_BA, adv_criterion)
        loss = adv_AB + adv_BA
        if lambda_identity:
            id_A, _ = identity(real_A, gen_BA, identity_criterion)
            id_B, _ = identity(real_B, gen_AB, identity_criterion)
            loss = loss + lambda_identity * (id_A + id_B)
        if lambda_cycle:
            cyc_A, _ = cycle(real_A, fake_B, gen_BA, cycle_criterion)
            cyc_B, _ = cycle(real_B, fake_A, gen_AB, cycle_criterion)
            loss = loss + lambda_cycle * (cyc_A + cyc_B)
        return loss, fake_A, fake_B

    return get_gen_loss


class LossFunctionsCycleGAN(CycleGAN):
    """:class:`~course_lib.training.CycleGAN` trained with the given functions and pool class.

    ``gen_loss`` has the signature of :func:`course_lib.losses.cyclegan.get_gen_loss` (default:
    :func:`make_gen_loss`, which skips terms of weight 0), ``disc_loss`` that of
    :func:`~course_lib.losses.cyclegan.get_disc_loss`, and ``pool`` is a class with
    ``pool(pool_size).query(images)`` (default :class:`course_lib.image_pool.ImagePool`), so a
    learner's answers can train the model. The step is the training loop's own, the official
    one (:meth:`course_lib.training.CycleGAN.train_step`).
    """

    def __init__(
        self,
        config: CycleGANConfig,
        device: torch.device | str | None = None,
        gen_loss: Callable[..., Any] | None = None,
        disc_loss: Callable[..., Any] | None = None,
        pool: type | None = None,
    ) -> None:
        super().__init__(
            config, device, gen_loss=gen_loss or make_gen_loss(), disc_loss=disc_loss, pool=pool
        )


def make_cyclegan(
    settings: CycleGANSettings,
    device: torch.device | str | None = None,
    lambda_cycle: float = 10.0,
    lambda_identity: float = 0.0,
    pool_size: int = 50,
    seed: int = 0,
    gen_loss: Callable[..., Any] | None = None,
    disc_loss: Callable[..., Any] | None = None,
    pool: type | None = None,
) -> LossFunctionsCycleGAN:
    """A CycleGAN of ``settings``' size, its weights seeded by ``seed``.

    ``lambda_identity`` is the absolute weight of the identity term (the official default is
    ``0.5 * lambda_cycle = 5``; the DLAI notebooks use 0.1). The loss functions and pool class
    default to course_lib's (see :class:`LossFunctionsCycleGAN`).
    """
    torch.manual_seed(seed)
    config = CycleGANConfig(
        gen_channels=settings.gen_channels,
        n_blocks=settings.n_blocks,
        disc_channels=settings.disc_channels,
        disc_layers=settings.disc_layers,
        lambda_cycle=float(lambda_cycle),
        lambda_identity=float(lambda_identity),
        pool_size=int(pool_size),
        lr=settings.lr,
    )
    return LossFunctionsCycleGAN(config, device, gen_loss, disc_loss, pool)


def default_checkpoint_dir() -> Path:
    """Where the notebooks keep their checkpoints.

    ``GAN_COURSE_CHECKPOINTS`` when set (on Colab, a folder of your Google Drive survives a
    disconnect); otherwise ``checkpoints/`` at the root of a checkout of the course, or in the
    current folder when course_lib was installed with pip.
    """
    from ..config import REPO_ROOT

    if os.environ.get("GAN_COURSE_CHECKPOINTS"):
        return Path(os.environ["GAN_COURSE_CHECKPOINTS"])
    if (REPO_ROOT / "pyproject.toml").is_file():
        return REPO_ROOT / "checkpoints"
    return Path("checkpoints")


def checkpoint_path(
    folder: str | os.PathLike[str] | None, name: str, settings: CycleGANSettings
) -> Path | None:
    """``folder/<name>_<settings tag>.pt``, or None without a folder (no checkpoint)."""
    if folder is None:
        return None
    return Path(folder) / f"{name}_{settings.tag}.pt"


def train_cyclegan(
    model: CycleGAN,
    loader: UnpairedTensorLoader,
    settings: CycleGANSettings,
    seed: int = 0,
    checkpoint: str | os.PathLike[str] | None = None,
    callback: Callable[[Any], None] | None = None,
    callback_every: int | None = None,
    progress: bool = True,
) -> History:
    """Train ``model`` for ``settings.iterations`` updates, resuming from ``checkpoint``.

    The learning rate follows the official linear schedule, compressed: constant for the first
    half of the epochs, then decaying linearly. torch's and Python's random generators are
    seeded with ``seed`` first (Python's drives the image pool), so a run is reproducible.
    ``callback(model)`` runs every ``callback_every`` iterations (default
    ``settings.preview_every``).
    """
    epochs = max(1, math.ceil(settings.iterations / len(loader)))
    if not model.schedulers:
        model.use_linear_decay(max(1, epochs // 2), max(1, epochs - epochs // 2))
    torch.manual_seed(seed)
    random.seed(seed)  # the image pool's coin flips
    threads = settings.cpu_threads if model.device.type == "cpu" else None
    with cpu_threads(threads):
        return model.fit(
            loader,
            epochs=epochs,
            max_iterations=settings.iterations,
            checkpoint=checkpoint,
            checkpoint_every=max(50, settings.iterations // 10),
            callback=callback,
            callback_every=callback_every or settings.preview_every,
            progress=progress,
        )


@contextlib.contextmanager
def cpu_threads(n: int | None) -> Iterator[None]:
    """Let torch use ``n`` threads inside the block (``None``: leave the setting alone)."""
    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@torch.no_grad()
def translate(
    model: CycleGAN, images: torch.Tensor, direction: str = "AtoB", batch_size: int = 64
) -> torch.Tensor:
    """Translate ``images`` in eval mode, in batches; the result is on the CPU (with one CPU
    thread: see :attr:`CycleGANSettings.cpu_threads`)."""
    was_training = model.gen_AB.training
    model.train(False)
    try:
        with cpu_threads(1 if model.device.type == "cpu" else None):
            out = [
                model.translate(images[i : i + batch_size], direction).cpu()
                for i in range(0, len(images), batch_size)
            ]
    finally:
        model.train(was_training)
    return torch.cat(out)


# --------------------------------------------------------------------------- the measure
_SOBEL = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


def layout_features(images: torch.Tensor, grid: int = 8) -> torch.Tensor:
    """A colour-blind description of where things are in each image: ``(N, grid * grid)``.

    The Sobel gradient magnitude of each colour channel (summed over the channels) says where
    the edges are (the horizon, the outlines of trees and houses), whatever their colours;
    averaged over a ``grid`` x ``grid`` raster, centred and scaled to unit length, it can be
    compared across domains with a dot product (a correlation). Images in [-1, 1].
    """
    x = images.detach().float().cpu()
    x = F.avg_pool2d(x, 2) if min(x.shape[-2:]) >= 4 * grid else x  # soften snow and noise
    c = x.shape[1]
    kx = _SOBEL.view(1, 1, 3, 3).repeat(c, 1, 1, 1)
    ky = _SOBEL.t().reshape(1, 1, 3, 3).repeat(c, 1, 1, 1)
    padded = F.pad(x, (1, 1, 1, 1), mode="replicate")
    gx = F.conv2d(padded, kx, groups=c)
    gy = F.conv2d(padded, ky, groups=c)
    edges = (gx.square() + gy.square()).sqrt().sum(1, keepdim=True)
    pooled = F.adaptive_avg_pool2d(edges, grid).flatten(1)
    pooled = pooled - pooled.mean(1, keepdim=True)
    return pooled / pooled.norm(dim=1, keepdim=True).clamp_min(1e-8)


def identification_accuracy(
    outputs: torch.Tensor, inputs: torch.Tensor, grid: int = 8
) -> tuple[float, torch.Tensor]:
    """Top-1 accuracy of finding each output's own input among all ``inputs``.

    ``outputs[i]`` was made from ``inputs[i]``. Each output is compared with every input by the
    correlation of their :func:`layout_features`; it is identified when the most similar input
    is its own. Returns the accuracy and the similarity matrix ``(n_outputs, n_inputs)``.
    Chance level is ``1 / len(inputs)``.
    """
    if len(outputs) != len(inputs):
        raise ValueError(f"got {len(outputs)} outputs for {len(inputs)} inputs")
    similarity = layout_features(outputs, grid) @ layout_features(inputs, grid).t()
    hits = similarity.argmax(1) == torch.arange(len(inputs))
    return hits.float().mean().item(), similarity


@dataclass
class Identification:
    """Identification of the inputs from the outputs, for both directions of one model.

    ``accuracy["AtoB"]``: fraction of translated A images whose closest A input is their own;
    ``cycle_error["A"]``: mean L1 distance of ``A -> B -> A`` to ``A`` (in [-1, 1] units);
    ``outputs`` and ``reconstructions`` per direction.
    """

    accuracy: dict[str, float]
    cycle_error: dict[str, float]
    outputs: dict[str, torch.Tensor]
    reconstructions: dict[str, torch.Tensor]

    @property
    def mean_accuracy(self) -> float:
        """The mean of both directions."""
        return sum(self.accuracy.values()) / len(self.accuracy)


def evaluate_identification(model: CycleGAN, test: UnpairedImages, n: int) -> Identification:
    """Translate the first ``n`` test images of each domain and identify their inputs."""
    acc, err, outs, recs = {}, {}, {}, {}
    for side, direction, back in (("A", "AtoB", "BtoA"), ("B", "BtoA", "AtoB")):
        inputs = test.batch(side, n)
        outputs = translate(model, inputs, direction)
        reconstructions = translate(model, outputs, back)
        acc[direction], _ = identification_accuracy(outputs, inputs)
        err[side] = (reconstructions - inputs).abs().mean().item()
        outs[direction], recs[direction] = outputs, reconstructions
    return Identification(acc, err, outs, recs)


# --------------------------------------------------------------------------- the experiment
#: The two models of the ablation: (lambda_cycle, label).
ARMS: dict[str, tuple[float, str]] = {
    "gan_cycle": (10.0, N_("GAN + cycle (lambda_cycle = 10)")),
    "gan_only": (0.0, N_("GAN alone (lambda_cycle = 0)")),
}


@dataclass
class CycleAblation:
    """The result of :func:`run_experiment`, one entry per arm (``"gan_cycle"``, ``"gan_only"``).

    ``inputs[side]`` are the test images scored; ``chance`` the accuracy of a random guess.
    """

    settings: CycleGANSettings
    chance: float
    inputs: dict[str, torch.Tensor] = field(default_factory=dict)
    results: dict[str, Identification] = field(default_factory=dict)
    histories: dict[str, History] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    models: dict[str, CycleGAN] = field(default_factory=dict, repr=False)

    def table(self) -> str:
        """A plain-text table of the result."""
        n = len(self.inputs.get("A", ()))
        lines = [
            _("input identified among {n} test images (top-1; chance {chance:.1%})").format(
                n=n, chance=self.chance
            ),
            pad(_("model"), 34) + f"{'A->B':>8}{'B->A':>8}{'cycle L1 A':>12}{'cycle L1 B':>12}"
            + pad(_("time"), 8, ">"),
        ]
        for arm, res in self.results.items():
            label = _(ARMS.get(arm, (0, arm))[1])
            lines.append(
                pad(label, 34) + f"{res.accuracy['AtoB']:>8.1%}{res.accuracy['BtoA']:>8.1%}"
                f"{res.cycle_error['A']:>12.3f}{res.cycle_error['B']:>12.3f}"
                f"{self.seconds.get(arm, 0):>7.0f}s"
            )
        return "\n".join(lines)


def evaluate_ablation(
    models: Mapping[str, CycleGAN],
    test: UnpairedImages,
    settings: CycleGANSettings,
    histories: Mapping[str, History] | None = None,
    seconds: Mapping[str, float] | None = None,
) -> CycleAblation:
    """Score trained models (arm name -> model) on the first ``settings.n_eval`` test images."""
    n = min(settings.n_eval, len(test.A), len(test.B))
    result = CycleAblation(settings, 1.0 / n)
    result.inputs = {"A": test.batch("A", n), "B": test.batch("B", n)}
    for arm, model in models.items():
        result.results[arm] = evaluate_identification(model, test, n)
        result.models[arm] = model
    result.histories = dict(histories or {})
    result.seconds = dict(seconds or {})
    return result


def run_experiment(
    root: str | os.PathLike[str],
    settings: CycleGANSettings = CPU,
    device: torch.device | str | None = None,
    seed: int = 0,
    arms: tuple[str, ...] = ("gan_cycle", "gan_only"),
    checkpoint_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
    loss_functions: Mapping[str, Callable[..., Any]] | None = None,
) -> CycleAblation:
    """Train one CycleGAN per arm on ``root`` and score how well outputs identify their inputs.

    All arms share the seed, the data order and the budget; only ``lambda_cycle`` differs (no
    identity loss in either). With ``checkpoint_dir``, each run saves to and resumes from
    ``04_<arm>_<settings tag>.pt`` there. ``loss_functions`` (``gen_loss``, ``disc_loss``)
    replace course_lib's losses in training.
    """
    test = load_unpaired(root, "test", settings.image_size)
    loader = make_loader(root, settings, seed)
    models, histories, seconds = {}, {}, {}
    for arm in arms:
        lambda_cycle, _ = ARMS[arm]
        model = make_cyclegan(
            settings,
            device,
            lambda_cycle=lambda_cycle,
            lambda_identity=0.0,
            seed=seed,
            **dict(loss_functions or {}),
        )
        start = time.perf_counter()
        histories[arm] = train_cyclegan(
            model,
            loader.with_seed(seed),
            settings,
            seed,
            checkpoint_path(checkpoint_dir, f"04_{arm}", settings),
            progress=progress,
        )
        seconds[arm] = time.perf_counter() - start
        models[arm] = model
    return evaluate_ablation(models, test, settings, histories, seconds)


def with_settings(settings: CycleGANSettings, **changes: Any) -> CycleGANSettings:
    """A copy of ``settings`` with ``changes`` (e.g. ``iterations=3000``)."""
    return replace(settings, **changes)
