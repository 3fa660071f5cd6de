"""Bad input gets one clear line and a non-zero exit: no traceback, no rows, no partial files."""

import json
import resource
import sqlite3
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import REELWRIGHT, Cli
from PIL import Image
from tests_support import encode

from reelwright.bot.inputs import check_request
from reelwright.errors import BadRequest


def assert_refused(result, *fragments: str) -> None:
    assert result.code != 0
    assert "Traceback" not in result.stderr
    message = result.stderr.strip().splitlines()
    assert len(message) == 1, result.stderr
    for fragment in fragments:
        assert fragment.lower() in message[0].lower(), message[0]


def project_rows(cli: Cli) -> int:
    db = cli.data_dir / "reelwright.db"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as connection:
        return (
            connection.execute("select count(*) from projects").fetchone()[0]
            + connection.execute("select count(*) from jobs").fetchone()[0]
        )


@pytest.mark.parametrize(
    ("request_text", "fragment"),
    [
        ("", "what the video should show"),
        ("   ", "what the video should show"),
        ("x" * 5000, "characters"),
        ("\x01\x02\x03 %%%% #### ;;;; \x7f", "couldn't read"),
        ("@@@ ### 123 456 !!! ??? ***", "couldn't read"),
        ("a 0 second video of a cat", "at least"),
        ("10 hours of a cat", "too long"),
        ("42 seconds", "what should the video show"),
        ("a vertical video, 10 seconds, no music", "what should the video show"),
        ("make me a video", "what should the video show"),
    ],
)
def test_bad_requests_are_refused(cli: Cli, tmp_path: Path, request_text: str, fragment: str) -> None:
    out = tmp_path / "video.mp4"
    result = cli("make", request_text, "--out", str(out))
    assert_refused(result, fragment)
    assert not out.exists() and project_rows(cli) == 0


