"""Finding and opening image files the way every dataset of the course needs them.

Datasets found on the web come in every flavour Pillow knows: 8-bit greyscale scans, RGBA
screenshots, palette GIF-like PNGs, 16-bit medical or depth images. The official pix2pix and
CycleGAN code simply calls ``Image.open(path).convert("RGB")``, which silently clips 16-bit
images to white and keeps whatever colour hides under transparent pixels. The helpers below
do the conversion carefully, so that the loaders see well-formed 8-bit images.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image

__all__ = [
    "IMG_EXTENSIONS",
    "is_image_file",
    "list_images",
    "load_image",
    "to_8bit",
]

#: File extensions the loaders accept (compared case-insensitively).
IMG_EXTENSIONS: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")

_SIXTEEN_BIT_MODES = {"I;16", "I;16L", "I;16B", "I;16N", "I;16S"}


def is_image_file(path: str | os.PathLike[str]) -> bool:
    """True when the file name ends with one of :data:`IMG_EXTENSIONS` (any letter case)."""
    return str(path).lower().endswith(IMG_EXTENSIONS)


def list_images(folder: str | os.PathLike[str], recursive: bool = True) -> list[Path]:
    """All image files under ``folder``, sorted by their path relative to it.

    Like the official ``make_dataset`` (which walks the folder with ``os.walk``), sub-folders
    are searched too; hidden files (``.DS_Store``, ``._name.jpg``) are skipped. Sorting makes
    the index of an image the same on every machine.
    """
    folder = Path(folder)
    pattern: Iterable[Path] = folder.rglob("*") if recursive else folder.iterdir()
    files = [
        p for p in pattern if p.is_file() and is_image_file(p.name) and not p.name.startswith(".")
    ]
    return sorted(files, key=lambda p: p.relative_to(folder).as_posix())


def to_8bit(image: Image.Image) -> Image.Image:
    """Bring a high-bit-depth single-channel image ("I;16", "I", "F") to 8-bit "L".

    16-bit images are *scaled* (65535 becomes 255), not clipped as a plain ``convert("L")``
    did for years. Mode "I" (32-bit integers, how some readers hand out 16-bit data) is
    treated as 16-bit when its values exceed 255 and as 8-bit otherwise; mode "F" (floats)
    is treated as [0, 1] when its maximum is at most 1 and as [0, 255] otherwise.
    Other modes are returned unchanged.
    """
    mode = image.mode
    if mode not in _SIXTEEN_BIT_MODES and mode not in {"I", "F"}:
        return image
    array = np.asarray(image)
    if mode in _SIXTEEN_BIT_MODES:
        values = array.astype(np.float64) / 257.0
    elif mode == "I":
        values = array.astype(np.float64)
        if values.size and values.max() > 255:
            values = np.clip(values, 0, 65535) / 257.0
    else:  # "F"
        values = array.astype(np.float64)
        finite = values[np.isfinite(values)]
        if finite.size and finite.max() <= 1.0:
            values = values * 255.0
        values = np.nan_to_num(values, nan=0.0, posinf=255.0, neginf=0.0)
    return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8), mode="L")


def load_image(
    path: str | os.PathLike[str],
    mode: str = "RGB",
    background: tuple[int, int, int] | None = None,
) -> Image.Image:
    """Open an image file and return it as an 8-bit ``mode`` image ("RGB" or "L").

    - 16-bit and 32-bit greyscale images are scaled to 8 bits (see :func:`to_8bit`);
    - transparent images (RGBA, LA, palette with transparency) are composited over
      ``background``: white for "RGB" and black for "L" unless told otherwise (the digits are
      white on black, like MNIST);
    - palette, CMYK, YCbCr, 1-bit images go through Pillow's own conversion.

    Raises ``ValueError`` naming the file when Pillow cannot read it.
    """
    if mode not in {"RGB", "L"}:
        raise ValueError(f"mode must be 'RGB' or 'L', got {mode!r}")
    path = Path(path)
    try:
        with Image.open(path) as opened:
            opened.load()
            image = opened.copy() if opened.mode != "P" else opened.convert("RGBA")
    except FileNotFoundError:
        raise
    except (OSError, SyntaxError, ValueError) as error:
        raise ValueError(f"cannot read image {path}: {error}") from error

    image = to_8bit(image)
    if image.mode == "PA":
        image = image.convert("RGBA")
    if image.mode in {"RGBA", "LA", "RGBa", "La"}:
        if background is None:
            background = (255, 255, 255) if mode == "RGB" else (0, 0, 0)
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (*background, 255))
        image = Image.alpha_composite(canvas, rgba).convert("RGB")
    if image.mode != mode:
        image = image.convert(mode)
    return image
