"""One autograding worker: a process that owns one nbgrader course directory.

Each process that grades units (:mod:`course_lib.pipeline.grading_unit`, a Dask worker) starts
one and keeps it for the units it grades; it exits when that process is gone. A worker reads jobs
(one JSON object per line on stdin: ``{"id", "assignment", "student", "result"}``), grades the
submission its parent placed in ``<course_dir>/submitted/<student>/<assignment>/`` with
nbgrader's autograder (in this process, with the course's preprocessors), reads the outcome back
from its own gradebook and writes it as JSON to ``result``; then it answers ``{"id": ...,
"done": true}`` on its protocol pipe (the original stdout; its stdout proper goes to stderr, so
kernels and nbgrader cannot garble the protocol). Only the coordinator writes the course's
gradebook.

``python -m course_lib.pipeline.worker --course-dir DIR [--config FILE] [--cell-timeout S]``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from .kernel_guard import TRUNCATION_NOTE
from .notebook_tools import (
    NotebookReadError,
    error_outputs,
    grade_id,
    nbgrader_meta,
    read_notebook,
    strip_hidden_tests,
)
from .settings import ensure_tools_on_path, load_config, run_converter

#: Error names the guarded executor and the kernel watchdog give stopped cells.
STOPPED = {"CellTimeout", "CellTimeoutError", "KernelDied", "NotRun"}
TRUNCATED_MARKERS = (TRUNCATION_NOTE.strip().split(":")[0], "output truncated by the autograder")


def _where(cell: Any, index: int) -> str:
    gid = grade_id(cell)
    return gid if gid else f"cell {index + 1}"


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


#: (what an error says, the limit it shows was reached) for errors of exhausted resources.
EXHAUSTED = (
    (("MemoryError", "can't allocate memory", "Cannot allocate memory"), "ran out of memory"),
    (("Resource temporarily unavailable", "can't start new thread"), "hit the process limit"),
    (("No space left on device", "File too large", "Disk quota"), "filled its disk"),
    (("Too many open files",), "hit the open-file limit"),
)


def exhausted(ename: str, evalue: str) -> str | None:
    """Which sandbox limit an error shows was reached (None for other errors)."""
    text = f"{ename}: {evalue}"
    for needles, what in EXHAUSTED:
        if any(needle in text for needle in needles):
            return what
    return None


def notebook_incidents(autograded: Any, answer_ids: set[str]) -> list[str]:
    """Problems visible in an autograded notebook: stopped cells, errors in answers, floods,
    exhausted limits (memory, processes, disk), dead kernels."""
    problems: list[str] = []
    for i, cell in enumerate(autograded.cells):
        if cell.cell_type != "code":
            continue
        where = _where(cell, i)
        for out in error_outputs(cell):
            ename = str(out.get("ename", ""))
            limit = exhausted(ename, str(out.get("evalue", "")))
            if limit:
                problems.append(f"{where}: {limit} ({ename}); graded on what ran")
            elif ename in STOPPED:
                problems.append(f"{where}: {_short(out.get('evalue', ''))}")
            elif grade_id(cell) in answer_ids and ename != "NotImplementedError":
                problems.append(f"{where}: {ename}: {_short(out.get('evalue', ''))}")
        for out in cell.get("outputs", []):
            text = out.get("text", "") if out.get("output_type") == "stream" else ""
            if any(marker in text for marker in TRUNCATED_MARKERS):
                problems.append(f"{where}: printed too much; the output was truncated")
                break
    return problems


def failure_reason(log: str, error: str) -> str:
    """The exception that made nbgrader give up on a submission, from its log or traceback."""
    lines = [line.strip() for line in log.splitlines()]
    for i, line in enumerate(lines):
        if line.startswith("[ERROR] There was an error processing") and i > 0:
            for previous in reversed(lines[:i]):
                if previous:
                    return previous
    tail = [line.strip() for line in error.strip().splitlines() if line.strip()]
    return tail[-1] if tail else "nbgrader failed without saying why"


def tampering(submitted: Any, source_cells: list[Any], graded_ids: set[str]) -> list[str]:
    """Deleted, edited or re-labelled read-only and graded cells of a submission."""
    problems: list[str] = []
    by_id: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for cell in submitted.cells:
        gid = grade_id(cell)
        if gid:
            counts[gid] = counts.get(gid, 0) + 1
            by_id.setdefault(gid, cell)
    for gid, count in counts.items():
        if count > 1:
            problems.append(f"{gid} appears {count} times (copied cells); one copy was graded")
    for src in source_cells:
        cell = by_id.get(src.name)
        if cell is None:
            if src.name in graded_ids or (src.locked and src.cell_type == "code"):
                problems.append(f"{src.name} was deleted; the original was put back")
            continue
        if src.locked:
            released = strip_hidden_tests(src.source, note=None)
            if cell.source.strip() not in (src.source.strip(), released.strip()):
                problems.append(f"{src.name} (read-only) was edited; the original was run")
        meta = nbgrader_meta(cell)
        if src.name in graded_ids and not meta.get("grade"):
            problems.append(f"{src.name}: its grading metadata was removed; it was restored")
    return problems


def grade(
    config: Any, course_dir: Path, assignment: str, student: str, db_url: str, course_id: str
) -> dict[str, Any]:
    """Autograde one submission in this worker's course directory; the outcome as a dict."""
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.converters import Autograde

    start = time.monotonic()
    outcome: dict[str, Any] = {"assignment": assignment, "student": student, "problems": []}
    submitted_dir = course_dir / "submitted" / student / assignment
    submitted_nbs = {p.stem: p for p in submitted_dir.glob("*.ipynb")}
    result = run_converter(Autograde, config, assignment, student, force=True, create_student=True)
    outcome["success"] = bool(result.get("success"))
    log = result.get("log", "") or ""
    outcome["log_tail"] = log[-4000:]
    if not outcome["success"]:
        outcome["error"] = _short(failure_reason(log, result.get("error") or ""), 600)
    notebooks: dict[str, Any] = {}
    try:
        with Gradebook(db_url, course_id) as gb:
            submission = gb.find_submission(assignment, student)
            outcome["timestamp"] = (
                submission.timestamp.isoformat() if submission.timestamp is not None else None
            )
            for snb in submission.notebooks:
                source_nb = gb.find_notebook(snb.name, assignment)
                answer_ids = {c.name for c in source_nb.solution_cells} - {
                    c.name for c in source_nb.grade_cells
                }
                graded_ids = {c.name for c in source_nb.grade_cells}
                entry: dict[str, Any] = {
                    "grades": {
                        g.name: {
                            "auto_score": g.auto_score,
                            "max_score": float(g.max_score),
                            "needs_manual_grade": bool(g.needs_manual_grade),
                        }
                        for g in snb.grades
                    },
                    "comments": {c.name: c.auto_comment for c in snb.comments},
                    "late_submission_penalty": snb.late_submission_penalty,
                    "problems": [],
                }
                path = course_dir / "autograded" / student / assignment / f"{snb.name}.ipynb"
                if path.is_file():
                    try:
                        entry["problems"] += notebook_incidents(read_notebook(path), answer_ids)
                    except NotebookReadError as exc:
                        entry["problems"].append(str(exc))
                if snb.name in submitted_nbs:
                    try:
                        submitted = read_notebook(submitted_nbs[snb.name])
                        entry["problems"] = (
                            tampering(submitted, list(source_nb.source_cells), graded_ids)
                            + entry["problems"]
                        )
                    except NotebookReadError:
                        pass
                notebooks[snb.name] = entry
    except MissingEntry as exc:
        outcome["success"] = False
        outcome.setdefault("error", f"no submission in the gradebook: {exc}")
    outcome["notebooks"] = notebooks
    outcome["seconds"] = round(time.monotonic() - start, 2)
    return outcome


