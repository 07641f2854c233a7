"""Checks of the notebooks' exercises.

``check(name, candidate)`` returns when the learner's answer is right and raises a
:class:`CheckFailed` (an ``AssertionError``) that says what is wrong, in the learner's terms,
when it is not; a notebook shows its message alone, without a traceback::

    from course_lib.grading import check
    check("pix2pix.get_disc_loss", get_disc_loss)

``reference(name)`` is the course_lib implementation the answer is compared with and
``exercises()`` lists every name. A check runs the answer on seeded inputs built from the
course's own networks and data (never the learner's other answers), compares values and
gradients with the reference, and rejects side effects and calls of the reference itself.
It gives the same verdict after the notebook has patched torch or this package: the originals
recorded when this package was imported are restored before every check.
"""

from __future__ import annotations

from typing import Any

import torch

from ..i18n import _
from . import (  # noqa: F401  (importing them registers the exercises)
    checks_ablation,
    checks_cgan,
    checks_cyclegan,
    checks_pix2pix,
    checks_pool,
    integrity,
    registry,
)
from .display import CheckFailed, install_name_hint
from .registry import Exercise

__all__ = ["check", "reference", "exercises", "Exercise", "CheckFailed"]


def exercises() -> list[str]:
    """Names of all exercises, ``<topic>.<function or class>``."""
    return registry.names()


def reference(name: str) -> Any:
    """The reference implementation of exercise ``name`` (a function or a class)."""
    return registry.get(name).reference


#: Offset of the probe seeds of ``check(..., hidden=True)``.
_HIDDEN_SEED = 7919


def _default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _make_check(restore, tainted, get, clean_state, context_type, helpers_of, substitute):
    # The restorer and the helpers are bound in this closure so that patching the package's
    # globals from a notebook cannot change what ``check`` runs.
    def check(
        name: str, candidate: Any, *, device: Any = None, seed: int = 0, hidden: bool = False
    ) -> None:
        """Check the learner's answer ``candidate`` to exercise ``name``.

        Returns None when the answer is right, after printing ``<name>: correct`` in the
        course's language (not for ``hidden`` runs). Raises ``AssertionError`` with a
        learner-facing message when it is wrong (or when it raises: the message names the
        input and quotes the error).
        ``device`` defaults to CUDA when available, else the CPU; ``seed`` chooses other probe
        inputs (any seed gives the same verdict on a right or a wrong answer); ``hidden=True`` runs
        the check on a second set of inputs, different from the visible test's (for nbgrader's
        hidden tests). ``ValueError`` for an unknown name, listing the known ones.
        """
        restore()
        if tainted:
            shown = ", ".join(tainted[:5]) + (" ..." if len(tainted) > 5 else "")
            raise CheckFailed(
                _(
                    "These were replaced by code in this notebook before course_lib.grading was "
                    "imported, so the check cannot trust them: {shown}. Restart the kernel and "
                    "run the notebook from the top without replacing them."
                ).format(shown=shown)
            )
        exercise = get(name)
        dev = torch.device(device) if device is not None else _default_device()
        with clean_state(dev):
            _reject_reference_itself(exercise, candidate)
            candidate = substitute(candidate, helpers_of(exercise))
            ctx = context_type(exercise, dev, int(seed) + (_HIDDEN_SEED if hidden else 0), restore)
            try:
                exercise.checker(candidate, ctx)
            except CheckFailed:
                raise
            except AssertionError as exc:
                raise CheckFailed(str(exc)) from None
            except Exception as exc:
                restore()
                raise CheckFailed(
                    _(
                        "Your {short_name} gave a result that could not be checked ({exc_type}: "
                        "{exc}). Compare what it returns with the exercise's description: "
                        "{signature}."
                    ).format(
                        short_name=exercise.short_name,
                        exc_type=type(exc).__name__,
                        exc=exc,
                        signature=exercise.signature,
                    )
                ) from None
            finally:
                restore()
        if not hidden:
            print(_("{name}: correct").format(name=exercise.short_name))

    return check


def _reject_reference_itself(exercise: Exercise, candidate: Any) -> None:
    ref = exercise.reference
    same_code = getattr(candidate, "__code__", None) is not None and getattr(
        candidate, "__code__", None
    ) is getattr(ref, "__code__", 0)
    if candidate is ref or same_code:
        raise CheckFailed(
            _(
                "This is course_lib's own {short_name} ({module}.{qualname}), not your "
                "answer: write it yourself and pass your own function or class."
            ).format(
                short_name=exercise.short_name, module=ref.__module__, qualname=ref.__qualname__
            )
        )


from .runner import CheckContext, substitute_globals  # noqa: E402

_restore, _tainted = integrity.capture([registry.REGISTRY])
check = _make_check(
    _restore,
    tuple(_tainted),
    registry.get,
    integrity.clean_state,
    CheckContext,
    registry.helpers_of,
    substitute_globals,
)


def _answer_names() -> list[str]:
    return [registry.REGISTRY[n].short_name for n in registry.names()]


install_name_hint(_answer_names)
