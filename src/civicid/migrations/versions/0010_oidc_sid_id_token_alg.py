"""oidc_sid_id_token_alg: the browser session's sid on authorization codes (OIDC Front-Channel
Logout 1.0 §3), and a client's ID-token signing algorithm (OIDC Registration 1.0 §2)

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("oidc_authorization_codes") as batch:
        batch.add_column(sa.Column("sid", sa.String(length=64), nullable=True))
    with op.batch_alter_table("oidc_clients") as batch:
        batch.add_column(sa.Column("id_token_signed_response_alg", sa.String(length=16), nullable=False,
                                   server_default="ES256"))


def downgrade() -> None:
    with op.batch_alter_table("oidc_clients") as batch:
        batch.drop_column("id_token_signed_response_alg")
    with op.batch_alter_table("oidc_authorization_codes") as batch:
        batch.drop_column("sid")
