"""Course-wide settings that live in exactly one place."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
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


#: The embedded datasets the notebooks train on (generated on first use, see course_lib.notebook).
#: ``unpaired_houses`` is lesson 05's variant of ``unpaired``, with large houses.
EMBEDDED = ("digits", "facades", "unpaired", "unpaired_houses")


def fast_mode() -> bool:
    """True when notebooks must skip or shorten training.

    That is the case under nbgrader's autograder (which sets ``NBGRADER_EXECUTION``), in CI, and
    whenever ``GAN_COURSE_FAST=1`` is set. ``GAN_COURSE_FAST=0`` forces the full settings.
    """
    flag = os.environ.get("GAN_COURSE_FAST")
    if flag is not None:
        return flag.strip().lower() not in {"", "0", "false", "no"}
    return bool(os.environ.get("NBGRADER_EXECUTION"))


@dataclass(frozen=True)
class Repository:
    """Where the Colab badge opens the notebooks and the setup cell installs course_lib from.

    The defaults are :data:`REPO_URL` and :data:`REPO_BRANCH`; an instructor who publishes a
    fork stamps its own address with ``gan-course release --repo-url URL [--branch B]``.
    """

    url: str = REPO_URL
    branch: str = REPO_BRANCH

    @classmethod
    def checked(cls, url: str | None = None, branch: str | None = None) -> Repository:
        """A repository from user input; ``ValueError`` naming the problem when the address is
        not a GitHub repository (Colab opens notebooks from GitHub only) or the branch name is
        not one git accepts."""
        url = REPO_URL if url is None else url.strip().removesuffix("/").removesuffix(".git")
        branch = REPO_BRANCH if branch is None else branch.strip()
        if not _GITHUB_RE.fullmatch(url):
            raise ValueError(
                f"--repo-url must be a GitHub repository address such as "
                f"https://github.com/OWNER/NAME (Colab opens notebooks from GitHub only), got "
                f"{url!r}"
            )
        if not _BRANCH_RE.fullmatch(branch) or ".." in branch or branch.endswith((".", "/")):
            raise ValueError(f"--branch must be a git branch name such as main, got {branch!r}")
        return cls(url, branch)

    def colab_url(self, notebook_path: str) -> str:
        """The "Open in Colab" address of a notebook given relative to the repository root."""
        slug = self.url.removeprefix("https://github.com/")
        return f"https://colab.research.google.com/github/{slug}/blob/{self.branch}/{notebook_path}"

    def pip_spec(self) -> str:
        """The ``pip install`` argument that installs course_lib from the repository (Colab)."""
        return f"git+{self.url}@{self.branch}"


_GITHUB_RE = re.compile(r"https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_BRANCH_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]*")


def colab_url(notebook_path: str, repo: Repository | None = None) -> str:
    """The "Open in Colab" address of a notebook given relative to the repository root."""
    return (repo or Repository()).colab_url(notebook_path)


def pip_spec(repo: Repository | None = None) -> str:
    """The ``pip install`` argument that installs course_lib from the repository (Colab)."""
    return (repo or Repository()).pip_spec()
