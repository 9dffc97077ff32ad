"""organizations.resident_unit (驻区单位 flagged as such, domain.md §8.1/8.2: counted under
registration and co-building, not in the 两新 figures) and party_orgs.has_committee (a branch with
≥ 7 full members should have a branch committee, §8.3 rule 14)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE organizations ADD COLUMN resident_unit boolean NOT NULL DEFAULT false")
    op.execute("ALTER TABLE party_orgs ADD COLUMN has_committee boolean NOT NULL DEFAULT false")


def downgrade() -> None:
    op.execute("ALTER TABLE organizations DROP COLUMN resident_unit")
    op.execute("ALTER TABLE party_orgs DROP COLUMN has_committee")
