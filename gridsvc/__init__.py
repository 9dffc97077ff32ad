"""gridsvc — grids (网格), buildings, Party organizations and staff of urban communities, in PostGIS."""

__version__ = "0.1.0"
