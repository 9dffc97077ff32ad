"""Readers for the exchange GeoPackage and building footprints (OSM, GeoJSON, Shapefile, GeoPackage)."""
