"""Look at the decks in headless Chromium: every slide's rendered height, and screenshots.

Used by ``tests/test_slides_browser.py`` (no slide taller than the canvas) and
``benchmarks/deck_screenshots.py`` (a PNG of every slide, to look at).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .slides import SLIDE_HEIGHT, SLIDE_WIDTH

#: Flags that let Chromium run headless as root, offline, without touching a profile.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--allow-file-access-from-files",
]

MEASURE_SCRIPT = """
<script>
(function () {
  function ready() {
    return new Promise(function (resolve) {
      if (Reveal.isReady()) { resolve(); } else { Reveal.on('ready', resolve); }
    });
  }
  var typeset = (window.MathJax && MathJax.startup) ? MathJax.startup.promise : Promise.resolve();
  Promise.all([ready(), typeset]).then(function () {
    var out = [];
    Reveal.getSlides().forEach(function (s) {
      var idx = Reveal.getIndices(s);
      Reveal.slide(idx.h, idx.v);
      var head = s.querySelector('h1, h2, h3');
      out.push({h: idx.h, v: idx.v || 0, height: s.scrollHeight,
                title: head ? head.textContent.replace('\\u00b6', '').trim() : '',
                math: s.querySelectorAll('mjx-container').length,
                raw_tex: s.innerText.indexOf('$$') >= 0});
    });
    var pre = document.createElement('pre');
    pre.id = 'deck-heights';
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  });
})();
</script>
"""


@dataclass
class SlideHeight:
    """One rendered slide: reveal.js's indices, its height, its typeset equations, raw TeX left."""

    h: int
    v: int
    height: int
    title: str
    math: int = 0
    raw_tex: bool = False

    @property
    def anchor(self) -> str:
        """The deck address of the slide: ``#/h/v``."""
        return f"#/{self.h}/{self.v}"


def find_chromium() -> str | None:
    """The Chromium (or Chrome) executable on ``PATH``, if any."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(chromium: str, args: list[str], timeout: float) -> str:
    with tempfile.TemporaryDirectory(prefix="deck-chromium-") as profile:
        result = subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    return result.stdout


def measure_slides(
    deck: str | Path, chromium: str | None = None, timeout: float = 180
) -> list[SlideHeight]:
    """Open ``deck`` in headless Chromium and measure every slide after MathJax has typeset."""
    chromium = chromium or find_chromium()
    if chromium is None:
        raise FileNotFoundError("no chromium on PATH")
    deck = Path(deck).resolve()
    probe = deck.with_name(f".measure-{deck.name}")
    html = deck.read_text(encoding="utf-8")
    probe.write_text(html.replace("</html>", MEASURE_SCRIPT + "</html>"), encoding="utf-8")
    try:
        dom = _run(
            chromium,
            [
                f"--window-size={SLIDE_WIDTH},{SLIDE_HEIGHT}",
                "--virtual-time-budget=30000",
                "--dump-dom",
                probe.as_uri(),
            ],
            timeout,
        )
    finally:
        probe.unlink(missing_ok=True)
    found = re.search(r'<pre id="deck-heights">(.*?)</pre>', dom, re.DOTALL)
    if not found:
        raise RuntimeError(f"{deck.name}: the deck did not finish loading in Chromium")
    text = found.group(1).replace("&quot;", '"').replace("&amp;", "&")
    text = text.replace("&lt;", "<").replace("&gt;", ">")
    return [SlideHeight(**item) for item in json.loads(text)]


def screenshot_slides(
    deck: str | Path,
    out_dir: str | Path,
    slides: list[SlideHeight] | None = None,
    chromium: str | None = None,
    timeout: float = 60,
) -> list[Path]:
    """A PNG of every slide of ``deck`` (or of ``slides``) in ``out_dir``; their paths."""
    chromium = chromium or find_chromium()
    if chromium is None:
        raise FileNotFoundError("no chromium on PATH")
    deck = Path(deck).resolve()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for slide in slides if slides is not None else measure_slides(deck, chromium):
        path = out / f"{deck.stem}-{slide.h:02d}-{slide.v:02d}.png"
        _run(
            chromium,
            [
                f"--window-size={SLIDE_WIDTH},{SLIDE_HEIGHT}",
                "--virtual-time-budget=15000",
                f"--screenshot={path}",
                deck.as_uri() + slide.anchor,
            ],
            timeout,
        )
        if path.is_file():
            written.append(path)
    return written
