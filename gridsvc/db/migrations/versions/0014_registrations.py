"""registration (报到, domain.md §8.1): unit_registrations (a resident unit's Party organization
registered with a community, on a date) and the in-service members living in each building
(buildings.in_service_members, in_service_registered); registrations read where the community or the
unit is in the scope, written inside it; counted in ``data_version``

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ROLE = "gridsvc_scoped"


def upgrade() -> None:
    op.execute("""
        CREATE TABLE unit_registrations (
            organization_id text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
            community_code varchar(12) NOT NULL REFERENCES areas (code),
            registered_on date,
            source varchar(16) NOT NULL DEFAULT 'import' CONSTRAINT unit_registrations_source
                CHECK (source IN ('import', 'generated', 'osm')),
            CONSTRAINT unit_registrations_pkey PRIMARY KEY (organization_id, community_code)
        )""")
    op.execute("""ALTER TABLE buildings
                  ADD COLUMN in_service_members integer CONSTRAINT buildings_in_service_members
                      CHECK (in_service_members >= 0),
                  ADD COLUMN in_service_registered integer CONSTRAINT buildings_in_service_registered
                      CHECK (in_service_registered >= 0)""")
    for event, transition in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        op.execute(f"""CREATE TRIGGER unit_registrations_version_{event.lower()} AFTER {event}
                       ON unit_registrations REFERENCING {transition} TABLE AS changed
                       FOR EACH STATEMENT EXECUTE FUNCTION gridsvc_bump_if_rows()""")
    op.execute("""CREATE TRIGGER unit_registrations_version_truncate AFTER TRUNCATE ON unit_registrations
                   FOR EACH STATEMENT EXECUTE FUNCTION gridsvc_bump_version()""")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON unit_registrations TO {ROLE}")
    op.execute("ALTER TABLE unit_registrations ENABLE ROW LEVEL SECURITY")
    # a community sees who registered with it, and where the units inside it registered (the
    # organizations' own policy decides which units are inside)
    op.execute(f"""CREATE POLICY unit_registrations_read ON unit_registrations FOR SELECT TO {ROLE}
                   USING (gridsvc_within(community_code)
                          OR EXISTS (SELECT 1 FROM organizations o WHERE o.id = organization_id))""")
    for command in ("INSERT", "UPDATE", "DELETE"):
        check = "WITH CHECK (gridsvc_within(community_code))" if command != "DELETE" else ""
        using = "USING (gridsvc_within(community_code))" if command != "INSERT" else ""
        op.execute(
            f"CREATE POLICY unit_registrations_{command.lower()} ON unit_registrations FOR {command} TO {ROLE} "
            f"{using} {check}"
        )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS unit_registrations")
    op.execute("ALTER TABLE buildings DROP COLUMN in_service_members, DROP COLUMN in_service_registered")
