"""jobs as data: a job row holds everything needed to run it and answer it, in any process

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 02:30:00

``output_path`` and ``upload_limit`` say what to produce, ``queue`` which workers may run it (``gpu``
for diffusion models, ``cpu`` for the storyboard renderer); ``reply_ref`` where to post it (the outbox:
a finished job with a reply place and no ``delivered_at`` is still to be posted); ``attempts`` counts
the workers that took it (a job whose worker died is taken over until ``max_attempts``);
``error_code`` and ``error_chat`` keep how it failed for the person who is told later, by another
process. Jobs still active when this runs were closures of a process that no longer exists: they
cannot be resumed, so they are failed.
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("output_path", sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column("upload_limit", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("reply_ref", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("queue", sa.String(length=32), nullable=False, server_default="cpu"))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("error_code", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("error_chat", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("delivering_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_jobs_status", ["status"])
    op.execute(
        "UPDATE jobs SET status = 'failed', stage = 'interrupted', "
        "error = 'Reelwright was upgraded while it was queued; render it again.' WHERE status IN ('queued', 'running')"
    )


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_status")
        for column in ("delivered_at", "delivering_until", "error_chat", "error_code", "attempts", "queue", "reply_ref", "upload_limit", "output_path"):
            batch_op.drop_column(column)