def _exit_with_parent(interval: float = 1.0) -> None:
    """End this process as soon as its parent is gone (a killed Dask worker leaves no grader
    behind; the kernels follow their own parent)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()


def serve(
    course_dir: Path, config_file: str | None, cell_timeout: float | None, sandbox: bool = True
) -> int:
    """Answer jobs from stdin until it closes (kernels in the sandbox unless ``sandbox=False``)."""
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # whatever else writes to stdout (kernels, libraries) goes to stderr
    sys.stdout = sys.stderr
    ensure_tools_on_path()
    os.environ.setdefault("GAN_COURSE_FAST", "1")
    from nbgrader.coursedir import CourseDirectory

    config = load_config(course_dir, config_file, cell_timeout)
    if not sandbox:
        config.SandboxedKernelManager.sandbox = False
    coursedir = CourseDirectory(config=config)
    db_url = coursedir.db_url
    course_id = coursedir.course_id
    _exit_with_parent()
    protocol.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        job = json.loads(line)
        try:
            outcome = grade(
                config, course_dir, job["assignment"], job["student"], db_url, course_id
            )
        except Exception:
            outcome = {
                "assignment": job.get("assignment"),
                "student": job.get("student"),
                "success": False,
                "error": _short(traceback.format_exc().strip().splitlines()[-1], 600),
                "notebooks": {},
                "problems": [],
            }
        Path(job["result"]).write_text(json.dumps(outcome), encoding="utf-8")
        protocol.write(json.dumps({"id": job["id"], "done": True}) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m course_lib.pipeline.worker``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--course-dir", required=True, type=Path)
    parser.add_argument("--config", default=None)
    parser.add_argument("--cell-timeout", type=float, default=None)
    parser.add_argument("--no-sandbox", action="store_true", help="kernels without the sandbox")
    args = parser.parse_args(argv)
    return serve(args.course_dir.resolve(), args.config, args.cell_timeout, not args.no_sandbox)


if __name__ == "__main__":
    sys.exit(main())
