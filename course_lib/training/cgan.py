"""Training of the class-conditional DCGAN of the cGAN notebook."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from ..losses import cgan as losses
from ..models import ConditionalDiscriminator, ConditionalGenerator
from .common import make_adam
from .trainer import GANTrainer

__all__ = ["ConditionalGANConfig", "ConditionalGAN"]


@dataclass
class ConditionalGANConfig:
    """Settings of the conditional DCGAN (28x28 images); ``conditional=False`` gives the
    unconditional baseline (the label is not shown to either network)."""

    n_classes: int = 10
    image_channels: int = 1
    z_dim: int = 64
    hidden_channels: int = 64
    conditional: bool = True
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999


class ConditionalGAN(GANTrainer):
    """Generator ``G(z | y)`` and discriminator ``D(x | y)`` trained with BCE-with-logits.

    ``train_step((images, labels))``: one D step on
    :func:`course_lib.losses.cgan.get_disc_loss`, then one G step on
    :func:`course_lib.losses.cgan.get_gen_loss`, with fresh noise for each.

    The notebook trains it with the learner's own functions: ``disc_loss``, ``gen_loss`` and
    ``one_hot`` (the signatures of the reference ``get_disc_loss``, ``get_gen_loss`` and
    ``get_one_hot_labels``) replace the reference ones; the update order stays.
    ``fused_adam=False`` uses torch's unfused Adam (see :func:`~course_lib.training.common.
    make_adam`).
    """

    def __init__(
        self,
        config: ConditionalGANConfig | None = None,
        device: torch.device | str | None = None,
        amp: bool | None = None,
        *,
        disc_loss: Callable[..., torch.Tensor] | None = None,
        gen_loss: Callable[..., torch.Tensor] | None = None,
        one_hot: Callable[[torch.Tensor, int], torch.Tensor] | None = None,
        fused_adam: bool = True,
    ) -> None:
        super().__init__(device, amp)
        self.disc_loss_fn = disc_loss or losses.get_disc_loss
        self.gen_loss_fn = gen_loss or losses.get_gen_loss
        self.one_hot_fn = one_hot or losses.get_one_hot_labels
        self.config = c = config or ConditionalGANConfig()
        n_label = c.n_classes if c.conditional else 0
        gen_in, disc_in = c.z_dim + n_label, c.image_channels + n_label
        self.gen = ConditionalGenerator(gen_in, c.image_channels, c.hidden_channels).to(self.device)
        self.disc = ConditionalDiscriminator(disc_in, c.hidden_channels).to(self.device)
        self.criterion = nn.BCEWithLogitsLoss()
        betas = (c.beta1, c.beta2)
        self.opt_gen = make_adam(self.gen.parameters(), c.lr, betas, self.device, fused_adam)
        self.opt_disc = make_adam(self.disc.parameters(), c.lr, betas, self.device, fused_adam)
        self.networks = {"gen": self.gen, "disc": self.disc}
        self.optimizers = {"gen": self.opt_gen, "disc": self.opt_disc}

    def config_dict(self) -> dict[str, Any]:
        return asdict(self.config)

    def _one_hot(self, labels: torch.Tensor) -> torch.Tensor:
        if not self.config.conditional:  # the baseline sees no label at all
            return torch.zeros(len(labels), 0, device=self.device)
        return self.one_hot_fn(labels, self.config.n_classes)

    def train_step(self, batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, float]:
        images, labels = batch
        real, labels = self.to_device(images), self.to_device(labels)
        one_hot = self._one_hot(labels)
        n, z_dim = len(real), self.config.z_dim
        self.opt_disc.zero_grad(set_to_none=True)
        with self.amp.autocast():
            noise = torch.randn(n, z_dim, device=self.device)
            loss_disc = self.disc_loss_fn(self.gen, self.disc, real, one_hot, noise, self.criterion)
        self.amp.backward_step(loss_disc, self.opt_disc, "disc")
        self.opt_gen.zero_grad(set_to_none=True)
        with self.amp.autocast():
            noise = torch.randn(n, z_dim, device=self.device)
            loss_gen = self.gen_loss_fn(self.gen, self.disc, one_hot, noise, self.criterion)
        self.amp.backward_step(loss_gen, self.opt_gen, "gen")
        return {"loss_D": loss_disc.item(), "loss_G": loss_gen.item()}

    @torch.no_grad()
    def sample(self, labels: torch.Tensor, seed: int | None = None) -> torch.Tensor:
        """Generate one image per requested label (eval mode), in [-1, 1]."""
        gen = torch.Generator(device="cpu")
        if seed is not None:
            gen.manual_seed(seed)
        noise = torch.randn(len(labels), self.config.z_dim, generator=gen).to(self.device)
        one_hot = self._one_hot(self.to_device(labels))
        was_training = self.gen.training
        self.gen.eval()
        try:
            with self.amp.autocast():
                out = self.gen(losses.combine_vectors(noise, one_hot))
        finally:
            self.gen.train(was_training)
        return out.float()
