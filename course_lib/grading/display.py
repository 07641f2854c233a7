"""How a check's verdict shows in a notebook: the message alone, without a traceback.

A failing check raises :class:`CheckFailed`, an ``AssertionError`` (so nbgrader and plain Python
still see a failed assertion) whose ``_render_traceback_`` IPython uses instead of the traceback
through course_lib's internals: the notebook, ``gan-course validate`` and nbgrader's feedback
show the message alone. In an IPython kernel, :func:`install_name_hint` also turns the
``NameError`` of a check cell run before the cell that defines the answer into a sentence that
says which cell to run first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..i18n import _, korean_particles

__all__ = ["CheckFailed", "install_name_hint", "name_hint"]


class CheckFailed(AssertionError):
    """A wrong answer; the message says what is wrong, in the learner's terms.

    A Korean message's double particles ("{who}은(는)") are resolved for the names filled in.
    """

    def __init__(self, message: str = "") -> None:
        super().__init__(korean_particles(message) if isinstance(message, str) else message)

    def _render_traceback_(self) -> list[str]:
        """The lines IPython shows in place of the traceback: the message alone."""
        return str(self).splitlines() or [_("The answer is not right yet.")]


def name_hint(exc: BaseException, answer_names: Iterable[str]) -> str | None:
    """The sentence for a ``NameError`` on the name of an answer, or None for other errors."""
    name = getattr(exc, "name", None)
    if not isinstance(exc, NameError) or name not in set(answer_names):
        return None
    return korean_particles(
        _(
            "NameError: {name} is not defined yet. Run the cell where you write {name} (the "
            "exercise cell above this check) first, then run this check again."
        ).format(name=name)
    )


def install_name_hint(answer_names: Callable[[], Iterable[str]]) -> bool:
    """In an IPython kernel, show :func:`name_hint`'s sentence for such a ``NameError``.

    The error still fails the cell (an error output, so nbgrader gives no points); any other
    exception is shown as IPython would. Does nothing outside IPython or when the shell
    already has a custom exception handler. Returns whether the handler was installed.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or getattr(shell, "custom_exceptions", ()) not in ((), None):
        return False

    def handler(
        self: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None
    ) -> None:
        hint = name_hint(value, answer_names())
        if hint is None:
            stb = self.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
        else:
            stb = [hint]
        self._showtraceback(etype, value, stb)

    shell.set_custom_exc((NameError,), handler)
    return True
