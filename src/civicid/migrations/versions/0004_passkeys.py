"""passkeys: registered WebAuthn credentials, pending ceremonies, face-recovery sessions

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

import civicid.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "passkeys",
        sa.Column("credential_id", sa.LargeBinary(length=1023), nullable=False),
        sa.Column("citizen_id", sa.String(length=36), nullable=False),
        sa.Column("user_handle", sa.LargeBinary(length=64), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("transports", sa.String(length=128), nullable=False),
        sa.Column("aaguid", sa.String(length=36), nullable=False),
        sa.Column("backed_up", sa.Boolean(), nullable=False),
        sa.Column("created_at", civicid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", civicid.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["citizen_id"], ["citizens.id"], name=op.f("fk_passkeys_citizen_id_citizens"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("credential_id", name=op.f("pk_passkeys")),
    )
    with op.batch_alter_table("passkeys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_passkeys_citizen_id"), ["citizen_id"], unique=False)

    op.create_table(
        "webauthn_ceremonies",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("challenge", sa.LargeBinary(length=64), nullable=False),
        sa.Column("citizen_id", sa.String(length=36), nullable=True),
        sa.Column("expires_at", civicid.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webauthn_ceremonies")),
    )
    with op.batch_alter_table("webauthn_ceremonies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webauthn_ceremonies_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "recovery_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("citizen_id", sa.String(length=36), nullable=False),
        sa.Column("actions", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("created_at", civicid.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", civicid.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["citizen_id"], ["citizens.id"],
                                name=op.f("fk_recovery_sessions_citizen_id_citizens"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_sessions")),
    )


def downgrade() -> None:
    op.drop_table("recovery_sessions")
    with op.batch_alter_table("webauthn_ceremonies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webauthn_ceremonies_expires_at"))
    op.drop_table("webauthn_ceremonies")
    with op.batch_alter_table("passkeys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_passkeys_citizen_id"))
    op.drop_table("passkeys")
