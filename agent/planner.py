"""Request -> ShotPlan. Code builds the plan; the model writes only what it is good at.

Measured on the embedded 135M model (bench/bench_planning.py): letting it choose shot counts and
durations gets them right 1-2 times in 10; asked for a whole shot list at once it copies its first line
into every shot; asked for per-shot action phrases it echoes the request back; a JSON grammar halves its
speed (84 -> 40 tokens/s on two cores). What it does reasonably is one short narration sentence on a
topic. So code decides everything else (shot count, durations, prompts built from framing and subject,
camera, title, style), the model is asked for one line per shot in free text, and code checks each
line (prose, no instruction words, no numbers or names the person never gave) and uses its own words
where a line fails.
"""

from __future__ import annotations

import logging
import math
import random
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reelwright.agent.durations import subjects_length
from reelwright.agent.line_templates import (
    ENGLISH_PLAIN_LINES,
    FRAMES,
    LANGUAGES,
    candidate_lines,
    listed_line,
    said_as_typed,
    typed_in_another_language,
)
from reelwright.agent.requirements import enforce, frame_note, keywords, language_name, title_in
from reelwright.agent.talking import lines_for, speaking_time_s
from reelwright.agent.voice_requests import voice_notes
from reelwright.errors import BadRequest, LLMUnavailable
from reelwright.plan import (
    MAX_PROMPT_CHARS,
    MAX_SHOT_S,
    MIN_SHOT_S,
    NARRATION_LEAD_S,
    RESOLUTIONS,
    TALKING_TAIL_S,
    CameraMove,
    PlannerInfo,
    PlanProgress,
    Requirements,
    Shot,
    ShotPlan,
    Voice,
    split_duration,
)

if TYPE_CHECKING:
    from reelwright.agent.llm import ChatModel

log = logging.getLogger(__name__)

DEFAULT_TOTAL_S = 8.0
DEFAULT_TOTAL_WITH_IMAGE_S = 5.0
MIN_TOTAL_S = 2.0
TARGET_SHOT_S = 4.0
MAX_SHOTS = 12
#: Narration words per second of shot: Piper speaks ~2.7 words/s; leave room so lines are never cut.
WORDS_PER_SECOND = 2.2


_SHOT_FRAMINGS = ("wide establishing shot", "medium shot", "close-up", "detail shot", "tracking shot", "final wide shot")
_DEFAULT_CAMERAS: tuple[CameraMove, ...] = ("zoom_in", "pan_right", "static", "tilt_up", "pan_left", "zoom_out")
NARRATOR_PROMPT = "You are a documentary narrator. Reply with one simple sentence of at most ten words."
_ANGLES = ("Set the scene.", "Describe one detail.", "Describe what happens next.", "Describe how it feels.", "End on a feeling.")
_OPENING_LINE = "Meet {s}."
#: A clause, an activity or a topic ("how bread is made", "cooking pasta", "the history of bread") is introduced, not met.
_OPENING_TOPIC = "This is {s}."
_MIDDLE_LINES = (
    "Look closer at {s}.",
    "Here is {s}, up close.",
    "Stay with {s}.",
    "Take in {s}.",
    "There is more to {s} than meets the eye.",
    "Another look at {s}.",
)
_CLOSING_LINE = "One last look at {s}."
_CLOSING_CLAUSE = "And that is {s}."
_CLAUSE = re.compile(r"(?:how|why|what|where|when|who|[^\W\d_]+ing)\b", re.I)
_DETERMINED = re.compile(
    r"(?:the|this|that|these|those|my|our|your|his|her|their|its|some|every|each|no|\d+|one|two|three|four|five|six|seven|eight|nine|ten)\b",
    re.I,
)
#: Where a subject's head noun phrase ends: "the fox | running through snow", "the history | of bread".
_HEAD_ENDS = re.compile(
    r"\s+(?:[^\W\d_]+ing|of|in|on|at|by|with|through|over|under|near|from|into|across|during|while|that|which|who|and)\b|\s*[,;:]", re.I
)

