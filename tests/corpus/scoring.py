"""Judge plans and edits the way a person would: stated facts exact, subject kept, edits local.

The corpus (``requests.jsonl``, ``edits.jsonl`` beside this file) is written as people type; each line
says only what its writer clearly stated. Used by the tests (every line, template planner; a fixed
sample with the embedded model) and by ``bench/bench_planning.py`` (score and latency).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelwright.errors import BadRequest
from reelwright.plan import ShotPlan

CORPUS = Path(__file__).parent
SHOT_FIELDS = ("prompt", "camera", "narration", "duration_s", "grade", "seed")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?%?")

#: Makes a plan from a request, or raises BadRequest.
PlanRequest = Callable[[str], ShotPlan]
#: Makes the next version from (request, plan of that request, instruction), or raises BadRequest.
EditPlan = Callable[[str, ShotPlan, str], ShotPlan]


def load(name: str) -> list[dict[str, Any]]:
    with open(CORPUS / name, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


@dataclass
class Verdict:
    text: str
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def judge_request(item: dict[str, Any], plan_request: PlanRequest) -> Verdict:
    verdict = Verdict(item["text"])
    expect = item["expect"]
    try:
        plan = plan_request(item["text"])
    except BadRequest as refused:
        if not expect.get("refuse"):
            verdict.failures.append(f"refused: {refused}")
        return verdict
    if expect.get("refuse"):
        verdict.failures.append(f"planned {len(plan.shots)} shots / {plan.total_duration_s:g}s instead of refusing")
        return verdict
    check_plan_facts(plan, expect, verdict)
    prompts = [shot.prompt.lower() for shot in plan.shots]
    for word in expect.get("subject", []):
        missing = [shot.id for shot, prompt in zip(plan.shots, prompts, strict=True) if word.lower() not in prompt]
        if missing:
            verdict.failures.append(f"subject {word!r} missing from shot(s) {missing}")
    listed = expect.get("shots")
    if listed:
        if len(listed) != len(plan.shots):
            verdict.failures.append(f"{len(plan.shots)} shots for a list of {len(listed)}")
        for index, words in enumerate(listed[: len(plan.shots)]):
            for word in words:
                if word.lower() not in prompts[index]:
                    verdict.failures.append(f"shot {index + 1} lacks {word!r}: {plan.shots[index].prompt!r}")
    for leaked in expect.get("forbidden", []):
        if any(leaked.lower() in prompt for prompt in prompts):
            verdict.failures.append(f"instruction text {leaked!r} leaked into a prompt")
    given = set(_NUMBER.findall(item["text"]))
    for shot in plan.shots:
        invented = set(_NUMBER.findall(shot.narration)) - given
        if invented:
            verdict.failures.append(f"shot {shot.id} narration invents {sorted(invented)}: {shot.narration!r}")
        if plan.narration and not shot.narration.strip():
            verdict.failures.append(f"shot {shot.id} has no narration line")
    return verdict


def check_plan_facts(plan: ShotPlan, expect: dict[str, Any], verdict: Verdict) -> None:
    if "total_duration_s" in expect and abs(plan.total_duration_s - expect["total_duration_s"]) > 0.05:
        verdict.failures.append(f"total {plan.total_duration_s:g}s, stated {expect['total_duration_s']:g}s")
    if "aspect" in expect and plan.aspect != expect["aspect"]:
        verdict.failures.append(f"aspect {plan.aspect}, stated {expect['aspect']}")
    if "narration" in expect and plan.narration != expect["narration"]:
        verdict.failures.append(f"narration {plan.narration}, stated {expect['narration']}")
    if "music" in expect and (plan.music is not None) != expect["music"]:
        verdict.failures.append(f"music {plan.music}, stated {expect['music']}")
    if "shot_count" in expect and len(plan.shots) != expect["shot_count"]:
        verdict.failures.append(f"{len(plan.shots)} shots, stated {expect['shot_count']}")
    if "language" in expect and plan.language != expect["language"]:
        verdict.failures.append(f"narrated in {plan.language}, the request is in {expect['language']}")


#: Words that name nothing a shot shows.
_FILLER = frozenset("a an the of in on at to and with for from by is it its into over under shot wide medium close-up detail final".split())


def _named(text: str) -> set[str]:
    """The words of a prompt or line that name what a shot shows."""
    return {word for word in re.findall(r"[a-z][a-z'-]+", text.lower()) if word not in _FILLER and len(word) > 2}


def judge_edit(item: dict[str, Any], plan_request: PlanRequest, edit_plan: EditPlan) -> Verdict:
    verdict = Verdict(f"{item['request']} || {item['edit']}")
    expect = item["expect"]
    old = plan_request(item["request"])
    try:
        new = edit_plan(item["request"], old, item["edit"])
    except BadRequest as refused:
        if not expect.get("refuse"):
            verdict.failures.append(f"refused: {refused}")
        return verdict
    if expect.get("refuse"):
        verdict.failures.append("edited instead of refusing")
        return verdict
    check_plan_facts(new, expect.get("plan", {}), verdict)
    for key, wanted in expect.get("voice", {}).items():
        if key == "gender":
            if new.voice.gender != wanted:
                verdict.failures.append(f"voice gender is {new.voice.gender}, wanted {wanted}")
            continue
        value = new.voice.speed if key == "speed" else new.voice.pitch_semitones
        ok = {"<1": value < 1, ">1": value > 1, ">0": value > 0, "<0": value < 0, "<=0": value <= 0}[wanted]
        if not ok:
            verdict.failures.append(f"voice {key} is {value:g}, wanted {wanted}")
    order = expect.get("order") or list(range(1, len(old.shots) + 1))
    if len(new.shots) != len(order):
        verdict.failures.append(f"{len(new.shots)} shots after the edit, expected {len(order)}")
        return verdict
    refit = bool(expect.get("refit"))
    narration_toggled = "narration" in expect.get("plan", {})
    changed = expect.get("changed", {})
    for position, (shot, source) in enumerate(zip(new.shots, order, strict=True), start=1):
        if source == 0:
            if shot.seed in {s.seed for s in old.shots}:
                verdict.failures.append(f"new shot {position} reuses an old seed")
            continue
        before = old.shot(source)
        allowed = set(changed.get(str(position), changed.get("*", [])))
        actual = {name for name in SHOT_FIELDS if getattr(before, name) != getattr(shot, name)}
        # A new picture gets a line about it: the old line would talk about what the shot no longer shows.
        new_picture = "prompt" in allowed and "narration" not in allowed
        tolerated = allowed | ({"duration_s"} if refit else set()) | ({"narration"} if narration_toggled or new_picture else set())
        if actual - tolerated:
            verdict.failures.append(f"shot {position} changed {sorted(actual - tolerated)} unasked")
        if allowed - actual:
            verdict.failures.append(f"shot {position} did not change {sorted(allowed - actual)}")
        if new_picture and "prompt" in actual and (stale := _named(shot.narration) & (_named(before.prompt) - _named(shot.prompt))):
            verdict.failures.append(f"shot {position} still says {sorted(stale)}, which it no longer shows: {shot.narration!r}")
    for position, words in expect.get("contains", {}).items():
        index = int(position) - 1
        if index >= len(new.shots):
            verdict.failures.append(f"no shot {position} to contain {words}")
            continue
        shot = new.shots[index]
        text = f"{shot.prompt} {shot.narration}".lower()
        for word in words:
            if word.lower() not in text:
                verdict.failures.append(f"shot {position} lacks {word!r}: {shot.prompt!r} / {shot.narration!r}")
    return verdict


def score(verdicts: list[Verdict]) -> float:
    return sum(v.passed for v in verdicts) / len(verdicts) if verdicts else 0.0
