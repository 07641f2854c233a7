"""Lesson 01: does the class label steer a conditional GAN?

The experiment trains the class-conditional DCGAN of :mod:`course_lib.training.cgan` on the
embedded digits (or MNIST), asks it for ``samples_per_class`` images of every class, and lets a
small classifier trained on the *real* images (:mod:`.evaluators`) say which digit each sample
shows. The result is the fraction of samples classified as the class that was asked for: high
for the conditional model, about ``1 / n_classes`` for the unconditional baseline, which is
trained the same way but never sees the label.

``python benchmarks/lesson01_cgan.py`` runs :func:`run_experiment` with the default settings.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader, TensorDataset

from ..i18n import N_, _
from ..training import ConditionalGAN, ConditionalGANConfig
from ..training.common import History
from ..utils import pad
from .evaluators import TrainedJudge, predict_labels, train_classifier

__all__ = [
    "CGANSettings",
    "settings_for",
    "checkpoint_path",
    "load_digits",
    "digits_loader",
    "LossFunctionsCGAN",
    "make_cgan",
    "train_cgan",
    "ClassAccuracy",
    "sample_per_class",
    "class_accuracy",
    "train_digit_judge",
    "CGANExperiment",
    "run_experiment",
]


@dataclass(frozen=True)
class CGANSettings:
    """Budget and size of one cGAN run.

    ``iterations`` generator/discriminator updates at ``batch_size``; ``hidden_channels`` is the
    width of both DCGAN networks (64 in the DLAI notebook, 32 here on a CPU);
    ``samples_per_class`` images per class are generated for the accuracy;
    ``classifier_steps`` Adam steps train the judge on the real images.
    """

    iterations: int = 1500
    batch_size: int = 64
    hidden_channels: int = 32
    z_dim: int = 64
    samples_per_class: int = 100
    classifier_steps: int = 400
    lr: float = 2e-4


#: Fast mode (autograder, CI): a few updates, enough to run every line, not to learn.
FAST = CGANSettings(
    iterations=6, batch_size=32, hidden_channels=16, samples_per_class=10, classifier_steps=20
)
#: The default on a laptop CPU (a few minutes per model).
CPU = CGANSettings()
#: On a GPU (e.g. Colab's T4): the DLAI notebook's width and a longer run.
GPU = CGANSettings(iterations=4000, batch_size=128, hidden_channels=64, classifier_steps=1500)


def settings_for(fast: bool, device: torch.device | str) -> CGANSettings:
    """The settings a notebook uses: :data:`FAST`, :data:`GPU` on CUDA, else :data:`CPU`."""
    if fast:
        return FAST
    return GPU if torch.device(device).type == "cuda" else CPU


def checkpoint_path(
    data_root: str | os.PathLike[str], stem: str, settings: Any, fast: bool = False
) -> Path | None:
    """Where a notebook saves (and resumes) a training run; ``None`` in fast mode.

    ``checkpoints/<stem>-<tag>.pt`` next to the data folder (the repository's ``checkpoints/``
    in a checkout), where ``tag`` is a short hash of ``settings``: changing the budget or the
    model size starts a new file instead of resuming an incompatible one.
    """
    if fast:
        return None
    import hashlib

    text = (
        repr(dataclasses.asdict(settings)) if dataclasses.is_dataclass(settings) else repr(settings)
    )
    tag = hashlib.sha1(text.encode()).hexdigest()[:8]
    return Path(data_root).resolve().parent / "checkpoints" / f"{stem}-{tag}.pt"


def load_digits(
    root: str | os.PathLike[str], split: str = "train"
) -> tuple[torch.Tensor, torch.Tensor]:
    """All images ``(N, 1, 28, 28)`` in [-1, 1] and labels ``(N,)`` of a class-folder dataset."""
    from ..data.classes import ClassConditionalDataset

    dataset = ClassConditionalDataset(root, split, mode="L", image_size=28, preload=True)
    images = torch.stack([dataset[i][0] for i in range(len(dataset))])
    labels = torch.as_tensor(dataset.targets, dtype=torch.long)
    return images, labels


def digits_loader(
    images: torch.Tensor, labels: torch.Tensor, batch_size: int, seed: int = 0
) -> DataLoader:
    """A shuffling loader over in-memory digits (``drop_last`` keeps batch norm happy)."""
    return DataLoader(
        TensorDataset(images, labels),
        batch_size=min(batch_size, len(images)),
        shuffle=True,
        drop_last=True,
        generator=torch.Generator().manual_seed(seed),
    )


class LossFunctionsCGAN(ConditionalGAN):
    """:class:`~course_lib.training.ConditionalGAN` that trains with the given loss functions.

    ``disc_loss(gen, disc, real, one_hot_labels, noise, criterion)`` and
    ``gen_loss(gen, disc, one_hot_labels, noise, criterion)`` have the signatures of the
    notebook's exercises, so a learner's own functions can drive the training. ``one_hot``
    gives the labels' one-hot vectors (a learner's ``get_one_hot_labels``).
    """

    def __init__(
        self,
        config: ConditionalGANConfig,
        device: torch.device | str | None = None,
        disc_loss: Callable[..., torch.Tensor] | None = None,
        gen_loss: Callable[..., torch.Tensor] | None = None,
        one_hot: Callable[[torch.Tensor, int], torch.Tensor] | None = None,
    ) -> None:
        super().__init__(config, device, disc_loss=disc_loss, gen_loss=gen_loss, one_hot=one_hot)


def make_cgan(
    settings: CGANSettings,
    conditional: bool = True,
    device: torch.device | str | None = None,
    n_classes: int = 10,
    seed: int = 0,
    **loss_functions: Callable[..., Any],
) -> LossFunctionsCGAN:
    """A conditional (or unconditional) DCGAN with ``settings``, its weights seeded by ``seed``.

    ``loss_functions`` may give ``disc_loss``, ``gen_loss`` and ``one_hot`` (see
    :class:`LossFunctionsCGAN`); the course_lib references are used otherwise.
    """
    torch.manual_seed(seed)
    config = ConditionalGANConfig(
        n_classes=n_classes,
        z_dim=settings.z_dim,
        hidden_channels=settings.hidden_channels,
        conditional=conditional,
        lr=settings.lr,
    )
    return LossFunctionsCGAN(config, device, **loss_functions)


def train_cgan(
    model: ConditionalGAN,
    images: torch.Tensor,
    labels: torch.Tensor,
    settings: CGANSettings,
    seed: int = 0,
    checkpoint: str | os.PathLike[str] | None = None,
    callback: Callable[[Any], None] | None = None,
    callback_every: int = 250,
    progress: bool = True,
) -> History:
    """Train ``model`` for ``settings.iterations`` updates (resuming from ``checkpoint``)."""
    loader = digits_loader(images, labels, settings.batch_size, seed)
    epochs = math.ceil(settings.iterations / max(1, len(loader)))
    torch.manual_seed(seed)
    return model.fit(
        loader,
        epochs=epochs,
        max_iterations=settings.iterations,
        checkpoint=checkpoint,
        checkpoint_every=max(50, settings.iterations // 10),
        callback=callback,
        callback_every=callback_every,
        progress=progress,
    )


def sample_per_class(
    model: ConditionalGAN, n_per_class: int, n_classes: int = 10, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n_per_class`` samples of every class, class by class: images and requested labels.

    The images are on the CPU, in [-1, 1], shape ``(n_classes * n_per_class, C, H, W)``; the
    noise depends only on ``seed``, so two models see the same noise vectors.
    """
    requested = torch.arange(n_classes).repeat_interleave(n_per_class)
    return model.sample(requested, seed=seed).cpu(), requested


