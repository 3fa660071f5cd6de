"""The same models and migrations on PostgreSQL: plan, edit, render and verify against a real server.

Runs when ``REELWRIGHT_TEST_POSTGRES_URL`` names a database (``.ci/run`` starts Debian's PostgreSQL
and sets it); elsewhere it is skipped with that reason.
"""

import asyncio
import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from reelwright.bot.service import ConversationService
from reelwright.errors import BadRequest
from reelwright.records import Place, UserRef
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


def test_admission_is_one_step_and_visibility_holds_on_postgresql(database_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, llm_provider="template")
    ann, ben = UserRef("discord", "1", "ann"), UserRef("discord", "2", "ben")

    async def plan() -> tuple[ConversationService, str, str]:
        service = ConversationService(settings)
        in_guild = await service.plan(ann, "a 2 second video of a kite", place=Place("g1", "c1"))
        in_dm = await service.plan(ann, "a 2 second video of a secret", place=Place(None, "dm1"))
        return service, in_guild.project_id, in_dm.project_id

    service, in_guild, in_dm = asyncio.run(plan())
    admitted, refused = [], []

    def request() -> None:
        try:
            admitted.append(service.repository.admit_job(in_guild, 1, ann, per_user=2, queue_limit=50))
        except BadRequest:
            refused.append(1)

    threads = [threading.Thread(target=request) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(admitted), len(refused)) == (2, 4)

    claimed: list[int] = []

    def claim(worker: str) -> None:
        job = service.repository.claim_job(worker, 60)
        if job is not None:
            claimed.append(job.id)

    workers = [threading.Thread(target=claim, args=(f"gpu-{n}:1",)) for n in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(claimed) == sorted(admitted)  # six workers at once: each job taken exactly once

    seen_by_ben = [p.id for p in service.repository.projects(ann, visible_to=ben, guild="g1")]
    assert seen_by_ben == [in_guild]  # ann's DM project never shows
    assert {p.id for p in service.repository.projects(visible_to=ann)} == {in_guild, in_dm}
    asyncio.run(service.close())


def test_edits_at_the_same_moment_all_land_on_postgresql(database_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, llm_provider="template")
    instructions = ["make it 9:16", "make shot 1 darker", "no narration", "make shot 2 brighter"]

    async def scenario():
        service = ConversationService(settings)
        try:
            user = UserRef("test", "pg")
            version = await service.plan(user, "a 6 second video of a harbour at night, 2 shots")
            await asyncio.gather(*(service.edit(user, version.project_id, instruction) for instruction in instructions))
            return (await service.show(version.project_id))[1]
        finally:
            await service.close()

    latest = asyncio.run(scenario())
    assert latest.number == 1 + len(instructions)
    assert latest.plan.aspect == "9:16" and not latest.plan.narration
    assert latest.plan.shots[0].grade.brightness < 0 < latest.plan.shots[1].grade.brightness
