"""Embedded "unpaired": summer (domain A) and winter (domain B) landscapes for CycleGAN.

Every scene is drawn from its own random layout (horizon, trees, a house), independently in
each domain, so no image of A has a partner in B, as with horse2zebra.

* A, summer: blue sky, often a yellow sun, green grass, round green trees.
* B, winter: grey sky, falling snow, white ground, round snow-covered trees, snow on roofs.

The walls of the house have a random, saturated hue with the *same* distribution in both
domains: a good summer-to-winter translation must keep it. A generator trained without the
identity loss often shifts it, and the house masks saved under ``masks/<split><A|B>/`` (255 on
wall pixels) let you measure that drift.

Two variants of the houses (:data:`HOUSES`): ``"small"`` (the ``unpaired`` set of lessons 04 and
06: a house in 85% of the scenes, 12-20 pixels wide) and ``"large"`` (the ``unpaired_houses``
set of lesson 05: a house in every scene, 28-44 pixels wide, so that its walls are about a
sixth of the picture and their colour weighs in a generator's losses).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._common import build, check_size, hsv, make_rng, save_png, to_uint8

__all__ = ["UNPAIRED_SIZES", "HOUSES", "make_unpaired", "make_unpaired_houses", "render_scene"]

GENERATOR_VERSION = 1
#: Images per domain for each split, for ``size="default"`` and ``size="small"``.
UNPAIRED_SIZES: dict[str, dict[str, int]] = {
    "default": {"train": 300, "test": 50},
    "small": {"train": 16, "test": 6},
}
IMAGE_SIZE = 64
_SUPERSAMPLE = 2


@dataclass(frozen=True)
class Houses:
    """How the houses of a variant are drawn: the probability that a scene has one, and the
    ranges of the walls' width and height in output pixels."""

    probability: float
    width: tuple[float, float]
    height: tuple[float, float]


#: The house variants: ``"small"`` for ``unpaired`` (lessons 04, 06), ``"large"`` for
#: ``unpaired_houses`` (lesson 05).
HOUSES: dict[str, Houses] = {
    "small": Houses(0.85, (12.0, 20.0), (8.0, 13.0)),
    "large": Houses(1.0, (28.0, 44.0), (16.0, 24.0)),
}


def _downsample(image: np.ndarray, factor: int) -> np.ndarray:
    """Average ``factor`` x ``factor`` blocks (anti-aliasing of the supersampled drawing)."""
    total = sum(image[i::factor, j::factor] for i in range(factor) for j in range(factor))
    return total / (factor * factor)


def _box(x0: float, x1: float, y0: float, y1: float) -> tuple[slice, slice]:
    """The rows and columns of the supersampled canvas covering [x0, x1] x [y0, y1]."""
    s, size = _SUPERSAMPLE, IMAGE_SIZE * _SUPERSAMPLE

    def span(lo: float, hi: float) -> slice:
        return slice(
            int(np.clip(np.floor(lo * s), 0, size)), int(np.clip(np.ceil(hi * s), 0, size))
        )

    return span(y0, y1), span(x0, x1)


def _tree(image, mask, yy, xx, rng, base: float, winter: bool) -> None:
    """A round tree standing on ``base``: green in summer, snow-covered in winter."""
    x, r = rng.uniform(4, 60), rng.uniform(3.5, 7.5)
    trunk_top = base - r * 1.3
    rows, cols = _box(x - 2 - r / 8, x + 2 + r / 8, trunk_top, base)
    ty, tx = yy[rows, cols], xx[rows, cols]
    trunk = (abs(tx - x) < 1.0 + r / 8) & (ty < base) & (ty > trunk_top)
    image[rows, cols][trunk] = hsv(rng.uniform(0.05, 0.1), 0.6, rng.uniform(0.25, 0.4))
    mask[rows, cols] &= ~trunk

    cy = trunk_top - r * 0.6
    rows, cols = _box(x - r, x + r, cy - r, cy + r)
    ty, tx = yy[rows, cols], xx[rows, cols]
    canopy = (tx - x) ** 2 + (ty - cy) ** 2 < r * r
    leaves = rng.random(canopy.shape)
    if winter:
        snow = hsv(0.58, rng.uniform(0.0, 0.08), rng.uniform(0.85, 1.0))
        dark = hsv(rng.uniform(0.28, 0.4), 0.5, 0.3)
        colour = np.where((leaves < 0.2)[..., None], dark, snow)
    else:
        green = hsv(rng.uniform(0.25, 0.4), rng.uniform(0.55, 0.9), rng.uniform(0.3, 0.55))
        colour = green * (1 + 0.35 * (leaves < 0.25) - 0.25 * (leaves > 0.85))[..., None]
    image[rows, cols][canopy] = colour[canopy]
    mask[rows, cols] &= ~canopy


