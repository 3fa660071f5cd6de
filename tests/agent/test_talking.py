"""Talking portraits, as people ask for them: which shots speak, and what they say."""

from __future__ import annotations

import random

import pytest

from reelwright.agent.edit_ops import diff_plans
from reelwright.agent.edits import edit_plan
from reelwright.agent.planner import plan_video
from reelwright.agent.requirements import extract_requirements
from reelwright.agent.talking import MAX_WORDS_PER_SHOT, asks_to_speak, lines_for, spoken_words
from reelwright.errors import BadRequest
from reelwright.plan import Requirements, ShotPlan

IMAGE = "a" * 64


def planned(request: str, *, image: str | None = IMAGE) -> ShotPlan:
    return plan_video(request, extract_requirements(request), None, image_sha=image, rng=random.Random(1)).plan


@pytest.mark.parametrize(
    "request_text",
    [
        "make my avatar say: welcome to the channel",
        'have the woman in this photo say "we open at nine"',
        "a talking head of me explaining our refund policy",
        "make her talk about the weather",
        "let the man in the picture tell viewers that the sale ends friday",
        "lip sync this photo to a short greeting",
        "I want my selfie talking about my trip to Rome",
        "could you get the guy in this pic to say: thanks for subscribing!",
    ],
)
def test_requests_that_ask_a_face_to_speak_are_read_as_talking(request_text: str) -> None:
    assert asks_to_speak(spoken_words(request_text)[1])
    assert extract_requirements(request_text).talking is True


@pytest.mark.parametrize(
    "request_text",
    [
        "a video about talking parrots",
        "a timelapse of a city, narrated",
        "a cat saying nothing",
        'a video titled "Summer"',
        "a music video with lip sync",
        "a clip about lip-syncing",
        "a video on talking heads the band",
        "make it read like a movie trailer: a heist in Paris",
        "let me present my travel photos",
        "make this image welcome the new year with fireworks",
        "make it tell a story about a dragon",
    ],
)
def test_other_requests_are_not_talking(request_text: str) -> None:
    assert extract_requirements(request_text).talking is None


def test_words_after_say_colon_are_spoken_verbatim_and_are_not_the_subject_or_the_length() -> None:
    stated = extract_requirements("make my avatar say: Hi, I'm Sam. This is a 10 second promo!")
    assert stated.spoken_line == "Hi, I'm Sam. This is a 10 second promo!"
    assert stated.total_duration_s is None and stated.shot_count is None


def test_words_in_quotes_are_spoken_verbatim_with_their_apostrophes() -> None:
    assert extract_requirements("have her say 'we're open until nine'").spoken_line == "we're open until nine"
    assert extract_requirements("make the host say “Thanks for watching”").spoken_line == "Thanks for watching"


def test_reported_speech_is_spoken_as_its_sentence() -> None:
    assert extract_requirements("have the man in this photo tell viewers that the store opens at nine").spoken_line == (
        "The store opens at nine"
    )


def test_without_words_the_planner_writes_the_line() -> None:
    stated = extract_requirements("make my avatar talk about our new coffee")
    assert stated.talking and stated.spoken_line is None
    plan = planned("make my avatar talk about our new coffee")
    assert all(shot.talking and shot.narration for shot in plan.shots)


def test_a_photo_that_should_speak_gets_a_static_talking_shot_saying_the_words() -> None:
    plan = planned("make my avatar say: Welcome back to the channel. Today we bake bread.")
    assert len(plan.shots) == 1
    shot = plan.shots[0]
    assert shot.talking and shot.source_image == IMAGE and shot.camera == "static"
    assert shot.narration == "Welcome back to the channel. Today we bake bread."
    assert plan.narration
    assert 3.0 <= shot.duration_s <= 6.0  # an estimate from the words; the render times it by the speech


def test_a_long_speech_is_spread_over_several_talking_shots_in_whole_sentences() -> None:
    sentence = "This sentence has exactly ten words in it, you see. "
    plan = planned("make my avatar say: " + sentence * 12)
    assert len(plan.shots) >= 2
    assert all(shot.talking for shot in plan.shots)
    assert " ".join(shot.narration for shot in plan.shots) == (sentence * 12).strip()
    assert all(len(shot.narration.split()) <= MAX_WORDS_PER_SHOT for shot in plan.shots)


