"""session_attempts: the attempt an enrolment or recovery session counts until it succeeds

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("enrolment_sessions", "recovery_sessions"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("attempt_ids", sa.String(length=64), nullable=True))


def downgrade() -> None:
    for table in ("enrolment_sessions", "recovery_sessions"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("attempt_ids")
