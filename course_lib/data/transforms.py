"""The official pix2pix / CycleGAN preprocessing, written with torchvision.

The reference code (``data/base_dataset.py`` in junyanz/pytorch-CycleGAN-and-pix2pix) uses
``--preprocess resize_and_crop`` by default:

1. resize the image to ``load_size`` x ``load_size`` with bicubic interpolation
   (286 x 286 by default, the aspect ratio is not kept);
2. take a random ``crop_size`` x ``crop_size`` crop (256 x 256): a "random jitter";
3. flip it horizontally with probability 0.5 (unless ``--no_flip``);
4. ``ToTensor`` (values in [0, 1]) and ``Normalize(0.5, 0.5)`` (values in [-1, 1], the
   range of the generator's final ``tanh``).

For pix2pix the crop position and the flip are drawn *once per pair* (``get_params``) and
applied to both A and B; otherwise the input and its target would no longer line up.
At test time the official ``test.py`` sets ``load_size = crop_size`` and ``no_flip``, so the
image is resized straight to ``crop_size`` and nothing random happens.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torchvision.transforms.v2 as T
import torchvision.transforms.v2.functional as F
from PIL import Image

__all__ = [
    "CropFlipParams",
    "check_sizes",
    "get_params",
    "apply_params",
    "to_normalized_tensor",
    "denormalize",
    "get_transform",
    "SampleRNG",
]


@dataclass(frozen=True)
class CropFlipParams:
    """The random choices of one sample: crop corner (``top``, ``left``) and horizontal flip."""

    top: int
    left: int
    flip: bool


def check_sizes(load_size: int, crop_size: int) -> None:
    """Raise ``ValueError`` unless ``0 < crop_size <= load_size`` (both integers)."""
    for name, value in (("load_size", load_size), ("crop_size", crop_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if crop_size > load_size:
        raise ValueError(
            f"crop_size ({crop_size}) must not exceed load_size ({load_size}): the random crop "
            "is taken from the image resized to load_size"
        )


def _randint(high: int, generator: torch.Generator | None) -> int:
    """A uniform integer in [0, high] (inclusive, like Python's ``random.randint(0, high)``)."""
    if high <= 0:
        return 0
    return int(torch.randint(0, high + 1, (1,), generator=generator).item())


def get_params(
    load_size: int,
    crop_size: int,
    *,
    flip: bool = True,
    train: bool = True,
    generator: torch.Generator | None = None,
) -> CropFlipParams:
    """Draw the crop corner and the flip of one sample, as the official ``get_params`` does.

    With ``train=False`` nothing is random: no crop (the image is resized to ``crop_size``)
    and no flip. ``generator`` makes the draw reproducible; without it torch's global random
    state is used (which ``DataLoader`` seeds differently in every worker).
    """
    check_sizes(load_size, crop_size)
    if not train:
        return CropFlipParams(top=0, left=0, flip=False)
    left = _randint(load_size - crop_size, generator)
    top = _randint(load_size - crop_size, generator)
    flipped = bool(flip) and bool(torch.rand((), generator=generator).item() > 0.5)
    return CropFlipParams(top=top, left=left, flip=flipped)


def to_normalized_tensor(image: Image.Image) -> torch.Tensor:
    """A PIL image as a float32 (C, H, W) tensor in [-1, 1] (``ToTensor`` then ``Normalize``)."""
    tensor = F.pil_to_tensor(image).to(torch.float32).div_(255.0)
    return tensor.sub_(0.5).div_(0.5)


def denormalize(tensor: torch.Tensor) -> torch.Tensor:
    """Undo :func:`to_normalized_tensor`: map [-1, 1] back to [0, 1] (clamped)."""
    return ((tensor + 1) / 2).clamp(0, 1)


def apply_params(
    image: Image.Image,
    params: CropFlipParams,
    *,
    load_size: int,
    crop_size: int,
    train: bool = True,
) -> torch.Tensor:
    """Resize, crop and flip ``image`` with given ``params``; return a tensor in [-1, 1].

    Calling it on A and on B with the same ``params`` gives the aligned pair pix2pix needs.
    """
    check_sizes(load_size, crop_size)
    bicubic = T.InterpolationMode.BICUBIC
    if train:
        image = F.resize(image, [load_size, load_size], interpolation=bicubic)
        if crop_size != load_size:
            image = F.crop(image, params.top, params.left, crop_size, crop_size)
    else:
        image = F.resize(image, [crop_size, crop_size], interpolation=bicubic)
    if params.flip:
        image = F.horizontal_flip(image)
    return to_normalized_tensor(image)


def get_transform(
    load_size: int = 286, crop_size: int = 256, flip: bool = True, train: bool = True
) -> T.Compose:
    """The same preprocessing for a *single* image, as a torchvision ``Compose``.

    Handy for unpaired data, where A and B are jittered independently, or for your own
    experiments. Its randomness comes from torch's global random state.
    """
    check_sizes(load_size, crop_size)
    bicubic = T.InterpolationMode.BICUBIC
    steps: list[T.Transform] = []
    if train:
        steps.append(T.Resize([load_size, load_size], interpolation=bicubic))
        steps.append(T.RandomCrop(crop_size))
        if flip:
            steps.append(T.RandomHorizontalFlip(p=0.5))
    else:
        steps.append(T.Resize([crop_size, crop_size], interpolation=bicubic))
    steps += [
        T.ToImage(),
        T.ToDtype(torch.float32, scale=True),
        T.Normalize([0.5], [0.5]),
    ]
    return T.Compose(steps)


class SampleRNG:
    """The random source of a dataset: reproducible when given a seed, DataLoader-friendly.

    - ``seed=None``: torch's global random state, which ``DataLoader`` already seeds
      differently in each worker process (and :func:`course_lib.utils.seed_everything` fixes).
    - ``seed=int``: a private ``torch.Generator``. In the main process it is seeded with
      ``seed``; inside a ``DataLoader`` worker it is re-seeded from ``seed`` and the worker's own
      seed, so workers do not repeat each other's crops and each epoch gets new ones, while a
      run stays reproducible once the global seed is fixed.
    """

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"seed must be an integer or None, got {seed!r}")
        self.seed = seed
        self._generator: torch.Generator | None = None
        self._owner: int | None = None

    def generator(self) -> torch.Generator | None:
        """The generator to pass to torch's random functions (``None``: the global one)."""
        if self.seed is None:
            return None
        from torch.utils.data import get_worker_info

        info = get_worker_info()
        owner = -1 if info is None else int(info.seed)
        if self._generator is None or self._owner != owner:
            mixed = self.seed if info is None else (self.seed * 1_000_003 + owner) % (2**63)
            self._generator = torch.Generator().manual_seed(mixed)
            self._owner = owner
        return self._generator

    def reset(self) -> None:
        """Start the random sequence over (the next draw repeats the first one)."""
        self._generator = None
        self._owner = None
