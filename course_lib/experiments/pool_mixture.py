"""Lesson 06, in two dimensions: a GAN on a ring of Gaussians, with and without the image pool.

A CycleGAN is too slow on a CPU to show what the pool is for, so this experiment shrinks the
question to its core (Liang et al. 2018, "Generative adversarial network training is a
continual learning problem"; Metz et al. 2017 for the ring): the data are ``n_modes``
narrow Gaussians on a circle, the generator and the discriminator are small MLPs, and the
game is trained like CycleGAN's (least squares, batch 1, Adam with betas (0.5, 0.999), the
discriminator's fakes drawn through the pool). A discriminator that sees only the newest fakes
forgets the regions the generator has left, and the generator can come back to them: the
generator's samples hop from mode to mode. The pool keeps older fakes in the discriminator's
training set; the experiment measures whether that damps the hopping.

Every ``record_every`` iterations the generator maps a fixed set of latent vectors, and each
sample is assigned to its nearest mode (or to none, farther than ``near`` from every mode);
the discriminator scores a fixed grid of points. The measures (:class:`Oscillation`), over the
second half of training:

* ``reassigned``: the fraction of the fixed latent vectors whose mode changes from one record
  to the next (the generator's oscillation);
* ``switches``: how often the most populated mode changes, per 1,000 iterations;
* ``returns``: how often the most populated mode goes back to one that was the most populated
  within the last ``return_window`` records but not at the previous one, per 1,000 iterations
  (the generator returning to what the discriminator forgot);
* ``d_drift``: the mean absolute change of the discriminator's scores on the grid from one
  record to the next (the discriminator's oscillation);
* ``coverage``: the mean number of modes holding at least a quarter of their fair share of the
  samples; ``on_mode``: the fraction of samples within ``near`` of a mode (quality).

Runs with the same seed share initial weights, data and latent draws; only ``pool_size``
differs. :func:`run_experiment` repeats them over seeds and :meth:`MixtureExperiment.table`
prints each measure's mean with a 95% interval, and the paired difference.

``python benchmarks/lesson06_image_pool.py --mixture`` runs it from the command line.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ..i18n import N_, _
from ..image_pool import ImagePool
from ..utils import pad, text_width
from .cyclegan import cpu_threads

__all__ = [
    "MixtureSettings",
    "MIXTURE",
    "MIXTURE_FAST",
    "ring_modes",
    "sample_ring",
    "assign_modes",
    "mean_interval",
    "Oscillation",
    "oscillation",
    "MixtureRun",
    "train_mixture_gan",
    "MixtureExperiment",
    "run_experiment",
]


@dataclass(frozen=True)
class MixtureSettings:
    """One small GAN on a ring of Gaussians.

    ``n_modes`` Gaussians of standard deviation ``std`` on a circle of ``radius``; MLPs with two
    hidden layers of ``hidden`` units (latent size ``z_dim``); ``iterations`` updates at
    ``batch_size`` with Adam (``lr``, betas (0.5, 0.999)); ``loss``: ``"lsgan"`` (least
    squares, CycleGAN's) or ``"vanilla"`` (binary cross-entropy, non-saturating generator
    loss). Every ``record_every`` iterations ``n_probe`` fixed latent vectors are mapped and a
    ``grid`` x ``grid`` lattice over [-1.5 radius, 1.5 radius]^2 is scored; a sample counts as
    on a mode within ``near`` of it. ``cpu_threads``: torch's threads during training (one is
    as fast for networks this small, and far faster when other programs share the cores).
    """

    n_modes: int = 8
    radius: float = 2.0
    std: float = 0.02
    z_dim: int = 4
    hidden: int = 64
    batch_size: int = 1
    iterations: int = 3000
    lr: float = 1e-3
    loss: str = "lsgan"
    record_every: int = 20
    n_probe: int = 512
    grid: int = 25
    near: float = 0.4
    return_window: int = 25
    cpu_threads: int | None = 1

    def __post_init__(self) -> None:
        if self.loss not in ("lsgan", "vanilla"):
            raise ValueError(f"loss must be 'lsgan' or 'vanilla', got {self.loss!r}")
        if self.iterations < 2 * self.record_every:
            raise ValueError(
                f"iterations ({self.iterations}) must be at least twice record_every "
                f"({self.record_every}) to measure anything"
            )


#: The lesson's default: about 10 seconds per run on one CPU thread.
MIXTURE = MixtureSettings()
#: Fast mode: enough iterations to run every line, nothing to read from.
MIXTURE_FAST = MixtureSettings(iterations=100, record_every=5, n_probe=128, grid=9)


# --------------------------------------------------------------------------- data and measures
def ring_modes(n_modes: int = 8, radius: float = 2.0) -> torch.Tensor:
    """The centres ``(n_modes, 2)`` of the mixture, evenly spaced on a circle."""
    angles = torch.arange(n_modes, dtype=torch.float32) * (2 * math.pi / n_modes)
    return torch.stack([radius * torch.cos(angles), radius * torch.sin(angles)], dim=1)


def sample_ring(
    modes: torch.Tensor, std: float, n: int, generator: torch.Generator | None = None
) -> torch.Tensor:
    """``n`` points ``(n, 2)`` of the mixture: a uniformly drawn mode plus Gaussian noise."""
    index = torch.randint(0, len(modes), (n,), generator=generator)
    return modes[index] + std * torch.randn(n, 2, generator=generator)


def assign_modes(points: torch.Tensor, modes: torch.Tensor, near: float) -> torch.Tensor:
    """The index of each point's nearest mode, or ``len(modes)`` if none is within ``near``."""
    distance = torch.cdist(points, modes)
    nearest = distance.min(dim=1)
    off = torch.full_like(nearest.indices, len(modes))
    return torch.where(nearest.values < near, nearest.indices, off)


