"""What the person stated explicitly, pulled out of their words by code.

A small model gets stated facts wrong (durations, "no narration"), so the facts a person states are
extracted here and enforced on every plan and every edit, whatever the model produced.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from agent.plan import MAX_SHOT_S, MIN_SHOT_S, Aspect, Shot, ShotPlan

_NUMBER_WORDS = {
    "one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "forty-five": 45, "sixty": 60, "ninety": 90, "half": 0.5,
}
_NUMBER = r"\b(\d+(?:[.,]\d+)?|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
_UNIT_SECONDS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "min": 60, "mins": 60,
                 "minute": 60, "minutes": 60, "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600}
_DURATION = re.compile(
    _NUMBER + r"\s*-?\s*(hours?|hrs?|h|minutes?|mins?|seconds?|secs?|s)\b(?:\s*(?:long|video|clip))?",
    re.IGNORECASE,
)
_SHOTS = re.compile(_NUMBER + r"\s+(?:shots?|scenes?|clips?)\b", re.IGNORECASE)
_ASPECTS: list[tuple[re.Pattern[str], Aspect]] = [
    (re.compile(r"\b9\s*[:x/]\s*16\b|\bvertical\b|\bportrait\b|\bfor (?:mobile|phones?|tiktok|reels|shorts|stories)\b|\btiktok\b", re.I), "9:16"),
    (re.compile(r"\b1\s*[:x/]\s*1\b|\bsquare\b|\binstagram post\b", re.I), "1:1"),
    (re.compile(r"\b16\s*[:x/]\s*9\b|\blandscape\b|\bwidescreen\b|\bhorizontal\b|\byoutube\b", re.I), "16:9"),
]
_NO_NARRATION = re.compile(
    r"\b(?:no|without|remove|drop|turn off|disable|mute)\s+(?:the\s+)?(?:narration|narrator|voice[- ]?over|voice|speech|talking)\b"
    r"|\bnarration\s+off\b|\bsilent\b|\bno one (?:talking|speaking)\b",
    re.I,
)
_NARRATION = re.compile(
    r"\b(?:with|add|turn on|enable|put back)\s+(?:a\s+|the\s+)?(?:narration|narrator|voice[- ]?over)\b|\bnarrated\b|\bnarration\s+on\b",
    re.I,
)
_NO_MUSIC = re.compile(r"\b(?:no|without)\s+(?:background\s+)?music\b", re.I)
_FEMALE = re.compile(r"\b(?:female|woman'?s?|women'?s?|feminine|girl'?s?)\s+(?:voice|narrator|narration)\b", re.I)
_MALE = re.compile(r"\b(?:male|man'?s?|men'?s?|masculine)\s+(?:voice|narrator|narration)\b", re.I)
_SLOWER = re.compile(r"\bslow(?:er)?\s+(?:voice|narration|narrator|speech|talking)\b|\b(?:speak|talk|narrate)s?\s+(?:more\s+)?slow(?:er|ly)?\b", re.I)
_FASTER = re.compile(r"\b(?:fast(?:er)?|quick(?:er)?)\s+(?:voice|narration|narrator|speech|talking)\b|\b(?:speak|talk|narrate)s?\s+(?:more\s+)?(?:fast(?:er)?|quick(?:er|ly)?)\b", re.I)
_LEADING_ASK = re.compile(
    r"^\s*(?:please\s+)?(?:(?:can|could|would) you\s+)?(?:make|create|generate|render|produce|give me|i want|i'd like|build|do)?\s*"
    r"(?:me\s+)?(?:an?\s+)?(?:short\s+)?(?:video|clip|film|movie|animation|reel)?\s*(?:of|about|showing|with|that shows)?\s*",
    re.I,
)


def parse_number(token: str) -> float:
    token = token.lower().replace(",", ".")
    if token in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[token])
    return float(token)


class Requirements(BaseModel):
    """Facts the person stated. ``None`` means they did not say, so the planner may choose."""

    model_config = ConfigDict(frozen=True)

    total_duration_s: float | None = None
    aspect: Aspect | None = None
    narration: bool | None = None
    music: bool | None = None
    shot_count: int | None = None
    voice_pitch_semitones: float | None = None
    voice_speed: float | None = None
    subject: str | None = None

    def merged_with(self, newer: Requirements) -> Requirements:
        """Later statements win; facts not restated are kept for the rest of the conversation."""
        stated = newer.model_dump(exclude_none=True)
        stated.pop("subject", None)
        return self.model_copy(update=stated)


def extract_requirements(text: str, *, with_subject: bool = True) -> Requirements:
    """Pull the explicit facts out of one message."""
    facts: dict[str, object] = {}
    rest = text
    if match := _DURATION.search(text):
        facts["total_duration_s"] = parse_number(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
        rest = rest.replace(match.group(0), " ")
    if match := _SHOTS.search(text):
        facts["shot_count"] = int(parse_number(match.group(1)))
        rest = rest.replace(match.group(0), " ")
    for pattern, aspect in _ASPECTS:
        if match := pattern.search(text):
            facts["aspect"] = aspect
            rest = pattern.sub(" ", rest)
            break
    if _NO_NARRATION.search(text):
        facts["narration"] = False
        rest = _NO_NARRATION.sub(" ", rest)
    elif _NARRATION.search(text):
        facts["narration"] = True
        rest = _NARRATION.sub(" ", rest)
    if _NO_MUSIC.search(text):
        facts["music"] = False
        rest = _NO_MUSIC.sub(" ", rest)
    if _FEMALE.search(text):
        facts["voice_pitch_semitones"] = 4.0
        rest = _FEMALE.sub(" ", rest)
    elif _MALE.search(text):
        facts["voice_pitch_semitones"] = 0.0
        rest = _MALE.sub(" ", rest)
    if _SLOWER.search(text):
        facts["voice_speed"] = 0.8
        rest = _SLOWER.sub(" ", rest)
    elif _FASTER.search(text):
        facts["voice_speed"] = 1.25
        rest = _FASTER.sub(" ", rest)
    if with_subject:
        facts["subject"] = subject_of(rest)
    return Requirements.model_validate(facts)


def subject_of(text: str) -> str | None:
    """The request without the ask and the stated facts: what the video is about."""
    text = re.sub(r"\([^)]*\)", " ", text)
    text = _LEADING_ASK.sub("", text, count=1)
    text = re.sub(r"\b(?:in|at|with|and|for)\s*[,.;]", ",", text)
    text = re.sub(r"\s*[,;]\s*(?=[,;]|$)", "", text)
    text = re.sub(r"\s{2,}", " ", text).strip(" ,.;:-!?")
    trailing = re.compile(r"\s+(?:in|at|with|and|for|of|a|an|the)$", re.I)
    while trailing.search(text):
        text = trailing.sub("", text).strip(" ,.;:-")
    return text or None


def keywords(text: str) -> set[str]:
    """Content words, for checking that a model-written prompt kept the person's subject."""
    stop = {"a", "an", "the", "of", "in", "on", "at", "to", "and", "with", "for", "from", "by", "is", "it",
            "its", "into", "over", "under", "video", "shot", "scene", "some", "very", "that", "this"}
    return {word for word in re.findall(r"[a-z][a-z'-]+", text.lower()) if word not in stop and len(word) > 2}