def make_images(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    text = folder / "notes.png"
    text.write_text("this is not an image")
    good = folder / "good.png"
    Image.new("RGB", (64, 64), (200, 30, 30)).save(good)
    truncated = folder / "broken.jpg"
    Image.new("RGB", (256, 256), (10, 200, 30)).save(folder / "full.jpg", quality=95)
    truncated.write_bytes((folder / "full.jpg").read_bytes()[:600])
    # Valid PNG headers that claim 100000 x 100000 pixels (past Pillow's bomb limit) and 10000 x 9500 (past
    # its warning, under its limit): refused before decoding, in one line.
    png = good.read_bytes()
    claims = {}
    for name, width, height in (("huge", 100000, 100000), ("big", 10000, 9500)):
        header = struct.pack(">II", width, height) + png[24:29]
        claims[name] = folder / f"{name}.png"
        claims[name].write_bytes(png[:16] + header + struct.pack(">I", zlib.crc32(b"IHDR" + header)) + png[33:])
    return {"missing": folder / "nope.png", "not-image": text, "truncated": truncated, **claims}


@pytest.mark.parametrize(
    ("case", "fragment"),
    [
        ("missing", "no such image"),
        ("not-image", "not an image"),
        ("truncated", "corrupted"),
        ("huge", "pixels"),
        ("big", "the limit is 40 megapixels"),
    ],
)
def test_bad_images_are_refused(cli: Cli, tmp_path: Path, case: str, fragment: str) -> None:
    image = make_images(tmp_path / "images")[case]
    out = tmp_path / "video.mp4"
    result = cli("make", "animate this", "--image", str(image), "--out", str(out))
    assert_refused(result, fragment)
    assert not out.exists() and project_rows(cli) == 0


def test_unknown_project_ids_are_refused(cli: Cli) -> None:
    assert_refused(cli("render", "deadbeef"), "no project")
    assert_refused(cli("edit", "deadbeef", "make it 9:16"), "no project")
    assert_refused(cli("show", "deadbeef"), "no project")


def test_a_read_only_database_is_reported(cli: Cli) -> None:
    assert cli("history").code == 0  # creates and migrates the database
    db = cli.data_dir / "reelwright.db"
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    cli.env["REELWRIGHT_DATABASE_URL"] = f"sqlite:///file:{db}?mode=ro&uri=true"
    result = cli("plan", "a cat on a sofa")
    assert_refused(result, "database")


def test_the_bot_without_a_token_says_how_to_get_one(cli: Cli) -> None:
    cli.env.pop("DISCORD_TOKEN", None)
    assert_refused(cli("bot"), "DISCORD_TOKEN")


def test_text_that_looks_like_terminal_markup_prints_as_typed(cli: Cli) -> None:
    project = cli.ok("plan", "a 4 second video of a lantern")["project_id"]
    cli.ok("edit", project, 'title: "a [/x] lantern [bold]"', "--plan-only")
    for command in (["show", project], ["history"]):
        result = cli(*command)
        assert result.code == 0, result.stderr
        assert "a [/x] lantern [bold]" in result.stdout.replace("\n", "")


def test_an_output_path_under_a_file_is_refused_before_anything_is_planned(cli: Cli, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file")
    result = cli("make", "a 2 second video of a kite", "--out", str(blocker / "kite.mp4"))
    assert result.code == 2 and "is a file, not a folder" in result.stderr and "Traceback" not in result.stderr
    assert cli.ok("history")["projects"] == []


@pytest.mark.parametrize(
    ("version", "code", "message"),
    [("0", 2, "numbered from 1"), ("-1", 2, "numbered from 1"), ("99999999999999999999", 3, "There is no version 99999999999999999999")],
)
def test_impossible_version_numbers_are_a_clear_message(cli: Cli, version: str, code: int, message: str) -> None:
    project = cli.ok("plan", "a 2 second video of a kite")["project_id"]
    result = cli("show", project, "--version", version)
    assert result.code == code and message in result.stderr and "Traceback" not in result.stderr


def test_an_unreachable_discord_is_one_line_not_a_traceback(cli: Cli) -> None:
    cli.env |= {
        "DISCORD_TOKEN": "x" * 59,
        "REELWRIGHT_LLM_PROVIDER": "template",
        "REELWRIGHT_DISCORD_API_BASE": "http://127.0.0.1:9/api/v10",
    }
    result = cli("bot")
    assert result.code != 0 and "Could not reach Discord at http://127.0.0.1:9/api/v10" in result.stderr
    assert "Traceback" not in result.stderr and "x" * 59 not in result.stderr


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [("REELWRIGHT_MAX_VERIFY_PIXELS", "10000", "megapixels"), ("REELWRIGHT_MAX_VERIFY_BYTES", "100", "MiB")],
)
def test_verify_refuses_files_beyond_its_limits_before_decoding(cli: Cli, tmp_path: Path, setting: str, value: str, message: str) -> None:
    video = encode([np.full((240, 320, 3), 90, np.uint8)] * 4, tmp_path / "wide.mp4", crf=28)
    cli.env[setting] = value
    result = cli("verify", str(video))
    assert result.code == 2 and message in result.stderr and "can be checked" in result.stderr


def test_animating_an_image_needs_consent_and_nothing_is_stored_without_it(cli: Cli, tmp_path: Path) -> None:
    good = tmp_path / "me.png"
    Image.new("RGB", (96, 64), (200, 30, 30)).save(good)
    refused = cli("plan", "animate my photo", "--image", str(good))
    assert_refused(refused, "--consent")
    assert refused.code == 12 and project_rows(cli) == 0
    planned = cli.ok("plan", "animate my photo", "--image", str(good), "--consent")
    assert planned["version"] == 1


def test_a_refused_request_gives_one_line_and_its_refusal_is_in_the_audit(cli: Cli) -> None:
    refused = cli("make", "a realistic video of Taylor Swift endorsing my sneakers")
    assert_refused(refused, "real public figure", "refusal #1")
    assert refused.code == 11 and project_rows(cli) == 0
    [refusal] = cli.ok("audit", "list")["refusals"]
    assert (refusal["category"], refusal["stage"], refusal["guild"]) == ("impersonation", "request", None)
    assert "sneakers" not in json.dumps(refusal)
    reviewed = cli.ok("audit", "review", str(refusal["id"]), "upheld", "--note", "impersonation")
    assert reviewed["decision"] == "upheld"
    assert_refused(cli("audit", "review", str(refusal["id"]), "maybe"), "upheld or overturned")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("REELWRIGHT_LLM_THREADS", "abc", "REELWRIGHT_LLM_THREADS: Input should be a valid integer"),
        ("REELWRIGHT_LLM_THREADS", "100000", "REELWRIGHT_LLM_THREADS: Input should be less than or equal to 256"),
        ("REELWRIGHT_DATABASE_URL", "garbage", "REELWRIGHT_DATABASE_URL: not a database URL"),
        ("REELWRIGHT_DATABASE_URL", "postgresql://u@db:notaport/x", "REELWRIGHT_DATABASE_URL: not a database URL"),
        ("REELWRIGHT_DATABASE_URL", "mysql://u:secret@db/x", "no database driver for 'mysql' is installed"),
        ("REELWRIGHT_BROKER_URL", "localhost:6379", "REELWRIGHT_BROKER_URL: not a Redis URL"),
        ("REELWRIGHT_CONFIG", "/nonexistent/reelwright.toml", "REELWRIGHT_CONFIG names /nonexistent/reelwright.toml, which is not a file"),
    ],
)
@pytest.mark.parametrize("command", [("plan", "a heron"), ("health",), ("worker",)])
def test_a_wrong_setting_is_one_line_naming_it_and_never_its_value(
    cli: Cli, variable: str, value: str, message: str, command: tuple[str, ...]
) -> None:
    cli.env[variable] = value
    result = cli(*command, timeout=60)
    assert result.code == 2 and message in result.stderr
    assert "Traceback" not in result.stderr and "secret" not in result.stderr


