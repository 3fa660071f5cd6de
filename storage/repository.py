"""Every read and write of Reelwright's records, one short transaction each.

Callers get plain values (pydantic plans, dataclasses), never live ORM objects, so nothing outside
this module can leave a half-written row behind.
"""

from __future__ import annotations

import math
import os
import re
import secrets
import socket
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from reelwright.access import Role
from reelwright.errors import BadRequest, Busy, Conflict, NotFound, StorageError
from reelwright.plan import PlannerInfo, Requirements, ShotPlan
from reelwright.records import (
    ClonedVoiceRecord,
    ConsentRecord,
    JobRecord,
    Place,
    ProjectRecord,
    RefusalRecord,
    RenderRecord,
    UserRef,
    VersionRecord,
)
from reelwright.storage.models import (
    Artifact,
    ClonedVoice,
    Consent,
    Conversation,
    GuildPolicy,
    Job,
    Message,
    PlanVersion,
    Project,
    ProjectShare,
    Refusal,
    Render,
    User,
    utcnow,
)

ACTIVE_JOB_STATES = ("queued", "running")
TERMINAL_JOB_STATES = ("succeeded", "failed", "cancelled")
#: Any fixed number: the PostgreSQL advisory lock taken while a job is admitted or claimed (SQLite: BEGIN IMMEDIATE).
JOB_LOCK_ID = 0x5EE1_0002
#: The lock taken while a voice is added, so two clones sent at once cannot pass the limit together.
VOICE_LOCK_ID = 0x5EE1_0003
#: How many cloned voices one person may keep.
MAX_CLONED_VOICES = 10
#: A voice name travels in plans (``clone:NAME``) and chat commands: plain ASCII, nothing to escape or confuse.
VOICE_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}")
#: Assumed length of a render before any has finished, for "try again in ~N min".
DEFAULT_RENDER_S = 60.0
#: How many workers may take a job (one whose worker died is taken over) before it is failed.
DEFAULT_MAX_ATTEMPTS = 3
#: How a posting was claimed: the first time, or again after an earlier claim ran out.
DeliveryClaim = Literal["first", "again"]


