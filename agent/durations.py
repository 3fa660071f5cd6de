"""Lengths of time as people write them: "half a minute", "1m30", "20 secondes", "45 secnds", "-5 s".

Each mention is found with its place in the text (so it can be cut out of the subject) and whether it
is the whole video's length or each shot's ("5 second shots", "4 s each").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from reelwright.agent.wording import ARTICLE_NUMBERS, NUMBER_WORDS, closest, parse_number
from reelwright.errors import BadRequest

SECOND_UNITS = frozenset(
    {
        "s",
        "sec",
        "secs",
        "second",
        "seconds",
        "seconde",
        "secondes",
        "segundo",
        "segundos",
        "seg",
        "segs",
        "secondo",
        "secondi",
        "sekunde",
        "sekunden",
        "sek",
        "seconden",
        "sekund",
        "sekundy",
        "sekunder",
    }
)
MINUTE_UNITS = frozenset(
    {
        "min",
        "mins",
        "minute",
        "minutes",
        "minuto",
        "minutos",
        "minuti",
        "minuten",
        "minut",
        "minuty",
        "minutter",
    }
)
HOUR_UNITS = frozenset({"h", "hr", "hrs", "hour", "hours", "heure", "heures", "hora", "horas", "ora", "ore", "stunde", "stunden", "uur"})
#: Units of Japanese, Chinese and Korean ("10秒", "1分钟", "10초"), which follow the number with no space.
CJK_UNITS = {"秒": 1.0, "秒钟": 1.0, "秒鐘": 1.0, "秒間": 1.0, "초": 1.0, "分": 60.0, "分钟": 60.0, "分鐘": 60.0, "分間": 60.0, "분": 60.0}
CJK_UNITS |= {"時間": 3600.0, "小时": 3600.0, "小時": 3600.0, "시간": 3600.0}
_UNITS = {**dict.fromkeys(SECOND_UNITS, 1.0), **dict.fromkeys(MINUTE_UNITS, 60.0), **dict.fromkeys(HOUR_UNITS, 3600.0), **CJK_UNITS}
#: "10秒の", "10 秒的", "10초짜리": the unit set apart from what follows, without the particle that ties it to the noun.
_CJK_LENGTH = re.compile(
    r"(?<=\d)\s*(" + "|".join(sorted(CJK_UNITS, key=len, reverse=True)) + r")(?:の|的|짜리(?:의)?|의|\s)?(?!\d)",
)
#: Long unit words a typo may be made of (short ones like "s" or "min" would match anything).
_TYPO_TARGETS = frozenset(word for word in _UNITS if len(word) >= 5)

_HALF_AFTER_UNIT = re.compile(r"^\s*(?:and a half|and half|et demie?|y media|e meia|e mezzo|und (?:eine )?halbe?)\b", re.I)
_DECADE_CONTEXT = re.compile(
    r"^\s*(?:style|aesthetic|vibes?|look|era|music|fashion|retro|vintage|movie|film|anime|cartoon|tv|sitcom|disco|"
    r"synth\w*|hip[- ]hop|kids?|nostalgi\w*|throwback|themed|inspired|sci-?fi|vhs|arcade|grunge|pop|rock|punk)\b",
    re.I,
)
_PER_SHOT_BEFORE = re.compile(
    r"(?:\beach|\bevery|\bper)\s+(?:shot|scene|clip|cut)?\s*(?:of|is|lasting|at|for|:)?\s*$|\b(?:shots?|scenes?|clips?)\s+(?:of|at|lasting)\s*$",
    re.I,
)
_PER_SHOT_AFTER = re.compile(
    r"^\s*(?:long\s+)?(?:each|apiece|per\s+(?:shot|scene|clip|cut)|a\s+(?:shot|scene|clip)|shots\b|scenes\b|clips\b|cuts\b|takes\b)", re.I
)
#: "a 10 second vertical video", "30 seconds of rain", "a 15 s loop": the length of the video, not of something in it.
_VIDEO_AFTER = re.compile(
    r"^\s*(?:of\b|(?:(?!(?:of|about|on|showing|featuring|with|in|at|for)\b)[\w-]+\s+){0,2}?"
    r"(?:video|vid|clip|film|movie|reel|short|tiktok|ad|commercial|promo|trailer|teaser|montage|animation|explainer|intro|outro|loop|"
    r"story|version|edit|piece|tutorial|vlog|documentary|doc|recap|compilation|slideshow|presentation|lesson|episode|segment|sequence|"
    r"skit|sketch|cartoon|gif|preview|walkthrough|review)s?\b)",
    re.I,
)
#: A length said in English's singular before a noun is what something in the video lasts: "a 24 hour timelapse",
#: "a 5-minute walk" (not "10 minutes of rain", nor "a 10 second video").
_ATTRIBUTIVE_UNITS = frozenset({"s", "sec", "second", "min", "minute", "h", "hr", "hour"})
_WORD_AFTER = re.compile(r"^\s*-?\s*(?P<word>[^\W\d_][\w-]*)", re.I)
#: Words after a length that are no noun it describes: "10 s long", "10 seconds, vertical", "30 s please".
_NOT_DESCRIBED = frozenset(
    """of in on at with and or to for from by about into over long total max each per please pls plz only just exactly
    approx roughly vertical horizontal square landscape portrait widescreen narrated narration music silent no without
    video clip""".split()
)
#: Longer than the default longest video: a length said of a thing, longer than this, is never the video's.
SUBJECT_LENGTH_S = 120.0
#: "a video of 10 seconds", "lasting 20 s", "make it 30 seconds", "length: 1 minute".
_VIDEO_BEFORE = re.compile(
    r"\b(?:video|vid|clip|film|reel|length|duration|runtime|lasting|lasts?|make\s+it|keep\s+it|it'?s|total(?:ling)?|be)\s*"
    r"(?:of|is|about|around|at|:|=)?\s*(?:an?\s+)?$",
    re.I,
)
_TOTAL_AFTER = re.compile(r"^\s*(?:total|in total|overall|in all|all together|altogether|long|max|maximum|tops)\b", re.I)
_APPROX_BEFORE = re.compile(r"(?:\babout|\baround|\broughly|\bapprox(?:imately|\.)?|~|\bcirca|\bca\.|\bjust|\bexactly)\s*$", re.I)
_AT_MOST_BEFORE = re.compile(
    r"(?:\bmax(?:imum)?|\bat most|\bup to|\bno (?:more|longer) than|\bwithin|\bnot (?:more|longer) than)\s*(?:of\s+)?$", re.I
)
_UNDER_BEFORE = re.compile(r"(?:\bunder|\bless than|\bshorter than|\bbelow|\bmoins de|\bmenos de|\bunter|\bmeno di)\s*$", re.I)
_TOKEN = re.compile(r"-?\d+/\d+|-?\d+(?:[.,]\d+)?(?:e[+-]?\d+)?|(?<!\S)\.\d+|[^\W\d_]+(?:-[^\W\d_]+)*|∞", re.I)
#: Numbers that are no length at all: "nan seconds", "inf seconds", "1e400 seconds", "∞ minutes".
_NOT_FINITE = frozenset({"nan", "inf", "infinity", "infinite", "∞"})
#: "10s", "90sec", "2min", "1m30" -> separate number and unit so the scanner sees them.
_GLUED = re.compile(r"(?<=\d)(?=(?:s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?)(?:\d|\b))", re.I)
_SECONDS_AFTER_MINUTES = re.compile(
    r"^\s*(?:and\s+)?(\d+)\s*(?:(?:s|secs?|seconds?|segundos|secondes|sekunden|secondi)\b|(?=[,.;!?)]|$|\s+(?:video|clip|vid|film|long)\b))",
    re.I,
)
_COMPACT_MINUTES = re.compile(r"\b(\d+)\s*m\s*(\d{1,2})(?:\s*s)?\b", re.I)
#: "1:30", "0:45": minutes and seconds as a clock shows them (not "at 5:30", "7:30 pm", nor a ratio like 9:16 or 16:10).
_TIMECODE = re.compile(r"(?<![\w:.])(?!9:16)0?(\d):([0-5]\d)(?![\w:.])(?!\s*(?:am|pm|a\.m|p\.m|o'?clock|h)\b)", re.I)
_CLOCK_BEFORE = re.compile(r"\b(?:at|by|until|till|til|from|since|before|after|around)\s*$|@\s*$", re.I)
_HALF_WORDS = frozenset({"half", "demi", "media", "meia", "mezzo", "mezza", "halbe"})
#: "une demi-heure", "eine halbe-Stunde": half and its unit written as one word.
_HYPHENED_HALF = re.compile(r"\b(demi|halbe|meia|media|mezza|mezzo)-(?=[^\W\d_])", re.I)
_VULGAR_FRACTIONS = {"½": 0.5, "¼": 0.25, "¾": 0.75, "⅓": 1 / 3, "⅔": 2 / 3}
_VULGAR = re.compile(r"(\d*)\s*([½¼¾⅓⅔])")


@dataclass(frozen=True)
class Duration:
    """One stated length: seconds, where it stands in the (normalised) text, and what it measures."""

    seconds: float
    start: int
    end: int
    per_shot: bool = False
    #: Said of the video itself ("a 10 second clip", "20 s long", "10 seconds of rain", "make it 30 s", "under a minute").
    of_video: bool = False
    #: Said of something the video shows ("a 24 hour timelapse", "a 5-minute walk"): the video's length only when
    #: nothing else is, and only when a video could be that long.
    of_subject: bool = False

    @property
    def subjects_own(self) -> bool:
        """Too long for a video and said of a thing in it: the thing's length, kept in the subject."""
        return self.of_subject and self.seconds > SUBJECT_LENGTH_S


