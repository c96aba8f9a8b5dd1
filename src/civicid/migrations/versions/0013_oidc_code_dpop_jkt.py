"""oidc_code_dpop_jkt: an authorization code bound to a DPoP key (RFC 9449 §10: dpop_jkt, or the
proof sent with a pushed authorization request)

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("oidc_authorization_codes") as batch:
        batch.add_column(sa.Column("dpop_jkt", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("oidc_authorization_codes") as batch:
        batch.drop_column("dpop_jkt")
