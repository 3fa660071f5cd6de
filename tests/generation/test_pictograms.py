"""Words find OpenMoji pictograms, which are drawn in colour; a word with none is drawn as a label."""

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from reelwright.generation import pictograms
from reelwright.generation.pictograms import emoji_sprite, label_sprite, lookup, pictogram, singular
from reelwright.generation.typography import OPENMOJI_CREDIT


def colourful(image: Image.Image) -> float:
    """The share of opaque pixels that are clearly coloured (not black, white or grey)."""
    pixels = np.asarray(image.convert("RGBA")).astype(int)
    opaque = pixels[..., 3] > 200
    spread = pixels[..., :3].max(axis=-1) - pixels[..., :3].min(axis=-1)
    return float((opaque & (spread > 60)).sum() / max(1, opaque.sum()))


def test_words_find_pictograms_by_name_alias_and_last_word() -> None:
    assert lookup("fox") == "🦊"
    assert lookup("car") == "🚗"  # an alias (:car:) of "automobile"
    assert lookup("ice cream") == "🍨"
    assert lookup("tree") is not None  # "evergreen tree", "deciduous tree" … by their last word
    assert lookup("foxes") == lookup("fox")
    assert lookup("rest") is None


def test_plural_nouns_are_folded() -> None:
    assert [singular(word) for word in ("foxes", "puppies", "leaves", "children", "trees", "glass")] == [
        "fox",
        "puppy",
        "leaf",
        "child",
        "tree",
        "glass",
    ]


def test_a_person_doing_something_is_drawn_doing_it() -> None:
    assert pictogram("woman", action="running").emoji == "🏃"
    assert pictogram("fox", action="running").emoji == "🦊"


def test_pictograms_are_drawn_in_colour_at_any_size() -> None:
    for size in (24, 96, 400):
        fox = emoji_sprite("🦊", size)
        assert abs(fox.height - size) < size * 0.3
        assert colourful(fox) > 0.3


def test_a_single_pictogram_needs_no_text_shaping() -> None:
    """Without raqm (no libfribidi) Pillow's basic layout still draws single code points in colour."""
    face = pictograms.emoji_font(96, ImageFont.Layout.BASIC)
    image = Image.new("RGBA", (140, 140), (0, 0, 0, 0))
    ImageDraw.Draw(image).text((10, 10), "🦊", font=face, embedded_color=True)
    assert colourful(image) > 0.3


def test_a_word_with_no_pictogram_is_a_readable_label() -> None:
    item = pictogram("fireplace")
    assert item.emoji is None
    tag = pictograms.sprite(item, 120)
    assert tag.width > tag.height > 20
    pixels = np.asarray(tag)
    assert (pixels[..., :3].max(axis=-1) < 80).sum() > 100  # dark letters on the white tag


def test_labels_are_drawn_for_any_script() -> None:
    tag = label_sprite("灯台", 90)
    dark = (np.asarray(tag)[..., :3].max(axis=-1) < 80).sum()
    assert dark > 100


def test_the_credit_names_openmoji_and_its_licence() -> None:
    assert "OpenMoji" in OPENMOJI_CREDIT and "CC BY-SA 4.0" in OPENMOJI_CREDIT


def test_without_text_shaping_only_single_pictograms_are_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """A ZWJ sequence (cook = person + ZWJ + frying pan) needs raqm to join; without it the word falls back."""
    monkeypatch.setattr(pictograms.features, "check_feature", lambda name: False)
    assert not pictograms.drawable("🧑‍🍳")
    assert pictograms.drawable("🦊")


@pytest.mark.parametrize(
    ("word", "kind"), [("knight", "living"), ("king", "living"), ("sneakers", "thing"), ("squirrel", "living"), ("doctor", "living")]
)
def test_words_people_type_whose_emoji_has_another_name_have_a_picture(word: str, kind: str) -> None:
    item = pictogram(word)
    assert item.emoji and item.kind == kind
