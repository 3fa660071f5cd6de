"""Every read and write of Reelwright's records, one short transaction each.

Callers get plain values (pydantic plans, dataclasses), never live ORM objects, so nothing outside
this module can leave a half-written row behind.
"""

from __future__ import annotations

import os
import secrets
import socket
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from reelwright.errors import NotFound, StorageError
from reelwright.plan import PlannerInfo, Requirements, ShotPlan
from reelwright.records import JobRecord, ProjectRecord, RenderRecord, UserRef, VersionRecord
from reelwright.storage.models import Conversation, Job, Message, PlanVersion, Project, ProjectShare, Render, User, utcnow

ACTIVE_JOB_STATES = ("queued", "running")


class Repository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def _write(self) -> AbstractContextManager[Session]:
        """A session in a transaction that commits on success and rolls back on error."""
        return self.sessions.begin()

    # users and conversations
    def user_id(self, session: Session, user: UserRef) -> int:
        row = session.scalar(select(User).where(User.platform == user.platform, User.external_id == user.external_id))
        if row is None:
            row = User(platform=user.platform, external_id=user.external_id, display_name=user.display_name)
            session.add(row)
            session.flush()
        return row.id

    def start_conversation(self, user: UserRef, surface: str, external_ref: str | None = None) -> int:
        with guarded(self._write()) as session:
            conversation = Conversation(user_id=self.user_id(session, user), surface=surface, external_ref=external_ref)
            session.add(conversation)
            session.flush()
            return conversation.id

    def conversation_by_ref(self, surface: str, external_ref: str) -> tuple[int, str | None] | None:
        """The conversation bound to a chat place (a Discord thread), with its project."""
        with self.sessions() as session:
            conversation = session.scalars(
                select(Conversation)
                .where(Conversation.surface == surface, Conversation.external_ref == external_ref)
                .order_by(Conversation.id.desc())
                .limit(1)
            ).first()
            return (conversation.id, conversation.project_id) if conversation else None

    def bind_conversation(self, conversation_id: int, project_id: str, external_ref: str | None = None) -> None:
        with guarded(self._write()) as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None:
                raise NotFound(f"No conversation {conversation_id}.")
            conversation.project_id = project_id
            if external_ref is not None:
                conversation.external_ref = external_ref

    def preferences(self, user: UserRef) -> dict[str, Any]:
        with self.sessions() as session:
            row = session.scalar(select(User).where(User.platform == user.platform, User.external_id == user.external_id))
            return dict(row.preferences or {}) if row else {}

    def set_preferences(self, user: UserRef, preferences: dict[str, Any]) -> None:
        with guarded(self._write()) as session:
            row = session.get(User, self.user_id(session, user))
            assert row is not None
            row.preferences = preferences

    # access
    def is_owner_or_shared(self, project_id: str, user: UserRef) -> bool:
        with self.sessions() as session:
            project = session.get(Project, project_id)
            if project is None:
                raise NotFound(f"No project {project_id!r}.")
            row = session.scalar(select(User).where(User.platform == user.platform, User.external_id == user.external_id))
            if row is None:
                return False
            return project.owner_id == row.id or session.get(ProjectShare, (project_id, row.id)) is not None

    def share(self, project_id: str, user: UserRef) -> None:
        with guarded(self._write()) as session:
            if session.get(Project, project_id) is None:
                raise NotFound(f"No project {project_id!r}.")
            user_id = self.user_id(session, user)
            if session.get(ProjectShare, (project_id, user_id)) is None:
                session.add(ProjectShare(project_id=project_id, user_id=user_id))

    def conversation_project(self, conversation_id: int) -> str | None:
        with self.sessions() as session:
            conversation = session.get(Conversation, conversation_id)
            return conversation.project_id if conversation else None

    def record_turn(
        self, conversation_id: int | None, user: UserRef, surface: str, said: str, reply: str, project_id: str, version: int
    ) -> int:
        """Store one turn (what the person said and the reply) in one transaction; the conversation's id.

        Called only after the turn succeeded, so a refused request leaves no rows. Without a
        conversation id a new conversation is started, bound to the project.
        """
        with guarded(self._write()) as session:
            if conversation_id is None:
                conversation = Conversation(user_id=self.user_id(session, user), surface=surface, project_id=project_id)
                session.add(conversation)
                session.flush()
            else:
                found = session.get(Conversation, conversation_id)
                if found is None:
                    raise NotFound(f"No conversation {conversation_id}.")
                conversation = found
                conversation.project_id = project_id
            session.add(Message(conversation_id=conversation.id, role="user", text=said))
            session.add(Message(conversation_id=conversation.id, role="assistant", text=reply, project_id=project_id, version=version))
            return conversation.id

    def transcript(self, conversation_id: int) -> list[tuple[str, str]]:
        """(role, text) of every message of a conversation, oldest first."""
        with self.sessions() as session:
            rows = session.scalars(select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id))
            return [(row.role, row.text) for row in rows]

    # projects and versions
    def create_project(
        self, user: UserRef, request: str, requirements: Requirements, plan: ShotPlan, planner: PlannerInfo
    ) -> VersionRecord:
        with guarded(self._write()) as session:
            project = Project(
                id=secrets.token_hex(4),
                owner_id=self.user_id(session, user),
                title=plan.title,
                request=request,
                requirements=requirements.model_dump(mode="json"),
            )
            session.add(project)
            session.flush()
            version = PlanVersion(
                project_id=project.id,
                number=1,
                plan=plan.model_dump(mode="json"),
                instruction=request,
                planner_info=planner.model_dump(mode="json", exclude_none=True),
            )
            session.add(version)
            session.flush()
            return _version_record(version)

    def add_version(
        self, project_id: str, plan: ShotPlan, instruction: str, diff: list[str], requirements: Requirements, planner: PlannerInfo
    ) -> VersionRecord:
        with guarded(self._write()) as session:
            project = session.get(Project, project_id)
            if project is None:
                raise NotFound(f"No project {project_id!r}.")
            number = (session.scalar(select(func.max(PlanVersion.number)).where(PlanVersion.project_id == project_id)) or 0) + 1
            version = PlanVersion(
                project_id=project_id,
                number=number,
                plan=plan.model_dump(mode="json"),
                instruction=instruction,
                diff=diff,
                planner_info=planner.model_dump(mode="json", exclude_none=True),
            )
            project.title = plan.title
            project.requirements = requirements.model_dump(mode="json")
            project.updated_at = utcnow()
            session.add(version)
            session.flush()
            return _version_record(version)

    def project(self, project_id: str) -> ProjectRecord:
        with self.sessions() as session:
            project = session.get(Project, project_id)
            if project is None:
                raise NotFound(f"No project {project_id!r}. `reelwright history` lists your projects.")
            return self._project_record(session, project)

    def projects(self, user: UserRef | None = None, limit: int = 50) -> list[ProjectRecord]:
        with self.sessions() as session:
            query = select(Project).order_by(Project.updated_at.desc()).limit(limit)
            if user is not None:
                query = query.join(User).where(User.platform == user.platform, User.external_id == user.external_id)
            return [self._project_record(session, project) for project in session.scalars(query)]

    def _project_record(self, session: Session, project: Project) -> ProjectRecord:
        latest = session.scalar(select(func.max(PlanVersion.number)).where(PlanVersion.project_id == project.id)) or 0
        owner = session.get(User, project.owner_id)
        return ProjectRecord(
            id=project.id,
            title=project.title,
            request=project.request,
            owner=owner.display_name or owner.external_id if owner else "",
            requirements=Requirements.model_validate(project.requirements),
            latest_version=latest,
            created_at=project.created_at,
        )

    def version(self, project_id: str, number: int | None = None) -> VersionRecord:
        with self.sessions() as session:
            query = select(PlanVersion).where(PlanVersion.project_id == project_id)
            query = query.where(PlanVersion.number == number) if number else query.order_by(PlanVersion.number.desc())
            version = session.scalars(query.limit(1)).first()
            if version is None:
                if session.get(Project, project_id) is None:
                    raise NotFound(f"No project {project_id!r}. `reelwright history` lists your projects.")
                raise NotFound(f"Project {project_id} has no version {number}.")
            return _version_record(version)

    def versions(self, project_id: str) -> list[VersionRecord]:
        with self.sessions() as session:
            rows = session.scalars(select(PlanVersion).where(PlanVersion.project_id == project_id).order_by(PlanVersion.number))
            return [_version_record(row) for row in rows]

    # jobs and renders
    def create_job(self, project_id: str, version: int, user: UserRef | None, worker: str | None = None) -> int:
        with guarded(self._write()) as session:
            job = Job(
                kind="render",
                project_id=project_id,
                version=version,
                requested_by=self.user_id(session, user) if user else None,
                worker=worker or this_worker(),
            )
            session.add(job)
            session.flush()
            return job.id

    def update_job(self, job_id: int, **fields: Any) -> None:
        with guarded(self._write()) as session:
            job = session.get(Job, job_id)
            if job is None:
                return
            if fields.get("status") == "running" and job.started_at is None:
                job.started_at = utcnow()
            if fields.get("status") in {"succeeded", "failed", "cancelled"}:
                job.finished_at = utcnow()
            for key, value in fields.items():
                setattr(job, key, value)

    def job(self, job_id: int) -> JobRecord:
        with self.sessions() as session:
            job = session.get(Job, job_id)
            if job is None:
                raise NotFound(f"No job {job_id}.")
            return _job_record(job)

    def active_jobs(self, user: UserRef | None = None) -> list[JobRecord]:
        with self.sessions() as session:
            query = select(Job).where(Job.status.in_(ACTIVE_JOB_STATES)).order_by(Job.id)
            if user is not None:
                query = query.join(User, Job.requested_by == User.id).where(
                    User.platform == user.platform, User.external_id == user.external_id
                )
            return [_job_record(job) for job in session.scalars(query)]

    def begin_render(self, project_id: str, version: int) -> int:
        """Reserve a render id (the watermark payload) before the file is composed."""
        with guarded(self._write()) as session:
            render = Render(project_id=project_id, version=version)
            session.add(render)
            session.flush()
            return render.id

    def complete_render(self, render_id: int, output_sha256: str, output_path: str, shots: list[dict[str, Any]], seconds: float) -> None:
        with guarded(self._write()) as session:
            render = session.get(Render, render_id)
            if render is None:
                raise NotFound(f"No render {render_id}.")
            render.status, render.output_sha256, render.output_path = "done", output_sha256, output_path
            render.shots, render.seconds = shots, seconds

    def fail_render(self, render_id: int) -> None:
        """Mark an unfinished render failed. The row stays: its id is a watermark payload that must never
        be given to another render (SQLite reuses the id of a deleted last row) and stays attributable."""
        with guarded(self._write()) as session:
            render = session.get(Render, render_id)
            if render is not None and render.status != "done":
                render.status = "failed"

    def render(self, render_id: int) -> RenderRecord | None:
        """The render a watermark payload names, finished or not."""
        with self.sessions() as session:
            render = session.get(Render, render_id)
            return _render_record(render) if render is not None else None

    def latest_render(self, project_id: str, version: int) -> RenderRecord | None:
        with self.sessions() as session:
            render = session.scalars(
                select(Render)
                .where(Render.project_id == project_id, Render.version == version, Render.status == "done")
                .order_by(Render.id.desc())
                .limit(1)
            ).first()
            return _render_record(render) if render else None

    def recover_interrupted(self) -> int:
        """Fail jobs whose process on this host is gone, and their unfinished renders.

        Jobs of live processes (a bot running beside this CLI) and of other hosts are left alone.
        """
        with guarded(self._write()) as session:
            jobs = [job for job in session.scalars(select(Job).where(Job.status.in_(ACTIVE_JOB_STATES))) if worker_is_gone(job.worker)]
            for job in jobs:
                if job.render_id is not None:
                    render = session.get(Render, job.render_id)
                    if render is not None and render.status != "done":
                        render.status = "failed"
                job.status, job.stage, job.error, job.finished_at = "failed", "interrupted", "Interrupted by a restart.", utcnow()
            return len(jobs)


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_is_gone(worker: str | None) -> bool:
    if not worker or ":" not in worker:
        return True
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class guarded:
    """A write transaction whose database errors become one clear ``StorageError``."""

    def __init__(self, transaction: AbstractContextManager[Session]) -> None:
        self.transaction = transaction

    def __enter__(self) -> Session:
        try:
            return self.transaction.__enter__()
        except OperationalError as error:
            raise _storage_error(error) from error

    def __exit__(self, *exc: Any) -> None:  # never swallows an exception: the transaction rolls back and it propagates
        try:
            self.transaction.__exit__(*exc)
        except OperationalError as error:
            raise _storage_error(error) from error


def _storage_error(error: OperationalError) -> StorageError:
    reason = str(error.orig) if error.orig is not None else str(error)
    return StorageError(f"The database cannot be written: {reason}.")


def _version_record(row: PlanVersion) -> VersionRecord:
    return VersionRecord(
        row.project_id,
        row.number,
        ShotPlan.model_validate(row.plan),
        row.instruction,
        list(row.diff or []),
        PlannerInfo.model_validate(row.planner_info or {"engine": "unknown"}),
        row.created_at,
    )


def _render_record(row: Render) -> RenderRecord:
    return RenderRecord(
        row.id,
        row.project_id,
        row.version,
        row.output_path or "",
        row.output_sha256 or "",
        list(row.shots or []),
        row.seconds,
        row.created_at,
        row.status,
    )


def _job_record(row: Job) -> JobRecord:
    return JobRecord(row.id, row.project_id, row.version, row.status, row.stage, row.progress, row.error, row.render_id)
