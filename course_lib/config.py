"""Course-wide settings that live in exactly one place."""

from __future__ import annotations

import os
from pathlib import Path

#: The public repository of the course. The release command writes it into every notebook's
#: "Open in Colab" badge and setup cell; change it here only.
REPO_URL = "https://github.com/gan-course/conditional-gans"
#: Branch the Colab badge and the setup cell install from.
REPO_BRANCH = "main"

#: Root of the repository when course_lib is used from a checkout (editable install).
REPO_ROOT = Path(__file__).resolve().parent.parent



def _default_data_dir() -> Path:
    if os.environ.get("GAN_COURSE_DATA"):
        return Path(os.environ["GAN_COURSE_DATA"])
    if (REPO_ROOT / "pyproject.toml").is_file():  # a checkout: data/ beside the notebooks
        return REPO_ROOT / "data"
    return Path.home() / ".cache" / "gan-course" / "data"  # installed from the repository (Colab)


#: Where datasets are written unless a caller says otherwise: ``data/`` in a checkout, a cache
#: folder in the home directory when course_lib was installed with pip; ``GAN_COURSE_DATA``
#: overrides both.
DEFAULT_DATA_DIR = _default_data_dir()


def fast_mode() -> bool:
    """True when notebooks must skip or shorten training.

    That is the case under nbgrader's autograder (which sets ``NBGRADER_EXECUTION``), in CI, and
    whenever ``GAN_COURSE_FAST=1`` is set. ``GAN_COURSE_FAST=0`` forces the full settings.
    """
    flag = os.environ.get("GAN_COURSE_FAST")
    if flag is not None:
        return flag.strip().lower() not in {"", "0", "false", "no"}
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def colab_url(notebook_path: str) -> str:
    """The "Open in Colab" address of a notebook given relative to the repository root."""
    slug = REPO_URL.removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{slug}/blob/{REPO_BRANCH}/{notebook_path}"


def pip_spec() -> str:
    """The ``pip install`` argument that installs course_lib from the repository (Colab)."""
    return f"git+{REPO_URL}@{REPO_BRANCH}"
