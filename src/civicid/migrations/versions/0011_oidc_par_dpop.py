"""oidc_par_dpop: pushed authorization requests (RFC 9126) and DPoP (RFC 9449): per-client
require_pushed_authorization_requests and dpop_bound_access_tokens, the DPoP key thumbprint a
token is bound to, the pushed requests and the DPoP proof ids already seen

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

from civicid.db import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("oidc_clients") as batch:
        batch.add_column(sa.Column("require_pushed_authorization_requests", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("dpop_bound_access_tokens", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table("oidc_tokens") as batch:
        batch.add_column(sa.Column("dpop_jkt", sa.String(length=64), nullable=True))
    op.create_table(
        "oidc_pushed_requests",
        sa.Column("request_uri_hash", sa.String(length=64), primary_key=True),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_at", UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_oidc_pushed_requests_expires_at", "oidc_pushed_requests", ["expires_at"])
    op.create_table(
        "oidc_dpop_proofs",
        sa.Column("jti_hash", sa.String(length=64), primary_key=True),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_oidc_dpop_proofs_expires_at", "oidc_dpop_proofs", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_oidc_dpop_proofs_expires_at", table_name="oidc_dpop_proofs")
    op.drop_table("oidc_dpop_proofs")
    op.drop_index("ix_oidc_pushed_requests_expires_at", table_name="oidc_pushed_requests")
    op.drop_table("oidc_pushed_requests")
    with op.batch_alter_table("oidc_tokens") as batch:
        batch.drop_column("dpop_jkt")
    with op.batch_alter_table("oidc_clients") as batch:
        batch.drop_column("dpop_bound_access_tokens")
        batch.drop_column("require_pushed_authorization_requests")
