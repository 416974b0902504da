"""An API request's Idempotency-Key bound to the request it was first used for: the fingerprint
(SHA-256 of its method, path and body) kept beside the key, so the key with another body is
refused instead of answered with the first request's answer

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Keys claimed before this have no fingerprint: they are compared by their route, as before.
    op.add_column('api_request', sa.Column('fingerprint', sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('api_request') as batch:
        batch.drop_column('fingerprint')
