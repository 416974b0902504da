"""escalation.account_key: the account as one key however it is typed, for filters in SQL

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from assistant.domain.accounts import account_key

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('escalation') as batch:
        batch.add_column(sa.Column('account_key', sa.String(length=150), nullable=False, server_default=''))
    connection = op.get_bind()
    escalation = sa.table('escalation', sa.column('id', sa.Integer), sa.column('account_name', sa.String),
                          sa.column('account_key', sa.String))
    rows = connection.execute(sa.select(escalation.c.id, escalation.c.account_name)).all()
    for start in range(0, len(rows), 1000):
        connection.execute(
            escalation.update().where(escalation.c.id == sa.bindparam('case_id')).values(account_key=sa.bindparam('key')),
            [{'case_id': case_id, 'key': account_key(name)} for case_id, name in rows[start : start + 1000]],
        )
    op.create_index('ix_escalation_account_key', 'escalation', ['account_key'])


def downgrade() -> None:
    op.drop_index('ix_escalation_account_key', table_name='escalation')
    with op.batch_alter_table('escalation') as batch:
        batch.drop_column('account_key')
