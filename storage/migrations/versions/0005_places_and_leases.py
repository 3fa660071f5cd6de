"""places and leases: where a project lives, and how long a job's worker has to prove it is alive

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:30:00

``projects.guild_id``/``channel_id`` record the chat place a project was made in, so moderator rights
and visibility follow the project rather than the channel a command is typed in. Existing projects
have no place: they stay private to their owner and the people they were shared with.
``jobs.lease_expires_at`` is renewed by the worker's heartbeat; a job whose lease ran out is failed,
whichever host ran it. ``jobs.notice_ref`` is the chat message showing the job's progress, so a
restarted bot can still say that the job failed.
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("guild_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("channel_id", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_projects_guild_id", ["guild_id"])
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("notice_ref", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("notice_ref")
        batch_op.drop_column("lease_expires_at")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index("ix_projects_guild_id")
        batch_op.drop_column("channel_id")
        batch_op.drop_column("guild_id")
