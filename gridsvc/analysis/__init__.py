"""Pure analysis on GeoDataFrames: no database, no web. Imports nothing else from gridsvc."""
