"""Captions in any script: a face per character that has it, pixel-width wrapping, right-to-left lines, colour emoji.

Real shipped fonts throughout (Noto, Noto Sans CJK, OpenMoji); shaping checks need raqm (libfribidi), which CI has.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont, features

from reelwright.generation import typography
from reelwright.generation.frames import premultiply, text_panel
from reelwright.generation.typography import JOINERS, NO_LINE_START

SIZE = 32
RAQM = features.check("raqm")
needs_raqm = pytest.mark.skipif(not RAQM, reason="shaping needs raqm (libfribidi)")

SCRIPTS = {
    "french": ("Le café où l'on s'est rencontrés, à côté de la gare — déjà l'été !", "fr"),
    "german": ("Die Straße glänzt im Regen, während die Bäume grüßen.", "de"),
    "japanese": ("夕暮れの海辺で、少女は静かに波の音を聞いていた。「また明日ね」と彼女は言った。", "ja"),
    "chinese": ("夕阳下的海边，女孩静静地听着海浪的声音。", "zh"),
    "korean": ("해질녘 바닷가에서 소녀는 조용히 파도 소리를 들었다.", "ko"),
    "arabic": ("في المساء جلست الفتاة على الشاطئ تستمع إلى صوت الأمواج.", "ar"),
    "hebrew": ("בערב ישבה הנערה על החוף והקשיבה לקול הגלים.", "he"),
    "hindi": ("शाम को लड़की समुद्र के किनारे बैठकर लहरों की आवाज़ सुन रही थी।", "hi"),
    "thai": ("เด็กหญิงนั่งฟังเสียงคลื่นที่ชายหาดยามเย็น แล้วเดินกลับบ้าน", "th"),
    "emoji": ("Pizza night 🍕🎉 with the family 👨\u200d👩\u200d👧 in Japan 🇯🇵", "en"),
    "mixed": ("Sunrise over Tokyo ☀️ 東京 😍 and ❤️", "en"),
}
EXPECTED_FACE = {
    "french": "NotoSans",
    "german": "NotoSans",
    "japanese": "NotoSansCJKJP",
    "chinese": "NotoSansCJKSC",
    "korean": "NotoSansCJKKR",
    "arabic": "NotoSansArabic",
    "hebrew": "NotoSansHebrew",
    "hindi": "NotoSansDevanagari",
    "thai": "NotoSansThai",
    "emoji": "OpenMoji",
    "mixed": "OpenMoji",
}


def visible(text: str) -> list[str]:
    return [char for char in text if ord(char) not in JOINERS]


def notdef(font: ImageFont.FreeTypeFont) -> bytes:
    """The face's missing-glyph box, drawn for a code point no font has."""
    return bytes(font.getmask("\U000f0000"))


def ink(line: typography.Line, size: int = SIZE) -> np.ndarray:
    """How bright each pixel of ``line`` drawn on its own is (white text, dark outline, no padding)."""
    block = typography.render_block([line], size, pad=0)
    return np.asarray(block.convert("RGB").convert("L"), dtype=np.float32) * (np.asarray(block)[..., 3] / 255.0)


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_character_of_each_script_gets_a_face_whose_cmap_has_it(script: str) -> None:
    text, language = SCRIPTS[script]
    runs = typography.runs(text, language=language)
    assert runs and not any(run.missing for run in runs)
    for run in runs:
        missing = [char for char in visible(run.text) if ord(char) not in typography.coverage(run.face)]
        assert not missing, f"{run.face.name} has no glyph for {missing}"
    assert EXPECTED_FACE[script] in {run.face.name for run in runs}


@pytest.mark.parametrize("script", SCRIPTS)
def test_no_character_is_drawn_as_the_missing_glyph_box(script: str) -> None:
    text, language = SCRIPTS[script]
    for run in typography.runs(text, language=language):
        font = typography.load(run.face, SIZE)
        box = notdef(font)
        tofu = [char for char in visible(run.text) if char != " " and bytes(font.getmask(char)) == box]
        assert not tofu, f"{run.face.name} draws {tofu} as its .notdef box"


def test_a_caption_in_any_script_never_uses_pillows_ascii_font() -> None:
    assert typography.text_face() is not None
    assert {run.face.name for run in typography.runs("東京 مرحبا 😀")} >= {"NotoSansArabic", "OpenMoji"}


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("limit", [180, 320, 600])
def test_every_wrapped_line_is_no_wider_than_the_limit(script: str, limit: int) -> None:
    text, language = SCRIPTS[script]
    lines = typography.wrap(text, size=SIZE, max_width=limit, max_lines=20, language=language)
    assert lines
    for line in lines:
        assert line.width <= limit
        assert sum(typography.run_width(run, SIZE) for run in line.runs) <= limit
        assert np.flatnonzero(ink(line).any(axis=0)).max() <= limit + SIZE // 8


