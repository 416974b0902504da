"""cases, provisioning steps and the timeline

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import assistant.models


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "escalation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=True),
        sa.Column("account_name", sa.String(length=200), nullable=False),
        sa.Column("account_value", sa.BigInteger(), nullable=True),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("triggers", sa.JSON(), nullable=False),
        sa.Column("is_private", sa.Boolean(), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("reporter_id", sa.String(length=32), nullable=False),
        sa.Column("stakeholder_ids", sa.JSON(), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "created_at", assistant.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", assistant.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "ack_due_at", assistant.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("channel_name", sa.String(length=80), nullable=True),
        sa.Column("requested_channel_name", sa.String(length=80), nullable=True),
        sa.Column("card_ts", sa.String(length=32), nullable=True),
        sa.Column("intake_view_id", sa.String(length=64), nullable=True),
        sa.Column("origin_channel_id", sa.String(length=32), nullable=True),
        sa.Column("reply_url", sa.String(length=500), nullable=True),
        sa.Column(
            "provisioning_lease_until",
            assistant.models.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation")),
        sa.UniqueConstraint(
            "intake_view_id", name=op.f("uq_escalation_intake_view_id")
        ),
    )
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_escalation_owner_id"), ["owner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_escalation_reporter_id"), ["reporter_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_escalation_status"), ["status"], unique=False
        )

    op.create_table(
        "case_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("at", assistant.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalation.id"],
            name=op.f("fk_case_event_escalation_id_escalation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_event")),
    )
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_event_escalation_id"), ["escalation_id"], unique=False
        )

    op.create_table(
        "provisioning_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column(
            "done_at", assistant.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "last_attempt_at",
            assistant.models.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalation.id"],
            name=op.f("fk_provisioning_step_escalation_id_escalation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provisioning_step")),
        sa.UniqueConstraint(
            "escalation_id",
            "step",
            name=op.f("uq_provisioning_step_escalation_id_step"),
        ),
    )
    with op.batch_alter_table("provisioning_step", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_provisioning_step_escalation_id"),
            ["escalation_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("provisioning_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provisioning_step_escalation_id"))

    op.drop_table("provisioning_step")
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_event_escalation_id"))

    op.drop_table("case_event")
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalation_status"))
        batch_op.drop_index(batch_op.f("ix_escalation_reporter_id"))
        batch_op.drop_index(batch_op.f("ix_escalation_owner_id"))

    op.drop_table("escalation")
