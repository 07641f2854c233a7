"""Lesson 02's result: Pix2Pix (cGAN + L1) on the embedded label-map -> photo facades.

Trains Pix2Pix with the notebook's settings and scores its outputs on the held-out test pairs:
per-pixel L1 error, sharpness (high-frequency energy relative to the real photos), mean
saturation and colour-histogram distance to the real photos, and the discriminator's mean
probability "real" on the real and on the generated photos; in eval mode and in train mode
(dropout and batch statistics on, as the paper tests).

    python benchmarks/lesson02_pix2pix.py                  # the notebook's default CPU settings
    python benchmarks/lesson02_pix2pix.py --fast           # a smoke test (numbers meaningless)
    python benchmarks/lesson02_pix2pix.py --iterations 6000 --width 64
    python benchmarks/lesson02_pix2pix.py --data data/facades --real   # real 256x256 facades
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from course_lib.experiments import pix2pix
from course_lib.utils import get_device, seed_everything


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="tiny budget on the small data")
    parser.add_argument("--data", type=Path, default=None, help="pix2pix AB dataset folder")
    parser.add_argument("--real", action="store_true", help="the real facades' 256x256 settings")
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: best available)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--width", type=int, default=None, help="gen_channels = disc_channels")
    parser.add_argument("--disc-layers", type=int, default=None)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    device = get_device(args.device)
    settings = pix2pix.settings_for(args.fast, device, real=args.real)
    changes = {
        "iterations": args.iterations,
        "gen_channels": args.width,
        "disc_channels": args.width,
        "disc_layers": args.disc_layers,
    }
    settings = dataclasses.replace(settings, **{k: v for k, v in changes.items() if v is not None})
    root = args.data
    if root is None:
        from course_lib.notebook import ensure_embedded

        root = ensure_embedded("facades", size="small" if args.fast else "default")
    seed_everything(args.seed)
    print(f"data: {root}  device: {device}\nsettings: {settings}")
    _, history, scores, seconds = pix2pix.run_experiment(
        root, settings, device, args.seed, progress=not args.quiet
    )
    print(f"\ntrained {settings.iterations} iterations in {seconds:.0f} s")
    print(f"final losses (mean of the last 100): {dict(history.last(100))}")
    print()
    names = list(scores["eval"].as_dict())
    print(f"{'test set':<20}" + "".join(f"{mode + ' mode':>14}" for mode in scores))
    for name in names:
        values = "".join(f"{scores[mode].as_dict()[name]:>14.3f}" for mode in scores)
        print(f"{name:<20}{values}")
    print(
        "\nl1: per-pixel L1 error; sharpness: high-frequency energy / real photos' (1 = as sharp);"
        "\nsaturation / target_saturation: mean HSV saturation of outputs / real photos;"
        "\ncolour_distance: RGB histogram distance to the real photos (0 = same colours);"
        "\nd_real / d_fake: the discriminator's mean probability 'real' on real / generated photos"
    )
    if args.fast:
        print("\n(fast mode: a few iterations only, the numbers are not meaningful)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
