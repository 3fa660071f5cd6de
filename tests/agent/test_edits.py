"""Conversational edits become operations applied by code, with a readable diff."""

import json
import random

import pytest

from reelwright.agent.edit_ops import AddShot, RemoveShot, SetShot, diff_plans
from reelwright.agent.edits import edit_plan, operations_schema, within_instruction
from reelwright.agent.planner import plan_video
from reelwright.agent.requirements import extract_requirements
from reelwright.errors import BadRequest

REQUEST = "a 12 second video of a fox in the snow"


@pytest.fixture
def plan_and_facts():
    facts = extract_requirements(REQUEST)
    return plan_video(REQUEST, facts, None, rng=random.Random(5)).plan, facts


def edit(plan_and_facts, instruction):
    plan, facts = plan_and_facts
    new, _, _ = edit_plan(plan, instruction, facts, None, rng=random.Random(9))
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


@pytest.mark.parametrize(
    ("instruction", "shot", "words"),
    [
        ("make shot 2 a close-up of the fox's paws", 2, "paws"),
        ("turn the last scene into a sunset", 3, "sunset"),
        ("replace shot 1 with an owl on a branch", 1, "owl"),
        ("set the 2nd clip to a frozen lake", 2, "frozen lake"),
        ("in shot 1 the fox should be sleeping under a tree", 1, "sleeping"),
        ("make shot 3 at night", 3, "night"),
    ],
)
def test_an_edit_that_names_a_shot_changes_that_shot_only_whatever_the_verb(plan_and_facts, instruction, shot, words) -> None:
    old, new = edit(plan_and_facts, instruction)
    assert words in new.shots[shot - 1].prompt
    assert len(new.shots) == len(old.shots)
    assert [s for s in new.shots if s.id != shot] == [s for s in old.shots if s.id != shot]
    assert new.shots[shot - 1].seed == old.shots[shot - 1].seed


def test_swap_move_and_add_rearrange_what_they_name(plan_and_facts) -> None:
    old, swapped = edit(plan_and_facts, "swap shots 1 and 2")
    assert [s.seed for s in swapped.shots] == [old.shots[1].seed, old.shots[0].seed, old.shots[2].seed]
    _, moved = edit(plan_and_facts, "move the last shot to the start")
    assert [s.seed for s in moved.shots] == [old.shots[2].seed, old.shots[0].seed, old.shots[1].seed]
    _, added = edit(plan_and_facts, "add a final shot of the sunset")
    assert len(added.shots) == 4 and "sunset" in added.shots[3].prompt
    assert [s.prompt for s in added.shots[:3]] == [s.prompt for s in old.shots]


@pytest.mark.parametrize("instruction", ["make shot 3 slow motion", "mkae shot 3 slow motion pls", "shot 3 in slo-mo"])
def test_slow_motion_changes_that_shot_even_with_typos(plan_and_facts, instruction) -> None:
    old, new = edit(plan_and_facts, instruction)
    assert "slow motion" in new.shots[2].prompt and new.shots[:2] == old.shots[:2]


def test_the_model_sees_every_operation_and_only_the_real_shot_ids(plan_and_facts) -> None:
    plan, _ = plan_and_facts
    schema = json.dumps(operations_schema(plan))
    for op in ("set_shot", "scale_duration", "grade_shot", "add_shot", "remove_shot", "move_shot", "set_style", "reroll"):
        assert f'"{op}"' in schema
    assert '"enum": [1, 2, 3]' in schema


def test_a_model_proposal_outside_what_the_instruction_names_is_dropped(plan_and_facts) -> None:
    plan, _ = plan_and_facts
    instruction = "make shot 2 feel lonelier"
    assert within_instruction(SetShot(shot=2, camera="static"), instruction, plan)
    assert not within_instruction(SetShot(shot=3, camera="static"), instruction, plan)
    assert not within_instruction(AddShot(after=3, prompt="a lonely fox"), instruction, plan)
    assert not within_instruction(RemoveShot(shot=2), instruction, plan)


