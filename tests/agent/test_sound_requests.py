"""Music, ambience, language and voice: asked for in the request, changed by talking, kept in the plan."""

import random

import pytest

from reelwright.agent.edit_ops import diff_plans
from reelwright.agent.edits import edit_plan
from reelwright.agent.planner import plan_video
from reelwright.agent.requirements import extract_requirements
from reelwright.errors import BadRequest
from reelwright.plan import ShotPlan


def planned(request: str) -> tuple[ShotPlan, object]:
    facts = extract_requirements(request)
    return plan_video(request, facts, None, rng=random.Random(3)).plan, facts


def edited(request: str, *instructions: str) -> tuple[ShotPlan, ShotPlan]:
    plan, facts = planned(request)
    first = plan
    for instruction in instructions:
        plan, facts, _ = edit_plan(plan, instruction, facts, None, rng=random.Random(4))
    return first, plan


@pytest.mark.parametrize(
    ("request_text", "music"),
    [
        ("a 12 second video of a fox in the snow with upbeat music", "upbeat"),
        ("calm piano music over a sunset timelapse", "calm piano"),
        ("a city at night with some lo-fi beats", "lo-fi beats"),
        ("a tour of Paris narrated in French with soft music", "soft"),
    ],
)
def test_music_asked_for_becomes_a_music_bed_with_what_was_said(request_text: str, music: str) -> None:
    plan, _ = planned(request_text)
    assert plan.music is not None and plan.music.prompt == music


def test_no_music_is_asked_for_none_is_planned() -> None:
    assert planned("a 10 second clip of a lighthouse")[0].music is None
    assert planned("a 10 second clip of a lighthouse, no music")[0].music is None


@pytest.mark.parametrize(
    ("request_text", "ambience"),
    [
        ("a cafe scene with the sound of rain", "rain"),
        ("a busy market with crowd chatter", "crowd chatter"),
        ("a forest path with birdsong", "birdsong"),
        ("a beach at dusk with ocean wave sounds", "ocean wave"),
    ],
)
def test_an_ambience_asked_for_is_under_every_shot_and_not_in_the_picture(request_text: str, ambience: str) -> None:
    plan, facts = planned(request_text)
    assert {shot.ambience for shot in plan.shots} == {ambience}
    assert "sound" not in (facts.subject or "")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("request_text", "language"),
    [
        ("a video about Madrid narrated in Spanish", "es"),
        ("ein Video über Berlin auf Deutsch", "de"),
        ("un video sobre el mar en español", "es"),
        ("a short film about tea with Japanese narration", "ja"),
    ],
)
def test_a_stated_language_is_recorded_and_the_voice_is_chosen_again_for_it(request_text: str, language: str) -> None:
    plan, _ = planned(request_text)
    assert plan.language == language and plan.voice.name == ""


def test_words_that_name_a_place_or_a_style_are_not_a_language() -> None:
    assert planned("a spanish village at dawn")[0].language == "en"
    assert planned("a kitchen in french style")[0].language == "en"


def test_a_female_voice_is_a_gender_to_cast_not_a_pitch() -> None:
    plan, _ = planned("a 20 second video about bread with a female voice")
    assert (plan.voice.gender, plan.voice.pitch_semitones, plan.voice.name) == ("female", 0.0, "")


def test_my_voice_asks_for_the_persons_cloned_voice() -> None:
    assert planned("a video about my garden in my voice")[0].voice.name == "clone:"


def test_make_the_music_quieter_lowers_only_the_music_level() -> None:
    before, after = edited("a 12 second video of a fox in the snow with calm piano music", "make the music quieter")
    assert after.music is not None and after.music.volume_db == -6
    assert after.shots == before.shots and diff_plans(before, after) == ["music: calm piano -> calm piano at -6 dB"]


def test_a_little_louder_is_a_smaller_step_than_louder() -> None:
    _, after = edited("a video of a fox with calm piano music", "turn the music up a bit")
    assert after.music is not None and after.music.volume_db == 3


