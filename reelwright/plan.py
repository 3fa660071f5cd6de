"""The shot plan and the facts behind it: the data every layer passes around.

A plan is data. Planning creates version 1; every edit creates the next version from the previous one.
``Requirements`` are the facts a person stated, kept for the whole conversation; ``PlannerInfo`` says
who wrote a version. They live in the kernel so storage and generation need nothing from the agent.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Aspect = Literal["16:9", "9:16", "1:1"]
CameraMove = Literal["static", "pan_left", "pan_right", "tilt_up", "tilt_down", "zoom_in", "zoom_out", "orbit"]
CAMERA_MOVES: tuple[CameraMove, ...] = ("static", "pan_left", "pan_right", "tilt_up", "tilt_down", "zoom_in", "zoom_out", "orbit")

#: Frame size per aspect at the embedded default quality; diffusion backends round to their own rules.
RESOLUTIONS: dict[str, tuple[int, int]] = {"16:9": (1280, 720), "9:16": (720, 1280), "1:1": (720, 720)}

MAX_PROMPT_CHARS = 600
MAX_NARRATION_CHARS = 400
MIN_SHOT_S = 1.0
MAX_SHOT_S = 30.0
MAX_SOUND_PROMPT_CHARS = 160
#: Narration starts this long after its shot begins, so a cut never clips its first syllable.
NARRATION_LEAD_S = 0.15
#: A talking shot holds this long after its last word.
TALKING_TAIL_S = 0.45
#: 2: music became a bed with a prompt and level (was on/off), shots got ambience, plans a language.
PLAN_SCHEMA_VERSION = 2
Gender = Literal["female", "male"]


class Grade(BaseModel):
    """A colour grade applied to a shot's frames ("make shot 2 darker", "warmer")."""

    model_config = ConfigDict(frozen=True)

    brightness: float = Field(default=0.0, ge=-0.8, le=0.8)
    contrast: float = Field(default=0.0, ge=-0.8, le=0.8)
    saturation: float = Field(default=0.0, ge=-1.0, le=1.0)
    warmth: float = Field(default=0.0, ge=-0.8, le=0.8)

    @property
    def is_neutral(self) -> bool:
        return self == Grade()


class Voice(BaseModel):
    """Who narrates and how fast. ``speed`` > 1 speaks faster.

    ``name`` is a voice from the voice catalog (``reelwright voices list``), a person's cloned voice
    (``clone:NAME``, resolved from "my voice" before a version is stored), or "" for "the best installed
    voice for the plan's language and ``gender``", cast by the machine that renders it. ``pitch_semitones`` is applied with a
    formant-keeping shift, for "a higher voice" or when no voice of the wanted gender is installed.
    """

    model_config = ConfigDict(frozen=True)

    name: str = Field(default="", max_length=120)
    speed: float = Field(default=1.0, ge=0.5, le=2.0)
    pitch_semitones: float = Field(default=0.0, ge=-6.0, le=6.0)
    gender: Gender | None = None


class Music(BaseModel):
    """The music bed under the whole cut. An empty prompt lets the music follow the plan's style and mood.

    ``volume_db`` is the person's adjustment to the default level ("make the music quieter": -6 dB); the
    mix ducks the bed under speech whatever the level.
    """

    model_config = ConfigDict(frozen=True)

    prompt: str = Field(default="", max_length=MAX_SOUND_PROMPT_CHARS)
    volume_db: float = Field(default=0.0, ge=-30.0, le=12.0)


class Shot(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int = Field(ge=1, description="1-based position in the cut.")
    prompt: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS)
    negative_prompt: str = Field(default="", max_length=300)
    duration_s: float = Field(ge=MIN_SHOT_S, le=MAX_SHOT_S)
    camera: CameraMove = "static"
    narration: str = Field(default="", max_length=MAX_NARRATION_CHARS)
    source_image: str | None = Field(default=None, description="sha256 of an image artifact to animate.")
    seed: int = Field(ge=0, lt=2**31)
    grade: Grade = Grade()
    #: What this shot sounds like under the narration ("rain on a window"); "" for none.
    ambience: str = Field(default="", max_length=MAX_SOUND_PROMPT_CHARS)
    #: A talking shot: the face in its image (or, without one, in its own clip) speaks its narration, lip-synced.
    #: Its speech is made first and its length comes from it (``ShotPlan.with_talking_lengths``).
    talking: bool = False

    @model_validator(mode="after")
    def _talking_says_something(self) -> Shot:
        if self.talking and not self.narration.strip():
            raise ValueError(f"shot {self.id} is a talking shot with nothing to say")
        return self


