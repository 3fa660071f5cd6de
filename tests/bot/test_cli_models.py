"""`reelwright models` and `--model`, offline: presets listed, a pull that cannot download says what is
missing and how to get it, and a model in the Hugging Face cache makes a video with no network. The
talking-portrait model (Wan2.2-S2V) is managed the same way, its download judged by its own published layout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import Cli, ffprobe
from tiny_diffusers import FAST_OPTIONS, into_hub_cache, t5_tokenizer, wan_t2v

from reelwright.generation import wan_s2v
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


def s2v_download(folder: Path, without: str | None = None) -> Path:
    """The files Wan-AI/Wan2.2-S2V-14B publishes, in its layout, each weight file one tiny tensor (model management
    judges a download by this layout; tests/generation/test_wan_s2v.py runs a working tiny set). ``without``: one
    published file or folder left out, as an interrupted download leaves it."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"_class_name": "WanModel_S2V", "model_type": "s2v"}), encoding="utf-8")
    for index in (1, 2):
        save_file({"weight": torch.zeros(4)}, str(folder / f"diffusion_pytorch_model-0000{index}-of-00002.safetensors"))
    for name in (wan_s2v.TEXT_ENCODER_FILE, wan_s2v.VAE_FILE):
        if name != without:
            torch.save({"weight": torch.zeros(4)}, folder / name)
    if without != wan_s2v.AUDIO_FOLDER:
        (folder / wan_s2v.AUDIO_FOLDER).mkdir()
        (folder / wan_s2v.AUDIO_FOLDER / "config.json").write_text(json.dumps({"model_type": "wav2vec2"}), encoding="utf-8")
    t5_tokenizer(folder / wan_s2v.TOKENIZER_FOLDER)
    return folder


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


def test_models_list_shows_the_talking_portrait_model_in_its_own_role(offline: Cli) -> None:
    listed = offline.ok("models", "list")
    assert [model["id"] for model in listed["talking_models"]] == ["wan2.2-s2v-14b"]
    s2v = listed["talking_models"][0]
    assert s2v["role"] == "talking" and s2v["backend"] == "wan-s2v"
    assert s2v["title"] == "Wan2.2-S2V 14B talking portrait (photo + speech, 480p, 16 fps)"
    assert (s2v["hub_id"], s2v["revision"], s2v["licence"]) == ("Wan-AI/Wan2.2-S2V-14B", "main", "Apache-2.0")
    assert s2v["memory_gb"] == {"none": 80, "model-offload": 40, "group-offload": 20} and "estimate" in s2v["memory_source"]
    assert (s2v["steps"], s2v["guidance"], s2v["downloaded"]) == (40, 4.5, False)
    assert s2v["rules"]["fps"] == 16 and s2v["rules"]["needs_image"] is True and s2v["speech_sample_rate"] == 16000
    assert "wan2.2-s2v-14b" not in {model["id"] for model in listed["models"]}

    offline.env["COLUMNS"] = "200"
    row = next(line for line in offline("models", "list").stdout.splitlines() if "wan2.2-s2v-14b" in line)
    assert "talking" in row and "832x448, 16" in row and "80 / 40 / 20" in row


def test_a_talking_model_pull_without_network_names_its_own_missing_files(offline: Cli) -> None:
    info = offline.ok("models", "info", "wan2.2-s2v-14b")
    assert info["role"] == "talking" and info["downloaded"] is False and info["path"] is None
    assert info["missing"] == [
        "diffusion_pytorch_model*.safetensors",
        "models_t5_umt5-xxl-enc-bf16.pth",
        "Wan2.1_VAE.pth",
        "wav2vec2-large-xlsr-53-english/",
        "google/umt5-xxl/",
    ]

    refused = offline("models", "pull", "wan2.2-s2v-14b")
    assert refused.code == 5 and "Traceback" not in refused.stderr
    assert "Wan2.1_VAE.pth" in refused.stderr and "model_index.json" not in refused.stderr
    assert "reelwright models pull wan2.2-s2v-14b" in refused.stderr and "hf download Wan-AI/Wan2.2-S2V-14B" in refused.stderr


def test_a_talking_model_in_the_hugging_face_cache_is_complete_pulls_offline_and_can_be_removed(offline: Cli, tmp_path: Path) -> None:
    snapshot = into_hub_cache(s2v_download(tmp_path / "s2v"), "Wan-AI/Wan2.2-S2V-14B", tmp_path / "hf")

    info = offline.ok("models", "info", "wan2.2-s2v-14b")
    assert info["downloaded"] is True and info["missing"] == [] and info["path"] == str(snapshot)
    assert offline.ok("models", "info", "Wan-AI/Wan2.2-S2V-14B")["missing"] == []  # the hub id is judged by the same layout
    assert offline.ok("models", "list")["talking_models"][0]["downloaded"] is True

    pulled = offline.ok("models", "pull", "wan2.2-s2v-14b")  # offline, a pull finds what the cache already has
    assert pulled["hub_id"] == "Wan-AI/Wan2.2-S2V-14B" and pulled["size_bytes"] > 0

    assert offline.ok("models", "remove", "wan2.2-s2v-14b")["freed_bytes"] > 0
    assert offline.ok("models", "info", "wan2.2-s2v-14b")["downloaded"] is False


def test_a_talking_model_downloaded_in_part_says_what_it_still_lacks(offline: Cli, tmp_path: Path) -> None:
    into_hub_cache(s2v_download(tmp_path / "s2v", without=wan_s2v.VAE_FILE), "Wan-AI/Wan2.2-S2V-14B", tmp_path / "hf")

    info = offline.ok("models", "info", "wan2.2-s2v-14b")
    assert info["downloaded"] is True and info["missing"] == ["Wan2.1_VAE.pth"]


def test_the_talking_backend_takes_the_preset_id_and_reads_the_pulled_files(offline: Cli, tmp_path: Path) -> None:
    snapshot = into_hub_cache(s2v_download(tmp_path / "s2v"), "Wan-AI/Wan2.2-S2V-14B", tmp_path / "hf")
    env = offline.env | {
        "REELWRIGHT_TALKING_BACKEND": "wan-s2v",
        "REELWRIGHT_BACKEND_OPTIONS": json.dumps({"wan-s2v": {"model": "wan2.2-s2v-14b"}}),
    }
    script = (
        "from reelwright.generation.backends import build_talking; from reelwright.settings import Settings; "
        "print(build_talking(Settings()).files.folder)"
    )
    built = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300, check=False)
    assert built.returncode == 0, built.stderr[-2000:]
    assert built.stdout.strip() == str(snapshot)