def test_no_music_removes_it_and_a_new_kind_replaces_it() -> None:
    _, silent = edited("a video of a fox with calm piano music", "no music")
    assert silent.music is None
    _, jazz = edited("a video of a fox with calm piano music", "change the music to upbeat jazz")
    assert jazz.music is not None and jazz.music.prompt == "upbeat jazz"


def test_add_city_noise_to_shot_2_changes_only_shot_2s_sound() -> None:
    before, after = edited("a 12 second video of a fox in the snow", "add city noise to shot 2")
    assert [shot.ambience for shot in after.shots] == ["", "city", ""]
    assert [shot.model_copy(update={"ambience": ""}) for shot in after.shots] == list(before.shots)


def test_a_sound_and_a_picture_change_in_one_sentence_both_land_on_their_shot() -> None:
    _, after = edited("a 12 second video of a fox in the snow", "make shot 2 darker and add rain sounds")
    assert after.shots[1].ambience == "rain" and after.shots[1].grade.brightness < 0
    assert after.shots[0].grade.brightness == 0 and after.shots[0].ambience == ""


def test_removing_and_leveling_ambience() -> None:
    _, after = edited("a cafe scene with the sound of rain", "make the background noise quieter", "remove the rain sounds from shot 1")
    assert after.ambience_db == -6 and after.shots[0].ambience == "" and after.shots[1].ambience == "rain"


def test_changing_the_level_of_music_that_is_not_there_says_so() -> None:
    with pytest.raises(BadRequest, match="no music"):
        edited("a video of a fox", "make the music quieter")


def test_narrate_it_in_spanish_changes_the_language_and_recasts_the_voice() -> None:
    before, after = edited("a video of a fox", "narrate it in Spanish")
    assert after.language == "es" and after.voice.name == ""
    assert [shot.model_copy(update={"narration": ""}) for shot in after.shots] == [
        shot.model_copy(update={"narration": ""}) for shot in before.shots
    ]
    assert all("«a fox»" in shot.narration or shot.narration.startswith(("Miren", "Observen")) for shot in after.shots)


def test_plans_stored_before_music_had_a_prompt_still_load() -> None:
    plan, _ = planned("a video of a fox")
    old = plan.model_dump(mode="json") | {"music": True, "schema_version": 1}
    old["shots"] = [{k: v for k, v in shot.items() if k != "ambience"} for shot in old["shots"]]
    upgraded = ShotPlan.model_validate(old)
    assert upgraded.music is not None and upgraded.music.prompt == "" and upgraded.schema_version == 2


@pytest.mark.parametrize(
    "request_text",
    [
        "make a video about dragons that sounds epic",
        "a video about noise pollution in cities",
        "a 20 second explainer on how sound waves travel",
        "a video about how music is made",
        "a walk in the Japanese garden",
        "a castle in the German forest",
        "a bakery in French Quarter",
        "a forest path at dawn",
    ],
)
def test_sentences_about_sound_music_or_places_keep_their_subject_and_ask_for_no_sound(request_text: str) -> None:
    facts = extract_requirements(request_text)
    assert (facts.ambience, facts.music_prompt, facts.language) == (None, None, None)
    assert facts.subject and len(facts.subject.split()) >= 2


def test_sounds_like_is_an_ambience() -> None:
    _, after = edited("a 12 second video of a fox in the snow", "make shot 2 sound like heavy rain")
    assert [shot.ambience for shot in after.shots] == ["", "heavy rain", ""]


@pytest.mark.parametrize(
    ("instruction", "level"), [("the music is too loud", -6), ("the music is a bit too quiet", 6), ("make the song quieter", -6)]
)
def test_a_complaint_about_the_music_level_changes_its_level_not_what_it_is(instruction: str, level: float) -> None:
    _, after = edited("a video of a fox with calm piano music", instruction)
    assert after.music is not None and (after.music.prompt, after.music.volume_db) == ("calm piano", level)


