"""The Korean edition's figures and printed results: Hangul in a font that has it, every marked
message of the lessons translated, and the figures drawn in the language in force."""

from __future__ import annotations

import io
import os
import re
import string
import warnings
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from fontTools.ttLib import TTFont  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from course_lib import i18n  # noqa: E402
from course_lib.experiments import ablation as lesson03  # noqa: E402
from course_lib.experiments import cyclegan as lesson04  # noqa: E402
from course_lib.experiments.cgan import CGANExperiment, ClassAccuracy  # noqa: E402
from course_lib.experiments.identity import ColourShift  # noqa: E402
from course_lib.experiments.pool import pool_trace  # noqa: E402
from course_lib.figures import ablation as figures03  # noqa: E402
from course_lib.figures import cgan as figures01  # noqa: E402
from course_lib.figures import cyclegan as figures04  # noqa: E402
from course_lib.figures import identity as figures05  # noqa: E402
from course_lib.figures import pix2pix as figures02  # noqa: E402
from course_lib.figures import pool as figures06  # noqa: E402
from course_lib.figures.marks import FAST_MODE_MARK, mark_font_path, stamp_png  # noqa: E402
from course_lib.image_pool import ImagePool  # noqa: E402
from course_lib.utils import pad, text_width  # noqa: E402

HANGUL = re.compile("[\uac00-\ud7a3]")
#: Messages whose Korean has no Hangul: the glossary keeps their terms in English (code names,
#: the lecture's English terms).
WITHOUT_HANGUL = {
    "pool_size = {size}: step {step:.3f}, std {std:.3f}",
    "D loss std",
    "probe step",
    "probe std",
    "mode",
    "pool {size}",
    "GAN + cycle (lambda_cycle = 10)",
}


@pytest.fixture
def lang():
    """Set the course language for one test; the language, its environment variable and
    matplotlib's settings are put back afterwards."""
    chosen, env = i18n._chosen, os.environ.get(i18n.ENV_VAR)
    saved = matplotlib.rcParams.copy()

    def choose(code: str) -> str:
        return i18n.set_language(code)

    yield choose
    i18n._chosen = chosen
    if env is None:
        os.environ.pop(i18n.ENV_VAR, None)
    else:
        os.environ[i18n.ENV_VAR] = env
    matplotlib.rcParams.update(saved)
    plt.close("all")


def _font_file(family: str) -> str:
    return font_manager.findfont(
        font_manager.FontProperties(family=family), fallback_to_default=False
    )


def _missing(path: str, text: str) -> set[str]:
    cmap = TTFont(path, fontNumber=0).getBestCmap()
    return {c for c in text if not c.isspace() and ord(c) not in cmap}


def _texts(fig) -> list[str]:
    """Every text drawn on ``fig``: titles, axis labels, tick labels, legends, annotations."""
    found = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    return [t for t in found if t]


# ------------------------------------------------------------------------------ (a) the font
def test_the_korean_font_has_every_glyph_of_a_hangul_label(lang):
    label = "요청한 클래스로 인식된 생성 샘플 (진짜 사진, 얼룩말)"
    lang("ko")
    family = i18n.use_korean_font()
    assert family is not None, "koreanize-matplotlib is not installed"
    path = _font_file(family)
    assert "Nanum" in os.path.basename(path)
    assert _missing(path, label) == set()
    # the check can fail: matplotlib's default font has no Hangul
    assert _missing(_font_file("DejaVu Sans"), label) == set(HANGUL.findall(label))

    fig, ax = plt.subplots(figsize=(4, 2))
    ax.set_title(label)
    ax.set_xlabel("반복(iteration)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png")
    glyphs = [str(w.message) for w in caught if "Glyph" in str(w.message)]
    assert glyphs == []


def test_a_hangul_label_in_the_default_font_warns_of_missing_glyphs(lang):
    """The warning the test above looks for is real (so its absence means something)."""
    lang("en")
    matplotlib.rcParams["font.family"] = ["DejaVu Sans"]
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set_title("진짜 사진")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png")
    assert any("Glyph" in str(w.message) for w in caught)


def test_a_korean_log_scale_figure_draws_every_glyph(lang, caplog):
    """Log axes label their ticks in mathtext, whose minus sign Nanum Gothic lacks: the colour
    histograms write them as plain text, which falls back to DejaVu Sans glyph by glyph."""
    lang("ko")
    assert "DejaVu Sans" in matplotlib.rcParams["font.family"][1:]
    outputs = {"L1": torch.rand(2, 3, 8, 8) * 2 - 1}
    fig = figures03.colour_histograms(outputs, torch.rand(2, 3, 8, 8) * 2 - 1, bins=8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png")
    assert [str(w.message) for w in caught if "Glyph" in str(w.message)] == []
    assert "does not have a glyph" not in caplog.text
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels(minor=False)]
    assert any("10⁻" in t for t in labels) and not any("$" in t for t in labels)