#: Words about the video rather than what it shows: never part of a shot prompt or a narration line.
_INSTRUCTION_WORDS = re.compile(
    r"\b(?:json|seconds?|secs?|minutes?|mins?|shots?|scenes?|schema|prompt|narrat\w*|voice[- ]?over|subject|"
    r"tik\s*tok|tiktok|reels?|shorts|instagram|youtube|vertical|landscape|aspect|9:16|16:9|1:1|sentence|anecdote|"
    r"camera|framing|action|line|video|clip|topic|description|documentary|audience|viewers?)\b|[{}<>\\/_=+|#@:]",
    re.I,
)
_META = re.compile(r"\b(?:response|version|question|answer|reworked|certainly|sure|happy to|here's|here is|awesome|glad)\b", re.I)
_PERSONAL = re.compile(r"\b(?:I|I'm|I've|I'll|I'd|me|my|mine|we|we're|our|us|you|your|you're)\b", re.I)
_NUMBERS = re.compile(r"\d+(?:[.,]\d+)?%?|\b(?:percent|per cent|hundred|thousand|million|billion|dozen)\b", re.I)


@dataclass(frozen=True)
class Planned:
    """A new plan and who wrote it."""

    plan: ShotPlan
    planner: PlannerInfo


def decide_structure(requirements: Requirements, has_image: bool, max_total_s: float) -> list[float]:
    """Shot durations from what the person stated, validated against what we can render."""
    count = requirements.shot_count
    per_shot = requirements.shot_duration_s
    total = requirements.total_duration_s
    if total is None:
        default = DEFAULT_TOTAL_WITH_IMAGE_S if has_image else DEFAULT_TOTAL_S
        total = per_shot * (count or max(1, round(default / per_shot))) if per_shot else default
    check_total(total, max_total_s)
    if count is not None and count < 1:
        raise BadRequest("A video needs at least one shot.")
    if count is None:
        count = max(1, round(total / per_shot)) if per_shot else max(1, min(MAX_SHOTS, round(total / TARGET_SHOT_S)))
        count = max(count, math.ceil(total / MAX_SHOT_S))
    elif total / count > MAX_SHOT_S:
        raise BadRequest(
            f"{count} shot{'s' if count != 1 else ''} cannot fill {format_duration(total)}: a shot is at most "
            f"{MAX_SHOT_S:g} s. Ask for more shots or a shorter video."
        )
    if count > MAX_SHOTS:
        raise BadRequest(f"At most {MAX_SHOTS} shots per video (you asked for {count}).")
    if total / count < MIN_SHOT_S:
        raise BadRequest(f"{count} shots do not fit in {total:g} s: each shot needs at least {MIN_SHOT_S:g} s.")
    return split_duration(total, count)


def talking_structure(requirements: Requirements, said: str) -> Requirements:
    """For words to be said as written: as many talking shots as the words need (at least the count the person
    asked for) and, unless they said how long, as long as it takes to say them. That is an estimate: the
    render times each talking shot by its real speech (``ShotPlan.with_talking_lengths``)."""
    lines = [line for line in lines_for(said, requirements.shot_count or 1) if line]
    count = max(requirements.shot_count or 1, len(lines))
    spoken = sum(NARRATION_LEAD_S + speaking_time_s(line) + TALKING_TAIL_S for line in lines)
    silent = count - len(lines)
    needed = max(MIN_TOTAL_S, count * MIN_SHOT_S, round(spoken + silent * MIN_SHOT_S, 1))
    total = requirements.total_duration_s
    if total is None:
        total = max(needed, round(spoken + silent * TARGET_SHOT_S, 1))
    # A stated length shorter than the words is not kept: they are said whole (the limit on length still holds).
    return requirements.model_copy(update={"shot_count": count, "total_duration_s": max(total, needed), "shot_duration_s": None})


def check_total(total_s: float, max_total_s: float) -> None:
    if not math.isfinite(total_s) or total_s > max_total_s:
        raise BadRequest(f"That is too long: {format_duration(total_s)} requested, the limit is {format_duration(max_total_s)}.")
    if total_s < MIN_TOTAL_S:
        raise BadRequest(f"A video must be at least {MIN_TOTAL_S:g} seconds long (you asked for {format_duration(total_s)}).")


