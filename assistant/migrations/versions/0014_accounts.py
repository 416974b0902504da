"""The account directory (accounts, their ids in other systems, their health history, signals, the
judgement tier's questions) and the API's tokens

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from assistant.models import UTCDateTime

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'account',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('key', sa.String(150), nullable=False),
        sa.Column('aliases', sa.JSON(), nullable=False),
        sa.Column('domains', sa.JSON(), nullable=False),
        sa.Column('external_ids', sa.JSON(), nullable=False),
        sa.Column('contract_value', sa.BigInteger(), nullable=True),
        sa.Column('currency', sa.String(3), nullable=True),
        sa.Column('tier', sa.String(40), nullable=True),
        sa.Column('renewal_on', sa.Date(), nullable=True),
        sa.Column('region', sa.String(40), nullable=True),
        sa.Column('tz', sa.String(64), nullable=True),
        sa.Column('language', sa.String(10), nullable=True),
        sa.Column('csm_id', sa.String(32), nullable=True),
        sa.Column('sponsor_id', sa.String(32), nullable=True),
        sa.Column('connect_channel_id', sa.String(32), nullable=True),
        sa.Column('contacts', sa.JSON(), nullable=False),
        sa.Column('health', sa.Integer(), nullable=True),
        sa.Column('needs_review', sa.Boolean(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_account'),
        sa.UniqueConstraint('key', name='uq_account_key'),
    )
    op.create_table(
        'account_external_id',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('system', sa.String(40), nullable=False),
        sa.Column('value', sa.String(120), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], name='fk_account_external_id_account_id_account'),
        sa.PrimaryKeyConstraint('id', name='pk_account_external_id'),
        sa.UniqueConstraint('system', 'value', name='uq_account_external_id_system_value'),
    )
    op.create_index('ix_account_external_id_account_id', 'account_external_id', ['account_id'])
    op.create_table(
        'health_reading',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(40), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], name='fk_health_reading_account_id_account'),
        sa.PrimaryKeyConstraint('id', name='pk_health_reading'),
    )
    op.create_index('ix_health_reading_account_at', 'health_reading', ['account_id', 'at'])
    op.create_table(
        'account_signal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(32), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('detail', sa.String(200), nullable=False),
        sa.Column('source', sa.String(40), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], name='fk_account_signal_account_id_account'),
        sa.PrimaryKeyConstraint('id', name='pk_account_signal'),
    )
    op.create_index('ix_account_signal_account_at', 'account_signal', ['account_id', 'at'])
    op.create_table(
        'judgement_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('concern', sa.String(32), nullable=False),
        sa.Column('fingerprint', sa.String(120), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.Column('raised_at', UTCDateTime(), nullable=False),
        sa.Column('asked_at', UTCDateTime(), nullable=True),
        sa.Column('asked_user_id', sa.String(32), nullable=True),
        sa.Column('answer', sa.String(16), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('answered_by', sa.String(32), nullable=True),
        sa.Column('answered_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], name='fk_judgement_request_account_id_account'),
        sa.PrimaryKeyConstraint('id', name='pk_judgement_request'),
        sa.UniqueConstraint('account_id', 'fingerprint', name='uq_judgement_request_account_id_fingerprint'),
    )
    op.create_index('ix_judgement_request_account_id', 'judgement_request', ['account_id'])
    op.create_index('ix_judgement_request_asked_at', 'judgement_request', ['asked_at'])
    op.create_index('ix_judgement_request_answered_at', 'judgement_request', ['answered_at'])
    op.create_table(
        'api_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(80), nullable=False),
        sa.Column('token_hash', sa.String(64), nullable=False),
        sa.Column('scopes', sa.JSON(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('revoked_at', UTCDateTime(), nullable=True),
        sa.Column('last_used_at', UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name='pk_api_token'),
        sa.UniqueConstraint('name', name='uq_api_token_name'),
        sa.UniqueConstraint('token_hash', name='uq_api_token_token_hash'),
    )
    op.create_table(
        'api_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_id', sa.Integer(), nullable=False),
        sa.Column('key_hash', sa.String(64), nullable=False),
        sa.Column('path', sa.String(300), nullable=False),
        sa.Column('status', sa.Integer(), nullable=True),
        sa.Column('body', sa.JSON(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['token_id'], ['api_token.id'], name='fk_api_request_token_id_api_token'),
        sa.PrimaryKeyConstraint('id', name='pk_api_request'),
        sa.UniqueConstraint('token_id', 'key_hash', name='uq_api_request_token_id_key_hash'),
    )


def downgrade() -> None:
    op.drop_table('api_request')
    op.drop_table('api_token')
    op.drop_table('judgement_request')
    op.drop_table('account_signal')
    op.drop_table('health_reading')
    op.drop_table('account_external_id')
    op.drop_table('account')
