"""audit_pending: events waiting for the log's sequencer (an outbox written with each action)

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BigInt = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_pending",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("citizen_ref", sa.String(length=128), nullable=False),
        sa.Column("recorded_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_pending")),
    )
    op.create_index(op.f("ix_audit_pending_citizen_ref"), "audit_pending", ["citizen_ref"])


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_pending_citizen_ref"), table_name="audit_pending")
    op.drop_table("audit_pending")
