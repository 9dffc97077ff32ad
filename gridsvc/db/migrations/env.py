"""Alembic environment: runs on the connection gridsvc hands over (see gridsvc.db.engine)."""

from alembic import context

from gridsvc.db.engine import ours
from gridsvc.db.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True, include_object=ours)
with context.begin_transaction():
    context.run_migrations()