def format_duration(seconds: float) -> str:
    if not math.isfinite(seconds) or seconds >= 10**7:
        return "an impossibly long time"
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    if seconds >= 60:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def plan_video(
    request: str,
    requirements: Requirements,
    llm: ChatModel | None,
    *,
    image_sha: str | None = None,
    max_total_s: float = 120.0,
    rng: random.Random | None = None,
    progress: PlanProgress | None = None,
) -> Planned:
    rng = rng or random.Random()
    talking = bool(requirements.talking) and image_sha is not None
    verbatim = requirements.spoken_line if talking else None
    if verbatim == "":
        raise BadRequest('What should the face say? Put the words after "say:" or in quotes: make her say: "Welcome back!"')
    stated_total = requirements.total_duration_s
    if verbatim:
        requirements = talking_structure(requirements, verbatim)
    durations = decide_structure(requirements, image_sha is not None, max_total_s)
    narration = True if requirements.narration is None or talking else requirements.narration
    theme = requirements.subject or ("" if requirements.shots else request.strip())
    subjects = list(requirements.shots) if requirements.shots else [theme] * len(durations)
    framings = [framing_of(index, len(durations)) for index in range(len(durations))]

    lines: list[str] = [""] * len(durations)
    planner = PlannerInfo(engine="template")
    if verbatim:
        lines = lines_for(verbatim, len(durations))
        planner = PlannerInfo(engine="rules")
    elif llm is not None and narration:
        lines, planner = write_lines(llm, request, theme, subjects, durations, progress, language=requirements.language or "en")
    elif llm is not None:
        planner = PlannerInfo(engine=llm.engine, model=llm.model, tokens=0, note="Nothing for the model to write: no narration.")

    language = requirements.language or "en"
    shots = []
    used_lines: set[str] = set()
    for index, duration in enumerate(durations):
        line = ""
        if verbatim:
            line = lines[index]  # said as written, whatever its length: a talking shot lasts as long as its speech
        elif narration:
            line = lines[index] if normalised_line(lines[index]) not in used_lines else ""
            if talking:
                line = as_sentence(line or talking_line(theme, index, len(durations)))
            else:
                listed = requirements.shots is not None
                line = line or default_narration(
                    subjects[index], duration, index, len(durations), listed=listed, used=used_lines, language=language
                )
                line = as_sentence(fit_narration(line, duration))
            used_lines.add(normalised_line(line))
        speaks = talking and bool(line.strip())
        shots.append(
            Shot(
                id=index + 1,
                prompt=(talking_prompt("" if verbatim else theme) if speaks else shot_prompt(framings[index], subjects[index], theme))[
                    :MAX_PROMPT_CHARS
                ],
                duration_s=duration,
                camera="static" if speaks else _DEFAULT_CAMERAS[index % len(_DEFAULT_CAMERAS)],  # a speaking face holds still
                narration=line,
                source_image=image_sha,
                seed=rng.randrange(2**31),
                negative_prompt="blurry, low quality, distorted, watermark, text",
                talking=speaks,
            )
        )
    aspect = requirements.aspect or "16:9"
    width, height = RESOLUTIONS[aspect]
    plan = ShotPlan(
        title=title_for(title_in(request) or theme or subjects[0]),
        style=clean_style(requirements.style or ""),
        aspect=aspect,
        width=width,
        height=height,
        narration=narration,
        voice=Voice(speed=requirements.voice_speed or 1.0, pitch_semitones=requirements.voice_pitch_semitones or 0.0),
        shots=tuple(shot.model_copy(update={"ambience": requirements.ambience or ""}) for shot in shots),
        video_model=requirements.video_model,
    )
    if stated_total is not None and requirements.total_duration_s is not None and requirements.total_duration_s > stated_total + 0.05:
        said = f"The words take about {requirements.total_duration_s:g} s to say, so the video is that long, not {stated_total:g} s."
        planner = with_note(planner, said)
    if requirements.talking and image_sha is None:
        planner = with_note(
            planner, "To make a face speak, start from a photo of it (/animate, or --image): this video is narrated instead."
        )
    if narration and (planner.engine == "template" or planner.fallback) and not verbatim:
        if typed := template_language_note(language, subjects, talking=talking):
            planner = with_note(planner, typed)
    if framed := frame_note(request, aspect):
        planner = with_note(planner, framed)
    for voiced in voice_notes(request):  # a real person's voice is not imitated; an accent no voice has
        planner = with_note(planner, voiced)
    if stated_total is None and (lasting := subjects_length(request)):  # "a 24 hour timelapse": the subject's length
        planner = with_note(
            planner,
            f"The video is {format_duration(sum(durations))} long: {format_duration(lasting.seconds)} is how long what it shows lasts "
            '(say how long the video should be, e.g. "20 seconds", for another length).',
        )
    # Music, language and the voice follow the same rules as in every edit.
    return Planned(enforce(plan, requirements), planner)


def with_note(planner: PlannerInfo, said: str) -> PlannerInfo:
    """``planner`` with one more sentence for people in its note."""
    return planner.model_copy(update={"note": f"{planner.note} {said}" if planner.note else said})


