"""Embedded "facades": paired label maps and building photos in the pix2pix AB layout.

Like the CMP Facades set behind pix2pix's ``facades``, every pair is a label map (A, left)
drawn with flat colours, one per class, and a "photo" (B, right) of the same building.
The photo is rendered from the map with two kinds of randomness that a regression loss
cannot predict from the map:

* per-image colours: the wall hue of every building is drawn anew (from the whole colour
  wheel), as are the colours of windows, doors, roofs. Averaged over the data set the wall is
  greyish, which is exactly what an L1/L2-trained generator outputs: washed-out colour.
* high-frequency texture: bricks with a random phase, plaster noise, window panes at random
  offsets, lit windows, railing bars, roof tiles. L1 blurs these away; a cGAN can keep them
  sharp.

For each AB file the class index of every pixel is also saved (``labels/<split>/<name>.png``)
so that a per-pixel label accuracy, the "FCN-score" of the paper, can be computed.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ._common import build, check_size, hsv, make_rng, save_png, to_uint8

__all__ = [
    "FACADE_CLASSES",
    "FACADE_LABEL_COLOURS",
    "FACADES_SIZES",
    "make_facades",
    "render_facade",
    "label_map_to_indices",
    "indices_to_label_map",
]

GENERATOR_VERSION = 1
#: Class names of the facade label maps; the index in this tuple is the class index.
FACADE_CLASSES: tuple[str, ...] = (
    "background",
    "wall",
    "window",
    "door",
    "cornice",
    "balcony",
    "roof",
)
#: Flat RGB colour of each class in the label maps (A images), after the CMP Facades palette.
FACADE_LABEL_COLOURS: tuple[tuple[int, int, int], ...] = (
    (0, 0, 170),
    (0, 0, 255),
    (0, 85, 255),
    (0, 170, 255),
    (0, 255, 255),
    (170, 255, 85),
    (255, 170, 0),
)
#: Number of AB files per split for ``size="default"`` and ``size="small"``.
FACADES_SIZES: dict[str, dict[str, int]] = {
    "default": {"train": 400, "val": 50, "test": 50},
    "small": {"train": 16, "val": 4, "test": 4},
}
IMAGE_SIZE = 64

BACKGROUND, WALL, WINDOW, DOOR, CORNICE, BALCONY, ROOF = range(len(FACADE_CLASSES))
_PALETTE = np.array(FACADE_LABEL_COLOURS, dtype=np.uint8)


def _layout(rng: np.random.Generator, size: int) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """A random building as a map of class indices, and the list of its windows."""
    labels = np.full((size, size), BACKGROUND, dtype=np.uint8)
    left = int(rng.integers(0, size // 8 + 1)) if rng.random() < 0.6 else 0
    right = size - (int(rng.integers(0, size // 8 + 1)) if rng.random() < 0.6 else 0)
    top = int(rng.integers(size * 3 // 16, size * 5 // 16 + 1))
    labels[top:, left:right] = WALL

    roof_height = int(rng.integers(4, size // 6 + 1))
    if rng.random() < 0.5:  # gable roof: a triangle over the whole width
        centre, half = (left + right) / 2.0, (right - left) / 2.0
        for row in range(roof_height):
            y = top - roof_height + row
            reach = half * (row + 1) / roof_height
            lo, hi = int(round(centre - reach)), int(round(centre + reach))
            labels[y, max(lo, left) : min(hi, right)] = ROOF
    else:  # flat roof band, slightly wider than the wall
        labels[top - roof_height // 2 : top, max(0, left - 1) : min(size, right + 1)] = ROOF

    floors = int(rng.integers(3, 6))
    columns = int(rng.integers(2, 6))
    floor_height = (size - top) / floors
    pitch = (right - left) / columns
    win_w = max(2, int(round(pitch * rng.uniform(0.35, 0.6))))
    win_h = max(3, int(round(floor_height * rng.uniform(0.45, 0.65))))
    offset_y = floor_height * rng.uniform(0.15, 0.3)
    cornices = rng.random() < 0.6
    door_column = int(rng.integers(0, columns))
    balcony_floors = rng.random(floors) < 0.35
    windows = []
    for floor in range(floors):
        y0 = int(round(top + floor * floor_height))
        if cornices and floor > 0:
            labels[y0 : y0 + 1 + int(floor_height > 9), left:right] = CORNICE
        for column in range(columns):
            x0 = int(round(left + column * pitch + (pitch - win_w) / 2))
            if floor == floors - 1 and column == door_column:
                door_w = min(int(round(pitch)) - 1, win_w + 2)
                dx = int(round(left + column * pitch + (pitch - door_w) / 2))
                labels[int(round(y0 + offset_y * 0.8)) : size, dx : dx + door_w] = DOOR
                continue
            wy = int(round(y0 + offset_y)) + 1
            labels[wy : wy + win_h, x0 : x0 + win_w] = WINDOW
            windows.append((wy, x0, win_h, win_w))
            if balcony_floors[floor] and floor < floors - 1:
                by = wy + win_h - 2
                labels[by : by + 3, max(left, x0 - 2) : min(right, x0 + win_w + 2)] = BALCONY
    return labels, windows


def _noise(rng: np.random.Generator, shape: tuple[int, ...], scale: float) -> np.ndarray:
    return rng.normal(0.0, scale, size=shape)


def _blotches(rng: np.random.Generator, size: int, cell: int) -> np.ndarray:
    """Coarse noise: a random grid blown up by pixel repetition (values around 0)."""
    grid = rng.normal(0.0, 1.0, size=(size // cell + 1, size // cell + 1))
    return np.repeat(np.repeat(grid, cell, axis=0), cell, axis=1)[:size, :size]


def render_facade(
    labels: np.ndarray, windows: list[tuple[int, ...]], rng: np.random.Generator
) -> np.ndarray:
    """Render a photo (H, W, 3) in [0, 1] of the building whose class map is ``labels``."""
    size = labels.shape[0]
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    photo = np.zeros((size, size, 3))

    # Sky: a vertical gradient, blue or overcast.
    sky_top = hsv(rng.uniform(0.55, 0.65), rng.uniform(0.0, 0.6), rng.uniform(0.55, 0.95))
    sky_bottom = 0.5 * sky_top + 0.5 * rng.uniform(0.75, 1.0)
    ramp = (yy / size)[..., None]
    photo[:] = (1 - ramp) * sky_top + ramp * sky_bottom

    # Wall: any hue, bricks or plaster.
    wall = hsv(rng.random(), rng.uniform(0.15, 0.6), rng.uniform(0.45, 0.85))
    shade = np.ones((size, size))
    if rng.random() < 0.5:
        brick_h = int(rng.integers(2, 4))
        brick_w = int(rng.integers(4, 8))
        phase_y, phase_x = int(rng.integers(0, brick_h)), int(rng.integers(0, brick_w))
        row = (yy.astype(int) + phase_y) // brick_h
        mortar_row = (yy.astype(int) + phase_y) % brick_h == 0
        stagger = (row % 2) * (brick_w // 2)
        mortar_col = (xx.astype(int) + phase_x + stagger) % brick_w == 0
        shade = np.where(mortar_row | mortar_col, rng.uniform(0.65, 0.85), 1.0)
        shade = shade * (1 + 0.06 * _blotches(rng, size, 2))
    else:
        shade = (
            1
            + 0.07 * _blotches(rng, size, int(rng.integers(3, 7)))
            + _noise(rng, (size, size), 0.04)
        )
    wall_pixels = wall * shade[..., None]
    photo = np.where((labels == WALL)[..., None], wall_pixels, photo)

    # Roof: tiles with a random phase.
    roof = hsv(
        rng.choice([rng.uniform(0.0, 0.08), rng.uniform(0.55, 0.65)]),
        rng.uniform(0.2, 0.7),
        rng.uniform(0.25, 0.6),
    )
    tile = int(rng.integers(2, 4))
    tiles = np.where((yy.astype(int) + int(rng.integers(0, tile))) % tile == 0, 0.7, 1.0)
    photo = np.where((labels == ROOF)[..., None], roof * tiles[..., None], photo)

    # Cornices: light stone with a shadow.
    stone = hsv(rng.random(), rng.uniform(0.0, 0.2), rng.uniform(0.75, 0.95))
    below = np.zeros_like(labels, dtype=bool)
    below[1:] = labels[:-1] == CORNICE
    photo = np.where((labels == CORNICE)[..., None], stone, photo)
    photo = np.where((below & (labels == WALL))[..., None], photo * 0.7, photo)

    # Windows: dark glass, frame and panes at random offsets, some lit.
    glass = hsv(rng.uniform(0.5, 0.7), rng.uniform(0.1, 0.5), rng.uniform(0.1, 0.35))
    frame = hsv(rng.random(), rng.uniform(0.0, 0.4), rng.uniform(0.7, 1.0))
    for wy, wx, wh, ww in windows:
        colour = hsv(0.13, 0.6, 0.95) if rng.random() < 0.15 else glass * rng.uniform(0.7, 1.3)
        block = np.empty((wh, ww, 3))
        gy, gx = np.mgrid[0:wh, 0:ww]
        block[:] = colour * (1 + 0.4 * (gx + gy) / (wh + ww))[..., None]
        block += _noise(rng, (wh, ww, 1), 0.03)
        block[[0, -1], :] = frame
        block[:, [0, -1]] = frame
        if ww >= 4:
            block[:, int(rng.integers(1, ww - 1))] = frame
        if wh >= 5:
            block[int(rng.integers(1, wh - 1)), :] = frame
        region = labels[wy : wy + wh, wx : wx + ww] == WINDOW
        target = photo[wy : wy + wh, wx : wx + ww]
        h, w = target.shape[:2]
        target[region[:h, :w]] = block[:h, :w][region[:h, :w]]

    # Door: planks.
    door = hsv(
        rng.uniform(0.0, 0.15) if rng.random() < 0.7 else rng.random(),
        rng.uniform(0.3, 0.7),
        rng.uniform(0.2, 0.5),
    )
    planks = np.where((xx.astype(int) + int(rng.integers(0, 3))) % 3 == 0, 0.75, 1.0)
    photo = np.where((labels == DOOR)[..., None], door * planks[..., None], photo)

    # Balconies: railing bars over the wall colour.
    rail = hsv(rng.random(), rng.uniform(0.0, 0.3), rng.uniform(0.1, 0.4))
    bars = ((xx.astype(int) + int(rng.integers(0, 2))) % 2 == 0) | (
        yy.astype(int) % 3 == int(rng.integers(0, 3))
    )
    balcony = np.where(bars[..., None], rail, wall * 0.8)
    photo = np.where((labels == BALCONY)[..., None], balcony, photo)

    # Light falling from one side, sensor noise.
    light = 1 + rng.uniform(-0.15, 0.15) * (xx / size - 0.5)
    photo = photo * light[..., None] + _noise(rng, (size, size, 3), 0.02)
    return np.clip(photo, 0.0, 1.0)


def indices_to_label_map(labels: np.ndarray) -> np.ndarray:
    """The flat-colour label image (H, W, 3) uint8 of a class-index map (H, W)."""
    return _PALETTE[np.asarray(labels, dtype=np.int64)]


def label_map_to_indices(
    label_map: torch.Tensor | np.ndarray | Image.Image,
    value_range: tuple[float, float] = (-1.0, 1.0),
) -> torch.Tensor:
    """Recover class indices from a label-map image by nearest label colour.

    ``label_map`` is a tensor (3, H, W) or (N, 3, H, W), as the loaders return them; float
    tensors are read in ``value_range`` ([-1, 1] by default), uint8 tensors in [0, 255].
    A PIL image or an (H, W, 3) uint8 array is accepted too. Returns a ``LongTensor`` of shape
    (H, W) or (N, H, W). Use it on a generated map (``direction="BtoA"``) to score it against
    the saved labels.
    """
    if not isinstance(label_map, torch.Tensor):
        array = np.asarray(label_map)
        if array.ndim != 3 or array.shape[-1] != 3:
            raise ValueError(f"expected an RGB image of shape (H, W, 3), got {array.shape}")
        label_map = torch.from_numpy(np.ascontiguousarray(array)).permute(2, 0, 1)
    if label_map.dim() not in (3, 4) or label_map.shape[-3] != 3:
        raise ValueError(
            f"expected a tensor of shape (3, H, W) or (N, 3, H, W), got {tuple(label_map.shape)}"
        )
    if label_map.dtype == torch.uint8:
        values = label_map.to(torch.float32)
    else:
        low, high = value_range
        values = (label_map.to(torch.float32) - low) * (255.0 / (high - low))
    palette = torch.tensor(FACADE_LABEL_COLOURS, dtype=torch.float32, device=values.device)
    shape = (-1, 3, 1, 1) if values.dim() == 3 else (1, -1, 3, 1, 1)
    distances = ((values.unsqueeze(-4) - palette.view(shape)) ** 2).sum(dim=-3)
    return distances.argmin(dim=-3)


def _write(folder: Path, seed: int, size: str) -> dict[str, int]:
    counts = {}
    for split, count in FACADES_SIZES[size].items():
        rng = make_rng(seed, "facades", split)
        for index in range(count):
            labels, windows = _layout(rng, IMAGE_SIZE)
            photo = to_uint8(render_facade(labels, windows, rng))
            pair = np.concatenate([indices_to_label_map(labels), photo], axis=1)
            name = f"{index + 1:04d}.png"
            save_png(pair, folder / split / name)
            save_png(labels, folder / "labels" / split / name)
        counts[split] = count
    return counts


def make_facades(
    root: str | os.PathLike[str] | None = None,
    seed: int = 0,
    size: str = "default",
    overwrite: bool = False,
) -> Path:
    """Generate the facades dataset into ``root/facades`` and return that folder.

    Layout: ``facades/{train,val,test}/NNNN.png``, 128 x 64 AB images (label map left, photo
    right; read them with :class:`course_lib.data.PairedABDataset`), and
    ``facades/labels/<split>/NNNN.png``, the class index of every pixel as an "L" image
    (indices into :data:`FACADE_CLASSES`). ``size="default"``: 400 / 50 / 50 pairs;
    ``"small"``: 16 / 4 / 4. Skipped when an identical dataset is already there, unless
    ``overwrite``.
    """
    check_size(size)
    settings = {"generator_version": GENERATOR_VERSION, "seed": seed, "size": size}
    make_rng(seed)
    return build(root, "facades", settings, lambda f: _write(f, seed, size), overwrite)
