"""a scoped editor may add a staff member (a new building leader) or a Party group, then place it in scope

Staff rows are visible through their assignments, Party organizations through their scopes, so the
row-level check of a new row (which has none yet) failed for every scoped caller. Insertion alone is
now allowed; the new row becomes visible (and editable) only once assigned to, or given a scope on,
something inside the caller's scope, which the assignments' and scopes' own policies check.

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


TABLES = ("staff", "party_orgs")


def upgrade() -> None:
    for table in TABLES:
        op.execute(f"CREATE POLICY {table}_insert ON {table} FOR INSERT TO {ROLE} WITH CHECK (true)")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP POLICY IF EXISTS {table}_insert ON {table}")
