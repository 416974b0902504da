"""Webhooks out: subscriptions, and the outbox of deliveries written with each case event

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from assistant.models import UTCDateTime

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'webhook_subscription',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(500), nullable=False),
        sa.Column('events', sa.JSON(), nullable=False),
        sa.Column('secret', sa.String(100), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('failing_since', UTCDateTime(), nullable=True),
        sa.Column('disabled_at', UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name='pk_webhook_subscription'),
    )
    op.create_table(
        'webhook_delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('escalation_id', sa.Integer(), nullable=False),
        sa.Column('body', sa.JSON(), nullable=False),
        sa.Column('next_attempt_at', UTCDateTime(), nullable=False),
        sa.Column('claimed_by', sa.String(64), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('delivered_at', UTCDateTime(), nullable=True),
        sa.Column('last_status', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(['event_id'], ['case_event.id'], name='fk_webhook_delivery_event_id_case_event'),
        sa.ForeignKeyConstraint(
            ['subscription_id'], ['webhook_subscription.id'], name='fk_webhook_delivery_subscription_id_webhook_subscription'
        ),
        sa.PrimaryKeyConstraint('id', name='pk_webhook_delivery'),
        sa.UniqueConstraint('event_id', 'subscription_id', name='uq_webhook_delivery_event_id_subscription_id'),
    )
    op.create_index('ix_webhook_delivery_due', 'webhook_delivery', ['delivered_at', 'next_attempt_at'])
    op.create_index('ix_webhook_delivery_order', 'webhook_delivery', ['subscription_id', 'escalation_id', 'event_id'])


def downgrade() -> None:
    op.drop_table('webhook_delivery')
    op.drop_table('webhook_subscription')