def test_a_gender_replaces_a_pitch_stated_before_genders_existed() -> None:
    plan, facts = planned("a video of a fox with narration")
    old_facts = facts.model_copy(update={"voice_pitch_semitones": 4.0})  # how "female voice" was stored before
    after, _, _ = edit_plan(plan, "use a male voice", old_facts, None, rng=random.Random(4))
    assert (after.voice.gender, after.voice.pitch_semitones) == ("male", 0.0)


@pytest.mark.parametrize(
    ("instruction", "shot"),
    [("put some birdsong under shot 3", 3), ("add birdsong to shot 1", 1), ("lay crickets chirping under scene 2", 2)],
)
def test_a_bare_sound_put_under_a_shot_is_that_shots_ambience_not_its_picture(instruction: str, shot: int) -> None:
    before, after = edited("a 12 second video of a fox in the snow, 3 shots", instruction)
    assert [s.ambience != "" for s in after.shots] == [index == shot for index in (1, 2, 3)]
    assert [s.prompt for s in after.shots] == [s.prompt for s in before.shots]


@pytest.mark.parametrize(
    ("instruction", "level"),
    [
        ("can you turn down the music a little", -3),
        ("lower the music slightly", -3),
        ("turn down the music just a tad", -3),
        ("turn up the music a lot", 10),
        ("turn the music down a little bit", -3),
    ],
)
def test_how_much_is_read_wherever_it_is_said(instruction: str, level: float) -> None:
    _, after = edited("a video of a fox with calm piano music", instruction)
    assert after.music is not None and after.music.volume_db == level


def test_the_music_and_the_ambience_in_one_change_both_change() -> None:
    _, after = edited("a cafe scene with calm piano music and the sound of rain", "make the music and the ambience quieter")
    assert after.music is not None and (after.music.volume_db, after.ambience_db) == (-6, -6)


@pytest.mark.parametrize(
    "instruction",
    [
        "the music is fine, make shot 2 darker",
        "shot 1 looks great but make shot 2 darker",
        "keep the music as it is and make shot 2 darker",
    ],
)
def test_saying_something_is_fine_changes_nothing_of_it(instruction: str) -> None:
    before, after = edited("a 12 second video of a fox in the snow with calm piano music, 3 shots", instruction)
    assert after.shots[1].grade.brightness < 0 and after.shots[1].prompt == before.shots[1].prompt
    assert after.shots[0] == before.shots[0] and after.music == before.music


@pytest.mark.parametrize(
    "request_text",
    ["a song about the sea in the style of a music video", "a music video about a summer road trip", "songs of the humpback whale"],
)
def test_a_song_or_music_video_as_the_subject_is_not_a_music_bed(request_text: str) -> None:
    facts = extract_requirements(request_text)
    assert facts.music_prompt is None
    assert facts.subject and "of a music" not in facts.subject and len(facts.subject.split()) >= 2


def test_changing_the_language_in_an_edit_writes_its_lines_again_and_says_what_is_said_as_typed() -> None:
    plan, facts = planned("a video of a fox with narration")
    after, _, info = edit_plan(plan, "narrate it in Spanish", facts, None, rng=random.Random(4))
    assert after.language == "es" and after.shots[0].narration == "He aquí «a fox»."
    assert info.note and "Spanish" in info.note and '"a fox" said as you typed it' in info.note


WINDY = "a 12 second video of a fox in the snow with calm piano music and the sound of wind, 3 shots"


@pytest.mark.parametrize(("instruction", "level"), [("less music", -6), ("lower the volume of the music", -6), ("more music", 6)])
def test_less_or_more_of_a_bed_changes_its_level(instruction: str, level: float) -> None:
    _, after = edited(WINDY, instruction)
    assert after.music is not None and after.music.volume_db == level


@pytest.mark.parametrize("instruction", ["can we get rid of the wind", "no more wind", "remove the wind"])
def test_a_plans_own_ambience_named_and_removed_is_removed(instruction: str) -> None:
    before, after = edited(WINDY, instruction)
    assert [shot.ambience for shot in after.shots] == ["", "", ""]
    assert [shot.prompt for shot in after.shots] == [shot.prompt for shot in before.shots]


