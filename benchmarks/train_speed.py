"""Seconds per training iteration of Pix2Pix and CycleGAN at the papers' settings.

One Pix2Pix step: unet_256 + 70x70 PatchGAN, batch 1, 256x256, Adam, D then G.
One CycleGAN step: two resnet_9blocks generators, two PatchGANs, 256x256, batch 1, image pool.
Random tensors stand in for images; the figure is the median over the timed iterations.

    python benchmarks/train_speed.py                  # both models, current device
    python benchmarks/train_speed.py --size 128 --model pix2pix --iters 5
    python benchmarks/train_speed.py --compare        # also time the variants (channels_last)

For reference, the official implementation takes about 1.05 s (Pix2Pix) and 12.6 s (CycleGAN)
per iteration at 256x256 on a 2-core CPU with torch 2.14.1.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from course_lib.training import CycleGAN, CycleGANConfig, Pix2Pix, Pix2PixConfig
from course_lib.utils import get_device

OFFICIAL_CPU_2CORE = {
    ("pix2pix", 256): 1.05,
    ("pix2pix", 128): 0.31,
    ("cyclegan", 256): 12.6,
    ("cyclegan", 128): 3.4,
}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_steps(model, batch, iters: int, warmup: int) -> float:
    """Median seconds of ``model.train_step(batch)`` after ``warmup`` untimed steps."""
    for _ in range(warmup):
        model.train_step(batch)
    times = []
    for _ in range(iters):
        _sync(model.device)
        start = time.perf_counter()
        model.train_step(batch)
        _sync(model.device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def build(name: str, size: int, device: torch.device, channels_last: bool):
    if name == "pix2pix":
        num_downs = {256: 8, 128: 7, 64: 6}[size]
        model = Pix2Pix(Pix2PixConfig(num_downs=num_downs, channels_last=channels_last), device)
    else:
        model = CycleGAN(CycleGANConfig(n_blocks=9 if size >= 256 else 6), device)
        if channels_last:
            for net in model.networks.values():
                net.to(memory_format=torch.channels_last)
    gen = torch.Generator().manual_seed(0)
    batch = {
        "A": torch.rand(1, 3, size, size, generator=gen) * 2 - 1,
        "B": torch.rand(1, 3, size, size, generator=gen) * 2 - 1,
    }
    return model, batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["pix2pix", "cyclegan", "both"], default="both")
    parser.add_argument("--size", type=int, default=256, choices=[64, 128, 256])
    parser.add_argument("--iters", type=int, default=None, help="timed iterations")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--device", default=None)
    parser.add_argument("--compare", action="store_true", help="also time channels_last")
    args = parser.parse_args()
    device = get_device(args.device)
    names = ["pix2pix", "cyclegan"] if args.model == "both" else [args.model]
    print(
        f"device: {device}  torch {torch.__version__}  threads {torch.get_num_threads()}  "
        f"size {args.size}x{args.size}, batch 1"
    )
    for name in names:
        iters = args.iters or (5 if name == "pix2pix" else 3)
        if device.type == "cuda":
            iters = max(iters, 20)
        variants = [False, True] if args.compare else [False]
        for channels_last in variants:
            torch.manual_seed(0)
            model, batch = build(name, args.size, device, channels_last)
            seconds = time_steps(model, batch, iters, args.warmup)
            ref = OFFICIAL_CPU_2CORE.get((name, args.size)) if device.type == "cpu" else None
            extra = f"  (official, 2-core CPU: {ref:.2f} s; x{ref / seconds:.2f})" if ref else ""
            tag = " channels_last" if channels_last else ""
            print(f"{name}{tag}: {seconds:.3f} s/iteration (median of {iters}){extra}")


if __name__ == "__main__":
    main()
