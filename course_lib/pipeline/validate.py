"""``gan-course validate NOTEBOOK``: run one notebook's checks and say which exercises pass.

The notebook runs in a fresh kernel in fast mode with the autograder's guard (a cell that loops
is stopped), from its own folder. Every exercise is then reported as the autograder would score
it: a test cell earns its points when it raises nothing and writes nothing to stderr. Read-only
cells that were changed are pointed out (the autograder runs the originals), and for a student
notebook the hidden tests are not there: passing here is necessary, not sufficient.

The report is in the notebook's language (:func:`~.notebook_tools.report_language`: its setup
cell's ``start(..., lang="ko")``, else ``GAN_COURSE_LANG``, else English), and the kernel runs
with ``GAN_COURSE_LANG`` set to it, so the checks' messages are in the same language.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from course_lib.i18n import gettext_in, korean_particles

from .execute import environment, run_notebook
from .notebook_tools import (
    cell_passed,
    exercises,
    first_error,
    fmt_points,
    grade_id,
    has_hidden_tests,
    is_answer,
    is_locked,
    is_test,
    nbgrader_meta,
    points,
    read_notebook,
    report_language,
    stderr_text,
)
from .settings import CELL_TIMEOUT


def translator(lang: str) -> Callable[[str], str]:
    """``_`` for messages in ``lang`` (whatever language the process speaks)."""
    return functools.partial(gettext_in, lang)


@dataclass
class ExerciseResult:
    """How one exercise fared."""

    name: str
    kind: str
    points: float
    earned: float | None
    messages: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Full points (written answers never count as failed)."""
        return self.kind == "manual" or self.earned == self.points


@dataclass
class ValidationReport:
    """The outcome of validating a notebook."""

    path: Path
    exercises: list[ExerciseResult]
    warnings: list[str]
    hidden_tests_present: bool
    lang: str = "en"

    @property
    def ok(self) -> bool:
        """True when every autograded exercise passes."""
        return all(ex.passed for ex in self.exercises)

    def text(self) -> str:
        """The report as printed by the command."""
        auto = [ex for ex in self.exercises if ex.kind == "auto"]
        manual = [ex for ex in self.exercises if ex.kind == "manual"]
        earned = sum(ex.earned or 0 for ex in auto)
        total = sum(ex.points for ex in auto)
        passed = sum(ex.passed for ex in auto)
        _ = translator(self.lang)
        head = _("{name}: {passed} of {total} exercise(s) pass, {earned}/{max} points").format(
            name=self.path.name,
            passed=passed,
            total=len(auto),
            earned=fmt_points(earned),
            max=fmt_points(total),
        )
        if manual:
            head += _("; {count} written answer(s) graded by hand").format(count=len(manual))
        lines = [head]
        width = max([len(ex.name) for ex in self.exercises] + [8])
        for ex in self.exercises:
            if ex.kind == "manual":
                by_hand = _("{points} points, by hand").format(points=fmt_points(ex.points))
                lines.append(f"  ----  {ex.name:<{width}}  {by_hand}")
                continue
            mark = _("PASS") if ex.passed else _("FAIL")
            score = f"{fmt_points(ex.earned or 0)}/{fmt_points(ex.points)}"
            lines.append(f"  {mark}  {ex.name:<{width}}  {score}")
            for message in ex.messages:
                for i, line in enumerate(message.splitlines() or [""]):
                    lines.append(("        " if i == 0 else "          ") + line)
        if not self.exercises:
            lines.append("  " + _("(this notebook has no graded exercises)"))
        for warning in self.warnings:
            lines.append(_("warning: {warning}").format(warning=warning))
        if not self.hidden_tests_present and any(ex.kind == "auto" for ex in self.exercises):
            lines.append(
                _("note: the autograder also runs hidden tests that are not in this notebook.")
            )
        return "\n".join(lines)


def _changed_readonly(nb: object) -> list[str]:
    from nbgrader.utils import compute_checksum

    changed = []
    for i, cell in enumerate(nb.cells):  # type: ignore[attr-defined]
        meta = nbgrader_meta(cell)
        if is_locked(cell) and meta.get("checksum") and not has_hidden_tests(cell.source):
            if compute_checksum(cell) != meta["checksum"]:
                changed.append(grade_id(cell) or f"cell {i + 1}")
    return changed


