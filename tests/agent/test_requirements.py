"""Stated facts are pulled out of a person's words by code, whatever the model later writes."""

import pytest

from agent.requirements import Requirements, extract_requirements


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        ("make a 10 second video of a fox in the snow, 9:16, no narration",
         {"total_duration_s": 10.0, "aspect": "9:16", "narration": False, "subject": "a fox in the snow"}),
        ("A 1 minute clip about the history of bread in 4 shots with a female voice",
         {"total_duration_s": 60.0, "shot_count": 4, "voice_pitch_semitones": 4.0, "subject": "the history of bread"}),
        ("Make a video for mobile: sunrise over mountains, 15s",
         {"total_duration_s": 15.0, "aspect": "9:16", "subject": "sunrise over mountains"}),
        ("a square clip of a cat, no music", {"aspect": "1:1", "music": False}),
        ("use a slower voice", {"voice_speed": 0.8}),
        ("10 hours of rain", {"total_duration_s": 36000.0}),
    ],
)
def test_explicit_facts_are_extracted(request_text: str, expected: dict) -> None:
    stated = extract_requirements(request_text).model_dump(exclude_none=True)
    for key, value in expected.items():
        assert stated[key] == value


def test_words_that_merely_contain_units_are_not_durations() -> None:
    assert extract_requirements("blah blah", with_subject=False) == Requirements()


def test_later_statements_override_earlier_ones_and_the_rest_is_kept() -> None:
    first = extract_requirements("a 10 second video of waves, 9:16")
    merged = first.merged_with(extract_requirements("make it 1:1", with_subject=False))
    assert merged.aspect == "1:1"
    assert merged.total_duration_s == 10.0
    assert merged.subject == first.subject
