"""No message of the checks quotes the reference's code.

Every mutant of the suite is checked and its message scanned for code fragments of the
exercise's reference: each statement, returned or assigned expression and call of its source
(at least 20 characters once the spaces are removed). Fragments that belong to the exercise's
public interface (its signature) and the learner's own line quoted after "in your line:" do not
count.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

import pytest
from mutations import CASES

from course_lib.grading import check, registry

MIN_CHARS = 20


def _squash(text: str) -> str:
    return "".join(text.split())


def reference_fragments(reference: Any) -> set[str]:
    """Code fragments of a reference function, or of a reference class's forward / query."""
    if isinstance(reference, type):
        targets = [vars(reference)[a] for a in ("forward", "query") if a in vars(reference)]
    else:
        targets = [reference]
    found: set[str] = set()
    for target in targets:
        tree = ast.parse(textwrap.dedent(inspect.getsource(target)))
        for node in ast.walk(tree.body[0]):
            if not isinstance(node, (ast.Assign, ast.AugAssign, ast.Return, ast.Expr)):
                continue
            if node.value is None or isinstance(node.value, ast.Constant):
                continue
            parts = [node.value, *(n for n in ast.walk(node.value) if isinstance(n, ast.Call))]
            found.update(_squash(ast.unparse(p)) for p in parts)
    return {f for f in found if len(f) >= MIN_CHARS}


def test_fragments_are_found_in_a_reference() -> None:
    fragments = reference_fragments(registry.get("pix2pix.ExpandingBlock").reference)
    assert any("torch.cat" in f for f in fragments)


MUTANTS = [c for c in CASES if c.expect is not None]


@pytest.mark.parametrize("case", MUTANTS, ids=[c.id for c in MUTANTS])
def test_no_message_quotes_the_reference(case) -> None:
    exercise = registry.get(case.exercise)
    with pytest.raises(AssertionError) as info:
        check(case.exercise, case.candidate, device="cpu")
    message = "\n".join(
        line
        for line in str(info.value).splitlines()
        if not line.strip().startswith("in your line:")
    )
    interface = _squash(exercise.signature)
    quoted = [
        f
        for f in reference_fragments(exercise.reference)
        if f in _squash(message) and f not in interface
    ]
    assert not quoted, f"the message quotes the reference ({quoted}):\n{message}"