def test_a_stated_shot_count_shares_the_words_between_the_shots() -> None:
    plan = planned("3 shots. make her say: One. Two. Three.")
    assert [shot.narration for shot in plan.shots] == ["One.", "Two.", "Three."]


def test_lines_for_never_loses_a_word() -> None:
    said = "a " * 250
    assert " ".join(line for line in lines_for(said.strip(), 2) if line).split() == said.split()


def test_without_a_photo_the_video_is_narrated_and_the_note_says_how_to_make_a_face_speak() -> None:
    planned_video = plan_video(
        "make my avatar say: hello there", extract_requirements("make my avatar say: hello there"), None, rng=random.Random(1)
    )
    assert not any(shot.talking for shot in planned_video.plan.shots)
    assert "photo" in (planned_video.planner.note or "")


def test_an_edit_gives_a_talking_shot_new_words_verbatim_even_with_typos() -> None:
    plan = planned("make my avatar say: hello")
    edited, _, _ = edit_plan(plan, "make her say: welcom to my chanel", Requirements(), None, rng=random.Random(2))
    assert edited.shots[0].talking and edited.shots[0].narration == "welcom to my chanel"


def test_an_edit_makes_a_photo_shot_speak_and_another_stops_it() -> None:
    plan = planned("bring this photo to life")
    assert not any(shot.talking for shot in plan.shots)
    spoken, _, _ = edit_plan(plan, 'make the woman in the photo say "good morning"', Requirements(), None, rng=random.Random(2))
    assert all(shot.talking for shot in spoken.shots) and spoken.shots[0].narration == "good morning"
    quiet, _, _ = edit_plan(spoken, "stop the lip sync, just a voice-over", Requirements(), None, rng=random.Random(3))
    assert not any(shot.talking for shot in quiet.shots)
    assert quiet.shots[0].narration == "good morning"
    assert diff_plans(spoken, quiet) == ["shot 1: narrated, the face no longer speaks"]


def test_a_shot_without_a_photo_cannot_be_made_to_speak() -> None:
    plan = planned("a fox in the snow, 2 shots", image=None)
    with pytest.raises(BadRequest, match="photo"):
        edit_plan(plan, "make shot 2 talk: hello", Requirements(), None, rng=random.Random(2))


def test_removing_a_talking_shots_line_leaves_a_silent_shot_not_a_broken_plan() -> None:
    plan = planned("make my avatar say: hello")
    edited, _, _ = edit_plan(plan, "shot 1 narration: ''", Requirements(), None, rng=random.Random(2))
    assert ShotPlan.model_validate(edited.model_dump()) == edited


def test_talking_shots_last_as_long_as_their_speech_and_the_others_share_the_rest() -> None:
    plan = planned("4 shots, 16 seconds, a walk in the park", image=None)
    talking = plan.model_copy(update={"shots": (plan.shots[0].model_copy(update={"talking": True, "narration": "Hi."}), *plan.shots[1:])})
    timed = talking.with_talking_lengths({1: 6.0})
    assert timed.shots[0].duration_s == pytest.approx(6.6)  # lead-in, the speech, a pause after
    assert timed.total_duration_s == pytest.approx(16.0, abs=0.15)
    assert [shot.duration_s for shot in timed.shots[1:]] == pytest.approx([3.1, 3.1, 3.1], abs=0.1)


def test_speech_longer_than_the_plan_makes_the_video_longer_never_a_shot_shorter_than_a_second() -> None:
    plan = planned("2 shots, 4 seconds, a walk in the park", image=None)
    talking = plan.model_copy(update={"shots": (plan.shots[0].model_copy(update={"talking": True, "narration": "Hi."}), *plan.shots[1:])})
    timed = talking.with_talking_lengths({1: 9.0})
    assert timed.shots[0].duration_s == pytest.approx(9.6)
    assert timed.shots[1].duration_s == 1.0


def test_of_several_quotes_the_words_are_those_after_the_ask_to_speak() -> None:
    assert extract_requirements('a 20 second video titled "Summer" where my avatar says "hello"').spoken_line == "hello"


