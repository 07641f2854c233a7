"""Lesson 05's result: colour drift with and without the identity loss.

Trains small CycleGANs on the embedded summer/winter scenes with large houses
(``unpaired_houses``; ``--data unpaired`` for lesson 04's scenes, or a real CycleGAN dataset) with
lambda_identity = 0 and with the official 0.5 * lambda_cycle = 5 (optionally also the DLAI 0.1),
same seed, data order and budget, then prints the colour shift between inputs and outputs of the
test images in CIELAB (Delta E*ab, CIE76): on the house walls, whose colour a translation should
keep (embedded data only), and of the whole image's mean colour, which should change.

    python benchmarks/lesson05_identity.py                  # the notebook's CPU default
    python benchmarks/lesson05_identity.py --fast           # a few iterations (smoke test)
    python benchmarks/lesson05_identity.py --arms no_identity dlai identity --seed 1
    python benchmarks/lesson05_identity.py --data data/monet2photo --gpu
    python benchmarks/lesson05_identity.py --seeds 0 1 2 3 4 --lambda-identity 10 --image-size 32
    python benchmarks/lesson05_identity.py --data unpaired --lr 5e-4   # lesson 04's small houses

With several seeds it ends with each arm's wall shift (both directions) as the mean and 95%
interval over the seeds, and the paired ratio identity / no identity. ``--jobs 2`` trains two
seeds at a time in separate processes (one thread each); the times it prints are then those of
models that shared the CPU with another run, and the processor time, which does not depend on
what else runs, says how long a model takes alone on one core.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

from course_lib.config import EMBEDDED
from course_lib.experiments import cyclegan as lesson04
from course_lib.experiments import identity as lesson05
from course_lib.experiments.pool_mixture import mean_interval
from course_lib.notebook import ensure_embedded
from course_lib.utils import get_device, seed_everything


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data",
        default="unpaired_houses",
        help="an embedded set (unpaired_houses, the default, or unpaired) or a dataset folder",
    )
    parser.add_argument("--fast", action="store_true", help="fast-mode settings")
    parser.add_argument("--gpu", action="store_true", help="the notebook's GPU settings")
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, nargs="+", default=None, help="several seeds")
    parser.add_argument(
        "--lambda-identity", type=float, default=None, help="weight of the 'identity' arm"
    )
    parser.add_argument("--image-size", type=int, default=None, help="images loaded at this size")
    parser.add_argument("--crop-size", type=int, default=None, help="training crops")
    parser.add_argument("--lr", type=float, default=None, help="Adam's learning rate")
    parser.add_argument("--gen-channels", type=int, default=None, help="generator width")
    parser.add_argument(
        "--arms", nargs="+", default=["no_identity", "identity"], choices=list(lesson05.ARMS)
    )
    parser.add_argument("--jobs", type=int, default=1, help="seeds trained at the same time")
    parser.add_argument("--device", default=None)
    parser.add_argument("--checkpoints", default=None, help="save/resume runs in this folder")
    return parser.parse_args(argv)


def run_seed(
    root: str,
    settings: lesson04.CycleGANSettings,
    device: object,
    seed: int,
    arms: tuple[str, ...],
    checkpoints: str | None,
    arm_weights: dict[str, tuple[float, str]],
) -> tuple[str, dict[str, float | None], dict[str, tuple[float, float]]]:
    """Train and measure one seed: the table, each arm's wall shift and training seconds
    (on the clock and of processor time)."""
    lesson05.ARMS.update(arm_weights)  # a spawned process starts with the module's defaults
    result = lesson05.run_experiment(
        root, settings, device, seed, arms, checkpoint_dir=checkpoints, progress=False
    )
    shifts = {arm: result.wall_shift(arm) for arm in result.shifts}
    times = {arm: (result.seconds[arm], result.cpu_seconds[arm]) for arm in result.seconds}
    return result.table(), shifts, times


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    seed_everything(args.seed)
    device = get_device(args.device)
    settings = lesson04.FAST if args.fast else lesson04.GPU if args.gpu else lesson04.CPU
    changes = {
        "iterations": args.iterations,
        "image_size": args.image_size,
        "crop_size": args.crop_size,
        "lr": args.lr,
        "gen_channels": args.gen_channels,
    }
    settings = replace(settings, **{k: v for k, v in changes.items() if v is not None})
    if args.image_size and settings.crop_size > settings.image_size:
        settings = replace(settings, crop_size=settings.image_size)
    if args.lambda_identity is not None:
        lesson05.ARMS["identity"] = (
            args.lambda_identity,
            f"identity loss (lambda_id = {args.lambda_identity:g})",
        )
    if args.data in EMBEDDED:
        root = ensure_embedded(args.data, size="small" if args.fast else "default")
    else:
        root = args.data
    seeds = args.seeds or [args.seed]
    print(f"data {root}, device {device}, seeds {seeds}\n{settings}")
    walls: dict[str, list[float]] = {}
    seconds: dict[str, list[tuple[float, float]]] = {}
    jobs = [
        (root, settings, device, seed, tuple(args.arms), args.checkpoints if i == 0 else None,
         dict(lesson05.ARMS))
        for i, seed in enumerate(seeds)
    ]  # fmt: skip
    context = multiprocessing.get_context("spawn")
    parallel = args.jobs > 1 and len(jobs) > 1
    with (
        ProcessPoolExecutor(min(args.jobs, len(jobs)), mp_context=context)
        if parallel
        else contextlib.nullcontext()
    ) as pool:
        results = pool.map(run_seed, *zip(*jobs)) if parallel else (run_seed(*j) for j in jobs)
        for seed, (table, shifts, times) in zip(seeds, results):
            print(f"seed {seed}\n{table}", flush=True)
            for arm, shift in shifts.items():
                seconds.setdefault(arm, []).append(times[arm])
                if shift is not None:
                    walls.setdefault(arm, []).append(shift)
                    label = lesson05.ARMS[arm][1]
                    print(f"{label}: walls, both directions: Delta E*ab {shift:.1f}")
    for arm, times in seconds.items():
        clock, cpu = [t[0] for t in times], [t[1] for t in times]
        print(
            f"training time, {arm}: clock {min(clock):.0f}-{max(clock):.0f} s, processor "
            f"{min(cpu):.0f}-{max(cpu):.0f} s (mean {sum(cpu) / len(cpu):.0f} s)"
        )
    if len(seeds) > 1 and walls:
        print(f"walls, both directions, Delta E*ab: mean ± 95% interval over {len(seeds)} seeds")
        for arm, values in walls.items():
            mean, half = mean_interval(values)
            print(f"  {lesson05.ARMS[arm][1]:<42}{mean:6.1f} ± {half:.1f}")
        if "no_identity" in walls and "identity" in walls:
            ratios = [a / b for a, b in zip(walls["identity"], walls["no_identity"]) if b > 0]
            mean, half = mean_interval(ratios)
            print(f"  ratio identity / no identity (paired)     {mean:6.2f} ± {half:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