def normalise(text: str) -> str:
    """Digits and glued units apart ("10s" -> "10 s"), "1m30" and "1:30" written out as seconds, "1½" as "1.5"."""
    text = _COMPACT_MINUTES.sub(lambda m: f"{int(m.group(1)) * 60 + int(m.group(2))} s", text)
    text = _TIMECODE.sub(_timecode_seconds, text)
    text = _VULGAR.sub(lambda m: f"{int(m.group(1) or 0) + _VULGAR_FRACTIONS[m.group(2)]:.4g}", text)
    text = _HYPHENED_HALF.sub(r"\1 ", text)
    text = _CJK_LENGTH.sub(r" \1 ", text)
    return _GLUED.sub(" ", text)


def _timecode_seconds(match: re.Match[str]) -> str:
    if _CLOCK_BEFORE.search(match.string, 0, match.start()):
        return match.group(0)  # "at 5:30" is a time of day
    return f"{int(match.group(1)) * 60 + int(match.group(2))} s"


def unit_seconds(word: str) -> float | None:
    """Seconds in one unit word, typos included ("secnds", "minuets"); ``None`` if not a unit."""
    word = word.lower().rstrip(".")
    if word in _UNITS:
        return _UNITS[word]
    if len(word) < 5:
        return None
    # "secconds" is as near "second" as "seconds": a typo is clear when every unit it is near measures the same.
    meanings = {_UNITS[target] for target in _TYPO_TARGETS if closest(word, frozenset({target}))}
    return meanings.pop() if len(meanings) == 1 else None


