"""Edit operations: the typed changes an instruction can make to a plan, applied by plain code.

Both the rules and the model produce these; applying them is deterministic, so the new version and
its diff are exact and nothing but the targeted fields of the targeted shots changes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from reelwright.errors import BadRequest
from reelwright.plan import (
    CAMERA_MOVES,
    MAX_NARRATION_CHARS,
    MAX_PROMPT_CHARS,
    MAX_SHOT_S,
    MAX_SOUND_PROMPT_CHARS,
    MIN_SHOT_S,
    CameraMove,
    Grade,
    Shot,
    ShotPlan,
)


class SetShot(BaseModel):
    op: Literal["set_shot"] = "set_shot"
    shot: int
    prompt: str | None = None
    camera: CameraMove | None = None
    narration: str | None = None
    duration_s: float | None = None
    talking: bool | None = Field(default=None, description="Whether the face in the shot's photo speaks its narration, lip-synced.")


class ScaleDuration(BaseModel):
    op: Literal["scale_duration"] = "scale_duration"
    shot: int
    factor: float = Field(gt=0, le=10)


class GradeShot(BaseModel):
    op: Literal["grade_shot"] = "grade_shot"
    shot: int | None = None  # None: every shot
    brightness: float = 0.0
    contrast: float = 0.0
    saturation: float = 0.0
    warmth: float = 0.0


class AddShot(BaseModel):
    op: Literal["add_shot"] = "add_shot"
    after: int
    prompt: str
    narration: str = ""
    duration_s: float | None = None


class RemoveShot(BaseModel):
    op: Literal["remove_shot"] = "remove_shot"
    shot: int


class MoveShot(BaseModel):
    op: Literal["move_shot"] = "move_shot"
    shot: int
    to: int


class SetStyle(BaseModel):
    op: Literal["set_style"] = "set_style"
    style: str | None = None
    title: str | None = None


class SetSound(BaseModel):
    """Sound changes that need no shot re-rendered: the music's level, and shots' ambience and its level.

    Music on/off and what it is are stated facts (``Requirements``), kept for the whole conversation.
    """

    op: Literal["set_sound"] = "set_sound"
    music_volume_db: float = Field(default=0.0, ge=-30, le=30, description="Change of the music's level in dB.")
    ambience: str | None = Field(default=None, max_length=MAX_SOUND_PROMPT_CHARS, description='New ambience; "" removes it.')
    shot: int | None = None  # the shot whose ambience changes; None: every shot
    ambience_volume_db: float = Field(default=0.0, ge=-30, le=30, description="Change of the ambience level in dB.")


class Reroll(BaseModel):
    op: Literal["reroll"] = "reroll"
    shot: int | None = None  # None: every shot


Operation = Annotated[
    SetShot | ScaleDuration | GradeShot | AddShot | RemoveShot | MoveShot | SetStyle | SetSound | Reroll, Field(discriminator="op")
]


@dataclass(frozen=True)
class Applied:
    """A plan after operations, the shot whose length the person set (kept when fitting a total), and what
    could not be done as asked (a length beyond what a shot can last), to tell them."""

    plan: ShotPlan
    resized: int | None
    notes: tuple[str, ...] = ()


def apply_operations(plan: ShotPlan, ops: list[Operation], rng: random.Random) -> Applied:
    """The plan after ``ops``."""
    shots = list(plan.shots)
    plan_updates: dict[str, Any] = {}
    resized: int | None = None
    notes: list[str] = []

    def length(shot_id: int, seconds: float) -> float:
        clamped = _clamp_duration(seconds)
        if abs(clamped - seconds) >= 0.05:
            notes.append(
                f"A shot lasts {MIN_SHOT_S:g} to {MAX_SHOT_S:g} seconds, so shot {shot_id} is {clamped:g} s long, not {max(seconds, 0):g} s."
            )
        return clamped

    def index_of(shot_id: int) -> int:
        if not 1 <= shot_id <= len(shots):
            raise BadRequest(f"There is no shot {shot_id}: this video has {len(shots)} shot{'s' if len(shots) != 1 else ''}.")
        return shot_id - 1

    def fresh_seed() -> int:
        """A seed no shot of this plan uses, so a new shot or take is never mistaken for an old one."""
        taken = {shot.seed for shot in plan.shots} | {shot.seed for shot in shots}
        while (seed := rng.randrange(2**31)) in taken:
            pass
        return seed

    for op in ops:
        if isinstance(op, SetShot):
            i = index_of(op.shot)
            changes = {k: v for k, v in op.model_dump(exclude={"op", "shot"}).items() if v is not None}
            if "duration_s" in changes:
                changes["duration_s"] = length(shots[i].id, changes["duration_s"])
                resized = shots[i].id
            for field, limit in (("prompt", MAX_PROMPT_CHARS), ("narration", MAX_NARRATION_CHARS)):
                if field in changes:  # a person's words, kept within what a shot holds
                    changes[field] = changes[field][:limit]
            if changes.get("talking") and not shots[i].source_image:
                raise BadRequest(
                    f"Only a shot with a photo can speak, and shot {shots[i].id} has none: start from a photo of the face (/animate, or --image)."
                )
            shot = shots[i].model_copy(update=changes)
            if shot.talking and not shot.narration.strip():
                if "talking" in changes:
                    raise BadRequest(f'What should the face in shot {shot.id} say? E.g. "make shot {shot.id} say: welcome to the channel".')
                shot = shot.model_copy(update={"talking": False})  # its line was removed: nothing left to say
            shots[i] = shot
        elif isinstance(op, ScaleDuration):
            i = index_of(op.shot)
            shots[i] = shots[i].model_copy(update={"duration_s": length(shots[i].id, shots[i].duration_s * op.factor)})
            resized = shots[i].id
        elif isinstance(op, GradeShot):
            targets = range(len(shots)) if op.shot is None else [index_of(op.shot)]
            for i in targets:
                grade = shots[i].grade
                shots[i] = shots[i].model_copy(
                    update={
                        "grade": Grade(
                            brightness=_clip(grade.brightness + op.brightness, low=-0.8, high=0.8),
                            contrast=_clip(grade.contrast + op.contrast, low=-0.8, high=0.8),
                            saturation=_clip(grade.saturation + op.saturation, low=-1.0, high=1.0),
                            warmth=_clip(grade.warmth + op.warmth, low=-0.8, high=0.8),
                        )
                    }
                )
        elif isinstance(op, AddShot):
            if not 0 <= op.after <= len(shots):
                index_of(op.after)
            template = shots[min(op.after, len(shots)) - 1] if shots else None
            duration = length(op.after + 1, op.duration_s or (template.duration_s if template else 3.0))
            new = Shot(
                id=len(shots) + 1,
                prompt=op.prompt[:MAX_PROMPT_CHARS],
                duration_s=duration,
                camera=CAMERA_MOVES[(len(shots) + 1) % len(CAMERA_MOVES)],
                narration=op.narration[:MAX_NARRATION_CHARS],
                source_image=template.source_image if template else None,
                seed=fresh_seed(),
            )
            shots.insert(op.after, new)
        elif isinstance(op, RemoveShot):
            i = index_of(op.shot)
            if len(shots) == 1:
                raise BadRequest("A video needs at least one shot; this is the only one left.")
            shots.pop(i)
        elif isinstance(op, MoveShot):
            i = index_of(op.shot)
            shot = shots.pop(i)
            shots.insert(max(0, min(len(shots), op.to - 1)), shot)
        elif isinstance(op, SetStyle):
            plan_updates |= {k: v for k, v in (("style", op.style), ("title", op.title)) if v}
        elif isinstance(op, SetSound):
            if op.music_volume_db:
                if plan.music is None:
                    raise BadRequest('This video has no music to change. Say e.g. "add calm piano music".')
                music = plan_updates.get("music", plan.music)
                plan_updates["music"] = music.model_copy(
                    update={"volume_db": _clip(music.volume_db + op.music_volume_db, low=-30, high=12)}
                )
            if op.ambience is not None:
                for i in range(len(shots)) if op.shot is None else [index_of(op.shot)]:
                    shots[i] = shots[i].model_copy(update={"ambience": op.ambience})
            if op.ambience_volume_db:
                if not any(shot.ambience for shot in shots):
                    raise BadRequest('This video has no ambient sound to change. Say e.g. "add rain sounds to shot 2".')
                level = plan_updates.get("ambience_db", plan.ambience_db)
                plan_updates["ambience_db"] = _clip(level + op.ambience_volume_db, low=-30, high=12)
        elif isinstance(op, Reroll):
            targets = range(len(shots)) if op.shot is None else [index_of(op.shot)]
            for i in targets:
                shots[i] = shots[i].model_copy(update={"seed": fresh_seed()})
    return Applied(plan.model_copy(update=plan_updates).renumbered(shots), resized, tuple(dict.fromkeys(notes)))


def _clamp_duration(value: float) -> float:
    return round(min(MAX_SHOT_S, max(MIN_SHOT_S, value)), 1)


def _clip(value: float, *, low: float, high: float) -> float:
    return max(low, min(high, value))


def diff_plans(old: ShotPlan, new: ShotPlan) -> list[str]:
    """Readable lines describing what changed between two versions."""
    lines: list[str] = []
    for field, label in (("title", "title"), ("style", "style"), ("aspect", "aspect"), ("narration", "narration")):
        before, after = getattr(old, field), getattr(new, field)
        if before != after:
            if field == "narration":
                before, after = ("on" if before else "off"), ("on" if after else "off")
            lines.append(f"{label}: {before} -> {after}")
    if old.voice != new.voice:
        lines.append(f"voice: {_voice(old)} -> {_voice(new)}")
    if old.language != new.language:
        lines.append(f"language: {old.language} -> {new.language}")
    if old.music != new.music:
        lines.append(f"music: {_music(old)} -> {_music(new)}")
    if old.ambience_db != new.ambience_db:
        lines.append(f"ambience level: {old.ambience_db:+g} dB -> {new.ambience_db:+g} dB")
    if len(old.shots) != len(new.shots):
        lines.append(f"shots: {len(old.shots)} -> {len(new.shots)}")
    old_by_seed = {shot.seed: shot for shot in old.shots}
    retaken = {
        shot.id
        for shot in new.shots
        if shot.seed not in old_by_seed and shot.id <= len(old.shots) and old.shot(shot.id).prompt == shot.prompt
    }
    surviving = [shot.seed for shot in old.shots if shot.seed in {s.seed for s in new.shots}]
    reordered = surviving != [shot.seed for shot in new.shots if shot.seed in old_by_seed]
    for shot in new.shots:
        before = old_by_seed.get(shot.seed)
        if shot.id in retaken:
            lines.append(f"shot {shot.id}: new take")
            continue
        if before is None:
            lines.append(f"shot {shot.id}: new ({shot.duration_s:g}s) {_shortened(shot.prompt)}")
            continue
        if reordered and before.id != shot.id:
            lines.append(f"shot {before.id} moved to position {shot.id}")
        for field in ("prompt", "camera", "narration", "duration_s", "ambience"):
            a, b = getattr(before, field), getattr(shot, field)
            if a != b:
                a, b = (f"{a:g}s", f"{b:g}s") if field == "duration_s" else _changed_words(str(a), str(b))
                lines.append(f"shot {shot.id} {field.removesuffix('_s')}: {a} -> {b}")
        if before.grade != shot.grade:
            lines.append(f"shot {shot.id} grade: {_grade(shot.grade)}")
        if before.talking != shot.talking:
            lines.append(f"shot {shot.id}: {'the face says its line' if shot.talking else 'narrated, the face no longer speaks'}")
    new_seeds = {shot.seed for shot in new.shots}
    for shot in old.shots:
        if shot.seed not in new_seeds and shot.id not in retaken:
            lines.append(f"shot {shot.id} removed: {_shortened(shot.prompt)}")
    return lines


def _changed_words(before: str, after: str) -> tuple[str, str]:
    """Two versions of a text cut to the words that differ, "…" standing for the words both share at either end,
    so the change in a long description shows whole ("… at dusk -> … at night")."""
    old, new = before.split(), after.split()
    head = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
    room = min(len(old), len(new)) - head
    tail = next((i for i, (a, b) in enumerate(zip(reversed(old), reversed(new), strict=False)) if a != b or i >= room), room)
    head, tail = max(0, head - 2), max(0, tail - 2)  # two shared words either side, to show where it changed
    if head + tail < 3:  # little is shared: both in full
        head = tail = 0

    def cut(words: list[str]) -> str:
        middle = " ".join(words[head : len(words) - tail])
        return _shortened(("… " if head else "") + middle + (" …" if tail else "")) if words else "none"

    return cut(old), cut(new)


def _shortened(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _voice(plan: ShotPlan) -> str:
    pitch = f", pitch {plan.voice.pitch_semitones:+g}" if plan.voice.pitch_semitones else ""
    name = plan.voice.name or f"a {plan.voice.gender or 'default'} voice"
    return f"{name} at {plan.voice.speed:g}x{pitch}"


def _music(plan: ShotPlan) -> str:
    if plan.music is None:
        return "none"
    level = f" at {plan.music.volume_db:+g} dB" if plan.music.volume_db else ""
    return f"{plan.music.prompt or 'following the style'}{level}"


def _grade(grade: Grade) -> str:
    parts = [f"{name} {value:+.1f}" for name, value in grade.model_dump().items() if value]
    return ", ".join(parts) or "neutral"
