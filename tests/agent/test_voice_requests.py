"""How the narrator should sound, as people describe it: pitch, accent, and never a real person's voice."""

import random

import pytest

from reelwright.agent.edits import edit_plan
from reelwright.agent.planner import plan_video
from reelwright.agent.requirements import extract_requirements
from reelwright.agent.voice_requests import ACCENT_VOICES
from reelwright.generation.voices import PRESETS


def planned(text: str):
    return plan_video(text, extract_requirements(text), None, rng=random.Random(6))


@pytest.mark.parametrize(
    ("text", "lower", "gender"),
    [
        ("a storm at sea, deep male voice", True, "male"),
        ("a castle at night with a deep voice", True, "male"),
        ("a cave, narrated in a low gravelly voice", True, None),
        ("a bakery, baritone narrator", True, None),
        ("a cartoon mouse with a high-pitched voice", False, None),
        ("a fairy garden, high pitched female narrator", False, "female"),
        ("a toy shop, squeaky voice", False, None),
    ],
)
def test_a_voice_described_as_deep_or_high_is_pitched_that_way(text: str, lower: bool, gender: str | None) -> None:
    plan = planned(text).plan
    assert (plan.voice.pitch_semitones < 0) is lower and plan.voice.pitch_semitones != 0
    assert plan.voice.gender == gender
    assert not any(word in plan.shots[0].prompt for word in ("voice", "pitched", "narrator"))


@pytest.mark.parametrize(
    ("text", "voice"),
    [
        ("a red telephone box, british accent", "vctk-p225"),
        ("a foggy london street with an english accent, male voice", "vctk-p226"),
        ("a tea party, British female narrator", "vctk-p225"),
        ("a diner, american accent, narrated by a man", "joe"),
        ("a road trip with an american woman's voice", "en_US-ljspeech-high"),
    ],
)
def test_an_accent_the_catalog_has_picks_its_voice_of_the_gender_said(text: str, voice: str) -> None:
    result = planned(text)
    assert result.plan.voice.name == voice and result.planner.note is None
    assert not any(word in result.plan.shots[0].prompt.lower() for word in ("accent", "british", "american"))


@pytest.mark.parametrize("accent", ["australian", "irish", "scottish", "indian"])
def test_an_accent_no_voice_has_is_said_in_a_note(accent: str) -> None:
    result = planned(f"a harbour at dawn, {accent} accent")
    assert result.plan.voice.name == "" and accent.capitalize() in result.planner.note
    assert accent not in result.plan.shots[0].prompt


def test_a_french_voice_is_a_language_not_an_accent() -> None:
    assert extract_requirements("a bakery with french narration").voice_name is None


def test_every_voice_chosen_for_an_accent_is_an_english_catalog_voice_of_its_gender() -> None:
    catalog = {preset.name: preset for preset in PRESETS}
    for voices in ACCENT_VOICES.values():
        for gender, name in voices.items():
            assert name in catalog and catalog[name].gender == gender and "en" in catalog[name].languages


@pytest.mark.parametrize(
    ("text", "who", "gender"),
    [
        ("a forest at dawn narrated by morgan freeman", "morgan freeman", None),
        ("a forest at dawn, narrated by David Attenborough", "David Attenborough", "male"),
        ("a forest at dawn in the voice of Meryl Streep", "Meryl Streep", "female"),
        ("a forest at dawn with Oprah's voice", "Oprah", "female"),
        ("a forest at dawn, sounding like obama", "obama", "male"),
        ("a forest at dawn, narrated by sir ian mckellen please", "sir ian mckellen", "male"),
    ],
)
def test_a_real_persons_voice_is_not_imitated_nor_kept_in_the_subject(text: str, who: str, gender: str | None) -> None:
    result = planned(text)
    plan = result.plan
    assert all(shot.prompt.endswith("a forest at dawn") for shot in plan.shots), plan.shots[0].prompt
    assert f"so {who} does not narrate" in result.planner.note and "not imitated" in result.planner.note
    assert (plan.voice.name, plan.voice.gender) == ("", gender)


@pytest.mark.parametrize("text", ["a cat on a sofa, narrated by my grandma", "a cat on a sofa narrated by our mom"])
def test_someone_the_person_knows_does_not_narrate_either_and_a_cloned_voice_is_offered(text: str) -> None:
    result = planned(text)
    assert result.plan.shots[0].prompt.endswith("a cat on a sofa") and result.plan.voice.gender == "female"
    assert "not imitated" in result.planner.note and "in my voice" in result.planner.note


@pytest.mark.parametrize(
    "text", ["a car sounding like thunder", "a fox narrated by a calm female voice", "a treasure map, narrated by a pirate"]
)
def test_a_kind_of_narrator_or_a_sound_is_no_real_person(text: str) -> None:
    result = planned(text)
    assert result.planner.note is None


def test_a_gender_said_later_keeps_the_accent() -> None:
    request = "a 12 second video of a fox in the snow, british accent"
    facts = extract_requirements(request)
    plan = plan_video(request, facts, None, rng=random.Random(6)).plan
    male, facts, _ = edit_plan(plan, "male voice", facts, None, rng=random.Random(7))
    female, _, _ = edit_plan(male, "use a female voice", facts, None, rng=random.Random(7))
    assert (plan.voice.name, male.voice.name, female.voice.name) == ("vctk-p225", "vctk-p226", "vctk-p225")


def test_an_edit_asking_for_a_real_persons_voice_says_it_is_not_imitated() -> None:
    request = "a 12 second video of a fox in the snow"
    facts = extract_requirements(request)
    plan = plan_video(request, facts, None, rng=random.Random(6)).plan
    new, _, info = edit_plan(plan, "make it narrated by David Attenborough", facts, None, rng=random.Random(7))
    assert new.voice.gender == "male" and "not imitated" in info.note
