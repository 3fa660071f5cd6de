"""Moderation and consent as the service applies them: every way in is checked, refusals leave only an audit row.

Real SQLite, the real planner and edit rules; the policy is the default one unless a guild set its own.
"""

import asyncio
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelwright.bot.service import CONSENT_STATEMENT, ConversationService
from reelwright.errors import BadRequest, ConsentNeeded, NotAllowed, NotFound, Refused
from reelwright.records import Place, UserRef
from reelwright.settings import Settings

ALICE = UserRef("discord", "1001", "alice")
BOB = UserRef("discord", "1002", "bob")
ADMIN = UserRef("discord", "1003", "admin")
HERE = Place("guild-1", "channel-1")


def rows(settings: Settings, sql: str) -> list[tuple]:
    with sqlite3.connect(settings.data_dir / "reelwright.db") as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture
def service(settings: Settings):
    service = ConversationService(settings)
    yield service
    asyncio.run(service.close())


def run(coroutine):
    return asyncio.run(coroutine)


def test_a_deceptive_request_is_refused_before_planning_and_only_the_refusal_is_kept(service, settings) -> None:
    with pytest.raises(Refused) as refused:
        run(service.plan(ALICE, "a realistic video of Joe Biden announcing a new war", place=HERE))
    assert "Refusal #1" in str(refused.value) and "/appeal" in str(refused.value)
    assert rows(settings, "SELECT count(*) FROM projects") == [(0,)]
    [(stage, category, guild, matched)] = rows(settings, "SELECT stage, category, guild_id, matched FROM refusals")
    assert (stage, category, guild) == ("request", "impersonation", "guild-1")
    assert "war" not in matched  # the matched term, not the request


def test_what_planning_writes_is_checked_too(service, settings) -> None:
    """A guild's blocked word that only the planner's wording contains still stops the plan."""
    run(service.update_policy("guild-1", ADMIN, block=["establishing"]))
    with pytest.raises(Refused):
        run(service.plan(ALICE, "a 4 second video of a lighthouse at night", place=HERE))
    assert rows(settings, "SELECT stage, location FROM refusals") == [("plan", "shot 1 prompt")]
    assert rows(settings, "SELECT count(*) FROM projects") == [(0,)]
    planned = run(service.plan(ALICE, "a 4 second video of a lighthouse at night", place=Place("guild-2", "c")))
    assert planned.number == 1  # another guild's policy is its own


def test_an_edit_cannot_bring_in_what_a_request_could_not(service, settings) -> None:
    version = run(service.plan(ALICE, "a 6 second video of a city street, 2 shots", place=HERE))
    for instruction in ("make shot 2 show Taylor Swift undressing", "make it breaking news footage of a bombing at the White House"):
        with pytest.raises(Refused):
            run(service.edit(ALICE, version.project_id, instruction))
    assert len(run(service.versions(version.project_id))) == 1
    assert {stage for (stage,) in rows(settings, "SELECT stage FROM refusals")} == {"edit"}


def test_a_version_made_before_the_policy_changed_is_checked_again_before_it_renders(service, settings) -> None:
    version = run(service.plan(ALICE, "a 4 second video of a lighthouse at night", place=HERE))
    run(service.update_policy("guild-1", ADMIN, block=["lighthouse"]))
    with pytest.raises(Refused):
        run(service.render(ALICE, version.project_id))
    assert rows(settings, "SELECT count(*) FROM jobs") == [(0,)]
    assert rows(settings, "SELECT stage FROM refusals") == [("render",)]


def test_a_guild_may_turn_a_general_category_off_but_never_a_deceptive_one(service) -> None:
    with pytest.raises(Refused):
        run(service.plan(ALICE, "a gory horror scene with blood and guts everywhere", place=HERE))
    run(service.update_policy("guild-1", ADMIN, disable=["graphic_violence"]))
    assert run(service.plan(ALICE, "a gory horror scene with blood and guts everywhere", place=HERE)).number == 1
    always, optional = service.moderation_categories()
    assert "graphic_violence" in optional
    assert {"minors", "sexual_real_person", "impersonation", "fake_news"} <= set(always)
    for deceptive in always:
        with pytest.raises(BadRequest):
            run(service.update_policy("guild-1", ADMIN, disable=[deceptive]))
    with pytest.raises(BadRequest):
        run(service.update_policy("guild-1", ADMIN, disable=["no-such-category"]))


def test_refusals_are_appealed_by_their_person_and_reviewed_by_their_guild(service) -> None:
    for request in ("deepfake of Taylor Swift", "a cartoon of a kid drawing"):
        with pytest.raises(Refused):
            run(service.plan(ALICE, request, place=HERE))
    with pytest.raises(Refused):
        run(service.plan(BOB, "fake news footage of an earthquake in Paris", place=Place("guild-2", "c")))
    listed = run(service.refusals("guild-1"))
    assert [record.user for record in listed] == [ALICE, ALICE]
    assert all(record.guild == "guild-1" for record in listed)
    newest = listed[0]
    with pytest.raises(NotFound):
        run(service.appeal(newest.id, BOB, "not mine"))
    appealed = run(service.appeal(newest.id, ALICE, "the kid is a young goat, honestly"))
    assert appealed.appeal == "the kid is a young goat, honestly"
    with pytest.raises(BadRequest):
        run(service.appeal(newest.id, ALICE, "again"))
    with pytest.raises(NotFound):
        run(service.review(newest.id, "guild-2", ADMIN, "overturned"))
    reviewed = run(service.review(newest.id, "guild-1", ADMIN, "overturned", "kid goat"))
    assert (reviewed.decision, reviewed.decided_by, reviewed.decision_note) == ("overturned", ADMIN, "kid goat")
    assert len(run(service.refusals(None, everywhere=True))) == 3


def test_an_admin_does_not_overturn_their_own_refusal(service) -> None:
    with pytest.raises(Refused):
        run(service.plan(ADMIN, "deepfake of Taylor Swift", place=HERE))
    [record] = run(service.refusals("guild-1"))
    with pytest.raises(NotAllowed):
        run(service.review(record.id, "guild-1", ADMIN, "overturned"))


def photo(path: Path) -> Path:
    Image.fromarray(np.tile(np.linspace(0, 255, 320, dtype=np.uint8), (240, 1))[..., None].repeat(3, 2)).save(path)
    return path


def test_animating_a_photo_needs_the_uploaders_confirmation_which_is_kept_with_the_project(service, settings, tmp_path) -> None:
    picture = photo(tmp_path / "me.png")
    with pytest.raises(ConsentNeeded):
        run(service.plan(ALICE, "animate my photo, 4 seconds", image=picture, place=HERE))
    assert rows(settings, "SELECT count(*) FROM projects") == [(0,)]
    version = run(service.plan(ALICE, "animate my photo, 4 seconds", image=picture, place=HERE, consent=True))
    [consent] = run(service.consents(version.project_id))
    assert (consent.user, consent.statement) == (ALICE, CONSENT_STATEMENT)
    assert consent.image_sha256 == version.plan.shots[0].source_image


def test_the_default_policy_comes_from_settings(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", llm_provider="template", moderation_blocked_words=["lighthouse"])
    service = ConversationService(settings)
    try:
        with pytest.raises(Refused):
            run(service.plan(UserRef("cli", "ann"), "a lighthouse at night"))
        [record] = run(service.refusals(None))
        assert (record.category, record.matched.lower()) == ("custom", "lighthouse")
    finally:
        run(service.close())
