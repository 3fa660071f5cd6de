"""Conversational edits: an instruction becomes structured operations that code applies to a plan.

The model never rewrites the whole plan (a small one would lose half of it). Common instructions are
parsed by rules; anything else is given to the model, constrained to the same operation schema.
Applying operations is plain code, so the result is predictable and the diff is exact.
"""

from __future__ import annotations

import random
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError

from agent.llm import InvalidModelOutput, JsonLLM
from agent.planner import check_total
from agent.plan import CAMERA_MOVES, MAX_SHOT_S, MIN_SHOT_S, CameraMove, Grade, Shot, ShotPlan
from agent.requirements import Requirements, enforce, extract_requirements, parse_number
from reelwright.errors import BadRequest


class SetShot(BaseModel):
    op: Literal["set_shot"] = "set_shot"
    shot: int
    prompt: str | None = None
    camera: CameraMove | None = None
    narration: str | None = None
    duration_s: float | None = None


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


class Reroll(BaseModel):
    op: Literal["reroll"] = "reroll"
    shot: int | None = None  # None: every shot


Operation = Annotated[
    SetShot | ScaleDuration | GradeShot | AddShot | RemoveShot | MoveShot | SetStyle | Reroll, Field(discriminator="op")
]

ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
            "ninth": 9, "tenth": 10, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6}
_CARDINAL = r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten)"
_SHOT_REF = re.compile(
    r"\b(?:shot|scene|clip)\s*#?\s*" + _CARDINAL + r"\b|\b(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d(?:st|nd|rd|th)|last|final|opening|closing)\s+(?:shot|scene|clip)\b",
    re.I,
)
_GRADES: list[tuple[re.Pattern[str], dict[str, float]]] = [
    (re.compile(r"\bdark(?:er)?\b|\bmoodier\b|\bdimmer\b|\bnight\b", re.I), {"brightness": -0.3}),
    (re.compile(r"\bbright(?:er)?\b|\blight(?:er)\b", re.I), {"brightness": 0.3}),
    (re.compile(r"\bwarm(?:er)?\b", re.I), {"warmth": 0.4}),
    (re.compile(r"\bcool(?:er)?\b|\bcold(?:er)?\b|\bbluer\b", re.I), {"warmth": -0.4}),
    (re.compile(r"\bblack and white\b|\bgr[ae]yscale\b|\bmonochrome\b|\bdesaturat", re.I), {"saturation": -1.0}),
    (re.compile(r"\bmore (?:colou?rful|saturated|vivid)\b|\bvivid\b|\bpunchier\b", re.I), {"saturation": 0.4}),
    (re.compile(r"\bmore contrast\b|\bcontrastier\b", re.I), {"contrast": 0.3}),
    (re.compile(r"\bless contrast\b|\bflatter\b|\bsofter\b", re.I), {"contrast": -0.3}),
]
_CAMERA_WORDS: list[tuple[re.Pattern[str], CameraMove]] = [
    (re.compile(r"\bzoom(?:s|ing)?\s*in\b|\bpush(?:es)?\s*in\b|\bdolly in\b", re.I), "zoom_in"),
    (re.compile(r"\bzoom(?:s|ing)?\s*out\b|\bpull(?:s)?\s*(?:back|out)\b", re.I), "zoom_out"),
    (re.compile(r"\bpan(?:s|ning)?\s*(?:to the\s*)?left\b", re.I), "pan_left"),
    (re.compile(r"\bpan(?:s|ning)?\s*(?:to the\s*)?right\b|\bpan\b", re.I), "pan_right"),
    (re.compile(r"\btilt(?:s|ing)?\s*up\b", re.I), "tilt_up"),
    (re.compile(r"\btilt(?:s|ing)?\s*down\b", re.I), "tilt_down"),
    (re.compile(r"\borbit\b|\bparallax\b|\bcircle around\b", re.I), "orbit"),
    (re.compile(r"\bstatic\b|\bstill camera\b|\bno camera move", re.I), "static"),
]
_DURATION_IN = re.compile(r"(\d+(?:\.\d+)?)\s*(?:s|sec|secs|seconds?)\b", re.I)


