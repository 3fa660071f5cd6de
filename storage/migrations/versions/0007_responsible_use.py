"""responsible use: refusals for the audit, each guild's moderation policy, consents to animate a photo

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 06:00:00

``refusals`` is what guild admins review (``/audit``, ``reelwright audit``): the category, where in the
request or plan it was found and the matched term, never the whole request text (no more personal data
than a review needs); the person may appeal once and an admin records a decision. ``guild_policies``
holds a guild's moderation policy as JSON (the policy model lives with the agent; storage keeps it
opaque). ``consents`` records the uploader's confirmation that animating their photo is theirs to ask.
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "refusals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("guild_id", sa.String(length=32), nullable=True),
        sa.Column("project_id", sa.String(length=16), sa.ForeignKey("projects.id"), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("location", sa.String(length=64), nullable=False),
        sa.Column("matched", sa.String(length=120), nullable=False),
        sa.Column("appeal", sa.Text(), nullable=True),
        sa.Column("appealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("decided_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_refusals_guild_id", "refusals", ["guild_id"])
    op.create_table(
        "guild_policies",
        sa.Column("guild_id", sa.String(length=32), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id"),
    )
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.String(length=16), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("image_sha256", sa.String(length=64), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_consents_project_id", "consents", ["project_id"])


def downgrade() -> None:
    op.drop_index("ix_consents_project_id", table_name="consents")
    op.drop_table("consents")
    op.drop_table("guild_policies")
    op.drop_index("ix_refusals_guild_id", table_name="refusals")
    op.drop_table("refusals")
