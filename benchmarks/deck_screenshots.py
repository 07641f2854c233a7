"""Screenshots of every slide of the decks in headless Chromium, and each slide's height.

    .venv/bin/gan-course slides                      # or gan-course build --full
    .venv/bin/python benchmarks/deck_screenshots.py  # PNGs in outputs/slides/screenshots/

Prints, per deck, the number of slides and the tallest ones against the 1280x720 canvas, so that
a slide that would not fit the projector is found; then look at the PNGs.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_lib.pipeline.deck_browser import (  # noqa: E402
    find_chromium,
    measure_slides,
    screenshot_slides,
)
from course_lib.pipeline.slides import SLIDE_HEIGHT  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("decks", nargs="*", type=Path, help="default: outputs/slides/*.html")
    parser.add_argument("--out", type=Path, default=ROOT / "outputs" / "slides" / "screenshots")
    parser.add_argument("--workers", type=int, default=2, help="Chromium processes at once")
    parser.add_argument("--measure-only", action="store_true", help="heights, no screenshots")
    args = parser.parse_args(argv)
    chromium = find_chromium()
    if chromium is None:
        print("no chromium on PATH (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    decks = args.decks or sorted((ROOT / "outputs" / "slides").glob("*.html"))
    if not decks:
        print("no decks: run `gan-course slides` first", file=sys.stderr)
        return 2
    start = time.monotonic()
    with ThreadPoolExecutor(args.workers) as pool:
        heights = list(pool.map(lambda d: measure_slides(d, chromium), decks))
    over = 0
    for deck, slides in zip(decks, heights):
        tallest = sorted(slides, key=lambda s: -s.height)[:3]
        over += sum(s.height > SLIDE_HEIGHT for s in slides)
        shown = ", ".join(f"{s.anchor} {s.height}px" for s in tallest)
        print(f"{deck.name}: {len(slides)} slides, tallest {shown} (canvas {SLIDE_HEIGHT}px)")
    print(f"slides taller than the canvas: {over}")
    if not args.measure_only:
        jobs = [(deck, [s]) for deck, slides in zip(decks, heights) for s in slides]
        with ThreadPoolExecutor(args.workers) as pool:
            shots = list(
                pool.map(lambda job: screenshot_slides(job[0], args.out, job[1], chromium), jobs)
            )
        print(f"{sum(len(s) for s in shots)} screenshots in {args.out}")
    print(f"{time.monotonic() - start:.0f} s")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
