"""Which shots an instruction points at: by number ("shot 2", "shots 1-3"), by place ("the last scene",
"the first two shots", "the intro") or by what they show ("the one with the cat", "the lighthouse one",
"make the lighthouse black and white").

A reference that names no shot of this video is an error to explain, never a reason to change every
shot: "shot 0" (shots count from 1) and "the swan shot" in a video without a swan are refused.
"""

from __future__ import annotations

import re

from reelwright.agent.requirements import keywords
from reelwright.agent.wording import NUMBER_WORDS, ORDINAL_WORDS, parse_number
from reelwright.errors import BadRequest
from reelwright.plan import ShotPlan

#: A place in an instruction that names shots: the shot ids and where the words stand.
ShotRefs = list[tuple[int, tuple[int, int]]]

SHOT_NOUN = r"(?:shots?|scenes?|clips?|takes?|plano|planos|escena|escenas|szene|szenen|einstellung|sc[eè]ne|scena|inquadratura|cena|toma)"
_NUMBER_WORD = (
    r"(?:\d{1,2}|"
    + "|".join(
        w
        for w in NUMBER_WORDS
        if 1 <= NUMBER_WORDS[w] <= 12
        and w not in {"a", "an", "single", "un", "une", "uno", "una", "um", "uma", "ein", "eine", "einer", "dozen"}
    )
    + r")"
)
_ORDINAL = (
    r"(?:"
    + "|".join(ORDINAL_WORDS)
    + r"|\d{1,2}(?:st|nd|rd|th)|last|final|closing|ending|opening|middle|penultimate|second[- ]to[- ]last|next[- ]to[- ]last|primer[oa]?|primo|prima|erste[n]?|premi[eè]re?|[uú]ltim[oa]|letzte[n]?|derni[eè]re?)"
)
#: A number that is a length, not a shot: "shot 2 -3 seconds", "shot 2 1.5 s".
_NOT_A_LENGTH = r"(?!\.\d)(?!\s*(?:s|sec|secs|seconds?|segundos?|sekunden|secondes?|secondi)\b)"
_ORDINAL_AFTER = r"(?:\d{1,2}(?:st|nd|rd|th)|primer[oa]?|primo|prima|erste[n]?|premi[eè]re?|[uú]ltim[oa]|letzte[n]?|derni[eè]re?)"
_NUMBERED_REF = re.compile(
    r"(?:\b(?:in|on|for|of|at|from|to)\s+)?(?:\bthe\s+)?"
    + SHOT_NOUN
    + r"\s*(?:#|no\.?|number|nr\.?)?\s*(?P<n>"
    + _NUMBER_WORD
    + r")\b"
    + _NOT_A_LENGTH
    + r"(?P<more>(?:\s*(?:,|&|\+|and|or|y|und|et|e|to|through|-)\s*(?:"
    + SHOT_NOUN
    + r"\s*)?(?:#\s*)?"
    + _NUMBER_WORD
    + r"\b"
    + _NOT_A_LENGTH
    + r")*)",
    re.I,
)
_ORDINAL_REF = re.compile(
    r"(?:\b(?:in|on|for|of|at|from|to)\s+)?(?:\bthe\s+)?\b(?P<o>"
    + _ORDINAL
    + r")(?P<more>(?:\s*(?:,|&|and|or)\s*(?:the\s+)?"
    + _ORDINAL
    + r")*)\s+(?:one|"
    + SHOT_NOUN
    + r")\b"
    # "plano primero", "szene letzte", "shot 2nd"; in English "the cat shot first" is a place to move it to
    r"|\b" + SHOT_NOUN + r"\s+(?P<o2>" + _ORDINAL_AFTER + r")\b"
    # "… and the third shorter": the shot left unsaid after a change
    r"|(?:^|(?<=\band\s)|(?<=,\s))the\s+(?P<o3>" + _ORDINAL + r")\b(?=\s+(?:darker|brighter|warmer|cooler|longer|shorter|black|monochrome|"
    r"more|less|a\s+bit|too|should|in\s+slow|slow|zoom|pan|tilt|static)\b|\s*$)",
    re.I,
)
_GROUP_REF = re.compile(
    r"(?:\b(?:in|on|for|of|to)\s+)?(?:\bthe\s+)?\b(?P<end>first|last|final)\s+(?P<n>two|three|four|five|\d)\s+(?:shots|scenes|clips|ones)\b",
    re.I,
)
_BARE_END_REF = re.compile(
    r"(?:\b(?:in|on|for|of|to)\s+)?\bthe\s+(opening|intro|ending|outro|finale|closing)\b(?!\s+(?:shot|scene|clip|one|credits)\b)", re.I
)