def shot_numbers(text: str, count: int) -> list[int]:
    numbers = []
    for match in _SHOT_REF.finditer(text):
        token = (match.group(1) or match.group(2)).lower()
        if token in {"last", "final", "closing"}:
            numbers.append(count)
        elif token == "opening":
            numbers.append(1)
        elif token in ORDINALS:
            numbers.append(ORDINALS[token])
        else:
            numbers.append(int(parse_number(token)))
    return numbers


def parse_rules(instruction: str, plan: ShotPlan) -> list[Operation]:
    """Operations for the instructions people give most; empty if none was recognised."""
    text = instruction.strip()
    lower = text.lower()
    shots = shot_numbers(text, len(plan.shots))
    target = shots[0] if shots else None
    ops: list[Operation] = []

    if re.search(r"\b(?:reroll|re-roll|new seeds?|try again|regenerate|another take|different take)\b", lower):
        return [Reroll(shot=target)]
    if target and re.search(r"\b(?:remove|delete|cut|drop)\b", lower):
        return [RemoveShot(shot=target)]
    if len(shots) >= 2 and re.search(r"\bswap\b", lower):
        return [MoveShot(shot=shots[0], to=shots[1]), MoveShot(shot=shots[1] - 1 if shots[1] > shots[0] else shots[1] + 1, to=shots[0])]
    if target and (match := re.search(r"\bmove\b.*?\bto (?:the )?(end|start|beginning|front|position \d+)", lower)):
        where = match.group(1)
        to = len(plan.shots) if where == "end" else 1 if where in {"start", "beginning", "front"} else int(where.split()[1])
        return [MoveShot(shot=target, to=to)]
    if match := re.search(r"\badd (?:a |another |one more )?(?:shot|scene)\s+(?:of|showing|with|where)\s+(.+?)(?:\s+(?:at the end|after shot \d+|at the start))?$", text, re.I):
        after = len(plan.shots)
        if re.search(r"at the start", lower):
            after = 0
        elif found := re.search(r"after shot (\d+)", lower):
            after = int(found.group(1))
        duration = _DURATION_IN.search(match.group(1))
        return [AddShot(after=after, prompt=match.group(1).strip(" ."), duration_s=float(duration.group(1)) if duration else None)]

    if target:
        if match := re.search(r"(?:change|make|turn|replace|set)\s+(?:the\s+)?(?:\w+\s+)?(?:shot|scene|clip)\s*#?\s*\w*\s+(?:to|into|with|be)\s+(?:show\s+|be\s+)?(.+)$", text, re.I):
            candidate = match.group(1).strip(" .")
            if not _is_modifier(candidate):
                return [SetShot(shot=target, prompt=candidate)]
        if match := re.search(r"(?:shot|scene)\s*\w*\s*(?:says|should say|narration(?: should be)?:?)\s*[\"“]?(.+?)[\"”]?$", text, re.I):
            return [SetShot(shot=target, narration=match.group(1).strip())]
        if re.search(r"\blonger\b", lower):
            amount = _DURATION_IN.search(text)
            shot = plan.shot(target) if target <= len(plan.shots) else None
            if amount and shot and re.search(r"\bby\b", lower):
                ops.append(SetShot(shot=target, duration_s=shot.duration_s + float(amount.group(1))))
            else:
                ops.append(ScaleDuration(shot=target, factor=1.5))
        elif re.search(r"\bshorter\b", lower):
            ops.append(ScaleDuration(shot=target, factor=0.66))
        elif amount := _DURATION_IN.search(text):
            ops.append(SetShot(shot=target, duration_s=float(amount.group(1))))
        for pattern, camera in _CAMERA_WORDS:
            if pattern.search(text):
                ops.append(SetShot(shot=target, camera=camera))
                break
        grade = _grade_from(text)
        if grade:
            ops.append(GradeShot(shot=target, **grade))
        return ops

    grade = _grade_from(text)
    if grade and re.search(r"\b(?:it|everything|all|whole|video|every shot|all shots)\b", lower):
        ops.append(GradeShot(shot=None, **grade))
    if match := re.search(r"\b(?:in the style of|make it look like|style:?)\s+(.+)$", text, re.I):
        ops.append(SetStyle(style=match.group(1).strip(" .")))
    if match := re.search(r"\b(?:title|call it|name it)[: ]\s*[\"“]?(.+?)[\"”]?$", text, re.I):
        ops.append(SetStyle(title=match.group(1).strip(" .")))
    return ops


