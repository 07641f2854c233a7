"""The exercises: name, signature, reference implementation and check."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..i18n import _

__all__ = ["Exercise", "register", "get", "names", "helpers_of", "REGISTRY", "TOPICS"]


@dataclass(frozen=True)
class Exercise:
    """One graded exercise.

    Attributes:
        name: ``<topic>.<function or class>``, e.g. ``"pix2pix.get_disc_loss"``.
        signature: the call the learner implements, e.g. ``"get_disc_loss(gen, disc, ...)"``.
        reference: the course_lib implementation (a function, or a class for the module and
            image-pool exercises).
        checker: ``checker(candidate, ctx)``; raises ``AssertionError`` for a wrong answer.
        kind: ``"function"``, ``"module"`` (the learner writes ``forward``) or ``"class"``.
        catches: the mistakes the check tells apart, in words (documentation).
        forbidden: further reference functions whose use counts as calling the reference.
        error_hints: ``(fragment, hint)`` pairs: when the learner's code raises an error whose
            text contains ``fragment``, the message adds ``hint``.
    """

    name: str
    signature: str
    reference: Any
    checker: Callable[..., None]
    kind: str = "function"
    catches: tuple[str, ...] = ()
    forbidden: tuple[Callable[..., Any], ...] = ()
    error_hints: tuple[tuple[str, str], ...] = ()

    @property
    def short_name(self) -> str:
        """The function or class name without the topic."""
        return self.name.split(".", 1)[1]


#: Every registered exercise by name, in registration order.
REGISTRY: dict[str, Exercise] = {}
#: The course's order of topics (the order of the notebooks).
TOPICS = ("cgan", "pix2pix", "cyclegan", "ablation")


def register(exercise: Exercise) -> Exercise:
    """Add ``exercise``; names are unique."""
    if exercise.name in REGISTRY:
        raise ValueError(f"exercise {exercise.name!r} is registered twice")
    REGISTRY[exercise.name] = exercise
    return exercise


def names() -> list[str]:
    """All exercise names, topic by topic in course order, then in registration order."""
    order = {topic: i for i, topic in enumerate(TOPICS)}
    return sorted(REGISTRY, key=lambda n: order.get(n.split(".", 1)[0], len(order)))


def get(name: str) -> Exercise:
    """The exercise called ``name``; ``ValueError`` listing the known names otherwise."""
    if not isinstance(name, str) or name not in REGISTRY:
        close = difflib.get_close_matches(str(name), list(REGISTRY), n=1)
        hint = _(" Did you mean {close!r}?").format(close=close[0]) if close else ""
        raise ValueError(
            _("Unknown exercise {name!r}.{hint} Known exercises: {known}.").format(
                name=name, hint=hint, known=", ".join(REGISTRY)
            )
        )
    return REGISTRY[name]


def helpers_of(exercise: Exercise) -> dict[str, Any]:
    """The reference of every other function exercise of the same topic, by its short name.

    A learner's answer that calls one of them by name (``combine_vectors`` inside
    ``get_disc_loss``) is checked with the reference in its place, so that each exercise is
    graded on its own, whether the learner's helper is right, wrong or missing.
    """
    topic = exercise.name.split(".", 1)[0]
    return {
        other.short_name: other.reference
        for other in REGISTRY.values()
        if other is not exercise
        and other.kind == "function"
        and other.name.split(".", 1)[0] == topic
        and other.short_name != exercise.short_name
    }