def find_durations(text: str) -> list[Duration]:
    """Every length of time stated in ``text`` (already :func:`normalise`d), in order.

    Raises :class:`BadRequest` for a negative length: "-5 seconds" is a mistake to point out, not 5 s.
    """
    tokens = [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    found: list[Duration] = []
    index = 0
    while index < len(tokens):
        mention = _duration_at(text, tokens, index)
        if mention is None:
            index += 1
            continue
        duration, next_index = mention
        found.append(duration)
        index = next_index
    return found


def _number(token: str) -> float | None:
    """The value of a number token ("ten", "1,5", "3/4"); ``inf`` for one that is no finite number ("nan", "1e400")."""
    lower = token.lower()
    if lower in NUMBER_WORDS or (("-" in lower) and all(p in NUMBER_WORDS for p in lower.split("-"))):
        return parse_number(lower)
    if lower in _NOT_FINITE:
        return math.inf
    if fraction := re.fullmatch(r"(-?\d+)/(\d+)", lower):
        return int(fraction.group(1)) / int(fraction.group(2)) if int(fraction.group(2)) else None
    if re.fullmatch(r"-?\d+(?:[.,]\d+)?(?:e[+-]?\d+)?|\.\d+", lower):
        value = parse_number(lower)
        return value if math.isfinite(value) else math.inf
    return None


def _proper_fraction(token: str) -> float | None:
    """ "1/2" -> 0.5; ``None`` for anything that is not a fraction below one."""
    part = _number(token) if "/" in token else None
    return part if part is not None and 0 < part < 1 else None


def _duration_at(text: str, tokens: list[tuple[str, int, int]], index: int) -> tuple[Duration, int] | None:
    word, start, _ = tokens[index]
    value = _number(word)
    if value is None:
        return None
    cursor = index + 1
    # "half a minute", "half an hour"
    if word.lower() in _HALF_WORDS and cursor < len(tokens) and tokens[cursor][0].lower() in ARTICLE_NUMBERS:
        cursor += 1
    # "eine halbe Minute", "une demi minute": the article before the half is part of the length
    if word.lower() in _HALF_WORDS and index and tokens[index - 1][0].lower() in ARTICLE_NUMBERS:
        start = tokens[index - 1][1]
    # "twenty five", "fourty five"
    if (
        value in {20, 30, 40, 50, 60, 70, 80, 90}
        and cursor < len(tokens)
        and (unit := _number(tokens[cursor][0])) is not None
        and 1 <= unit <= 9
        and tokens[cursor][0].isalpha()
        and tokens[cursor][0].lower() not in ARTICLE_NUMBERS
    ):
        value, cursor = value + unit, cursor + 1
    # "a quarter of a minute", "a quarter minute"
    if word.lower() in ARTICLE_NUMBERS and cursor < len(tokens) and tokens[cursor][0].lower() == "quarter":
        value, cursor = 0.25, cursor + 1
        while cursor < len(tokens) and tokens[cursor][0].lower() in {"of", "a", "an"}:
            cursor += 1
    # "1 1/2 minutes"
    if cursor < len(tokens) and value.is_integer() and (part := _proper_fraction(tokens[cursor][0])):
        value, cursor = value + part, cursor + 1
    # "3/4 of a minute", "half of an hour"
    if value < 1 and [t[0].lower() for t in tokens[cursor : cursor + 2]] in (["of", "a"], ["of", "an"]):
        cursor += 2
    # "one and a half minutes"
    extra = 0.0
    if cursor + 2 < len(tokens) and [t[0].lower() for t in tokens[cursor : cursor + 3]] == ["and", "a", "half"]:
        extra, cursor = 0.5, cursor + 3
    # "a 10-15 second video", "10 to 15 seconds": the upper end of a range
    if cursor + 1 < len(tokens) and tokens[cursor][0].lower() in {"to", "or"} and _number(tokens[cursor + 1][0]) is not None:
        value, cursor = _number(tokens[cursor + 1][0]) or value, cursor + 2
    elif cursor < len(tokens) and tokens[cursor][0].startswith("-") and _number(tokens[cursor][0]) is not None:
        value, cursor = abs(_number(tokens[cursor][0]) or value), cursor + 1
    if cursor >= len(tokens):
        return None
    unit_word, _, unit_end = tokens[cursor]
    if word.lower() in ARTICLE_NUMBERS and unit_word.lower() in {"s", "h"}:
        return None  # "a s" is not a duration
    multiplier = unit_seconds(unit_word)
    if multiplier is None:
        return None
    if word.lower() in ARTICLE_NUMBERS and unit_word.lower() == "second":
        return None  # "a second shot" is the next one, not one second
    if multiplier == 1.0 and unit_word.lower() == "s" and _is_decade_or_age(text, word, start, unit_end):
        return None
    seconds = (value + extra) * multiplier
    end = unit_end
    if not math.isfinite(seconds):
        raise BadRequest(f"{text[start:end]!r} is not a length I can make: say it in seconds or minutes, like '10 seconds'.")
    tail = text[end:]
    if half := _HALF_AFTER_UNIT.match(tail):  # "a minute and a half", "une minute et demie"
        seconds += 0.5 * multiplier
        end += half.end()
    elif multiplier == 60 and (more := _SECONDS_AFTER_MINUTES.match(tail)):  # "2 min 30", "1 minute and 20 seconds"
        seconds += float(more.group(1))
        end += more.end()
    sign = _SIGN_WORD_BEFORE.search(text[:start])
    if sign or (word.startswith("-") and not _is_range(text, start)):
        written = text[sign.start() if sign else start : end].strip()
        raise BadRequest(f"A length can't be negative (you wrote {written!r}).")
    if total := _TOTAL_AFTER.match(text[end:]):  # "10 seconds total", "20 s long", "30 sec in all"
        end += total.end()
    before, after = text[:start], text[end:]
    per_shot_before, per_shot_after = _PER_SHOT_BEFORE.search(before), _PER_SHOT_AFTER.match(after)
    if per_shot_after:
        end += per_shot_after.end()
    of_video = bool(total or _VIDEO_AFTER.match(after) or _VIDEO_BEFORE.search(before))
    if per_shot_before:
        start = per_shot_before.start()
    elif under := _UNDER_BEFORE.search(before):
        seconds, start, of_video = max(seconds - max(1.0, round(seconds * 0.1)), 1.0), under.start(), True
    elif bound := _AT_MOST_BEFORE.search(before):
        start, of_video = bound.start(), True
    elif bound := _APPROX_BEFORE.search(before):
        start = bound.start()
    per_shot = bool(per_shot_before or per_shot_after)
    described = _WORD_AFTER.match(text[end:])
    of_subject = (
        not of_video
        and not per_shot
        and unit_word.lower() in _ATTRIBUTIVE_UNITS
        and described is not None
        and described.group("word").lower() not in _NOT_DESCRIBED
    )
    next_index = next((i for i, t in enumerate(tokens) if t[1] >= end), len(tokens))
    return Duration(seconds, start, end, per_shot, of_video, of_subject), next_index


def video_length(durations: list[Duration]) -> Duration | None:
    """The whole video's length among the lengths a request states.

    One said of the video wins ("a 10 second video of a cake baked in a minute"); otherwise the last, since
    a length that belongs to the subject comes with it ("a 24 hour timelapse of a city in 12 seconds"); and a
    length said of a thing in the video that no video could last is never the video's ("a 24 hour timelapse").
    """
    totals = [d for d in durations if not d.per_shot]
    possible = [d for d in totals if not d.subjects_own]
    return next((d for d in totals if d.of_video), possible[-1] if possible else None)


def subjects_length(text: str) -> Duration | None:
    """The length a request gives something its video shows, when that is too long to be the video's own."""
    try:
        return next((d for d in find_durations(normalise(text)) if d.subjects_own), None)
    except BadRequest:
        return None


#: A sign written as a word ("minus 4 seconds", "menos 5 segundos") is as negative as "-4".
_SIGN_WORD_BEFORE = re.compile(r"\b(?:minus|negative|menos|moins|negativ)\s*$", re.I)


def _is_range(text: str, start: int) -> bool:
    """A minus right after a number ("10-15 seconds") is a range, not a sign."""
    return bool(re.search(r"\d\s*$", text[:start]))


def _is_decade_or_age(text: str, number: str, start: int, unit_end: int) -> bool:
    """ "80s synthwave", "the 90s", "the 1920s", "90's", "a woman in her 30s", "his mid-40s": not seconds."""
    number = number.lstrip("-")  # "mid-40s"
    if re.fullmatch(r"(?:1\d|20)\d0", number):  # nobody asks for half an hour as "1920 s"
        return True
    if not re.fullmatch(r"[1-9]0", number):
        return False
    before = text[:start].rstrip().lower()
    return bool(
        _DECADE_CONTEXT.match(text[unit_end:])
        or re.search(r"['’]", text[start:unit_end])
        or before.endswith(("the", "'", "’", "from", "of the", "in the"))
        or _AGE_BEFORE.search(before)
    )


#: "in her 30s", "his early 40s", "their mid-20s": an age.
_AGE_BEFORE = re.compile(r"\b(?:her|his|their|my|your|our|its)(?:\s+(?:early|mid|late)\s*-?)?$", re.I)
