"""Conversational edits become operations applied by code, with a readable diff."""

import random

import pytest

from agent.edits import diff_plans, edit_plan
from agent.planner import plan_video
from agent.requirements import extract_requirements
from reelwright.errors import BadRequest

REQUEST = "a 12 second video of a fox in the snow"


@pytest.fixture
def plan_and_facts():
    facts = extract_requirements(REQUEST)
    return plan_video(REQUEST, facts, None, rng=random.Random(5)), facts


def edit(plan_and_facts, instruction):
    plan, facts = plan_and_facts
    new, _ = edit_plan(plan, instruction, facts, None, rng=random.Random(9))
    return plan, new


def test_make_shot_2_darker_grades_only_shot_2(plan_and_facts) -> None:
    old, new = edit(plan_and_facts, "make shot 2 darker")
    assert new.shots[1].grade.brightness < 0
    assert [s for i, s in enumerate(new.shots) if i != 1] == [s for i, s in enumerate(old.shots) if i != 1]
    assert diff_plans(old, new) == ["shot 2 grade: brightness -0.3"]


def test_a_longer_shot_keeps_the_stated_total(plan_and_facts) -> None:
    old, new = edit(plan_and_facts, "make the second shot longer")
    assert new.shots[1].duration_s > old.shots[1].duration_s
    assert new.total_duration_s == 12.0


def test_global_changes_aspect_narration_and_voice(plan_and_facts) -> None:
    _, vertical = edit(plan_and_facts, "make it 9:16")
    assert (vertical.width, vertical.height) == (720, 1280)
    _, silent = edit(plan_and_facts, "no narration")
    assert silent.narration is False
    _, slow = edit(plan_and_facts, "use a slower voice")
    assert slow.voice.speed < 1


def test_change_shot_3_to_a_new_prompt(plan_and_facts) -> None:
    old, new = edit(plan_and_facts, "change shot 3 to a close-up of the fox")
    assert new.shots[2].prompt == "a close-up of the fox"
    assert new.shots[2].seed == old.shots[2].seed


def test_adding_and_removing_shots_renumbers_and_keeps_the_total(plan_and_facts) -> None:
    _, added = edit(plan_and_facts, "add a shot of the fox sleeping")
    assert [s.id for s in added.shots] == [1, 2, 3, 4] and added.shots[-1].prompt == "the fox sleeping"
    assert added.total_duration_s == 12.0
    _, removed = edit(plan_and_facts, "remove shot 1")
    assert [s.id for s in removed.shots] == [1, 2] and removed.total_duration_s == 12.0


def test_an_instruction_about_a_missing_shot_is_refused(plan_and_facts) -> None:
    with pytest.raises(BadRequest, match="no shot 7"):
        edit(plan_and_facts, "make shot 7 darker")


def test_an_instruction_that_says_nothing_is_refused_with_examples(plan_and_facts) -> None:
    with pytest.raises(BadRequest, match="make shot 2 darker"):
        edit(plan_and_facts, "hmm")