class ShotPlan(BaseModel):
    model_config = ConfigDict(frozen=True)

    schema_version: int = PLAN_SCHEMA_VERSION
    title: str = Field(min_length=1, max_length=120)
    style: str = Field(default="cinematic", max_length=120)
    aspect: Aspect = "16:9"
    width: int = Field(default=1280, ge=64, le=3840)
    height: int = Field(default=720, ge=64, le=3840)
    fps: int = Field(default=24, ge=8, le=60)
    narration: bool = True
    #: The language the narration is written and spoken in (ISO 639-1).
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}$")
    music: Music | None = None
    #: The person's adjustment to every shot's ambience level, like ``Music.volume_db``.
    ambience_db: float = Field(default=0.0, ge=-30.0, le=12.0)
    voice: Voice = Voice()
    shots: tuple[Shot, ...] = Field(min_length=1, max_length=24)
    #: The video model chosen for this plan (a preset id, hub id or model folder); None: the configured default.
    video_model: str | None = Field(default=None, max_length=500)

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: object) -> object:
        """Plans stored before schema 2 said only whether there was music: a bed that follows the style."""
        if isinstance(data, dict) and isinstance(data.get("music"), bool):
            data = {**data, "music": {} if data["music"] else None, "schema_version": PLAN_SCHEMA_VERSION}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> ShotPlan:
        ids = [shot.id for shot in self.shots]
        if ids != list(range(1, len(ids) + 1)):
            raise ValueError(f"shot ids must be 1..{len(ids)} in order, got {ids}")
        expected = RESOLUTIONS[self.aspect]
        if (self.width >= self.height) != (expected[0] >= expected[1]) or (self.aspect == "1:1" and self.width != self.height):
            raise ValueError(f"resolution {self.width}x{self.height} does not match aspect {self.aspect}")
        return self

    @property
    def total_duration_s(self) -> float:
        return round(sum(shot.duration_s for shot in self.shots), 3)

    def shot(self, shot_id: int) -> Shot:
        for shot in self.shots:
            if shot.id == shot_id:
                return shot
        raise KeyError(shot_id)

    def with_aspect(self, aspect: Aspect) -> ShotPlan:
        width, height = RESOLUTIONS[aspect]
        return self.model_copy(update={"aspect": aspect, "width": width, "height": height})

    def with_talking_lengths(self, spoken_s: dict[int, float]) -> ShotPlan:
        """A copy in which each talking shot (by id) lasts as long as its speech (``spoken_s``, seconds) with a
        lead-in and a pause after, and the other shots share what is left of the plan's total in proportion
        to their lengths (each at least MIN_SHOT_S, so the total grows only when the speech needs it)."""
        if not spoken_s:
            return self
        talking = {
            shot_id: min(MAX_SHOT_S, max(MIN_SHOT_S, math.ceil((NARRATION_LEAD_S + seconds + TALKING_TAIL_S) * 10) / 10))
            for shot_id, seconds in spoken_s.items()
        }
        others = [shot for shot in self.shots if shot.id not in talking]
        left = self.total_duration_s - sum(talking.values())
        wanted = sum(shot.duration_s for shot in others)
        lengths = {shot.id: max(MIN_SHOT_S, round(shot.duration_s * left / wanted, 1)) if wanted else MIN_SHOT_S for shot in others}
        lengths.update(talking)
        shots = [shot.model_copy(update={"duration_s": min(MAX_SHOT_S, lengths[shot.id])}) for shot in self.shots]
        return self.model_copy(update={"shots": tuple(shots)})

    def renumbered(self, shots: list[Shot]) -> ShotPlan:
        """A copy with ``shots`` in the given order and ids 1..n."""
        fixed = tuple(shot.model_copy(update={"id": index}) for index, shot in enumerate(shots, start=1))
        return ShotPlan.model_validate({**self.model_dump(), "shots": [s.model_dump() for s in fixed]})


