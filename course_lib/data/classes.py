"""Images with class labels, for the class-conditional GAN (cGAN) of the first notebook.

The layout is torchvision's ``ImageFolder`` one level down: ``root/<split>/<class_name>/*.png``.
Class names are sorted, so label ``k`` is the k-th name of ``dataset.classes`` (for the
embedded digits and for MNIST exported by ``data_scripts/download.py mnist``, the name of
label ``k`` is simply ``"k"``).
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
import torchvision.transforms.v2.functional as F
from torch.utils.data import Dataset

from .images import IMG_EXTENSIONS, list_images, load_image
from .transforms import to_normalized_tensor

__all__ = ["ClassConditionalDataset"]

_LAYOUT = "<root>/{split}/<class_name>/*.png (one sub-folder of images per class)"


class ClassConditionalDataset(Dataset):
    """``(image, label)`` pairs from ``root/<split>/<class_name>/``.

    Images are float32 tensors in [-1, 1] with one channel (``mode="L"``, the default, right
    for digits) or three (``mode="RGB"``); ``image_size`` resizes them (bilinear, antialiased)
    when given. ``classes`` lists the class names (sorted), ``class_to_idx`` maps them to labels,
    ``samples`` holds ``(path, label)`` and ``targets`` the labels. ``preload=True`` decodes
    every image once into memory, which makes small datasets much faster to iterate on a CPU.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        split: str = "train",
        mode: str = "L",
        image_size: int | None = None,
        preload: bool = False,
    ) -> None:
        if mode not in {"L", "RGB"}:
            raise ValueError(f"mode must be one of L, RGB; got {mode!r}")
        if image_size is not None and (not isinstance(image_size, int) or image_size <= 0):
            raise ValueError(f"image_size must be a positive integer or None, got {image_size!r}")
        self.root = Path(root)
        self.split = split
        self.mode = mode
        self.image_size = image_size
        layout = _LAYOUT.format(split=split)
        if not self.root.is_dir():
            raise FileNotFoundError(f"dataset folder {self.root} does not exist; expected {layout}")
        folder = self.root / split
        if not folder.is_dir():
            present = sorted(p.name for p in self.root.iterdir() if p.is_dir())
            found = f"found {', '.join(present)}" if present else "the folder is empty"
            raise FileNotFoundError(
                f"split folder {folder} does not exist ({found}); expected {layout}"
            )
        self.classes = sorted(
            p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")
        )
        if not self.classes:
            raise FileNotFoundError(f"no class folders in {folder}; expected {layout}")
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}
        self.samples: list[tuple[Path, int]] = [
            (path, label)
            for label, name in enumerate(self.classes)
            for path in list_images(folder / name)
        ]
        if not self.samples:
            raise FileNotFoundError(
                f"no images in the class folders of {folder} (looked for "
                f"{', '.join(IMG_EXTENSIONS)}); expected {layout}"
            )
        self.targets = [label for _, label in self.samples]
        self._cache: torch.Tensor | None = None
        if preload:
            self._cache = torch.stack([self._read(path) for path, _ in self.samples])

    def _read(self, path: Path) -> torch.Tensor:
        image = load_image(path, self.mode)
        if self.image_size is not None and image.size != (self.image_size, self.image_size):
            image = F.resize(image, [self.image_size, self.image_size], antialias=True)
        return to_normalized_tensor(image)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        path, label = self.samples[index]
        image = self._cache[index] if self._cache is not None else self._read(path)
        return image, label

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(root={str(self.root)!r}, split={self.split!r}, "
            f"n={len(self)}, classes={len(self.classes)}, mode={self.mode!r})"
        )
