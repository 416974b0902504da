"""account keys recomputed: punctuation, "&" and legal suffixes (Inc., Ltda., S.A., GmbH…) no longer count

Two sponsorships whose accounts now share a key ("Acme Corp" and "Acme Corp.") become one:
the latest enrolment is kept.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from assistant.domain.accounts import account_key

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def _rekey(table: sa.TableClause, rows: Sequence[sa.Row]) -> None:
    connection = op.get_bind()
    changed = [{'row_id': row_id, 'key': account_key(name)} for row_id, name, key in rows if account_key(name) != key]
    for start in range(0, len(changed), BATCH):
        connection.execute(
            table.update().where(table.c.id == sa.bindparam('row_id')).values(account_key=sa.bindparam('key')),
            changed[start : start + BATCH],
        )


def upgrade() -> None:
    connection = op.get_bind()
    def columns() -> tuple[sa.ColumnClause, ...]:
        return sa.column('id', sa.Integer), sa.column('account_name', sa.String), sa.column('account_key', sa.String)

    escalation = sa.table('escalation', *columns())
    sponsorship = sa.table('sponsorship', *columns(), sa.column('enrolled_at', sa.DateTime))

    sponsorships = connection.execute(
        sa.select(sponsorship.c.id, sponsorship.c.account_name, sponsorship.c.account_key)
        .order_by(sponsorship.c.enrolled_at.desc(), sponsorship.c.id.desc())
    ).all()
    kept: set[str] = set()
    superseded = []
    for row_id, name, _ in sponsorships:
        key = account_key(name)
        if key in kept:
            superseded.append(row_id)
        kept.add(key)
    if superseded:
        connection.execute(sponsorship.delete().where(sponsorship.c.id.in_(superseded)))
    _rekey(sponsorship, [row for row in sponsorships if row[0] not in set(superseded)])
    _rekey(escalation, connection.execute(
        sa.select(escalation.c.id, escalation.c.account_name, escalation.c.account_key)
    ).all())


def downgrade() -> None:
    # The old keys were a coarser fold of the same names; the new ones stay valid for them.
    pass
