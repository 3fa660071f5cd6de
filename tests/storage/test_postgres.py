"""The same models and migrations on PostgreSQL: plan, edit, render and verify against a real server.

Runs when ``REELWRIGHT_TEST_POSTGRES_URL`` names a database (``.ci/run`` starts Debian's PostgreSQL
and sets it); elsewhere it is skipped with that reason.
"""

import asyncio
import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from reelwright.bot.service import ConversationService
from reelwright.records import UserRef
from reelwright.settings import Settings

URL = os.environ.get("REELWRIGHT_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not URL, reason="REELWRIGHT_TEST_POSTGRES_URL is not set (.ci/run sets it)")


@pytest.fixture
def database_url() -> str:
    assert URL is not None
    engine = create_engine(URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return URL


def test_a_project_round_trips_through_postgresql(database_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, llm_provider="template")

    async def scenario():
        service = ConversationService(settings)
        user = UserRef("test", "pg")
        version = await service.plan(user, "a 3 second video of a red door, no narration")
        first = await (await service.render(user, version.project_id)).result()
        edited = await service.edit(user, version.project_id, "make shot 1 darker")
        second = await (await service.render(user, version.project_id)).result()
        check = await service.verify(second.path)
        projects = await service.history(user)
        await service.close()
        return version, first, edited, second, check, projects

    version, first, edited, second, check, projects = asyncio.run(scenario())
    assert edited.number == 2 and edited.diff == ["shot 1 grade: brightness -0.3"]
    assert check.render is not None and (check.render.project_id, check.render.version) == (version.project_id, 2)
    assert [p.id for p in projects] == [version.project_id] and projects[0].latest_version == 2
    assert first.render_id != second.render_id
