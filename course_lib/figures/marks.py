"""Marks stamped on saved figures, so that a smoke test is never mistaken for a result."""

from __future__ import annotations

import io
from pathlib import Path

from ..i18n import N_, get_language, gettext_in

FAST_MODE_MARK = N_("fast mode: smoke test, not a result")


def _wide(char: str) -> bool:
    import unicodedata

    return unicodedata.east_asian_width(char) in "WF"


def mark_font_path(text: str) -> Path | None:
    """The bold font file the band's ``text`` is drawn with: matplotlib's DejaVu Sans for
    Latin text, the Nanum Gothic of ``koreanize-matplotlib`` where ``text`` has wide (Hangul)
    characters; None where neither is installed."""
    wide = any(_wide(c) for c in text)
    try:
        if wide:
            import koreanize_matplotlib

            return Path(koreanize_matplotlib.__file__).parent / "fonts" / "NanumGothicBold.ttf"
        import matplotlib

        return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"
    except ImportError:
        return None


def _font(text: str, size: int):  # noqa: ANN202 - a PIL font
    from PIL import ImageFont

    path = mark_font_path(text)
    try:
        if path is None:
            raise OSError("no font file")
        return ImageFont.truetype(str(path), size)
    except OSError:
        return ImageFont.load_default(size=size)


def stamp_png(png: bytes, text: str = FAST_MODE_MARK, lang: str | None = None) -> bytes:
    """``png`` with a red band across the top that reads ``text`` (the image grows by the band).

    ``text`` is shown in ``lang`` (default: the course's language now, see
    :mod:`course_lib.i18n`), e.g. the Korean fast-mode mark on the Korean notebooks' figures.
    """
    from PIL import Image, ImageDraw

    text = gettext_in(lang if lang is not None else get_language(), text)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    columns = sum(2 if _wide(c) else 1 for c in text)
    size = max(10, min(28, width // (columns // 2 + 2)))
    band = int(size * 1.6)
    stamped = Image.new("RGB", (width, height + band), (176, 0, 32))
    stamped.paste(image, (0, band))
    draw = ImageDraw.Draw(stamped)
    font = _font(text, size)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    draw.text(
        ((width - (right - left)) / 2, (band - (bottom - top)) / 2 - top),
        text,
        fill=(255, 255, 255),
        font=font,
    )
    out = io.BytesIO()
    stamped.save(out, format="PNG")
    return out.getvalue()