@dataclass
class ClassAccuracy:
    """How often the judge sees the class that was asked for.

    ``accuracy`` overall, ``per_class[k]`` for requests of class ``k``, ``confusion[k, j]`` the
    number of class-``k`` requests judged to show class ``j``; ``predicted`` per sample.
    """

    accuracy: float
    per_class: list[float]
    confusion: torch.Tensor
    predicted: torch.Tensor


def class_accuracy(
    classifier: torch.nn.Module, images: torch.Tensor, requested: torch.Tensor, n_classes: int = 10
) -> ClassAccuracy:
    """Score generated ``images`` against the ``requested`` labels with ``classifier``."""
    predicted = predict_labels(classifier, images)
    confusion = torch.zeros(n_classes, n_classes, dtype=torch.long)
    confusion.index_put_((requested, predicted), torch.ones_like(predicted), accumulate=True)
    per_class = (confusion.diag().float() / confusion.sum(1).clamp_min(1).float()).tolist()
    accuracy = (predicted == requested).float().mean().item()
    return ClassAccuracy(accuracy, per_class, confusion, predicted)


def train_digit_judge(
    root: str | os.PathLike[str],
    settings: CGANSettings,
    device: torch.device | str | None = None,
    seed: int = 0,
) -> TrainedJudge:
    """Train the digit classifier on the real training images; test it on the test split."""
    train_x, train_y = load_digits(root, "train")
    test_x, test_y = load_digits(root, "test")
    n_classes = int(train_y.max().item()) + 1
    return train_classifier(
        train_x,
        train_y,
        test_x,
        test_y,
        n_classes,
        settings.classifier_steps,
        device=device,
        seed=seed,
    )


