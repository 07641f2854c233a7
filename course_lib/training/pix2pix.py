"""Pix2Pix training (Isola et al. 2017), in the official order: D step, then G step."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from ..losses import pix2pix as losses
from ..models import PatchGANDiscriminator, UNetGenerator
from .common import gan_criterion, make_adam, set_requires_grad
from .trainer import GANTrainer

__all__ = ["Pix2PixConfig", "Pix2Pix"]


@dataclass
class Pix2PixConfig:
    """Settings of a Pix2Pix run; the defaults are the paper's (facades, 256x256)."""

    input_channels: int = 3
    output_channels: int = 3
    num_downs: int = 8
    gen_channels: int = 64
    disc_channels: int = 64
    disc_layers: int = 3
    norm: str = "batch"
    use_dropout: bool = True
    gan_mode: str = "vanilla"
    recon: str = "l1"  # "l1", "l2" or "none"
    use_gan: bool = True
    lambda_recon: float = 100.0
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    channels_last: bool = False


def recon_criterion(kind: str) -> nn.Module | None:
    """The reconstruction term: L1 (the paper's choice), L2, or none (cGAN only)."""
    if kind == "l1":
        return nn.L1Loss()
    if kind == "l2":
        return nn.MSELoss()
    if kind == "none":
        return None
    raise ValueError(f"recon must be 'l1', 'l2' or 'none', got {kind!r}")


class Pix2Pix(GANTrainer):
    """A U-Net generator and a conditional PatchGAN trained with ``cGAN + lambda * L1``.

    ``train_step({"A": condition, "B": target})`` runs the generator once, updates D on
    ``0.5 * (loss(D(fake.detach(), A), 0) + loss(D(B, A), 1))``, then updates G on
    ``loss(D(fake, A), 1) + lambda * L1(B, fake)`` with D frozen. ``use_gan=False`` gives the
    regression-only baselines of the L1-vs-L2 ablation (no discriminator is trained).
    ``fused_adam=False`` uses torch's unfused Adam (see :func:`~course_lib.training.common.
    make_adam`).

    The D step passes the fake and the real pair through the discriminator in one batch
    (:meth:`~course_lib.models.PatchGANDiscriminator.forward_groups`: each half normalised with
    its own batch statistics, the running statistics updated fake first, then real), the same
    function as the two separate calls in one pass that the CPU runs faster.
    ``batch_passes=False`` keeps the separate calls.
    """

    def __init__(
        self,
        config: Pix2PixConfig | None = None,
        device: torch.device | str | None = None,
        amp: bool | None = None,
        *,
        fused_adam: bool = True,
        batch_passes: bool = True,
    ) -> None:
        super().__init__(device, amp)
        self.config = c = config or Pix2PixConfig()
        if not c.use_gan and c.recon == "none":
            raise ValueError("with use_gan=False and recon='none' there is nothing to train")
        self.gen = UNetGenerator(
            c.input_channels, c.output_channels, c.num_downs, c.gen_channels, c.use_dropout, c.norm
        ).to(self.device)
        self.disc = PatchGANDiscriminator(
            c.input_channels + c.output_channels, c.disc_channels, c.disc_layers, c.norm
        ).to(self.device)
        if c.channels_last:
            self.gen.to(memory_format=torch.channels_last)
            self.disc.to(memory_format=torch.channels_last)
        self.adv_criterion = gan_criterion(c.gan_mode)
        self.recon_criterion = recon_criterion(c.recon)
        betas = (c.beta1, c.beta2)
        self.opt_gen = make_adam(self.gen.parameters(), c.lr, betas, self.device, fused_adam)
        self.opt_disc = make_adam(self.disc.parameters(), c.lr, betas, self.device, fused_adam)
        self.batch_passes = batch_passes
        self.networks = {"gen": self.gen, "disc": self.disc}
        self.optimizers = {"gen": self.opt_gen, "disc": self.opt_disc}

    def config_dict(self) -> dict[str, Any]:
        return asdict(self.config)

    def _prepare(self, x: torch.Tensor) -> torch.Tensor:
        x = self.to_device(x)
        if self.config.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        condition, real = self._prepare(batch["A"]), self._prepare(batch["B"])
        c = self.config
        with self.amp.autocast():
            fake = self.gen(condition)
        logs: dict[str, float] = {}
        if c.use_gan:  # D step on the detached fake
            set_requires_grad(self.disc, True)
            self.opt_disc.zero_grad(set_to_none=True)
            with self.amp.autocast():
                if self.batch_passes:
                    loss_disc = self._batched_disc_loss(real, fake, condition)
                else:
                    loss_disc = losses.discriminator_loss(
                        self.disc, real, fake, condition, self.adv_criterion
                    )
            self.amp.backward_step(loss_disc, self.opt_disc, "disc")
            logs["loss_D"] = loss_disc.item()
            set_requires_grad(self.disc, False)  # G step: no gradients for D's weights
        self.opt_gen.zero_grad(set_to_none=True)
        with self.amp.autocast():
            if c.use_gan and self.recon_criterion is not None:
                loss_gen = losses.generator_loss(
                    self.disc,
                    real,
                    fake,
                    condition,
                    self.adv_criterion,
                    self.recon_criterion,
                    c.lambda_recon,
                )
            elif c.use_gan:
                pred = self.disc(fake, condition)
                loss_gen = self.adv_criterion(pred, torch.ones_like(pred))
            else:
                loss_gen = self.recon_criterion(real, fake)
        self.amp.backward_step(loss_gen, self.opt_gen, "gen")
        logs["loss_G"] = loss_gen.item()
        return logs

    def _batched_disc_loss(
        self, real: torch.Tensor, fake: torch.Tensor, condition: torch.Tensor
    ) -> torch.Tensor:
        """:func:`course_lib.losses.pix2pix.discriminator_loss` in one discriminator pass."""
        pred = self.disc.forward_groups(
            torch.cat([fake.detach(), real]), torch.cat([condition, condition]), groups=2
        )
        fake_pred, real_pred = pred.split(real.shape[0])
        fake_loss = self.adv_criterion(fake_pred, torch.zeros_like(fake_pred))
        real_loss = self.adv_criterion(real_pred, torch.ones_like(real_pred))
        return (fake_loss + real_loss) / 2

    @torch.no_grad()
    def generate(self, condition: torch.Tensor, train_mode: bool = False) -> torch.Tensor:
        """Translate a batch. ``train_mode=True`` keeps dropout and batch statistics on, as the
        paper does at test time; the default uses eval mode (running statistics, no dropout)."""
        was_training = self.gen.training
        self.gen.train(train_mode)
        try:
            with self.amp.autocast():
                out = self.gen(self._prepare(condition))
        finally:
            self.gen.train(was_training)
        return out.float()