def write_lines(
    llm: ChatModel,
    request: str,
    theme: str,
    subjects: list[str],
    durations: list[float],
    progress: PlanProgress | None,
    *,
    language: str = "en",
) -> tuple[list[str], PlannerInfo]:
    """One narration line per shot from the model, and who wrote them.

    Whatever goes wrong with the model (it crashed, hangs, is unreachable), the person still gets a
    plan: empty lines here make the planner use its own words, and the returned info says so in one
    line, with the command that fixes it where there is one.
    """
    lines: list[str] = []
    tokens = 0
    try:
        for index, (subject, duration) in enumerate(zip(subjects, durations, strict=True)):
            if progress is not None:
                progress(f"writing shot {index + 1}/{len(durations)}")
            reply = llm.write(
                narrator_prompt(language),
                narration_request(theme, subject, index, len(durations)),
                max_tokens=line_tokens(duration),
                seed=index + 1,
            )
            tokens += reply.tokens
            line = fit_model_line(first_sentence(reply.text), duration)
            lines.append(usable_line(line, request, set(map(normalised_line, lines))))
    except LLMUnavailable as error:
        log.info("planning without the model: %s", error)
        return [""] * len(durations), PlannerInfo(
            engine="template", fallback=True, fix=getattr(error, "fix", None), note=f"{error} This plan was written from templates instead."
        )
    return lines, PlannerInfo(engine=llm.engine, model=llm.model, tokens=tokens)


def narrator_prompt(language: str) -> str:
    """The narrator's instructions, in the plan's language when it is not English."""
    if language == "en":
        return NARRATOR_PROMPT
    return f"{NARRATOR_PROMPT} Write the sentence in {language_name(language)}."


def narration_request(theme: str, subject: str, index: int, count: int) -> str:
    """What the narrator is asked for one shot: the topic and where the shot stands in the video."""
    topic = subject if not theme or theme == subject else f"{theme}: {subject}"
    if index == 0:
        angle = _ANGLES[0]
    elif index == count - 1:
        angle = _ANGLES[-1]
    else:
        angle = _ANGLES[1 + (index - 1) % (len(_ANGLES) - 2)]
    return f"Topic: {topic}. {angle}"


def line_tokens(duration_s: float) -> int:
    """Enough tokens for the words a shot has time for (~1.4 tokens a word), and no more."""
    return 6 + int(duration_s * WORDS_PER_SECOND * 1.4)


def first_sentence(text: str) -> str:
    """The model's first sentence, without quotes, labels or a cut-off tail."""
    text = re.sub(r"^\s*(?:narrator|answer|sentence|line)\s*:\s*", "", text.strip(), flags=re.I).strip(" \"'“”")
    if match := re.match(r"(.+?[.!?])(?:\s|$)", text):
        return match.group(1).strip(" \"'“”")
    return text


def shot_prompt(framing: str, subject: str, theme: str) -> str:
    """What the camera sees: the framing, the shot's subject (always) and the video's theme."""
    prompt = f"{framing} of {subject}" if subject else framing
    if theme and theme != subject and not keywords(theme) <= keywords(prompt):
        prompt += f", {theme}"
    return prompt


def talking_prompt(theme: str) -> str:
    """What a talking shot shows: the face in the photo speaking (what it talks about helps a model's gestures)."""
    return (
        f"close-up of the person in the photo speaking to the camera, about {theme}"
        if theme
        else "close-up of the person in the photo speaking to the camera"
    )


def talking_line(topic: str, index: int, count: int) -> str:
    """A face's own words when no model writes them: first person, stating nothing the person did not say."""
    if count == 1:
        return f"Hi! Let me tell you about {topic}." if topic else "Hi there!"
    if index == 0:
        return f"Hi! Today: {topic}." if topic else "Hi there!"
    if index == count - 1:
        return "Thanks for watching!"
    return f"Here is more about {topic}." if topic else "Here is more."


def fit_model_line(line: str, duration_s: float) -> str:
    """A model line that can be spoken within the shot: whole, or cut after a complete clause; else ""."""
    limit = max(3, int(duration_s * WORDS_PER_SECOND))
    words = line.split()
    if len(words) <= limit and line.endswith((".", "!", "?")):
        return line
    if words and words[0].lower().strip(",") in _SUBORDINATING:
        return ""  # "As the fox emerged from the snow." is not a sentence
    for end in range(min(limit, len(words)), 2, -1):
        if words[end - 1].endswith((",", ";", ":")) and words[end - 2].lower() not in _DANGLING:
            return " ".join(words[:end]).rstrip(",;:") + "."
    return ""