def test_curly_single_quotes_and_talk_colon_give_the_words_too() -> None:
    assert extract_requirements("have my avatar say ‘welcome back’").spoken_line == "welcome back"
    assert extract_requirements("make my photo talk: hello").spoken_line == "hello"


def test_a_request_to_speak_with_empty_words_asks_what_to_say() -> None:
    with pytest.raises(BadRequest, match="What should the face say"):
        planned("make her say:")


def test_a_stated_length_shorter_than_the_words_is_not_kept_and_the_note_says_so() -> None:
    words = "This sentence has exactly ten words in it, you see. " * 4
    made = plan_video(
        f"a 3 second video, make her say: {words}", extract_requirements(f"a 3 second video, make her say: {words}"), None, image_sha=IMAGE
    )
    assert made.plan.total_duration_s > 15
    assert "to say" in (made.planner.note or "")


def test_shots_beyond_the_words_are_ordinary_shots_of_the_photo() -> None:
    plan = planned("3 shots, make her say: hi")
    assert [shot.talking for shot in plan.shots] == [True, False, False]
    assert "speaking" not in plan.shots[1].prompt


def edited(plan: ShotPlan, instruction: str) -> ShotPlan:
    return edit_plan(plan, instruction, Requirements(), None, rng=random.Random(2))[0]


TWO_TALKING = "2 shots. make her say: Hello there. Goodbye now."


def test_an_edit_that_also_changes_the_picture_does_both() -> None:
    both = edited(planned(TWO_TALKING), "make shot 1 darker and have her say 'hi'")
    assert both.shots[0].narration == "hi" and both.shots[0].grade.brightness < 0
    other = edited(planned(TWO_TALKING), "have her say 'hi' and make shot 2 darker")
    assert other.shots[0].narration == "hi" and other.shots[1].grade.brightness < 0 and other.shots[1].narration == "Goodbye now."


@pytest.mark.parametrize(
    "instruction", ["change shot 2 to the man talking on the phone", "make the second shot show the woman talking to her friend"]
)
def test_a_picture_of_someone_talking_is_a_new_picture_not_a_talking_shot(instruction: str) -> None:
    changed = edited(planned("2 shots, bring this photo to life"), instruction)
    assert not changed.shots[1].talking and "talking" in changed.shots[1].prompt


@pytest.mark.parametrize("instruction", ["don't talk so fast", "make her say it slower"])
def test_how_the_words_sound_is_the_voice_not_new_words(instruction: str) -> None:
    slower = edited(planned(TWO_TALKING), instruction)
    assert slower.voice.speed < 1.0
    assert [shot.narration for shot in slower.shots] == ["Hello there.", "Goodbye now."]


@pytest.mark.parametrize("instruction", ["make the second shot not talk", "the second shot shouldn't talk"])
def test_one_shot_stops_talking(instruction: str) -> None:
    assert [shot.talking for shot in edited(planned(TWO_TALKING), instruction).shots] == [True, False]


def test_saying_nothing_stops_the_faces_and_empty_words_are_asked_for() -> None:
    assert not any(shot.talking for shot in edited(planned(TWO_TALKING), "make her say nothing").shots)
    with pytest.raises(BadRequest, match="What should the face say"):
        edited(planned(TWO_TALKING), 'make her say ""')


def test_words_longer_than_the_talking_shots_can_say_are_refused_not_cut() -> None:
    with pytest.raises(BadRequest, match="more than 1 shot"):
        edited(planned("make her say: hello"), "make her say: " + "This sentence has exactly ten words in it, you see. " * 12)


@pytest.mark.parametrize("words", ["we have no music today", "the video is black and white", "we are open in 9:16 format"])
def test_unquoted_words_are_said_as_typed_and_never_read_as_settings(words: str) -> None:
    plan = planned("2 shots with calm piano music. make her say: Hello there. Goodbye now.")
    assert plan.music is not None
    changed = edited(plan, f"make her say {words}")
    assert changed.shots[0].narration == words
    assert (changed.aspect, changed.music) == (plan.aspect, plan.music)


def test_a_question_asking_her_to_say_other_words_gives_her_those_words() -> None:
    assert edited(planned(TWO_TALKING), 'could she say "welcome back" instead').shots[0].narration == "welcome back"
