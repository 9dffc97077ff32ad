"""snapshots keep their gap list: which gaps (kind, object) were open when each was taken

A report can then say of every gap since when it is open (and whether its deadline has passed),
and how many gaps of the last snapshot have been fixed since.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("snapshots", sa.Column("gaps", postgresql.JSONB(), nullable=True))


def downgrade() -> None:
    op.drop_column("snapshots", "gaps")
