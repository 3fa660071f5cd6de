"""planner info: who wrote a plan version, as a record instead of a name

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 20:30:00

``plan_versions.planner`` held "engine:model" or "template"; the new JSON column holds the engine, the
model, and whether the template fallback was used and why. Existing names are carried over.
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

versions = sa.table(
    "plan_versions",
    sa.column("id", sa.Integer),
    sa.column("planner", sa.String),
    sa.column("planner_info", sa.JSON),
)


def upgrade() -> None:
    with op.batch_alter_table("plan_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("planner_info", sa.JSON(), nullable=True))
    connection = op.get_bind()
    for row in connection.execute(sa.select(versions.c.id, versions.c.planner)).all():
        engine, _, model = (row.planner or "unknown").partition(":")
        info = {"engine": engine or "unknown", **({"model": model} if model else {})}
        connection.execute(versions.update().where(versions.c.id == row.id).values(planner_info=info))
    with op.batch_alter_table("plan_versions", schema=None) as batch_op:
        batch_op.alter_column("planner_info", nullable=False)
        batch_op.drop_column("planner")


def downgrade() -> None:
    with op.batch_alter_table("plan_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("planner", sa.String(length=80), nullable=True))
    connection = op.get_bind()
    for row in connection.execute(sa.select(versions.c.id, versions.c.planner_info)).all():
        info = row.planner_info or {}
        name = f"{info.get('engine', '')}:{info['model']}" if info.get("model") else info.get("engine", "")
        connection.execute(versions.update().where(versions.c.id == row.id).values(planner=name[:80]))
    with op.batch_alter_table("plan_versions", schema=None) as batch_op:
        batch_op.alter_column("planner", nullable=False)
        batch_op.drop_column("planner_info")
