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


@pytest.mark.parametrize(
    ("instruction", "shot"),
    [
        ("remove the narration from shot 2", 2),
        ("no narration on shot 1", 1),
        ("make shot 2 silent", 2),
        ("no voiceover in the last shot", 3),
        ("mute the narrator in the one with the cat", 1),
    ],
)
def test_narration_taken_out_of_one_shot_clears_only_that_shots_line(plan_and_facts, instruction, shot) -> None:
    old, new = edit(plan_and_facts, instruction)
    assert new.narration is True and len(new.shots) == len(old.shots)
    assert new.shots[shot - 1].narration == "" and new.shots[shot - 1].prompt == old.shots[shot - 1].prompt
    assert unchanged_but(old, new, shot)


def test_every_part_of_a_compound_edit_lands_and_none_becomes_a_prompt(plan_and_facts) -> None:
    old, new = edit(plan_and_facts, "make shot 1 darker, and use a female voice, and 9:16")
    assert new.shots[0].grade.brightness < 0 and new.shots[0].prompt == old.shots[0].prompt
    assert new.voice.gender == "female" and new.aspect == "9:16"
    assert [s.prompt for s in new.shots] == [s.prompt for s in old.shots]


@pytest.mark.parametrize(
    "instruction",
    [
        "make the first shot darker and the last one brighter, also no music",
        "make the first shot darker; the last one brighter; no music",
        "make shot 1 darker and make shot 3 brighter and turn the music off",
    ],
)
def test_a_compound_edit_applies_each_of_its_parts_in_place(plan_and_facts, instruction) -> None:
    old, new = edit(plan_and_facts, instruction)
    assert [s.seed for s in new.shots] == [s.seed for s in old.shots]
    assert new.shots[0].grade.brightness < 0 and new.shots[2].grade.brightness > 0 and new.shots[1] == old.shots[1]
    assert new.music is None


def test_a_change_joined_on_without_a_shot_is_about_the_shot_before(plan_and_facts) -> None:
    old, new = edit(plan_and_facts, "change shot 3 to a dog and make it black and white")
    assert new.shots[2].prompt == "a dog" and new.shots[2].grade.saturation < 0
    assert unchanged_but(old, new, 3)


@pytest.mark.parametrize(
    "instruction",
    ["duplicate shot 2", "split shot 1", "shot 2 looks weird", "slower camera in shot 1", "move shot 1 to the ned", "frobnicate shot 2"],
)
def test_words_no_rule_reads_are_refused_by_name_and_never_become_a_prompt(plan_and_facts, instruction) -> None:
    with pytest.raises(BadRequest, match="couldn't tell what") as refused:
        edit(plan_and_facts, instruction)
    assert instruction in str(refused.value)


def test_an_unread_part_beside_a_read_one_changes_nothing_and_says_which(plan_and_facts) -> None:
    with pytest.raises(BadRequest, match=r'"frobnicate shot 2".*changed nothing'):
        edit(plan_and_facts, "frobnicate shot 2 and make shot 1 darker")


@pytest.mark.parametrize(
    "instruction", ["could you please make shot 2 darker thanks", "pls make shot 2 darker, thx!", "now just make shot 2 darker"]
)
def test_polite_words_around_an_edit_change_nothing_else(plan_and_facts, instruction) -> None:
    old, new = edit(plan_and_facts, instruction)
    assert diff_plans(old, new) == ["shot 2 grade: brightness -0.3"]


def test_a_shot_named_only_to_say_what_to_do_next_is_that_shot(plan_and_facts) -> None:
    old, new = edit(plan_and_facts, "i dont like how shot 3 came out, regenerate it")
    assert new.shots[2].seed != old.shots[2].seed and unchanged_but(old, new, 3)


def test_moving_a_shot_to_where_it_is_says_so(plan_and_facts) -> None:
    with pytest.raises(BadRequest, match="already"):
        edit(plan_and_facts, "put the cat shot first")


@pytest.mark.parametrize(
    ("instruction", "words"),
    [
        ("shot 2 but with seagulls flying past", "with seagulls flying past"),
        ("shot 3 at night", "at night"),
        ("make shot 1 snowing", "snowing"),
    ],
)
def test_an_addition_to_a_shot_keeps_what_it_showed(plan_and_facts, instruction, words) -> None:
    old, new = edit(plan_and_facts, instruction)
    shot = next(s for s in new.shots if s.prompt != old.shot(s.id).prompt)
    assert shot.prompt == f"{old.shot(shot.id).prompt}, {words}"


def test_replacing_a_thing_named_without_a_shot_number_changes_the_shot_that_shows_it(plan_and_facts) -> None:
    old, new = edit(plan_and_facts, "replace the dog with a wolf")
    prompt = new.shots[1].prompt
    assert "a wolf in a park" in prompt and "dog" not in prompt and "a a " not in prompt and unchanged_but(old, new, 2)


@pytest.mark.parametrize(
    ("instruction", "total"),
    [
        ("add 5 seconds", 17),
        ("make it 5 seconds longer", 17),
        ("3 seconds shorter", 9),
        ("cut 2 seconds", 10),
        ("make it one second longer", 13),
        ("half a minute more", 42),
        ("make it 20 seconds", 20),
    ],
)
def test_a_length_said_as_a_change_changes_the_length_there_is(plan_and_facts, instruction, total) -> None:
    _, new = edit(plan_and_facts, instruction)
    assert new.total_duration_s == total


