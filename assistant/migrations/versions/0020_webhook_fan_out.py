"""Hot paths (issue 26): an event's webhook deliveries are written by the sender, not by the
change (case_event.webhooks_owed marks the events not yet handed out); a case opened by the API
keeps the hash of its request, the Idempotency-Key's record

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'case_event',
        sa.Column('webhooks_owed', sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_index(
        'ix_case_event_webhooks_owed',
        'case_event',
        ['id'],
        postgresql_where=sa.text('webhooks_owed'),
        sqlite_where=sa.text('webhooks_owed'),
    )
    op.add_column('escalation', sa.Column('intake_fingerprint', sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column('escalation', 'intake_fingerprint')
    op.drop_index('ix_case_event_webhooks_owed', table_name='case_event')
    op.drop_column('case_event', 'webhooks_owed')
