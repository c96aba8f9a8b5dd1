"""audit_log_keys: rotations of the key that signs the transparency log's tree heads

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log_keys",
        sa.Column("serial", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("first_size", sa.BigInteger(), nullable=False),
        sa.Column("endorsement", sa.LargeBinary(length=64), nullable=False),
        sa.PrimaryKeyConstraint("serial", name=op.f("pk_audit_log_keys")),
    )


def downgrade() -> None:
    op.drop_table("audit_log_keys")
