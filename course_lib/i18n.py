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

import datetime
import functools
import os
import re
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


def gettext_in(lang: str, message: str) -> str:
    """``message`` in ``lang``, whatever the current language (text written for another edition)."""
    return catalog(normalise(lang)).get(message, message)


#: Korean particles written for both kinds of word before them: (after a final consonant,
#: after a vowel). A message fills in names it cannot know, so its catalog entry writes
#: "{name}은(는)"; :func:`korean_particles` picks the one that fits the name filled in.
_PARTICLES = {
    "은(는)": ("은", "는"),
    "는(은)": ("은", "는"),
    "이(가)": ("이", "가"),
    "가(이)": ("이", "가"),
    "을(를)": ("을", "를"),
    "를(을)": ("을", "를"),
    "과(와)": ("과", "와"),
    "와(과)": ("과", "와"),
    "(이)라": ("이라", "라"),
}
_PARTICLE_RE = re.compile("(" + "|".join(re.escape(p) for p in [*_PARTICLES, "(으)로"]) + ")")
#: How the last digit reads: 0 영, 1 일, 3 삼, 6 육, 7 칠, 8 팔 end in a consonant; 1 7 8 in ㄹ.
_DIGIT_FINAL = {"0": "ㅇ", "1": "ㄹ", "3": "ㅁ", "6": "ㄱ", "7": "ㄹ", "8": "ㄹ"}
#: Word endings of English names read with a final consonant (pool 풀, block 블록, GAN 간,
#: None 논: a silent e after n).
_LATIN_FINALS = (
    ("ng", "ㅇ"),
    ("ne", "ㄴ"),
    ("ck", "ㄱ"),
    ("l", "ㄹ"),
    ("m", "ㅁ"),
    ("n", "ㄴ"),
    ("k", "ㄱ"),
    ("p", "ㅂ"),
)
#: Single capital letters whose Korean names end in a consonant (엘, 엠, 엔, 알).
_LETTER_FINAL = {"L": "ㄹ", "M": "ㅁ", "N": "ㄴ", "R": "ㄹ"}
_CLOSERS = ")]}'\"`*"


def _final_consonant(before: str) -> str | None:
    """The final consonant the text before a particle ends in when read aloud (None: a vowel)."""
    text = before.rstrip(_CLOSERS)
    if not text:
        return None
    last = text[-1]
    if "\uac00" <= last <= "\ud7a3":
        final = (ord(last) - 0xAC00) % 28
        return None if final == 0 else ("ㄹ" if final == 8 else "ㄱ")
    if last.isdigit():
        return _DIGIT_FINAL.get(last)
    if last.isascii() and last.isalpha():
        word = re.search(r"[A-Za-z]+$", text).group(0)
        if len(word) == 1 or word.isupper() and len(word) <= 3 and word != "GAN":
            return _LETTER_FINAL.get(word[-1].upper())
        lower = word.lower()
        for ending, final in _LATIN_FINALS:
            if lower.endswith(ending):
                return final
    return None


def korean_particles(text: str) -> str:
    """Resolve the double particles of a Korean message ("{name}은(는)") for what precedes them.

    ``ImagePool은(는)`` becomes ``ImagePool은`` (풀), ``get_disc_loss은(는)`` becomes
    ``get_disc_loss는`` (로스), ``(2, 3)을(를)`` becomes ``(2, 3)을`` (삼); "(으)로" drops "으"
    after a vowel or ㄹ. Text without them is returned as it is.
    """

    def pick(match: re.Match[str]) -> str:
        particle = match.group(1)
        final = _final_consonant(text[: match.start()])
        if particle == "(으)로":
            return "으로" if final not in (None, "ㄹ") else "로"
        consonant, vowel = _PARTICLES[particle]
        return consonant if final is not None else vowel

    return _PARTICLE_RE.sub(pick, text) if "(" in text else text


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
    family = list(family) if isinstance(family, list) else [str(family)]
    if "DejaVu Sans" not in family:  # per-glyph fallback for what Nanum Gothic lacks (−, ⁵)
        mpl.rcParams["font.family"] = [*family, "DejaVu Sans"]
    # Nanum Gothic's own hinting drops the shaft of "→" at 12-13 pt and 100 dpi; FreeType's
    # autohinter keeps it
    mpl.rcParams["text.hinting"] = "auto"
    return family[0] if family else None


