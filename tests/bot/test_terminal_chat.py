"""``reelwright chat``: the first message makes a video, a follow-up edits it."""

from conftest import Cli


def test_a_conversation_makes_then_edits_a_video(cli: Cli) -> None:
    script = "a 4 second video of a paper boat on a lake\nmake it 9:16\n/history\n/quit\n"
    result = cli("chat", stdin=script)
    assert result.code == 0, result.stderr
    assert "Version 1 is ready" in result.stdout
    assert "Version 2: aspect: 16:9 -> 9:16" in result.stdout
    assert "Version 2 is ready" in result.stdout
    assert "(1 unchanged shot" not in result.stdout  # a new aspect re-renders every shot


def test_a_bad_message_gets_a_reply_and_the_conversation_goes_on(cli: Cli) -> None:
    result = cli("chat", stdin="a 0 second video\na 3 second video of rain, no narration\n/quit\n")
    assert result.code == 0, result.stderr
    assert "at least 2 seconds" in result.stdout
    assert "Version 1 is ready" in result.stdout
