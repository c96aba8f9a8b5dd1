"""audit_derived: the log's lookup columns are generated from the signed leaf; outbox rows carry a MAC

``audit_entries.citizen_ref``/``tag`` and ``audit_pending.citizen_ref`` were written by CivicID
beside the leaf, so an insider could re-point an official's read to another citizen and
``audit verify`` (which recomputes from the leaf) did not notice. Now the database derives them
from ``data`` and refuses an UPDATE of them. ``audit_pending.mac`` authenticates an outbox row;
rows left in the outbox by the previous version get an empty MAC and are reported by
``civicid audit verify`` as ``audit.pending_forged`` (stop the server before upgrading: its
sequencer drains the outbox on shutdown).

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# convert_from is STABLE (it looks up a conversion), so a generated column needs this IMMUTABLE
# wrapper; with the encoding fixed to UTF8 its result depends on its arguments only. Plain SQL, no
# exception handler: a leaf that is not UTF-8 JSON is an error, not a silent NULL, and a plpgsql
# handler would open a subtransaction per row.
PG_FUNCTION = """
CREATE FUNCTION civicid_leaf_field(leaf bytea, field text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT convert_from(leaf, 'UTF8')::jsonb ->> field $$
"""

DERIVED = (("audit_entries", "citizen_ref", 128), ("audit_entries", "tag", 64), ("audit_pending", "citizen_ref", 128))


def _expression(dialect: str, field: str) -> str:
    if dialect == "postgresql":
        return f"civicid_leaf_field(data, '{field}')"
    # CAST: since SQLite 3.45 a BLOB argument would be read as JSONB, not as JSON text
    return f"json_extract(CAST(data AS TEXT), '$.{field}')"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
    kind = "STORED" if dialect == "postgresql" else "VIRTUAL"  # SQLite adds only virtual columns
    for table, column, length in DERIVED:
        op.drop_index(f"ix_{table}_{column}", table_name=table)
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} VARCHAR({length}) "
                   f"GENERATED ALWAYS AS ({_expression(dialect, column)}) {kind}")
        op.create_index(f"ix_{table}_{column}", table, [column])
    op.add_column("audit_pending", sa.Column("mac", sa.LargeBinary(), nullable=False, server_default=sa.text("''")
                                             if dialect == "postgresql" else sa.text("x''")))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute("ALTER TABLE audit_pending DROP COLUMN mac")
    for table, column, length in DERIVED:
        op.drop_index(f"ix_{table}_{column}", table_name=table)
        op.execute(f"ALTER TABLE {table} RENAME COLUMN {column} TO {column}_derived")
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} VARCHAR({length}) NOT NULL DEFAULT ''")
        op.execute(f"UPDATE {table} SET {column} = COALESCE({column}_derived, '')")
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}_derived")
        op.create_index(f"ix_{table}_{column}", table, [column])
    if dialect == "postgresql":
        op.execute("DROP FUNCTION civicid_leaf_field(bytea, text)")
