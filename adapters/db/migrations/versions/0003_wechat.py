"""wechat: delivery dedup records and the shared access token

Revision ID: 0003_wechat
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_wechat"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wechat_deliveries",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_wechat_deliveries"),
    )
    op.create_index("ix_wechat_deliveries_created_at", "wechat_deliveries", ["created_at"])
    op.create_table(
        "wechat_tokens",
        sa.Column("appid", sa.String(64), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("lease_owner", sa.String(64), nullable=False),
        sa.Column("lease_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("appid", name="pk_wechat_tokens"),
    )


def downgrade() -> None:
    op.drop_table("wechat_tokens")
    op.drop_index("ix_wechat_deliveries_created_at", table_name="wechat_deliveries")
    op.drop_table("wechat_deliveries")
