"""Lesson 05's result: colour drift with and without the identity loss.

Trains small CycleGANs on the embedded summer/winter scenes (or a real CycleGAN dataset) with
lambda_identity = 0 and with the official 0.5 * lambda_cycle = 5 (optionally also the DLAI 0.1),
same seed, data order and budget, then prints the colour shift between inputs and outputs of the
test images in CIELAB (Delta E*ab, CIE76): on the house walls, whose colour a translation should
keep (embedded data only), and of the whole image's mean colour, which should change.

    python benchmarks/lesson05_identity.py                  # the notebook's CPU default
    python benchmarks/lesson05_identity.py --fast           # a few iterations (smoke test)
    python benchmarks/lesson05_identity.py --arms no_identity dlai identity --seed 1
    python benchmarks/lesson05_identity.py --data data/monet2photo --gpu
    python benchmarks/lesson05_identity.py --seeds 0 1 2 3 4 --lambda-identity 10 --image-size 32

With several seeds it ends with each arm's wall shift (both directions) as the mean and 95%
interval over the seeds, and the paired ratio identity / no identity.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from course_lib.experiments import cyclegan as lesson04
from course_lib.experiments import identity as lesson05
from course_lib.experiments.pool_mixture import mean_interval
from course_lib.notebook import ensure_embedded
from course_lib.utils import get_device, seed_everything


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help="dataset folder (default: embedded unpaired)")
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
    parser.add_argument(
        "--arms", nargs="+", default=["no_identity", "identity"], choices=list(lesson05.ARMS)
    )
    parser.add_argument("--device", default=None)
    parser.add_argument("--checkpoints", default=None, help="save/resume runs in this folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    seed_everything(args.seed)
    device = get_device(args.device)
    settings = lesson04.FAST if args.fast else lesson04.GPU if args.gpu else lesson04.CPU
    changes = {
        "iterations": args.iterations,
        "image_size": args.image_size,
        "crop_size": args.crop_size,
    }
    settings = replace(settings, **{k: v for k, v in changes.items() if v is not None})
    if args.image_size and settings.crop_size > settings.image_size:
        settings = replace(settings, crop_size=settings.image_size)
    if args.lambda_identity is not None:
        lesson05.ARMS["identity"] = (
            args.lambda_identity,
            f"identity loss (lambda_id = {args.lambda_identity:g})",
        )
    root = args.data or ensure_embedded("unpaired", size="small" if args.fast else "default")
    seeds = args.seeds or [args.seed]
    print(f"data {root}, device {device}, seeds {seeds}\n{settings}")
    walls: dict[str, list[float]] = {}
    for seed in seeds:
        result = lesson05.run_experiment(
            root,
            settings,
            device,
            seed,
            tuple(args.arms),
            checkpoint_dir=args.checkpoints if seed == seeds[0] else None,
            progress=False,
        )
        print(f"seed {seed}\n{result.table()}", flush=True)
        for arm in result.shifts:
            shift = result.wall_shift(arm)
            if shift is not None:
                walls.setdefault(arm, []).append(shift)
                print(f"{lesson05.ARMS[arm][1]}: walls, both directions: Delta E*ab {shift:.1f}")
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