def test_a_config_file_that_is_not_toml_is_one_line(cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "reelwright.toml"
    config.write_text("llm_provider = [\n")
    cli.env["REELWRIGHT_CONFIG"] = str(config)
    result = cli("plan", "a heron")
    assert result.code == 2 and f"The config file {config} is not valid TOML" in result.stderr and "Traceback" not in result.stderr


def test_a_database_password_given_as_a_query_parameter_is_never_printed(cli: Cli) -> None:
    cli.env["REELWRIGHT_DATABASE_URL"] = "postgresql+psycopg://reelwright@127.0.0.1:1/db?password=hunter2"
    result = cli("plan", "a heron")
    assert result.code == 4 and "password=xxxxx" in result.stderr and "hunter2" not in result.stderr


def test_a_disk_that_fills_up_mid_render_is_one_line_saying_which_file(cli: Cli, tmp_path: Path) -> None:
    def small_files_only() -> None:  # the kernel refuses writes past 400 KiB, as a full disk would (Python ignores SIGXFSZ)
        resource.setrlimit(resource.RLIMIT_FSIZE, (400 * 1024, 400 * 1024))

    assert cli("plan", "warm the database up first").code == 0  # the database is smaller than the limit; videos are not
    out = tmp_path / "train.mp4"
    done = subprocess.run(
        [*REELWRIGHT, "make", "a 20 second video of a long train journey at dusk", "--out", str(out)],
        env={**cli.env, "REELWRIGHT_LLM_PROVIDER": "template"},
        capture_output=True,
        text=True,
        preexec_fn=small_files_only,
        timeout=300,
    )
    assert done.returncode == 4 and "Traceback" not in done.stderr
    assert "Rendering stopped: a file could not be written" in done.stderr and "File too large" in done.stderr
    assert not out.exists()


def test_an_output_folder_that_refuses_files_is_refused_before_planning(cli: Cli) -> None:
    result = cli("make", "a 2 second video of a kite", "--out", "/proc/kite.mp4")
    assert result.code == 2 and "Cannot write to /proc" in result.stderr and "Traceback" not in result.stderr
    assert cli.ok("history") == {"projects": []}


def test_ids_too_big_for_any_database_are_not_found(cli: Cli) -> None:
    result = cli("job", "99999999999999999999999")
    assert result.code == 3 and "No job 99999999999999999999999" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "command",
    [("show", "ffffffff"), ("job", "424242"), ("models", "info", "no-such-model"), ("render", "ffffffff"), ("make", "")],
)
def test_with_json_an_error_is_a_json_object_on_stdout_too(cli: Cli, command: tuple[str, ...]) -> None:
    result = cli(*command, "--json")
    assert result.code != 0 and result.json["exit_code"] == result.code
    assert result.json["error"] and result.json["error"] in result.stderr


@pytest.mark.parametrize("request_text", ["🐱", "猫", "🌅", "海"])
def test_one_emoji_or_one_ideograph_is_a_whole_request(request_text: str) -> None:
    assert check_request(request_text, 2000) == request_text


@pytest.mark.parametrize("request_text", ["a", "%", "7"])
def test_one_letter_or_symbol_is_not(request_text: str) -> None:
    with pytest.raises(BadRequest, match="couldn't read that request"):
        check_request(request_text, 2000)


def test_verify_says_a_folder_or_a_still_image_is_not_a_video_to_check(cli: Cli, tmp_path: Path) -> None:
    picture = tmp_path / "renamed.mp4"
    Image.new("RGB", (64, 64), "red").save(picture, format="PNG")
    still = cli("verify", str(picture))
    assert still.code == 2 and "renamed.mp4 is a still image, not a video" in still.stderr
    folder = cli("verify", str(tmp_path))
    assert folder.code == 2 and "is a folder; name the video file" in folder.stderr
