"""cloned voices: a person's voice sample, usable only in their own projects

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-09 06:00:00

``cloned_voices`` holds who owns each voice, the name they gave it (unique per owner: two people may
both have a "narrator"), the sample and the confirmation they agreed to. The sample is an artifact
(a foreign key), so deleting a voice can find its file and erase it (``ArtifactStore.forget``).
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cloned_voices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("sample_sha256", sa.String(length=64), sa.ForeignKey("artifacts.sha256"), nullable=False),
        sa.Column("sample_seconds", sa.Float(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner_id", "name"),
    )


def downgrade() -> None:
    op.drop_table("cloned_voices")
