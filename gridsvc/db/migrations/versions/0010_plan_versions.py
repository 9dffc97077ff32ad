"""plans keep their versions: the workbench saves an edited plan as a new draft whose parent is the
plan it was edited from (origin ``workbench``), numbered from 1 along the chain

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE plans ADD COLUMN parent_id integer REFERENCES plans (id) ON DELETE SET NULL")
    op.execute("ALTER TABLE plans ADD COLUMN version integer NOT NULL DEFAULT 1")
    op.execute("CREATE INDEX ix_plans_parent_id ON plans (parent_id)")
    op.execute("ALTER TABLE plans DROP CONSTRAINT plans_origin")
    op.execute(
        "ALTER TABLE plans ADD CONSTRAINT plans_origin "
        "CHECK (origin IN ('upload', 'adopt_governance', 'proposal', 'workbench'))"
    )


def downgrade() -> None:
    op.execute("DELETE FROM plans WHERE origin = 'workbench'")
    op.execute("ALTER TABLE plans DROP CONSTRAINT plans_origin")
    op.execute(
        "ALTER TABLE plans ADD CONSTRAINT plans_origin CHECK (origin IN ('upload', 'adopt_governance', 'proposal'))"
    )
    op.execute("ALTER TABLE plans DROP COLUMN version")
    op.execute("ALTER TABLE plans DROP COLUMN parent_id")
