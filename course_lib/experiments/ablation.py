"""Lesson 03: which loss makes Pix2Pix's photos sharp and colourful? (the paper's section 4.2)

Five generators are trained on the embedded label-map -> photo facades with the same seed,
data order and budget; only the objective differs:

=============  ===================================================  ====================
name           objective                                            ``Pix2PixConfig``
=============  ===================================================  ====================
``L1``         :math:`\\lambda \\lVert y - G(x) \\rVert_1`              recon l1, no GAN
``L2``         :math:`\\lambda \\lVert y - G(x) \\rVert_2^2`            recon l2, no GAN
``cGAN``       :math:`\\mathcal{L}_{cGAN}`                           recon none, GAN
``cGAN + L1``  :math:`\\mathcal{L}_{cGAN} + \\lambda \\mathcal{L}_{L1}`  the paper's choice
``cGAN + L2``  :math:`\\mathcal{L}_{cGAN} + \\lambda \\mathcal{L}_{L2}`
=============  ===================================================  ====================

The outputs on the held-out pairs are scored with :mod:`course_lib.metrics`: per-pixel L1
error, sharpness (high-frequency energy relative to the targets), mean saturation and
colour-histogram distance to the targets, and the per-pixel label accuracy of a small
segmentation net trained on the *real* photos (the paper's FCN-score, Table 1).

``python benchmarks/lesson03_l1_vs_l2.py`` runs :func:`run_ablation` with the default settings.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import torch

from .. import metrics as reference_metrics
from ..i18n import N_, _
from ..training import Pix2Pix
from ..training.common import History
from .evaluators import TrainedJudge, predict_segmentation, train_segmenter
from .pix2pix import (
    Pix2PixSettings,
    TestPairs,
    load_test_pairs,
    make_pix2pix,
    train_loader,
    train_pix2pix,
    translate,
)

__all__ = [
    "VARIANTS",
    "AblationSettings",
    "FAST",
    "CPU",
    "GPU",
    "settings_for",
    "make_variant",
    "train_facade_judge",
    "score_outputs",
    "AblationResult",
    "run_ablation",
    "METRIC_COLUMNS",
]

#: The five objectives: name -> (reconstruction term, adversarial term on/off).
VARIANTS: dict[str, tuple[str, bool]] = {
    "L1": ("l1", False),
    "L2": ("l2", False),
    "cGAN": ("none", True),
    "cGAN + L1": ("l1", True),
    "cGAN + L2": ("l2", True),
}

#: Columns of the result table: key -> (heading, format, what is better).
#: Headings and "what is better" are shown in the course's language (``_(heading)``).
METRIC_COLUMNS: dict[str, tuple[str, str, str]] = {
    "l1": (N_("L1 error"), "{:.3f}", N_("lower")),
    "sharpness": (N_("sharpness"), "{:.2f}", N_("1 = as sharp as the targets")),
    "saturation": (N_("saturation"), "{:.3f}", N_("targets' value")),
    "colour_distance": (N_("colour hist. dist."), "{:.3f}", N_("lower")),
    "label_accuracy": (N_("label acc."), "{:.1%}", N_("higher")),
}


@dataclass(frozen=True)
class AblationSettings:
    """One budget for all five runs, plus the judge's training."""

    pix2pix: Pix2PixSettings = field(default_factory=lambda: Pix2PixSettings(iterations=1000))
    judge_steps: int = 250
    judge_batch_size: int = 16


FAST = AblationSettings(
    Pix2PixSettings(iterations=3, batch_size=2, gen_channels=8, disc_channels=8), judge_steps=5
)
CPU = AblationSettings()
GPU = AblationSettings(
    Pix2PixSettings(iterations=5000, batch_size=4, gen_channels=64, disc_channels=64),
    judge_steps=1500,
)


def settings_for(fast: bool, device: torch.device | str) -> AblationSettings:
    """:data:`FAST` in fast mode, :data:`GPU` on CUDA, else :data:`CPU`."""
    if fast:
        return FAST
    return GPU if torch.device(device).type == "cuda" else CPU


