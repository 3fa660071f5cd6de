"""The database schema. SQLite (WAL) by default, PostgreSQL in production: same models, same migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(120), default="")
    preferences: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    surface: Mapped[str] = mapped_column(String(32))
    external_ref: Mapped[str | None] = mapped_column(String(64), default=None)
    project_id: Mapped[str | None] = mapped_column(ForeignKey("projects.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    messages: Mapped[list[Message]] = relationship(order_by="Message.id", cascade="all, delete-orphan")


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    project_id: Mapped[str | None] = mapped_column(ForeignKey("projects.id"), default=None)
    version: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(120))
    request: Mapped[str] = mapped_column(Text)
    requirements: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The chat place it was made in (a Discord guild and channel); none for DMs (no guild) and local projects.
    guild_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    channel_id: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    versions: Mapped[list[PlanVersion]] = relationship(order_by="PlanVersion.number", back_populates="project")


class PlanVersion(Base):
    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("project_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    number: Mapped[int] = mapped_column(Integer)
    plan: Mapped[dict[str, Any]] = mapped_column()
    instruction: Mapped[str] = mapped_column(Text)
    diff: Mapped[list[Any]] = mapped_column(default=list)
    #: Who wrote this version (engine, model, and whether the template fallback was used and why).
    planner_info: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    project: Mapped[Project] = relationship(back_populates="versions")


class Artifact(Base):
    """A content-addressed file in the artifact store."""

    __tablename__ = "artifacts"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    duration_s: Mapped[float | None] = mapped_column(Float, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CachedClip(Base):
    """A rendered shot clip or narration, keyed by the hash of everything that determines it."""

    __tablename__ = "cached_clips"

    cache_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    artifact_sha256: Mapped[str] = mapped_column(ForeignKey("artifacts.sha256"))


class Job(Base):
    """A render job as data: everything needed to run it and to answer it, so any process can do either.

    ``queued`` with no ``worker`` is waiting for a runner; ``running`` is held by ``worker`` until its
    lease runs out (then another runner takes it over, up to the attempt limit). A finished job with a
    ``reply_ref`` and no ``delivered_at`` is in the outbox: its result is still to be posted.
    """

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    version: Mapped[int] = mapped_column(Integer)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    #: Where the MP4 goes (``None``: the outputs folder) and the largest file the reply place accepts.
    output_path: Mapped[str | None] = mapped_column(String(1024), default=None)
    upload_limit: Mapped[int | None] = mapped_column(BigInteger, default=None)
    #: "surface:where" the result is posted (a Discord channel or thread); ``None``: the caller waits for it.
    reply_ref: Mapped[str | None] = mapped_column(String(120), default=None)
    #: Which workers may run it: ``gpu`` (a diffusion model) or ``cpu``.
    queue: Mapped[str] = mapped_column(String(32), default="cpu", server_default="cpu")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    stage: Mapped[str] = mapped_column(String(32), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    #: How it failed: the details (for the operator and the CLI), the exit code, and what chat may show.
    error: Mapped[str | None] = mapped_column(Text, default=None)
    error_code: Mapped[int | None] = mapped_column(Integer, default=None)
    error_chat: Mapped[str | None] = mapped_column(Text, default=None)
    render_id: Mapped[int | None] = mapped_column(ForeignKey("renders.id"), default=None)
    #: "host:pid" of the process whose runner owns the job, so a restart fails only its own orphans.
    worker: Mapped[str | None] = mapped_column(String(120), default=None)
    #: Renewed by the worker's heartbeat while it holds the job; once past, the job is failed, whoever ran it.
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    #: "surface:where" of the chat message showing this job's progress, until the person was told how it ended.
    notice_ref: Mapped[str | None] = mapped_column(String(120), default=None)
    #: A surface is posting the result until then (another may take over after); set when it was posted.
    delivering_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class Render(Base):
    """A finished video of one plan version. Its id is the payload of the invisible watermark."""

    __tablename__ = "renders"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    version: Mapped[int] = mapped_column(Integer)
    #: "composing" while the job writes the file (the id is already in its watermark), then "done".
    status: Mapped[str] = mapped_column(String(16), default="composing")
    output_sha256: Mapped[str | None] = mapped_column(ForeignKey("artifacts.sha256"), default=None)
    #: The file it writes (set when the render begins, so a failed render's half-written file can be found and removed).
    output_path: Mapped[str | None] = mapped_column(String(1024), default=None)
    shots: Mapped[list[Any]] = mapped_column(default=list)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProjectShare(Base):
    """People the owner allowed to edit a project (``/share @user``)."""

    __tablename__ = "project_shares"

    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Refusal(Base):
    """A request, plan or edit the moderation policy refused: what guild admins review.

    Only what a review needs: the category, where it was found and the matched term, never the text.
    """

    __tablename__ = "refusals"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    guild_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    project_id: Mapped[str | None] = mapped_column(ForeignKey("projects.id"), default=None)
    #: "request" (before planning), "plan" (what planning wrote), "edit", "render".
    stage: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    location: Mapped[str] = mapped_column(String(64))
    matched: Mapped[str] = mapped_column(String(120))
    appeal: Mapped[str | None] = mapped_column(Text, default=None)
    appealed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    #: None until reviewed, then "upheld" or "overturned".
    decision: Mapped[str | None] = mapped_column(String(16), default=None)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    decision_note: Mapped[str | None] = mapped_column(Text, default=None)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GuildPolicy(Base):
    """A guild's moderation policy (JSON of the agent's ``Policy``); guilds without a row use the default."""

    __tablename__ = "guild_policies"

    guild_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    policy: Mapped[dict[str, Any]] = mapped_column()
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Consent(Base):
    """The uploader confirmed that they are the person in the photo, have their consent, or no real person is in it."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    image_sha256: Mapped[str] = mapped_column(String(64))
    statement: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ClonedVoice(Base):
    """A person's own voice, cloned from a sample they confirmed is theirs or theirs to use.

    Usable only in its owner's projects (plan voice ``clone:NAME``); deleting it erases the sample too.
    """

    __tablename__ = "cloned_voices"
    __table_args__ = (UniqueConstraint("owner_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(40))
    sample_sha256: Mapped[str] = mapped_column(ForeignKey("artifacts.sha256"))
    sample_seconds: Mapped[float] = mapped_column(Float)
    #: The confirmation the person agreed to when they gave the sample.
    statement: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
