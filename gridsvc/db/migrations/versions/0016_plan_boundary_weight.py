"""plans.boundary_weight: the price per metre of boundary a proposal was made with (``plan create
--propose --boundary-weight``), so that ``plan scores`` prices the plan as the proposal did

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE plans ADD COLUMN boundary_weight double precision NOT NULL DEFAULT 0"
        " CONSTRAINT plans_boundary_weight_check CHECK (boundary_weight >= 0)"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE plans DROP COLUMN boundary_weight")
