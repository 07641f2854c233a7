"""Seconds per training iteration of Pix2Pix and CycleGAN at the papers' settings.

One Pix2Pix step: unet_256 + 70x70 PatchGAN, batch 1, 256x256, Adam, D then G.
One CycleGAN step: two resnet_9blocks generators, two PatchGANs, 256x256, batch 1, image pool.
Random tensors stand in for images; the figure is the median over the timed iterations.

    python benchmarks/train_speed.py                  # both models, current device
    python benchmarks/train_speed.py --size 128 --model pix2pix --iters 5
    python benchmarks/train_speed.py --compare        # also time the variants (channels_last)
    python benchmarks/train_speed.py --lessons        # the lessons' own steps, before and now

``--lessons`` times one training step of each lesson with its default settings on this device
(lesson 01: the conditional DCGAN, batch 64; lessons 02-03: Pix2Pix at 64x64, batch 4; lessons
04-06: CycleGAN on 32x32 crops, batch 4, one CPU thread as the lessons train it, without and
with the identity term) in three variants interleaved in one process: torch's plain Adam
without the speed levers, the fused Adam without them ("before": the step before the levers of
:mod:`course_lib.models.fastconv` and the batched passes), and the step as it is now; it prints
iterations per second. ``benchmarks/vs_official.py`` compares
against the official code.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from course_lib.models import fastconv
from course_lib.training import CycleGAN, CycleGANConfig, Pix2Pix, Pix2PixConfig
from course_lib.utils import get_device


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


def lesson_models(device: torch.device, fused_adam: bool, levers: bool = True):
    """(name, model, batch, CPU threads) for each lesson's training step, default settings;
    ``levers=False`` builds the models without the batched passes."""
    from course_lib.experiments import cgan, cyclegan, pix2pix
    from course_lib.training import ConditionalGAN, ConditionalGANConfig

    gen = torch.Generator().manual_seed(0)
    out = []
    s1 = cgan.CPU
    torch.manual_seed(0)
    model = ConditionalGAN(
        ConditionalGANConfig(z_dim=s1.z_dim, hidden_channels=s1.hidden_channels, lr=s1.lr),
        device,
        fused_adam=fused_adam,
    )
    images = torch.rand(s1.batch_size, 1, 28, 28, generator=gen) * 2 - 1
    labels = torch.randint(0, 10, (s1.batch_size,), generator=gen)
    out.append(("01 cGAN 28x28", model, (images, labels), None))
    s2 = pix2pix.CPU
    torch.manual_seed(0)
    model = Pix2Pix(s2.config(), device, fused_adam=fused_adam, batch_passes=levers)
    batch = {
        key: torch.rand(s2.batch_size, 3, s2.image_size, s2.image_size, generator=gen) * 2 - 1
        for key in "AB"
    }
    out.append(("02-03 Pix2Pix 64x64", model, batch, None))
    s4 = cyclegan.CPU
    batch = {
        key: torch.rand(s4.batch_size, 3, s4.crop_size, s4.crop_size, generator=gen) * 2 - 1
        for key in "AB"
    }
    for label, lambda_identity in (("04, 06 CycleGAN 32x32", 0.0), ("05 CycleGAN + identity", 5.0)):
        torch.manual_seed(0)
        config = CycleGANConfig(
            gen_channels=s4.gen_channels,
            n_blocks=s4.n_blocks,
            disc_channels=s4.disc_channels,
            disc_layers=s4.disc_layers,
            lambda_identity=lambda_identity,
            lr=s4.lr,
        )
        model = CycleGAN(
            config,
            device,
            gen_loss=cyclegan.make_gen_loss(),
            fused_adam=fused_adam,
            batch_passes=levers,
        )
        out.append((label, model, batch, s4.cpu_threads))
    return out


def _step(model, batch, levers: bool) -> None:
    """One training step; without the levers the small-map convolutions take torch's layers."""
    small = fastconv.SMALL_MAP_PIXELS
    if not levers:
        fastconv.SMALL_MAP_PIXELS = 0
    try:
        model.train_step(batch)
    finally:
        fastconv.SMALL_MAP_PIXELS = small


def lessons(device: torch.device, iters: int, warmup: int) -> None:
    """Iterations per second of each lesson's step: plain Adam, fused Adam without the speed
    levers (before) and the step as it is now, interleaved."""
    from course_lib.experiments.cyclegan import cpu_threads

    variants = {  # name: (fused Adam, levers)
        "plain": (False, False),
        "before": (True, False),
        "now": (True, True),
    }
    built = {key: lesson_models(device, *flags) for key, flags in variants.items()}
    print(
        f"{'lesson':<26}{'threads':>8}{'plain it/s':>12}{'before it/s':>13}{'now it/s':>10}{'x':>7}"
    )
    for i, (name, _, batch, threads) in enumerate(built["now"]):
        threads = threads if device.type == "cpu" else None
        models = {key: built[key][i][1] for key in variants}
        with cpu_threads(threads):
            for _ in range(warmup):
                for key, model in models.items():
                    _step(model, batch, variants[key][1])
            times: dict[str, list[float]] = {key: [] for key in variants}
            for _ in range(iters):
                for key, model in models.items():
                    _sync(device)
                    start = time.perf_counter()
                    _step(model, batch, variants[key][1])
                    _sync(device)
                    times[key].append(time.perf_counter() - start)
        med = {key: statistics.median(t) for key, t in times.items()}
        shown = threads or torch.get_num_threads()
        print(
            f"{name:<26}{shown:>8}{1 / med['plain']:>12.2f}{1 / med['before']:>13.2f}"
            f"{1 / med['now']:>10.2f}{med['before'] / med['now']:>7.2f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["pix2pix", "cyclegan", "both"], default="both")
    parser.add_argument("--size", type=int, default=256, choices=[64, 128, 256])
    parser.add_argument("--iters", type=int, default=None, help="timed iterations")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--device", default=None)
    parser.add_argument("--compare", action="store_true", help="also time channels_last")
    parser.add_argument("--lessons", action="store_true", help="the lessons' steps instead")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = parser.parse_args()
    device = get_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.lessons:
        lessons(device, args.iters or 20, args.warmup)
        return
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
            tag = " channels_last" if channels_last else ""
            print(f"{name}{tag}: {seconds:.3f} s/iteration (median of {iters})")


if __name__ == "__main__":
    main()
