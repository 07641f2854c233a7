"""Lesson 03's result: the L1 vs L2 ablation of Pix2Pix (the paper's section 4.2 and Table 1).

Trains five generators on the embedded label-map -> photo facades with the same seed, data
order and budget (L1 only, L2 only, cGAN only, cGAN + L1, cGAN + L2), then scores their
outputs on the held-out pairs: per-pixel L1 error, sharpness (high-frequency energy relative
to the real photos), mean saturation, colour-histogram distance to the real photos, and the
per-pixel label accuracy of a segmentation net trained on the real photos (the FCN-score).
Prints the table (Markdown), the training times and the paper's qualitative claims checked on
this table.

    python benchmarks/lesson03_l1_vs_l2.py                # the notebook's default CPU settings
    python benchmarks/lesson03_l1_vs_l2.py --fast         # a smoke test (numbers meaningless)
    python benchmarks/lesson03_l1_vs_l2.py --iterations 3000 --seed 1
"""

from __future__ import annotations

import argparse
from pathlib import Path

from course_lib.experiments import ablation
from course_lib.utils import get_device, seed_everything


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="tiny budget on the small data")
    parser.add_argument("--data", type=Path, default=None, help="embedded facades folder")
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: best available)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--iterations", type=int, default=None, help="per objective")
    parser.add_argument("--width", type=int, default=None, help="gen_channels = disc_channels")
    parser.add_argument(
        "--variants", nargs="+", default=None, help=f"subset of {list(ablation.VARIANTS)}"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)

    device = get_device(args.device)
    settings = ablation.settings_for(args.fast, device)
    changes = {
        "iterations": args.iterations,
        "gen_channels": args.width,
        "disc_channels": args.width,
    }
    settings = ablation.with_settings(settings, **{k: v for k, v in changes.items() if v})
    root = args.data
    if root is None:
        from course_lib.notebook import ensure_embedded

        root = ensure_embedded("facades", size="small" if args.fast else "default")
    seed_everything(args.seed)
    print(f"data: {root}  device: {device}\nsettings: {settings}")
    variants = tuple(args.variants) if args.variants else tuple(ablation.VARIANTS)
    result = ablation.run_ablation(
        root, settings, device, args.seed, variants=variants, progress=not args.quiet
    )
    if result.judge_accuracy is not None:
        print(
            f"\nsegmentation judge, per-pixel accuracy on the real test photos: "
            f"{result.judge_accuracy:.1%}"
        )
    print()
    print(result.table())
    print()
    print("training time: " + ", ".join(f"{k} {v:.0f} s" for k, v in result.seconds.items()))
    checks = result.ordering_checks()
    if checks:
        print("\nthe paper's qualitative ordering on this table:")
        for claim, holds in checks.items():
            print(f"  [{'x' if holds else ' '}] {claim}")
    if args.fast:
        print("\n(fast mode: a few iterations only, the numbers are not meaningful)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
