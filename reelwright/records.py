"""Records every layer passes around: who is talking, and what the database holds about their work.

Plain frozen values read from storage; chat surfaces render them, the service returns them. They live
in the kernel so a chat adapter never needs to import storage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reelwright.plan import PlannerInfo, Requirements, ShotPlan


@dataclass(frozen=True)
class UserRef:
    """Who is talking, on which surface (``cli``, ``terminal``, ``discord``). The same person whatever
    their display name is today: only the surface and id are compared."""

    platform: str
    external_id: str
    display_name: str = field(default="", compare=False)


@dataclass(frozen=True)
class Place:
    """Where in a chat something was asked: a Discord guild and channel (or DM channel, with no guild).

    Projects record the place they were made in: moderator rights and visibility follow it. Local
    surfaces (the CLI, the terminal chat) have no place.
    """

    guild: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class VersionRecord:
    project_id: str
    number: int
    plan: ShotPlan
    instruction: str
    diff: list[str]
    planner: PlannerInfo
    created_at: datetime


@dataclass(frozen=True)
class RenderRecord:
    id: int
    project_id: str
    version: int
    output_path: str
    output_sha256: str
    shots: list[dict[str, Any]]
    seconds: float
    created_at: datetime
    #: "composing", "done" or "failed": a failed render keeps its row, so its watermark id stays its own.
    status: str = "done"


@dataclass(frozen=True)
class ProjectRecord:
    id: str
    title: str
    request: str
    owner: str
    requirements: Requirements
    latest_version: int
    created_at: datetime
    #: The place the project was made in (``Place``); a project with no guild is private to its people.
    guild: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class JobRecord:
    id: int
    project_id: str
    version: int
    status: str
    stage: str
    progress: float
    error: str | None
    render_id: int | None
    requested_by: UserRef | None = None
    title: str = ""
    #: What to produce and where to answer (``Job`` in storage says more); how many workers took it.
    output_path: str | None = None
    upload_limit: int | None = None
    reply_ref: str | None = None
    notice_ref: str | None = None
    queue: str = "cpu"
    attempts: int = 0
    worker: str | None = None
    error_code: int | None = None
    error_chat: str | None = None
    delivered: bool = False
    #: When it was asked for (UTC): a file at ``output_path`` written after this is someone else's.
    queued_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status in ("succeeded", "failed", "cancelled")


@dataclass(frozen=True)
class RefusalRecord:
    """A refused request for the audit: what was refused and why, never the text that was asked."""

    id: int
    user: UserRef | None
    guild: str | None
    project_id: str | None
    stage: str
    category: str
    location: str
    matched: str
    created_at: datetime
    appeal: str | None = None
    decision: str | None = None
    decided_by: UserRef | None = None
    decision_note: str | None = None


@dataclass(frozen=True)
class ConsentRecord:
    """The uploader's confirmation recorded with a project made from their photo."""

    project_id: str
    user: UserRef
    image_sha256: str
    statement: str
    created_at: datetime


@dataclass(frozen=True)
class ClonedVoiceRecord:
    """A person's cloned voice (plan voice ``clone:NAME``): only its owner's projects may use it."""

    id: int
    owner: UserRef
    name: str
    sample_sha256: str
    sample_seconds: float
    statement: str
    created_at: datetime
