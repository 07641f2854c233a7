"""CycleGAN objective (Zhu et al. 2017): adversarial, cycle-consistency and identity losses.

Notation as in the lecture: two domains ``A`` and ``B`` (``X`` and ``Y`` in the paper),
generators ``gen_AB: A -> B`` and ``gen_BA: B -> A``, discriminators ``disc_A`` (is this a real
``A``?) and ``disc_B``. The paper uses least-squares GAN losses (``nn.MSELoss``).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = [
    "get_disc_loss",
    "get_gen_adversarial_loss",
    "get_identity_loss",
    "get_cycle_consistency_loss",
    "get_gen_loss",
]


def get_disc_loss(
    real_X: torch.Tensor, fake_X: torch.Tensor, disc_X: nn.Module, adv_criterion: nn.Module
) -> torch.Tensor:
    """Discriminator loss for domain X: real images against ones, generated ones against zeros.

    ``fake_X`` is detached (the generator is trained by its own loss); the result is the mean
    of the two terms, as the official ``backward_D_basic``.
    """
    fake_pred = disc_X(fake_X.detach())
    real_pred = disc_X(real_X)
    fake_loss = adv_criterion(fake_pred, torch.zeros_like(fake_pred))
    real_loss = adv_criterion(real_pred, torch.ones_like(real_pred))
    return (fake_loss + real_loss) / 2


def get_gen_adversarial_loss(
    real_X: torch.Tensor, disc_Y: nn.Module, gen_XY: nn.Module, adv_criterion: nn.Module
) -> tuple[torch.Tensor, torch.Tensor]:
    """Adversarial loss of the generator X -> Y; returns ``(loss, fake_Y)``.

    ``fake_Y = gen_XY(real_X)`` should make ``disc_Y`` answer "real" (ones) on every patch.
    """
    fake_Y = gen_XY(real_X)
    pred = disc_Y(fake_Y)
    return adv_criterion(pred, torch.ones_like(pred)), fake_Y


def get_identity_loss(
    real_X: torch.Tensor, gen_YX: nn.Module, identity_criterion: nn.Module
) -> tuple[torch.Tensor, torch.Tensor]:
    """Identity loss: a generator into X should leave an image already in X unchanged.

    Returns ``(identity_criterion(gen_YX(real_X), real_X), gen_YX(real_X))``.
    """
    identity_X = gen_YX(real_X)
    return identity_criterion(identity_X, real_X), identity_X


def get_cycle_consistency_loss(
    real_X: torch.Tensor, fake_Y: torch.Tensor, gen_YX: nn.Module, cycle_criterion: nn.Module
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cycle-consistency loss: ``X -> Y -> X`` should return to the start.

    Returns ``(cycle_criterion(gen_YX(fake_Y), real_X), gen_YX(fake_Y))``. ``fake_Y`` is not
    detached: the loss trains both generators.
    """
    cycle_X = gen_YX(fake_Y)
    return cycle_criterion(cycle_X, real_X), cycle_X


def get_gen_loss(
    real_A: torch.Tensor,
    real_B: torch.Tensor,
    gen_AB: nn.Module,
    gen_BA: nn.Module,
    disc_A: nn.Module,
    disc_B: nn.Module,
    adv_criterion: nn.Module,
    identity_criterion: nn.Module,
    cycle_criterion: nn.Module,
    lambda_identity: float = 0.1,
    lambda_cycle: float = 10,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Full generator objective of both directions; returns ``(gen_loss, fake_A, fake_B)``.

    ``L = L_GAN(AB) + L_GAN(BA) + lambda_identity * (L_id(A) + L_id(B))
    + lambda_cycle * (L_cyc(A) + L_cyc(B))``. The official code writes the identity weight as
    ``0.5 * lambda_cycle`` (5 with the default 10); the DLAI notebooks use ``lambda_identity=0.1``.
    """
    adv_AB, fake_B = get_gen_adversarial_loss(real_A, disc_B, gen_AB, adv_criterion)
    adv_BA, fake_A = get_gen_adversarial_loss(real_B, disc_A, gen_BA, adv_criterion)
    identity_A, _ = get_identity_loss(real_A, gen_BA, identity_criterion)
    identity_B, _ = get_identity_loss(real_B, gen_AB, identity_criterion)
    cycle_A, _ = get_cycle_consistency_loss(real_A, fake_B, gen_BA, cycle_criterion)
    cycle_B, _ = get_cycle_consistency_loss(real_B, fake_A, gen_AB, cycle_criterion)
    gen_loss = (
        adv_AB
        + adv_BA
        + lambda_identity * (identity_A + identity_B)
        + lambda_cycle * (cycle_A + cycle_B)
    )
    return gen_loss, fake_A, fake_B
