"""Embedded "digits": MNIST-like handwritten digits drawn from stroke polylines.

Each digit 0-9 is a few strokes (lines and elliptic arcs) in a unit box. Every sample bends
the strokes a little, slants, rotates, scales and shifts them, picks a pen width, and renders
the strokes with anti-aliasing computed from the distance of each pixel to the strokes.
No font file and no Pillow drawing routine is involved, so the pixels depend only on the seed.
White digit on black background, 28 x 28, like MNIST.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from ._common import build, check_size, make_rng, save_png, to_uint8

__all__ = ["DIGIT_CLASSES", "DIGITS_SIZES", "make_digits", "render_digits"]

GENERATOR_VERSION = 1
#: Class names of the digits dataset (folder names, sorted like the labels).
DIGIT_CLASSES: tuple[str, ...] = tuple(str(d) for d in range(10))
#: Images per class for each split, for ``size="default"`` and ``size="small"``.
DIGITS_SIZES: dict[str, dict[str, int]] = {
    "default": {"train": 300, "test": 50},
    "small": {"train": 30, "test": 10},
}
IMAGE_SIZE = 28


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int = 12):
    """Points of an elliptic arc from angle ``a0`` to ``a1`` (degrees, y axis pointing up)."""
    points = []
    for i in range(n + 1):
        angle = math.radians(a0 + (a1 - a0) * i / n)
        points.append((cx + rx * math.cos(angle), cy - ry * math.sin(angle)))
    return points


def _glyphs() -> list[list[np.ndarray]]:
    """The strokes of each digit in a unit box (x to the right, y downwards)."""
    strokes: list[list[list[tuple[float, float]]]] = [
        [_arc(0.5, 0.5, 0.42, 0.5, 90, 450, 20)],
        [[(0.25, 0.22), (0.58, 0.0), (0.58, 1.0)]],
        [_arc(0.5, 0.3, 0.42, 0.3, 160, -40, 10) + [(0.05, 1.0), (0.98, 1.0)]],
        [_arc(0.48, 0.25, 0.38, 0.25, 150, -90, 10), _arc(0.48, 0.74, 0.44, 0.26, 90, -160, 10)],
        [[(0.72, 1.0), (0.72, 0.0), (0.02, 0.68), (0.98, 0.68)]],
        [[(0.92, 0.0), (0.22, 0.0), (0.15, 0.47)] + _arc(0.5, 0.68, 0.42, 0.32, 140, -155, 12)],
        [[(0.8, 0.0), (0.45, 0.15), (0.2, 0.42)] + _arc(0.52, 0.72, 0.4, 0.28, 170, -190, 16)],
        [[(0.02, 0.0), (0.98, 0.0), (0.38, 1.0)]],
        [_arc(0.5, 0.24, 0.34, 0.24, -90, 270, 16), _arc(0.5, 0.74, 0.43, 0.26, 90, 450, 16)],
        [_arc(0.5, 0.3, 0.42, 0.3, 0, 360, 16) + [(0.9, 0.62), (0.8, 1.0)]],
    ]
    return [[np.asarray(line, dtype=np.float64) for line in glyph] for glyph in strokes]


_GLYPHS = _glyphs()
_MAX_SEGMENTS = max(sum(len(line) - 1 for line in glyph) for glyph in _GLYPHS)


def _sample_segments(label: int, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Segments (S, 2, 2) in pixel coordinates of one random instance, and the pen radius."""
    height = rng.uniform(16.0, 21.0)
    width = height * rng.uniform(0.55, 0.8)
    angle = math.radians(rng.uniform(-14.0, 14.0))
    shear = rng.uniform(-0.3, 0.3)
    centre = np.array([14.0, 14.0]) + np.clip(rng.normal(0.0, 1.0, size=2), -2.0, 2.0)
    radius = rng.uniform(0.85, 1.6)
    cos, sin = math.cos(angle), math.sin(angle)
    matrix = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1.0, shear], [0.0, 1.0]])
    segments = []
    for line in _GLYPHS[label]:
        points = line + rng.normal(0.0, 0.025, size=line.shape)
        local = (points - 0.5) * np.array([width, height])
        pixels = local @ matrix.T + centre
        segments.append(np.stack([pixels[:-1], pixels[1:]], axis=1))
    return np.concatenate(segments), radius


def render_digits(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw one random digit per label; returns uint8 images of shape (N, 28, 28)."""
    count = len(labels)
    segments = np.full((count, _MAX_SEGMENTS, 2, 2), -1.0e4)
    radii = np.empty(count)
    intensity = np.empty(count)
    used = 0
    for i, label in enumerate(labels):
        segs, radii[i] = _sample_segments(int(label), rng)
        segments[i, : len(segs)] = segs
        used = max(used, len(segs))
        intensity[i] = rng.uniform(0.85, 1.0)
    segments = segments.astype(np.float32)
    coords = np.arange(IMAGE_SIZE, dtype=np.float32) + np.float32(0.5)
    px = np.broadcast_to(coords[None, :], (IMAGE_SIZE, IMAGE_SIZE)).reshape(1, -1)
    py = np.broadcast_to(coords[:, None], (IMAGE_SIZE, IMAGE_SIZE)).reshape(1, -1)
    nearest = np.full((count, IMAGE_SIZE * IMAGE_SIZE), np.inf, dtype=np.float32)
    for k in range(used):  # squared distance of every pixel to segment k
        ax, ay = segments[:, k, 0, 0:1], segments[:, k, 0, 1:2]
        dx, dy = segments[:, k, 1, 0:1] - ax, segments[:, k, 1, 1:2] - ay
        t = ((px - ax) * dx + (py - ay) * dy) / np.maximum(dx * dx + dy * dy, np.float32(1e-9))
        np.clip(t, np.float32(0.0), np.float32(1.0), out=t)
        ex, ey = px - ax - t * dx, py - ay - t * dy
        np.minimum(nearest, ex * ex + ey * ey, out=nearest)
    distance = np.sqrt(nearest.astype(np.float64))
    ink = np.clip(radii[:, None] + 0.5 - distance, 0.0, 1.0) * intensity[:, None]
    return to_uint8(ink.reshape(count, IMAGE_SIZE, IMAGE_SIZE))


def _write(folder: Path, seed: int, size: str) -> dict[str, int]:
    counts = {}
    for split, per_class in DIGITS_SIZES[size].items():
        for label, name in enumerate(DIGIT_CLASSES):
            rng = make_rng(seed, "digits", split, label)
            images = render_digits(np.full(per_class, label), rng)
            for index, image in enumerate(images):
                save_png(image, folder / split / name / f"{index:05d}.png")
        counts[split] = per_class * len(DIGIT_CLASSES)
    return counts


def make_digits(
    root: str | os.PathLike[str] | None = None,
    seed: int = 0,
    size: str = "default",
    overwrite: bool = False,
) -> Path:
    """Generate the digits dataset into ``root/digits`` and return that folder.

    Layout: ``digits/train/<0-9>/*.png`` and ``digits/test/<0-9>/*.png``, 28 x 28 "L" images
    (read them with :class:`course_lib.data.ClassConditionalDataset`). ``size="default"`` makes
    300 training and 50 test images per class, ``"small"`` 30 and 10. Nothing is written when
    the folder already holds the same dataset (checked through ``manifest.json``) unless
    ``overwrite``. ``root`` defaults to ``course_lib.config.DEFAULT_DATA_DIR``.
    """
    check_size(size)
    settings = {"generator_version": GENERATOR_VERSION, "seed": seed, "size": size}
    make_rng(seed)
    return build(root, "digits", settings, lambda f: _write(f, seed, size), overwrite)
