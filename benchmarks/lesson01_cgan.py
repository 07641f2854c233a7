"""Lesson 01's result: how often a conditional GAN draws the digit it was asked for.

Trains the class-conditional DCGAN and its unconditional baseline (same seed, data order and
budget; the baseline never sees the label) on the embedded digits, generates
``samples_per_class`` images per class from each, and lets a digit classifier trained on the
real images judge them. Prints the fraction recognised as the requested class, per model and
per class.

    python benchmarks/lesson01_cgan.py                   # the notebook's default CPU settings
    python benchmarks/lesson01_cgan.py --fast            # a smoke test (numbers meaningless)
    python benchmarks/lesson01_cgan.py --iterations 3000 --hidden 64
    python benchmarks/lesson01_cgan.py --data data/mnist # real MNIST (see data_scripts/)

Expected with the defaults: the conditional model at 80% or more, the baseline near 10%.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from course_lib.experiments import cgan
from course_lib.utils import get_device, seed_everything


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="tiny budget on the small data")
    parser.add_argument("--data", type=Path, default=None, help="class-folder dataset to use")
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: best available)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--hidden", type=int, default=None, help="width of both networks")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)

    device = get_device(args.device)
    settings = cgan.settings_for(args.fast, device)
    changes = {
        "iterations": args.iterations,
        "hidden_channels": args.hidden,
        "batch_size": args.batch_size,
    }
    settings = dataclasses.replace(settings, **{k: v for k, v in changes.items() if v is not None})
    root = args.data
    if root is None:
        from course_lib.notebook import ensure_embedded

        root = ensure_embedded("digits", size="small" if args.fast else "default")
    seed_everything(args.seed)
    print(f"data: {root}  device: {device}  settings: {settings}")
    result = cgan.run_experiment(root, settings, device, args.seed, progress=not args.quiet)
    print()
    print(result.table())
    print()
    print("per requested class:")
    print(
        f"{'model':<15}"
        + "".join(f"{k:>6}" for k in range(len(result.accuracy["conditional"].per_class)))
    )
    for name, acc in result.accuracy.items():
        print(f"{name:<15}" + "".join(f"{v:>6.0%}" for v in acc.per_class))
    if args.fast:
        print("\n(fast mode: a few iterations only, the numbers are not meaningful)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
