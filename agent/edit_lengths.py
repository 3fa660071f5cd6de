"""Lengths said in an edit: a length to set ("make shot 2 5 seconds"), a change of length ("add 5 seconds",
"3 seconds shorter", "shot 2 -3 s", "one second longer") and one length for every shot ("each shot 4 seconds").

A change is relative to the length there is: "add 5 seconds" to a 12 second video makes 17, never 5.
"""

from __future__ import annotations

import re

from reelwright.agent.wording import ARTICLE_NUMBERS, NUMBER_WORDS, parse_number

_NUMBER = (
    r"(?:\d+(?:[.,]\d+)?|half\s+a|"
    + "|".join(sorted((w for w in NUMBER_WORDS if w not in ARTICLE_NUMBERS and 1 <= NUMBER_WORDS[w] <= 60), key=len, reverse=True))
    + r")"
)
_UNIT = r"(?P<unit>secs?|seconds?|segundos?|sekunden|secondes?|secondi|mins?|minutes?)\b"
#: A length: "5 seconds", "1.5 s", "one second", "half a minute", "2m".
SECONDS = re.compile(rf"(?<![\w.])(?:(?P<n>{_NUMBER})\s*{_UNIT}|(?P<digits>\d+(?:[.,]\d+)?)\s*(?P<letter>s|m)\b)", re.I)
#: "a second longer", "an extra minute" (but "a second shot" is a place).
_ONE = re.compile(
    r"\b(?:a|an|one)\s+(?P<more>more\s+|extra\s+)?(?P<unit>second|minute)\b(?!\s+(?:shot|scene|clip|one|take|version|time|look|half))", re.I
)
_MORE_BEFORE = re.compile(
    r"(?:\+|\bplus|\badd(?:\s+(?:another|an?\s+extra|extra))?|\banother|\bextra|\bgive\s+(?:it\s+)?(?:another|an?\s+extra)?)\s*$", re.I
)
_LESS_BEFORE = re.compile(r"(?:(?<![\w-])-|\bminus|\b(?:cut|trim|take|shave|knock|drop|remove|lose)(?:\s+off)?)\s*$", re.I)
_MORE_AFTER = re.compile(r"^\s*(?:more|extra|longer)\b", re.I)
_LESS_AFTER = re.compile(r"^\s*(?:shorter|less|fewer|off|quicker)\b", re.I)
_BY = re.compile(r"\bby\s*$", re.I)
#: "each shot 4 seconds", "make all shots 2 seconds", "4 seconds each", "2 s per shot".
_EACH = re.compile(
    r"\b(?:all(?:\s+(?:of\s+)?the)?|each|every)\s+(?:of\s+the\s+)?(?:shots?|scenes?|clips?)\b(?:\s+(?:to|be|last|lasting|at|should\s+be))*\s*(?=\S)"
    r"|(?=\S)(?=[^,;]*?\s(?:each|apiece|per\s+(?:shot|scene|clip)|a\s+(?:shot|scene|clip))\b)",
    re.I,
)


def seconds_said(text: str) -> float | None:
    """The first length in ``text``, in seconds."""
    match = SECONDS.search(text)
    return _seconds(match) if match else None


def seconds_change(text: str, *, longer: bool, shorter: bool) -> float | None:
    """A change of length said in ``text``, in seconds (negative: shorter); ``None`` when it sets a length.

    ``longer``/``shorter``: whether the text says which way elsewhere ("make it longer by 2 seconds").
    """
    for match in [*SECONDS.finditer(text), *_ONE.finditer(text)]:
        before, after = text[: match.start()], text[match.end() :]
        seconds = _seconds(match)
        if match.groupdict().get("more") or _MORE_BEFORE.search(before) or _MORE_AFTER.match(after):
            return seconds
        if _LESS_BEFORE.search(before) or _LESS_AFTER.match(after):
            return -seconds
        if _BY.search(before) and longer != shorter:
            return seconds if longer else -seconds
    return None


def each_shot_seconds(text: str) -> float | None:
    """One length said for every shot ("each shot 4 seconds", "2 seconds per shot"), in seconds."""
    if not _EACH.search(text):
        return None
    return seconds_said(text)


def _seconds(match: re.Match[str]) -> float:
    found = match.groupdict()
    unit = (found.get("unit") or found.get("letter") or "s").lower()
    number = found.get("n") or found.get("digits")
    value = 1.0 if number is None else 0.5 if re.fullmatch(r"half\s+a", number, re.I) else parse_number(number)
    return value * (60 if unit.startswith("m") else 1)