#: Two-sided 97.5% quantiles of Student's t for 1 to 30 degrees of freedom.
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def mean_interval(values: Sequence[float]) -> tuple[float, float]:
    """The mean of ``values`` and the half-width of its 95% interval (Student's t; 0 for a
    single value)."""
    if not values:
        raise ValueError("mean_interval needs at least one value")
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, 0.0
    df = len(values) - 1
    t = _T975[df - 1] if df <= len(_T975) else 1.96
    return mean, t * statistics.stdev(values) / math.sqrt(len(values))


@dataclass
class Oscillation:
    """How much one run oscillated over its second half (see the module's docstring)."""

    reassigned: float
    switches: float
    returns: float
    d_drift: float
    coverage: float
    on_mode: float


#: Each measure's column title (shown in the course's language), and whether lower means
#: steadier.
MEASURES: dict[str, tuple[str, bool]] = {
    "reassigned": (N_("samples changing mode"), True),
    "switches": (N_("main-mode switches /1k it"), True),
    "returns": (N_("returns to a left mode /1k it"), True),
    "d_drift": (N_("D drift on the grid"), True),
    "coverage": (N_("modes covered"), False),
    "on_mode": (N_("samples on a mode"), False),
}


def oscillation(run: MixtureRun) -> Oscillation:
    """Compute :class:`Oscillation` from a run's records (second half of training)."""
    n_modes = run.settings.n_modes
    assigned, scores = run.assignments, run.scores
    half = len(assigned) // 2
    second = assigned[half:]
    reassigned = (second[1:] != second[:-1]).float().mean().item() if len(second) > 1 else 0.0
    counts = torch.stack([torch.bincount(a, minlength=n_modes + 1)[:n_modes] for a in assigned])
    main = counts.argmax(dim=1).tolist()
    switches = returns = 0
    window = run.settings.return_window
    for k in range(max(1, half), len(main)):
        if main[k] != main[k - 1]:
            switches += 1
            if main[k] in main[max(0, k - window) : k - 1]:
                returns += 1
    span = (len(main) - max(1, half)) * run.settings.record_every / 1000
    d_drift = (scores[half + 1 :] - scores[half:-1]).abs().mean().item() if len(scores) > 1 else 0
    fair = run.settings.n_probe / n_modes / 4
    coverage = (counts[half:] >= fair).sum(dim=1).float().mean().item()
    on_mode = (second < n_modes).float().mean().item()
    return Oscillation(
        reassigned, switches / span, returns / span, float(d_drift), coverage, on_mode
    )


