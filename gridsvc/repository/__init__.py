"""The only place that talks SQL: reads return GeoDataFrames/rows, writes take Datasets."""
