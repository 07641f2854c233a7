"""Datasets of the course: loaders for the official layouts, embedded synthetic data, downloads.

* :class:`PairedABDataset`: pix2pix pairs, A and B side by side in ``root/<split>/``;
* :class:`UnpairedDataset`: CycleGAN domains in ``root/trainA``, ``trainB``, ``testA``, ``testB``;
* :class:`ClassConditionalDataset`: labelled images in ``root/<split>/<class_name>/``;
* :func:`generate_all`: the embedded ``digits``, ``facades`` and ``unpaired`` sets, generated
  in seconds in those same layouts;
* :func:`download_dataset`: the real data sets (facades, horse2zebra, ..., MNIST) for a GPU.

The preprocessing follows the official pix2pix / CycleGAN code: see
:mod:`course_lib.data.transforms`.
"""

from .classes import ClassConditionalDataset
from .download import DATASETS, DownloadError, download_dataset, list_datasets
from .images import IMG_EXTENSIONS, is_image_file, list_images, load_image
from .paired import DIRECTIONS, PAIRED_SPLITS, PairedABDataset, split_ab
from .synthetic import (
    DIGIT_CLASSES,
    EMBEDDED_DATASETS,
    FACADE_CLASSES,
    FACADE_LABEL_COLOURS,
    generate_all,
    indices_to_label_map,
    label_map_to_indices,
    make_digits,
    make_facades,
    make_unpaired,
)
from .transforms import (
    CropFlipParams,
    SampleRNG,
    apply_params,
    denormalize,
    get_params,
    get_transform,
    to_normalized_tensor,
)
from .unpaired import UNPAIRED_SPLITS, UnpairedDataset

__all__ = [
    "PairedABDataset",
    "UnpairedDataset",
    "ClassConditionalDataset",
    "PAIRED_SPLITS",
    "UNPAIRED_SPLITS",
    "DIRECTIONS",
    "split_ab",
    "IMG_EXTENSIONS",
    "is_image_file",
    "list_images",
    "load_image",
    "CropFlipParams",
    "SampleRNG",
    "get_params",
    "apply_params",
    "get_transform",
    "to_normalized_tensor",
    "denormalize",
    "generate_all",
    "make_digits",
    "make_facades",
    "make_unpaired",
    "EMBEDDED_DATASETS",
    "DIGIT_CLASSES",
    "FACADE_CLASSES",
    "FACADE_LABEL_COLOURS",
    "label_map_to_indices",
    "indices_to_label_map",
    "DATASETS",
    "DownloadError",
    "download_dataset",
    "list_datasets",
]
