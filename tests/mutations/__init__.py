"""Mutation suite of ``course_lib.grading``.

One module per topic lists, for every exercise, realistic wrong answers (mutants, each with the
fragments its rejection message must contain) and correct answers written differently from the
reference (alternatives, which must be accepted). ``CASES`` holds them all.
"""

from . import ablation, cgan, cyclegan, pix2pix, pool  # noqa: F401  (they register the cases)
from .cases import CASES, Case

__all__ = ["CASES", "Case"]