def shot_number(token: str, count: int) -> int | None:
    token = token.lower().strip()
    if token in {
        "last",
        "final",
        "closing",
        "ending",
        "último",
        "ultimo",
        "última",
        "ultima",
        "letzte",
        "letzten",
        "dernier",
        "dernière",
        "derniere",
    }:
        return count
    if token in {"opening", "primero", "primera", "primer", "primo", "prima", "erste", "ersten", "premier", "première", "premiere"}:
        return 1
    if token == "middle":
        return (count + 1) // 2 if count % 2 else None
    if re.fullmatch(r"(?:penultimate|second[- ]to[- ]last|next[- ]to[- ]last)", token):
        return count - 1 if count > 1 else None
    if token in ORDINAL_WORDS:
        return ORDINAL_WORDS[token]
    if match := re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?", token):
        return int(match.group(1))
    if token in NUMBER_WORDS:
        return int(parse_number(token))
    return None


def shot_refs(text: str, plan: ShotPlan) -> ShotRefs:
    """Shot ids the text names, in order, each with where it was named.

    Raises :class:`BadRequest` for "shot 0" and for a shot named by what it shows that no shot shows.
    """
    found = _numbered(text, plan)
    found += _by_place(text, plan, found)
    if not found:
        found = _by_content(text, plan) or _by_mention(text, plan)
    found.sort(key=lambda item: item[1][0])
    return found


def _numbered(text: str, plan: ShotPlan) -> ShotRefs:
    """ "shot 2", "shots 1 and 3", "shots 2-4", "scene #5"."""
    count = len(plan.shots)
    found: ShotRefs = []
    for match in _NUMBERED_REF.finditer(text):
        first = shot_number(match.group("n"), count)
        numbers = [first] if first is not None else []
        more = match.group("more") or ""
        others = [shot_number(t, count) for t in re.findall(_NUMBER_WORD, more, re.I)]
        if re.search(r"\b(?:to|through)\b|-", more) and first and others and others[-1]:
            numbers = list(range(first, others[-1] + 1))  # "shots 1-3", "shots 2 to 4"
        else:
            numbers += [n for n in others if n is not None]
        if 0 in numbers:
            raise BadRequest(
                f"Shots are numbered from 1: this video has shots 1 to {count}." if count > 1 else "This video has one shot: shot 1."
            )
        found += [(n, match.span()) for n in numbers]
    return found


def _by_place(text: str, plan: ShotPlan, numbered: ShotRefs) -> ShotRefs:
    """ "the last scene", "the 2nd clip", "the first two shots", "the intro"."""
    count = len(plan.shots)
    found: ShotRefs = []

    def taken(start: int) -> bool:
        return any(low <= start < high for _, (low, high) in [*numbered, *found])

    for match in _ORDINAL_REF.finditer(text):
        if taken(match.start()):
            continue
        tokens = [match.group("o") or match.group("o2") or match.group("o3")]
        tokens += re.findall(_ORDINAL, match.group("more") or "", re.I)
        found += [(n, match.span()) for n in (shot_number(t, count) for t in tokens) if n]
    for match in _GROUP_REF.finditer(text):
        size = shot_number(match.group("n"), count) or 0
        group = range(1, size + 1) if match.group("end").lower() == "first" else range(count - size + 1, count + 1)
        found += [(n, match.span()) for n in group if 1 <= n <= count]
    for match in _BARE_END_REF.finditer(text):
        if not taken(match.start()):
            found.append((1 if match.group(1).lower() in {"opening", "intro"} else count, match.span()))
    return found


