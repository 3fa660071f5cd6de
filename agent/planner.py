"""Request -> ShotPlan. Code fixes the structure; the model writes the creative text.

Measured on the embedded 135M model: letting it choose shot counts and durations gets them right 1-2
times in 10, while fixing them in code and asking only for titles, prompts, camera moves and narration
lines is valid 10/10. So the schema the model sees has exactly the shots we decided on.
"""

from __future__ import annotations

import random
import re
from typing import Any

from agent.llm import InvalidModelOutput, JsonLLM
from agent.plan import CAMERA_MOVES, MAX_SHOT_S, MIN_SHOT_S, RESOLUTIONS, Shot, ShotPlan, Voice, split_duration
from agent.requirements import Requirements, keywords
from reelwright.errors import BadRequest

DEFAULT_TOTAL_S = 8.0
DEFAULT_TOTAL_WITH_IMAGE_S = 5.0
MIN_TOTAL_S = 2.0
TARGET_SHOT_S = 4.0
MAX_SHOTS = 12
#: Narration words per second of shot: Piper speaks ~2.7 words/s; leave room so lines are never cut.
WORDS_PER_SECOND = 2.2

_SHOT_FRAMINGS = ("wide establishing shot", "medium shot", "close-up", "detail shot", "tracking shot", "final wide shot")
_DEFAULT_CAMERAS = ("zoom_in", "pan_right", "static", "tilt_up", "pan_left", "zoom_out")

SYSTEM_PROMPT = (
    "You are a film director writing a shot list for a short video. "
    "Every shot prompt describes what the camera sees and must mention the subject. "
    "Narration lines are short spoken sentences. Answer with JSON only."
)


