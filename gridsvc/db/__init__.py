"""Database access: engine, the private local cluster, models and migrations."""
