"""The checks' messages in Korean: the catalog is complete and every mutant is told in Korean.

The catalog ``course_lib/locale/ko/LC_MESSAGES/grading.po`` must hold exactly the messages the
grading code marks (refresh it with ``python -m course_lib.i18n update ko grading``), each
translated into Hangul with the same format fields. With Korean chosen, every mutant of the
mutation suite is rejected with a Korean message (one seed: the English suite already checks
that verdicts do not depend on it); with nothing chosen the messages stay English.
"""

from __future__ import annotations

import os
import re
import string
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from mutations import CASES

from course_lib import i18n
from course_lib.grading import CheckFailed, check, exercises
from course_lib.grading.display import name_hint

ROOT = Path(__file__).resolve().parents[1]
HANGUL = re.compile(r"[\uac00-\ud7a3]")
#: Four or more English words in a row, separated by single spaces.
ENGLISH_RUN = re.compile(r"(?<![\w.])[A-Za-z][A-Za-z'-]*(?: [A-Za-z][A-Za-z'-]*){3,}")
#: The text of an exception raised by the learner's code, quoted as it is.
QUOTED_ERROR = re.compile(r"\b[A-Za-z]*(?:Error|Exception|Warning): .*$", re.MULTILINE)
MUTANTS = [c for c in CASES if c.expect is not None]
ALTERNATIVES = [c for c in CASES if c.expect is None]


def _catalog() -> dict[str, str]:
    with open(i18n.catalog_path("ko", "grading"), "rb") as handle:
        po = read_po(handle, locale="ko")
    return {str(m.id): str(m.string) for m in po if m.id}


def _fields(text: str) -> set[tuple[str, str, str]]:
    """The replacement fields of a ``str.format`` template: (name, conversion, spec)."""
    return {
        (name, conversion or "", spec or "")
        for _literal, name, spec, conversion in string.Formatter().parse(text)
        if name is not None
    }


def english_left(message: str) -> list[str]:
    """Runs of English words in ``message`` outside code: backticks, the learner's quoted
    error and the learner's own line are left out."""
    lines = [
        line for line in message.splitlines() if not line.strip().startswith("작성한 코드의 줄:")
    ]
    text = QUOTED_ERROR.sub("", "\n".join(lines))
    text = re.sub(r"`[^`]*`", "", text)
    return ENGLISH_RUN.findall(text)


@pytest.fixture
def korean(monkeypatch) -> Iterator[None]:
    """Korean chosen as the notebooks' setup does it (without switching matplotlib's font,
    which the checks do not use); the previous choice restored after."""
    monkeypatch.setattr(i18n, "use_korean_font", lambda: None)
    chosen, env = i18n._chosen, os.environ.get(i18n.ENV_VAR)
    i18n.set_language("ko")
    yield
    i18n._chosen = chosen
    if env is None:
        os.environ.pop(i18n.ENV_VAR, None)
    else:
        os.environ[i18n.ENV_VAR] = env


def _message(case) -> str:
    with pytest.raises(AssertionError) as info:
        check(case.exercise, case.candidate, device="cpu")
    return str(info.value)


# ------------------------------------------------------------------------------ the catalog
def test_the_catalog_holds_every_marked_message_and_no_other() -> None:
    marked, held = set(i18n.extract("grading")), set(_catalog())
    missing, obsolete = sorted(marked - held), sorted(held - marked)
    assert not missing, f"not in grading.po (run python -m course_lib.i18n update): {missing}"
    assert not obsolete, f"in grading.po but no longer in the code: {obsolete}"


def test_every_translation_is_hangul_with_the_same_fields() -> None:
    for msgid, msgstr in _catalog().items():
        assert msgstr, f"untranslated: {msgid!r}"
        assert HANGUL.search(msgstr), f"not Korean: {msgstr!r}"
        assert _fields(msgstr) == _fields(msgid), f"other fields than {msgid!r}: {msgstr!r}"
        assert msgstr.count("\n") == msgid.count("\n"), f"other lines than {msgid!r}"


DOUBLE_PARTICLE = re.compile(r"은\(는\)|이\(가\)|을\(를\)|와\(과\)|\(으\)로")


def test_english_left_finds_sentences_but_not_code() -> None:
    assert english_left("작성한 f는 the loss is wrong here: 합니다.")
    assert not english_left("작성한 `the loss is wrong` 코드: adv_criterion(prediction, target)")
    assert not english_left("오류를 냈습니다: RuntimeError: Sizes of tensors must match")