def decide_structure(requirements: Requirements, has_image: bool, max_total_s: float) -> list[float]:
    """Shot durations from what the person stated, validated against what we can render."""
    total = requirements.total_duration_s
    if total is None:
        total = DEFAULT_TOTAL_WITH_IMAGE_S if has_image else DEFAULT_TOTAL_S
    check_total(total, max_total_s)
    count = requirements.shot_count or max(1, min(MAX_SHOTS, round(total / TARGET_SHOT_S)))
    count = max(count, -(-int(total) // int(MAX_SHOT_S)))
    if count > MAX_SHOTS:
        raise BadRequest(f"At most {MAX_SHOTS} shots per video (you asked for {count}).")
    if total / count < MIN_SHOT_S:
        raise BadRequest(f"{count} shots do not fit in {total:g} s: each shot needs at least {MIN_SHOT_S:g} s.")
    return split_duration(total, count)


def check_total(total_s: float, max_total_s: float) -> None:
    if total_s < MIN_TOTAL_S:
        raise BadRequest(f"A video must be at least {MIN_TOTAL_S:g} seconds long (you asked for {format_duration(total_s)}).")
    if total_s > max_total_s:
        raise BadRequest(
            f"That is too long: {format_duration(total_s)} requested, the limit is {format_duration(max_total_s)}."
        )


def format_duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    if seconds >= 60:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def plan_schema(durations: list[float], narration: bool) -> dict[str, Any]:
    """The JSON schema the model must fill: one object per decided shot, text fields only."""
    shots = []
    for duration in durations:
        properties: dict[str, Any] = {
            "prompt": {"type": "string", "minLength": 10, "maxLength": 200},
            "camera": {"enum": list(CAMERA_MOVES)},
        }
        if narration:
            properties["narration"] = {"type": "string", "minLength": 5, "maxLength": max_narration_chars(duration)}
        shots.append({"type": "object", "properties": properties, "required": list(properties)})
    return {
        "type": "object",
        "properties": {
            "title": {"type": "string", "minLength": 3, "maxLength": 60},
            "style": {"type": "string", "minLength": 3, "maxLength": 40},
            "shots": {"type": "array", "prefixItems": shots, "items": False, "minItems": len(shots), "maxItems": len(shots)},
        },
        "required": ["title", "style", "shots"],
    }


def max_narration_chars(duration_s: float) -> int:
    return max(20, int(duration_s * WORDS_PER_SECOND * 6))


def fit_narration(line: str, duration_s: float) -> str:
    """Shorten a narration line at a word boundary so it can be spoken within the shot."""
    words = line.split()
    limit = max(3, int(duration_s * WORDS_PER_SECOND))
    if len(words) <= limit:
        return line.strip()
    words = words[:limit]
    while len(words) > 2 and words[-1].lower().strip(",;:") in _DANGLING:
        words.pop()
    return " ".join(words).rstrip(",;:") + "."


_DANGLING = {"a", "an", "the", "of", "in", "on", "at", "to", "and", "or", "with", "for", "from", "by", "is", "its", "their", "his", "her"}


def plan_video(
    request: str,
    requirements: Requirements,
    llm: JsonLLM | None,
    *,
    image_sha: str | None = None,
    max_total_s: float = 120.0,
    rng: random.Random | None = None,
) -> ShotPlan:
    rng = rng or random.Random()
    durations = decide_structure(requirements, image_sha is not None, max_total_s)
    narration = True if requirements.narration is None else requirements.narration
    subject = requirements.subject or request.strip()
    written = write_with_llm(llm, request, subject, durations, narration) if llm else None
    written = written or write_from_template(subject, durations, narration)

    aspect = requirements.aspect or "16:9"
    width, height = RESOLUTIONS[aspect]
    shots = []
    used_prompts: set[str] = set()
    used_lines: set[str] = set()
    for index, duration in enumerate(durations):
        text = written["shots"][index]
        prompt = keep_subject(str(text.get("prompt") or ""), subject, framing_of(index, len(durations)), used_prompts)
        used_prompts.add(prompt.lower())
        camera = text.get("camera") if text.get("camera") in CAMERA_MOVES else _DEFAULT_CAMERAS[index % len(_DEFAULT_CAMERAS)]
        line = ""
        if narration:
            line = str(text.get("narration") or "")
            if not is_speakable(line) or _normal(line) in used_lines:
                line = default_narration(subject, index, len(durations))
            line = as_sentence(fit_narration(line, duration))
            used_lines.add(_normal(line))
        shots.append(
            Shot(
                id=index + 1, prompt=prompt[:600], duration_s=duration, camera=camera, narration=line,
                source_image=image_sha, seed=rng.randrange(2**31),
                negative_prompt="blurry, low quality, distorted, watermark, text",
            )
        )
    voice = Voice(
        speed=requirements.voice_speed or 1.0,
        pitch_semitones=requirements.voice_pitch_semitones or 0.0,
    )
    return ShotPlan(
        title=clean_title(str(written.get("title") or ""), subject),
        style=clean_style(str(written.get("style") or "")),
        aspect=aspect, width=width, height=height, narration=narration,
        music=bool(requirements.music), voice=voice, shots=tuple(shots),
    )


def write_with_llm(llm: JsonLLM, request: str, subject: str, durations: list[float], narration: bool) -> dict[str, Any] | None:
    """The model's text for each shot, or ``None`` if it could not produce valid JSON."""
    lines = [f"Video about: {subject}", f"Write {len(durations)} shots."]
    for index in range(len(durations)):
        lines.append(f"Shot {index + 1} is a {framing_of(index, len(durations))} of {subject}.")
    if narration:
        lines.append("Each narration is one short sentence the narrator says about the subject.")
    try:
        written = llm.complete_json(SYSTEM_PROMPT, "\n".join(lines), plan_schema(durations, narration))
    except InvalidModelOutput:
        return None
    shots = written.get("shots")
    if not isinstance(shots, list) or not all(isinstance(shot, dict) for shot in shots):
        return None
    shots = (shots + [{} for _ in durations])[: len(durations)]
    return {**written, "shots": shots}


def write_from_template(subject: str, durations: list[float], narration: bool) -> dict[str, Any]:
    """Code-only text: the fallback when no model is configured or it failed."""
    shots = []
    for index in range(len(durations)):
        framing = framing_of(index, len(durations))
        shots.append(
            {
                "prompt": f"{framing} of {subject}, cinematic lighting",
                "camera": _DEFAULT_CAMERAS[index % len(_DEFAULT_CAMERAS)],
                "narration": default_narration(subject, index, len(durations)) if narration else "",
            }
        )
    return {"title": subject, "style": "cinematic", "shots": shots}


def default_narration(subject: str, index: int, count: int) -> str:
    if index == 0:
        return f"Meet {subject}." if len(subject.split()) <= 4 else f"{subject[:1].upper()}{subject[1:]}."
    if index == count - 1:
        return "And that is the story."
    return f"Look closer at {subject}."


def framing_of(index: int, count: int) -> str:
    if count > 1 and index == count - 1:
        return _SHOT_FRAMINGS[-1]
    return _SHOT_FRAMINGS[index % (len(_SHOT_FRAMINGS) - 1)]


def keep_subject(prompt: str, subject: str, framing: str, used: set[str]) -> str:
    """A prompt that names the subject and differs from the other shots' prompts.

    Small models drift off topic and repeat themselves; the subject and the shot's framing are put
    back by code when the model's prompt lacks them.
    """
    prompt = re.sub(r"^\s*(?:shot\s*)?\d+\s*[.:)-]\s*", "", re.sub(r"\s+", " ", prompt)).strip(" ,.")
    if len(prompt.split()) < 3 or not is_speakable(prompt):
        prompt = ""
    wanted = keywords(subject)
    if not prompt:
        prompt = f"{framing} of {subject}"
    elif wanted and not wanted & keywords(prompt):
        prompt = f"{subject}, {prompt}"
    if prompt.lower() in used or not keywords(framing) & keywords(prompt):
        prompt = f"{framing}, {prompt}"
    return prompt


def as_sentence(line: str) -> str:
    """Capitalised and ending in punctuation, as a narrator would say it (and a caption would show it)."""
    line = line.strip()
    if not line:
        return line
    line = line[0].upper() + line[1:]
    return line if line[-1] in ".!?" else line.rstrip(",;:") + "."


def _normal(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


_NOT_PROSE = re.compile(r"\b(?:json|seconds?|shots?|schema|prompt|narrat\w*|subject|anecdote|sentence)\b|[{}<>\\/_=+]|\d{3,}", re.I)


def is_speakable(line: str) -> bool:
    """Whether a model-written line reads as prose (not shouting, not echoed instructions)."""
    letters = [c for c in line if c.isalpha()]
    if len(line.split()) < 3 or len(letters) < 10:
        return False
    if sum(c.isupper() for c in letters) > len(letters) / 2:
        return False
    return not _NOT_PROSE.search(line)


def clean_style(style: str) -> str:
    style = re.sub(r"\s+", " ", style).strip(" \"'.")
    if not re.fullmatch(r"[A-Za-z][A-Za-z ,'-]{2,60}", style):
        return "cinematic"
    return style.lower()


def clean_title(title: str, subject: str) -> str:
    title = re.sub(r"\s+", " ", title).strip(" \"'.")
    if len(title) < 3 or not is_speakable(title + " film title"):
        title = subject
    return title[:1].upper() + title[1:120]
