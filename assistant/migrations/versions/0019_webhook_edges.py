"""Webhooks: a delivery that raised again and again is parked (never claimed again until a person
retries it); ids of removed subscriptions and deliveries are never given again (SQLite's
AUTOINCREMENT; PostgreSQL's sequences never reuse one)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from assistant.models import UTCDateTime

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK = 'fk_webhook_delivery_subscription_id_webhook_subscription'
SUBSCRIPTION_COLUMNS = 'id, url, events, secret, created_at, failing_since, disabled_at'


def upgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        op.add_column('webhook_delivery', sa.Column('parked_at', UTCDateTime(), nullable=True))
        return
    # AUTOINCREMENT is a table's own: both tables are made again. The subscriptions cannot be
    # dropped while deliveries refer to them (foreign keys are on: the implicit DELETE fails), so
    # the old table is renamed first (SQLite points the deliveries' reference at the new name),
    # the deliveries are made again referring to the new table, then the old one is dropped.
    op.rename_table('webhook_subscription', '_webhook_subscription_0018')
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
        sqlite_autoincrement=True,
    )
    op.execute(
        f'INSERT INTO webhook_subscription ({SUBSCRIPTION_COLUMNS}) '
        f'SELECT {SUBSCRIPTION_COLUMNS} FROM _webhook_subscription_0018'
    )
    with op.batch_alter_table(
        'webhook_delivery', recreate='always', table_kwargs={'sqlite_autoincrement': True}
    ) as batch:
        batch.drop_constraint(FK, type_='foreignkey')
        batch.create_foreign_key(FK, 'webhook_subscription', ['subscription_id'], ['id'])
        batch.add_column(sa.Column('parked_at', UTCDateTime(), nullable=True))
    op.drop_table('_webhook_subscription_0018')


def downgrade() -> None:
    # AUTOINCREMENT is kept: harmless to the schema before, and ids stay never reused.
    with op.batch_alter_table('webhook_delivery') as batch:
        batch.drop_column('parked_at')
