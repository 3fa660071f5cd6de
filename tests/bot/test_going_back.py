"""Going back to an earlier version by saying so: "undo", "go back to version 2", "the original was better".

The real service on SQLite; going back stores a new version with the earlier plan, and its render reuses
every clip the earlier version made.
"""

import asyncio

import pytest

from reelwright.agent.revert import GoBack, going_back
from reelwright.bot.service import ConversationService
from reelwright.errors import BadRequest, NotFound
from reelwright.records import UserRef
from reelwright.settings import Settings

ANN = UserRef("test", "ann", "Ann")


@pytest.mark.parametrize(
    ("instruction", "ask"),
    [
        ("undo", GoBack(None)),
        ("Undo that!", GoBack(None)),
        ("please undo the last change", GoBack(None)),
        ("go back", GoBack(None)),
        ("revert", GoBack(None)),
        ("ugh, the previous version was better", GoBack(None)),
        ("go back to the previous version", GoBack(None)),
        ("go back to version 2", GoBack(2)),
        ("back to v3 please", GoBack(3)),
        ("restore version 4", GoBack(4)),
        ("use take 2 again", GoBack(2)),
        ("version 2 was better", GoBack(2)),
        ("go back to the original", GoBack(1)),
        ("the first version was better", GoBack(1)),
    ],
)
def test_ways_of_asking_to_go_back(instruction: str, ask: GoBack) -> None:
    assert going_back(instruction) == ask


@pytest.mark.parametrize(
    "instruction",
    [
        "undo the music",
        "go back to the beach in shot 2",
        "make shot 2 like version 1 but darker",
        "reverse the order",
        "add a shot of a road going back",
    ],
)
def test_an_instruction_that_asks_for_more_than_going_back_is_an_edit(instruction: str) -> None:
    assert going_back(instruction) is None


def test_undo_goes_back_one_step_at_a_time_and_a_named_version_comes_back_as_it_was(settings: Settings) -> None:
    async def scenario() -> list[tuple[int, list[str], bool, float]]:
        service = ConversationService(settings)
        try:
            first = await service.plan(ANN, "a 4 second video of a lighthouse at night, 2 shots")
            project = first.project_id
            await service.edit(ANN, project, "make it darker")
            await service.edit(ANN, project, "no narration")
            seen = []
            for instruction in ("undo", "undo", "go back to version 3"):
                version = await service.edit(ANN, project, instruction)
                seen.append((version.number, version.diff[:1], version.plan.narration, version.plan.shots[0].grade.brightness))
            after_going_back = await service.edit(ANN, project, "undo")  # version 6 shows version 3: undo shows version 2
            seen.append((after_going_back.number, after_going_back.diff[:1], after_going_back.plan.narration, 0.0))
            return seen
        finally:
            await service.close()

    seen = asyncio.run(scenario())
    assert seen[0][:3] == (4, ["back to version 2"], True) and seen[0][3] < 0  # darker, narrated
    assert seen[1][:3] == (5, ["back to version 1"], True) and seen[1][3] == 0
    assert seen[2][:3] == (6, ["back to version 3"], False) and seen[2][3] < 0
    assert seen[3][:3] == (7, ["back to version 2"], True)


def test_undo_of_the_first_version_and_a_version_that_does_not_exist_are_clear(settings: Settings) -> None:
    async def scenario() -> None:
        service = ConversationService(settings)
        try:
            project = (await service.plan(ANN, "a 4 second video of a kite")).project_id
            with pytest.raises(BadRequest, match="nothing to undo: this is the first version"):
                await service.edit(ANN, project, "undo")
            with pytest.raises(NotFound, match="no version 7; the latest is version 1"):
                await service.edit(ANN, project, "go back to version 7")
            await service.edit(ANN, project, "make it warmer")
            with pytest.raises(BadRequest, match="already is what version 2 was"):
                await service.edit(ANN, project, "back to version 2")
        finally:
            await service.close()

    asyncio.run(scenario())


def test_going_back_renders_from_the_earlier_versions_clips(settings: Settings) -> None:
    async def scenario() -> tuple[int, int]:
        service = ConversationService(settings)
        try:
            project = (await service.plan(ANN, "a 4 second video of a kite, 2 shots, no narration")).project_id
            await (await service.render(ANN, project)).result()
            await service.edit(ANN, project, "make it black and white")
            await (await service.render(ANN, project)).result()
            back = await service.edit(ANN, project, "undo")
            outcome = await (await service.render(ANN, project, back.number)).result()
            return len(outcome.shots), len(outcome.rerendered)
        finally:
            await service.close()

    shots, rerendered = asyncio.run(scenario())
    assert shots == 2 and rerendered == 0
