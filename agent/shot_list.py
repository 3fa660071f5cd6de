"""Requests that list their shots: "shots: 1) a baker 2) bread in the oven 3) a family eating".

A person who lists shots has decided the structure: exactly those shots, in that order, each about
its own item. Numbered or lettered items ("(1) ... (2) ...", "a) ... b) ..."), "shot 1: ... shot 2: ...",
bullet lines, "first ..., then ..., finally ...", "start with ..., cut to ..., end on ...", "a -> b -> c"
and "shots: a; b; c" are recognised; so is "2 shots: a kettle and a teapot", where the count says how
to split.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBERED = re.compile(r"(?:^|(?<=[\s,;:(]))\(?(?:(?:shot|scene|clip|part)\s*#?\s*)?(\d{1,2})\s*(?:[.):]|\s-)\s+", re.I)
_LETTERED = re.compile(r"(?:^|(?<=[\s,;:]))\(?([a-l])\)\s+", re.I)
_LABELLED = re.compile(r"(?:^|(?<=[\s,;:(]))(?:shot|scene|clip|part)\s*#?\s*(\d{1,2})\b\s*[:.)-]?\s*", re.I)
_ORDINAL_LABELLED = re.compile(
    r"(?:^|(?<=[\s,;:(]))(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|last|final)\s+(?:shot|scene|clip)\b\s*(?:is|:|-|,|shows?|of)?\s*",
    re.I,
)
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh", "twelfth")
_BULLET = re.compile(r"^\s*(?:[-*•·]|\u2022)\s+(.+?)\s*$", re.M)
_OPENING = r"(?:first(?:ly)?|start(?:ing)?\s+(?:with|on)|open(?:ing)?\s+(?:with|on)|begin(?:ning)?\s+with)"
#: What comes next in a sequence; "next", "last", "second" only after a comma ("then the next day" is one shot).
_NEXT = (
    r"(?:[,;.]?\s+\b(?:and\s+)?(?:then|finally|lastly|after\s+that|afterwards|cut\s+to|followed\s+by|end(?:ing)?\s+(?:with|on)|close\s+(?:with|on))"
    r"|[,;.]\s*\b(?:and\s+)?(?:next|last|second(?:ly)?|third(?:ly)?))\b[,:]?\s+"
)
_SEQUENCE = re.compile(rf"\b{_OPENING}\b[,:]?\s+(?P<first>.+?){_NEXT}(?P<rest>.+)$", re.I | re.S)
_THEN = re.compile(_NEXT, re.I)
_ARROW = re.compile(r"\s*(?:-+>|→|⟶|=>|➡️?)\s*")
_LABEL_LIST = re.compile(r"\b(?:shots?|scenes?|shot list)\s*:\s*(?P<items>[^:]+)$", re.I | re.S)


@dataclass(frozen=True)
class ShotList:
    """The request's words before the list (its theme), and the listed shot descriptions."""

    lead: str
    items: tuple[str, ...]


def find_shot_list(text: str) -> ShotList | None:
    for finder in (_numbered, _lettered, _ordinal_labelled, _bullets, _sequence, _arrows, _label_list):
        found = finder(text)
        if found and len(found.items) >= 2:
            return found
    return None


def _clean(item: str) -> str:
    return re.sub(r"\s+", " ", item).strip(" ,;.-\n")


def _numbered(text: str) -> ShotList | None:
    for pattern in (_LABELLED, _NUMBERED):
        markers = [m for m in pattern.finditer(text)]
        run: list[re.Match[str]] = []
        for marker in markers:
            if int(marker.group(1)) == len(run) + 1:
                run.append(marker)
        if len(run) < 2:
            continue
        items = [_clean(text[m.end() : (run[i + 1].start() if i + 1 < len(run) else len(text))]) for i, m in enumerate(run)]
        lead = re.sub(r"\b(?:shots?|scenes?|shot list)\s*:?\s*$", "", text[: run[0].start()], flags=re.I)
        if all(items):
            return ShotList(_clean(lead), tuple(items))
    return None


