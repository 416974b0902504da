"""Conversational and Slack-native (issue 24): Workflow Builder step runs, each done once and never left hanging

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from assistant.models import UTCDateTime

revision: str = '0030'
down_revision: str | None = '0029'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'workflow_step_run',
        sa.Column('execution_id', sa.String(length=64), primary_key=True),
        sa.Column('step', sa.String(length=64), nullable=False),
        sa.Column('started_at', UTCDateTime(), nullable=False),
        sa.Column('finished_at', UTCDateTime(), nullable=True),
        sa.Column('outcome', sa.String(length=16), nullable=True),
        sa.Column('outputs', sa.JSON(), nullable=False, server_default='{}'),
        sa.Column('error', sa.String(length=500), nullable=True),
    )
    op.create_index('ix_workflow_step_run_started_at', 'workflow_step_run', ['started_at'])
    # A personal reminder is one per request (a button pressed twice at once sets one).
    with op.batch_alter_table('personal_reminder') as batch:
        batch.add_column(sa.Column('request_key', sa.String(length=120), nullable=True))
        batch.create_unique_constraint('uq_personal_reminder_request_key', ['request_key'])


def downgrade() -> None:
    with op.batch_alter_table('personal_reminder') as batch:
        batch.drop_constraint('uq_personal_reminder_request_key', type_='unique')
        batch.drop_column('request_key')
    op.drop_table('workflow_step_run')