_SUBORDINATING = {
    "as",
    "when",
    "while",
    "if",
    "because",
    "although",
    "since",
    "after",
    "before",
    "though",
    "until",
    "unless",
    "whereas",
    "once",
    "imagine",
}


def usable_line(line: str, request: str, used: set[str]) -> str:
    """The model's narration line, or "" if it is not a sentence worth speaking over this video."""
    line = re.sub(r"\s+", " ", line).strip(" \"'")
    if not reads_as_prose(line, minimum_words=3) or normalised_line(line) in used:
        return ""
    if _INSTRUCTION_WORDS.search(line) or _PERSONAL.search(line) or _META.search(line) or invents_facts(line, request):
        return ""
    return line


def invents_facts(text: str, request: str) -> bool:
    """Whether ``text`` states a number, share or name the person never gave ("15% of the time", "Lena")."""
    given = {match.lower() for match in _NUMBERS.findall(request)}
    if any(match.lower() not in given for match in _NUMBERS.findall(text)):
        return True
    words = set(re.findall(r"[^\W\d_]+", request.lower()))

    def said(word: str) -> bool:
        word = word.lower()
        return any(word.startswith(known) or known.startswith(word) for known in words if len(known) >= 3)

    names = re.findall(r"(?<=[^.!?\s] )([A-Z][a-z]+)", text)
    opening = re.match(r"\s*([A-Z][a-z]+)", text)
    if opening and opening.group(1).lower() not in _SENTENCE_OPENERS:
        names.append(opening.group(1))
    return any(not said(name) for name in names)


_SENTENCE_OPENERS = set(
    """
the a an this that these those it its there here in on at by with without from after before during under over
above below across through into every each all some many most few as when while once if then now today tonight
soon slowly quietly gently suddenly finally first next later still yet even only just not no nothing everything
one two our their his her they he she we what how why where who light morning evening night dawn dusk sunlight
""".split()
)


def reads_as_prose(text: str, minimum_words: int) -> bool:
    """Words, not shouting, not symbols."""
    letters = [c for c in text if c.isalpha()]
    if len(text.split()) < minimum_words or len(letters) < 6:
        return False
    return sum(c.isupper() for c in letters) <= len(letters) / 2


def fit_narration(line: str, duration_s: float) -> str:
    """Shorten a narration line at a word boundary so it can be spoken within the shot."""
    words = line.split()
    limit = max(3, int(duration_s * WORDS_PER_SECOND))
    if spoken_words(line) <= limit:
        return line.strip()
    words = words[:limit]
    while len(words) > 2 and words[-1].lower().strip(",;:") in _DANGLING:
        words.pop()
    return " ".join(words).rstrip(",;:") + "."


_DANGLING = {"a", "an", "the", "of", "in", "on", "at", "to", "and", "or", "with", "for", "from", "by", "is", "its", "their", "his", "her"}


def default_narration(
    subject: str, duration_s: float, index: int, count: int, *, listed: bool, used: set[str], language: str = "en"
) -> str:
    """A plain line in the plan's language that states nothing the person did not say, short enough to speak
    within the shot, that no other shot says (``used`` holds the lines said so far, as :func:`normalised_line` writes them).
    A language code writes no lines in gets English ones (the plan's note says so)."""
    limit = max(3, int(duration_s * WORDS_PER_SECOND))
    if language in FRAMES or (language == "en" and typed_in_another_language(subject, language)):
        candidates = [listed_line(subject, language)] if listed else []
        candidates += candidate_lines(subject, index, count, language)
    else:
        candidates = [as_sentence(subject)] if listed else template_lines(subject, index, count)
        candidates += [as_sentence(_head(subject)), *ENGLISH_PLAIN_LINES]
    return next((line for line in candidates if spoken_words(line) <= limit and normalised_line(line) not in used), candidates[-1])


def template_candidates(subject: str, index: int, count: int, language: str) -> list[str]:
    """Every line code could write for shot ``index`` of ``count`` about ``subject`` in ``language``, as a listed shot
    or not: how an edit tells the lines code wrote from the person's or the model's."""
    if language in FRAMES or (language == "en" and typed_in_another_language(subject, language)):
        return [listed_line(subject, language), *candidate_lines(subject, index, count, language)]
    return [as_sentence(subject), *template_lines(subject, index, count), as_sentence(_head(subject)), *ENGLISH_PLAIN_LINES]


