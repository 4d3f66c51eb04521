"""merge the dialogue, wechat and cases branches into one history

The three were written side by side on top of 0001; joining them gives one head again,
so a plain `alembic upgrade head` works and the next migration has one parent.

Revision ID: 0005_merge
Revises: 0002_dialogue, 0003_wechat, 0004_cases
Create Date: 2026-11-25
"""

from collections.abc import Sequence

revision: str = "0005_merge"
down_revision: str | Sequence[str] | None = ("0002_dialogue", "0003_wechat", "0004_cases")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