def _is_modifier(text: str) -> bool:
    """'make shot 2 darker' and 'make shot 2 longer' are not new prompts."""
    return bool(_grade_from(text) or re.fullmatch(r"(?:a bit |much |slightly )?(?:longer|shorter|\d+(?:\.\d+)?\s*(?:s|sec|seconds?))", text.lower())
                or any(pattern.fullmatch(text) for pattern, _ in _CAMERA_WORDS)
                or re.fullmatch(r"(?:an?\s+)?(?:zoom|pan|tilt)[\w\s]*", text.lower()))


def _grade_from(text: str) -> dict[str, float]:
    grade: dict[str, float] = {}
    for pattern, values in _GRADES:
        if pattern.search(text):
            for key, value in values.items():
                grade[key] = grade.get(key, 0.0) + value
    return grade


EDIT_SYSTEM = (
    "You edit a video shot list. Turn the user's instruction into operations. "
    "Operations: set_shot (change a shot's prompt), add_shot, remove_shot, reroll. Answer with JSON only."
)


def parse_with_llm(llm: JsonLLM, instruction: str, plan: ShotPlan) -> list[Operation]:
    """Ask the model for operations, constrained to a small schema; invalid answers give no operations."""
    shot_ids = [shot.id for shot in plan.shots]
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {"op": {"enum": ["set_shot", "add_shot", "remove_shot", "reroll"]},
                       "shot": {"enum": shot_ids}, "prompt": {"type": "string", "maxLength": 200}},
        "required": ["op", "shot", "prompt"],
    }
    listing = "\n".join(f"shot {shot.id}: {shot.prompt}" for shot in plan.shots)
    try:
        answer = llm.complete_json(EDIT_SYSTEM, f"Shots:\n{listing}\nInstruction: {instruction}", schema)
    except InvalidModelOutput:
        return []
    op, shot, prompt = answer.get("op"), answer.get("shot"), str(answer.get("prompt", "")).strip()
    try:
        if op == "set_shot" and prompt:
            return [SetShot(shot=shot, prompt=prompt)]
        if op == "add_shot" and prompt:
            return [AddShot(after=len(plan.shots), prompt=prompt)]
        if op == "remove_shot":
            return [RemoveShot(shot=shot)]
        if op == "reroll":
            return [Reroll(shot=shot)]
    except ValidationError:
        return []
    return []


def apply_operations(plan: ShotPlan, ops: list[Operation], rng: random.Random) -> tuple[ShotPlan, int | None]:
    """The plan after ``ops``, plus the shot whose duration the person set (kept when fitting a total)."""
    shots = list(plan.shots)
    plan_updates: dict[str, Any] = {}
    resized: int | None = None

    def index_of(shot_id: int) -> int:
        if not 1 <= shot_id <= len(shots):
            raise BadRequest(f"There is no shot {shot_id}: this video has {len(shots)} shot{'s' if len(shots) != 1 else ''}.")
        return shot_id - 1

    for op in ops:
        if isinstance(op, SetShot):
            i = index_of(op.shot)
            changes = {k: v for k, v in op.model_dump(exclude={"op", "shot"}).items() if v is not None}
            if "duration_s" in changes:
                changes["duration_s"] = _clamp_duration(changes["duration_s"])
                resized = shots[i].id
            shots[i] = shots[i].model_copy(update=changes)
        elif isinstance(op, ScaleDuration):
            i = index_of(op.shot)
            shots[i] = shots[i].model_copy(update={"duration_s": _clamp_duration(shots[i].duration_s * op.factor)})
            resized = shots[i].id
        elif isinstance(op, GradeShot):
            targets = range(len(shots)) if op.shot is None else [index_of(op.shot)]
            for i in targets:
                grade = shots[i].grade
                shots[i] = shots[i].model_copy(update={"grade": Grade(
                    brightness=_clip(grade.brightness + op.brightness, 0.8), contrast=_clip(grade.contrast + op.contrast, 0.8),
                    saturation=_clip(grade.saturation + op.saturation, 1.0), warmth=_clip(grade.warmth + op.warmth, 0.8),
                )})
        elif isinstance(op, AddShot):
            if not 0 <= op.after <= len(shots):
                index_of(op.after)
            template = shots[min(op.after, len(shots)) - 1] if shots else None
            duration = _clamp_duration(op.duration_s or (template.duration_s if template else 3.0))
            new = Shot(id=len(shots) + 1, prompt=op.prompt[:600], duration_s=duration,
                       camera=CAMERA_MOVES[(len(shots) + 1) % len(CAMERA_MOVES)], narration=op.narration,
                       source_image=template.source_image if template else None, seed=rng.randrange(2**31))
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
        elif isinstance(op, Reroll):
            targets = range(len(shots)) if op.shot is None else [index_of(op.shot)]
            for i in targets:
                shots[i] = shots[i].model_copy(update={"seed": rng.randrange(2**31)})
    new_plan = plan.model_copy(update=plan_updates).renumbered(shots)
    return new_plan, resized


