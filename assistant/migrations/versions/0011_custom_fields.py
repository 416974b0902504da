"""escalation.custom_fields: answers to a team's own intake questions (JSON, by question id)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('escalation') as batch:
        batch.add_column(sa.Column('custom_fields', sa.JSON(), nullable=False, server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('escalation') as batch:
        batch.drop_column('custom_fields')
