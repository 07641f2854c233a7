"""Reference code, datasets, training loops and autograded checks for the conditional-GAN course.

The notebooks in ``notebooks/`` import from here and stay thin: the learner writes the stubs,
``course_lib.grading.check`` compares them with the references below.
"""

__version__ = "0.1.0"
