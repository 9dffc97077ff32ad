"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "areas",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("parent_code", sa.String(length=12), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("source", sa.String(length=16), server_default="import", nullable=False),
        sa.CheckConstraint(
            "(level = 'district' AND code ~ '^\\d{6}$') OR (level = 'street' AND code ~ '^\\d{9}$') OR (level = 'community' AND code ~ '^\\d{12}$')",
            name="areas_code_digits",
        ),
        sa.CheckConstraint("level IN ('district', 'street', 'community')", name="areas_level"),
        sa.CheckConstraint("source IN ('import', 'generated', 'osm')", name="areas_source"),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["areas.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("areas_geom_gist", "areas", ["geom"], unique=False, postgresql_using="gist")
    op.create_index("areas_parent", "areas", ["parent_code"], unique=False)
    op.create_table(
        "buildings",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("use", sa.String(length=16), nullable=False),
        sa.Column("floors", sa.Integer(), nullable=True),
        sa.Column("units", sa.Integer(), nullable=True),
        sa.Column("households", sa.Integer(), nullable=True),
        sa.Column("households_estimated", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("residents", sa.Integer(), nullable=True),
        sa.Column("full_members", sa.Integer(), nullable=True),
        sa.Column("probationary_members", sa.Integer(), nullable=True),
        sa.Column("osm_id", sa.Text(), nullable=True),
        sa.Column("building_type", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "rep_point",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=16), server_default="import", nullable=False),
        sa.CheckConstraint("GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON', 'POINT')", name="buildings_geom_type"),
        sa.CheckConstraint("source IN ('import', 'generated', 'osm')", name="buildings_source"),
        sa.CheckConstraint(
            "use IN ('residential', 'office', 'commercial', 'mixed', 'public', 'other')", name="buildings_use"
        ),
        sa.CheckConstraint(
            "coalesce(floors, 0) >= 0 AND coalesce(units, 0) >= 0 AND coalesce(households, 0) >= 0 AND coalesce(residents, 0) >= 0 AND coalesce(full_members, 0) >= 0 AND coalesce(probationary_members, 0) >= 0",
            name="buildings_counts_nonnegative",
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("buildings_geom_gist", "buildings", ["geom"], unique=False, postgresql_using="gist")
    op.create_index("buildings_osm_id", "buildings", ["osm_id"], unique=False)
    op.create_index("buildings_rep_point_gist", "buildings", ["rep_point"], unique=False, postgresql_using="gist")
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_name", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "party_orgs",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.Text(), nullable=True),
        sa.Column("full_members", sa.Integer(), nullable=True),
        sa.Column("probationary_members", sa.Integer(), nullable=True),
        sa.Column("founded", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=16), server_default="import", nullable=False),
        sa.CheckConstraint(
            "kind IN ('committee', 'general_branch', 'branch', 'joint_branch', 'group')", name="party_orgs_kind"
        ),
        sa.CheckConstraint("source IN ('import', 'generated', 'osm')", name="party_orgs_source"),
        sa.CheckConstraint("parent_id IS NULL OR parent_id <> id", name="party_orgs_not_own_parent"),
        sa.ForeignKeyConstraint(["parent_id"], ["party_orgs.id"], initially="DEFERRED", deferrable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "roads",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="MULTILINESTRING",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=16), server_default="import", nullable=False),
        sa.CheckConstraint("source IN ('import', 'generated', 'osm')", name="roads_source"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("roads_geom_gist", "roads", ["geom"], unique=False, postgresql_using="gist")
    op.create_table(
        "staff",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("fulltime", sa.Boolean(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=16), server_default="import", nullable=False),
        sa.CheckConstraint("role IN ('grid_leader', 'grid_worker', 'building_leader', 'liaison')", name="staff_role"),
        sa.CheckConstraint("source IN ('import', 'generated', 'osm')", name="staff_source"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("staff_id", sa.Text(), nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.Text(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.CheckConstraint("target_type IN ('grid', 'building', 'organization')", name="assignments_target_type"),
        sa.CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="assignments_dates"
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "assignments_key",
        "assignments",
        ["staff_id", "target_type", "target_id", "start_date"],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )
    op.create_index("assignments_target", "assignments", ["target_type", "target_id"], unique=False)
    op.create_table(
        "grids",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=15), nullable=False),
        sa.Column("layer", sa.String(length=16), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("urban", sa.Boolean(), server_default="true", nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("valid_from", sa.Date(), server_default=sa.text("CURRENT_DATE"), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=16), server_default="import", nullable=False),
        sa.CheckConstraint("code ~ '^\\d{15}$'", name="grids_code_digits"),
        sa.CheckConstraint("layer IN ('party', 'governance', 'unified')", name="grids_layer"),
        sa.CheckConstraint("source IN ('import', 'generated', 'osm')", name="grids_source"),
        sa.CheckConstraint("left(code, 12) = community_code", name="grids_code_prefix"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="grids_validity"),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["areas.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("grids_community_layer", "grids", ["community_code", "layer"], unique=False)
    op.create_index("grids_current_code", "grids", ["code"], unique=True, postgresql_where=sa.text("valid_to IS NULL"))
    op.create_index("grids_geom_gist", "grids", ["geom"], unique=False, postgresql_using="gist")
    op.create_table(
        "organizations",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("full_members", sa.Integer(), nullable=True),
        sa.Column("has_union", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("has_youth_league", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("building_id", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=16), server_default="import", nullable=False),
        sa.CheckConstraint(
            "kind IN ('enterprise', 'social_org', 'public_unit', 'office_building', 'market', 'park')",
            name="organizations_kind",
        ),
        sa.CheckConstraint("source IN ('import', 'generated', 'osm')", name="organizations_source"),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("organizations_geom_gist", "organizations", ["geom"], unique=False, postgresql_using="gist")
    op.create_table(
        "party_org_scopes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("party_org_id", sa.Text(), nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.Text(), nullable=False),
        sa.Column("own", sa.Boolean(), nullable=True),
        sa.CheckConstraint(
            "target_type IN ('grid', 'building', 'organization', 'community')", name="party_org_scopes_target_type"
        ),
        sa.ForeignKeyConstraint(["party_org_id"], ["party_orgs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "party_org_scopes_key", "party_org_scopes", ["party_org_id", "target_type", "target_id"], unique=True
    )
    op.create_index("party_org_scopes_target", "party_org_scopes", ["target_type", "target_id"], unique=False)


def downgrade() -> None:
    op.drop_index("party_org_scopes_target", table_name="party_org_scopes")
    op.drop_index("party_org_scopes_key", table_name="party_org_scopes")
    op.drop_table("party_org_scopes")
    op.drop_index("organizations_geom_gist", table_name="organizations", postgresql_using="gist")
    op.drop_table("organizations")
    op.drop_index("grids_geom_gist", table_name="grids", postgresql_using="gist")
    op.drop_index("grids_current_code", table_name="grids", postgresql_where=sa.text("valid_to IS NULL"))
    op.drop_index("grids_community_layer", table_name="grids")
    op.drop_table("grids")
    op.drop_index("assignments_target", table_name="assignments")
    op.drop_index("assignments_key", table_name="assignments", postgresql_nulls_not_distinct=True)
    op.drop_table("assignments")
    op.drop_table("staff")
    op.drop_index("roads_geom_gist", table_name="roads", postgresql_using="gist")
    op.drop_table("roads")
    op.drop_table("party_orgs")
    op.drop_table("imports")
    op.drop_index("buildings_rep_point_gist", table_name="buildings", postgresql_using="gist")
    op.drop_index("buildings_osm_id", table_name="buildings")
    op.drop_index("buildings_geom_gist", table_name="buildings", postgresql_using="gist")
    op.drop_table("buildings")
    op.drop_index("areas_parent", table_name="areas")
    op.drop_index("areas_geom_gist", table_name="areas", postgresql_using="gist")
    op.drop_table("areas")
