"""Reference losses of the course, one module per model family.

These are the solutions the notebooks' exercises are checked against, and what the training
loops in :mod:`course_lib.training` call.
"""

from . import cgan, cyclegan, pix2pix

__all__ = ["cgan", "pix2pix", "cyclegan"]