@pytest.mark.parametrize(
    ("instruction", "seconds"),
    [
        ("make shot 2 3 seconds shorter", 1),
        ("shot 2 -3 seconds", 1),
        ("make shot 2 one second longer", 5),
        ("shot 2 +2 s", 6),
        ("make shot 2 longer by 2 seconds", 6),
        ("make shot 2 7 seconds", 7),
    ],
)
def test_a_length_said_about_a_shot_as_a_change_changes_that_shot(plan_and_facts, instruction, seconds) -> None:
    old, new = edit(plan_and_facts, instruction)
    assert old.shots[1].duration_s == 4 and new.shots[1].duration_s == seconds
    assert len(new.shots) == 3 and new.total_duration_s == 12  # the stated total: the other shots make room


@pytest.mark.parametrize(
    ("instruction", "seconds"), [("make all shots 2 seconds", 2), ("each shot 5 seconds", 5), ("3 seconds per shot", 3)]
)
def test_one_length_for_every_shot_sets_each_and_the_total(plan_and_facts, instruction, seconds) -> None:
    _, new = edit(plan_and_facts, instruction)
    assert [s.duration_s for s in new.shots] == [seconds] * 3 and new.total_duration_s == 3 * seconds


@pytest.mark.parametrize(("instruction", "says"), [("make it 4 shots", "add a shot of"), ("make it 2 shots", "remove shot 3")])
def test_a_new_shot_count_says_how_to_get_it(plan_and_facts, instruction, says) -> None:
    with pytest.raises(BadRequest, match=says):
        edit(plan_and_facts, instruction)


@pytest.mark.parametrize("instruction", ["make it 4:3", "make it 21:9", "4:5 for instagram", "make it cinemascope"])
def test_a_frame_shape_there_is_not_names_the_ones_there_are(plan_and_facts, instruction) -> None:
    with pytest.raises(BadRequest, match=r"16:9.*9:16.*1:1"):
        edit(plan_and_facts, instruction)


def noted(plan_and_facts, instruction):
    plan, facts = plan_and_facts
    new, _, info = edit_plan(plan, instruction, facts, None, rng=random.Random(9))
    return new, info.note or ""


@pytest.mark.parametrize(
    ("instruction", "says"), [("make shot 1 0 seconds", "shot 1 is 1 s long, not 0 s"), ("shot 2 -5 seconds", "shot 2 is 1 s")]
)
def test_a_length_beyond_what_a_shot_can_last_is_kept_within_and_said(plan_and_facts, instruction, says) -> None:
    new, note = noted(plan_and_facts, instruction)
    assert "1 to 30 seconds" in note and says in note
    assert min(shot.duration_s for shot in new.shots) >= 1


def test_a_shot_longer_than_the_stated_total_allows_says_what_it_got(plan_and_facts) -> None:
    new, note = noted(plan_and_facts, "make shot 1 100 seconds")
    assert "not 100 s" in note and f"shot 1 is {new.shots[0].duration_s:g} s, not 30 s" in note and new.total_duration_s == 12


def test_the_diff_of_a_long_description_shows_the_words_that_changed(plan_and_facts) -> None:
    old, new = edit(
        plan_and_facts, "replace shot 2 with " + "an old wooden lighthouse on a rocky cliff above a stormy sea at dusk, seen from a boat"
    )
    _, newer = edit((new, plan_and_facts[1]), "replace the boat with a ferry")
    assert diff_plans(new, newer) == ["shot 2 prompt: … from a boat -> … from a ferry"]  # its line names no boat: it stays
    assert diff_plans(old, new) == [
        f"shot 2 prompt: {old.shots[1].prompt} -> {new.shots[1].prompt}",
        f"shot 2 narration: {old.shots[1].narration} -> {new.shots[1].narration}",  # about the lighthouse, not the dog
    ]


@pytest.mark.parametrize("instruction", ["undo the music", "go back to version 1 but darker", "revert that and add a shot of a dog"])
def test_going_back_mixed_with_a_change_asks_for_one_or_the_other(plan_and_facts, instruction) -> None:
    with pytest.raises(BadRequest, match='say only "undo" or "go back to version N"'):
        edit(plan_and_facts, instruction)


@pytest.mark.parametrize("instruction", ["bring back the music", "turn the music back on", "put the music back"])
def test_bringing_the_music_back_adds_music(plan_and_facts, instruction) -> None:
    plan, facts = plan_and_facts
    silent, facts, _ = edit_plan(plan, "no music", facts, None, rng=random.Random(9))
    back, _, _ = edit_plan(silent, instruction, facts, None, rng=random.Random(9))
    assert silent.music is None and back.music == plan.music  # the music that was asked for


def test_changes_to_shots_and_one_change_of_order_both_land_on_the_shots_named(plan_and_facts) -> None:
    old, new = edit(plan_and_facts, "move shot 1 to the end and make shot 1 darker")
    assert [s.seed for s in new.shots] == [old.shots[1].seed, old.shots[2].seed, old.shots[0].seed]
    assert new.shots[2].grade.brightness < 0 and new.shots[0].grade == old.shots[1].grade


def test_two_changes_of_order_in_one_message_are_asked_one_at_a_time(plan_and_facts) -> None:
    with pytest.raises(BadRequest, match="per message"):
        edit(plan_and_facts, "remove shot 2 and add a shot of a bird at the end")


@pytest.mark.parametrize(
    "instruction", ["make the second shot longer and the third shorter", "make shot 2 longer, and the third one shorter"]
)
def test_a_shot_left_unsaid_after_and_is_still_named(plan_and_facts, instruction) -> None:
    old, new = edit(plan_and_facts, instruction)
    assert new.shots[1].duration_s > old.shots[1].duration_s and new.shots[2].duration_s < old.shots[2].duration_s


@pytest.mark.parametrize("instruction", ["make the music louder and the narration slower", "the narrator a bit slower"])
def test_the_narrations_pace_said_after_it_is_read(plan_and_facts, instruction) -> None:
    _, new = edit(plan_and_facts, instruction)
    assert new.voice.speed < 1
