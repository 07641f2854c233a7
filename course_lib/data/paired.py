"""Paired images for pix2pix: the "AB" layout of the official datasets.

Every file of ``facades/train``, ``maps/val``, ``edges2shoes/train``... holds one training
pair *side by side*: the left half is image A, the right half image B (``aligned_dataset.py``
in the official code). ``direction="AtoB"`` makes A the input (the condition) and B the
target; ``"BtoA"`` swaps them, e.g. to turn facade photos back into label maps.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import Dataset

from .images import IMG_EXTENSIONS, list_images, load_image
from .transforms import SampleRNG, apply_params, check_sizes, get_params

__all__ = ["PairedABDataset", "PAIRED_SPLITS", "DIRECTIONS", "split_ab"]

#: The split folders of the pix2pix layout.
PAIRED_SPLITS: tuple[str, ...] = ("train", "val", "test")
#: Which half is the input: ``"AtoB"`` (left half is the input) or ``"BtoA"``.
DIRECTIONS: tuple[str, ...] = ("AtoB", "BtoA")

_LAYOUT = "<root>/{split}/*.jpg (or .png...) with A (left half) and B (right half) side by side"


def split_ab(
    image: Image.Image, path: str | os.PathLike[str] = "<image>"
) -> tuple[Image.Image, Image.Image]:
    """Cut an AB image into its left half A and right half B (PIL images).

    Raises ``ValueError`` naming the file when the width is odd: the two halves would not have
    the same size, which usually means the file is not an AB pair at all.
    """
    width, height = image.size
    if width % 2:
        raise ValueError(
            f"{path} is {width}x{height} pixels: AB images must have an even width "
            "(A is the left half, B the right half)"
        )
    half = width // 2
    return image.crop((0, 0, half, height)), image.crop((half, 0, width, height))


class PairedABDataset(Dataset):
    """Pairs (A, B) read from AB images in ``root/<split>/``, preprocessed as in pix2pix.

    Each item is a dict ``{"A": input, "B": target, "path": file}`` with float32 tensors of
    shape (3, crop_size, crop_size) in [-1, 1]; with ``direction="BtoA"`` the halves are swapped
    so that ``"A"`` is always what the generator receives.

    Training items (``train=None`` means ``split == "train"``) are resized to ``load_size``,
    randomly cropped to ``crop_size`` and flipped with probability 0.5, with the *same* crop and
    flip for A and B. Other items are resized straight to ``crop_size``, without randomness.
    ``seed`` makes the random choices reproducible; ``max_items`` keeps only the first files
    (like the official ``--max_dataset_size``).
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        split: str = "train",
        load_size: int = 286,
        crop_size: int = 256,
        flip: bool = True,
        direction: str = "AtoB",
        train: bool | None = None,
        seed: int | None = None,
        max_items: int | None = None,
    ) -> None:
        if split not in PAIRED_SPLITS:
            raise ValueError(f"split must be one of {', '.join(PAIRED_SPLITS)}; got {split!r}")
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}; got {direction!r}")
        check_sizes(load_size, crop_size)
        self.root = Path(root)
        self.split = split
        self.load_size = load_size
        self.crop_size = crop_size
        self.flip = flip
        self.direction = direction
        self.train = split == "train" if train is None else bool(train)
        self.rng = SampleRNG(seed)

        layout = _LAYOUT.format(split=split)
        if not self.root.is_dir():
            raise FileNotFoundError(
                f"dataset folder {self.root} does not exist; expected the pix2pix layout {layout}"
            )
        folder = self.root / split
        if not folder.is_dir():
            present = [s for s in PAIRED_SPLITS if (self.root / s).is_dir()]
            found = f"found only {', '.join(present)}" if present else "found no split folder"
            raise FileNotFoundError(
                f"split folder {folder} does not exist ({found}); expected the pix2pix layout "
                f"{layout}"
            )
        self.paths = list_images(folder)
        if not self.paths:
            raise FileNotFoundError(
                f"no images in {folder} (looked for {', '.join(IMG_EXTENSIONS)}); expected "
                f"the pix2pix layout {layout}"
            )
        if max_items is not None:
            self.paths = self.paths[: max(0, int(max_items))]

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor | str]:
        path = self.paths[index]
        image_a, image_b = split_ab(load_image(path, "RGB"), path)
        params = get_params(
            self.load_size,
            self.crop_size,
            flip=self.flip,
            train=self.train,
            generator=self.rng.generator(),
        )
        sizes = {"load_size": self.load_size, "crop_size": self.crop_size, "train": self.train}
        a = apply_params(image_a, params, **sizes)
        b = apply_params(image_b, params, **sizes)
        if self.direction == "BtoA":
            a, b = b, a
        return {"A": a, "B": b, "path": str(path)}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(root={str(self.root)!r}, split={self.split!r}, "
            f"n={len(self)}, load_size={self.load_size}, crop_size={self.crop_size}, "
            f"flip={self.flip}, direction={self.direction!r}, train={self.train})"
        )
