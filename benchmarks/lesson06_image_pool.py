"""Lesson 06's result: the discriminators' instability with and without the image pool.

Trains small CycleGANs on the embedded summer/winter scenes (or a real CycleGAN dataset) with
pool_size 0 and 50, same seeds, data order and budget, recording every 10 iterations each
discriminator's mean score on fixed real test images and on the current translations of fixed
test inputs. Prints, per pool size (means over the seeds): the standard deviation of the
discriminators' loss over the second half of training, the mean change of the probe scores from
one record to the next, their standard deviation over the second half, and the final gap
between real and fake scores; then each seed's values.

    python benchmarks/lesson06_image_pool.py                   # the notebook's CPU default
    python benchmarks/lesson06_image_pool.py --fast            # a few iterations (smoke test)
    python benchmarks/lesson06_image_pool.py --seeds 0 1 2     # several seeds (3x the time)

With ``--mixture`` it runs the two-dimensional version instead (a small GAN on a ring of
Gaussians, seconds per run) and prints, per pool size, each oscillation measure's mean with its
95% interval over the seeds and the paired difference:

    python benchmarks/lesson06_image_pool.py --mixture --seeds 0 1 2 3 4 5 6 7 8 9
    python benchmarks/lesson06_image_pool.py --mixture --loss vanilla --batch-size 16
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from course_lib.experiments import cyclegan as lesson04
from course_lib.experiments import pool as lesson06
from course_lib.experiments import pool_mixture
from course_lib.notebook import ensure_embedded
from course_lib.utils import get_device, seed_everything


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help="dataset folder (default: embedded unpaired)")
    parser.add_argument("--fast", action="store_true", help="fast-mode settings")
    parser.add_argument("--gpu", action="store_true", help="the notebook's GPU settings")
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=None, help="default: 0 (CycleGAN), 0-4 (mixture)"
    )
    parser.add_argument("--pool-sizes", type=int, nargs="+", default=[0, 50])
    parser.add_argument("--device", default=None)
    parser.add_argument("--checkpoints", default=None, help="save/resume runs in this folder")
    mixture = parser.add_argument_group("the ring of Gaussians (--mixture)")
    mixture.add_argument("--mixture", action="store_true", help="run the 2-D experiment")
    mixture.add_argument("--loss", choices=["lsgan", "vanilla"], default=None)
    mixture.add_argument("--batch-size", type=int, default=None)
    mixture.add_argument("--lr", type=float, default=None)
    mixture.add_argument("--per-seed", action="store_true", help="also print every run")
    return parser.parse_args(argv)


def run_mixture(args: argparse.Namespace) -> int:
    """The ring-of-Gaussians experiment with the options given."""
    import torch

    torch.set_num_threads(1)
    settings = pool_mixture.MIXTURE_FAST if args.fast else pool_mixture.MIXTURE
    changes = {
        "iterations": args.iterations,
        "loss": args.loss,
        "batch_size": args.batch_size,
        "lr": args.lr,
    }
    settings = replace(settings, **{k: v for k, v in changes.items() if v is not None})
    seeds = args.seeds if args.seeds is not None else [0, 1, 2, 3, 4]
    print(settings)
    result = pool_mixture.run_experiment(settings, seeds, args.pool_sizes)
    print(result.table())
    if args.per_seed:
        for size, runs in result.runs.items():
            for run in runs:
                print(f"pool_size {size:>3}, seed {run.seed}: {run.measures}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.mixture:
        return run_mixture(args)
    args.seeds = args.seeds if args.seeds is not None else [0]
    seed_everything(args.seeds[0])
    device = get_device(args.device)
    settings = lesson04.FAST if args.fast else lesson04.GPU if args.gpu else lesson04.CPU
    if args.iterations:
        settings = replace(settings, iterations=args.iterations)
    root = args.data or ensure_embedded("unpaired", size="small" if args.fast else "default")
    print(f"data {root}, device {device}, seeds {args.seeds}\n{settings}")
    trace = lesson06.pool_trace(pool_size=50, n_images=1000)
    print(
        f"ImagePool(50), 1000 single images: {trace.history_fraction():.1%} of the returns "
        "once full come from the history"
    )
    result = lesson06.run_experiment(
        root,
        settings,
        device,
        tuple(args.seeds),
        tuple(args.pool_sizes),
        checkpoint_dir=args.checkpoints,
        progress=False,
    )
    print(result.table())
    for size, runs in result.runs.items():
        for seed, run in zip(args.seeds, runs):
            print(
                f"pool_size {size:>3}, seed {seed}: D loss std {run.loss_std:.4f}, "
                f"probe step {run.probe_step:.4f}, probe std {run.probe_std:.4f}, "
                f"real-fake gap {run.final_gap:.3f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
