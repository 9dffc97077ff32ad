"""a scoped editor may add a staff member (a new building leader) and then assign them in scope

Staff rows are visible through their assignments, so the row-level check of a new staff row (which
has none yet) failed for every scoped caller. Insertion alone is now allowed; the new person becomes
visible (and editable) only once assigned to something inside the caller's scope, which the
assignments' own policy checks.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ROLE = "gridsvc_scoped"


def upgrade() -> None:
    op.execute(f"CREATE POLICY staff_insert ON staff FOR INSERT TO {ROLE} WITH CHECK (true)")


def downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS staff_insert ON staff")
