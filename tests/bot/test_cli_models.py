"""`reelwright models` and `--model`, offline: presets listed, a pull that cannot download says what is
missing and how to get it, and a model in the Hugging Face cache makes a video with no network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Cli, ffprobe
from tiny_diffusers import FAST_OPTIONS, into_hub_cache, wan_t2v

from reelwright.generation.presets import PRESETS

FAST = json.dumps({"diffusers": FAST_OPTIONS})


@pytest.fixture
def offline(cli: Cli, tmp_path: Path) -> Cli:
    cli.env |= {
        "HF_HOME": str(tmp_path / "hf"),
        "HF_HUB_OFFLINE": "1",
        "REELWRIGHT_LLM_PROVIDER": "template",
        "REELWRIGHT_BACKEND_OPTIONS": FAST,
        "OMP_NUM_THREADS": "1",
    }
    return cli


def test_models_list_shows_every_preset_with_its_rules_memory_and_licence(offline: Cli) -> None:
    listed = {model["id"]: model for model in offline.ok("models", "list")["models"]}
    assert set(listed) == set(PRESETS)
    wan = listed["wan2.1-t2v-1.3b"]
    assert wan["role"] == "text-to-video" and wan["rules"]["fps"] == 16 and wan["rules"]["size_multiple"] == 16
    assert wan["licence"] == "Apache-2.0" and wan["memory_gb"]["none"] > wan["memory_gb"]["group-offload"]
    assert listed["svd"]["role"] == "image-to-video" and wan["downloaded"] is False
    human = offline("models", "list")
    assert human.code == 0 and "ltx-video" in human.stdout


def test_a_pull_without_network_says_what_is_missing_and_the_command_that_gets_it(offline: Cli) -> None:
    refused = offline("models", "pull", "ltx-video")
    assert refused.code == 5
    assert "HF_HUB_OFFLINE" in refused.stderr and "model_index.json" in refused.stderr
    assert "reelwright models pull ltx-video" in refused.stderr and "Traceback" not in refused.stderr
    unknown = offline("models", "info", "not a model")
    assert unknown.code == 3 and "reelwright models list" in unknown.stderr


def test_a_model_in_the_hugging_face_cache_makes_a_video_offline_and_can_be_removed(offline: Cli, tmp_path: Path) -> None:
    into_hub_cache(wan_t2v(tmp_path / "built"), "tiny-org/wan-t2v", tmp_path / "hf")
    info = offline.ok("models", "info", "tiny-org/wan-t2v")
    assert info["downloaded"] is True and info["missing"] == []

    made = offline.ok("make", "a 2 second video of a fox in the snow, no narration", "--model", "tiny-org/wan-t2v")
    assert made["plan"]["video_model"] == "tiny-org/wan-t2v"
    video = next(s for s in ffprobe(Path(made["path"]))["streams"] if s["codec_type"] == "video")
    assert (int(video["width"]), int(video["height"])) == (1280, 720)

    assert offline.ok("models", "remove", "tiny-org/wan-t2v")["freed_bytes"] > 0
    assert offline.ok("models", "info", "tiny-org/wan-t2v")["downloaded"] is False


def test_an_unknown_model_is_refused_before_anything_is_made(offline: Cli, tmp_path: Path) -> None:
    for reference in ("no-such-model", str(tmp_path), "someone/not-downloaded"):
        refused = offline("make", "a 2 second video of a kite", "--model", reference)
        assert refused.code == 2 and "Traceback" not in refused.stderr, refused.stderr
    assert offline.ok("history")["projects"] == []
