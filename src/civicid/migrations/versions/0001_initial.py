"""initial: registry, citizens, sessions, enrolment, partners, data keys

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 21:37:44.929523
"""
from alembic import op
import sqlalchemy as sa
import civicid.db


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('scope', sa.String(length=32), nullable=False),
    sa.Column('key', sa.LargeBinary(length=32), nullable=False),
    sa.Column('failed', sa.Boolean(), nullable=False),
    sa.Column('at', civicid.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempts'))
    )
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.create_index('ix_attempts_scope_key_at', ['scope', 'key', 'at'], unique=False)

    op.create_table('citizen_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('citizen_id', sa.String(length=36), nullable=False),
    sa.Column('amr', sa.String(length=64), nullable=False),
    sa.Column('acr', sa.String(length=64), nullable=False),
    sa.Column('auth_time', civicid.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', civicid.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_citizen_sessions'))
    )
    with op.batch_alter_table('citizen_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_citizen_sessions_citizen_id'), ['citizen_id'], unique=False)

    op.create_table('citizens',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('network_id', sa.String(length=32), nullable=False),
    sa.Column('id_number_index', sa.LargeBinary(length=32), nullable=False),
    sa.Column('id_number_ct', sa.LargeBinary(), nullable=False),
    sa.Column('name_ct', sa.LargeBinary(), nullable=False),
    sa.Column('birth_date_ct', sa.LargeBinary(), nullable=False),
    sa.Column('template_ct', sa.LargeBinary(), nullable=True),
    sa.Column('verification', sa.String(length=64), nullable=False),
    sa.Column('enrolled_at', civicid.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_citizens')),
    sa.UniqueConstraint('id_number_index', name=op.f('uq_citizens_id_number_index')),
    sa.UniqueConstraint('network_id', name=op.f('uq_citizens_network_id'))
    )
    op.create_table('data_keys',
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('kek_id', sa.String(length=64), nullable=False),
    sa.Column('wrapped', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', civicid.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('owner', name=op.f('pk_data_keys'))
    )
    with op.batch_alter_table('data_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_keys_kek_id'), ['kek_id'], unique=False)

    op.create_table('enrolment_sessions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('id_number_ct', sa.LargeBinary(), nullable=False),
    sa.Column('id_number_index', sa.LargeBinary(length=32), nullable=False),
    sa.Column('client_key', sa.LargeBinary(length=32), nullable=False),
    sa.Column('actions', sa.String(length=64), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('created_at', civicid.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', civicid.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolment_sessions'))
    )
    op.create_table('partners',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('secret_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', civicid.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partners')),
    sa.UniqueConstraint('client_id', name=op.f('uq_partners_client_id'))
    )
    op.create_table('registry_persons',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('id_number_index', sa.LargeBinary(length=32), nullable=False),
    sa.Column('id_number_ct', sa.LargeBinary(), nullable=False),
    sa.Column('name_ct', sa.LargeBinary(), nullable=False),
    sa.Column('birth_date_ct', sa.LargeBinary(), nullable=False),
    sa.Column('sex_ct', sa.LargeBinary(), nullable=False),
    sa.Column('photo_ct', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', civicid.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_persons')),
    sa.UniqueConstraint('id_number_index', name=op.f('uq_registry_persons_id_number_index'))
    )
    op.create_table('verification_challenges',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('partner_id', sa.String(length=36), nullable=False),
    sa.Column('actions', sa.String(length=64), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('expires_at', civicid.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_verification_challenges_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_challenges'))
    )
    op.create_table('verifications',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('partner_id', sa.String(length=36), nullable=False),
    sa.Column('citizen_id', sa.String(length=36), nullable=True),
    sa.Column('result', sa.String(length=32), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('created_at', civicid.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_verifications_partner_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verifications'))
    )
    with op.batch_alter_table('verifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verifications_citizen_id'), ['citizen_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_verifications_partner_id'), ['partner_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('verifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verifications_partner_id'))
        batch_op.drop_index(batch_op.f('ix_verifications_citizen_id'))

    op.drop_table('verifications')
    op.drop_table('verification_challenges')
    op.drop_table('registry_persons')
    op.drop_table('partners')
    op.drop_table('enrolment_sessions')
    with op.batch_alter_table('data_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_keys_kek_id'))

    op.drop_table('data_keys')
    op.drop_table('citizens')
    with op.batch_alter_table('citizen_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_citizen_sessions_citizen_id'))

    op.drop_table('citizen_sessions')
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_attempts_scope_key_at')

    op.drop_table('attempts')