def enforce(plan: ShotPlan, requirements: Requirements, *, keep_shot: int | None = None) -> ShotPlan:
    """The plan with every stated fact made true: aspect, narration, voice, and the total duration.

    When the total is fixed and one shot's length changed (``keep_shot``), the other shots absorb the
    difference so the person gets the length they asked for.
    """
    if requirements.aspect and plan.aspect != requirements.aspect:
        plan = plan.with_aspect(requirements.aspect)
    updates: dict[str, object] = {}
    if requirements.narration is not None:
        updates["narration"] = requirements.narration
    if requirements.music is not None:
        updates["music"] = requirements.music
    voice_updates: dict[str, float] = {}
    if requirements.voice_speed is not None:
        voice_updates["speed"] = requirements.voice_speed
    if requirements.voice_pitch_semitones is not None:
        voice_updates["pitch_semitones"] = requirements.voice_pitch_semitones
    if voice_updates:
        updates["voice"] = plan.voice.model_copy(update=voice_updates)
    if updates:
        plan = plan.model_copy(update=updates)
    if requirements.total_duration_s is not None and abs(plan.total_duration_s - requirements.total_duration_s) > 0.05:
        plan = plan.model_copy(update={"shots": fit_total(list(plan.shots), requirements.total_duration_s, keep_shot)})
    return ShotPlan.model_validate(plan.model_dump())


def fit_total(shots: list[Shot], total_s: float, keep_shot: int | None) -> tuple[Shot, ...]:
    """Scale shot durations (0.1 s steps, each >= MIN_SHOT_S) so they add up to ``total_s``."""
    fixed = {keep_shot} if keep_shot is not None and len(shots) > 1 else set()
    fixed_total = sum(shot.duration_s for shot in shots if shot.id in fixed)
    flexible = [shot for shot in shots if shot.id not in fixed]
    room = total_s - fixed_total
    if room < MIN_SHOT_S * len(flexible):
        fixed, flexible, room = set(), shots, total_s
    current = sum(shot.duration_s for shot in flexible)
    tenths = [max(round(MIN_SHOT_S * 10), round(shot.duration_s / current * room * 10)) for shot in flexible]
    tenths[-1] += round(room * 10) - sum(tenths)
    new = {shot.id: min(MAX_SHOT_S, max(MIN_SHOT_S, t / 10)) for shot, t in zip(flexible, tenths)}
    return tuple(shot.model_copy(update={"duration_s": new[shot.id]}) if shot.id in new else shot for shot in shots)
