"""co-building (共驻共建, domain.md §8.1): agreements between a community (or street) and a resident
unit, from a date to a date; the three lists (需求、资源、项目清单) of items with a kind, a text, an
optional place and a status; the seats unit Party secretaries hold on a community's committee (大党委
兼职委员). Read where the area or the unit is in the scope (and a community reads its street's), written
inside the scope; counted in ``data_version``

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

ROLE = "gridsvc_scoped"
SOURCE = """source varchar(16) NOT NULL DEFAULT 'import' CONSTRAINT {table}_source
                CHECK (source IN ('import', 'generated', 'osm'))"""
UNIT_VISIBLE = "EXISTS (SELECT 1 FROM organizations o WHERE o.id = organization_id)"
# table -> (area column, who else reads a row)
TABLES = {
    "cobuilding_agreements": ("area_code", f"gridsvc_above(area_code) OR {UNIT_VISIBLE}"),
    "cobuilding_items": ("area_code", "gridsvc_above(area_code)"),
    "unit_seats": ("community_code", UNIT_VISIBLE),
}


def upgrade() -> None:
    op.execute(f"""
        CREATE TABLE cobuilding_agreements (
            id text PRIMARY KEY,
            area_code varchar(12) NOT NULL REFERENCES areas (code),
            organization_id text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
            valid_from date NOT NULL,
            valid_to date CONSTRAINT cobuilding_agreements_dates CHECK (valid_to >= valid_from),
            note text,
            {SOURCE.format(table="cobuilding_agreements")}
        )""")
    op.execute(f"""
        CREATE TABLE cobuilding_items (
            id text PRIMARY KEY,
            area_code varchar(12) NOT NULL REFERENCES areas (code),
            list varchar(16) NOT NULL CONSTRAINT cobuilding_items_list CHECK (list IN ('need', 'resource', 'project')),
            kind text,
            description text NOT NULL,
            status varchar(16) NOT NULL DEFAULT 'open' CONSTRAINT cobuilding_items_status
                CHECK (status IN ('open', 'matched', 'done')),
            opened_on date,
            organization_id text REFERENCES organizations (id) ON DELETE SET NULL,
            building_id text REFERENCES buildings (id) ON DELETE SET NULL,
            geom geometry(POINT, 4490),
            {SOURCE.format(table="cobuilding_items")}
        )""")
    op.execute(f"""
        CREATE TABLE unit_seats (
            community_code varchar(12) NOT NULL REFERENCES areas (code),
            organization_id text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
            holder text,
            since date,
            {SOURCE.format(table="unit_seats")},
            CONSTRAINT unit_seats_pkey PRIMARY KEY (community_code, organization_id)
        )""")
    for table, (area, also) in TABLES.items():
        for event, transition in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            op.execute(f"""CREATE TRIGGER {table}_version_{event.lower()} AFTER {event} ON {table}
                           REFERENCING {transition} TABLE AS changed
                           FOR EACH STATEMENT EXECUTE FUNCTION gridsvc_bump_if_rows()""")
        op.execute(f"""CREATE TRIGGER {table}_version_truncate AFTER TRUNCATE ON {table}
                       FOR EACH STATEMENT EXECUTE FUNCTION gridsvc_bump_version()""")
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {ROLE}")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY {table}_read ON {table} FOR SELECT TO {ROLE} USING (gridsvc_within({area}) OR {also})"
        )
        for command in ("INSERT", "UPDATE", "DELETE"):
            check = f"WITH CHECK (gridsvc_within({area}))" if command != "DELETE" else ""
            using = f"USING (gridsvc_within({area}))" if command != "INSERT" else ""
            op.execute(f"CREATE POLICY {table}_{command.lower()} ON {table} FOR {command} TO {ROLE} {using} {check}")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table}")
