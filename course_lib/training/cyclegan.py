"""CycleGAN training (Zhu et al. 2017), in the official order: generators, then discriminators."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from ..image_pool import ImagePool
from ..losses import cyclegan as losses
from ..models import PatchGANDiscriminator, ResnetGenerator
from .common import gan_criterion, make_adam, set_requires_grad
from .trainer import GANTrainer

__all__ = ["CycleGANConfig", "CycleGAN"]


@dataclass
class CycleGANConfig:
    """Settings of a CycleGAN run; the defaults are the paper's (256x256, 9 residual blocks).

    ``lambda_identity`` is the weight of the identity term itself; the official code's
    ``--lambda_identity 0.5`` is relative to ``lambda_cycle``, i.e. ``0.5 * 10 = 5`` here.
    """

    input_channels: int = 3
    output_channels: int = 3
    gen_channels: int = 64
    n_blocks: int = 9
    disc_channels: int = 64
    disc_layers: int = 3
    norm: str = "instance"
    gan_mode: str = "lsgan"
    lambda_cycle: float = 10.0
    lambda_identity: float = 5.0
    pool_size: int = 50
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999


class CycleGAN(GANTrainer):
    """Two ResNet generators and two PatchGAN discriminators with the full CycleGAN objective.

    One step: the generators' loss (:func:`course_lib.losses.cyclegan.get_gen_loss`: adversarial
    + ``lambda_cycle`` x cycle + ``lambda_identity`` x identity) with both discriminators frozen
    and one Adam for both generators; then each discriminator on a real image and a fake drawn
    through its image pool (:func:`course_lib.losses.cyclegan.get_disc_loss`, halved), one Adam
    for both discriminators.

    The notebooks train it with the learner's own pieces: ``gen_loss`` (the signature of
    :func:`course_lib.losses.cyclegan.get_gen_loss`), ``disc_loss`` (that of
    :func:`course_lib.losses.cyclegan.get_disc_loss`) and ``pool`` (a class used as
    ``pool(pool_size).query(images)``) replace the reference ones; the update order stays.
    ``fused_adam=False`` uses torch's unfused Adam (see :func:`~course_lib.training.common.
    make_adam`).

    With the reference losses and a per-image norm (instance norm or none), the step stacks the
    generator passes that do not depend on each other into one batch: ``gen_AB`` on
    ``[real_A, real_B]`` (the fake B and B's identity), ``gen_BA`` on ``[real_B, fake_B,
    real_A]`` (the fake A, A's cycle and A's identity), then ``gen_AB`` on the fake A (B's cycle);
    each discriminator sees ``[fake, real]`` in one pass. Every image is normalised on its own,
    so these are the same functions as the six and four separate passes (the sums are added in
    another order, to rounding), in three and two calls with twice the work each, which the
    CPU runs faster. With ``lambda_identity == 0`` the identity passes are skipped, as the
    official code does. ``batch_passes=False`` keeps the separate passes.
    """

    def __init__(
        self,
        config: CycleGANConfig | None = None,
        device: torch.device | str | None = None,
        amp: bool | None = None,
        *,
        gen_loss: Callable[..., Any] | None = None,
        disc_loss: Callable[..., Any] | None = None,
        pool: type | None = None,
        fused_adam: bool = True,
        batch_passes: bool = True,
    ) -> None:
        super().__init__(device, amp)
        self.gen_loss_fn = gen_loss or losses.get_gen_loss
        self.disc_loss_fn = disc_loss or losses.get_disc_loss
        self.config = c = config or CycleGANConfig()
        if c.lambda_identity > 0 and c.input_channels != c.output_channels:
            raise ValueError(
                "the identity loss feeds domain-B images to the A->B generator, so it needs "
                f"input_channels == output_channels (got {c.input_channels} and "
                f"{c.output_channels}); set lambda_identity=0"
            )

        def gen(cin: int, cout: int) -> nn.Module:
            return ResnetGenerator(cin, cout, c.gen_channels, c.n_blocks, c.norm).to(self.device)

        def disc(cin: int) -> nn.Module:
            return PatchGANDiscriminator(cin, c.disc_channels, c.disc_layers, c.norm).to(
                self.device
            )

        self.gen_AB = gen(c.input_channels, c.output_channels)
        self.gen_BA = gen(c.output_channels, c.input_channels)
        self.disc_A = disc(c.input_channels)
        self.disc_B = disc(c.output_channels)
        self.adv_criterion = gan_criterion(c.gan_mode)
        self.cycle_criterion = nn.L1Loss()
        self.identity_criterion = nn.L1Loss()
        pool = pool or ImagePool
        self.pool_A = pool(c.pool_size)
        self.pool_B = pool(c.pool_size)
        betas = (c.beta1, c.beta2)
        self.opt_gen = make_adam(
            itertools.chain(self.gen_AB.parameters(), self.gen_BA.parameters()),
            c.lr,
            betas,
            self.device,
            fused_adam,
        )
        self.opt_disc = make_adam(
            itertools.chain(self.disc_A.parameters(), self.disc_B.parameters()),
            c.lr,
            betas,
            self.device,
            fused_adam,
        )
        self.networks = {
            "gen_AB": self.gen_AB,
            "gen_BA": self.gen_BA,
            "disc_A": self.disc_A,
            "disc_B": self.disc_B,
        }
        self.optimizers = {"gen": self.opt_gen, "disc": self.opt_disc}
        self.batch_passes = batch_passes and c.norm != "batch"

    def _batched_gen_loss(
        self, real_A: torch.Tensor, real_B: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """:func:`course_lib.losses.cyclegan.get_gen_loss` in three generator calls."""
        c, n = self.config, real_A.shape[0]
        identity = c.lambda_identity != 0
        if identity:
            fake_B, identity_B = self.gen_AB(torch.cat([real_A, real_B])).split(n)
            fake_A, cycle_A, identity_A = self.gen_BA(torch.cat([real_B, fake_B, real_A])).split(n)
        else:
            fake_B = self.gen_AB(real_A)
            fake_A, cycle_A = self.gen_BA(torch.cat([real_B, fake_B])).split(n)
        cycle_B = self.gen_AB(fake_A)
        pred_B, pred_A = self.disc_B(fake_B), self.disc_A(fake_A)
        adv_AB = self.adv_criterion(pred_B, torch.ones_like(pred_B))
        adv_BA = self.adv_criterion(pred_A, torch.ones_like(pred_A))
        loss = adv_AB + adv_BA
        if identity:
            loss = loss + c.lambda_identity * (
                self.identity_criterion(identity_A, real_A)
                + self.identity_criterion(identity_B, real_B)
            )
        loss = loss + c.lambda_cycle * (
            self.cycle_criterion(cycle_A, real_A) + self.cycle_criterion(cycle_B, real_B)
        )
        return loss, fake_A, fake_B

    def _batched_disc_loss(
        self, real: torch.Tensor, fake: torch.Tensor, disc: nn.Module
    ) -> torch.Tensor:
        """:func:`course_lib.losses.cyclegan.get_disc_loss` in one discriminator call."""
        fake_pred, real_pred = disc(torch.cat([fake.detach(), real])).split(fake.shape[0])
        fake_loss = self.adv_criterion(fake_pred, torch.zeros_like(fake_pred))
        real_loss = self.adv_criterion(real_pred, torch.ones_like(real_pred))
        return (fake_loss + real_loss) / 2

    def _disc_loss(self, real: torch.Tensor, fake: torch.Tensor, disc: nn.Module) -> torch.Tensor:
        return self.disc_loss_fn(real, fake, disc, self.adv_criterion)

    def config_dict(self) -> dict[str, Any]:
        return asdict(self.config)

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        real_A, real_B = self.to_device(batch["A"]), self.to_device(batch["B"])
        c = self.config
        discs = [self.disc_A, self.disc_B]
        set_requires_grad(discs, False)
        self.opt_gen.zero_grad(set_to_none=True)
        with self.amp.autocast():
            if self.batch_passes and self.gen_loss_fn is losses.get_gen_loss:
                loss_gen, fake_A, fake_B = self._batched_gen_loss(real_A, real_B)
            else:
                loss_gen, fake_A, fake_B = self.gen_loss_fn(
                    real_A,
                    real_B,
                    self.gen_AB,
                    self.gen_BA,
                    self.disc_A,
                    self.disc_B,
                    self.adv_criterion,
                    self.identity_criterion,
                    self.cycle_criterion,
                    lambda_identity=c.lambda_identity,
                    lambda_cycle=c.lambda_cycle,
                )
        self.amp.backward_step(loss_gen, self.opt_gen, "gen")
        set_requires_grad(discs, True)
        self.opt_disc.zero_grad(set_to_none=True)
        # the pools store and return detached images: no gradient reaches the generators
        pooled_A = self.pool_A.query(fake_A.detach())
        pooled_B = self.pool_B.query(fake_B.detach())
        batched = self.batch_passes and self.disc_loss_fn is losses.get_disc_loss
        disc_loss = self._batched_disc_loss if batched else self._disc_loss
        with self.amp.autocast():
            loss_disc_A = disc_loss(real_A, pooled_A, self.disc_A)
            loss_disc_B = disc_loss(real_B, pooled_B, self.disc_B)
        self.amp.backward_step(loss_disc_A + loss_disc_B, self.opt_disc, "disc")
        return {
            "loss_G": loss_gen.item(),
            "loss_D_A": loss_disc_A.item(),
            "loss_D_B": loss_disc_B.item(),
        }

    @torch.no_grad()
    def translate(self, images: torch.Tensor, direction: str = "AtoB") -> torch.Tensor:
        """Translate a batch A -> B (``"AtoB"``) or B -> A (``"BtoA"``)."""
        if direction not in ("AtoB", "BtoA"):
            raise ValueError(f"direction must be 'AtoB' or 'BtoA', got {direction!r}")
        gen = self.gen_AB if direction == "AtoB" else self.gen_BA
        with self.amp.autocast():
            return gen(self.to_device(images)).float()
