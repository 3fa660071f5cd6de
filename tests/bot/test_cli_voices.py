"""`reelwright voices`: the catalog with licences, cloning only with --confirm, deleting erases the recording."""

import wave
from pathlib import Path

import numpy as np
from conftest import Cli


def recording(path: Path, seconds: float = 5.0) -> Path:
    rate = 16000
    t = np.arange(int(seconds * rate)) / rate
    voiced = np.sign(np.sin(2 * np.pi * 150 * t)) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t) ** 2) * 0.3
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes((voiced * 32767).astype("<i2").tobytes())
    return path


def test_voices_list_names_each_voice_its_languages_licence_and_whether_it_is_here(cli: Cli) -> None:
    listed = cli.ok("voices", "list")
    by_name = {voice["name"]: voice for voice in listed["voices"]}
    assert by_name["joe"]["installed"] is True and by_name["joe"]["languages"] == ["en"]
    assert by_name["xtts-v2"]["installed"] is False and "non-commercial" in by_name["xtts-v2"]["licence"]
    assert all(voice["licence"] and voice["engine"] for voice in listed["voices"])
    human = cli("voices", "list")
    assert human.code == 0 and "joe" in human.stdout


def test_cloning_needs_confirmation_and_stores_nothing_without_it(cli: Cli, tmp_path: Path) -> None:
    sample = recording(tmp_path / "me.wav")
    refused = cli("voices", "clone", "me", str(sample))
    assert refused.code == 12 and "This is my own voice" in refused.stderr and "Traceback" not in refused.stderr
    assert cli.ok("voices", "list")["cloned"] == []
    stored = cli.ok("voices", "clone", "me", str(sample), "--confirm")
    assert stored["voice"] == "clone:me" and abs(stored["seconds"] - 5.0) < 0.1
    assert [voice["name"] for voice in cli.ok("voices", "list")["cloned"]] == ["me"]
    assert cli.ok("voices", "delete", "me")["deleted"] is True
    assert cli.ok("voices", "list")["cloned"] == []
    assert not [path for path in (cli.data_dir / "artifacts").rglob("*.wav")]


def test_pulling_a_voice_offline_says_what_to_do_in_one_line(cli: Cli, tmp_path: Path) -> None:
    cli.env |= {"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    result = cli("voices", "pull", "fr_FR-siwis-medium")
    assert result.code != 0 and "reelwright voices pull fr_FR-siwis-medium" in result.stderr and "Traceback" not in result.stderr
    unknown = cli("voices", "pull", "nobody")
    assert unknown.code != 0 and "voices list" in unknown.stderr
