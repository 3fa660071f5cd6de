"""The transformers provider: a chat model folder plans and edits through the same checks as the embedded model."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import torch
from tiny_chat_model import tiny_chat_model

from reelwright.agent.transformers_llm import TransformersModel
from reelwright.bot.service import ConversationService
from reelwright.errors import LLMUnavailable
from reelwright.records import UserRef
from reelwright.settings import Settings

ANN = UserRef("test", "ann")


@pytest.fixture(scope="module")
def chat_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.set_num_threads(1)
    return tiny_chat_model(tmp_path_factory.mktemp("chat"))


def test_a_chat_model_folder_writes_the_plan_and_its_noise_is_checked(chat_model: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", llm_provider="transformers", llm_model=str(chat_model))

    async def scenario():
        service = ConversationService(settings)
        try:
            planned = await service.plan(ANN, "a 6 second video of a lighthouse at night, 2 shots")
            edited = await service.edit(ANN, planned.project_id, "make shot 2 darker")
            return planned, edited
        finally:
            await service.close()

    planned, edited = asyncio.run(scenario())
    assert planned.planner.engine == "transformers" and planned.planner.model == str(chat_model)
    assert len(planned.plan.shots) == 2 and planned.plan.total_duration_s == 6
    assert all("lighthouse" in shot.prompt for shot in planned.plan.shots)  # the subject survives a noisy model
    assert edited.diff == ["shot 2 grade: brightness -0.3"]


def test_it_writes_one_line_and_gives_up_on_json_it_cannot_parse(chat_model: Path) -> None:
    model = TransformersModel(str(chat_model))
    line = model.write("You write narration.", "One line about the sea.", max_tokens=12)
    assert "\n" not in line.text and line.tokens <= 12
    with pytest.raises(Exception, match="no valid JSON"):
        model.complete_json("You edit plans.", "make it darker", {"type": "object"}, max_tokens=16)


def test_a_missing_model_is_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(LLMUnavailable, match="Could not load the language model"):
        TransformersModel(str(tmp_path / "nothing")).write("s", "u", max_tokens=4)
