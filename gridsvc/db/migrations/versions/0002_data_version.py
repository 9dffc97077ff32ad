"""data version: a counter that any change to the data moves (for caches)

Statement-level triggers with transition tables: a statement that changes no row (an upsert of
identical data) leaves the version alone; TRUNCATE always moves it. Writes made outside gridsvc
(plain SQL) move it too.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = (
    "areas",
    "grids",
    "buildings",
    "organizations",
    "party_orgs",
    "party_org_scopes",
    "staff",
    "assignments",
    "roads",
)


def upgrade() -> None:
    op.execute("CREATE TABLE data_version (id integer PRIMARY KEY CHECK (id = 1), version bigint NOT NULL)")
    op.execute("INSERT INTO data_version VALUES (1, 0)")
    op.execute("""
        CREATE FUNCTION gridsvc_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE data_version SET version = version + 1 WHERE id = 1;
            RETURN NULL;
        END $$""")
    op.execute("""
        CREATE FUNCTION gridsvc_bump_if_rows() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM changed) THEN
                UPDATE data_version SET version = version + 1 WHERE id = 1;
            END IF;
            RETURN NULL;
        END $$""")
    for table in TABLES:
        for event, transition in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            op.execute(f"""CREATE TRIGGER {table}_version_{event.lower()} AFTER {event} ON {table}
                           REFERENCING {transition} TABLE AS changed
                           FOR EACH STATEMENT EXECUTE FUNCTION gridsvc_bump_if_rows()""")
        op.execute(f"""CREATE TRIGGER {table}_version_truncate AFTER TRUNCATE ON {table}
                       FOR EACH STATEMENT EXECUTE FUNCTION gridsvc_bump_version()""")


def downgrade() -> None:
    for table in TABLES:
        for event in ("insert", "update", "delete", "truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_version_{event} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS gridsvc_bump_if_rows()")
    op.execute("DROP FUNCTION IF EXISTS gridsvc_bump_version()")
    op.execute("DROP TABLE IF EXISTS data_version")