class Repository:
    def __init__(self, sessions: sessionmaker[Session], max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> None:
        self.sessions = sessions
        #: How many workers may take a job (one whose worker died is taken over) before it is failed.
        self.max_attempts = max_attempts

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
    def role(self, project_id: str, user: UserRef) -> Role | None:
        """The person's own standing on a project (owner, shared with), if any."""
        with self.sessions() as session:
            project = session.get(Project, project_id)
            if project is None:
                raise NotFound(f"No project {project_id!r}.")
            row = session.scalar(select(User).where(User.platform == user.platform, User.external_id == user.external_id))
            if row is None:
                return None
            if project.owner_id == row.id:
                return Role.OWNER
            return Role.SHARED if session.get(ProjectShare, (project_id, row.id)) is not None else None

    def share(self, project_id: str, user: UserRef) -> None:
        with guarded(self._write()) as session:
            if session.get(Project, project_id) is None:
                raise NotFound(f"No project {project_id!r}.")
            user_id = self.user_id(session, user)
            if session.get(ProjectShare, (project_id, user_id)) is None:
                session.add(ProjectShare(project_id=project_id, user_id=user_id))

    def unshare(self, project_id: str, user: UserRef) -> bool:
        """Take back a share; whether there was one."""
        with guarded(self._write()) as session:
            row = session.scalar(select(User).where(User.platform == user.platform, User.external_id == user.external_id))
            share = session.get(ProjectShare, (project_id, row.id)) if row is not None else None
            if share is None:
                return False
            session.delete(share)
            return True

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

    # moderation: refusals for the audit, guild policies
    def record_refusal(
        self, user: UserRef | None, guild: str | None, project_id: str | None, stage: str, category: str, location: str, matched: str
    ) -> int:
        with guarded(self._write()) as session:
            row = Refusal(
                user_id=self.user_id(session, user) if user is not None else None,
                guild_id=guild,
                project_id=project_id,
                stage=stage,
                category=category,
                location=location[:64],
                matched=matched[:120],
            )
            session.add(row)
            session.flush()
            return row.id

    def refusals(self, guild: str | None = None, *, everywhere: bool = False, limit: int = 20) -> list[RefusalRecord]:
        """Newest first: one guild's (``guild=None``: those made outside any guild), or all with ``everywhere``."""
        with self.sessions() as session:
            query = select(Refusal).order_by(Refusal.id.desc()).limit(limit)
            if not everywhere:
                query = query.where(Refusal.guild_id == guild if guild is not None else Refusal.guild_id.is_(None))
            return [self._refusal_record(session, row) for row in session.scalars(query)]

    def refusal(self, refusal_id: int) -> RefusalRecord:
        with self.sessions() as session:
            row = session.get(Refusal, refusal_id)
            if row is None:
                raise NotFound(f"No refusal {refusal_id}.")
            return self._refusal_record(session, row)

    def appeal_refusal(self, refusal_id: int, user: UserRef, text: str) -> RefusalRecord:
        """The refused person asks an admin to look again: once, and only for their own refusal."""
        with guarded(self._write()) as session:
            row = session.get(Refusal, refusal_id)
            asker = session.scalar(select(User.id).where(User.platform == user.platform, User.external_id == user.external_id))
            if row is None or row.user_id is None or row.user_id != asker:
                raise NotFound(f"No refusal {refusal_id} of yours.")
            if row.appeal is not None:
                raise BadRequest(f"Refusal {refusal_id} was already appealed.")
            row.appeal = text
            row.appealed_at = utcnow()
            session.flush()
            return self._refusal_record(session, row)

    def decide_refusal(self, refusal_id: int, guild: str | None, reviewer: UserRef, decision: str, note: str | None) -> RefusalRecord:
        """An admin's review; only refusals made in the admin's own guild (``None``: outside any guild)."""
        with guarded(self._write()) as session:
            row = session.get(Refusal, refusal_id)
            if row is None or row.guild_id != guild:
                raise NotFound(f"No refusal {refusal_id} here.")
            row.decision = decision
            row.decision_note = note
            row.decided_by = self.user_id(session, reviewer)
            row.decided_at = utcnow()
            session.flush()
            return self._refusal_record(session, row)

    def forget_refusals(self, older_than: timedelta) -> int:
        """Refusals are kept for review, not forever."""
        with guarded(self._write()) as session:
            rows = list(session.scalars(select(Refusal).where(Refusal.created_at < utcnow() - older_than)))
            for row in rows:
                session.delete(row)
            return len(rows)

    def _refusal_record(self, session: Session, row: Refusal) -> RefusalRecord:
        def ref(user_id: int | None) -> UserRef | None:
            user = session.get(User, user_id) if user_id is not None else None
            return UserRef(user.platform, user.external_id, user.display_name) if user else None

        return RefusalRecord(
            row.id,
            ref(row.user_id),
            row.guild_id,
            row.project_id,
            row.stage,
            row.category,
            row.location,
            row.matched,
            _aware(row.created_at),
            row.appeal,
            row.decision,
            ref(row.decided_by),
            row.decision_note,
        )

    def guild_policy(self, guild: str) -> dict[str, Any] | None:
        with self.sessions() as session:
            row = session.get(GuildPolicy, guild)
            return dict(row.policy) if row else None

    def set_guild_policy(self, guild: str, policy: dict[str, Any], user: UserRef) -> None:
        with guarded(self._write()) as session:
            row = session.get(GuildPolicy, guild)
            if row is None:
                row = GuildPolicy(guild_id=guild, policy=policy)
                session.add(row)
            row.policy = policy
            row.updated_by = self.user_id(session, user)
            row.updated_at = utcnow()

    # projects and versions
    def create_project(
        self,
        user: UserRef,
        request: str,
        requirements: Requirements,
        plan: ShotPlan,
        planner: PlannerInfo,
        place: Place | None = None,
        consent: tuple[str, str] | None = None,
    ) -> VersionRecord:
        """The project and its first version; ``consent`` (the uploaded image's hash and the statement
        its uploader confirmed) is recorded with it in the same transaction."""
        with guarded(self._write()) as session:
            project = Project(
                id=secrets.token_hex(4),
                owner_id=self.user_id(session, user),
                title=plan.title,
                request=request,
                requirements=requirements.model_dump(mode="json"),
                guild_id=place.guild if place else None,
                channel_id=place.channel if place else None,
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
            if consent is not None:
                image_sha256, statement = consent
                session.add(Consent(project_id=project.id, user_id=project.owner_id, image_sha256=image_sha256, statement=statement))
            session.flush()
            return _version_record(version)

    def consents(self, project_id: str) -> list[ConsentRecord]:
        with self.sessions() as session:
            rows = session.execute(
                select(Consent, User).join(User, User.id == Consent.user_id).where(Consent.project_id == project_id).order_by(Consent.id)
            ).all()
            return [
                ConsentRecord(
                    row.project_id,
                    UserRef(user.platform, user.external_id, user.display_name),
                    row.image_sha256,
                    row.statement,
                    row.created_at,
                )
                for row, user in rows
            ]

    # cloned voices: a person's own, usable only in their own projects
    def add_cloned_voice(self, user: UserRef, name: str, sample_sha256: str, sample_seconds: float, statement: str) -> ClonedVoiceRecord:
        """Keep a person's voice under ``name``, with the confirmation (``statement``) they agreed to.

        The name is checked here too because it arrives from chat as typed. The name and the count are
        checked under a lock, so two clones sent at once cannot share a name or pass the limit together.
        """
        _check_voice_name(name)
        with guarded(self._write()) as session:
            _serialise(session, VOICE_LOCK_ID)
            owner_id = self.user_id(session, user)
            names = list(session.scalars(select(ClonedVoice.name).where(ClonedVoice.owner_id == owner_id)))
            if name in names:
                raise BadRequest(f"You already have a voice named {name}; delete it first or choose another name.")
            if len(names) >= MAX_CLONED_VOICES:
                raise BadRequest(f"You already have {MAX_CLONED_VOICES} voices, the most one person may keep; delete one first.")
            if session.get(Artifact, sample_sha256) is None:
                raise NotFound(f"No voice sample {sample_sha256[:12]} in the artifact store.")
            row = ClonedVoice(owner_id=owner_id, name=name, sample_sha256=sample_sha256, sample_seconds=sample_seconds, statement=statement)
            session.add(row)
            session.flush()
            owner = session.get(User, owner_id)
            assert owner is not None
            return _cloned_voice_record(row, owner)

    def cloned_voices(self, user: UserRef) -> list[ClonedVoiceRecord]:
        """The person's own voices, by name; nobody else's are ever listed."""
        with self.sessions() as session:
            rows = session.execute(_own_voices(user).order_by(ClonedVoice.name)).all()
            return [_cloned_voice_record(row, owner) for row, owner in rows]

    def cloned_voice(self, user: UserRef, name: str) -> ClonedVoiceRecord | None:
        """The person's voice of that name: another person's voice of the same name is never returned,
        so ``clone:NAME`` in a plan always means the asker's own."""
        with self.sessions() as session:
            found = session.execute(_own_voices(user).where(ClonedVoice.name == name)).first()
            return _cloned_voice_record(*found) if found is not None else None

    def owners_cloned_voice(self, project_id: str, name: str) -> ClonedVoiceRecord | None:
        """The cloned voice ``name`` of the project's owner: what a worker narrates ``clone:NAME`` with, so a
        voice only ever speaks in its owner's projects, whoever asked for the render."""
        with self.sessions() as session:
            project = session.get(Project, project_id)
            if project is None:
                raise NotFound(f"No project {project_id!r}.")
            found = session.execute(
                select(ClonedVoice, User)
                .join(User, User.id == ClonedVoice.owner_id)
                .where(ClonedVoice.owner_id == project.owner_id, ClonedVoice.name == name)
            ).first()
            return _cloned_voice_record(*found) if found is not None else None

    def delete_cloned_voice(self, user: UserRef, name: str) -> ClonedVoiceRecord:
        """Delete the person's voice; the record is returned so the caller can erase its sample
        (``ArtifactStore.forget``), which this row no longer keeps."""
        _check_voice_name(name)
        with guarded(self._write()) as session:
            found = session.execute(_own_voices(user).where(ClonedVoice.name == name)).first()
            if found is None:
                raise BadRequest(f"You have no voice named {name}.")
            row, owner = found
            record = _cloned_voice_record(row, owner)
            session.delete(row)
            return record

    def add_version(
        self,
        project_id: str,
        plan: ShotPlan,
        instruction: str,
        diff: list[str],
        requirements: Requirements,
        planner: PlannerInfo,
        *,
        based_on: int,
    ) -> VersionRecord:
        """Store version ``based_on + 1``, made from version ``based_on``.

        ``Conflict`` (nothing written) when another version was stored since: this change was computed
        from a plan that is no longer the latest, and storing it would silently undo the other one. An
        optimistic check; the unique (project, number) constraint settles two writers racing past it.
        """
        try:
            with guarded(self._write()) as session:
                project = session.get(Project, project_id)
                if project is None:
                    raise NotFound(f"No project {project_id!r}.")
                latest = session.scalar(select(func.max(PlanVersion.number)).where(PlanVersion.project_id == project_id)) or 0
                if latest != based_on:
                    raise Conflict(f"Project {project_id} is at version {latest}; this change was made from version {based_on}.")
                version = PlanVersion(
                    project_id=project_id,
                    number=based_on + 1,
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
        except IntegrityError as error:
            raise Conflict(f"Project {project_id} changed while this change was being stored.") from error

    def project(self, project_id: str) -> ProjectRecord:
        with self.sessions() as session:
            project = session.get(Project, project_id)
            if project is None:
                raise NotFound(f"No project {project_id!r}. `reelwright history` lists your projects.")
            return self._project_record(session, project)

    def projects(
        self, owner: UserRef | None = None, *, visible_to: UserRef | None = None, guild: str | None = None, limit: int = 50
    ) -> list[ProjectRecord]:
        """Projects, newest first: all of them (the local operator), or what ``visible_to`` may see.

        For a person, ``owner=None`` means their own projects (owned or shared with them); with an
        owner, that person's projects they may see: shared with them, or made in ``guild`` (the
        server they are asking from). DM projects of others never show.
        """
        with self.sessions() as session:
            query = select(Project).order_by(Project.updated_at.desc()).limit(limit)
            if owner is not None:
                query = query.where(Project.owner_id == _user_id_of(owner))
            if visible_to is not None:
                mine = or_(Project.owner_id == _user_id_of(visible_to), Project.id.in_(_shared_with(visible_to)))
                query = query.where(mine if owner is None else or_(mine, _in_guild(guild)))
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
            guild=project.guild_id,
            channel=project.channel_id,
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
    def admit_job(
        self,
        project_id: str,
        version: int,
        user: UserRef | None,
        *,
        per_user: int,
        queue_limit: int,
        per_guild: int | None = None,
        output_path: str | None = None,
        upload_limit: int | None = None,
        reply_ref: str | None = None,
        queue: str = "cpu",
    ) -> int:
        """Queue a render job if the person, their server and the whole queue have room, in one serialised step.

        Two requests at once cannot both pass the check: admissions take a lock first (SQLite's write
        lock via BEGIN IMMEDIATE, a PostgreSQL advisory lock). Abandoned jobs are settled first, so a
        dead worker's job never holds a place. The job waits, held by nobody, until a runner claims it.
        """
        with guarded(self._write()) as session:
            _serialise(session, JOB_LOCK_ID)
            guild = session.scalar(select(Project.guild_id).where(Project.id == project_id))
            self._refuse_if_full(session, user, per_user, queue_limit, guild, per_guild)
            job = Job(
                kind="render",
                project_id=project_id,
                version=version,
                requested_by=self.user_id(session, user) if user else None,
                output_path=output_path,
                upload_limit=upload_limit,
                reply_ref=reply_ref,
                queue=queue,
            )
            session.add(job)
            session.flush()
            return job.id

    def check_admission(
        self, user: UserRef | None, *, per_user: int, queue_limit: int, guild: str | None = None, per_guild: int | None = None
    ) -> None:
        """Raise what ``admit_job`` would raise now, without queueing anything (a check before planning)."""
        with guarded(self._write()) as session:
            _serialise(session, JOB_LOCK_ID)
            self._refuse_if_full(session, user, per_user, queue_limit, guild, per_guild)

    def _refuse_if_full(
        self, session: Session, user: UserRef | None, per_user: int, queue_limit: int, guild: str | None, per_guild: int | None
    ) -> None:
        """Settle abandoned jobs (they never hold a place), then refuse when the person, their server or
        the queue is full."""
        self._settle_abandoned(session)
        active = list(session.scalars(select(Job).where(Job.status.in_(ACTIVE_JOB_STATES))))
        requester = (
            session.scalar(select(User.id).where(User.platform == user.platform, User.external_id == user.external_id)) if user else None
        )
        theirs = sum(1 for job in active if requester is not None and job.requested_by == requester)
        if theirs >= per_user:
            limit = BadRequest(
                f"You already have {theirs} video(s) rendering; wait for one to finish or stop one with `reelwright cancel PROJECT`."
            )
            limit.chat_message = f"You already have {theirs} video(s) rendering; wait for one to finish or stop one with /cancel."
            raise limit
        if guild is not None and per_guild is not None:
            projects = {job.project_id for job in active}
            in_guild = set(session.scalars(select(Project.id).where(Project.id.in_(projects), Project.guild_id == guild)))
            here = sum(1 for job in active if job.project_id in in_guild)
            if here >= per_guild:
                raise Busy(f"This server already has {here} videos rendering; try again when one has finished.")
        if len(active) >= queue_limit:
            minutes = max(1, math.ceil(len(active) * self._typical_render_s(session) / 60))
            raise Busy(f"Reelwright is busy ({len(active)} videos queued); try again in ~{minutes} min.")

    def typical_render_s(self) -> float:
        with self.sessions() as session:
            return self._typical_render_s(session)

    def _typical_render_s(self, session: Session) -> float:
        recent = session.execute(
            select(Job.started_at, Job.finished_at)
            .where(Job.status == "succeeded", Job.started_at.is_not(None), Job.finished_at.is_not(None))
            .order_by(Job.id.desc())
            .limit(20)
        ).all()
        spans = [(_aware(end) - _aware(start)).total_seconds() for start, end in recent if start and end]
        return sum(spans) / len(spans) if spans else DEFAULT_RENDER_S

    def claim_job(self, worker: str, lease_s: float, *, only: set[int] | None = None, queues: set[str] | None = None) -> JobRecord | None:
        """Take the next job a runner should run, fairly, or ``None``; in one serialised step, so a job
        is never run by two workers at once.

        The next job is the waiting one whose requester has the fewest jobs ahead of it (round-robin
        between people, oldest first), or a running one whose worker stopped renewing its lease (taken
        over). ``only`` restricts the choice to those ids (a CLI runs only what it queued), ``queues`` to
        the jobs of those queues (a CPU worker never takes a GPU job). A job taken
        ``max_attempts`` times is failed rather than run again.
        """
        with guarded(self._write()) as session:
            _serialise(session, JOB_LOCK_ID)
            self._settle_abandoned(session)
            query = select(Job).where(Job.status == "queued")
            if only is not None:
                query = query.where(Job.id.in_(only))
            if queues is not None:
                query = query.where(Job.queue.in_(queues))
            running = list(session.scalars(select(Job).where(Job.status == "running")))
            waiting = fair_order(list(session.scalars(query.order_by(Job.id))), running)
            if not waiting:
                return None
            job = waiting[0]
            job.status, job.stage, job.worker = "running", "starting", worker
            job.attempts = (job.attempts or 0) + 1
            job.lease_expires_at = utcnow() + timedelta(seconds=lease_s)
            job.started_at = job.started_at or utcnow()
            session.flush()
            return _job_record(job)

    def release_job(self, job_id: int, worker: str) -> bool:
        """Give a held job back to the queue (its worker is shutting down); the attempt does not count."""
        with guarded(self._write()) as session:
            _serialise(session, JOB_LOCK_ID)
            job = session.get(Job, job_id)
            if job is None or job.status != "running" or job.worker != worker:
                return False
            job.status, job.stage, job.progress, job.worker, job.lease_expires_at = "queued", "queued", 0.0, None, None
            job.attempts = max(0, (job.attempts or 0) - 1)
            return True

    def finish_job(
        self, job_id: int, worker: str, status: str, *, error: str | None = None, code: int | None = None, chat: str | None = None
    ) -> bool:
        """End a job its worker still holds; ``False`` when it no longer does (cancelled, taken over)."""
        with guarded(self._write()) as session:
            _serialise(session, JOB_LOCK_ID)
            job = session.get(Job, job_id)
            if job is None or job.status != "running" or job.worker != worker:
                return False
            job.status, job.stage, job.finished_at, job.lease_expires_at = status, status, utcnow(), None
            job.error, job.error_code, job.error_chat = error, code, chat
            if status == "succeeded":
                job.progress = 1.0
            else:
                _fail_unfinished(session, job.render_id)
            return True

    def renew_leases(self, job_ids: list[int], lease_s: float, worker: str) -> set[int]:
        """The heartbeat: extend the leases of jobs ``worker`` holds; returns the ids it no longer holds
        (cancelled from elsewhere, failed or taken over once its lease ran out), which it must stop."""
        if not job_ids:
            return set()
        with guarded(self._write()) as session:
            _serialise(session, JOB_LOCK_ID)
            jobs = list(session.scalars(select(Job).where(Job.id.in_(job_ids))))
            until = utcnow() + timedelta(seconds=lease_s)
            held = {job.id for job in jobs if job.status == "running" and job.worker == worker}
            for job in jobs:
                if job.id in held:
                    job.lease_expires_at = until
            return set(job_ids) - held

    def settle_abandoned_jobs(self) -> list[JobRecord]:
        """Jobs whose worker stopped go back to the queue (or fail, after ``max_attempts``); returns them."""
        with guarded(self._write()) as session:
            _serialise(session, JOB_LOCK_ID)
            return [_job_record(job) for job in self._settle_abandoned(session)]

    def _settle_abandoned(self, session: Session) -> list[Job]:
        """Running jobs whose lease ran out (their worker stopped renewing it: killed, hung, on a lost
        host) or whose process on this host is gone are taken from their worker: queued again for
        another to take over, or failed once they were taken ``max_attempts`` times."""
        now = utcnow()
        abandoned = [
            job
            for job in session.scalars(select(Job).where(Job.status == "running"))
            if job.lease_expires_at is None or _aware(job.lease_expires_at) < now or worker_is_gone(job.worker)
        ]
        for job in abandoned:
            _fail_unfinished(session, job.render_id)
            if (job.attempts or 0) < self.max_attempts:
                job.status, job.stage, job.progress, job.worker, job.lease_expires_at = "queued", "queued", 0.0, None, None
                continue
            job.status, job.stage, job.finished_at, job.lease_expires_at = "failed", "interrupted", now, None
            job.error = f"Its worker stopped {job.attempts} times before it finished (a restart or a crash each time); render it again."
        return abandoned

    def cancel_jobs(self, project_id: str | None = None, job_ids: list[int] | None = None) -> list[int]:
        """End queued or running jobs (a project's, or these) now, whoever runs them; their workers notice
        at their next heartbeat and stop. Returns the ids."""
        with guarded(self._write()) as session:
            _serialise(session, JOB_LOCK_ID)
            query = select(Job).where(Job.status.in_(ACTIVE_JOB_STATES))
            query = query.where(Job.project_id == project_id) if project_id is not None else query.where(Job.id.in_(job_ids or []))
            jobs = list(session.scalars(query))
            for job in jobs:
                _fail_unfinished(session, job.render_id)
                job.status, job.stage, job.error, job.error_code, job.finished_at = "cancelled", "cancelled", "Cancelled.", 6, utcnow()
                job.lease_expires_at = None  # nobody holds an ended job
            return [job.id for job in jobs]

    def set_notice(self, job_id: int, ref: str | None) -> None:
        """Remember (or forget, with ``None``) the chat message showing a job's progress."""
        self.update_job(job_id, notice_ref=ref)

    def update_job(self, job_id: int, **fields: Any) -> None:
        """Change a job's details (stage, progress, render, notice); its state changes through
        ``claim_job``/``finish_job``/``release_job``. A job that ended stays as it ended: a worker
        reporting progress after a cancel cannot touch it."""
        with guarded(self._write()) as session:
            job = session.get(Job, job_id)
            if job is None:
                return
            if job.status in TERMINAL_JOB_STATES and set(fields) != {"notice_ref"}:
                return
            for key, value in fields.items():
                setattr(job, key, value)

    def job(self, job_id: int) -> JobRecord:
        with self.sessions() as session:
            job = session.get(Job, job_id) if 0 < job_id <= MAX_ROW_ID else None
            if job is None:
                raise NotFound(f"No job {job_id}.")
            return _job_record(job)

    def active_jobs(self) -> list[JobRecord]:
        """Running jobs, then waiting ones in the order runners will take them (round-robin between
        people), with who asked and the project's title."""
        with self.sessions() as session:
            rows = session.execute(
                select(Job, User, Project.title)
                .join(Project, Job.project_id == Project.id)
                .outerjoin(User, Job.requested_by == User.id)
                .where(Job.status.in_(ACTIVE_JOB_STATES))
                .order_by(Job.id)
            ).all()
            details = {job.id: (user, title) for job, user, title in rows}
            running = [job for job, _, _ in rows if job.status == "running"]
            ordered = running + fair_order([job for job, _, _ in rows if job.status == "queued"], running)
            return [
                _job_record(job, UserRef(user.platform, user.external_id, user.display_name) if user else None, title)
                for job in ordered
                for user, title in [details[job.id]]
            ]

    def waiting_by_queue(self) -> dict[str, int]:
        """How many jobs wait for a runner, per queue."""
        with self.sessions() as session:
            rows = session.execute(select(Job.queue, func.count()).where(Job.status == "queued").group_by(Job.queue)).all()
            return {queue: count for queue, count in rows}

    def seconds_per_place(self) -> float:
        """About how long each place in the queue waits: the jobs ahead finish at the pace of recent
        renders, as many at a time as are running now (a job ``n`` places down starts in ``n`` times this)."""
        with self.sessions() as session:
            running = session.scalar(select(func.count()).select_from(Job).where(Job.status == "running")) or 0
            return self._typical_render_s(session) / max(1, running)

    def queue_position(self, job_id: int) -> int | None:
        """0 while the job runs, n when n jobs go before it, ``None`` once it ended."""
        jobs = self.active_jobs()
        index = next((index for index, job in enumerate(jobs) if job.id == job_id), None)
        if index is None:
            return None
        return 0 if jobs[index].status == "running" else index

    def outbox(self, surface: str, skip: set[int]) -> list[JobRecord]:
        """Finished jobs whose result (or failure) is still to be posted on ``surface`` and that nobody is
        posting now (``claim_delivery`` takes one); ``skip``: jobs this process posts already."""
        with self.sessions() as session:
            now = utcnow()
            jobs = session.scalars(
                select(Job)
                .where(Job.status.in_(TERMINAL_JOB_STATES), Job.reply_ref.like(f"{surface}:%"), Job.delivered_at.is_(None))
                .order_by(Job.id)
            )
            return [
                _job_record(job)
                for job in jobs
                if job.id not in skip and (job.delivering_until is None or _aware(job.delivering_until) < now)
            ]

    def claim_delivery(self, job_id: int, lease_s: float) -> DeliveryClaim | None:
        """Take the posting of one job's result for ``lease_s``: ``"first"``, or ``"again"`` when an earlier
        claim ran out (its process may have posted and died before marking it, so look before posting);
        ``None`` if it was delivered or another process is posting it now."""
        with guarded(self._write()) as session:
            _serialise(session, JOB_LOCK_ID)
            job = session.get(Job, job_id)
            now = utcnow()
            if job is None or job.delivered_at is not None:
                return None
            if job.delivering_until is not None and _aware(job.delivering_until) >= now:
                return None
            claim: DeliveryClaim = "first" if job.delivering_until is None else "again"
            job.delivering_until = now + timedelta(seconds=lease_s)
            return claim

    def mark_delivered(self, job_id: int) -> None:
        """The result was posted (or the person told why not): the job leaves the outbox for good."""
        with guarded(self._write()) as session:
            job = session.get(Job, job_id)
            if job is not None:
                job.delivered_at, job.delivering_until, job.notice_ref = utcnow(), None, None

    def begin_render(self, project_id: str, version: int, output_path: str | None = None) -> int:
        """Reserve a render id (the watermark payload) before the file is composed, with the path it is
        going to, so that what a killed render left half-written there can be found and removed."""
        with guarded(self._write()) as session:
            render = Render(project_id=project_id, version=version, output_path=output_path)
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
            _fail_unfinished(session, render_id)

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

    def unwritten_outputs(self) -> list[tuple[int, str]]:
        """(render id, path) of failed renders whose output may be half-written on disk."""
        with self.sessions() as session:
            rows = session.execute(select(Render.id, Render.output_path).where(Render.status == "failed", Render.output_path.is_not(None)))
            return [(render_id, path) for render_id, path in rows if path]

    def forget_outputs(self, render_ids: list[int]) -> None:
        """Those renders' files are gone (a failed render never wrote one): stop looking for them."""
        if render_ids:
            with guarded(self._write()) as session:
                for render in session.scalars(select(Render).where(Render.id.in_(render_ids))):
                    render.output_path = None


def fair_order(waiting: list[Job], running: list[Job]) -> list[Job]:
    """Waiting jobs in the order runners take them: everyone's first job before anyone's second (a job
    running counts as one's first), oldest first within each round, so one person's ten videos do not
    hold up everyone else."""
    seen: dict[int | None, int] = {}
    for job in running:
        seen[job.requested_by] = seen.get(job.requested_by, 0) + 1
    ranked = []
    for job in sorted(waiting, key=lambda job: job.id):
        rank = seen.get(job.requested_by, 0)
        seen[job.requested_by] = rank + 1
        ranked.append((rank, job.id, job))
    return [job for _, _, job in sorted(ranked, key=lambda item: item[:2])]


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_is_gone(worker: str | None) -> bool:
    """A quick answer for a worker on this host whose process no longer exists.

    Only "certainly gone" counts: a live PID may have been reused by another process, and a worker
    on another host cannot be checked from here; their jobs end when their lease runs out.
    """
    if not worker or ":" not in worker:
        return False
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


def _fail_unfinished(session: Session, render_id: int | None) -> None:
    """A render that did not finish is failed; its row (and watermark id) stays."""
    render = session.get(Render, render_id) if render_id is not None else None
    if render is not None and render.status != "done":
        render.status = "failed"


def _serialise(session: Session, lock_id: int) -> None:
    """Make this transaction the only one holding ``lock_id`` until it ends (first statement in it)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({lock_id})")
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _user_id_of(user: UserRef) -> Any:
    return select(User.id).where(User.platform == user.platform, User.external_id == user.external_id).scalar_subquery()


def _own_voices(user: UserRef) -> Any:
    """The person's voices with their owner row; only ever theirs."""
    return (
        select(ClonedVoice, User)
        .join(User, User.id == ClonedVoice.owner_id)
        .where(User.platform == user.platform, User.external_id == user.external_id)
    )


def _check_voice_name(name: str) -> None:
    if VOICE_NAME.fullmatch(name) is None:
        raise BadRequest("A voice name is 1 to 40 letters (a-z), digits, - or _, like narrator or my-voice-2.")


def _shared_with(user: UserRef) -> Any:
    return select(ProjectShare.project_id).where(ProjectShare.user_id == _user_id_of(user))


def _in_guild(guild: str | None) -> ColumnElement[bool]:
    return and_(Project.guild_id.is_not(None), Project.guild_id == guild) if guild is not None else false()


#: The largest id a row can have (a signed 64-bit integer on every database): a bigger one names nothing.
MAX_ROW_ID = 2**63 - 1


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone-aware columns; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


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
        if isinstance(exc[1], OperationalError):  # raised by a statement inside the block: rolled back above
            raise _storage_error(exc[1]) from exc[1]


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


def _cloned_voice_record(row: ClonedVoice, owner: User) -> ClonedVoiceRecord:
    return ClonedVoiceRecord(
        row.id,
        UserRef(owner.platform, owner.external_id, owner.display_name),
        row.name,
        row.sample_sha256,
        row.sample_seconds,
        row.statement,
        _aware(row.created_at),
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


def _job_record(row: Job, requested_by: UserRef | None = None, title: str = "") -> JobRecord:
    return JobRecord(
        row.id,
        row.project_id,
        row.version,
        row.status,
        row.stage,
        row.progress,
        row.error,
        row.render_id,
        requested_by,
        title,
        output_path=row.output_path,
        upload_limit=row.upload_limit,
        reply_ref=row.reply_ref,
        notice_ref=row.notice_ref,
        queue=row.queue,
        attempts=row.attempts or 0,
        worker=row.worker,
        error_code=row.error_code,
        error_chat=row.error_chat,
        delivered=row.delivered_at is not None,
        queued_at=_aware(row.created_at),
    )
