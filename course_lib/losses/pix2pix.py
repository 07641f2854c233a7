"""Pix2Pix objective (Isola et al. 2017): a conditional GAN loss plus an L1 reconstruction.

``G* = arg min_G max_D L_cGAN(G, D) + lambda * L_L1(G)`` with ``lambda = 100``. The
discriminator is called as ``disc(image, condition)`` and returns a map of patch logits.

:func:`get_gen_loss` and :func:`get_disc_loss` take the generator and compute the fake image
themselves (the exercises' signatures). The training loop generates the fake once per step and
calls :func:`generator_loss` and :func:`discriminator_loss`, as the official code does.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["get_gen_loss", "get_disc_loss", "generator_loss", "discriminator_loss"]


def generator_loss(
    disc: nn.Module,
    real: torch.Tensor,
    fake: torch.Tensor,
    condition: torch.Tensor,
    adv_criterion: nn.Module,
    recon_criterion: nn.Module,
    lambda_recon: float,
) -> torch.Tensor:
    """``adv_criterion(disc(fake, condition), 1) + lambda_recon * recon_criterion(real, fake)``."""
    pred = disc(fake, condition)
    adv_loss = adv_criterion(pred, torch.ones_like(pred))
    return adv_loss + lambda_recon * recon_criterion(real, fake)


def discriminator_loss(
    disc: nn.Module,
    real: torch.Tensor,
    fake: torch.Tensor,
    condition: torch.Tensor,
    adv_criterion: nn.Module,
) -> torch.Tensor:
    """``(adv(disc(fake.detach(), c), 0) + adv(disc(real, c), 1)) / 2``."""
    fake_pred = disc(fake.detach(), condition)
    real_pred = disc(real, condition)
    fake_loss = adv_criterion(fake_pred, torch.zeros_like(fake_pred))
    real_loss = adv_criterion(real_pred, torch.ones_like(real_pred))
    return (fake_loss + real_loss) / 2


def get_gen_loss(
    gen: nn.Module,
    disc: nn.Module,
    real: torch.Tensor,
    condition: torch.Tensor,
    adv_criterion: nn.Module,
    recon_criterion: nn.Module,
    lambda_recon: float,
) -> torch.Tensor:
    """Generator loss: fool the discriminator on every patch, and stay close to the target.

    ``fake = gen(condition)``; adversarial term ``adv_criterion(disc(fake, condition), 1)``
    (the patch map against ones), plus ``lambda_recon * recon_criterion(real, fake)``.
    """
    fake = gen(condition)
    return generator_loss(disc, real, fake, condition, adv_criterion, recon_criterion, lambda_recon)


def get_disc_loss(
    gen: nn.Module,
    disc: nn.Module,
    real: torch.Tensor,
    condition: torch.Tensor,
    adv_criterion: nn.Module,
) -> torch.Tensor:
    """Discriminator loss: half the sum of the fake term (against zeros) and the real term.

    The generated image is detached so this loss sends no gradient into the generator;
    the official code halves the sum "to slow down the rate at which D learns relative to G".
    """
    with torch.no_grad():
        fake = gen(condition)
    return discriminator_loss(disc, real, fake, condition, adv_criterion)
