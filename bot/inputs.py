"""Checks on what people hand us, with messages that tell them what to fix."""

from __future__ import annotations

import unicodedata
import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from reelwright.errors import BadImage, BadRequest

IMAGE_FORMATS = {"PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF"}


def check_request(text: str, max_chars: int) -> str:
    """A request or instruction, trimmed; empty, huge or unreadable text is refused."""
    text = (text or "").strip()
    if not text:
        raise BadRequest('Tell me what the video should show, e.g. "a fox running through snow at dawn".')
    if len(text) > max_chars:
        raise BadRequest(f"That request is {len(text):,} characters long; keep it under {max_chars:,}.")
    if "\ufffd" in text:
        raise BadRequest("I couldn't read part of that message: it was not UTF-8 text. Type it again.")
    unreadable = [c for c in text if unicodedata.category(c) in _UNREADABLE and c not in "\n\t\r"]
    meaningful = sum(c.isalnum() or unicodedata.category(c) == "So" for c in text)
    visible = sum(not c.isspace() and unicodedata.category(c) != "Cf" for c in text)
    if (
        unreadable
        or (meaningful < 2 and not any(_a_word_by_itself(c) for c in text))
        or not any(c.isalpha() or unicodedata.category(c) == "So" for c in text)
        or meaningful < visible * 0.4
    ):
        raise BadRequest("I couldn't read that request: it looks like binary data or random symbols. Describe the video in words.")
    return text


def _a_word_by_itself(char: str) -> bool:
    """An emoji ("🐱") or an ideograph ("猫") is a whole request in one character; a Latin letter is not."""
    return unicodedata.category(char) == "So" or (char.isalpha() and unicodedata.east_asian_width(char) == "W")


#: Control characters, surrogates, private-use and unassigned code points: never typed by a person.
#: Format characters (Cf) stay: emoji joiners, Persian ZWNJ and direction marks are part of real text.
_UNREADABLE = {"Cc", "Cs", "Co", "Cn"}


def load_image(path: Path, max_bytes: int, max_pixels: int) -> Path:
    """``path`` if it is a readable image within the limits; checked by content, not by name."""
    if not path.exists():
        raise BadImage(f"No such image file: {path}")
    if not path.is_file():
        raise BadImage(f"{path} is not a file.")
    size = path.stat().st_size
    if size == 0:
        raise BadImage(f"{path.name} is empty.")
    if size > max_bytes:
        raise BadImage(f"{path.name} is {size / 2**20:.0f} MiB; images up to {max_bytes / 2**20:.0f} MiB are accepted.")
    try:
        with warnings.catch_warnings():  # Pillow warns of a huge image on open; the pixel limit below refuses it in words
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)
        with image:
            if image.format not in IMAGE_FORMATS:
                raise BadImage(f"{path.name} is a {image.format} file; use PNG, JPEG, WebP, GIF, BMP or TIFF.")
            width, height = image.size
            if width * height > max_pixels:
                raise BadImage(f"{path.name} is {width}x{height} pixels; the limit is {max_pixels / 1e6:.0f} megapixels.")
            if min(width, height) < 16:
                raise BadImage(f"{path.name} is only {width}x{height} pixels; use an image at least 16 pixels on each side.")
            image.load()
    except UnidentifiedImageError as error:
        raise BadImage(f"{path.name} is not an image I can read.") from error
    except Image.DecompressionBombError as error:
        raise BadImage(f"{path.name} has too many pixels to be a safe image.") from error
    except (OSError, SyntaxError, ValueError) as error:
        raise BadImage(f"{path.name} looks corrupted or truncated ({error}).") from error
    return path
