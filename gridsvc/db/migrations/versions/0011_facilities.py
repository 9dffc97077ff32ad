"""service facilities (党群服务中心 / 站, domain.md §8.4): points with a level and a floor area, visible
to a scoped caller inside the scope's polygon like organizations, and counted in ``data_version``

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ROLE = "gridsvc_scoped"
RULE = "ST_Intersects(geom, (SELECT gridsvc_scope_geom()))"


def upgrade() -> None:
    op.execute("""
        CREATE TABLE facilities (
            id text PRIMARY KEY,
            name text NOT NULL,
            level varchar(24) NOT NULL CONSTRAINT facilities_level
                CHECK (level IN ('street_centre', 'community_centre', 'grid_station', 'building_point')),
            floor_area integer,
            building_id text REFERENCES buildings (id),
            geom geometry(POINT, 4490) NOT NULL,
            source varchar(16) NOT NULL DEFAULT 'import' CONSTRAINT facilities_source
                CHECK (source IN ('import', 'generated', 'osm'))
        )""")
    op.execute("CREATE INDEX facilities_geom_gist ON facilities USING gist (geom)")
    for event, transition in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        op.execute(f"""CREATE TRIGGER facilities_version_{event.lower()} AFTER {event} ON facilities
                       REFERENCING {transition} TABLE AS changed
                       FOR EACH STATEMENT EXECUTE FUNCTION gridsvc_bump_if_rows()""")
    op.execute("""CREATE TRIGGER facilities_version_truncate AFTER TRUNCATE ON facilities
                   FOR EACH STATEMENT EXECUTE FUNCTION gridsvc_bump_version()""")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON facilities TO {ROLE}")
    op.execute("ALTER TABLE facilities ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY facilities_scope ON facilities TO {ROLE} USING ({RULE}) WITH CHECK ({RULE})")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS facilities")
