"""escalation.account_currency: the ISO currency of the contract value (DEFAULT_CURRENCY if not typed)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Values stored before were read as US dollars ("$120k").
    with op.batch_alter_table('escalation') as batch:
        batch.add_column(sa.Column('account_currency', sa.String(3), nullable=True))
    op.execute("UPDATE escalation SET account_currency = 'USD' WHERE account_value IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('escalation') as batch:
        batch.drop_column('account_currency')
