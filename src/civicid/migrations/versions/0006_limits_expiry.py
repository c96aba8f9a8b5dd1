"""limits_expiry: atomic attempt limits (a lock row per key), expiring attempts, expiry indexes

Attempts no longer carry ``failed``: an attempt counts while its row exists, and one that ended
well is deleted. Rows that never counted (enrolment successes) are dropped; the others keep
counting, with ``expires_at`` one day after them (the longest window in use). The tables the
periodic prune (civicid.maintenance) deletes from by ``expires_at`` get an index on it.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

import civicid.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

#: (table, index) on expires_at, for the prune's range scans
EXPIRY_INDEXES = (
    ("citizen_sessions", "ix_citizen_sessions_expires_at"),
    ("oidc_authorization_codes", "ix_oidc_authorization_codes_expires_at"),
    ("oidc_tokens", "ix_oidc_tokens_expires_at"),
    ("verification_challenges", "ix_verification_challenges_expires_at"),
)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute("DELETE FROM attempts WHERE NOT failed AND scope IN ('enrol_id', 'enrol_client')")
    with op.batch_alter_table("attempts") as batch_op:
        batch_op.add_column(sa.Column("expires_at", civicid.db.UTCDateTime(timezone=True), nullable=True))
    # SQLite keeps the stored text's microseconds; PostgreSQL adds an interval
    op.execute("UPDATE attempts SET expires_at = substr(datetime(at, '+1 day'), 1, 19) || substr(at, 20)" if sqlite
               else "UPDATE attempts SET expires_at = at + interval '1 day'")
    with op.batch_alter_table("attempts") as batch_op:
        batch_op.alter_column("expires_at", existing_type=civicid.db.UTCDateTime(timezone=True), nullable=False)
        batch_op.drop_column("failed")
        batch_op.create_index(batch_op.f("ix_attempts_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "attempt_keys",
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("expires_at", civicid.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_attempt_keys")),
    )
    op.create_index(op.f("ix_attempt_keys_expires_at"), "attempt_keys", ["expires_at"], unique=False)
    op.execute("INSERT INTO attempt_keys (scope, key, expires_at) "
               "SELECT scope, key, max(expires_at) FROM attempts GROUP BY scope, key")
    for table, index in EXPIRY_INDEXES:
        op.create_index(index, table, ["expires_at"], unique=False)


def downgrade() -> None:
    for table, index in EXPIRY_INDEXES:
        op.drop_index(index, table_name=table)
    op.drop_index(op.f("ix_attempt_keys_expires_at"), table_name="attempt_keys")
    op.drop_table("attempt_keys")
    with op.batch_alter_table("attempts") as batch_op:
        batch_op.drop_index(batch_op.f("ix_attempts_expires_at"))
        batch_op.add_column(sa.Column("failed", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.drop_column("expires_at")
