"""Unpaired images for CycleGAN: two folders of images, one per domain.

The official layout (``unaligned_dataset.py``) is ``root/trainA``, ``root/trainB``,
``root/testA``, ``root/testB``. Nothing pairs the i-th horse with the i-th zebra, so the
official loader walks through domain A in order and draws the B image *at random* for every
item (``--serial_batches`` makes it take ``B[i % len(B)]`` instead); the length of an epoch
is the size of the larger domain. A and B are cropped and flipped independently.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch.utils.data import Dataset

from .images import IMG_EXTENSIONS, list_images, load_image
from .transforms import SampleRNG, apply_params, check_sizes, get_params

__all__ = ["UnpairedDataset", "UNPAIRED_SPLITS"]

#: The splits of the CycleGAN layout (the folders are ``<split>A`` and ``<split>B``).
UNPAIRED_SPLITS: tuple[str, ...] = ("train", "test")

_LAYOUT = "<root>/{split}A/*.jpg and <root>/{split}B/*.jpg (one folder of images per domain)"


class UnpairedDataset(Dataset):
    """Unpaired samples of two domains, read from ``root/<split>A`` and ``root/<split>B``.

    Item ``i`` is ``{"A", "B", "A_path", "B_path"}``: A is ``A[i % len(A)]`` and B a random
    image of domain B (``B[i % len(B)]`` with ``serial_batches=True``), both float32 tensors
    (3, crop_size, crop_size) in [-1, 1]. ``len()`` is ``max(len(A), len(B))``.

    Training preprocessing (``train=None`` means ``split == "train"``): resize to
    ``load_size``, random crop to ``crop_size``, random flip, drawn separately for A and B.
    At test time images are resized to ``crop_size`` and nothing is random, except the choice
    of B unless ``serial_batches``. ``seed`` makes all random choices reproducible.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        split: str = "train",
        load_size: int = 286,
        crop_size: int = 256,
        flip: bool = True,
        serial_batches: bool = False,
        seed: int | None = None,
        train: bool | None = None,
        max_items: int | None = None,
    ) -> None:
        if split not in UNPAIRED_SPLITS:
            raise ValueError(f"split must be one of {', '.join(UNPAIRED_SPLITS)}; got {split!r}")
        check_sizes(load_size, crop_size)
        self.root = Path(root)
        self.split = split
        self.load_size = load_size
        self.crop_size = crop_size
        self.flip = flip
        self.serial_batches = serial_batches
        self.train = split == "train" if train is None else bool(train)
        self.rng = SampleRNG(seed)

        layout = _LAYOUT.format(split=split)
        if not self.root.is_dir():
            raise FileNotFoundError(
                f"dataset folder {self.root} does not exist; expected the CycleGAN layout {layout}"
            )
        folders = {side: self.root / f"{split}{side}" for side in ("A", "B")}
        missing = [str(folder) for folder in folders.values() if not folder.is_dir()]
        if missing:
            raise FileNotFoundError(
                f"missing folder {' and '.join(missing)}; expected the CycleGAN layout {layout}"
            )
        self.paths_A = list_images(folders["A"])
        self.paths_B = list_images(folders["B"])
        for side, paths in (("A", self.paths_A), ("B", self.paths_B)):
            if not paths:
                raise FileNotFoundError(
                    f"no images in {folders[side]} (looked for {', '.join(IMG_EXTENSIONS)}); "
                    f"expected the CycleGAN layout {layout}"
                )
        if max_items is not None:
            self.paths_A = self.paths_A[: max(1, int(max_items))]
            self.paths_B = self.paths_B[: max(1, int(max_items))]

    def __len__(self) -> int:
        return max(len(self.paths_A), len(self.paths_B))

    def _load(self, path: Path, generator: torch.Generator | None) -> torch.Tensor:
        params = get_params(
            self.load_size, self.crop_size, flip=self.flip, train=self.train, generator=generator
        )
        return apply_params(
            load_image(path, "RGB"),
            params,
            load_size=self.load_size,
            crop_size=self.crop_size,
            train=self.train,
        )

    def __getitem__(self, index: int) -> dict[str, torch.Tensor | str]:
        if not 0 <= index < len(self):
            if -len(self) <= index < 0:
                index += len(self)
            else:
                raise IndexError(f"index {index} out of range for {len(self)} items")
        generator = self.rng.generator()
        path_a = self.paths_A[index % len(self.paths_A)]
        if self.serial_batches:
            index_b = index % len(self.paths_B)
        else:
            index_b = int(torch.randint(0, len(self.paths_B), (1,), generator=generator).item())
        path_b = self.paths_B[index_b]
        return {
            "A": self._load(path_a, generator),
            "B": self._load(path_b, generator),
            "A_path": str(path_a),
            "B_path": str(path_b),
        }

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(root={str(self.root)!r}, split={self.split!r}, "
            f"n_A={len(self.paths_A)}, n_B={len(self.paths_B)}, load_size={self.load_size}, "
            f"crop_size={self.crop_size}, serial_batches={self.serial_batches})"
        )
