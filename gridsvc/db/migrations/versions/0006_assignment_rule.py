"""assignment rule in SQL: a building (or organization) belongs to the first grid holding its point

Domain.md rule 5 as analysis/assignment.py applies it: of the current grids of a side (Party side:
party and unified layers; staff side: governance and unified) whose polygon holds the
representative point (edges included), the one with the lowest code. ``gridsvc_in_grid(point,
code)`` says whether grid ``code`` is that grid on a side of its layer. It reads every grid (as the
owner), so a caller scoped to the second of two overlapping grids cannot claim the building that
coverage gives to the first. The building and organization policies of a grid scope use it;
repository/predicates.py names it for queries, and a test holds it equal to the Python rule.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ROLE = "gridsvc_scoped"
OLD = {
    "buildings": "ST_Intersects(rep_point, (SELECT gridsvc_scope_geom()))",
    "organizations": "ST_Intersects(geom, (SELECT gridsvc_scope_geom()))",
}
NEW = {
    table: f"{rule} AND (length(gridsvc_scope()) <> 15 OR gridsvc_in_grid({column}, gridsvc_scope()))"
    for (table, rule), column in zip(OLD.items(), ("rep_point", "geom"), strict=True)
}


def _first_on_side(layers: str) -> str:
    return f"""(g.layer IN ({layers}) AND NOT EXISTS (
                  SELECT 1 FROM grids o WHERE o.valid_to IS NULL AND o.layer IN ({layers}) AND o.code < g.code
                    AND o.geom && point AND ST_Intersects(o.geom, point)))"""


def upgrade() -> None:
    op.execute(f"""
        CREATE FUNCTION gridsvc_in_grid(point geometry, grid_code text) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$ SELECT EXISTS (
            SELECT 1 FROM grids g
            WHERE g.code = grid_code AND g.valid_to IS NULL AND g.geom && point AND ST_Intersects(g.geom, point)
              AND ({_first_on_side("'party', 'unified'")} OR {_first_on_side("'governance', 'unified'")})) $$""")
    op.execute("REVOKE ALL ON FUNCTION gridsvc_in_grid(geometry, text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION gridsvc_in_grid(geometry, text) TO {ROLE}")
    for table, rule in NEW.items():
        op.execute(f"DROP POLICY {table}_scope ON {table}")
        op.execute(f"CREATE POLICY {table}_scope ON {table} TO {ROLE} USING ({rule}) WITH CHECK ({rule})")


def downgrade() -> None:
    for table, rule in OLD.items():
        op.execute(f"DROP POLICY {table}_scope ON {table}")
        op.execute(f"CREATE POLICY {table}_scope ON {table} TO {ROLE} USING ({rule}) WITH CHECK ({rule})")
    op.execute("DROP FUNCTION IF EXISTS gridsvc_in_grid(geometry, text)")