def _lettered(text: str) -> ShotList | None:
    """ "a) a kettle b) a teapot c) a cup", "(a) ... (b) ..."."""
    run: list[re.Match[str]] = []
    for marker in _LETTERED.finditer(text):
        if marker.group(1).lower() == "abcdefghijkl"[len(run)]:
            run.append(marker)
    if len(run) < 2:
        return None
    items = [_clean(text[m.end() : (run[i + 1].start() if i + 1 < len(run) else len(text))]) for i, m in enumerate(run)]
    return ShotList(_clean(text[: run[0].start()]), tuple(items)) if all(items) else None


def _ordinal_labelled(text: str) -> ShotList | None:
    """ "first shot a kid opening a present, second shot a puppy ..., last shot ..."."""
    run: list[re.Match[str]] = []
    for marker in _ORDINAL_LABELLED.finditer(text):
        word = marker.group(1).lower()
        if (len(run) < len(_ORDINALS) and word == _ORDINALS[len(run)]) or (word in {"last", "final"} and len(run) >= 2):
            run.append(marker)
    if len(run) < 2:
        return None
    items = [_clean(text[m.end() : (run[i + 1].start() if i + 1 < len(run) else len(text))]) for i, m in enumerate(run)]
    return ShotList(_clean(text[: run[0].start()]), tuple(items)) if all(items) else None


def _bullets(text: str) -> ShotList | None:
    items = [_clean(m.group(1)) for m in _BULLET.finditer(text)]
    if len(items) < 2:
        return None
    first = _BULLET.search(text)
    assert first is not None
    lead = re.sub(r"\b(?:shots?|scenes?)\s*:?\s*$", "", text[: first.start()], flags=re.I)
    return ShotList(_clean(lead), tuple(item for item in items if item))


def _sequence(text: str) -> ShotList | None:
    match = _SEQUENCE.search(text)
    if not match:
        return None
    items = [match.group("first"), *_THEN.split(match.group("rest"))]
    return ShotList(_clean(text[: match.start()]), tuple(_clean(item) for item in items if _clean(item)))


def _arrows(text: str) -> ShotList | None:
    """ "a seed -> a sprout -> a tree"; what comes before a colon is the theme ("growth: a seed -> ...")."""
    parts = _ARROW.split(text)
    if len(parts) < 2:
        return None
    lead, _, first = parts[0].rpartition(":")
    items = tuple(_clean(part) for part in (first, *parts[1:]))
    return ShotList(_clean(lead), items) if all(items) else None


def _label_list(text: str) -> ShotList | None:
    match = _LABEL_LIST.search(text)
    if not match:
        return None
    parts = re.split(r"\s*;\s*|\s*,\s*(?:and\s+)?|\s+and\s+then\s+", match.group("items"))
    items = tuple(_clean(part) for part in parts if _clean(part))
    return ShotList(_clean(text[: match.start()]), items) if len(items) >= 2 else None


def find_counted_list(text: str, count: int) -> ShotList | None:
    """The shots of a request that says how many there are: "two shots: a kettle boiling, then tea being poured",
    "2 shots: a kettle and a teapot" (split at "and" or commas after the colon only when that gives the count)."""
    parts = [_clean(part) for part in re.split(r"[,;.]?\s+\b(?:and\s+)?(?:then|finally|after that)\b[,:]?\s+", text, flags=re.I)]
    parts = [part for part in parts if part]
    if len(parts) == count:
        lead, _, first = parts[0].rpartition(":")
        return ShotList(_clean(lead), (_clean(first), *parts[1:])) if _clean(first) else None
    lead, colon, listed = text.rpartition(":")
    items = tuple(_clean(part) for part in re.split(r"\s*[;,]\s*(?:and\s+)?|\s+and\s+", listed) if _clean(part))
    return ShotList(_clean(lead), items) if colon and len(items) == count else None
