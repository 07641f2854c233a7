"""nbgrader settings of the course (read by nbgrader, the formgrader and ``gan-course``).

How the folders map onto nbgrader's layout
------------------------------------------
nbgrader wants ``<root>/source/<assignment>/<notebook>.ipynb``; the course keeps its sources flat in
``solutions/`` and its student notebooks flat in ``notebooks/``. Each notebook is one assignment
named after it: ``solutions/02_pix2pix.ipynb`` is assignment ``02_pix2pix`` with one notebook
``02_pix2pix.ipynb``.

* ``gan-course release`` copies ``solutions/X.ipynb`` to ``source/X/X.ipynb`` (with the Colab
  badge, the setup cell's install command and the points filled in), runs nbgrader's
  ``generate_assignment`` and writes the result to ``notebooks/X.ipynb``. ``source/`` and
  ``release/`` are generated (and ignored by git); never edit them, edit ``solutions/``.
* ``gan-course autograde SUBMISSIONS`` refreshes ``source/`` and the assignments in
  ``gradebook.db``, grades ``SUBMISSIONS/<student>/<assignment>/<notebook>.ipynb`` in parallel and
  writes ``autograded/`` and ``autograded/grades.csv``; ``gan-course feedback`` writes
  ``feedback/``.

Plain nbgrader works on the same folders after ``gan-course release`` (or an autograde run):
``nbgrader generate_assignment 01_cgan_basics``, ``nbgrader autograde 01_cgan_basics``,
``nbgrader generate_feedback 01_cgan_basics``, and the formgrader for written answers
(``jupyter lab`` from this folder, then Nbgrader > Formgrader). They use the preprocessors below, so
they are as robust to broken submissions as ``gan-course autograde`` (which adds parallelism, a
report per student and resumable runs).
"""

import os

from course_lib.pipeline.settings import CELL_TIMEOUT, COURSE_ID, configure_nbgrader

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

c.CourseDirectory.course_id = COURSE_ID
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
# nbgrader's staging folders; solutions/ -> source/<id>/ and release/<id>/ -> notebooks/ is done
# by `gan-course release` (see above)
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"

# Under the autograder the notebooks run in fast mode (NBGRADER_EXECUTION is set): no cell needs
# more than a few seconds. An infinite loop costs at most this, and only its own exercise.
c.Execute.timeout = CELL_TIMEOUT  # seconds per cell (30)
c.Execute.interrupt_on_timeout = True
# A deleted test cell is put back from the gradebook: deleting a test does not avoid it.
c.OverwriteCells.add_missing_cells = True
c.LimitOutput.max_lines = 1000

# From configure_nbgrader: the solution stubs ("# YOUR CODE HERE"; in Korean with
# GAN_COURSE_LANG=ko), robust autograding (kernel watchdog, restart after a hang, output limits,
# restored cells) and feedback without hidden tests (course_lib/pipeline/preprocessors.py).
configure_nbgrader(c)