class PlannerInfo(BaseModel):
    """Who wrote a plan version: the engine and model, or the template fallback and why.

    Stored with every version and printed by ``plan``/``show``/``make --json``, so a weak plan can be
    traced to the model (or to the crash that left only the templates).
    """

    model_config = ConfigDict(frozen=True)

    engine: str = Field(description="llamacpp, ollama, openai, template or rules.")
    model: str | None = None
    fallback: bool = Field(default=False, description="The configured model could not write this version.")
    note: str | None = Field(default=None, description="One line for people: what happened.")
    fix: str | None = Field(default=None, description="The exact command that fixes it.")
    tokens: int | None = None
    seconds: float | None = None
    #: How the narration will sound here when it is not what was asked (no voice of that gender or language installed).
    voice_note: str | None = None


class Requirements(BaseModel):
    """Facts the person stated. ``None`` means they did not say, so the planner may choose."""

    model_config = ConfigDict(frozen=True)

    total_duration_s: float | None = None
    shot_duration_s: float | None = None
    aspect: Aspect | None = None
    narration: bool | None = None
    music: bool | None = None
    #: What the music should be ("upbeat", "calm piano"); implies music.
    music_prompt: str | None = None
    #: The sound under every shot ("rain", "city noise"), said when asking for the video; edits change shots' ambience directly.
    ambience: str | None = None
    #: The narration's language (ISO 639-1), "in Spanish", "auf Deutsch".
    language: str | None = None
    voice_gender: Gender | None = None
    #: A voice by name ("use the voice amy"), or "clone:NAME" for a person's cloned voice.
    voice_name: str | None = None
    shot_count: int | None = None
    voice_pitch_semitones: float | None = None
    voice_speed: float | None = None
    style: str | None = None
    subject: str | None = None
    #: What each shot shows, when the person listed the shots themselves.
    shots: tuple[str, ...] | None = None
    #: A video model the person chose (``--model``, ``/video model:``).
    video_model: str | None = None
    #: A face in the person's photo should speak ("make my avatar say …"); said when asking for the video.
    talking: bool | None = None
    #: The exact words it says ("say: …", or in quotes); None: the planner writes them.
    spoken_line: str | None = None

    def merged_with(self, newer: Requirements) -> Requirements:
        """Later statements win; facts not restated are kept for the rest of the conversation.

        What one request shows (``REQUEST_ONLY``) is never carried over: the next video is about
        what the next request says.
        """
        stated = newer.model_dump(exclude_none=True)
        for name in REQUEST_ONLY:
            stated.pop(name, None)
        if "voice_gender" in stated:
            stated.setdefault("voice_name", None)  # "use a female voice" replaces a voice chosen by name
            stated.setdefault("voice_pitch_semitones", None)  # and a pitch asked for before (versions before genders)
        if ("total_duration_s" in stated or "shot_count" in stated) and "shot_duration_s" not in stated:
            stated["shot_duration_s"] = None  # a new total or count overrides an earlier length per shot
        return self.model_copy(update=stated)


#: Facts about what one request shows: a new request replaces them all, saying them or not.
REQUEST_ONLY = ("subject", "shots", "ambience", "talking", "spoken_line")


def with_request(requirements: Requirements, request: Requirements) -> Requirements:
    """``requirements`` (saved defaults, the conversation so far) taken for ``request``: its settings
    win, and what it shows replaces what earlier requests showed."""
    shows = {name: getattr(request, name) for name in REQUEST_ONLY}
    return requirements.merged_with(request).model_copy(update=shows)


#: Called with a short status line while planning ("writing shot 2/5"), possibly from a worker thread.
PlanProgress = Callable[[str], None]


def split_duration(total_s: float, count: int) -> list[float]:
    """Split ``total_s`` into ``count`` durations (0.1 s steps) that add up exactly to the total."""
    tenths = round(total_s * 10)
    base, extra = divmod(tenths, count)
    return [(base + (1 if index < extra else 0)) / 10 for index in range(count)]
