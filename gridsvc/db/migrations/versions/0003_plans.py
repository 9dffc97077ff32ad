"""plans: draft grid layers beside the live ones

A plan holds grid polygons for one or more communities until it is applied; applying closes the
replaced grids (``valid_to``) and opens the plan's (``valid_from``) on the same date, so a grid
made and replaced on one day keeps an empty period: the validity check allows ``valid_to = valid_from``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE grids DROP CONSTRAINT grids_validity")
    op.execute("ALTER TABLE grids ADD CONSTRAINT grids_validity CHECK (valid_to IS NULL OR valid_to >= valid_from)")
    op.execute("CREATE INDEX grids_validity_range ON grids (community_code, valid_from, valid_to)")
    op.execute("""
        CREATE TABLE plans (
            id serial PRIMARY KEY,
            name text NOT NULL,
            communities text[] NOT NULL CHECK (cardinality(communities) > 0),
            layer varchar(16) NOT NULL DEFAULT 'unified'
                CONSTRAINT plans_layer CHECK (layer IN ('party', 'governance', 'unified')),
            origin varchar(24) NOT NULL
                CONSTRAINT plans_origin CHECK (origin IN ('upload', 'adopt_governance', 'proposal')),
            status varchar(16) NOT NULL DEFAULT 'draft' CONSTRAINT plans_status CHECK (status IN ('draft', 'applied')),
            created_at timestamptz NOT NULL DEFAULT now(),
            applied_at timestamptz,
            effective date,
            note text,
            outcome jsonb
        )""")
    op.execute("""
        CREATE TABLE plan_grids (
            plan_id integer NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
            code varchar(15) NOT NULL,
            community_code varchar(12) NOT NULL,
            name text,
            urban boolean NOT NULL DEFAULT true,
            geom geometry(MULTIPOLYGON, 4490) NOT NULL,
            PRIMARY KEY (plan_id, code)
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS plan_grids")
    op.execute("DROP TABLE IF EXISTS plans")
    op.execute("DROP INDEX IF EXISTS grids_validity_range")
    op.execute("ALTER TABLE grids DROP CONSTRAINT grids_validity")
    op.execute("ALTER TABLE grids ADD CONSTRAINT grids_validity CHECK (valid_to IS NULL OR valid_to > valid_from)")
