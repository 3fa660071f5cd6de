"""What a message not tied to a project asks for: a new video, a change to the latest one, or small talk."""

import pytest

from reelwright.agent.intent import read_intent


@pytest.mark.parametrize("text", ["hi", "yo whats up", "thanks a lot!", "what can you do?", "cheers mate"])
def test_greetings_thanks_and_questions_about_the_bot_ask_for_no_video(text: str) -> None:
    assert read_intent(text) == read_intent(text, ongoing=True) == "chat"


@pytest.mark.parametrize("text", ["make it darker", "shot 2 slower", "no narration", "undo"])
def test_a_change_reads_as_an_edit_anywhere(text: str) -> None:
    assert read_intent(text) == read_intent(text, ongoing=True) == "edit"


@pytest.mark.parametrize(
    ("text", "alone", "in_a_conversation"), [("a lighthouse at night", "new", "edit"), ("another one about volcanoes", "new", "new")]
)
def test_in_a_conversation_only_an_explicit_request_starts_another_video(text: str, alone: str, in_a_conversation: str) -> None:
    assert (read_intent(text), read_intent(text, ongoing=True)) == (alone, in_a_conversation)
