"""``gan-course``: the course's commands for learners, instructors and CI."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from course_lib.config import REPO_ROOT

if TYPE_CHECKING:
    from course_lib.pipeline.release import ReleaseResult

EXAMPLES = """\
examples:
  gan-course build                          datasets, every notebook in fast mode, figures, report
  gan-course build --full                   every notebook at its default settings (hours on a
                                            CPU; resumable), real figures, decks, report
  gan-course slides                         a reveal.js deck per notebook in outputs/slides/
  gan-course slides 02_pix2pix --with-solutions
  gan-course slides --lang ko               the Korean edition's decks in outputs/slides/ko/
  gan-course validate notebooks/01_cgan_basics.ipynb
                                            run a notebook's checks, list what passes
  gan-course release                        regenerate notebooks/ from solutions/
  gan-course release --check                fail if notebooks/ is out of date (CI)
  gan-course release --lang ko              the Korean edition: notebooks/ko/ from solutions/
                                            and solutions/ko/*.toml (--lang all: both editions)
  gan-course translations                   how far each Korean translation is (per notebook)
  gan-course translations 03_l1_vs_l2 --skeleton
                                            add the new cells to solutions/ko/03_l1_vs_l2.toml
  gan-course release --repo-url URL         stamp a fork's address (and --branch B) into the
                                            Colab badges and setup cells
  gan-course autograde submitted/           grade <student>/<assignment>/<notebook>.ipynb
  gan-course autograde submitted/ --workers 8 --force --student alice
  gan-course autograde submitted/ --scheduler tcp://scheduler-host:8786
  gan-course autograde submitted/ --lang ko grade the Korean edition's submissions
  gan-course feedback                       feedback HTML for every graded submission
"""


#: ``--lang`` of the commands that make or grade an edition.
EDITION_CHOICES = ("en", "ko", "all")


def _positive(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return number


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``gan-course``."""
    parser = argparse.ArgumentParser(
        prog="gan-course",
        description="Conditional GANs, Pix2Pix and CycleGAN course: build, check and grade.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "build",
        help="generate the datasets, run every solution notebook in fast mode, write outputs/",
        description="The course's main job: generate the embedded datasets, run every notebook "
        "of solutions/ in fast mode, save the executed notebooks and their figures to outputs/ "
        "and write outputs/report.md (fast-mode figures are stamped as such). With --full: the "
        "default settings into outputs/full/, then the decks. Exit status 1 when something "
        "failed.",
    )
    p.add_argument("--data", type=Path, default=None, help="dataset folder (default: data/)")
    p.add_argument("--solutions", type=Path, default=REPO_ROOT / "solutions")
    p.add_argument("--outputs", type=Path, default=REPO_ROOT / "outputs")
    p.add_argument(
        "--timeout",
        type=_positive,
        default=None,
        help="seconds per cell (default: 600; 7200 with --full)",
    )
    p.add_argument(
        "--full",
        action="store_true",
        help="default settings instead of fast mode: real figures and numbers, the decks, and "
        "outputs/full/report.md; a notebook already run is kept, training resumes from its "
        "checkpoints",
    )
    p.add_argument(
        "--only", action="append", default=None, metavar="NOTEBOOK", help="only this notebook"
    )
    p.add_argument(
        "--force", action="store_true", help="with --full: run again what is done already"
    )
    p.add_argument(
        "--lang",
        choices=EDITION_CHOICES,
        default="en",
        help="the edition: en (default), ko (the Korean notebooks, into executed/ko/ and "
        "figures/ko/, report.ko.md) or all (both, English first)",
    )

    p = sub.add_parser(
        "slides",
        help="a reveal.js deck per notebook in outputs/slides/, offline",
        description="Write outputs/slides/<notebook>.html for every NOTEBOOK (default: all) "
        "from its executed copy (the full build's, else the fast build's, marked as such). "
        "The decks load reveal.js and MathJax from outputs/slides/assets/, never the network. "
        "Check cells are left out; exercises show the learner's stub.",
    )
    p.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="names or paths")
    p.add_argument(
        "--with-solutions",
        action="store_true",
        help="show the solutions (written to <notebook>-solutions.html)",
    )
    p.add_argument("--solutions", type=Path, default=REPO_ROOT / "solutions")
    p.add_argument("--outputs", type=Path, default=REPO_ROOT / "outputs")
    p.add_argument(
        "--no-outputs",
        action="store_true",
        help="build from the source notebooks, without figures (no build needed)",
    )
    p.add_argument(
        "--lang",
        choices=EDITION_CHOICES,
        default="en",
        help="the edition: en (default), ko (the Korean notebooks' decks in "
        "outputs/slides/ko/) or all",
    )

    p = sub.add_parser(
        "validate",
        help="run one notebook's checks and list which exercises pass",
        description="Run NOTEBOOK in a fresh kernel (fast mode) and report every exercise as the "
        "autograder would score it. Exit status 0 only when all exercises pass.",
    )
    p.add_argument("notebook", type=Path)
    p.add_argument(
        "--timeout", type=_positive, default=None, help="seconds per cell (30; 3600 with --full)"
    )
    p.add_argument("--full", action="store_true", help="full settings instead of fast mode")
    p.add_argument(
        "--sandbox",
        choices=("auto", "on", "off"),
        default="auto",
        help="run the kernel in the grading sandbox: where it can (auto, the default), always "
        "(on: refuse where bubblewrap is missing; for someone else's notebook) or never (off)",
    )
    p.add_argument(
        "--lang",
        choices=EDITION_CHOICES[:-1],
        default=None,
        help="language of the report and the checks' messages (default: the notebook's setup "
        "cell's start(..., lang=...), else GAN_COURSE_LANG, else en)",
    )

    p = sub.add_parser(
        "release",
        help="regenerate the student notebooks in notebooks/ from solutions/",
        description="Generate notebooks/<name>.ipynb from every solutions/<name>.ipynb with "
        "nbgrader (solutions and hidden tests removed, outputs cleared, Colab badge, setup cell "
        "and points filled in). --lang ko: notebooks/ko/<name>.ipynb, translated with "
        "solutions/ko/<name>.toml, same grade ids and points. --check also fails on a stale or "
        "rule-breaking translation, and on a missing one once a notebook's translation is "
        "complete (no en = \"TODO\" entry left).",
    )
    p.add_argument(
        "--check", action="store_true", help="only compare; exit 1 if notebooks/ is out of date"
    )
    p.add_argument(
        "--repo-url",
        default=None,
        metavar="URL",
        help="GitHub repository the Colab badges and setup cells point to (a fork's address; "
        "default: course_lib/config.py's REPO_URL)",
    )
    p.add_argument(
        "--branch",
        default=None,
        help="branch of --repo-url to open and install from (default: REPO_BRANCH)",
    )
    p.add_argument(
        "--lang",
        choices=EDITION_CHOICES,
        default="en",
        help="the edition: en (notebooks/, the default), ko (notebooks/ko/, translated with "
        "solutions/ko/<name>.toml; cells without a current translation stay English and are "
        "listed one line per cell on stderr) or all (both; the course directory gets the "
        "English sources)",
    )
    p.add_argument("--solutions", type=Path, default=REPO_ROOT / "solutions")
    p.add_argument(
        "--notebooks",
        type=Path,
        default=REPO_ROOT / "notebooks",
        help="the English edition's folder; the Korean one is its ko/ (default: notebooks/)",
    )
    p.add_argument(
        "--course-dir",
        type=Path,
        default=REPO_ROOT,
        help="nbgrader course directory that also gets source/<name>/ of the edition released "
        "(default: the repository)",
    )

    p = sub.add_parser(
        "translations",
        help="how far each notebook's translation is; add new cells, record finished ones",
        description="A table per NOTEBOOK (default: all) of the cells of solutions/<name>.ipynb "
        "that a learner reads: translated (current), stale (the English changed since), "
        'missing (no translation yet, or a skeleton\'s en = "TODO") and invalid (breaks a '
        "rule); for the NOTEBOOKs named, one line per cell that is not translated. Exit status "
        "1 when a translation would fail `release --check`.",
    )
    p.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="names (03_l1_vs_l2) or paths")
    p.add_argument("--lang", choices=EDITION_CHOICES[1:-1], default="ko", help="default: ko")
    p.add_argument("--solutions", type=Path, default=REPO_ROOT / "solutions")
    p.add_argument(
        "--skeleton",
        action="store_true",
        help="(re)write solutions/<lang>/<name>.toml: existing entries kept, new cells added "
        'with their English text and en = "TODO"',
    )
    p.add_argument(
        "--done",
        nargs="*",
        default=None,
        metavar="CELL_ID",
        help="record the English hash of these cells (a stale cell whose text was brought up "
        "to date); without ids: of every TODO entry whose text is now translated",
    )

    p = sub.add_parser(
        "autograde",
        help="grade SUBMISSIONS/<student>/<assignment>/<notebook>.ipynb in parallel",
        description="Autograde a class into the course gradebook and a CSV, on a local Dask "
        "cluster (one worker per CPU core) or an existing one (--scheduler). Broken "
        "submissions are graded 0 with the reason and never stop the batch. A "
        "re-run skips unchanged submissions already graded. Exit status 1 when some "
        "submission could not be graded because of a grading error (not a student's mistake).",
    )
    p.add_argument("submissions", type=Path, help="folder of <student>/<assignment>/ folders")
    p.add_argument("--course-dir", type=Path, default=REPO_ROOT, help="nbgrader course directory")
    p.add_argument("--solutions", type=Path, default=None, help="default: solutions/")
    p.add_argument("--csv", type=Path, default=None, help="default: autograded/grades.csv")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes of the local Dask cluster (default: one per CPU core)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="grade on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786; "
        "Slurm, Kubernetes: see the README) instead of a local one",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar (report lines only)")
    p.add_argument("--force", action="store_true", help="grade again what was graded already")
    p.add_argument("--cell-timeout", type=_positive, default=None, help="seconds per cell")
    p.add_argument(
        "--unit-timeout", type=_positive, default=900, help="seconds per submission (900)"
    )
    p.add_argument("--student", action="append", default=None, help="only this student")
    p.add_argument(
        "--lang",
        choices=EDITION_CHOICES[:-1],
        default="en",
        help="the edition graded: en (default) or ko (the Korean sources are staged, with the "
        "same grade ids and points; the kernels run with GAN_COURSE_LANG=ko)",
    )
    p.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run the kernels without the bubblewrap sandbox (only for trusted submissions; "
        "every report line and CSV row then says 'not sandboxed')",
    )

    p = sub.add_parser(
        "feedback",
        help="per-student feedback HTML without the hidden tests",
        description="Write feedback/<student>/<assignment>/<notebook>.html for every autograded "
        "submission. Failed checks and their messages are shown, hidden tests are not.",
    )
    p.add_argument("--course-dir", type=Path, default=REPO_ROOT)
    p.add_argument("--student", action="append", default=None)
    p.add_argument("--assignment", action="append", default=None)
    p.add_argument(
        "--lang",
        choices=EDITION_CHOICES[:-1],
        default=None,
        help="language of the pages whose notebook does not choose one (its setup cell's "
        "start(..., lang=...)); default: GAN_COURSE_LANG, else en",
    )
    return parser


def _build(args: argparse.Namespace) -> int:
    from course_lib.pipeline.execute import (
        BUILD_CELL_TIMEOUT,
        FULL_CELL_TIMEOUT,
        build,
        jupyter_hint,
    )

    timeout = args.timeout or (FULL_CELL_TIMEOUT if args.full else BUILD_CELL_TIMEOUT)
    failed = False
    for lang in ("en", "ko") if args.lang == "all" else (args.lang,):
        report = build(
            args.solutions,
            args.outputs,
            args.data,
            timeout=timeout,
            full=args.full,
            only=args.only,
            force=args.force,
            lang=lang,
        )
        print()
        if report.failed:
            failed = True
            print("FAILED: " + ", ".join(report.failed) + f" (see {report.report_path})")
    print(f"Open the course in JupyterLab:  {jupyter_hint()}")
    return 1 if failed else 0


def _slides(args: argparse.Namespace) -> int:
    from course_lib.pipeline.notebook_tools import NotebookReadError
    from course_lib.pipeline.release import ReleaseError
    from course_lib.pipeline.slides import SlidesError, build_slides

    langs = ["en", "ko"] if args.lang == "all" else [args.lang]
    try:
        for lang in langs:
            build_slides(
                args.notebooks,
                with_solutions=args.with_solutions,
                solutions_dir=args.solutions,
                outputs_dir=args.outputs,
                executed=not args.no_outputs,
                lang=lang,
            )
    except (SlidesError, ReleaseError, NotebookReadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _validate(args: argparse.Namespace) -> int:
    from course_lib.pipeline.notebook_tools import NotebookReadError
    from course_lib.pipeline.sandbox import SandboxUnavailable
    from course_lib.pipeline.settings import CELL_TIMEOUT
    from course_lib.pipeline.validate import validate_command

    timeout = args.timeout or (CELL_TIMEOUT if not args.full else 3600)
    try:
        return validate_command(
            args.notebook, timeout=timeout, fast=not args.full, sandbox=args.sandbox, lang=args.lang
        )
    except (NotebookReadError, SandboxUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _release(args: argparse.Namespace) -> int:
    from course_lib.config import Repository
    from course_lib.pipeline.release import EDITIONS, ReleaseError, edition_dir, release

    try:
        repo = Repository.checked(args.repo_url, args.branch)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    langs = list(EDITIONS) if args.lang == "all" else [args.lang]
    status = 0
    for lang in langs:
        folder = edition_dir(args.notebooks, lang)
        staged = lang == ("en" if args.lang == "all" else args.lang)
        try:
            result = release(
                args.solutions,
                folder,
                check=args.check,
                stage_into=args.course_dir if staged and not args.check else None,
                repo=repo,
                lang=lang,
            )
        except ReleaseError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        for line in result.translation_lines:
            print(f"untranslated: {line}", file=sys.stderr)
        if args.check:
            status = max(status, _release_check(result, folder))
            continue
        for path in result.written:
            print(f"wrote {path}")
        for path in result.stale:
            print(f"removed {path} (its source is gone)")
        left = len(result.translation_lines)
        note = f"; {left} cell(s) left in English" if result.translations else ""
        print(f"{folder}: {len(result.written)} written, {len(result.unchanged)} unchanged{note}")
    return status


def _release_check(result: ReleaseResult, folder: Path) -> int:
    """Report what ``release --check`` found for one edition; its exit status."""
    failures = result.translation_failures
    if result.up_to_date and not failures:
        print(f"{folder} is up to date ({len(result.unchanged)} notebook(s))")
        return 0
    for path in result.written:
        print(f"out of date: {path}")
    for path in result.stale:
        print(f"no source any more: {path}")
    for line in failures:
        print(f"translation out of date: {line}")
    if not result.up_to_date:
        lang = "" if result.lang == "en" else f" --lang {result.lang}"
        print(f"run `gan-course release{lang}` and commit {folder}/", file=sys.stderr)
    if failures:
        print(
            f"bring solutions/{result.lang}/*.toml up to date (`gan-course translations`)",
            file=sys.stderr,
        )
    return 1


def _translations(args: argparse.Namespace) -> int:
    from course_lib.pipeline.notebook_tools import NotebookReadError, read_notebook
    from course_lib.pipeline.release import (
        ReleaseError,
        cell_statuses,
        in_progress,
        list_sources,
        translation_failures,
    )
    from course_lib.pipeline.translation import (
        TranslationError,
        load,
        mark_current,
        skeleton,
        translation_path,
    )

    sources = {p.stem: p for p in list_sources(args.solutions)}
    names = [Path(n).stem for n in args.notebooks] or list(sources)
    unknown = [n for n in names if n not in sources]
    if unknown:
        known = ", ".join(sources) or "none"
        print(f"error: no source notebook {', '.join(unknown)} (known: {known})", file=sys.stderr)
        return 2
    if args.done and len(args.notebooks) != 1:
        print("error: --done CELL_ID ... needs exactly one NOTEBOOK", file=sys.stderr)
        return 2
    rows, details, status = [], [], 0
    try:
        for name in names:
            nb = read_notebook(sources[name])
            path = translation_path(args.solutions, args.lang, name)
            if args.skeleton:
                before = load(path)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(skeleton(nb, before, name), encoding="utf-8")
                added = len(load(path)) - len(before)
                print(f"wrote {path}: {added} new cell(s)")
            if args.done is not None:
                wanted = args.done or None
                done = mark_current(path, nb, wanted)
                left = sorted(set(wanted or []) - set(done))
                if left:
                    print(f"error: {path} has no entry for {', '.join(left)}", file=sys.stderr)
                    return 2
                print(f"{path}: {len(done)} cell(s) recorded as current")
            entries = load(path)
            _, statuses, _ = cell_statuses(nb, entries, name)
            counts = {k: sum(s.status == k for s in statuses) for k in STATUS_COLUMNS}
            failures = translation_failures(statuses, entries)
            state = "in progress" if in_progress(entries) else "complete"
            if failures:
                state += f", {len(failures)} failing"
                status = 1
            rows.append([name, *(str(counts[k]) for k in STATUS_COLUMNS), state])
            if args.notebooks:
                details += [ln for s in statuses if s.status != "translated" for ln in s.lines]
    except (TranslationError, NotebookReadError, ReleaseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    header = ["notebook", *STATUS_COLUMNS, "translation"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    for line in details:
        print(line)
    return status


#: The columns of ``gan-course translations``.
STATUS_COLUMNS = ("translated", "stale", "missing", "invalid")


def _autograde(args: argparse.Namespace) -> int:
    from course_lib.pipeline.autograde import AutogradeError, autograde
    from course_lib.pipeline.release import SOLUTIONS_DIR, ReleaseError

    try:
        summary = autograde(
            args.submissions,
            course_dir=args.course_dir,
            solutions_dir=args.solutions or SOLUTIONS_DIR,
            csv_path=args.csv,
            workers=args.workers,
            force=args.force,
            cell_timeout=args.cell_timeout,
            unit_timeout=args.unit_timeout,
            students=args.student,
            sandbox=not args.no_sandbox,
            scheduler=args.scheduler,
            progress=not args.no_progress,
            lang=args.lang,
        )
    except (AutogradeError, ReleaseError, ConnectionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the grades merged so far are kept; run again to go on", file=sys.stderr)
        return 130
    graded = len(summary.records)
    with_problems = [r for r in summary.records if r.problems]
    print(
        f"{graded} submission(s) graded in {summary.seconds:.1f} s, {len(summary.skipped)} "
        f"skipped; {len(with_problems)} with problems"
    )
    print(f"gradebook: {summary.gradebook}\ngrades:    {summary.csv_path}")
    crashed = [f"{r.student}/{r.assignment}" for r in summary.records if r.status == "crashed"]
    if crashed:
        print(f"graded 0, they killed every worker that ran them: {', '.join(crashed)}")
    if summary.errors:
        names = ", ".join(f"{r.student}/{r.assignment}" for r in summary.errors)
        print(f"grading errors (run again to retry): {names}", file=sys.stderr)
        return 1
    return 0


def _feedback(args: argparse.Namespace) -> int:
    from course_lib.pipeline.feedback import FeedbackError, generate_feedback

    try:
        result = generate_feedback(args.course_dir, args.student, args.assignment, lang=args.lang)
    except FeedbackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 1 if result.problems else 0


COMMANDS = {
    "build": _build,
    "slides": _slides,
    "validate": _validate,
    "release": _release,
    "translations": _translations,
    "autograde": _autograde,
    "feedback": _feedback,
}


def main(argv: list[str] | None = None) -> int:
    """Run ``gan-course`` with ``argv`` (default: the command line); the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
