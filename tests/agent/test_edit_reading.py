"""How an edit instruction is read: real words stay words, shots are found by number, place or content,
and the ways people phrase a change read as that change."""

import random

import pytest

from reelwright.agent.edit_ops import diff_plans
from reelwright.agent.edits import edit_plan
from reelwright.agent.planner import plan_video
from reelwright.agent.requirements import extract_requirements
from reelwright.errors import BadRequest

REQUEST = "a 12 second video with calm piano music in 3 shots: 1) a cat on a sofa 2) a dog in a park 3) a lighthouse at dusk"


@pytest.fixture(scope="module")
def plan_and_facts():
    facts = extract_requirements(REQUEST)
    return plan_video(REQUEST, facts, None, rng=random.Random(5)).plan, facts


def edit(plan_and_facts, instruction):
    plan, facts = plan_and_facts
    new, _, _ = edit_plan(plan, instruction, facts, None, rng=random.Random(9))
    return plan, new


def unchanged_but(old, new, shot_id):
    return [s for s in new.shots if s.id != shot_id] == [s for s in old.shots if s.id != shot_id]


@pytest.mark.parametrize(
    ("instruction", "words"),
    [
        ("replace shot 2 with a swan", "a swan"),
        ("replace shot 2 with a swamp at dawn", "a swamp at dawn"),
        ("change shot 2 to a star over the sea", "a star over the sea"),
        ("shot 2 should be a blank wall", "a blank wall"),
        ("replace shot 2 with a foster home", "a foster home"),
        ("make shot 2 a man in shorts", "a man in shorts"),
        ("replace shot 2 with a scone on a plate", "a scone on a plate"),
        ("change shot 2 to a shoat in the mud", "a shoat in the mud"),
    ],
)
def test_real_words_in_a_new_description_are_never_corrected_into_command_words(plan_and_facts, instruction, words) -> None:
    old, new = edit(plan_and_facts, instruction)
    assert new.shots[1].prompt == words
    assert unchanged_but(old, new, 2)


@pytest.mark.parametrize(
    ("instruction", "words"),
    [("add a shot of a man in shorts", "a man in shorts"), ("add a shot of a scone", "a scone"), ("add a shot of a swan", "a swan")],
)
def test_real_words_in_an_added_shot_stay_as_written(plan_and_facts, instruction, words) -> None:
    _, new = edit(plan_and_facts, instruction)
    assert len(new.shots) == 4 and new.shots[3].prompt == words


@pytest.mark.parametrize("instruction", ["mkae shot 2 darkr", "make shot 2 drker pls", "make the secnd shot darker"])
def test_typos_of_command_words_are_still_corrected(plan_and_facts, instruction) -> None:
    old, new = edit(plan_and_facts, instruction)
    assert diff_plans(old, new) == ["shot 2 grade: brightness -0.3"]


def test_a_real_word_near_an_ordinal_is_not_read_as_a_place(plan_and_facts) -> None:
    with pytest.raises(BadRequest, match='No shot shows "fist"'):
        edit(plan_and_facts, "make the fist shot darker")


@pytest.mark.parametrize(
    ("instruction", "shot"),
    [
        ("make the one with the cat darker", 1),
        ("make the one with the dog brighter", 2),
        ("make the lighthouse one warmer", 3),
        ("make the lighthouse black and white", 3),
        ("zoom in on the dog", 2),
        ("the cat shot should be cooler", 1),
    ],
)
def test_a_shot_named_by_what_it_shows_is_the_only_one_changed(plan_and_facts, instruction, shot) -> None:
    old, new = edit(plan_and_facts, instruction)
    assert new.shots[shot - 1] != old.shots[shot - 1]
    assert unchanged_but(old, new, shot)


def test_a_thing_named_for_the_whole_video_is_no_shot_of_its_own(plan_and_facts) -> None:
    _, new = edit(plan_and_facts, "make all the shots warmer like the lighthouse")
    assert all(shot.grade.warmth > 0 for shot in new.shots)


@pytest.mark.parametrize("instruction", ["make shot 0 darker", "remove shot 0", "shots 0 and 1 warmer"])
def test_shot_zero_is_refused_with_how_shots_are_numbered(plan_and_facts, instruction) -> None:
    with pytest.raises(BadRequest, match="numbered from 1"):
        edit(plan_and_facts, instruction)


@pytest.mark.parametrize(
    ("instruction", "brighter"),
    [
        ("not so dark", True),
        ("it's a bit too dark", True),
        ("less dark please", True),
        ("not bright enough", True),
        ("make it less bright", False),
        ("a little too bright", False),
        ("not so bright", False),
        ("not dark enough", False),
    ],
)
def test_negated_and_excessive_looks_ask_for_the_opposite(plan_and_facts, instruction, brighter) -> None:
    _, new = edit(plan_and_facts, instruction)
    assert all((shot.grade.brightness > 0) == brighter and shot.grade.brightness != 0 for shot in new.shots)


def test_too_dark_in_one_shot_brightens_that_shot(plan_and_facts) -> None:
    old, new = edit(plan_and_facts, "shot 2 is too dark")
    assert new.shots[1].grade.brightness > 0 and unchanged_but(old, new, 2)


@pytest.mark.parametrize("instruction", ["music off", "turn the music off", "switch off the music", "no music"])
def test_music_off_removes_the_music(plan_and_facts, instruction) -> None:
    old, new = edit(plan_and_facts, instruction)
    assert old.music is not None and new.music is None


@pytest.mark.parametrize(
    ("instruction", "gender"),
    [
        ("can the narrator be a woman", "female"),
        ("the voice should be a man", "male"),
        ("make the narrator female", "female"),
        ("have a man narrate it", "male"),
        ("a woman should narrate", "female"),
    ],
)
def test_who_narrates_said_in_a_sentence_sets_the_voice(plan_and_facts, instruction, gender) -> None:
    _, new = edit(plan_and_facts, instruction)
    assert new.voice.gender == gender


@pytest.mark.parametrize("instruction", ["make it portrait", "portrait please", "switch to portrait"])
def test_portrait_means_vertical(plan_and_facts, instruction) -> None:
    _, new = edit(plan_and_facts, instruction)
    assert new.aspect == "9:16"


def test_a_portrait_of_something_is_a_picture_not_a_frame_shape(plan_and_facts) -> None:
    old, new = edit(plan_and_facts, "make shot 2 a portrait of the dog")
    assert new.aspect == old.aspect and new.shots[1].prompt == "a portrait of the dog"
