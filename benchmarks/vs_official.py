"""Seconds per training step, the course's against the official pix2pix/CycleGAN code, side by side.

Both sides are built with the official defaults (Pix2Pix: unet_256 (unet_128 at 128x128) + basic
PatchGAN, batch norm, dropout, vanilla GAN loss, lambda_L1 100; CycleGAN: two resnet_9blocks, two
basic PatchGANs, instance norm, lsgan, lambda 10 + identity 0.5, pool 50; Adam 2e-4, betas (0.5,
0.999), batch 1, float32) and trained on the same random tensors. The steps are interleaved in one
process (official, ours, official, ours, ...) so that both sides see the same machine load; the
figures are medians over the timed steps, and ``x`` is the official median over ours.

The official code is imported from ``../shared/official`` next to the repository (an unchanged
copy of junyanz/pytorch-CycleGAN-and-pix2pix), or from ``--official PATH``.

    python benchmarks/vs_official.py                       # both models at 256x256
    python benchmarks/vs_official.py --model pix2pix --sizes 256 128 --steps 10
    python benchmarks/vs_official.py --plain               # also our step with the unfused Adam
    python benchmarks/vs_official.py --levers-off          # also our step without the speed levers

``--levers-off`` times our step without the levers that keep the mathematics (the small-map
convolutions as a matrix product, :mod:`course_lib.models.fastconv`; the batched passes of
the discriminators and of CycleGAN's generators), with the fused Adam kept.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from argparse import Namespace
from pathlib import Path

import torch

from course_lib.models import fastconv
from course_lib.training import CycleGAN, CycleGANConfig, Pix2Pix, Pix2PixConfig
from course_lib.utils import get_device

DEFAULT_OFFICIAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "official"


def import_official(path: Path):
    """The official ``Pix2PixModel`` and ``CycleGANModel``, or None when ``path`` lacks them."""
    if not (path / "models" / "pix2pix_model.py").is_file():
        return None
    sys.path.insert(0, str(path.resolve()))
    from models.cycle_gan_model import CycleGANModel
    from models.pix2pix_model import Pix2PixModel

    return Pix2PixModel, CycleGANModel


def official_options(name: str, size: int, device: torch.device) -> Namespace:
    """The options the official ``train.py`` would parse for ``--model name`` (its defaults)."""
    common = dict(
        isTrain=True,
        checkpoints_dir=tempfile.gettempdir(),
        name="speed",
        device=device,
        preprocess="resize_and_crop",
        input_nc=3,
        output_nc=3,
        ngf=64,
        ndf=64,
        netD="basic",
        n_layers_D=3,
        init_type="normal",
        init_gain=0.02,
        direction="AtoB",
        lr=2e-4,
        beta1=0.5,
        continue_train=False,
        epoch="latest",
        load_iter=0,
        epoch_count=1,
        n_epochs=100,
        n_epochs_decay=100,
        lr_policy="linear",
        lr_decay_iters=50,
        verbose=False,
    )
    if name == "pix2pix":
        netg = {256: "unet_256", 128: "unet_128"}[size]
        return Namespace(
            **common, netG=netg, norm="batch", no_dropout=False, gan_mode="vanilla", lambda_L1=100.0
        )
    return Namespace(
        **common,
        netG="resnet_9blocks",
        norm="instance",
        no_dropout=True,
        gan_mode="lsgan",
        lambda_A=10.0,
        lambda_B=10.0,
        lambda_identity=0.5,
        pool_size=50,
    )


def build_official(classes, name: str, size: int, device: torch.device):
    opt = official_options(name, size, device)
    cls = classes[0] if name == "pix2pix" else classes[1]
    with contextlib.redirect_stdout(io.StringIO()):  # it prints every network it builds
        model = cls(opt)
        model.setup(opt)

    def step(batch: dict[str, torch.Tensor]) -> None:
        model.set_input({**batch, "A_paths": [], "B_paths": []})
        model.optimize_parameters()

    return step


def build_ours(name: str, size: int, device: torch.device, fused_adam: bool = True, levers=True):
    if name == "pix2pix":
        num_downs = {256: 8, 128: 7}[size]
        model = Pix2Pix(
            Pix2PixConfig(num_downs=num_downs), device, fused_adam=fused_adam, batch_passes=levers
        )
    else:
        model = CycleGAN(
            CycleGANConfig(n_blocks=9), device, fused_adam=fused_adam, batch_passes=levers
        )
    model.train(True)
    if levers:
        return model.train_step

    def step(batch: dict[str, torch.Tensor]) -> dict[str, float]:
        small, fastconv.SMALL_MAP_PIXELS = fastconv.SMALL_MAP_PIXELS, 0
        try:
            return model.train_step(batch)
        finally:
            fastconv.SMALL_MAP_PIXELS = small

    return step


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def compare(steps: dict, batch, device: torch.device, n: int, warmup: int) -> dict[str, float]:
    """Median seconds of each step function, the functions called in turn ``n`` times."""
    for _ in range(warmup):
        for step in steps.values():
            step(batch)
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(n):
        for name, step in steps.items():
            _sync(device)
            start = time.perf_counter()
            step(batch)
            _sync(device)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["pix2pix", "cyclegan", "both"], default="both")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256], choices=[128, 256])
    parser.add_argument("--steps", type=int, default=None, help="timed steps per side")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--device", default=None)
    parser.add_argument("--official", type=Path, default=DEFAULT_OFFICIAL)
    parser.add_argument("--plain", action="store_true", help="also ours with the unfused Adam")
    parser.add_argument(
        "--levers-off", action="store_true", help="also ours without the speed levers"
    )
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = parser.parse_args(argv)
    device = get_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    classes = import_official(args.official)
    if classes is None:
        print(f"official code not found at {args.official}: nothing to compare against")
        return 0
    print(
        f"device: {device}  torch {torch.__version__}  threads {torch.get_num_threads()}  "
        f"batch 1, float32; load average {os.getloadavg()[0]:.1f}"
    )
    names = ["pix2pix", "cyclegan"] if args.model == "both" else [args.model]
    header = f"{'model':<10}{'size':>6}{'steps':>7}{'official s':>12}{'ours s':>10}{'x':>7}"
    extra = [("plain", "plain s")] if args.plain else []
    extra += [("off", "levers off s")] if args.levers_off else []
    print(header + "".join(f"{title:>{len(title) + 2}}{'x':>7}" for _, title in extra))
    for name in names:
        for size in args.sizes:
            n = args.steps or (10 if name == "pix2pix" else 5)
            gen = torch.Generator().manual_seed(0)
            batch = {key: torch.rand(1, 3, size, size, generator=gen) * 2 - 1 for key in "AB"}
            torch.manual_seed(0)
            steps = {"official": build_official(classes, name, size, device)}
            torch.manual_seed(0)
            steps["ours"] = build_ours(name, size, device)
            if args.plain:
                torch.manual_seed(0)
                steps["plain"] = build_ours(name, size, device, fused_adam=False)
            if args.levers_off:
                torch.manual_seed(0)
                steps["off"] = build_ours(name, size, device, levers=False)
            med = compare(steps, batch, device, n, args.warmup)
            line = (
                f"{name:<10}{size:>6}{n:>7}{med['official']:>12.3f}{med['ours']:>10.3f}"
                f"{med['official'] / med['ours']:>7.2f}"
            )
            for key, title in extra:
                line += f"{med[key]:>{len(title) + 2}.3f}{med['official'] / med[key]:>7.2f}"
            print(line, flush=True)
            del steps
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
