"""access: users, tokens, failed logins, the audit log, and row-level security keyed on a scope

The API runs each scoped caller's queries as the role ``gridsvc_scoped`` with the session setting
``gridsvc.scope`` (an area or grid code). Policies keep the rows inside that scope:

- areas: the scope itself, everything below it, and the areas above it (where it lies);
- grids and plan grids: codes under the scope; plans: every community under the scope;
- buildings and organizations: inside the scope's polygon (a building by its representative point,
  the rule that assigns buildings to grids, domain.md §4 rule 5);
- Party-organization scopes and staff assignments: whose target is visible (an area or grid target
  may also lie above the scope); Party organizations and staff: with a visible scope or assignment;
- snapshots: of an area under the scope.

Without a scope setting the role sees nothing. The table owner (the CLI, an unrestricted admin)
is not subject to the policies. Users, tokens and failed logins are never readable by the role;
the audit log only takes inserts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ROLE = "gridsvc_scoped"
DATA_TABLES = (
    "areas",
    "grids",
    "buildings",
    "organizations",
    "party_orgs",
    "party_org_scopes",
    "staff",
    "assignments",
    "plans",
    "plan_grids",
    "snapshots",
)
# a target (of a Party-organization scope or a staff assignment) is visible when its row is
_TARGET_VISIBLE = """CASE target_type
    WHEN 'building' THEN EXISTS (SELECT 1 FROM buildings b WHERE b.id = target_id)
    WHEN 'organization' THEN EXISTS (SELECT 1 FROM organizations o WHERE o.id = target_id)
    ELSE gridsvc_within(target_id) OR gridsvc_above(target_id) END"""
POLICIES = {
    "areas": "gridsvc_within(code) OR gridsvc_above(code)",
    "grids": "gridsvc_within(code)",
    "buildings": "ST_Intersects(rep_point, (SELECT gridsvc_scope_geom()))",
    "organizations": "ST_Intersects(geom, (SELECT gridsvc_scope_geom()))",
    "party_org_scopes": _TARGET_VISIBLE,
    "party_orgs": "EXISTS (SELECT 1 FROM party_org_scopes s WHERE s.party_org_id = party_orgs.id)",
    "assignments": _TARGET_VISIBLE,
    "staff": "EXISTS (SELECT 1 FROM assignments a WHERE a.staff_id = staff.id)",
    "plans": "NOT EXISTS (SELECT 1 FROM unnest(communities) c WHERE NOT coalesce(gridsvc_within(c), false))",
    "plan_grids": "gridsvc_within(community_code)",
    "snapshots": "area IS NOT NULL AND gridsvc_within(area)",
}


def upgrade() -> None:
    op.execute("""
        CREATE TABLE users (
            id serial PRIMARY KEY,
            name text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9_.@-]{1,64}$'),
            role varchar(16) NOT NULL CHECK (role IN ('admin', 'planner', 'leader', 'viewer')),
            scope varchar(15) CHECK (scope ~ '^(\\d{6}|\\d{9}|\\d{12}|\\d{15})$'),
            password_hash text NOT NULL,
            disabled boolean NOT NULL DEFAULT false,
            created_at timestamptz NOT NULL DEFAULT now(),
            CHECK (scope IS NOT NULL OR role = 'admin')
        )""")
    op.execute("""
        CREATE TABLE tokens (
            digest char(64) PRIMARY KEY,
            user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL
        )""")
    op.execute("CREATE INDEX tokens_user ON tokens (user_id)")
    op.execute("""
        CREATE TABLE login_failures (
            id bigserial PRIMARY KEY,
            user_name text NOT NULL,
            client text NOT NULL,
            at timestamptz NOT NULL DEFAULT now()
        )""")
    op.execute("CREATE INDEX login_failures_name ON login_failures (user_name, at)")
    op.execute("CREATE INDEX login_failures_client ON login_failures (client, at)")
    op.execute("""
        CREATE TABLE audit_log (
            id bigserial PRIMARY KEY,
            at timestamptz NOT NULL DEFAULT now(),
            actor text NOT NULL
                DEFAULT coalesce(nullif(current_setting('gridsvc.actor', true), ''), 'sql:' || session_user),
            action text NOT NULL,
            target_type text NOT NULL,
            target_id text,
            before jsonb,
            after jsonb
        )""")
    op.execute("CREATE INDEX audit_log_at ON audit_log (at DESC)")

    op.execute(f"""DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}') THEN
            CREATE ROLE {ROLE} NOLOGIN;
        END IF;
        EXECUTE format('GRANT {ROLE} TO %I', current_user);
    END $$""")
    op.execute("""
        CREATE FUNCTION gridsvc_scope() RETURNS text LANGUAGE sql STABLE
        AS $$ SELECT nullif(current_setting('gridsvc.scope', true), '') $$""")
    op.execute("""
        CREATE FUNCTION gridsvc_within(code text) RETURNS boolean LANGUAGE sql STABLE
        AS $$ SELECT starts_with(code, gridsvc_scope()) $$""")
    op.execute("""
        CREATE FUNCTION gridsvc_above(code text) RETURNS boolean LANGUAGE sql STABLE
        AS $$ SELECT starts_with(gridsvc_scope(), code) $$""")
    # the scope's polygon, read as the owner (the policies of areas and grids do not apply here)
    op.execute("""
        CREATE FUNCTION gridsvc_scope_geom() RETURNS geometry LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = public, pg_temp
        AS $$ SELECT CASE WHEN length(gridsvc_scope()) = 15
                 THEN (SELECT geom FROM grids WHERE code = gridsvc_scope() AND valid_to IS NULL)
                 ELSE (SELECT geom FROM areas WHERE code = gridsvc_scope()) END $$""")
    op.execute("REVOKE ALL ON FUNCTION gridsvc_scope_geom() FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION gridsvc_scope_geom() TO {ROLE}")

    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(DATA_TABLES)} TO {ROLE}")
    op.execute(f"GRANT SELECT ON roads, data_version TO {ROLE}")
    op.execute(f"GRANT UPDATE ON data_version TO {ROLE}")  # the change triggers move it
    op.execute(f"GRANT INSERT ON audit_log TO {ROLE}")
    op.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {ROLE}")
    op.execute(f"DO $$ BEGIN EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO {ROLE}', current_database()); END $$")
    for table, rule in POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_scope ON {table} TO {ROLE} USING ({rule}) WITH CHECK ({rule})")


def downgrade() -> None:
    for table in POLICIES:
        op.execute(f"DROP POLICY IF EXISTS {table}_scope ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {ROLE}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {ROLE}")
    op.execute(f"DO $$ BEGIN EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM {ROLE}', current_database()); END $$")
    for fn in ("gridsvc_scope_geom()", "gridsvc_above(text)", "gridsvc_within(text)", "gridsvc_scope()"):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    # the role is shared by every gridsvc database of the cluster: it stays
    for table in ("audit_log", "login_failures", "tokens", "users"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