@dataclass
class CGANExperiment:
    """The result of :func:`run_experiment`: one entry per model (``"conditional"``,
    ``"unconditional"``), and the judge's accuracy on real held-out digits."""

    judge_accuracy: float
    accuracy: dict[str, ClassAccuracy] = field(default_factory=dict)
    samples: dict[str, torch.Tensor] = field(default_factory=dict)
    histories: dict[str, History] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    settings: CGANSettings = CPU

    def table(self) -> str:
        """A small plain-text table of the result."""
        lines = [
            _("judge (digit classifier) accuracy on real test digits: {accuracy:.1%}").format(
                accuracy=self.judge_accuracy
            ),
            pad(_("model"), 15) + pad(_("asked class recognised"), 24, ">")
            + pad(_("train time"), 12, ">"),
        ]
        for name, acc in self.accuracy.items():
            lines.append(
                pad(_(name), 15) + f"{acc.accuracy:>24.1%}{self.seconds.get(name, 0):>11.0f}s"
            )
        return "\n".join(lines)


def run_experiment(
    root: str | os.PathLike[str],
    settings: CGANSettings = CPU,
    device: torch.device | str | None = None,
    seed: int = 0,
    models: tuple[str, ...] = (N_("conditional"), N_("unconditional")),
    checkpoint_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
) -> CGANExperiment:
    """Train each model of ``models`` on the digits in ``root`` and score its samples.

    Both models get the same seed, data order, budget and sampling noise; only the label input
    differs. With ``checkpoint_dir``, each run saves (and resumes from) ``cgan_<model>.pt``.
    """
    import time

    judge = train_digit_judge(root, settings, device, seed)
    images, labels = load_digits(root, "train")
    n_classes = int(labels.max().item()) + 1
    result = CGANExperiment(judge.test_accuracy, settings=settings)
    for name in models:
        model = make_cgan(settings, name == "conditional", device, n_classes, seed)
        checkpoint = None
        if checkpoint_dir is not None:
            checkpoint = Path(checkpoint_dir) / f"cgan_{name}.pt"
        start = time.perf_counter()
        result.histories[name] = train_cgan(
            model, images, labels, settings, seed, checkpoint, progress=progress
        )
        result.seconds[name] = time.perf_counter() - start
        fakes, requested = sample_per_class(model, settings.samples_per_class, n_classes, seed)
        result.samples[name] = fakes
        result.accuracy[name] = class_accuracy(judge.model, fakes, requested, n_classes)
    return result
