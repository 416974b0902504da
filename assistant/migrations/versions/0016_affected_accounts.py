"""Several affected accounts per case; accounts found by their aliases and domains; an account's
Slack Connect channel by name

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from assistant.domain.accounts import account_key
from assistant.models import UTCDateTime

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'account_alias',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(150), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], name='fk_account_alias_account_id_account'),
        sa.PrimaryKeyConstraint('id', name='pk_account_alias'),
        sa.UniqueConstraint('account_id', 'key', name='uq_account_alias_account_id_key'),
    )
    op.create_index('ix_account_alias_key', 'account_alias', ['key'])
    op.create_table(
        'affected_account',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('escalation_id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('added_by', sa.String(32), nullable=True),
        sa.Column('added_at', UTCDateTime(), nullable=False),
        sa.Column('csm_told_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['escalation_id'], ['escalation.id'], name='fk_affected_account_escalation_id_escalation'),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], name='fk_affected_account_account_id_account'),
        sa.PrimaryKeyConstraint('id', name='pk_affected_account'),
        sa.UniqueConstraint('escalation_id', 'account_id', name='uq_affected_account_escalation_id_account_id'),
    )
    op.create_index('ix_affected_account_escalation_id', 'affected_account', ['escalation_id'])
    op.add_column('customer_communication', sa.Column('account_id', sa.Integer(), nullable=True))
    op.add_column('account', sa.Column('connect_channel_name', sa.String(80), nullable=True))
    # The aliases and domains already imported, folded like names.
    bind = op.get_bind()
    account = sa.table('account', sa.column('id', sa.Integer()), sa.column('aliases', sa.JSON()), sa.column('domains', sa.JSON()))
    alias = sa.table('account_alias', sa.column('account_id', sa.Integer()), sa.column('key', sa.String()))
    rows: list[dict[str, object]] = []
    for account_id, aliases, domains in bind.execute(sa.select(account.c.id, account.c.aliases, account.c.domains)):
        keys = {account_key(name) for name in [*(aliases or []), *(domains or [])]} - {''}
        rows.extend({'account_id': account_id, 'key': key} for key in sorted(keys))
    if rows:
        bind.execute(sa.insert(alias), rows)


def downgrade() -> None:
    op.drop_column('account', 'connect_channel_name')
    op.drop_column('customer_communication', 'account_id')
    op.drop_table('affected_account')
    op.drop_table('account_alias')
