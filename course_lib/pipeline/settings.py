"""nbgrader settings shared by ``nbgrader_config.py``, the instructor commands and their workers."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from course_lib.config import REPO_ROOT

COURSE_ID = "conditional-gans"
#: Seconds a cell may run under the autograder. In fast mode no cell needs more than a few
#: seconds, and a whole notebook has about 10 s of the 60 s a student's course may take; 30 s
#: leaves room for a slow grading machine while an infinite loop costs at most that.
CELL_TIMEOUT = 30
#: Characters a cell may print under the autograder.
MAX_OUTPUT_CHARS = 100_000
CONFIG_FILE = "nbgrader_config.py"


def solution_stubs(lang: str = "en") -> tuple[str, str]:
    """What replaces a solution in the learner's notebook, in ``lang``: (code stub, text stub).

    The stub text enters the checksums nbgrader records, so the release, the autograder and the
    formgrader of one edition must agree on it: they all take it from here.
    """
    from course_lib.i18n import N_, gettext_in

    code = gettext_in(lang, N_("YOUR CODE HERE"))
    return f"# {code}\nraise NotImplementedError()", gettext_in(lang, N_("YOUR ANSWER HERE"))


def set_solution_stubs(c: Config, lang: str) -> Config:
    """Give ``c`` the stubs of the edition in ``lang`` (in place; returned)."""
    code, text = solution_stubs(lang)
    c.ClearSolutions.code_stub = {"python": code}
    c.ClearSolutions.text_stub = text
    return c


def configure_nbgrader(c: Config) -> Config:
    """Put the course's robust preprocessors into an nbgrader config (in place; returned).

    The solution stubs follow ``GAN_COURSE_LANG`` (set it to ``ko`` when plain nbgrader or the
    formgrader works on the Korean edition's sources).

    Autograde: sanitizing adds :class:`~course_lib.pipeline.preprocessors.ResetCellMetadata` and
    uses :class:`~course_lib.pipeline.preprocessors.RestoreMissingCells` for ``OverwriteCells``;
    execution uses :class:`~course_lib.pipeline.preprocessors.GuardedExecute` and
    :class:`~course_lib.pipeline.preprocessors.LimitOutputSize`. Feedback adds
    :class:`~course_lib.pipeline.preprocessors.HideHiddenTests` in front of nbgrader's own.
    """
    from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        ClearOutput,
        DeduplicateIds,
        GetGrades,
        IgnorePattern,
        LimitOutput,
        OverwriteKernelspec,
        SaveAutoGrades,
    )

    from .preprocessors import (
        GuardedExecute,
        HideHiddenTests,
        LimitOutputSize,
        ResetCellMetadata,
        RestoreMissingCells,
    )

    c.Autograde.sanitize_preprocessors = [
        ClearOutput,
        ResetCellMetadata,
        DeduplicateIds,
        OverwriteKernelspec,
        RestoreMissingCells,
        CheckCellMetadata,
    ]
    c.Autograde.autograde_preprocessors = [
        GuardedExecute,
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        LimitOutputSize,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]
    c.GenerateFeedback.preprocessors = [HideHiddenTests, GetGrades, CSSHTMLHeaderPreprocessor]
    c.LimitOutputSize.max_chars = MAX_OUTPUT_CHARS
    c.GuardedExecute.max_output_chars = MAX_OUTPUT_CHARS
    from course_lib.i18n import get_language

    set_solution_stubs(c, get_language())
    return c


def default_config() -> Config:
    """The settings of the repository's ``nbgrader_config.py``, for a course without that file."""
    c = Config()
    c.CourseDirectory.course_id = COURSE_ID
    c.Execute.timeout = CELL_TIMEOUT
    c.OverwriteCells.add_missing_cells = True
    return configure_nbgrader(c)


def find_config_file(course_dir: str | Path | None = None) -> Path | None:
    """``nbgrader_config.py`` of ``course_dir``, else of the repository, else None."""
    for root in (Path(course_dir) if course_dir else None, REPO_ROOT):
        if root is not None and (root / CONFIG_FILE).is_file():
            return (root / CONFIG_FILE).resolve()
    return None


def load_config(
    course_dir: str | Path,
    config_file: str | Path | None = None,
    cell_timeout: float | None = None,
) -> Config:
    """The nbgrader config for ``course_dir``: the config file (or the defaults), then overrides.

    The course directory always wins over the ``CourseDirectory.root`` of the file, so one config
    file serves the repository and the temporary course directories of the pipeline.
    """
    path = Path(config_file) if config_file else find_config_file(course_dir)
    if path is not None and path.is_file():
        loader = PyFileConfigLoader(path.name, str(path.parent))
        c = loader.load_config()
        # a config file that does not install the course's preprocessors gets them here
        if "Autograde" not in c or "autograde_preprocessors" not in c.Autograde:
            configure_nbgrader(c)
    else:
        c = default_config()
    c.CourseDirectory.root = os.path.abspath(course_dir)
    if cell_timeout is not None:
        c.Execute.timeout = int(round(cell_timeout))
    return c


def ensure_tools_on_path() -> None:
    """Put this interpreter's ``bin`` folder first on ``PATH`` (and cache nbgrader's schema head).

    nbgrader runs ``alembic`` (it creates and migrates the gradebook) and kernels run ``python``
    by name; both must be the ones of this environment even when it is not activated.
    """
    bindir = str(Path(sys.executable).parent)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if not parts or parts[0] != bindir:
        os.environ["PATH"] = os.pathsep.join([bindir, *[p for p in parts if p != bindir]])
    _cache_alembic_head()


def _cache_alembic_head() -> None:
    """Ask ``alembic`` for nbgrader's schema head once per process, not once per new gradebook.

    nbgrader runs the ``alembic heads`` command (about a second) every time it creates a
    gradebook; the answer depends only on the installed nbgrader.
    """
    import functools

    import nbgrader.api

    if not hasattr(nbgrader.api.get_alembic_version, "cache_info"):
        nbgrader.api.get_alembic_version = functools.cache(nbgrader.api.get_alembic_version)


def run_converter(
    converter: type,
    config: Config,
    assignment_id: str,
    student_id: str | None = None,
    **attributes: object,
) -> dict[str, object]:
    """Run an nbgrader converter (``GenerateAssignment``, ``Autograde``, ``GenerateFeedback``).

    In this process, like ``NbGraderAPI`` does but without its exchange set-up; the log is
    captured (``result["log"]``) instead of printed. Returns nbgrader's result dict (``success``,
    ``log``, ``error``).
    """
    import logging

    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import capture_log

    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = assignment_id
    if student_id is not None:
        coursedir.student_id = student_id
    app = converter(coursedir=coursedir, config=config)
    for name, value in attributes.items():
        setattr(app, name, value)
    logger = app.log if isinstance(app.log, logging.Logger) else logging.getLogger("traitlets")
    propagate = logger.propagate
    logger.propagate = False
    try:
        return capture_log(app)
    finally:
        logger.propagate = propagate
