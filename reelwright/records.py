"""Records every layer passes around: who is talking, and what the database holds about their work.

Plain frozen values read from storage; chat surfaces render them, the service returns them. They live
in the kernel so a chat adapter never needs to import storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reelwright.plan import PlannerInfo, Requirements, ShotPlan


@dataclass(frozen=True)
class UserRef:
    """Who is talking, on which surface (``cli``, ``terminal``, ``discord``)."""

    platform: str
    external_id: str
    display_name: str = ""


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
