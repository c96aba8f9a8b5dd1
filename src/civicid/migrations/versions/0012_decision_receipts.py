"""decision_receipts: an enrolment or recovery decision kept 10 minutes for the session and client
that asked, so a page that lost the answer can fetch it again (issue 13); a success's sign-in
token sealed under the receipt's own data key, handed out once

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

from civicid.db import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "decision_receipts",
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("flow", sa.String(length=16), nullable=False),
        sa.Column("client_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_status", sa.Integer(), nullable=True),
        sa.Column("error_message", sa.String(length=300), nullable=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_decision_receipts")),
    )
    op.create_index(op.f("ix_decision_receipts_expires_at"), "decision_receipts", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_decision_receipts_expires_at"), table_name="decision_receipts")
    op.drop_table("decision_receipts")
