"""footprint files say what they do not know: ``use = 'unknown'``, ``floors_estimated``

A footprint file without a use column no longer makes every building residential (which invented
households for offices, schools and entrances): such buildings are ``unknown``, and no households
are estimated for them. A floor count estimated from a height (3 m a storey) is marked.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OLD_USES = ("residential", "office", "commercial", "mixed", "public", "other")
NEW_USES = (*OLD_USES, "unknown")


def _check(uses: tuple[str, ...]) -> str:
    return "use IN (" + ", ".join(f"'{u}'" for u in uses) + ")"


def upgrade() -> None:
    op.add_column("buildings", sa.Column("floors_estimated", sa.Boolean(), server_default="false", nullable=False))
    op.drop_constraint("buildings_use", "buildings", type_="check")
    op.create_check_constraint("buildings_use", "buildings", _check(NEW_USES))


def downgrade() -> None:
    op.execute("UPDATE buildings SET use = 'other' WHERE use = 'unknown'")
    op.drop_constraint("buildings_use", "buildings", type_="check")
    op.create_check_constraint("buildings_use", "buildings", _check(OLD_USES))
    op.drop_column("buildings", "floors_estimated")
