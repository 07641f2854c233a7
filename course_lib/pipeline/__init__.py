"""The nbgrader pipeline of the course: release, autograde, feedback, validate and build.

Conventions for the source notebooks in ``solutions/``
=======================================================

Each ``solutions/<name>.ipynb`` is an nbgrader source notebook and one nbgrader assignment
``<name>`` (one notebook, ``<name>.ipynb``); ``gan-course release`` turns it into
``notebooks/<name>.ipynb``. Build cells with :mod:`course_lib.pipeline.cells` rather than writing
nbgrader metadata by hand:

=========================================  =========================================================
cell (helper)                              grade id and rules
=========================================  =========================================================
``header(title, intro)``                   ``header``, read-only Markdown, first cell: title,
                                           ``{{COLAB_BADGE}}``, intro, ``{{POINTS_TABLE}}``
``setup_cell(imports)``                    ``setup``, read-only code: installs course_lib on Colab
                                           (``{{PIP_SPEC}}``), then the imports. Required.
``answer_cell(name, source)``              ``<name>`` = the function or class the learner writes
                                           (e.g. ``get_disc_loss``); the solution sits between
                                           ``### BEGIN SOLUTION`` and ``### END SOLUTION``.
``test_cell("test_<name>", src, points)``  read-only, worth ``points``; several test cells of one
                                           exercise are ``test_<name>_<suffix>``. The body calls
                                           ``check("<topic>.<name>", <name>)``; the helper adds
                                           ``from course_lib.grading import check`` (a fresh import,
                                           so rebinding ``check`` in an answer gains nothing) and a
                                           first line ``# Check <name> (<n> points)`` that the
                                           release keeps equal to the metadata. Extra cases for the
                                           credit go between ``### BEGIN HIDDEN TESTS`` and
                                           ``### END HIDDEN TESTS``. Never end a test cell with an
                                           expression (nbgrader reads a number as partial credit)
                                           or write to stderr in it (nbgrader gives 0).
``manual_answer(name, points, prompt)``    a read-only prompt ``<name>_prompt`` stating the points
                                           and the written answer ``<name>``, graded by hand in the
                                           formgrader.
``markdown(text)``, ``code(source)``       ordinary cells (theory, demos, training, figures).
``readonly_markdown/readonly_code(id, s)`` other read-only cells.
=========================================  =========================================================

Assemble with ``make_source_notebook([...])`` and save with ``write_source_notebook(nb, path)``.
``gan-course release`` refuses a notebook that breaks these rules (duplicate grade ids, an answer
without a test, a test without points, no setup cell, hidden tests outside test cells, unknown
placeholders) and says which cell is wrong.

Placeholders (filled in by the release, in Markdown and code cells alike):

* ``{{COLAB_BADGE}}`` -- the "Open in Colab" badge of ``notebooks/<name>.ipynb``;
* ``{{COLAB_URL}}`` -- its address; ``{{REPO_URL}}`` -- the repository; ``{{NOTEBOOK}}`` -- the
  file name;
* ``{{PIP_SPEC}}`` -- what ``pip install`` takes to install course_lib from the repository;
* ``{{POINTS_TABLE}}`` -- a Markdown table of the exercises and their points.

The repository address and branch live only in :mod:`course_lib.config` (``REPO_URL``,
``REPO_BRANCH``).

Fast mode: under the autograder (``NBGRADER_EXECUTION`` set), ``gan-course build`` and
``gan-course validate`` (``GAN_COURSE_FAST=1``), :func:`course_lib.config.fast_mode` is true and
training cells must skip or shorten training, so that a whole notebook runs in about 10 s on two
CPU cores; a cell that runs longer than 30 s under the autograder is stopped and its exercise
scores 0.

Modules: :mod:`~course_lib.pipeline.cells` (authoring helpers), :mod:`~.notebook_tools`,
:mod:`~.release`, :mod:`~.autograde` and :mod:`~.worker`, :mod:`~.feedback`, :mod:`~.validate`,
:mod:`~.execute` (``build``, fast and ``--full``), :mod:`~.slides` and :mod:`~.slide_plan`
(the offline decks), :mod:`~.deck_browser` (the decks in headless Chromium),
:mod:`~.preprocessors` and :mod:`~.kernel_guard` (robust grading), :mod:`~.settings` (shared
nbgrader settings).
"""