def spoken_words(line: str) -> int:
    """How many words a line says: not its punctuation ("Voici « un chat »." says three)."""
    return len(re.findall(r"[^\W_]+(?:['’-][^\W_]+)*", line))


def template_language_note(language: str, subjects: list[str], *, talking: bool) -> str | None:
    """What to tell a person whose lines code wrote in a language other than English: which words it said as typed,
    or that it writes no lines in this language (nor a face's own words) and they are in English."""
    name = language_name(language)
    if language == "en" and talking:
        return None
    if language not in LANGUAGES or talking:
        return f"The narration lines are in English: the template planner writes no {name}; edit the lines."
    foreign = list(dict.fromkeys(subject for subject in subjects if said_as_typed(subject, language) != subject))
    if not foreign:
        return None
    typed = ", ".join(f'"{subject}"' for subject in foreign[:3])
    return f"The narration lines are in {name}, with {typed} said as you typed {'it' if len(foreign) == 1 else 'them'}: I do not translate."


def template_lines(subject: str, index: int, count: int) -> list[str]:
    """The lines a shot could say about the subject, best first: named in full, then by its head ("the fox")."""
    clause = bool(_CLAUSE.match(subject))
    if clause:
        mentions = [subject]
    else:
        first = subject if _DETERMINED.match(subject) or re.match(r"an?\b", subject, re.I) or subject[:1].isupper() else f"the {subject}"
        mention = first if index == 0 else re.sub(r"^an?\b", "the", first, flags=re.I)  # "Meet a cat." … "the cat"
        mentions = list(dict.fromkeys([mention, _head(mention)]))
    if index == 0:
        frames = [_OPENING_TOPIC if clause or " of " in subject else _OPENING_LINE]
    elif index == count - 1:
        frames = [_CLOSING_CLAUSE if clause else _CLOSING_LINE]
    else:
        turn = (index - 1) % len(_MIDDLE_LINES)
        frames = list(_MIDDLE_LINES[turn:] + _MIDDLE_LINES[:turn])
    return [frame.format(s=mention) for mention in mentions for frame in frames]


def _head(phrase: str) -> str:
    """A noun phrase without what follows its head: "the fox running through snow" -> "the fox"."""
    return _HEAD_ENDS.split(phrase, maxsplit=1)[0] or phrase


def picture_of(prompt: str) -> str:
    """What a shot's prompt shows, without the framing before it ("medium shot of a fox", "a close-up of the fox")."""
    return _FRAMING.sub("", prompt, count=1) or prompt


_FRAMING = re.compile(
    rf"^(?:(?:{'|'.join(map(re.escape, _SHOT_FRAMINGS))})"
    r"|(?:an?\s+|the\s+)?(?:[\w-]+\s+){0,2}?(?:shot|close-?up|close\s+up|view|angle|take))\s+of\s+",
    re.I,
)


def framing_of(index: int, count: int) -> str:
    if count > 1 and index == count - 1:
        return _SHOT_FRAMINGS[-1]
    return _SHOT_FRAMINGS[index % (len(_SHOT_FRAMINGS) - 1)]


def as_sentence(line: str) -> str:
    """Capitalised and ending in punctuation, as a narrator would say it (and a caption would show it)."""
    line = line.strip()
    if not line:
        return line
    line = line[0].upper() + line[1:]
    return line if line[-1] in ".!?。！？" else line.rstrip(",;:") + "."


def normalised_line(text: str) -> str:
    """A line as compared with others: its words, lower case, without punctuation."""
    return re.sub(r"\W+", " ", text).strip().lower()


def clean_style(style: str) -> str:
    style = re.sub(r"\s+", " ", style).strip(" \"'.")
    if not re.fullmatch(r"[^\W\d_][\w ,'-]{2,60}", style):
        return "cinematic"
    return style.lower()


def title_for(subject: str) -> str:
    """A title from the subject: capitalised, at most 60 characters, cut at a word."""
    title = re.sub(r"\s+", " ", subject).strip(" \"'.,;:()[]{}-")
    if not re.search(r"\w", title):
        return "Untitled"  # a title is never punctuation
    if len(title) > 60:
        title = title[:60].rsplit(" ", 1)[0].rstrip(",;:")
    return title[:1].upper() + title[1:]
