"""oidc_backchannel_logout: clients' backchannel_logout_uri and backchannel_logout_session_required
(OpenID Back-Channel Logout 1.0 §2.2), and the outbox of logout notifications still to deliver

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa

from civicid.db import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("oidc_clients") as batch:
        batch.add_column(sa.Column("backchannel_logout_uri", sa.Text(), nullable=True))
        batch.add_column(sa.Column("backchannel_logout_session_required", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_table(
        "oidc_logout_notices",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("sub", sa.String(length=64), nullable=True),
        sa.Column("sid", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_oidc_logout_notices_next_attempt_at", "oidc_logout_notices", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_oidc_logout_notices_next_attempt_at", table_name="oidc_logout_notices")
    op.drop_table("oidc_logout_notices")
    with op.batch_alter_table("oidc_clients") as batch:
        batch.drop_column("backchannel_logout_session_required")
        batch.drop_column("backchannel_logout_uri")
