"""Going back to an earlier version in conversation: "undo", "go back to version 2", "the original was better".

Every version of a project is kept, so going back is a new version whose plan is an earlier one's: the
history only grows, and going back can itself be undone. Only an instruction that asks for nothing else
is read as going back ("undo the music" is an edit of the music, not an undo).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_POLITE = r"(?:please|pls|plz|can\s+you|could\s+you|let'?s|just|actually|hmm+|ok(?:ay)?|no|nah|ugh|oops|sorry|thanks?|thank\s+you)"
_AROUND = rf"^\W*(?:{_POLITE}\W+)*(?:{{ask}})(?:\W+{_POLITE})*\W*$"
_VERSION = r"(?:version|v|take|draft)\s*#?\s*(\d{1,9})"
_BACK = r"(?:go(?:ing)?\s+back|back|revert(?:\s+back)?|return|restore|roll\s*back|switch\s+back|change\s+(?:it\s+)?back|use|bring\s+back)"

_TO_NUMBER = re.compile(
    _AROUND.format(ask=rf"{_BACK}\s+(?:to\s+)?(?:the\s+)?{_VERSION}(?:\s+again)?|{_VERSION}\s+(?:was|is)\s+better"), re.I
)
_TO_FIRST = re.compile(
    _AROUND.format(
        ask=rf"{_BACK}\s+(?:to\s+)?(?:the\s+)?(?:original|first\s+(?:version|one|take|draft)|start)(?:\s+(?:version|one))?(?:\s+again)?"
        r"|(?:the\s+)?(?:original|first\s+(?:version|one))\s+(?:was|is)\s+better|start\s+over\s+from\s+the\s+(?:original|first\s+version)"
    ),
    re.I,
)
_UNDO = re.compile(
    _AROUND.format(
        ask=r"undo(?:\s+(?:that|this|it|the\s+last\s+(?:change|edit|one)|my\s+last\s+(?:change|edit)))?"
        rf"|{_BACK}(?:\s+to\s+(?:the\s+)?(?:previous|last|old|earlier|prior)\s+(?:version|one|take|draft))?(?:\s+again)?"
        r"|revert(?:\s+(?:that|this|it|the\s+last\s+(?:change|edit)))?"
        r"|(?:the\s+)?(?:previous|last|old|earlier)\s+(?:version|one)\s+(?:was|is)\s+better"
    ),
    re.I,
)


@dataclass(frozen=True)
class GoBack:
    """Going back: to version ``number``, or (``None``) to the one before what the latest version shows."""

    number: int | None


def going_back(instruction: str) -> GoBack | None:
    """What version an instruction asks to go back to, or ``None`` when it asks for something else."""
    text = instruction.strip()
    if match := _TO_NUMBER.match(text):
        return GoBack(int(next(number for number in match.groups() if number is not None)))
    if _TO_FIRST.match(text):
        return GoBack(1)
    if _UNDO.match(text):
        return GoBack(None)
    return None


def shown_by(number: int, instructions: Sequence[str]) -> int:
    """The version whose plan version ``number`` shows: itself, or, for a version made by going back, the
    one it went back to (``instructions[n - 1]`` is what made version ``n``)."""
    ask = going_back(instructions[number - 1]) if number > 1 else None
    if ask is None:
        return number
    if ask.number is not None:
        return shown_by(ask.number, instructions) if 1 <= ask.number < number else number
    return max(1, shown_by(number - 1, instructions) - 1)


def target_version(ask: GoBack, instructions: Sequence[str]) -> int:
    """The version to copy: the one named, or for "undo" the one before what the latest shows, so undoing
    twice goes two steps back rather than undoing the undo."""
    if ask.number is not None:
        return ask.number
    return shown_by(len(instructions), instructions) - 1