@pytest.mark.parametrize(
    ("instruction", "shot", "word"),
    [
        ("make shot 2 a red kite over the sea", 2, "kite"),
        ("change shot 1 to a lighthouse in a storm", 1, "lighthouse"),
        ("shot 3 should be a bowl of ramen", 3, "ramen"),
        ("replace the second shot with an owl on a branch", 2, "owl"),
    ],
)
def test_a_new_picture_gets_a_line_about_it_instead_of_one_about_the_old(plan_and_facts, instruction, shot, word) -> None:
    old, new = edit(plan_and_facts, instruction)
    line = new.shots[shot - 1].narration
    assert "fox" in old.shots[shot - 1].narration and "fox" not in line.lower() and word in line.lower()
    assert line != old.shots[shot - 1].narration and line not in {s.narration for s in new.shots if s.id != shot}
    assert [s for s in new.shots if s.id != shot] == [s for s in old.shots if s.id != shot]


@pytest.mark.parametrize("instruction", ["make shot 2 snowing", "shot 2 but at night", "make shot 2 slow motion", "put a bird in shot 2"])
def test_a_picture_that_keeps_what_it_showed_keeps_its_line(plan_and_facts, instruction) -> None:
    old, new = edit(plan_and_facts, instruction)
    assert new.shots[1].prompt != old.shots[1].prompt and new.shots[1].narration == old.shots[1].narration


@pytest.mark.parametrize("said", ["the fox waits for spring", "welcome back to the channel"])
def test_words_the_person_gave_a_shot_stay_when_its_picture_changes(plan_and_facts, said) -> None:
    plan, facts = plan_and_facts
    spoken, _, _ = edit_plan(plan, f"shot 2 says: {said}", facts, None, rng=random.Random(9))
    changed, _, _ = edit_plan(spoken, "make shot 2 a red kite over the sea", facts, None, rng=random.Random(9))
    assert "kite" in changed.shots[1].prompt and changed.shots[1].narration == said


def test_a_new_picture_in_a_french_plan_gets_a_french_line() -> None:
    request = "un renard dans la neige, 12 secondes, 3 plans"
    facts = extract_requirements(request)
    plan = plan_video(request, facts, None, rng=random.Random(5)).plan
    new, _, _ = edit_plan(plan, "make shot 2 un cerf-volant rouge au-dessus de la mer", facts, None, rng=random.Random(9))
    assert new.language == "fr" and "cerf-volant" in new.shots[1].narration and "renard" not in new.shots[1].narration


@pytest.mark.parametrize("instruction", ["make it a silent film", "silent movie style please", "like an old silent film"])
def test_making_it_a_silent_film_drops_the_narrator_and_changes_the_look(plan_and_facts, instruction) -> None:
    old, new = edit(plan_and_facts, instruction)
    assert (new.narration, new.style) == (False, "black and white silent film") and new.music is not None
    assert [shot.prompt for shot in new.shots] == [shot.prompt for shot in old.shots]


@pytest.mark.parametrize(
    ("instruction", "language"), [("narrate it in Spanish", "es"), ("auf Deutsch erzählt", "de"), ("in French please", "fr")]
)
def test_a_new_language_rewrites_the_lines_code_wrote_and_keeps_the_persons(plan_and_facts, instruction, language) -> None:
    plan, facts = plan_and_facts
    spoken, facts, _ = edit_plan(plan, "shot 2 says: el zorro espera la primavera", facts, None, rng=random.Random(9))
    new, _, info = edit_plan(spoken, instruction, facts, None, rng=random.Random(9))
    assert new.language == language
    assert new.shots[1].narration == "el zorro espera la primavera"  # the person's words, not translated
    for shot, before in ((new.shots[0], plan.shots[0]), (new.shots[2], plan.shots[2])):
        assert shot.narration != before.narration and "a fox in the snow" in shot.narration
    assert "as they were" in info.note and '"a fox in the snow" said as you typed it' in info.note


def test_a_plan_typed_in_french_narrated_in_english_says_its_subject_as_typed() -> None:
    request = "un renard dans la neige, 12 secondes, 3 plans"
    facts = extract_requirements(request)
    plan = plan_video(request, facts, None, rng=random.Random(5)).plan
    new, _, info = edit_plan(plan, "narrate it in English", facts, None, rng=random.Random(9))
    assert new.language == "en" and new.shots[0].narration == "Meet “un renard dans la neige”."
    assert not any("the un" in shot.narration for shot in new.shots) and "as you typed" in info.note
