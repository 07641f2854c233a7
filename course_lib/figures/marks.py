"""Marks stamped on saved figures, so that a smoke test is never mistaken for a result."""

from __future__ import annotations

import io
from pathlib import Path

FAST_MODE_MARK = "fast mode: smoke test, not a result"


def _font(size: int):  # noqa: ANN202 - a PIL font
    from PIL import ImageFont

    try:
        import matplotlib

        path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"
        return ImageFont.truetype(str(path), size)
    except (ImportError, OSError):
        return ImageFont.load_default(size=size)


def stamp_png(png: bytes, text: str = FAST_MODE_MARK) -> bytes:
    """``png`` with a red band across the top that reads ``text`` (the image grows by the band)."""
    from PIL import Image, ImageDraw

    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    size = max(10, min(28, width // (len(text) // 2 + 2)))
    band = int(size * 1.6)
    stamped = Image.new("RGB", (width, height + band), (176, 0, 32))
    stamped.paste(image, (0, band))
    draw = ImageDraw.Draw(stamped)
    font = _font(size)
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
