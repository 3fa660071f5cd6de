"""Planning: code decides the structure the person asked for; the model only writes the text."""

import random

import pytest

from agent.llm import build_llm, parse_json_object, InvalidModelOutput
from agent.planner import plan_video
from agent.requirements import extract_requirements
from reelwright.errors import BadRequest
from reelwright.settings import Settings


def plan_for(text: str, llm=None):
    return plan_video(text, extract_requirements(text), llm, rng=random.Random(3))


def test_stated_duration_shot_count_aspect_and_narration_are_enforced() -> None:
    plan = plan_for("a 20 second video of a lighthouse at night in 5 shots, 9:16, no narration")
    assert plan.total_duration_s == 20.0
    assert len(plan.shots) == 5
    assert (plan.aspect, plan.width, plan.height) == ("9:16", 720, 1280)
    assert plan.narration is False and all(shot.narration == "" for shot in plan.shots)


def test_every_shot_prompt_keeps_the_subject() -> None:
    plan = plan_for("an 8 second video of a red balloon over Paris")
    assert all("balloon" in shot.prompt.lower() for shot in plan.shots)


@pytest.mark.parametrize("text", ["a 0 second video of a cat", "10 hours of a cat", "a 3 second video of a dog in 8 shots"])
def test_impossible_durations_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(BadRequest) as refused:
        plan_for(text)
    assert "second" in str(refused.value) or " s" in str(refused.value) or "h" in str(refused.value)


def test_narration_lines_fit_their_shots() -> None:
    plan = plan_for("a 6 second video of the history of the printing press and its inventor Johannes Gutenberg in Mainz")
    for shot in plan.shots:
        assert len(shot.narration.split()) <= shot.duration_s * 2.2 + 1


def test_the_embedded_model_writes_a_valid_plan_with_the_structure_code_chose() -> None:
    llm = build_llm(Settings(llm_provider="llamacpp", llm_threads=2))
    plan = plan_for("a 12 second video of a fox running through snow at dawn, 3 shots", llm)
    assert llm is not None and llm.name.startswith("llamacpp:")
    assert plan.total_duration_s == 12.0 and len(plan.shots) == 3
    assert all("fox" in shot.prompt.lower() for shot in plan.shots)
    assert all(shot.narration for shot in plan.shots)


def test_model_replies_with_text_around_the_json_are_still_parsed() -> None:
    assert parse_json_object('Sure! ```json\n{"title": "x"}\n```') == {"title": "x"}
    with pytest.raises(InvalidModelOutput):
        parse_json_object("I cannot help with that")
