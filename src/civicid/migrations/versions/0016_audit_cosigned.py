"""audit_cosigned: the newest witness-cosigned checkpoint of the log, per origin, in the database
(it was a file under CIVICID_HOME, which replicas on separate disks do not share)

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_cosigned",
        sa.Column("origin", sa.String(length=255), primary_key=True),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_cosigned")
