"""The delivery module follows a render and posts it through any chat surface's outlet.

The outlet here is a minimal chat surface that keeps what it was asked to show; the render, the
upload fitting and the job events are real.
"""

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from reelwright.bot.delivery import UNEXPECTED, Delivery
from reelwright.bot.jobs import JobEvent
from reelwright.bot.service import ConversationService
from reelwright.records import Place, UserRef, VersionRecord
from reelwright.settings import Settings

ANN = UserRef("test", "ann", "Ann")


@dataclass
class Transcript:
    """A chat surface that keeps everything it is asked to show."""

    progress: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    results: list[tuple[int, Path | None, str, str]] = field(default_factory=list)
    removed: int = 0
    fail_posting: bool = False

    async def say(self, text: str) -> object:
        return text

    async def show_progress(self, message: object | None, event: JobEvent) -> object:
        self.progress.append(event.stage)
        return "progress"

    async def show_failure(self, message: object | None, reason: str) -> None:
        self.failures.append(reason)

    async def post_result(self, record: VersionRecord, file: Path | None, filename: str, note: str) -> None:
        if self.fail_posting:
            raise RuntimeError("the chat platform is down")
        assert file is not None and file.stat().st_size > 0
        self.results.append((record.number, file, filename, note))

    async def remove(self, message: object | None) -> None:
        self.removed += 1

    async def posted(self, name: str) -> bool:
        return any(filename in (f"{name}.mp4", f"{name}-preview.mp4") for _, _, filename, _ in self.results)

    def ref(self, message: object | None) -> str | None:
        return f"test:{message}" if message is not None else None

    def place(self) -> str:
        return "test:chat"

    def upload_limit(self) -> int:
        return 50 * 2**20


def deliver(settings: Settings, outlet: Transcript, limit: int = 50 * 2**20) -> None:
    async def scenario() -> None:
        service = ConversationService(settings)
        delivery = Delivery(service)
        try:
            version = await service.plan(ANN, "a 2 second video of a paper boat, no narration")
            delivery.spawn(delivery.render_and_post(outlet, ANN, version, limit))
            await delivery.finish(120)
        finally:
            await service.close()

    asyncio.run(scenario())


def test_a_render_is_followed_posted_and_its_progress_message_removed(settings: Settings) -> None:
    outlet = Transcript()
    deliver(settings, outlet)
    assert outlet.progress[0] == "queued" and len(outlet.progress) >= 2
    ((number, _, name, note),) = outlet.results
    assert (number, note) == (1, "") and name.endswith("-v1.mp4")
    assert outlet.removed == 1 and outlet.failures == []


def test_a_file_over_the_limit_is_refitted_or_previewed_with_a_note(settings: Settings) -> None:
    outlet = Transcript()
    deliver(settings, outlet, limit=20_000)
    ((_, _, name, note),) = outlet.results
    assert note and ("re-encoded" in note or ("preview" in note and name.endswith("-preview.mp4")))


def test_a_failure_while_posting_reaches_the_person_instead_of_only_the_log(settings: Settings) -> None:
    outlet = Transcript(fail_posting=True)
    deliver(settings, outlet)
    assert outlet.failures == [UNEXPECTED] and outlet.results == []


def test_results_whose_delivery_died_are_posted_once_by_the_next_process(settings: Settings) -> None:
    """A process that queued a job and died before posting leaves it in the outbox; the next process
    posts it where the job says (its stale progress message becomes the result), and only once."""
    outlet = Transcript()

    async def scenario() -> list[str]:
        service = ConversationService(settings)
        try:
            version = await service.plan(ANN, "a 2 second video of a paper boat, no narration")
            finished = await service.render(ANN, version.project_id, reply_ref="test:chat")
            await finished.result()
            await service.set_notice(finished.job_id, "test:progress-1")
            failed = service.repository.admit_job(version.project_id, 1, ANN, per_user=5, queue_limit=50, reply_ref="test:chat")
            service.repository.claim_job("gpu-1:1", 60, only={failed})
            service.repository.finish_job(failed, "gpu-1:1", "failed", error="The GPU worker ran out of memory.")

            seen: list[str] = []

            async def outlet_at(ref: str) -> tuple[Transcript, object]:
                seen.append(ref)
                return outlet, ref

            delivery = Delivery(service)
            assert await delivery.deliver_outbox("test", outlet_at) == 2
            assert await delivery.deliver_outbox("test", outlet_at) == 0  # delivered means delivered
            assert await service.outbox("test", set()) == []
            return seen
        finally:
            await service.close()

    seen = asyncio.run(scenario())
    assert seen == ["progress-1", "chat"]
    ((number, _, name, _),) = outlet.results
    assert number == 1 and name.endswith("-v1.mp4") and outlet.removed == 1
    assert outlet.failures == ["The GPU worker ran out of memory."]


def test_a_result_posted_by_a_process_that_died_before_marking_it_is_not_posted_again(settings: Settings) -> None:
    outlet = Transcript()

    async def scenario() -> int:
        service = ConversationService(settings)
        try:
            version = await service.plan(ANN, "a 2 second video of a paper boat, no narration")
            job = await service.render(ANN, version.project_id, reply_ref="test:chat")
            outcome = await job.result()
            # An earlier bot claimed the posting, posted the video, and was killed before marking it delivered.
            assert await service.claim_delivery(job.job_id, -1) == "first"  # its claim has run out since
            await Delivery(service).post(outlet, version, outcome, outlet.upload_limit())

            async def outlet_at(ref: str) -> tuple[Transcript, object]:
                return outlet, ref

            delivered = await Delivery(service).deliver_outbox("test", outlet_at)
            assert (await service.job(job.job_id)).delivered
            return delivered
        finally:
            await service.close()

    asyncio.run(scenario())
    assert len(outlet.results) == 1  # the one the dead process posted; nothing twice


def test_a_result_whose_thread_is_gone_is_posted_in_the_channel_the_project_was_made_in(settings: Settings) -> None:
    outlet = Transcript()
    asked: list[str] = []

    async def scenario() -> None:
        service = ConversationService(settings)
        try:
            version = await service.plan(ANN, "a 2 second video of a paper boat, no narration", place=Place("guild-1", "drafts"))
            job = await service.render(ANN, version.project_id, reply_ref="test:thread-7")
            await job.result()

            async def outlet_at(ref: str) -> tuple[Transcript, object] | None:
                asked.append(ref)
                return (outlet, None) if ref == "drafts" else None  # the thread was deleted

            assert await Delivery(service).deliver_outbox("test", outlet_at) == 1
        finally:
            await service.close()

    asyncio.run(scenario())
    assert asked == ["thread-7", "drafts"] and len(outlet.results) == 1