def sandbox_choice(sandbox: str) -> tuple[bool, str | None]:
    """Whether to use the grading sandbox for ``sandbox`` = "auto", "on" or "off", and a warning.

    "auto" uses it where it can run (and warns where it cannot), "on" requires it
    (:class:`~course_lib.pipeline.sandbox.SandboxUnavailable` where it cannot run).
    """
    from .sandbox import SandboxUnavailable, unavailable_reason

    if sandbox not in ("auto", "on", "off"):
        raise ValueError(f"sandbox must be 'auto', 'on' or 'off', not {sandbox!r}")
    if sandbox == "off":
        return False, None
    reason = unavailable_reason()
    if reason and sandbox == "on":
        raise SandboxUnavailable(reason)
    if reason:
        return False, f"not sandboxed: {reason}"
    return True, None


def validate(
    path: str | Path,
    timeout: float = CELL_TIMEOUT,
    fast: bool = True,
    sandbox: str = "auto",
    lang: str | None = None,
) -> ValidationReport:
    """Run the notebook at ``path`` and report its exercises (see the module docstring).

    The kernel runs in the grading sandbox where it can (``sandbox``: see :func:`sandbox_choice`).
    ``lang`` overrides the language the notebook chooses for the report and the kernel.
    """
    path = Path(path).resolve()
    nb = read_notebook(path)
    lang = report_language(nb, lang)
    _ = translator(lang)
    use_sandbox, note = sandbox_choice(sandbox)
    warnings = [
        korean_particles(
            _("read-only cell {name} was changed; the autograder runs the original").format(
                name=name
            )
        )
        for name in _changed_readonly(nb)
    ]
    if note:
        warnings.append(note)
    hidden = any(has_hidden_tests(c.source) for c in nb.cells if is_test(c))
    with environment(GAN_COURSE_LANG=lang):
        run_notebook(nb, path.parent, timeout=timeout, fast=fast, sandbox=use_sandbox)
    by_id = {grade_id(c): c for c in nb.cells if grade_id(c)}
    results: list[ExerciseResult] = []
    for ex in exercises(nb):
        if ex.kind == "manual":
            results.append(ExerciseResult(ex.name, "manual", ex.points, None))
            continue
        if not ex.grade_ids:
            warnings.append(_("answer cell {name} has no test cell").format(name=ex.name))
            continue
        result = ExerciseResult(ex.name, "auto", ex.points, 0.0)
        answer = by_id.get(ex.answer_id or ex.name)
        answer_error = first_error(answer) if answer is not None and is_answer(answer) else None
        if answer_error:
            result.messages.append(
                _("the answer cell failed: {error}").format(
                    error=f"{answer_error[0]}: {answer_error[1]}"
                )
            )
        for gid in ex.grade_ids:
            cell = by_id[gid]
            if cell_passed(cell):
                result.earned = (result.earned or 0) + points(cell)
                continue
            err = first_error(cell)
            if err and err[0] in ("AssertionError", "CheckFailed") and err[1]:
                message = err[1]
            elif err and err[0] == "NotImplementedError":
                message = _("not written yet (it raises NotImplementedError)")
            elif err:
                message = f"{err[0]}: {err[1]}"
            else:
                message = (
                    _("wrote to stderr (the autograder counts that as a failure): ")
                    + (stderr_text(cell).strip()[:300])
                )
            result.messages.append(f"{gid}: {message}")
        results.append(result)
    for i, cell in enumerate(nb.cells):
        err = first_error(cell) if cell.cell_type == "code" else None
        if err and not (is_test(cell) or is_answer(cell)):
            where = grade_id(cell) or _("cell {number}").format(number=i + 1)
            warnings.append(
                _("{cell} raised {error}").format(cell=where, error=f"{err[0]}: {err[1][:200]}")
            )
    return ValidationReport(path, results, warnings, hidden, lang)


def validate_command(
    path: str | Path,
    timeout: float = CELL_TIMEOUT,
    fast: bool = True,
    log: Callable[[str], None] = print,
    sandbox: str = "auto",
    lang: str | None = None,
) -> int:
    """Validate and print; the exit status (0 when every exercise passes)."""
    report = validate(path, timeout=timeout, fast=fast, sandbox=sandbox, lang=lang)
    log(report.text())
    return 0 if report.ok else 1
