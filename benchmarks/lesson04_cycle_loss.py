"""Lesson 04's result: the cycle-consistency loss ablated in small.

Trains two small CycleGANs on the embedded summer/winter scenes (or a real CycleGAN dataset),
with the GAN loss alone and with GAN + cycle loss (lambda_cycle = 10), same seed, data order and
budget, then prints how often a translated test image is closer (in its layout of edges) to its
own input than to any other test input, in both directions, with the cycle error.

    python benchmarks/lesson04_cycle_loss.py                 # the notebook's CPU default
    python benchmarks/lesson04_cycle_loss.py --fast          # a few iterations (smoke test)
    python benchmarks/lesson04_cycle_loss.py --iterations 3000 --seed 1
    python benchmarks/lesson04_cycle_loss.py --data data/horse2zebra --gpu
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from course_lib.experiments import cyclegan as lesson04
from course_lib.notebook import ensure_embedded
from course_lib.utils import get_device, seed_everything


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help="dataset folder (default: embedded unpaired)")
    parser.add_argument("--fast", action="store_true", help="fast-mode settings")
    parser.add_argument("--gpu", action="store_true", help="the notebook's GPU settings")
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
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
    result = lesson04.run_experiment(
        root, settings, device, args.seed, checkpoint_dir=args.checkpoints, progress=False
    )
    print(result.table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
