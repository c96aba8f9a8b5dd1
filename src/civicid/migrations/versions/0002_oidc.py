"""oidc: relying parties, authorization codes, tokens, consents, signing keys, client assertions

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import civicid.db


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('oidc_authorization_codes',
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('citizen_id', sa.String(length=36), nullable=False),
    sa.Column('redirect_uri', sa.Text(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('claims', sa.Text(), nullable=False),
    sa.Column('nonce', sa.String(length=255), nullable=True),
    sa.Column('code_challenge', sa.String(length=128), nullable=False),
    sa.Column('code_challenge_method', sa.String(length=8), nullable=False),
    sa.Column('acr', sa.String(length=64), nullable=False),
    sa.Column('amr', sa.String(length=64), nullable=False),
    sa.Column('auth_time', civicid.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', civicid.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', civicid.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('code_hash', name=op.f('pk_oidc_authorization_codes'))
    )
    op.create_index('ix_oidc_authorization_codes_client_nonce', 'oidc_authorization_codes', ['client_id', 'nonce'], unique=False)
    op.create_table('oidc_client_assertions',
    sa.Column('jti_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', civicid.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('jti_hash', name=op.f('pk_oidc_client_assertions'))
    )
    op.create_index(op.f('ix_oidc_client_assertions_expires_at'), 'oidc_client_assertions', ['expires_at'], unique=False)
    op.create_table('oidc_clients',
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('secret_hash', sa.String(length=255), nullable=True),
    sa.Column('token_endpoint_auth_method', sa.String(length=32), nullable=False),
    sa.Column('redirect_uris', sa.Text(), nullable=False),
    sa.Column('post_logout_redirect_uris', sa.Text(), nullable=False),
    sa.Column('sector_identifier', sa.String(length=255), nullable=False),
    sa.Column('jwks', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', civicid.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_oidc_clients'))
    )
    op.create_table('oidc_consents',
    sa.Column('citizen_id', sa.String(length=36), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('asked', sa.Text(), nullable=False),
    sa.Column('granted', sa.Text(), nullable=False),
    sa.Column('granted_at', civicid.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('citizen_id', 'client_id', name=op.f('pk_oidc_consents'))
    )
    op.create_table('oidc_signing_keys',
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('alg', sa.String(length=16), nullable=False),
    sa.Column('public_jwk', sa.Text(), nullable=False),
    sa.Column('private_key_ct', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', civicid.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('retired_at', civicid.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('publish_until', civicid.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('kid', name=op.f('pk_oidc_signing_keys'))
    )
    op.create_table('oidc_tokens',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('grant_id', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('citizen_id', sa.String(length=36), nullable=False),
    sa.Column('access_token_hash', sa.String(length=64), nullable=False),
    sa.Column('refresh_token_hash', sa.String(length=64), nullable=True),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('claims', sa.Text(), nullable=False),
    sa.Column('acr', sa.String(length=64), nullable=False),
    sa.Column('amr', sa.String(length=64), nullable=False),
    sa.Column('auth_time', civicid.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('issued_at', civicid.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', civicid.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('refresh_expires_at', civicid.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', civicid.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_tokens')),
    sa.UniqueConstraint('access_token_hash', name=op.f('uq_oidc_tokens_access_token_hash')),
    sa.UniqueConstraint('refresh_token_hash', name=op.f('uq_oidc_tokens_refresh_token_hash'))
    )
    op.create_index('ix_oidc_tokens_citizen_client', 'oidc_tokens', ['citizen_id', 'client_id'], unique=False)
    op.create_index(op.f('ix_oidc_tokens_grant_id'), 'oidc_tokens', ['grant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_oidc_tokens_grant_id'), table_name='oidc_tokens')
    op.drop_index('ix_oidc_tokens_citizen_client', table_name='oidc_tokens')
    op.drop_table('oidc_tokens')
    op.drop_table('oidc_signing_keys')
    op.drop_table('oidc_consents')
    op.drop_table('oidc_clients')
    op.drop_index(op.f('ix_oidc_client_assertions_expires_at'), table_name='oidc_client_assertions')
    op.drop_table('oidc_client_assertions')
    op.drop_index('ix_oidc_authorization_codes_client_nonce', table_name='oidc_authorization_codes')
    op.drop_table('oidc_authorization_codes')