# --------------------------------------------------------------------------- one run
def _mlp(inputs: int, outputs: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(inputs, hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Linear(hidden, outputs),
    )


@dataclass
class MixtureRun:
    """The records of one run: ``iterations`` (list), ``assignments`` ``(R, n_probe)`` (mode
    of each fixed latent vector's sample, ``n_modes`` for none), ``scores`` ``(R, grid^2)``
    (the discriminator's raw output on the grid), the grid, the final samples and the
    measures."""

    settings: MixtureSettings
    pool_size: int
    seed: int
    iterations: list[int]
    assignments: torch.Tensor
    scores: torch.Tensor
    grid: torch.Tensor
    samples: torch.Tensor
    seconds: float
    measures: Oscillation | None = None


def train_mixture_gan(
    pool_size: int,
    seed: int = 0,
    settings: MixtureSettings = MIXTURE,
    pool_class: Callable[[int], Any] = ImagePool,
) -> MixtureRun:
    """Train one GAN on the ring with the discriminator's fakes drawn through
    ``pool_class(pool_size)``, and record it (see :class:`MixtureRun`).

    The update order is CycleGAN's: the generator first (against the current discriminator),
    then the discriminator on real points and on the pool's answer to the detached fakes. The
    seed fixes the initial weights, the data, the latent draws and the pool's coin flips.
    """
    s = settings
    torch.manual_seed(seed)
    random.seed(seed)
    gen, disc = _mlp(s.z_dim, 2, s.hidden), _mlp(2, 1, s.hidden)
    opt_g = torch.optim.Adam(gen.parameters(), s.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), s.lr, betas=(0.5, 0.999))
    pool = pool_class(pool_size)
    data = torch.Generator().manual_seed(seed)
    probe = torch.randn(s.n_probe, s.z_dim, generator=torch.Generator().manual_seed(10_000 + seed))
    axis = torch.linspace(-1.5 * s.radius, 1.5 * s.radius, s.grid)
    grid = torch.stack(torch.meshgrid(axis, axis, indexing="xy"), dim=-1).reshape(-1, 2)
    modes = ring_modes(s.n_modes, s.radius)
    if s.loss == "lsgan":

        def criterion(output: torch.Tensor, target: float) -> torch.Tensor:
            return (output - target).square().mean()
    else:
        bce = nn.BCEWithLogitsLoss()

        def criterion(output: torch.Tensor, target: float) -> torch.Tensor:
            return bce(output, torch.full_like(output, target))

    iterations, assignments, scores = [], [], []
    start = time.perf_counter()
    with cpu_threads(s.cpu_threads):
        for it in range(1, s.iterations + 1):
            real = sample_ring(modes, s.std, s.batch_size, data)
            fake = gen(torch.randn(s.batch_size, s.z_dim, generator=data))
            loss_g = criterion(disc(fake), 1.0)
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            fake_seen = pool.query(fake.detach())
            loss_d = 0.5 * (criterion(disc(real), 1.0) + criterion(disc(fake_seen), 0.0))
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            if it % s.record_every == 0:
                with torch.no_grad():
                    iterations.append(it)
                    assignments.append(assign_modes(gen(probe), modes, s.near))
                    scores.append(disc(grid).squeeze(1))
    with torch.no_grad():
        samples = gen(probe)
    run = MixtureRun(
        s,
        pool_size,
        seed,
        iterations,
        torch.stack(assignments),
        torch.stack(scores),
        grid,
        samples,
        time.perf_counter() - start,
    )
    run.measures = oscillation(run)
    return run


