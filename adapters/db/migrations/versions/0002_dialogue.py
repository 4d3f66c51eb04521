"""dialogue: conversation state, per-user locks, transcripts, unanswered questions, review wishes

Revision ID: 0002_dialogue
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_dialogue"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dialogue_state",
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_dialogue_state"),
    )
    op.create_table(
        "dialogue_locks",
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_dialogue_locks"),
    )
    op.create_table(
        "transcripts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_key", sa.String(300), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("intent", sa.String(100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("replies", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_transcripts"),
    )
    op.create_index("ix_transcripts_user_key", "transcripts", ["user_key"])
    op.create_table(
        "unanswered_questions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_key", sa.String(300), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("handled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_unanswered_questions"),
    )
    op.create_table(
        "review_wishes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_key", sa.String(300), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_review_wishes"),
    )


def downgrade() -> None:
    op.drop_table("review_wishes")
    op.drop_table("unanswered_questions")
    op.drop_index("ix_transcripts_user_key", table_name="transcripts")
    op.drop_table("transcripts")
    op.drop_table("dialogue_locks")
    op.drop_table("dialogue_state")