def test_japanese_without_spaces_wraps_into_several_lines_never_starting_with_closing_punctuation() -> None:
    text, _ = SCRIPTS["japanese"]
    for limit in range(140, 420, 20):
        lines = typography.wrap(text, size=SIZE, max_width=limit, max_lines=20, language="ja")
        assert len(lines) >= 3 if limit < 300 else len(lines) >= 2
        assert "".join(line.text for line in lines) == text
        assert not [line.text for line in lines[1:] if line.text[0] in NO_LINE_START]
        assert not [line.text for line in lines[:-1] if line.text[-1] in "「（"]


def test_spaced_scripts_break_only_at_spaces() -> None:
    text, _ = SCRIPTS["german"]
    lines = typography.wrap(text, size=SIZE, max_width=260, max_lines=20)
    assert len(lines) > 1
    assert " ".join(line.text for line in lines) == text
    assert all(word in text.split() for line in lines for word in line.text.split())


def test_thai_breaks_at_spaces_and_splits_a_long_phrase_between_whole_characters() -> None:
    text, _ = SCRIPTS["thai"]
    lines = typography.wrap(text, size=SIZE, max_width=2000, language="th")
    assert [line.text for line in lines] == [text]
    lines = typography.wrap(text, size=SIZE, max_width=200, max_lines=20, language="th")
    assert len(lines) > 2 and all(line.width <= 200 for line in lines)
    assert "".join(line.text for line in lines).replace(" ", "") == text.replace(" ", "")
    assert not [line.text for line in lines if unicodedata.category(line.text[0]).startswith("M")]
    assert not [line.text for line in lines if line.text[-1] in typography.NO_LINE_END]


def test_no_break_spaces_keep_french_quotes_and_punctuation_with_their_word() -> None:
    quoted = "«\u00a0bonjour\u00a0»"
    text = f"Il a dit {quoted} puis il est parti, vraiment\u202f!"
    for limit in range(220, 480, 20):
        lines = [line.text for line in typography.wrap(text, size=SIZE, max_width=limit, max_lines=20, language="fr")]
        assert any(quoted in line for line in lines), lines
        assert any(line.endswith("vraiment\u202f!") for line in lines), lines


def test_a_symbol_without_a_text_glyph_is_drawn_as_its_emoji_not_a_placeholder() -> None:
    (run,) = typography.runs("❤")
    assert run.face.name == "OpenMoji" and not run.missing


def test_a_word_wider_than_the_line_is_split_between_its_characters() -> None:
    word = "Donaudampfschifffahrtsgesellschaftskapitänsmütze"
    lines = typography.wrap(f"Der {word} ist da", size=SIZE, max_width=200, max_lines=20, language="de")
    assert all(line.width <= 200 for line in lines)
    assert "".join(line.text for line in lines).replace(" ", "") == f"Der{word}istda"
    assert len(lines) >= 4


def test_text_beyond_max_lines_ends_in_an_ellipsis() -> None:
    text = " ".join(["the lighthouse keeper watches the storm roll in"] * 6)
    lines = typography.wrap(text, size=SIZE, max_width=400, max_lines=2)
    assert len(lines) == 2
    assert lines[-1].text.endswith("…") and lines[-1].width <= 400


@needs_raqm
def test_arabic_is_drawn_right_to_left_with_its_first_word_at_the_right() -> None:
    first, rest = "لا", "سلام عليكم يا صديقي"
    assert typography.paragraph_direction(f"{first} {rest}") == "rtl"
    line = typography.wrap(f"{first} {rest}", size=SIZE, max_width=2000, language="ar")[0]
    alone = ink(typography.wrap(first, size=SIZE, max_width=2000, language="ar")[0])
    full = ink(line)
    width = alone.shape[1]
    right = np.abs(full[:, -width:] - alone).mean()
    left = np.abs(full[:, :width] - alone).mean()
    assert right < left / 3


def test_an_rtl_line_places_latin_words_and_numbers_by_the_bidi_rules() -> None:
    line = typography.wrap("ذهبنا إلى Tokyo مع العائلة 😀", size=SIZE, max_width=2000, language="ar")[0]
    order = [run.face.name for run in typography.visual_order(line)]
    logical = [run.face.name for run in line.runs]
    assert order[-1] == logical[0] == "NotoSansArabic"
    assert order.index("NotoSans") > order.index("OpenMoji")


