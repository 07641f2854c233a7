"""Translation files of the Korean edition: stale, missing and rule-breaking entries reported."""

from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_lib.i18n import normalise
from course_lib.pipeline.notebook_tools import read_notebook
from course_lib.pipeline.release import SOLUTIONS_DIR, list_sources
from course_lib.pipeline.translation import (
    Entry,
    english_hash,
    load,
    needs_translation,
    translate,
    translation_path,
)

#: Every notebook has a complete Korean translation; each must stay complete and current.
COMPLETE = [p.stem for p in list_sources(SOLUTIONS_DIR)]


def _nb():
    md = new_markdown_cell("## 1 · Loss\n\n{{COLAB_BADGE}}\n\n$$a = b$$\n\nThe loss.")
    md.id = "md-1"
    code = new_code_cell("x = compute(1)  # the input\nprint('the loss is small')")
    code.id = "code-1"
    return new_notebook(cells=[md, code])


def _entry(nb, i, text):
    cell = nb.cells[i]
    return Entry(cell.id, english_hash(cell.source), text)


def test_a_current_translation_is_applied():
    nb = _nb()
    entries = {
        "md-1": _entry(nb, 0, "## 1 · 손실\n\n{{COLAB_BADGE}}\n\n$$a = b$$\n\n손실입니다."),
        "code-1": _entry(nb, 1, "x = compute(1)  # 입력\nprint('손실이 작습니다')"),
    }
    out, report = translate(nb, entries, "nb")
    assert report.problems == [] and report.translated == 2
    assert out.cells[0].source.endswith("손실입니다.") and nb.cells[0].source.endswith("The loss.")


def test_stale_missing_and_rule_breaking_entries_are_reported_one_line_per_cell():
    nb = _nb()
    entries = {"md-1": _entry(nb, 0, "## 1 · 손실\n\n{{COLAB_BADGE}}\n\n$$a = b$$")}
    nb.cells[0].source += " More."
    out, report = translate(nb, entries, "nb")
    assert report.problems == [
        "nb: cell md-1: stale translation (the English text changed)",
        "nb: cell code-1: missing translation",
    ]
    assert out.cells[0].source == nb.cells[0].source  # the English cell stays


@pytest.mark.parametrize(
    ("index", "text", "problem"),
    [
        (0, "## 1 · 손실\n\n$$a = b$$", "placeholder"),
        (0, "## 1 · 손실\n\n{{COLAB_BADGE}}\n\n$$a = c$$", "formula"),
        (1, "x = compute(2)  # 입력\nprint('손실')", "differs from the English"),
    ],
)
def test_a_translation_that_changes_what_must_stay_is_rejected(index, text, problem):
    nb = _nb()
    _, report = translate(nb, {nb.cells[index].id: _entry(nb, index, text)}, "nb")
    assert any(problem in line for line in report.problems), report.problems


@pytest.mark.parametrize(
    ("source", "prose"),
    [
        ('plt.axhline(0.69, color="gray", linestyle="--", label="log 2: D is guessing")', True),
        ('plot_losses(h, title="generator: adversarial + 100 x L1")', True),
        ('print("checkpoint:", path)', True),
        ('print("the loss is small")', True),
        ('print(f"{name}: trained")', True),
        ('print(f"{n} images")', True),
        ('plot_losses({"loss_D": h["loss_D"]}, title="D", ax=axes[0], color="gray")', False),
        ('x = load("train", mode="eval")', False),
        ('F.pad(x, (1, 1), mode="replicate")', False),
        ('plt.plot(x, color="tab:red")', False),
        ('check("ablation.per_pixel_l1", per_pixel_l1)', False),
    ],
)
def test_a_code_cell_with_words_a_learner_reads_needs_a_translation(source, prose):
    cell = new_code_cell(source)
    cell.id = "code-1"
    assert needs_translation(cell) is prose


def test_every_notebook_is_translated():
    assert len(COMPLETE) == 6, COMPLETE


@pytest.mark.parametrize("stem", COMPLETE)
def test_complete_korean_translations_are_current(stem):
    nb = read_notebook(SOLUTIONS_DIR / f"{stem}.ipynb")
    _, report = translate(nb, load(translation_path(SOLUTIONS_DIR, "ko", stem)), stem)
    assert report.problems == [], "\n".join(report.problems)


def test_language_codes():
    assert normalise("ko_KR.UTF-8") == "ko" and normalise(None) == "en"
    with pytest.raises(ValueError, match="unknown course language"):
        normalise("fr")


def test_a_message_in_two_catalogs_has_one_translation():
    """The domains are merged into one lookup table: a msgid they share must agree."""
    from babel.messages.pofile import read_po

    from course_lib.i18n import DOMAINS, catalog_path

    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for domain in DOMAINS:
        path = catalog_path("ko", domain)
        if not path.exists():
            continue
        with open(path, "rb") as handle:
            for message in read_po(handle, locale="ko"):
                if not message.id or not message.string:
                    continue
                earlier = seen.setdefault(str(message.id), (domain, str(message.string)))
                if earlier[1] != message.string:
                    clashes.append(f"{message.id!r}: {earlier} vs {(domain, message.string)}")
    assert clashes == []


def test_the_pipeline_catalog_holds_every_marked_message_in_korean():
    """The commands' report lines and the setup cell's install messages (domain ``pipeline``)."""
    import re

    from babel.messages.pofile import read_po

    from course_lib.i18n import catalog_path, extract

    with open(catalog_path("ko", "pipeline"), "rb") as handle:
        held = {str(m.id): str(m.string) for m in read_po(handle, locale="ko") if m.id}
    assert set(held) == set(extract("pipeline"))
    fields = re.compile(r"\{[^{}]*\}")
    for msgid, msgstr in held.items():
        assert re.search("[\uac00-\ud7a3]", msgstr), msgid
        assert sorted(fields.findall(msgid)) == sorted(fields.findall(msgstr)), msgid
