"""Customer contacts and communications: the customer is a real end of the case

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from assistant.models import UTCDateTime

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('escalation') as batch:
        batch.add_column(sa.Column('promises_delivered_late', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('customer_heard_at', UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('connect_channel_id', sa.String(32), nullable=True))
        batch.add_column(sa.Column('connect_channel_name', sa.String(80), nullable=True))
    op.create_table(
        'customer_contact',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('escalation_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(120), nullable=False),
        sa.Column('email', sa.String(254), nullable=False),
        sa.Column('role', sa.String(80), nullable=False),
        sa.Column('locale', sa.String(10), nullable=False),
        sa.Column('tz', sa.String(64), nullable=False),
        sa.Column('added_by', sa.String(32), nullable=True),
        sa.Column('added_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['escalation_id'], ['escalation.id'], name='fk_customer_contact_escalation_id_escalation'),
        sa.PrimaryKeyConstraint('id', name='pk_customer_contact'),
        sa.UniqueConstraint('escalation_id', 'email', name='uq_customer_contact_escalation_id_email'),
    )
    op.create_index('ix_customer_contact_escalation_id', 'customer_contact', ['escalation_id'])
    op.create_table(
        'customer_communication',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('escalation_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(20), nullable=False),
        sa.Column('channel', sa.String(20), nullable=False),
        sa.Column('recipients', sa.JSON(), nullable=False),
        sa.Column('subject', sa.String(300), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('language', sa.String(10), nullable=False),
        sa.Column('tz', sa.String(64), nullable=False),
        sa.Column('sent_by', sa.String(32), nullable=False),
        sa.Column('how', sa.String(200), nullable=False),
        sa.Column('queued_at', UTCDateTime(), nullable=False),
        sa.Column('keeps_promise_at', UTCDateTime(), nullable=True),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('next_attempt_at', UTCDateTime(), nullable=True),
        sa.Column('claimed_by', sa.String(64), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('delivered_at', UTCDateTime(), nullable=True),
        sa.Column('last_error', sa.String(300), nullable=True),
        sa.Column('message_id', sa.String(200), nullable=True),
        sa.Column('failure_told_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['escalation_id'], ['escalation.id'], name='fk_customer_communication_escalation_id_escalation'),
        sa.PrimaryKeyConstraint('id', name='pk_customer_communication'),
    )
    op.create_index('ix_customer_communication_escalation_id', 'customer_communication', ['escalation_id'])
    op.create_index('ix_customer_communication_state_next', 'customer_communication', ['state', 'next_attempt_at'])


def downgrade() -> None:
    op.drop_table('customer_communication')
    op.drop_table('customer_contact')
    with op.batch_alter_table('escalation') as batch:
        batch.drop_column('connect_channel_name')
        batch.drop_column('connect_channel_id')
        batch.drop_column('customer_heard_at')
        batch.drop_column('promises_delivered_late')