# --------------------------------------------------------------------------- the experiment
@dataclass
class MixtureExperiment:
    """The result of :func:`run_experiment`: per pool size, one :class:`MixtureRun` per seed
    (the same seeds in the same order for every pool size)."""

    settings: MixtureSettings
    seeds: tuple[int, ...]
    runs: dict[int, list[MixtureRun]] = field(default_factory=dict)

    def values(self, pool_size: int, measure: str) -> list[float]:
        """One value of ``measure`` per seed."""
        return [getattr(run.measures, measure) for run in self.runs[pool_size]]

    def interval(self, pool_size: int, measure: str) -> tuple[float, float]:
        """Mean and 95% half-width of ``measure`` over the seeds."""
        return mean_interval(self.values(pool_size, measure))

    def difference(self, pool_size: int, measure: str, baseline: int = 0) -> tuple[float, float]:
        """Mean and 95% half-width of the paired difference (``pool_size`` minus
        ``baseline``, seed by seed)."""
        pairs = zip(self.values(pool_size, measure), self.values(baseline, measure))
        return mean_interval([a - b for a, b in pairs])

    def table(self) -> str:
        """Mean ± 95% half-width per pool size, and the paired difference to the first."""
        sizes = list(self.runs)
        n = len(self.seeds)
        s = self.settings
        heading = (
            _(
                "GAN on a ring of {modes} Gaussians ({loss}, batch {batch}, lr {lr:g}, "
                "{iterations} iterations), second half; mean ± 95% interval over {n} seed"
            )
            if n == 1
            else _(
                "GAN on a ring of {modes} Gaussians ({loss}, batch {batch}, lr {lr:g}, "
                "{iterations} iterations), second half; mean ± 95% interval over {n} seeds"
            )
        )
        first = max([32, *(text_width(_(title)) + 5 for title, _lower in MEASURES.values())])
        lines = [
            heading.format(
                modes=s.n_modes, loss=s.loss, batch=s.batch_size, lr=s.lr,
                iterations=s.iterations, n=n,
            ),
            pad(_("measure"), first)
            + "".join(pad(_("pool {size}").format(size=size), 18, ">") for size in sizes)
            + "".join(f"{f'{size} - {sizes[0]}':>18}" for size in sizes[1:]),
        ]
        for name, (title, lower) in MEASURES.items():
            row = pad(_(title) + (" (-)" if lower else " (+)"), first)
            for size in sizes:
                mean, half = self.interval(size, name)
                row += f"{mean:>10.3f} ± {half:<5.3f}"
            for size in sizes[1:]:
                mean, half = self.difference(size, name, sizes[0])
                row += f"{mean:>+10.3f} ± {half:<5.3f}"
            lines.append(row)
        seconds = sum(r.seconds for runs in self.runs.values() for r in runs)
        lines.append(
            _("(-): lower is steadier; (+): higher is better; {seconds:.0f}s in all").format(
                seconds=seconds
            )
        )
        return "\n".join(lines)


def run_experiment(
    settings: MixtureSettings = MIXTURE,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    pool_sizes: Sequence[int] = (0, 50),
    pool_class: Callable[[int], Any] = ImagePool,
) -> MixtureExperiment:
    """Train one ring GAN per pool size and seed (interleaved: for each seed, every pool size)
    and collect the runs."""
    if not seeds:
        raise ValueError("run_experiment needs at least one seed")
    result = MixtureExperiment(settings, tuple(seeds))
    for seed in seeds:
        for size in pool_sizes:
            result.runs.setdefault(size, []).append(
                train_mixture_gan(size, seed, settings, pool_class)
            )
    return result
