from alembic import context
from sqlalchemy import text

from civicid.schema import metadata

# Any constant shared by every replica: the key of PostgreSQL's advisory lock on the schema.
MIGRATION_LOCK_KEY = 0x43495649_4D4947  # "CIVI" "MIG"

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    if connection.dialect.name == "postgresql":
        # Replicas starting together each migrate at start (`civicid serve`): one at a time, until
        # the transaction ends; the next one finds the schema current and does nothing. (SQLite's
        # BEGIN IMMEDIATE already makes them take turns.)
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
