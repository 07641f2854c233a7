"""The grading sandbox's pieces: what a kernel sees, its environment, the review list, refusals."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course_lib.pipeline import sandbox
from course_lib.pipeline.autograde import AutogradeError, autograde
from course_lib.pipeline.review import code_reasons, review_flags
from course_lib.pipeline.validate import sandbox_choice, validate

ROOT = Path(__file__).resolve().parent.parent
REASON = sandbox.unavailable_reason()
needs_bwrap = pytest.mark.skipif(REASON is not None, reason=f"no grading sandbox here: {REASON}")


def test_a_kernel_sees_the_package_but_not_the_checkout_around_it():
    paths = sandbox.readonly_paths(ROOT / "data")
    assert ROOT / "course_lib" in paths
    assert ROOT not in paths and Path.cwd().resolve() not in paths
    allowed = {ROOT / "course_lib", ROOT / ".venv", ROOT / "data"}
    for path in paths:
        assert not (ROOT / "solutions").is_relative_to(path), path
        if path.is_relative_to(ROOT):
            assert any(path.is_relative_to(a) for a in allowed), path


def test_the_kernel_environment_keeps_only_what_a_kernel_needs():
    env = {
        "PATH": "/usr/bin",
        "HOME": "/root",
        "AWS_SECRET_ACCESS_KEY": "x",
        "GITHUB_TOKEN": "y",
        "SSH_AUTH_SOCK": "/tmp/agent",
        "GAN_COURSE_FAST": "1",
        "NBGRADER_EXECUTION": "autograde",
        "OMP_NUM_THREADS": "1",
    }
    kept = sandbox.sandbox_environment(env)
    assert not {"AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "SSH_AUTH_SOCK"} & set(kept)
    assert kept["HOME"] == sandbox.WORK_DIR and kept["GAN_COURSE_FAST"] == "1"
    assert kept["NBGRADER_EXECUTION"] == "autograde" and kept["OMP_NUM_THREADS"] == "1"


@pytest.mark.parametrize(
    "source, reason",
    [
        ("get_ipython().set_custom_exc((Exception,), lambda *a: None)", "custom exception"),
        ("ip = get_ipython()\nip.showtraceback = print", "traceback display"),
        ("get_ipython().events.register('post_run_cell', f)", "event hooks"),
        ("import sys\nsys.modules['torch'] = None", "interpreter's internals"),
        ("import builtins\nbuiltins.print = None", "builtins"),
        ("import ctypes", "ctypes"),
        ("import gc\ngc.get_objects()", "gc"),
        ("import signal\nsignal.signal(2, 1)", "signals"),
        ("import os\nos.kill(1, 9)", "signals"),
        ("import subprocess\nsubprocess.run(['ls'])", "a subprocess"),
        ("import os\nos.system('ls')", "a subprocess"),
        ("!ls /", "a shell command"),
        ("import sqlite3", "sqlite"),
        ("import socket", "the network"),
        ("open('/etc/passwd').read()", "files outside"),
        ("open('../../gradebook.db', 'rb')", "files outside"),
        ("__import__('os').system('id')", "builtins"),
    ],
)
def test_code_that_reaches_for_the_grading_machinery_is_named(source, reason):
    assert any(reason in r for r in code_reasons(source)), code_reasons(source)


@pytest.mark.parametrize(
    "source",
    [
        "model.eval()\nparams = list(model.modules())",
        "x = torch.cat([a, b], dim=1)\nopen('notes.txt', 'w').write('ok')",
        "def get_disc_loss(gen, disc, criterion, real, noise):\n    return criterion(real, noise)",
        "import torch.nn.functional as F\nimport math",
    ],
)
def test_ordinary_learner_code_is_not_flagged(source):
    assert code_reasons(source) == []


def test_review_skips_the_cells_of_the_source_notebook():
    nb = new_notebook(cells=[new_code_cell("import subprocess"), new_code_cell("import ctypes")])
    flags = review_flags(nb, known_sources=["import subprocess"])
    assert flags == ["cell 2: ctypes (raw memory and C calls)"]


def test_autograde_refuses_in_one_sentence_without_the_sandbox(tmp_path, monkeypatch):
    why = "The grading sandbox needs bubblewrap, and no 'bwrap' is on PATH: install it."
    monkeypatch.setattr(sandbox, "unavailable_reason", lambda: why)
    (tmp_path / "submitted").mkdir()
    with pytest.raises(AutogradeError) as info:
        autograde(tmp_path / "submitted", course_dir=tmp_path / "course", log=lambda _: None)
    assert str(info.value) == why
    assert not (tmp_path / "course" / "gradebook.db").exists()


def test_the_install_hint_names_the_package_and_the_way_out():
    assert "apt-get install bubblewrap" in sandbox.INSTALL_HINT
    assert "--no-sandbox" in sandbox.INSTALL_HINT


def test_validate_can_insist_on_the_sandbox(monkeypatch):
    monkeypatch.setattr(sandbox, "unavailable_reason", lambda: "no bwrap.")
    assert sandbox_choice("off") == (False, None)
    assert sandbox_choice("auto") == (False, "not sandboxed: no bwrap.")
    with pytest.raises(sandbox.SandboxUnavailable):
        sandbox_choice("on")
    with pytest.raises(ValueError, match="'auto', 'on' or 'off'"):
        sandbox_choice("sometimes")


@needs_bwrap
def test_a_validated_notebook_works_on_a_private_copy_of_its_folder(tmp_path):
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / "data.txt").write_text("hello", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("SECRET-42", encoding="utf-8")
    cells = [
        "print(open('data.txt').read())",
        "open('data.txt', 'w').write('changed'); open('new.txt', 'w').write('x')",
        f"print(open({str(tmp_path / 'secret.txt')!r}).read())",
        "import os; print(os.getuid() != 0, 'work.ipynb' in os.listdir('.'), os.listdir('.'))",
    ]
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = folder / "work.ipynb"
    nbformat.write(nb, path)
    before = path.read_bytes()
    report = validate(path, timeout=60, sandbox="on")
    assert len(report.warnings) == 1 and "FileNotFoundError" in report.warnings[0]
    assert (folder / "data.txt").read_text(encoding="utf-8") == "hello"
    assert sorted(os.listdir(folder)) == ["data.txt", "work.ipynb"]
    assert path.read_bytes() == before
    from course_lib.pipeline.execute import run_notebook

    run_notebook(nb, folder, timeout=60, sandbox=True)
    outputs = [o for c in nb.cells for o in c.outputs]
    assert outputs[0]["text"].strip() == "hello"
    assert outputs[2]["ename"] == "FileNotFoundError"
    assert outputs[3]["text"].startswith("True False") and "new.txt" in outputs[3]["text"]


@needs_bwrap
def test_plain_nbgrader_autograde_with_the_course_config_grades_in_the_sandbox(tmp_path):
    """``nbgrader autograde`` (and so the formgrader's button) starts sandboxed kernels too."""
    import subprocess
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
    import course_fixture as cf

    from course_lib.pipeline.notebook_tools import notebook_text, read_notebook
    from course_lib.pipeline.release import generate_assignments, release

    course = tmp_path / "course"
    course.mkdir()
    config = course / "nbgrader_config.py"
    config.write_text(
        "from course_lib.pipeline.settings import configure_nbgrader\n"
        "c = get_config()  # noqa: F821\n"
        "c.CourseDirectory.course_id = 'sandbox-test'\n"
        "c.Execute.timeout = 30\n"
        "configure_nbgrader(c)\n",
        encoding="utf-8",
    )
    solutions = tmp_path / "solutions"
    cf.write_fixture_solutions(solutions)
    release(solutions, tmp_path / "notebooks", stage_into=course)
    generate_assignments(course, [cf.NAME], config)
    escape = course / "written-by-the-submission.txt"
    attack = (
        "import os\n"
        f"print('SOURCE-VISIBLE', os.path.exists({str(course / 'source')!r}))\n"
        f"open({str(escape)!r}, 'w').write('x')\n"
    )
    student = read_notebook(tmp_path / "notebooks" / f"{cf.NAME}.ipynb")
    student.cells.insert(2, new_code_cell(attack))
    target = course / "submitted" / "eve" / cf.NAME / f"{cf.NAME}.ipynb"
    target.parent.mkdir(parents=True)
    target.write_text(notebook_text(student), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", cf.NAME, "--force"],
        cwd=course, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    graded = course / "autograded" / "eve" / cf.NAME / f"{cf.NAME}.ipynb"
    assert graded.is_file(), done.stdout[-2000:] + done.stderr[-2000:]
    outputs = [out for cell in read_notebook(graded).cells for out in cell.get("outputs", [])]
    printed = "".join(out.get("text", "") for out in outputs)
    assert "SOURCE-VISIBLE False" in printed
    assert not escape.exists()