#: "the one with the cat", "the lighthouse one", "the cat shot", "the scene with the dog".
_CONTENT_REF = re.compile(
    r"\bthe\s+one\s+(?:with|of|showing|where|that\s+shows|featuring)\s+(?:the\s+|a\s+|an\s+|some\s+)?(?P<a>[\w-]+(?:\s+[\w-]+)?)"
    r"|\bthe\s+(?P<b>[\w-]+(?:\s+[\w-]+)?)\s+(?:shot|scene|clip|one)\b"
    r"|\b(?:shot|scene|clip)\s+(?:with|of|where|showing)\s+(?:the\s+|a\s+|an\s+)?(?P<c>[\w-]+(?:\s+[\w-]+)?)",
    re.I,
)
#: "make the lighthouse black and white": a thing one shot shows, named with "the".
_THE_THING = re.compile(r"\bthe\s+(?P<w>[a-z][a-z'-]{2,})\b", re.I)
#: Words after "the" that name a part of the video or a place in it, never what a shot shows.
_NOT_A_SUBJECT = frozenset(
    "same other whole entire new next previous following rest wrong right one ones video clip clips shot shots scene scenes "
    "music song soundtrack narration narrator voice voiceover sound sounds audio ambience background title style colors colours "
    "color colour camera lighting light look mood tone grade contrast saturation brightness exposure pace speed order length "
    "duration total end start beginning middle intro outro opening ending closing final first last second third way thing "
    "frame picture image moment part bit time version take".split()
)
#: Words that say an instruction is about the whole video, so a thing it names is no shot of its own.
_WHOLE_VIDEO = re.compile(
    r"\b(?:every(?:thing|\s+shot|\s+scene|\s+clip)?|all|whole|entire|overall|throughout|each)\b|\bthe\s+(?:video|film|clip)\b", re.I
)


def _by_content(text: str, plan: ShotPlan) -> ShotRefs:
    """A shot named by what it shows; refused when no shot, or several alike, show it."""
    match = _CONTENT_REF.search(text)
    if match is None:
        return []
    said = match.group("a") or match.group("b") or match.group("c") or ""
    wanted = {_singular(word) for word in keywords(said)} - _NOT_A_SUBJECT
    if not wanted:
        return []
    hits = _showing(wanted, plan)
    if len(hits) == 1:
        return [(hits[0], (match.start(), _end_of_mention(match, plan.shot(hits[0]).prompt)))]
    if match.group("c"):
        return []  # "add a shot of a swan": what a new shot shows, not one to change
    if not hits:
        raise BadRequest(f'No shot shows "{said}". The shots are: {_listing(plan)}. Say which one by number, e.g. "shot 2".')
    raise BadRequest(f'Shots {_joined(hits)} all show "{said}": say which one by number, e.g. "shot {hits[0]}".')


def _end_of_mention(match: re.Match[str], prompt: str) -> int:
    """Where a mention by content ends: "the one with the cat | darker" stops after the word the shot shows."""
    group = "a" if match.group("a") else "c" if match.group("c") else None
    if group is None:
        return match.end()
    shown = {_singular(word) for word in keywords(prompt)}
    words = list(re.finditer(r"[\w-]+", match.group(group)))
    last = max((word for word in words if _singular(word.group(0).lower()) in shown), key=lambda word: word.end(), default=words[-1])
    return match.start(group) + last.end()


def _by_mention(text: str, plan: ShotPlan) -> ShotRefs:
    """ "make the lighthouse black and white": the one shot that shows the thing named, when only one does."""
    if _WHOLE_VIDEO.search(text):
        return []
    found: dict[int, tuple[int, int]] = {}
    for match in _THE_THING.finditer(text):
        word = _singular(match.group("w").lower())
        hits = _showing({word}, plan) if word not in _NOT_A_SUBJECT else []
        if len(hits) == 1:
            found.setdefault(hits[0], match.span())
    return list(found.items()) if len(found) == 1 else []


def _showing(wanted: set[str], plan: ShotPlan) -> list[int]:
    """The shots whose description shares the most of ``wanted``'s words (none when no shot shares any)."""
    shared = {shot.id: len(wanted & {_singular(word) for word in keywords(shot.prompt)}) for shot in plan.shots}
    best = max(shared.values(), default=0)
    return [shot_id for shot_id, count in shared.items() if best and count == best]


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _listing(plan: ShotPlan) -> str:
    return "; ".join(f"{shot.id}: {shot.prompt[:50]}" for shot in plan.shots)


def _joined(ids: list[int]) -> str:
    return ", ".join(str(i) for i in ids[:-1]) + f" and {ids[-1]}"
