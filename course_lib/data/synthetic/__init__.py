"""The course's embedded datasets: small, synthetic, generated in seconds on a laptop CPU.

They stand in for MNIST, pix2pix's facades and CycleGAN's horse2zebra when there is no GPU
and no network, and they are written in exactly the layouts of the real data sets, so the
same loaders read both::

    from course_lib.data import generate_all, PairedABDataset
    paths = generate_all()                      # data/digits, data/facades, data/unpaired
    train = PairedABDataset(paths["facades"], "train", load_size=72, crop_size=64)

Generation is deterministic: the same seed gives byte-identical PNG files. A ``manifest.json``
in each dataset folder records the seed, the size, the generator version and a hash of the
files; a later call with the same settings finds it and does nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

from ._common import SIZES, check_size, default_root, read_manifest
from .digits import DIGIT_CLASSES, DIGITS_SIZES, make_digits
from .facades import (
    FACADE_CLASSES,
    FACADE_LABEL_COLOURS,
    FACADES_SIZES,
    indices_to_label_map,
    label_map_to_indices,
    make_facades,
)
from .unpaired import HOUSES, UNPAIRED_SIZES, make_unpaired, make_unpaired_houses

__all__ = [
    "SIZES",
    "DIGIT_CLASSES",
    "DIGITS_SIZES",
    "FACADE_CLASSES",
    "FACADE_LABEL_COLOURS",
    "FACADES_SIZES",
    "UNPAIRED_SIZES",
    "HOUSES",
    "EMBEDDED_DATASETS",
    "generate_all",
    "make_digits",
    "make_facades",
    "make_unpaired",
    "make_unpaired_houses",
    "label_map_to_indices",
    "indices_to_label_map",
    "read_manifest",
]

#: The embedded datasets and the function that makes each one.
EMBEDDED_DATASETS = {"digits": make_digits, "facades": make_facades, "unpaired": make_unpaired}


def generate_all(
    root: str | os.PathLike[str] | None = None,
    seed: int = 0,
    size: str = "default",
    overwrite: bool = False,
) -> dict[str, Path]:
    """Generate the three embedded datasets under ``root`` and return their folders by name.

    ``root`` defaults to ``course_lib.config.DEFAULT_DATA_DIR``; the result is
    ``{"digits": root/digits, "facades": root/facades, "unpaired": root/unpaired}``.
    ``size="small"`` makes a few dozen images per dataset (for tests); datasets already present
    with the same settings are left untouched unless ``overwrite``.
    """
    check_size(size)
    root = default_root() if root is None else Path(root)
    return {
        name: make(root, seed=seed, size=size, overwrite=overwrite)
        for name, make in EMBEDDED_DATASETS.items()
    }