def make_variant(
    name: str,
    settings: Pix2PixSettings,
    device: torch.device | str | None = None,
    seed: int = 0,
    recon_criterion: Callable[[str], torch.nn.Module] | None = None,
) -> Pix2Pix:
    """The Pix2Pix model of variant ``name`` (a key of :data:`VARIANTS`).

    Every variant starts from the same weights (same ``seed``). ``recon_criterion(kind)``, e.g. a
    learner's ``get_recon_criterion``, supplies the L1/L2 criterion instead of course_lib's.
    """
    if name not in VARIANTS:
        raise ValueError(f"unknown variant {name!r}; choose one of {list(VARIANTS)}")
    recon, use_gan = VARIANTS[name]
    model = make_pix2pix(settings, device, seed, recon=recon, use_gan=use_gan)
    if recon_criterion is not None and recon != "none":
        model.recon_criterion = recon_criterion(recon)
    return model


def train_facade_judge(
    root: str | os.PathLike[str],
    settings: AblationSettings,
    device: torch.device | str | None = None,
    seed: int = 0,
) -> TrainedJudge:
    """Train the segmentation net on the real training photos and their label maps."""
    from ..data import FACADE_CLASSES

    size = settings.pix2pix.image_size
    train = load_test_pairs(root, "train", size)
    test = load_test_pairs(root, "test", size)
    if train.labels is None or test.labels is None:
        raise FileNotFoundError(
            f"{root} has no labels/ folder: the label accuracy needs the embedded facades"
        )
    return train_segmenter(
        train.B,
        train.labels,
        test.B,
        test.labels,
        len(FACADE_CLASSES),
        steps=settings.judge_steps,
        batch_size=settings.judge_batch_size,
        device=device,
        seed=seed,
    )


def score_outputs(
    outputs: torch.Tensor,
    pairs: TestPairs,
    segmenter: torch.nn.Module | None = None,
    metric_functions: Mapping[str, Callable[..., torch.Tensor]] | None = None,
) -> dict[str, float]:
    """The table's row for generated photos ``outputs`` of the label maps ``pairs.A``.

    ``metric_functions`` may replace the course_lib metrics by name (``per_pixel_l1``,
    ``sharpness_ratio``, ``mean_saturation``, ``colour_histogram_distance``,
    ``label_accuracy``), e.g. with a learner's own.
    """
    fns = {
        name: getattr(reference_metrics, name)
        for name in (
            "per_pixel_l1",
            "sharpness_ratio",
            "mean_saturation",
            "colour_histogram_distance",
            "label_accuracy",
        )
    }
    fns.update(metric_functions or {})
    target = pairs.B
    row = {
        "l1": float(fns["per_pixel_l1"](outputs, target)),
        "sharpness": float(fns["sharpness_ratio"](outputs, target)),
        "saturation": float(fns["mean_saturation"](outputs)),
        "colour_distance": float(fns["colour_histogram_distance"](outputs, target)),
    }
    if segmenter is not None and pairs.labels is not None:
        predicted = predict_segmentation(segmenter, outputs)
        row["label_accuracy"] = float(fns["label_accuracy"](predicted, pairs.labels))
    return row


