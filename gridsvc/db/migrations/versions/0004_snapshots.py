"""snapshots: the coverage tree of an area at a moment, for "change since last time" in reports

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE snapshots (
            id serial PRIMARY KEY,
            area varchar(15),
            taken_at timestamptz NOT NULL DEFAULT now(),
            as_of date NOT NULL,
            generated boolean NOT NULL DEFAULT false,
            note text,
            tree jsonb NOT NULL
        )""")
    op.execute("CREATE INDEX snapshots_taken_at ON snapshots (taken_at DESC)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS snapshots")
