"""transparency log (entries with their signed tree heads, perfect-subtree hashes) and staff

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

import civicid.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("idx", BigInt, autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.Column("citizen_ref", sa.String(length=128), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_audit_entries")),
    )
    op.create_index(op.f("ix_audit_entries_citizen_ref"), "audit_entries", ["citizen_ref"])
    op.create_index(op.f("ix_audit_entries_tag"), "audit_entries", ["tag"])
    op.create_table(
        "audit_nodes",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", BigInt, autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_audit_nodes")),
    )


    op.create_table(
        "staff",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=80), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", civicid.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("staff")
    op.drop_table("audit_nodes")
    op.drop_index(op.f("ix_audit_entries_tag"), table_name="audit_entries")
    op.drop_index(op.f("ix_audit_entries_citizen_ref"), table_name="audit_entries")
    op.drop_table("audit_entries")
