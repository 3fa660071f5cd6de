"""Planning: code decides the structure the person asked for; the model only writes narration lines."""

import random
import re

import pytest

from reelwright.agent.json_reply import InvalidModelOutput, parse_json_object
from reelwright.agent.llm import build_llm
from reelwright.agent.planner import plan_video, usable_line
from reelwright.agent.requirements import extract_requirements
from reelwright.errors import BadRequest
from reelwright.settings import Settings


def plan_for(text: str, llm=None, progress=None):
    return plan_video(text, extract_requirements(text), llm, rng=random.Random(3), progress=progress)


@pytest.fixture(scope="module")
def embedded_model():
    model = build_llm(Settings(llm_provider="llamacpp", llm_threads=2))
    yield model
    model.close()


def test_stated_duration_shot_count_aspect_and_narration_are_enforced() -> None:
    plan = plan_for("a 20 second video of a lighthouse at night in 5 shots, 9:16, no narration").plan
    assert plan.total_duration_s == 20.0
    assert len(plan.shots) == 5
    assert (plan.aspect, plan.width, plan.height) == ("9:16", 720, 1280)
    assert plan.narration is False and all(shot.narration == "" for shot in plan.shots)


def test_every_shot_prompt_keeps_the_subject() -> None:
    plan = plan_for("an 8 second video of a red balloon over Paris").plan
    assert all("balloon" in shot.prompt.lower() for shot in plan.shots)


def test_a_listed_shot_structure_is_exactly_those_shots() -> None:
    plan = plan_for("bread, 12 seconds. shots: 1) a baker kneading dough 2) loaves in the oven 3) a family at dinner").plan
    assert [("dough" in s.prompt, "oven" in s.prompt, "family" in s.prompt) for s in plan.shots] == [
        (True, False, False),
        (False, True, False),
        (False, False, True),
    ]
    assert plan.total_duration_s == 12.0


def test_a_length_per_shot_decides_the_count() -> None:
    plan = plan_for("half a minute of city traffic, 5 second shots").plan
    assert len(plan.shots) == 6 and plan.total_duration_s == 30.0


@pytest.mark.parametrize(
    "text",
    [
        "a 0 second video of a cat",
        "10 hours of a cat",
        "a 3 second video of a dog in 8 shots",
        "-5 seconds of a dog",
        "a 1e9 seconds video of a dog",
        "a video of a cat in 20 shots",
    ],
)
def test_impossible_requests_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(BadRequest) as refused:
        plan_for(text)
    assert any(word in str(refused.value) for word in ("second", " s", "long", "negative", "shots"))


@pytest.mark.parametrize(("text", "aspect"), [("a 4:5 video of a cat", "1:1"), ("a 2.35:1 film of a desert", "16:9")])
def test_a_ratio_we_do_not_make_is_named_in_a_note_with_the_shape_used(text: str, aspect: str) -> None:
    planned = plan_for(text)
    assert planned.plan.aspect == aspect
    assert text.split()[1] in planned.planner.note and aspect in planned.planner.note


def test_a_supported_ratio_needs_no_note() -> None:
    assert plan_for("1080x1920 video of a cat").planner.note is None


@pytest.mark.parametrize(
    ("text", "title", "subject_word"),
    [
        ('a video titled "Morning Rush" about commuters', "Morning Rush", "commuters"),
        ("a vertical clip called 'Square One' of a chess board", "Square One", "chess"),
        ("a video titled 'Don't Stop' about runners", "Don't Stop", "runners"),
        ("title: Night Shift, a nurse walking a hospital corridor, 8 seconds", "Night Shift", "nurse"),
    ],
)
def test_a_title_the_person_gives_is_the_title_and_not_the_subject(text: str, title: str, subject_word: str) -> None:
    plan = plan_for(text).plan
    assert plan.title == title
    assert all(subject_word in shot.prompt and title not in shot.prompt for shot in plan.shots)


@pytest.mark.parametrize(
    ("text", "title"), [('a dog named "Max" running', 'A dog named "Max" running'), ("(1) a kettle (2) a teapot", "A kettle")]
)
def test_a_title_is_made_from_words_never_from_punctuation(text: str, title: str) -> None:
    assert plan_for(text).plan.title == title


def test_narration_lines_fit_their_shots() -> None:
    plan = plan_for("a 6 second video of the history of the printing press and its inventor Johannes Gutenberg in Mainz").plan
    for shot in plan.shots:
        assert len(shot.narration.split()) <= shot.duration_s * 2.2 + 1


def test_template_narration_names_a_bare_subject_with_an_article() -> None:
    lines = [shot.narration for shot in plan_for("cat, 16 seconds, 4 shots").plan.shots]
    assert lines == ["Meet the cat.", "Look closer at the cat.", "Here is the cat, up close.", "One last look at the cat."]


@pytest.mark.parametrize(
    "text",
    [
        "a fox running through deep snow at dawn near a frozen lake, 8 seconds, 4 shots",
        "a cat, 24 seconds, 12 shots",
        "how bread is made, 12 seconds",
        "the history of bread in 20 seconds",
        "first a sunrise, then a fisherman, finally boats at dusk, 6 seconds",
    ],
)
def test_no_two_shots_say_the_same_template_line(text: str) -> None:
    lines = [shot.narration for shot in plan_for(text).plan.shots]
    assert len(set(lines)) == len(lines)
    assert all(re.fullmatch(r"[A-Z][^.!?]*[a-z][.!?]", line) for line in lines)
    assert not any(line.split()[-1].rstrip(".") in {"through", "of", "at", "with", "the", "a", "an"} for line in lines)


def test_model_lines_that_invent_facts_talk_about_the_video_or_the_model_are_not_used() -> None:
    request = "a 10 second video of a fox in the snow"
    assert usable_line("The fox hunts in the deep snow.", request, set())
    assert not usable_line("Foxes catch prey 15% of the time.", request, set())
    assert not usable_line("Lena watches the fox in the snow.", request, set())
    assert not usable_line("This medium shot continues the story.", request, set())
    assert not usable_line("I'm ready to continue.", request, set())


def test_the_embedded_model_writes_the_narration_of_the_structure_code_chose(embedded_model) -> None:
    steps: list[str] = []
    planned = plan_for("a 12 second video of a fox running through snow at dawn, 3 shots", embedded_model, steps.append)
    assert (planned.planner.engine, planned.planner.model) == ("llamacpp", "SmolLM2-135M-Instruct.Q4_1.gguf")
    assert planned.planner.fallback is False and planned.planner.tokens > 0
    assert steps == ["writing shot 1/3", "writing shot 2/3", "writing shot 3/3"]
    plan = planned.plan
    assert plan.total_duration_s == 12.0 and len(plan.shots) == 3
    assert all("fox" in shot.prompt.lower() for shot in plan.shots)
    assert all(shot.narration for shot in plan.shots)


def test_model_replies_with_text_around_the_json_are_still_parsed() -> None:
    assert parse_json_object('Sure! ```json\n{"title": "x"}\n```') == {"title": "x"}
    with pytest.raises(InvalidModelOutput):
        parse_json_object("I cannot help with that")