# --------------------------------------------------------------------------- the messages
def test_every_mutant_is_rejected_in_korean(korean) -> None:
    failures = []
    for case in MUTANTS:
        message = _message(case)
        if not HANGUL.search(message) or english_left(message):
            failures.append(f"{case.id}: {english_left(message)}\n{message}")
        if DOUBLE_PARTICLE.search(message):
            failures.append(f"{case.id}: a double particle is left\n{message}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("작성한 ImagePool은(는)", "작성한 ImagePool은"),
        ("작성한 get_disc_loss은(는)", "작성한 get_disc_loss는"),
        ("(2, 3)을(를)", "(2, 3)을"),
        ("combine_vectors('ValueError')이(가)", "combine_vectors('ValueError')가"),
        ("`ResidualBlock`와(과)", "`ResidualBlock`과"),
        ("float64(으)로", "float64로"),
        ("(2, 3, 8, 8) 배치, None(으)로", "(2, 3, 8, 8) 배치, None으로"),
        ("손실(으)로", "손실로"),
        ("배열(으)로", "배열로"),
        ("생성자(으)로", "생성자로"),
        ("GAN(이)라", "GAN이라"),
        ("no particle (here)", "no particle (here)"),
    ],
)
def test_double_particles_fit_the_word_before_them(text: str, expected: str) -> None:
    assert i18n.korean_particles(text) == expected


def test_a_wrong_answer_to_every_exercise_is_korean_under_the_environment_variable(
    monkeypatch,
) -> None:
    monkeypatch.setattr(i18n, "_chosen", None)
    monkeypatch.setenv(i18n.ENV_VAR, "ko")
    first = {}
    for case in MUTANTS:
        first.setdefault(case.exercise, case)
    assert set(first) == set(exercises())
    for case in first.values():
        assert HANGUL.search(_message(case)), case.id


def test_messages_stay_english_when_no_language_is_set(monkeypatch) -> None:
    monkeypatch.setattr(i18n, "_chosen", None)
    monkeypatch.delenv(i18n.ENV_VAR, raising=False)
    case = next(c for c in MUTANTS if c.exercise == "pix2pix.get_disc_loss")
    message = _message(case)
    assert not HANGUL.search(message)
    assert all(fragment in message for fragment in case.expect)


@pytest.mark.parametrize("lang", ["ko", ""])
def test_a_fresh_process_follows_gan_course_lang(lang: str) -> None:
    code = (
        "from course_lib.grading import check\n"
        "try:\n"
        "    check('cgan.get_one_hot_labels', lambda labels, n: labels, device='cpu')\n"
        "except AssertionError as exc:\n"
        "    print(exc)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), i18n.ENV_VAR: lang}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip()
    assert bool(HANGUL.search(out.stdout)) == (lang == "ko"), out.stdout


def test_the_notebook_shows_the_korean_message_alone(korean) -> None:
    with pytest.raises(CheckFailed) as info:
        check("cgan.combine_vectors", lambda x, y: x, device="cpu")
    shown = info.value._render_traceback_()
    assert shown == str(info.value).splitlines()
    assert HANGUL.search(shown[0]) and "combine_vectors" in shown[0]
    hint = name_hint(NameError("x", name="get_disc_loss"), ["get_disc_loss"])
    assert hint is not None and HANGUL.search(hint) and "get_disc_loss" in hint


def test_numbers_names_and_shapes_are_kept(korean) -> None:
    message = _message(next(c for c in MUTANTS if c.name == "one_hot_without_n_classes"))
    for kept in ("get_one_hot_labels", "n_classes=5", "labels=[2, 0, 1, 1]", "F.one_hot"):
        assert kept in message


def test_a_right_answer_prints_the_korean_correct_line(korean, capsys) -> None:
    case = next(c for c in ALTERNATIVES if c.exercise == "cgan.get_one_hot_labels")
    assert check(case.exercise, case.candidate, device="cpu") is None
    assert capsys.readouterr().out == "get_one_hot_labels: 정답입니다\n"
    check(case.exercise, case.candidate, device="cpu", hidden=True)
    assert capsys.readouterr().out == ""


def test_a_right_answer_prints_the_english_correct_line_in_english(monkeypatch, capsys) -> None:
    monkeypatch.setattr(i18n, "_chosen", "en")
    case = next(c for c in ALTERNATIVES if c.exercise == "cgan.get_one_hot_labels")
    check(case.exercise, case.candidate, device="cpu")
    assert capsys.readouterr().out == "get_one_hot_labels: correct\n"
