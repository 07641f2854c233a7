"""The language of the course's messages and figures: English, or Korean (``ko``).

Messages are written in English in the code and looked up in gettext catalogs,
``course_lib/locale/<lang>/LC_MESSAGES/<domain>.po``, one per part of the course (``grading``:
the checks' messages; ``lessons``: figures, printed results and the notebooks' set-up;
``pipeline``: the commands' report lines). They are read with Babel, so no compiled ``.mo`` file
is kept; every domain of a language is merged into one lookup table. The language is, in order:

1. the one set by :func:`set_language` (the notebooks' setup does it: ``start(..., lang="ko")``);
2. the environment variable ``GAN_COURSE_LANG`` (``ko``, ``en``);
3. English.

:func:`set_language` also sets ``GAN_COURSE_LANG``, so that processes started from the notebook
follow. A message is translated with :func:`_` *before* its values are filled in::

    raise CheckFailed(_("expected shape {expected}, got {got}").format(expected=..., got=...))

Numbers, names and shapes stay as they are; a message without a Korean entry stays English.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

#: Languages the course speaks, by code.
LANGUAGES = {"en": "English", "ko": "한국어"}
#: Environment variable that chooses the language.
ENV_VAR = "GAN_COURSE_LANG"
LOCALE_DIR = Path(__file__).parent / "locale"
#: The catalogs of a language, one per part of the course.
DOMAINS = ("grading", "lessons", "pipeline")

_chosen: str | None = None


def normalise(lang: str | None) -> str:
    """``"ko"`` for ``ko``, ``ko_KR.UTF-8``, ``KO``; ``"en"`` for anything empty."""
    if not lang:
        return "en"
    code = lang.strip().replace("-", "_").split("_")[0].split(".")[0].lower()
    if code not in LANGUAGES:
        known = ", ".join(sorted(LANGUAGES))
        raise ValueError(f"unknown course language {lang!r}: choose one of {known}")
    return code


def get_language() -> str:
    """The language messages are given in now."""
    if _chosen is not None:
        return _chosen
    try:
        return normalise(os.environ.get(ENV_VAR))
    except ValueError:
        return "en"


def set_language(lang: str | None) -> str:
    """Choose the language (``None`` keeps the current one); returns the one in force."""
    global _chosen
    if lang is None:
        return get_language()
    _chosen = normalise(lang)
    os.environ[ENV_VAR] = _chosen
    if _chosen == "ko":
        use_korean_font()
    return _chosen


@functools.cache
def catalog(lang: str) -> dict[str, str]:
    """The translations of ``lang`` (msgid -> msgstr) from all its domains; empty for English."""
    if lang == "en":
        return {}
    from babel.messages.pofile import read_po

    table: dict[str, str] = {}
    for domain in DOMAINS:
        path = catalog_path(lang, domain)
        if not path.exists():
            continue
        with open(path, "rb") as handle:
            po = read_po(handle, locale=lang)
        table.update(
            (str(m.id), str(m.string))
            for m in po
            if m.id and isinstance(m.id, str) and m.string and not m.fuzzy
        )
    return table


def catalog_path(lang: str, domain: str) -> Path:
    """``course_lib/locale/<lang>/LC_MESSAGES/<domain>.po``."""
    if domain not in DOMAINS:
        raise ValueError(f"unknown message domain {domain!r}: choose one of {', '.join(DOMAINS)}")
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"


def gettext(message: str) -> str:
    """``message`` in the current language (itself where the catalog has no entry)."""
    return catalog(get_language()).get(message, message)


_ = gettext


def use_korean_font() -> str | None:
    """Make matplotlib draw Hangul: the Nanum Gothic that ``koreanize-matplotlib`` bundles.

    Returns the font family in use, None where no Korean font is installed.
    """
    try:
        import koreanize_matplotlib  # noqa: F401  (registers and selects NanumGothic)
    except ImportError:
        return None
    import matplotlib as mpl

    mpl.rcParams["axes.unicode_minus"] = False
    family = mpl.rcParams["font.family"]
    return family[0] if isinstance(family, list) and family else str(family)
