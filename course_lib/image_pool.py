"""The image pool (history buffer) of CycleGAN (Shrivastava et al. 2017; Zhu et al. 2017, 4).

The discriminators are updated with a history of generated images rather than only the latest
ones, which reduces model oscillation.
"""

from __future__ import annotations

import random

import torch

__all__ = ["ImagePool"]


class ImagePool:
    """A buffer of up to ``pool_size`` previously generated images (official semantics).

    ``query(images)`` goes through the batch one image at a time. Until the pool is full each
    image is stored and returned. Once it is full, with probability 1/2 a randomly chosen stored
    image is returned and the new image takes its slot; otherwise the new image is returned and
    the pool is left as it is. Stored and returned images are detached from the autograd graph.
    With ``pool_size=0`` the input batch is returned as it is.
    """

    def __init__(self, pool_size: int) -> None:
        if pool_size < 0:
            raise ValueError(f"pool_size must be >= 0, got {pool_size}")
        self.pool_size = pool_size
        self.images: list[torch.Tensor] = []

    def __len__(self) -> int:
        return len(self.images)

    def query(self, images: torch.Tensor) -> torch.Tensor:
        """Return a batch of the same shape mixing new and stored images."""
        if self.pool_size == 0:
            return images
        returned = []
        for image in images.detach():
            image = image.unsqueeze(0)
            if len(self.images) < self.pool_size:
                self.images.append(image)
                returned.append(image)
            elif random.random() < 0.5:
                slot = random.randrange(self.pool_size)
                returned.append(self.images[slot])
                self.images[slot] = image
            else:
                returned.append(image)
        return torch.cat(returned, dim=0)