def test_plain_log_labels():
    assert figures03.plain_log_label(r"$\mathdefault{10^{-3}}$") == "10⁻³"
    assert figures03.plain_log_label(r"$\mathdefault{2\times10^{-2}}$") == "2×10⁻²"
    assert figures03.plain_log_label("0.5") == "0.5"


def test_the_fast_mode_mark_is_korean_in_a_font_with_hangul(lang):
    lang("ko")
    korean = i18n.gettext(FAST_MODE_MARK)
    assert HANGUL.search(korean)
    path = mark_font_path(korean)
    assert path is not None and path.name == "NanumGothicBold.ttf"
    assert _missing(str(path), korean) == set()
    assert mark_font_path(FAST_MODE_MARK).name == "DejaVuSans-Bold.ttf"

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (400, 300), (255, 255, 255)).save(buf, format="PNG")
    stamped = Image.open(io.BytesIO(stamp_png(buf.getvalue()))).convert("RGB")
    band = stamped.height - 300
    row = [stamped.getpixel((x, band // 2)) for x in range(400)]
    assert any(p[0] > 240 and p[1] > 240 for p in row), "no text in the band"
    english = Image.open(io.BytesIO(stamp_png(buf.getvalue(), lang="en"))).convert("RGB")
    assert english.tobytes() != stamped.tobytes()


# ------------------------------------------------------------------------------ (b) catalog
def _catalog() -> dict[str, tuple[str, bool]]:
    from babel.messages.pofile import read_po

    with open(i18n.catalog_path("ko", "lessons"), "rb") as handle:
        po = read_po(handle, locale="ko")
    return {str(m.id): (str(m.string), m.fuzzy) for m in po if m.id}


def _fields(text: str) -> list[tuple[str, str]]:
    return sorted(
        (name, spec or "")
        for _t, name, spec, _c in string.Formatter().parse(text)
        if name is not None
    )


def test_every_marked_message_of_the_lessons_is_in_the_catalog_and_none_is_obsolete():
    marked = set(i18n.extract("lessons"))
    known = set(_catalog())
    assert sorted(marked - known) == [], "run: python -m course_lib.i18n update ko lessons"
    assert sorted(known - marked) == [], (
        "obsolete entries: python -m course_lib.i18n update ko lessons"
    )
    # the figures, the result tables and the setup line are all marked
    for msgid in (
        "fast mode: smoke test, not a result",
        "real {domain}",
        "L1 error",
        "model",
        "samples changing mode",
        "{where}, device {device}, {mode}, data: {data}",
    ):
        assert msgid in marked


def test_no_message_is_marked_inside_an_f_string():
    """Babel reads an f-string as one string token: a ``_("...")`` inside one is never
    extracted, so it would stay English without any test noticing."""
    package = os.path.dirname(i18n.__file__)
    hidden = []
    for name in i18n.DOMAIN_SOURCES["lessons"]:
        path = os.path.join(package, name)
        files = (
            [os.path.join(d, f) for d, _s, fs in os.walk(path) for f in fs if f.endswith(".py")]
            if os.path.isdir(path)
            else [path]
        )
        for file in files:
            with open(file, encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    if re.search(r"\{N?_\(\s*[\"']", line):
                        hidden.append(f"{os.path.relpath(file, package)}:{number}")
    assert hidden == []


def test_every_translation_is_korean_and_keeps_the_format_fields():
    for msgid, (msgstr, fuzzy) in _catalog().items():
        assert msgstr and not fuzzy, f"untranslated: {msgid!r}"
        assert _fields(msgstr) == _fields(msgid), f"format fields changed: {msgid!r} -> {msgstr!r}"
        assert msgstr.count("\n") == msgid.count("\n"), f"line breaks changed: {msgid!r}"
        if msgid not in WITHOUT_HANGUL:
            assert HANGUL.search(msgstr), f"no Hangul in the translation of {msgid!r}: {msgstr!r}"


# ------------------------------------------------------------------------- (c) the figures
def _identification():
    res = SimpleNamespace(accuracy={"AtoB": 0.8, "BtoA": 0.6})
    return SimpleNamespace(results={"gan_cycle": res, "gan_only": res}, chance=0.02)


def _colour_shifts():
    shift = {"AtoB": ColourShift(20.0, 10.0), "BtoA": ColourShift(30.0, 12.0)}
    return SimpleNamespace(shifts={"no_identity": shift, "identity": shift})


FIGURES = {
    "01": (
        lambda: (
            figures01.accuracy_bars(
                {"conditional": [0.9, 0.8], "unconditional": [0.1, 0.2]}, chance=0.5
            ).figure
        ),
        [
            "Generated samples recognised as the requested class",
            "requested class",
            "recognised",
            "chance (50%)",
            "conditional (85%)",
        ],
        [
            "요청한 클래스로 인식된 생성 샘플",
            "요청한 클래스",
            "인식된 비율",
            "우연 수준 (50%)",
            "조건부 (85%)",
            "비조건부 (15%)",
        ],
    ),
    "02": (
        lambda: figures02.receptive_field_figure([4, 4, 4], [2, 2, 1]).figure,
        ["Receptive field after each layer", "receptive field (pixels)"],
        ["층마다의 수용 영역", "수용 영역 (픽셀)"],
    ),
    "03": (
        lambda: figures03.metric_bars(
            {
                "L1": {"l1": 0.3, "sharpness": 0.5},
                "cGAN + L1": {"l1": 0.35, "sharpness": 0.8},
                "real photos": {"l1": 0.0, "sharpness": 1.0},
            },
            lesson03.METRIC_COLUMNS,
        ),
        ["L1 error\n(lower)", "sharpness\n(1 = as sharp as the targets)", "real photos"],
        ["L1 오차\n(낮을수록 좋음)", "선명도\n(1 = 타깃만큼 선명함)", "진짜 사진"],
    ),
    "04": (
        lambda: figures04.plot_identification(_identification()).figure,
        [
            "Does the output still point to its input?",
            "own input identified (%)",
            "chance",
            "GAN alone\n(lambda_cycle = 0)",
        ],
        [
            "출력이 여전히 자신의 입력을 가리킬까요?",
            "자신의 입력을 식별한 비율 (%)",
            "우연 수준",
            "GAN 단독\n(lambda_cycle = 0)",
        ],
    ),
    "05": (
        lambda: figures05.plot_colour_shift(_colour_shifts()).figure,
        [
            "How far do the colours move from input to output?",
            "colour shift ΔE*ab",
            "walls\nA → B",
            "no identity loss (lambda_id = 0)",
            "just noticeable (2.3)",
        ],
        [
            "입력에서 출력으로 색이 얼마나 바뀔까요?",
            "색 변화 ΔE*ab",
            "벽\nA → B",
            "identity loss 없음 (lambda_id = 0)",
            "겨우 알아챌 수 있는 차이 (2.3)",
        ],
    ),
    "06": (
        lambda: figures06.plot_pool_trace(pool_trace(ImagePool, pool_size=10, n_images=60)),
        [
            "ImagePool(10), batches of 1",
            "number of the image given to the pool",
            "pool full",
            "returned: from the history",
        ],
        [
            "ImagePool(10), 배치 크기 1",
            "pool에 넣은 이미지의 번호",
            "pool 가득 참",
            "반환: 기록에서",
        ],
    ),
}


@pytest.mark.parametrize("lesson", sorted(FIGURES))
def test_a_figure_of_each_lesson_speaks_the_language_in_force(lesson, lang):
    draw, english, korean = FIGURES[lesson]
    lang("en")
    texts = _texts(draw())
    assert [t for t in english if t not in texts] == []
    assert not any(HANGUL.search(t) for t in texts)
    lang("ko")
    texts = _texts(draw())
    assert [t for t in korean if t not in texts] == []
    assert [t for t in english if t in texts and t not in korean] == []


def test_the_cycle_titles_and_domain_names_follow_the_language(lang, monkeypatch):
    lang("ko")
    assert lesson04.domain_names("data/horse2zebra") == ("말", "얼룩말")
    monkeypatch.setattr(figures04, "translate", lambda _model, x, _direction: x)
    images = torch.zeros(1, 3, 4, 4)
    _rows, titles = figures04.cycle_rows(None, images, images, ("horse", "zebra"))
    assert titles[:3] == ["진짜 말", "말 → 얼룩말", "말 → 얼룩말 → 말"]
    lang("en")
    assert lesson04.domain_names("data/horse2zebra") == ("horse", "zebra")


# --------------------------------------------------------------------------- printed results
def test_a_result_table_in_korean_lines_up_in_a_monospaced_font(lang):
    accuracy = ClassAccuracy(0.875, [0.9, 0.85], torch.zeros(2, 2), torch.zeros(4))
    result = CGANExperiment(
        0.97,
        {"conditional": accuracy, "unconditional": accuracy},
        seconds={"conditional": 12.0, "unconditional": 11.0},
    )
    lang("en")
    english = result.table().splitlines()
    assert english[1].startswith("model") and english[2].startswith("conditional")
    lang("ko")
    korean = result.table().splitlines()
    assert korean[0] == "진짜 테스트 숫자에 대한 심판(숫자 분류기)의 정확도: 97.0%"
    assert korean[1].startswith("모델") and korean[2].startswith("조건부")
    assert len({text_width(line) for line in korean[1:]}) == 1, korean
    assert [text_width(line) for line in korean[1:]] == [len(line) for line in english[1:]]


def test_pad_counts_hangul_as_two_columns_and_rejects_a_bad_alignment():
    assert text_width("모델 A") == 6
    assert pad("모델", 6) == "모델  " and pad("ab", 4, ">") == "  ab"
    assert pad("모델이 아주 김", 4) == "모델이 아주 김"
    with pytest.raises(ValueError, match="align"):
        pad("x", 3, "^")


def test_the_setup_line_is_korean_under_ko(lang):
    from course_lib.notebook import Session

    session = Session(torch.device("cpu"), True, "data", None, False, 0)
    lang("ko")
    assert str(session) == "로컬, 장치 cpu, 빠른 모드 (자동 채점기/CI), 데이터: data"
    lang("en")
    assert str(session) == "local, device cpu, fast mode (autograder/CI), data: data"


class _Tiny:
    """A one-layer "GAN" for the resume line (no real training)."""

    @staticmethod
    def make():
        from course_lib.training.trainer import GANTrainer

        class Tiny(GANTrainer):
            def __init__(self) -> None:
                super().__init__(device="cpu", amp=False)
                self.net = torch.nn.Linear(2, 1)
                self.networks = {"net": self.net}
                self.optimizers = {"net": torch.optim.SGD(self.net.parameters(), lr=0.1)}

            def train_step(self, batch: torch.Tensor) -> dict[str, float]:
                loss = self.net(batch).pow(2).mean()
                self.optimizers["net"].zero_grad()
                loss.backward()
                self.optimizers["net"].step()
                return {"loss": float(loss)}

            def config_dict(self) -> dict[str, int]:
                return {"size": 2}

        return Tiny()


def test_a_resumed_run_says_so_in_the_language_in_force(lang, tmp_path, capsys):
    batches = [torch.ones(1, 2)] * 2
    checkpoint = tmp_path / "tiny.pt"
    _Tiny.make().fit(batches, epochs=1, checkpoint=checkpoint, progress=False)
    assert capsys.readouterr().out == ""  # a fresh run prints nothing
    lang("ko")
    _Tiny.make().fit(batches, epochs=2, checkpoint=checkpoint, progress=True)
    assert f"체크포인트 {checkpoint}에서 이어서 학습합니다 (반복 2부터)" in capsys.readouterr().out
    lang("en")
    _Tiny.make().fit(batches, epochs=2, checkpoint=checkpoint, progress=False)
    assert capsys.readouterr().out == ""  # progress off: silent


def test_the_colour_shift_table_keeps_a_space_between_korean_columns(lang):
    from course_lib.experiments.identity import IdentityExperiment

    shift = {"AtoB": ColourShift(67.9, 23.5), "BtoA": ColourShift(70.2, 24.4)}
    result = IdentityExperiment(settings=None, shifts={"no_identity": shift, "dlai": shift})
    lang("ko")
    lines = result.table().splitlines()
    assert "이미지 A->B" in lines[1] and "B->A이미지" not in lines[1]
    assert lines[3].startswith("identity loss 있음 (lambda_id = 0.1, DLAI) ")
    assert len({text_width(line) for line in lines[1:]}) == 1, lines


def test_the_paper_claims_of_lesson_03_are_printed_in_the_language_in_force(lang):
    row = {"sharpness": 0.5, "saturation": 0.2, "colour_distance": 0.2, "label_accuracy": 0.8}
    rows = {name: dict(row) for name in lesson03.VARIANTS}
    rows["L2"].update(sharpness=0.3, saturation=0.1)
    rows["cGAN + L1"].update(sharpness=0.9, colour_distance=0.1)
    result = lesson03.AblationResult(rows, {}, {}, {}, 0.95, lesson03.FAST)
    lang("en")
    assert "L2 blurriest" in result.ordering_checks()
    lang("ko")
    claims = result.ordering_checks()
    assert claims["L2가 가장 흐릿함"] and len(claims) == 5
    assert all(HANGUL.search(claim) for claim in claims)


def test_a_loss_plot_title_given_as_a_marked_message_is_shown_translated(lang):
    from course_lib.experiments import identity as lesson05
    from course_lib.utils import plot_losses

    lang("ko")
    ax = plot_losses({"loss_G": [1.0, 0.5]}, title=lesson05.ARMS["no_identity"][1])
    assert ax.get_title() == "identity loss 없음 (lambda_id = 0)"
    ax = plot_losses({"loss_G": [1.0, 0.5]}, title="GAN 손실만")
    assert ax.get_title() == "GAN 손실만"