@pytest.mark.parametrize("instruction", ["more wind please", "the wind in shot 2 should be louder", "turn up the wind"])
def test_a_plans_own_ambience_named_louder_is_its_level(instruction: str) -> None:
    before, after = edited(WINDY, instruction)
    assert after.ambience_db > 0 and after.shots == before.shots


@pytest.mark.parametrize(
    ("instruction", "music"),
    [
        ("swap the piano for strings", "calm strings"),
        ("make the music more dramatic", "dramatic piano"),
        ("replace the piano with a guitar", "calm guitar"),
    ],
)
def test_the_music_changed_by_referring_to_it_keeps_the_rest_of_it(instruction: str, music: str) -> None:
    _, after = edited(WINDY, instruction)
    assert after.music is not None and after.music.prompt == music


@pytest.mark.parametrize("instruction", ["mute everything", "no sound at all"])
def test_muting_everything_leaves_no_sound(instruction: str) -> None:
    _, after = edited(WINDY + ", with narration", instruction)
    assert (after.narration, after.music, {shot.ambience for shot in after.shots}) == (False, None, {""})


@pytest.mark.parametrize("instruction", ["I don't want music", "get rid of the music", "turn off the music"])
def test_every_way_of_saying_no_music_removes_it(instruction: str) -> None:
    _, after = edited(WINDY, instruction)
    assert after.music is None and {shot.ambience for shot in after.shots} == {"wind"}


@pytest.mark.parametrize(
    ("request_text", "gender"),
    [
        ("a sunrise over the ocean, narrated by a woman", "female"),
        ("a meditation video with calming music, spoken in a gentle female voice", "female"),
        ("a car commercial voiced by a man", "male"),
    ],
)
def test_who_narrates_is_a_voice_to_cast_and_not_part_of_the_picture(request_text: str, gender: str) -> None:
    facts = extract_requirements(request_text)
    assert (facts.voice_gender, facts.narration) == (gender, True)
    assert facts.subject and not any(word in facts.subject for word in ("voice", "narrated", "spoken", "woman", "man "))


def test_a_video_in_a_language_is_narrated_in_it() -> None:
    facts = extract_requirements("a video in portuguese about carnival in rio")
    assert (facts.language, facts.subject) == ("pt", "carnival in rio")


@pytest.mark.parametrize(
    ("instruction", "expected"),
    [
        ("perfect, now make the last shot longer", ["shot 1 duration: 4s -> 3s", "shot 2 duration: 4s -> 3s", "shot 3 duration: 4s -> 6s"]),
        (
            "shot 2 is good but shot 3 should be a close-up of the fox",
            ["shot 3 prompt: final wide shot of a fox in the snow -> a close-up of the fox"],
        ),
        ("keep the music the same and switch shot 1 and 3", ["shot 3 moved to position 1", "shot 1 moved to position 3"]),
    ],
)
def test_praise_around_a_change_is_not_part_of_it(instruction: str, expected: list[str]) -> None:
    before, after = edited("a 12 second video of a fox in the snow with narration, 3 shots", instruction)
    assert diff_plans(before, after) == expected


def test_praise_alone_changes_nothing_and_says_so() -> None:
    with pytest.raises(BadRequest, match="nothing to change"):
        edited("a video of a fox", "looks great!")


HARBOUR = "a 12 second video of a harbour at dusk with gentle guitar music and seagull sounds, 3 shots"


@pytest.mark.parametrize(
    ("instruction", "expected"),
    [
        ("could the guitar be a bit softer", ["music: gentle guitar -> gentle guitar at -3 dB"]),
        ("drop the seagulls from the second shot", ["shot 2 ambience: seagull -> none"]),
        ("bring the seagull sounds up a touch", ["ambience level: +0 dB -> +3 dB"]),
        ("music's fine but shot 3 needs to be darker", ["shot 3 grade: brightness -0.3"]),
    ],
)
def test_the_plans_own_sounds_are_named_as_people_name_them(instruction: str, expected: list[str]) -> None:
    before, after = edited(HARBOUR, instruction)
    assert diff_plans(before, after) == expected
