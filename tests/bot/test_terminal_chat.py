"""``reelwright chat``: the first message makes a video, a follow-up edits it."""

import subprocess

from conftest import REELWRIGHT, Cli


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


def test_bytes_that_are_not_utf8_get_a_reply_not_a_traceback(cli: Cli) -> None:
    done = subprocess.run([*REELWRIGHT, "chat"], input=b"a video of \xff\xfe cats\n/quit\n", capture_output=True, env=cli.env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert b"not UTF-8 text" in done.stdout and b"Traceback" not in done.stderr


def test_an_image_is_animated_only_once_the_person_confirms_and_results_say_what_they_are(cli: Cli, tmp_path) -> None:
    from PIL import Image

    picture = tmp_path / "me.png"
    Image.new("RGB", (160, 120), (200, 100, 50)).save(picture)
    asked = f"animate my photo, 3 seconds, no narration --image {picture}\n"
    result = cli("chat", stdin=f"{asked}n\n{asked}y\n/quit\n")
    assert result.code == 0, result.stderr
    assert "I am the person in this image" in result.stdout
    assert "Not animated; nothing was stored." in result.stdout
    assert "Version 1 is ready" in result.stdout and "reelwright verify FILE" in result.stdout


def test_greetings_get_an_answer_and_a_change_before_any_video_is_not_rendered(cli: Cli) -> None:
    result = cli("chat", stdin="hi!\nmake it darker\nwhat can you do?\n/quit\n")
    assert result.code == 0, result.stderr
    assert result.stdout.count("Describe a video and I will make it") == 2
    assert "There is no video yet to change" in result.stdout
    assert "is ready" not in result.stdout and cli.ok("history")["projects"] == []


def test_asking_for_another_video_mid_conversation_starts_one_and_undo_goes_back(cli: Cli) -> None:
    script = (
        "a 2 second video of a lighthouse at night, no narration\n"
        "make it darker\n"
        "undo\n"
        "thanks\n"
        "a video of a red kite over the sea, 2 seconds, no narration\n"
        "/quit\n"
    )
    result = cli("chat", stdin=script)
    assert result.code == 0, result.stderr
    assert "Version 3: back to version 1" in result.stdout
    assert "Say what to change" in result.stdout  # thanks, after a video
    assert "Starting a new video; the last one is in /history." in result.stdout
    titles = sorted(project["title"] for project in cli.ok("history")["projects"])
    assert titles == ["A lighthouse at night", "A red kite over the sea"]
