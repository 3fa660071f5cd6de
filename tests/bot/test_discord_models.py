"""Choosing a video model in Discord: `/video model:` offers the presets installed on this server and
renders with the chosen one; anything else is refused before work starts."""

from __future__ import annotations

from pathlib import Path

import huggingface_hub.constants
import pytest
from discord_world import result_message, said, world
from tiny_diffusers import FAST_OPTIONS, into_hub_cache, wan_t2v

from reelwright.settings import Settings

pytestmark = [pytest.mark.asyncio, pytest.mark.simcord(settle_timeout=180)]


@pytest.fixture
def hub_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Hugging Face cache holding a (tiny) Wan 2.1 1.3B under its preset's hub id. huggingface_hub reads
    HF_HOME once at import, so the test points its cache constant here as HF_HOME would."""
    cache = tmp_path / "hf"
    into_hub_cache(wan_t2v(tmp_path / "built"), "Wan-AI/Wan2.1-T2V-1.3B-Diffusers", cache)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache / "hub"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    return cache


@pytest.fixture
def service_settings(tmp_path: Path, hub_cache: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", llm_provider="template", backend_options={"diffusers": FAST_OPTIONS})


async def test_video_renders_with_an_installed_model_chosen_by_name(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    offered = await simcord_env.bot.get_cog("Projects").installed_models(None, "wan")
    assert [choice.value for choice in offered] == ["wan2.1-t2v-1.3b"]

    await alice.slash(channel, "video", prompt="a fox in the snow, no narration", duration=2.0, model="wan2.1-t2v-1.3b")
    assert result_message(channel.threads[0]).attachments
    (project,) = await simcord_env.bot.service.history()
    _, version, _ = await simcord_env.bot.service.show(project.id)
    assert version.plan.video_model == "wan2.1-t2v-1.3b"


async def test_a_model_not_installed_here_is_refused_before_any_work(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    for model in ("ltx-video", "/etc", "someone/else"):
        refused = await alice.slash(channel, "video", prompt="a fox", duration=2.0, model=model)
        assert refused.ephemeral and "not a video model installed here" in said(refused)
    assert channel.threads == [] and await simcord_env.bot.service.history() == []