def _house(image, mask, yy, xx, rng, base: float, winter: bool, houses: Houses) -> None:
    """A house with walls of a random hue (recorded in ``mask``) and a roof, snowy in winter."""
    width, height = rng.uniform(*houses.width), rng.uniform(*houses.height)
    x0 = rng.uniform(1, 63 - width)
    roof_h = rng.uniform(5, 9)
    rows, cols = _box(x0 - 2, x0 + width + 2, base - height - roof_h, base)
    img, msk, ty, tx = image[rows, cols], mask[rows, cols], yy[rows, cols], xx[rows, cols]

    walls = (tx > x0) & (tx < x0 + width) & (ty < base) & (ty > base - height)
    img[walls] = hsv(rng.random(), rng.uniform(0.55, 0.9), rng.uniform(0.55, 0.9))
    msk |= walls
    rise = base - height - ty
    centre = x0 + width / 2
    roof = (
        (rise >= 0) & (rise < roof_h) & (abs(tx - centre) < (width / 2 + 1.5) * (1 - rise / roof_h))
    )
    if winter:
        img[roof] = hsv(0.58, rng.uniform(0.0, 0.06), rng.uniform(0.9, 1.0))
    else:
        img[roof] = hsv(rng.uniform(0.0, 0.08), rng.uniform(0.3, 0.7), rng.uniform(0.2, 0.45))
    msk &= ~roof
    door_x = x0 + rng.uniform(0.15, 0.65) * width
    door = (tx > door_x) & (tx < door_x + 3) & (ty < base) & (ty > base - height * 0.55)
    win_x = door_x + 5 if door_x + 9 < x0 + width else x0 + 2
    win_y = base - height * 0.8
    window = (tx > win_x) & (tx < win_x + 3.5) & (ty > win_y) & (ty < win_y + 3.5)
    img[door] = hsv(rng.uniform(0.0, 0.1), 0.5, 0.25)
    img[window] = hsv(0.14, rng.uniform(0.1, 0.5), 0.95)
    msk &= ~(door | window)