def _clamp_duration(value: float) -> float:
    return round(min(MAX_SHOT_S, max(MIN_SHOT_S, value)), 1)


def _clip(value: float, limit: float) -> float:
    return max(-limit, min(limit, value))


def edit_plan(
    plan: ShotPlan,
    instruction: str,
    requirements: Requirements,
    llm: JsonLLM | None,
    *,
    max_total_s: float = 120.0,
    rng: random.Random | None = None,
) -> tuple[ShotPlan, Requirements]:
    """A new plan from ``plan`` and an instruction, with the conversation's stated facts enforced."""
    rng = rng or random.Random()
    stated = extract_requirements(instruction, with_subject=False)
    requirements = requirements.merged_with(stated)
    if stated.total_duration_s is not None:
        check_total(stated.total_duration_s, max_total_s)
    ops = parse_rules(instruction, plan)
    if not ops and stated == Requirements() and llm is not None:
        ops = parse_with_llm(llm, instruction, plan)
    if not ops and stated == Requirements():
        raise BadRequest(
            "I couldn't tell what to change. Try e.g. \"make shot 2 darker\", \"make it 9:16\", "
            "\"change shot 3 to a close-up of the fox\", \"no narration\" or \"make the second shot longer\"."
        )
    new_plan, resized = apply_operations(plan, ops, rng)
    # Without a stated total the video simply gets longer or shorter; with one, other shots absorb it.
    new_plan = enforce(new_plan, requirements, keep_shot=resized)
    return new_plan, requirements


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
    if len(old.shots) != len(new.shots):
        lines.append(f"shots: {len(old.shots)} -> {len(new.shots)}")
    old_by_seed = {shot.seed: shot for shot in old.shots}
    retaken = {shot.id for shot in new.shots if shot.seed not in old_by_seed and shot.id <= len(old.shots)
               and old.shot(shot.id).prompt == shot.prompt}
    surviving = [shot.seed for shot in old.shots if shot.seed in {s.seed for s in new.shots}]
    reordered = surviving != [shot.seed for shot in new.shots if shot.seed in old_by_seed]
    for shot in new.shots:
        before = old_by_seed.get(shot.seed)
        if shot.id in retaken:
            lines.append(f"shot {shot.id}: new take")
            continue
        if before is None:
            lines.append(f"shot {shot.id}: new ({shot.duration_s:g}s) {shot.prompt[:60]}")
            continue
        if reordered and before.id != shot.id:
            lines.append(f"shot {before.id} moved to position {shot.id}")
        for field in ("prompt", "camera", "narration", "duration_s"):
            a, b = getattr(before, field), getattr(shot, field)
            if a != b:
                a, b = (f"{a:g}s", f"{b:g}s") if field == "duration_s" else (str(a)[:60], str(b)[:60])
                lines.append(f"shot {shot.id} {field.removesuffix('_s')}: {a} -> {b}")
        if before.grade != shot.grade:
            lines.append(f"shot {shot.id} grade: {_grade(shot.grade)}")
    new_seeds = {shot.seed for shot in new.shots}
    for shot in old.shots:
        if shot.seed not in new_seeds and shot.id not in retaken:
            lines.append(f"shot {shot.id} removed: {shot.prompt[:60]}")
    return lines


def _voice(plan: ShotPlan) -> str:
    pitch = f", pitch {plan.voice.pitch_semitones:+g}" if plan.voice.pitch_semitones else ""
    return f"{plan.voice.name} at {plan.voice.speed:g}x{pitch}"


def _grade(grade: Grade) -> str:
    parts = [f"{name} {value:+.1f}" for name, value in grade.model_dump().items() if value]
    return ", ".join(parts) or "neutral"
