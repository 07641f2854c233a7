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
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from course_lib.experiments import cyclegan as lesson04
from course_lib.experiments import identity as lesson05
from course_lib.notebook import ensure_embedded
from course_lib.utils import get_device, seed_everything


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help="dataset folder (default: embedded unpaired)")
    parser.add_argument("--fast", action="store_true", help="fast-mode settings")
    parser.add_argument("--gpu", action="store_true", help="the notebook's GPU settings")
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
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
    if args.iterations:
        settings = replace(settings, iterations=args.iterations)
    root = args.data or ensure_embedded("unpaired", size="small" if args.fast else "default")
    print(f"data {root}, device {device}, seed {args.seed}\n{settings}")
    result = lesson05.run_experiment(
        root,
        settings,
        device,
        args.seed,
        tuple(args.arms),
        checkpoint_dir=args.checkpoints,
        progress=False,
    )
    print(result.table())
    for arm in result.shifts:
        walls = result.wall_shift(arm)
        if walls is not None:
            print(f"{lesson05.ARMS[arm][1]}: walls, both directions: Delta E*ab {walls:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
