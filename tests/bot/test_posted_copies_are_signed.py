"""What is posted is always signed: a copy re-encoded to fit a chat's upload limit, or a shorter preview,
carries content credentials naming the original as its ingredient, and keeps the watermark and label."""

import asyncio
from pathlib import Path

import pytest

from reelwright.bot.service import ConversationService
from reelwright.generation.verification import Verdict
from reelwright.records import UserRef
from reelwright.settings import Settings

USER = UserRef("test", "alice", "Alice")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path, str]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), llm_provider="template")

    async def scenario() -> tuple[Path, str]:
        service = ConversationService(settings)
        try:
            version = await service.plan(USER, "an 8 second video of waves on a beach at noon, 2 shots")
            outcome = await (await service.render(USER, version.project_id)).result()
            return outcome.path, version.project_id
        finally:
            await service.close()

    return settings, *asyncio.run(scenario())


def fit_and_verify(settings: Settings, video: Path, limit: int, workdir: Path):
    async def scenario():
        service = ConversationService(settings)
        try:
            fitted, preview = await service.fit_for_upload(video, limit, workdir)
            posted = fitted or preview
            assert posted is not None
            return fitted, preview, await service.verify(posted)
        finally:
            await service.close()

    return asyncio.run(scenario())


def test_a_copy_reencoded_to_fit_is_signed_with_the_original_as_ingredient(rendered, tmp_path: Path) -> None:
    settings, video, project_id = rendered
    limit = video.stat().st_size * 2 // 3
    fitted, preview, check = fit_and_verify(settings, video, limit, tmp_path)
    assert fitted is not None and preview is None and fitted.stat().st_size <= limit
    credentials = check.marks.credentials
    assert credentials.state == "valid" and credentials.ai_generated and credentials.project_id == project_id
    assert {action.name for action in credentials.actions} & {"c2pa.transcoded", "c2pa.resized"}
    assert len(credentials.ingredient_titles) == 1
    assert check.verdict == Verdict.INTACT and check.project == (project_id, 1)


def test_a_shorter_preview_is_signed_as_trimmed(rendered, tmp_path: Path) -> None:
    settings, video, project_id = rendered
    limit = 120_000  # under what even a half-size re-encode of 8 s needs: only a preview can fit
    fitted, preview, check = fit_and_verify(settings, video, limit, tmp_path)
    assert fitted is None and preview is not None and preview.stat().st_size <= limit
    credentials = check.marks.credentials
    assert credentials.state == "valid" and "c2pa.trimmed" in {action.name for action in credentials.actions}
    assert check.project == (project_id, 1)