def test_without_raqm_arabic_still_gets_its_own_glyphs_in_reading_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(typography, "layout_engine", lambda: ImageFont.Layout.BASIC)
    text, _ = SCRIPTS["arabic"]
    lines = typography.wrap(text, size=SIZE, max_width=300, max_lines=10, language="ar")
    assert len(lines) > 1 and all(line.width <= 300 for line in lines)
    layer = text_panel((640, 360), text + " 👨\u200d👩\u200d👧 東京", font_px=SIZE, anchor="bottom", language="ar")
    assert premultiply(layer) is not None
    run = next(run for run in lines[0].runs if run.face.name == "NotoSansArabic")
    assert typography._shaped(run) == (run.text[::-1], None)
    (dated,) = typography.runs("في عام 2024", language="ar")
    assert typography._shaped(dated) == ("2024 " + "في عام"[::-1], None)  # the year still reads 2024


@needs_raqm
@pytest.mark.parametrize("sequence", ["👨\u200d👩\u200d👧", "🇯🇵", "👍🏽"])
def test_emoji_sequences_are_drawn_as_one_glyph(sequence: str) -> None:
    (run,) = typography.runs(sequence)
    assert run.face.name == "OpenMoji"
    assert typography.run_width(run, SIZE) < 1.5 * typography.run_width(typography.runs("😀")[0], SIZE)


def test_emoji_are_drawn_in_colour() -> None:
    layer = np.asarray(text_panel((640, 360), "Pizza night 🍕🎉", font_px=SIZE, anchor="bottom"), dtype=np.int16)
    saturation = layer[..., :3].max(axis=2) - layer[..., :3].min(axis=2)
    assert ((saturation > 80) & (layer[..., 3] > 200)).sum() > 50


def test_text_stays_white_and_readable_on_its_panel() -> None:
    layer = np.asarray(text_panel((1280, 720), "Der Leuchtturm im Sturm", font_px=SIZE, anchor="bottom"))
    opaque = layer[layer[..., 3] == 255]
    assert (opaque[..., :3].min(axis=1) > 240).sum() > 200


def test_text_no_font_has_is_drawn_as_a_visible_placeholder() -> None:
    runs = typography.runs("hieroglyph \U00013000 here")
    assert [run.missing for run in runs].count(True) == 1
    layer = text_panel((640, 360), "\U00013000\U00013001", font_px=SIZE, anchor="bottom")
    overlay = premultiply(layer)
    assert overlay is not None and (overlay.colour.max(axis=2) > 200).sum() > 20


@pytest.mark.parametrize("size", [(1280, 720), (720, 1280), (720, 720), (320, 180)])
@pytest.mark.parametrize("script", ["japanese", "german", "arabic", "emoji"])
def test_the_caption_panel_fits_in_the_frame(size: tuple[int, int], script: str) -> None:
    width, height = size
    text, language = SCRIPTS[script]
    font_px = max(16, round(min(height * 0.045, width * 0.06)))
    fraction = 0.8 if width < height else 0.9
    overlay = premultiply(text_panel(size, text * 3, font_px=font_px, anchor="bottom", language=language, width_fraction=fraction))
    assert overlay is not None
    assert 0 < overlay.rows.start and overlay.rows.stop < height
    assert 0 < overlay.cols.start and overlay.cols.stop < width
    assert overlay.cols.stop - overlay.cols.start <= width * fraction + 2


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L"])
def test_a_line_is_drawn_in_any_colour_onto_any_picture(mode: str) -> None:
    (line,) = typography.wrap("Tag 東京 🔥 مطر", size=SIZE, max_width=1000)
    image = Image.new(mode, (int(line.width) + 10, SIZE * 2), "white")
    fill = 40 if mode == "L" else (25, 25, 35, 255)
    typography.draw_line(ImageDraw.Draw(image), line, (5, SIZE * 1.4), SIZE, fill=fill, outline=1)
    pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    assert (pixels.max(axis=2) < 60).sum() > 300
    if mode != "L":
        assert ((pixels.max(axis=2) - pixels.min(axis=2)) > 80).sum() > 30  # the emoji, in colour


def test_captions_are_bold() -> None:
    face = typography.text_face()
    assert face is not None
    assert typography.load(face, SIZE, bold=True).getlength("Lighthouse") > typography.load(face, SIZE).getlength("Lighthouse")


def test_empty_or_blank_text_draws_nothing() -> None:
    assert premultiply(text_panel((640, 360), " \n\t ", font_px=SIZE, anchor="bottom")) is None