@dataclass
class AblationResult:
    """Scores per variant (plus ``"real photos"``, the targets themselves, as reference)."""

    rows: dict[str, dict[str, float]]
    outputs: dict[str, torch.Tensor]
    histories: dict[str, History]
    seconds: dict[str, float]
    judge_accuracy: float | None
    settings: AblationSettings

    def table(self) -> str:
        """The result as a Markdown table (headings in the course's language)."""
        keys = [k for k in METRIC_COLUMNS if any(k in row for row in self.rows.values())]
        headings = [_(METRIC_COLUMNS[k][0]) for k in keys]
        head = "| " + " | ".join([_("objective"), *headings]) + " |"
        rule = "|---|" + "---:|" * len(keys)
        lines = [head, rule]
        for name, row in self.rows.items():
            cells = [METRIC_COLUMNS[k][1].format(row[k]) if k in row else "" for k in keys]
            lines.append(f"| {_(name)} | " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def ordering_checks(self) -> dict[str, bool]:
        """The paper's qualitative claims, checked on this table.

        * ``L2 blurriest``: the L2 variant has the lowest sharpness of all five;
        * ``L2 most washed out``: lowest saturation of all five;
        * ``cGAN + L1 sharpness closest``: of the objectives with a reconstruction term (all
          but cGAN alone, which nothing keeps near the target), cGAN + L1's sharpness ratio is
          the nearest to 1 (compared in log scale);
        * ``cGAN + L1 colour closest``: the smallest colour-histogram distance of the
          objectives with a reconstruction term;
        * ``cGAN + L1 label accuracy near best``: within 2 points of the best variant.

        The claims are worded in the edition's language (these English names in English).
        """
        rows = {k: v for k, v in self.rows.items() if k in VARIANTS}
        checks: dict[str, bool] = {}
        if len(rows) < len(VARIANTS):
            return checks
        sharp = {k: v["sharpness"] for k, v in rows.items()}
        sat = {k: v["saturation"] for k, v in rows.items()}
        checks[_("L2 blurriest")] = min(sharp, key=sharp.get) == "L2"
        checks[_("L2 most washed out")] = min(sat, key=sat.get) == "L2"
        others = {k: abs(math_log(v)) for k, v in sharp.items() if k != "cGAN"}
        checks[_("cGAN + L1 sharpness closest")] = min(others, key=others.get) == "cGAN + L1"
        colour = {k: v["colour_distance"] for k, v in rows.items() if k != "cGAN"}
        checks[_("cGAN + L1 colour closest")] = min(colour, key=colour.get) == "cGAN + L1"
        if all("label_accuracy" in v for v in rows.values()):
            best = max(v["label_accuracy"] for v in rows.values())
            checks[_("cGAN + L1 label accuracy near best")] = (
                rows["cGAN + L1"]["label_accuracy"] >= best - 0.02
            )
        return checks


def math_log(x: float) -> float:
    """Natural log, guarded for non-positive values (sharpness ratios are compared in log)."""
    import math

    return math.log(max(x, 1e-12))


def run_ablation(
    root: str | os.PathLike[str],
    settings: AblationSettings = CPU,
    device: torch.device | str | None = None,
    seed: int = 0,
    variants: tuple[str, ...] = tuple(VARIANTS),
    checkpoint_root: str | os.PathLike[str] | None = None,
    recon_criterion: Callable[[str], torch.nn.Module] | None = None,
    metric_functions: Mapping[str, Callable[..., torch.Tensor]] | None = None,
    judge: TrainedJudge | None = None,
    progress: bool = True,
    on_variant: Callable[[str, Pix2Pix], None] | None = None,
) -> AblationResult:
    """Train every variant with the same seed, data and budget; score it on the test pairs.

    With ``checkpoint_root`` (the data folder, ``session.data_root``) each run is saved to, and
    resumed from, ``checkpoints/ablation-<variant>-<tag>.pt`` beside it (see
    :func:`course_lib.experiments.cgan.checkpoint_path`);
    ``on_variant(name, model)`` is called after each training (e.g. to show a figure).
    """
    from .cgan import checkpoint_path

    p2p = settings.pix2pix
    pairs = load_test_pairs(root, "test", p2p.image_size)
    if judge is None and pairs.labels is not None:
        judge = train_facade_judge(root, settings, device, seed)
    segmenter = judge.model if judge is not None else None
    result = AblationResult(
        rows={},
        outputs={},
        histories={},
        seconds={},
        judge_accuracy=judge.test_accuracy if judge is not None else None,
        settings=settings,
    )
    for name in variants:
        model = make_variant(name, p2p, device, seed, recon_criterion)
        loader = train_loader(root, p2p, seed)
        checkpoint = None
        if checkpoint_root is not None:
            stem = "ablation-" + name.replace(" + ", "-").replace(" ", "")
            checkpoint = checkpoint_path(checkpoint_root, stem, settings)
        start = time.perf_counter()
        result.histories[name] = train_pix2pix(
            model, loader, p2p, seed, checkpoint, progress=progress
        )
        result.seconds[name] = time.perf_counter() - start
        outputs = translate(model, pairs.A)
        result.outputs[name] = outputs
        result.rows[name] = score_outputs(outputs, pairs, segmenter, metric_functions)
        if on_variant is not None:
            on_variant(name, model)
    result.rows["real photos"] = score_outputs(pairs.B, pairs, segmenter, metric_functions)
    return result


def with_settings(settings: AblationSettings, **changes: object) -> AblationSettings:
    """``settings`` with fields of its :class:`Pix2PixSettings` replaced."""
    return dataclasses.replace(settings, pix2pix=dataclasses.replace(settings.pix2pix, **changes))