def N_(message: str) -> str:  # noqa: N802  (the gettext convention)
    """Mark ``message`` for translation where it is defined; :func:`_` translates it when shown."""
    return message


#: The source files of each domain, relative to ``course_lib/``.
DOMAIN_SOURCES = {
    "grading": ("grading",),
    "lessons": ("figures", "experiments", "training", "notebook.py", "utils.py"),
    "pipeline": ("pipeline", "cli.py"),
}
#: The names under which code marks a message.
KEYWORDS = {"_": None, "N_": None}


def extract(domain: str) -> dict[str, list[str]]:
    """The messages the code of ``domain`` marks with ``_()`` or ``N_()``: msgid -> locations."""
    from babel.messages.extract import extract_from_file

    package = Path(__file__).parent
    if domain not in DOMAIN_SOURCES:
        raise ValueError(f"unknown message domain {domain!r}: choose one of {', '.join(DOMAINS)}")
    files: list[Path] = []
    for name in DOMAIN_SOURCES[domain]:
        path = package / name
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    found: dict[str, list[str]] = {}
    for path in files:
        for lineno, message, _comments, _context in extract_from_file(
            "python", path, keywords=KEYWORDS
        ):
            if isinstance(message, str) and message:
                where = f"{path.relative_to(package.parent)}:{lineno}"
                found.setdefault(message, []).append(where)
    return found


def update_catalog(lang: str, domain: str) -> tuple[list[str], list[str]]:
    """Bring ``<lang>/<domain>.po`` up to date with the code: new msgids added untranslated,
    obsolete ones removed, translations kept. Returns (added, removed)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    path = catalog_path(normalise(lang), domain)
    old = Catalog(locale=lang, domain=domain, creation_date=datetime.datetime(2026, 1, 1))
    if path.exists():
        with open(path, "rb") as handle:
            old = read_po(handle, locale=lang)
    found = extract(domain)
    new = Catalog(
        locale=lang,
        domain=domain,
        project="gan-course",
        header_comment=(
            f"# {LANGUAGES.get(normalise(lang), lang)} messages of course_lib, domain {domain!r}.\n"
            f"# Refresh from the code with: python -m course_lib.i18n update {lang} {domain}"
        ),
        creation_date=old.creation_date,
        revision_date=old.creation_date,
        fuzzy=False,
    )
    for msgid, places in found.items():
        previous = old.get(msgid)
        locations = [(p.rsplit(":", 1)[0], int(p.rsplit(":", 1)[1])) for p in places]
        new.add(
            msgid,
            previous.string if previous is not None else "",
            locations=locations,
            flags=("python-brace-format",) if "{" in msgid else (),
        )
    added = [m for m in found if old.get(m) is None]
    removed = [str(m.id) for m in old if m.id and str(m.id) not in found]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        write_po(handle, new, width=100, omit_header=False, sort_output=False)
    catalog.cache_clear()
    return added, removed


def main(argv: list[str] | None = None) -> int:
    """``python -m course_lib.i18n update LANG DOMAIN``: refresh a catalog from the code."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 3 or args[0] != "update":
        print("usage: python -m course_lib.i18n update LANG DOMAIN", file=sys.stderr)
        return 2
    try:
        added, removed = update_catalog(args[1], args[2])
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    path = catalog_path(normalise(args[1]), args[2])
    print(f"{path}: {len(added)} new (untranslated), {len(removed)} obsolete removed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
