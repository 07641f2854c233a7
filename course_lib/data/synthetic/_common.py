"""What the three generators share: seeding, PNG writing, manifests, atomic (re)generation."""

from __future__ import annotations

import colorsys
import hashlib
import io
import json
import os
import shutil
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
from PIL import Image

SIZES: tuple[str, ...] = ("default", "small")
MANIFEST = "manifest.json"


def default_root() -> Path:
    """``course_lib.config.DEFAULT_DATA_DIR`` (read at call time, so tests can change it)."""
    from course_lib.config import DEFAULT_DATA_DIR

    return Path(DEFAULT_DATA_DIR)


def check_size(size: str) -> None:
    """Raise ``ValueError`` unless ``size`` is one of :data:`SIZES`."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}; got {size!r}")


def make_rng(seed: int, *keys: int | str) -> np.random.Generator:
    """A NumPy generator that depends only on ``seed`` and ``keys`` (e.g. dataset and split).

    Each split (and each digit class) gets its own stream, so asking for more test images never
    changes the training images.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    words = [seed]
    for key in keys:
        if isinstance(key, str):
            words.append(int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "little"))
        else:
            words.append(int(key))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(words)))


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Float image in [0, 1] to uint8, rounding half to even (``np.rint``)."""
    return np.clip(np.rint(np.asarray(image, dtype=np.float64) * 255.0), 0, 255).astype(np.uint8)


def save_png(array: np.ndarray, path: Path) -> None:
    """Write a uint8 array ("L" if 2-D, "RGB" if H x W x 3) as a PNG without any metadata.

    Fixed encoder settings and no text chunks (no time stamps) make the bytes a function of the
    pixels only, for a given Pillow build.
    """
    array = np.ascontiguousarray(array, dtype=np.uint8)
    buffer = io.BytesIO()
    image = Image.fromarray(array) if array.ndim == 2 else Image.fromarray(array).convert("RGB")
    image.save(buffer, format="PNG", compress_level=6, optimize=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def hsv(h: float, s: float, v: float) -> np.ndarray:
    """An RGB colour (float array of 3 in [0, 1]) from hue, saturation, value in [0, 1]."""
    return np.array(colorsys.hsv_to_rgb(h % 1.0, s, v), dtype=np.float64)


def files_digest(folder: Path) -> tuple[int, str]:
    """Number of files under ``folder`` and a SHA-256 over their relative paths and contents.

    The manifest itself is left out.
    """
    digest = hashlib.sha256()
    files = sorted(
        (p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST),
        key=lambda p: p.relative_to(folder).as_posix(),
    )
    for path in files:
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return len(files), digest.hexdigest()


def read_manifest(folder: Path) -> dict | None:
    """The manifest of a generated dataset, or ``None`` when it is missing or unreadable."""
    try:
        return json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def is_up_to_date(folder: Path, expected: Mapping[str, object]) -> bool:
    """True when ``folder`` holds a complete dataset generated with the ``expected`` settings.

    The settings in the manifest must match and the files on disk must still hash to the
    recorded digest (a deleted or edited file triggers a regeneration).
    """
    manifest = read_manifest(folder)
    if manifest is None:
        return False
    if any(manifest.get(key) != value for key, value in expected.items()):
        return False
    count, digest = files_digest(folder)
    return manifest.get("files") == count and manifest.get("sha256") == digest


def build(
    root: str | os.PathLike[str] | None,
    name: str,
    settings: Mapping[str, object],
    write: Callable[[Path], Mapping[str, object]],
    overwrite: bool = False,
) -> Path:
    """Generate dataset ``name`` into ``root/name`` unless an identical one is already there.

    ``write(folder)`` draws every file into an empty temporary folder and returns the counts;
    the folder is swapped in only when complete, so an interrupted run never leaves a
    half-written dataset behind.
    """
    root = default_root() if root is None else Path(root)
    target = root / name
    expected = {"dataset": name, **settings}
    if not overwrite and is_up_to_date(target, expected):
        return target
    if target.exists() and not overwrite and read_manifest(target) is None:
        raise FileExistsError(
            f"{target} exists but holds no {MANIFEST}, so it was not generated here; move it "
            "away or pass overwrite=True to replace it"
        )
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".{name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        counts = write(staging)
        files, digest = files_digest(staging)
        manifest = {**expected, "counts": dict(counts), "files": files, "sha256": digest}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target
