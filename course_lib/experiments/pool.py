"""Lesson 06: the image pool and the discriminators' stability.

CycleGAN updates each discriminator on a mix of the newest fakes and fakes from a history of 50
(Shrivastava et al. 2017), so that the discriminator does not chase the generator's latest
change ("model oscillation", Zhu et al. 2017, section 4). The experiment trains two small
CycleGANs with the same seed, data and budget, with ``pool_size = 0`` (no history) and
``pool_size = 50``, and measures how much the discriminators move around:

* ``loss_std``: the standard deviation of the discriminators' loss (mean of D_A and D_B) per
  iteration over the second half of training;
* ``probe_step``: every ``probe_every`` iterations each discriminator scores a fixed probe set
  of real test images and the current translations of a fixed set of test inputs; the mean
  absolute change of these mean scores from one record to the next is the oscillation;
* ``probe_std``: the standard deviation of those scores over the second half of training.

Lower is steadier. One short run per setting and seed says little on its own: the benchmark
takes several seeds (``--seeds``). :func:`pool_trace` shows, without any training, where the
images a pool returns come from.

``python benchmarks/lesson06_image_pool.py`` runs :func:`run_experiment` with the defaults.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from ..i18n import _
from ..image_pool import ImagePool
from ..training import CycleGAN
from ..training.common import History
from ..utils import pad
from .cyclegan import (
    CPU,
    CycleGANSettings,
    checkpoint_path,
    load_unpaired,
    make_cyclegan,
    make_loader,
    train_cyclegan,
)

__all__ = [
    "PoolTrace",
    "pool_trace",
    "ProbeRecorder",
    "combine_callbacks",
    "Instability",
    "instability",
    "PoolExperiment",
    "run_experiment",
]


# --------------------------------------------------------------------------- the pool alone
@dataclass
class PoolTrace:
    """What a pool returned for a stream of numbered images.

    Image ``k`` of the stream is the ``k``-th image given to the pool. For each of them,
    ``returned[k]`` is the number of the image the pool gave back in its place (``k`` itself:
    the new image; smaller: one from the history) and ``query[k]`` the query it belongs to.
    """

    pool_size: int
    batch_size: int
    query: torch.Tensor
    returned: torch.Tensor

    @property
    def from_history(self) -> torch.Tensor:
        """True where the returned image is an older one."""
        return self.returned != torch.arange(len(self.returned))

    @property
    def age(self) -> torch.Tensor:
        """How many images older than the new one the returned image is (0: the new one)."""
        return torch.arange(len(self.returned)) - self.returned

    def history_fraction(self, start: int | None = None) -> float:
        """Fraction of returned images from the history, from image ``start`` on (default:
        once the pool is full)."""
        start = self.pool_size if start is None else start
        part = self.from_history[start:]
        return part.float().mean().item() if len(part) else 0.0


def pool_trace(
    pool_class: Callable[[int], Any] = ImagePool,
    pool_size: int = 50,
    n_images: int = 400,
    batch_size: int = 1,
    seed: int = 0,
) -> PoolTrace:
    """Feed ``n_images`` numbered images to ``pool_class(pool_size)`` in batches; record which
    image comes back for each (works with any pool that returns the images it stores)."""
    random.seed(seed)
    torch.manual_seed(seed)
    pool = pool_class(pool_size)
    queries, returned = [], []
    for q, start in enumerate(range(0, n_images, batch_size)):
        numbers = torch.arange(start, min(start + batch_size, n_images), dtype=torch.float32)
        images = numbers.view(-1, 1, 1, 1).expand(-1, 1, 2, 2).contiguous()
        out = pool.query(images)
        returned += [int(round(v)) for v in out.detach().reshape(len(out), -1)[:, 0].tolist()]
        queries += [q] * len(numbers)
    return PoolTrace(pool_size, batch_size, torch.tensor(queries), torch.tensor(returned))


# --------------------------------------------------------------------------- probes
class ProbeRecorder:
    """A training callback: every ``every`` iterations, each discriminator's mean score on a
    fixed probe set of real images and on the current translations of fixed test inputs.

    ``records`` maps ``"iteration"``, ``"D_A real"``, ``"D_A fake"``, ``"D_B real"`` and
    ``"D_B fake"`` to lists. Pass it (alone or through :func:`combine_callbacks`) as the
    ``callback`` of :meth:`~course_lib.training.CycleGAN.fit` with ``callback_every=1``.
    """

    def __init__(self, probe_A: torch.Tensor, probe_B: torch.Tensor, every: int = 10) -> None:
        self.probe_A = probe_A
        self.probe_B = probe_B
        self.every = every
        self.records: dict[str, list[float]] = {
            k: [] for k in ("iteration", "D_A real", "D_A fake", "D_B real", "D_B fake")
        }

    @torch.no_grad()
    def __call__(self, model: CycleGAN) -> None:
        if model.iteration % self.every:
            return
        real_A, real_B = model.to_device(self.probe_A), model.to_device(self.probe_B)
        with model.amp.autocast():
            fake_B, fake_A = model.gen_AB(real_A), model.gen_BA(real_B)
            scores = {
                "D_A real": model.disc_A(real_A),
                "D_A fake": model.disc_A(fake_A),
                "D_B real": model.disc_B(real_B),
                "D_B fake": model.disc_B(fake_B),
            }
        self.records["iteration"].append(float(model.iteration))
        for key, value in scores.items():
            self.records[key].append(value.float().mean().item())


def combine_callbacks(*callbacks: tuple[Callable[[Any], None], int]) -> Callable[[Any], None]:
    """One callback that calls each ``(callback, every)`` every ``every`` iterations; use it
    with ``callback_every=1``."""

    def callback(model: Any) -> None:
        for fn, every in callbacks:
            if every and model.iteration % every == 0:
                fn(model)

    return callback


# --------------------------------------------------------------------------- the measure
@dataclass
class Instability:
    """How much the discriminators moved during one run (lower is steadier).

    ``loss_std``: standard deviation of the mean D loss per iteration, second half of training;
    ``probe_step``: mean absolute change of the probe scores between consecutive records
    (averaged over the four scores); ``probe_std``: their standard deviation over the second
    half; ``final_gap``: mean over both discriminators of (score on real - score on fake) at
    the last record (how well they still tell the two apart).
    """

    loss_std: float
    probe_step: float
    probe_std: float
    final_gap: float


def instability(
    history: Mapping[str, list[float]], records: Mapping[str, list[float]]
) -> Instability:
    """Compute :class:`Instability` from a training history and a :class:`ProbeRecorder`'s
    records."""
    loss = [(a + b) / 2 for a, b in zip(history["loss_D_A"], history["loss_D_B"])]
    second = loss[len(loss) // 2 :]
    loss_std = statistics.pstdev(second) if len(second) > 1 else 0.0
    keys = ("D_A real", "D_A fake", "D_B real", "D_B fake")
    steps, stds = [], []
    for key in keys:
        values = records[key]
        if len(values) > 1:
            steps.append(statistics.fmean(abs(b - a) for a, b in zip(values, values[1:])))
        half = values[len(values) // 2 :]
        if len(half) > 1:
            stds.append(statistics.pstdev(half))
    gap = 0.0
    if records["D_A real"]:
        gap = (
            records["D_A real"][-1]
            - records["D_A fake"][-1]
            + records["D_B real"][-1]
            - records["D_B fake"][-1]
        ) / 2
    return Instability(
        loss_std,
        statistics.fmean(steps) if steps else 0.0,
        statistics.fmean(stds) if stds else 0.0,
        gap,
    )


# --------------------------------------------------------------------------- the experiment
@dataclass
class PoolExperiment:
    """The result of :func:`run_experiment`: per pool size, one entry per seed."""

    settings: CycleGANSettings
    probe_every: int
    runs: dict[int, list[Instability]] = field(default_factory=dict)
    records: dict[int, list[dict[str, list[float]]]] = field(default_factory=dict)
    histories: dict[int, list[History]] = field(default_factory=dict)
    seconds: dict[int, float] = field(default_factory=dict)
    models: dict[int, CycleGAN] = field(default_factory=dict, repr=False)

    def mean(self, pool_size: int) -> Instability:
        """The mean over seeds of each measure for ``pool_size``."""
        runs = self.runs[pool_size]
        return Instability(
            *(
                statistics.fmean(getattr(r, f) for r in runs)
                for f in ("loss_std", "probe_step", "probe_std", "final_gap")
            )
        )

    def table(self) -> str:
        """A plain-text table (means over the seeds)."""
        n = len(next(iter(self.runs.values()), []))
        title = (
            _("discriminator instability (mean over {n} seed; lower is steadier)")
            if n == 1
            else _("discriminator instability (mean over {n} seeds; lower is steadier)")
        )
        lines = [
            title.format(n=n),
            pad(_("pool size"), 11) + pad(_("D loss std"), 12, ">") + pad(_("probe step"), 12, ">")
            + pad(_("probe std"), 11, ">") + pad(_("real-fake gap"), 15, ">")
            + pad(_("time"), 8, ">"),
        ]
        for size in self.runs:
            m = self.mean(size)
            lines.append(
                f"{size:<11}{m.loss_std:>12.4f}{m.probe_step:>12.4f}{m.probe_std:>11.4f}"
                f"{m.final_gap:>15.3f}{self.seconds.get(size, 0):>7.0f}s"
            )
        return "\n".join(lines)


def run_experiment(
    root: str | os.PathLike[str],
    settings: CycleGANSettings = CPU,
    device: torch.device | str | None = None,
    seeds: tuple[int, ...] = (0,),
    pool_sizes: tuple[int, ...] = (0, 50),
    probe_every: int = 10,
    n_probe: int = 16,
    checkpoint_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
    pool_class: type | None = None,
    loss_functions: Mapping[str, Callable[..., Any]] | None = None,
) -> PoolExperiment:
    """Train one CycleGAN per pool size and seed (the full objective, ``lambda_identity = 0``
    to keep it cheap) and measure the discriminators' instability.

    Runs with the same seed share initial weights and data order. With ``checkpoint_dir``, the
    first seed's runs save and resume (``06_pool<size>_<tag>.pt``); a resumed run has no probe
    records before the point where it resumed.
    """
    test = load_unpaired(root, "test", settings.image_size)
    n = min(n_probe, len(test.A), len(test.B))
    probe_A, probe_B = test.batch("A", n), test.batch("B", n)
    result = PoolExperiment(settings, probe_every)
    loader = make_loader(root, settings, seeds[0])
    for size in pool_sizes:
        start = time.perf_counter()
        for seed in seeds:
            model = make_cyclegan(
                settings,
                device,
                lambda_cycle=10.0,
                lambda_identity=0.0,
                pool_size=size,
                seed=seed,
                pool=pool_class,
                **dict(loss_functions or {}),
            )
            recorder = ProbeRecorder(probe_A, probe_B, probe_every)
            recorder(model)
            ckpt = checkpoint_path(checkpoint_dir, f"06_pool{size}", settings)
            history = train_cyclegan(
                model,
                loader.with_seed(seed),
                settings,
                seed,
                ckpt if seed == seeds[0] else None,
                callback=recorder,
                callback_every=1,
                progress=progress,
            )
            result.runs.setdefault(size, []).append(instability(history, recorder.records))
            result.records.setdefault(size, []).append(recorder.records)
            result.histories.setdefault(size, []).append(history)
            if seed == seeds[0]:
                result.models[size] = model
        result.seconds[size] = time.perf_counter() - start
    return result