def render_scene(
    rng: np.random.Generator, winter: bool, houses: str = "small"
) -> tuple[np.ndarray, np.ndarray]:
    """One random landscape: the image (64, 64, 3) in [0, 1] and the house-wall mask (64, 64).

    ``houses`` is a key of :data:`HOUSES`.
    """
    if houses not in HOUSES:
        raise ValueError(f"houses must be one of {', '.join(HOUSES)}; got {houses!r}")
    house = HOUSES[houses]
    s = _SUPERSAMPLE
    size = IMAGE_SIZE * s
    coords = (np.arange(size, dtype=np.float64) + 0.5) / s  # in output pixels
    yy = np.broadcast_to(coords[:, None], (size, size))
    xx = np.broadcast_to(coords[None, :], (size, size))
    horizon = rng.uniform(28.0, 42.0)

    # Sky, a vertical gradient, and the summer sun.
    if winter:
        top = hsv(rng.uniform(0.55, 0.65), rng.uniform(0.0, 0.12), rng.uniform(0.5, 0.75))
        low = top * 0.6 + 0.4 * rng.uniform(0.8, 0.95)
    else:
        top = hsv(rng.uniform(0.55, 0.62), rng.uniform(0.45, 0.75), rng.uniform(0.75, 1.0))
        low = top * 0.5 + 0.5 * hsv(rng.uniform(0.55, 0.6), 0.2, 1.0)
    ramp = np.clip(coords / horizon, 0, 1)[:, None, None]
    image = np.ascontiguousarray(np.broadcast_to((1 - ramp) * top + ramp * low, (size, size, 3)))
    if not winter and rng.random() < 0.8:
        cx, cy = rng.uniform(6, 58), rng.uniform(5, max(6.0, horizon - 8))
        r = rng.uniform(3.5, 6.5)
        rows, cols = _box(cx - r, cx + r, cy - r, min(cy + r, horizon))
        disc = (xx[rows, cols] - cx) ** 2 + (yy[rows, cols] - cy) ** 2 < r * r
        disc &= yy[rows, cols] < horizon
        image[rows, cols][disc] = hsv(rng.uniform(0.12, 0.16), rng.uniform(0.6, 0.9), 1.0)

    # Ground: grass or snow, with a speckle texture.
    first = int(np.clip(np.ceil(horizon * s - 0.5), 0, size))
    speckle = rng.random((size - first, size))
    if winter:
        ground = hsv(rng.uniform(0.55, 0.62), rng.uniform(0.0, 0.08), rng.uniform(0.88, 1.0))
        image[first:] = ground * (1 - 0.08 * (speckle < 0.15))[..., None]
    else:
        ground = hsv(rng.uniform(0.22, 0.35), rng.uniform(0.5, 0.85), rng.uniform(0.45, 0.75))
        image[first:] = ground * (1 - 0.25 * (speckle < 0.3))[..., None]

    # Trees and a house, painted from far (high on the picture) to near.
    objects = [(rng.uniform(horizon + 2, 62), "tree") for _ in range(int(rng.integers(1, 5)))]
    if rng.random() < house.probability:
        objects.append((rng.uniform(horizon + 6, 62), "house"))
    objects.sort(key=lambda item: item[0])
    mask = np.zeros((size, size), dtype=bool)
    for base, kind in objects:
        if kind == "tree":
            _tree(image, mask, yy, xx, rng, base, winter)
        else:
            _house(image, mask, yy, xx, rng, base, winter, house)

    if winter:  # falling snow
        flakes = rng.random((size, size)) < 0.012
        image[flakes] = 1.0
        mask &= ~flakes
    picture = _downsample(image, s) + rng.normal(0.0, 0.015, size=(IMAGE_SIZE, IMAGE_SIZE, 3))
    house = _downsample(mask.astype(np.float64), s) > 0.5
    return np.clip(picture, 0.0, 1.0), house


def _write(folder: Path, seed: int, size: str, houses: str = "small") -> dict[str, int]:
    counts = {}
    stream = "unpaired" if houses == "small" else f"unpaired_{houses}_houses"
    for split, count in UNPAIRED_SIZES[size].items():
        for side, winter in (("A", False), ("B", True)):
            rng = make_rng(seed, stream, split, side)
            for index in range(count):
                picture, house = render_scene(rng, winter, houses)
                name = f"{index:04d}.png"
                save_png(to_uint8(picture), folder / f"{split}{side}" / name)
                save_png(house.astype(np.uint8) * 255, folder / "masks" / f"{split}{side}" / name)
            counts[f"{split}{side}"] = count
    return counts


def make_unpaired(
    root: str | os.PathLike[str] | None = None,
    seed: int = 0,
    size: str = "default",
    overwrite: bool = False,
) -> Path:
    """Generate the summer/winter dataset into ``root/unpaired`` and return that folder.

    Layout: ``unpaired/{trainA,trainB,testA,testB}/NNNN.png``, 64 x 64 RGB (read them with
    :class:`course_lib.data.UnpairedDataset`), plus ``unpaired/masks/<split><A|B>/NNNN.png``,
    the house walls whose hue a translation should keep. ``size="default"``: 300 training and
    50 test images per domain; ``"small"``: 16 and 6. Skipped when an identical dataset is
    already there, unless ``overwrite``.
    """
    check_size(size)
    settings = {"generator_version": GENERATOR_VERSION, "seed": seed, "size": size}
    make_rng(seed)
    return build(root, "unpaired", settings, lambda f: _write(f, seed, size), overwrite)


def make_unpaired_houses(
    root: str | os.PathLike[str] | None = None,
    seed: int = 0,
    size: str = "default",
    overwrite: bool = False,
) -> Path:
    """Generate lesson 05's variant into ``root/unpaired_houses`` and return that folder.

    The scenes of :func:`make_unpaired` (same layout, sizes, masks and colour distributions),
    drawn from their own random stream, with a large house in every scene (``HOUSES["large"]``)
    so that the colour of its walls is a sizeable part of every image.
    """
    check_size(size)
    settings = {"generator_version": GENERATOR_VERSION, "seed": seed, "size": size}
    make_rng(seed)
    return build(
        root, "unpaired_houses", settings, lambda f: _write(f, seed, size, "large"), overwrite
    )
