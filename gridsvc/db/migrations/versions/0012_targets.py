"""targets (目标, domain.md §8.5): an area's metric, the value it should reach and by when; read by
every scope at or below the area and above it, written only inside the scope; counted in
``data_version``

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ROLE = "gridsvc_scoped"


def upgrade() -> None:
    op.execute("""
        CREATE TABLE targets (
            area_code varchar(12) NOT NULL REFERENCES areas (code),
            metric varchar(64) NOT NULL,
            value double precision NOT NULL CONSTRAINT targets_value CHECK (value >= 0),
            due_date date NOT NULL,
            note text,
            source varchar(16) NOT NULL DEFAULT 'import' CONSTRAINT targets_source
                CHECK (source IN ('import', 'generated', 'osm')),
            CONSTRAINT targets_pkey PRIMARY KEY (area_code, metric, due_date)
        )""")
    for event, transition in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        op.execute(f"""CREATE TRIGGER targets_version_{event.lower()} AFTER {event} ON targets
                       REFERENCING {transition} TABLE AS changed
                       FOR EACH STATEMENT EXECUTE FUNCTION gridsvc_bump_if_rows()""")
    op.execute("""CREATE TRIGGER targets_version_truncate AFTER TRUNCATE ON targets
                   FOR EACH STATEMENT EXECUTE FUNCTION gridsvc_bump_version()""")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON targets TO {ROLE}")
    op.execute("ALTER TABLE targets ENABLE ROW LEVEL SECURITY")
    # a community's leader reads the district's targets too; only targets inside the scope change
    op.execute(f"""CREATE POLICY targets_read ON targets FOR SELECT TO {ROLE}
                   USING (gridsvc_within(area_code) OR gridsvc_above(area_code))""")
    for command in ("INSERT", "UPDATE", "DELETE"):
        check = "WITH CHECK (gridsvc_within(area_code))" if command != "DELETE" else ""
        using = "USING (gridsvc_within(area_code))" if command != "INSERT" else ""
        op.execute(f"CREATE POLICY targets_{command.lower()} ON targets FOR {command} TO {ROLE} {using} {check}")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS targets")
