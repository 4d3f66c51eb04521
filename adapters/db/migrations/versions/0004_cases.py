"""cases and reviews: case records, bindings, attempts, activity, pushes, reviews, rectifications

Revision ID: 0004_cases
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_cases"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODE = sa.String(200)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("item_code", CODE, nullable=False),
        sa.Column("applicant_name", sa.Text(), nullable=False),
        sa.Column("hall_code", CODE, nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("promised_date", sa.Date(), nullable=True),
        sa.Column("phone_digest", sa.String(64), nullable=False),
        sa.Column("id_digest", sa.String(64), nullable=False),
        sa.Column("query_digest", sa.String(64), nullable=False),
        sa.Column("completed_at", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("number", name="pk_cases"),
    )
    op.create_index("ix_cases_completed_at", "cases", ["completed_at"])
    op.create_table(
        "case_bindings",
        sa.Column("user_key", sa.String(200), nullable=False),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("bound_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("user_key", "number", name="pk_case_bindings"),
    )
    op.create_index("ix_case_bindings_number", "case_bindings", ["number"])
    op.create_table(
        "case_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_key", sa.String(200), nullable=False),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_case_attempts"),
    )
    op.create_index("ix_case_attempts_user_key", "case_attempts", ["user_key"])
    op.create_index("ix_case_attempts_number", "case_attempts", ["number"])
    op.create_table(
        "user_activity",
        sa.Column("user_key", sa.String(200), nullable=False),
        sa.Column("last_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("user_key", name="pk_user_activity"),
    )
    op.create_table(
        "push_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_key", sa.String(200), nullable=False),
        sa.Column("topic", sa.String(300), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Integer(), nullable=True),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_push_deliveries"),
    )
    op.create_index("ix_push_deliveries_user_key", "push_deliveries", ["user_key"])
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("target_kind", sa.String(20), nullable=False),
        sa.Column("target_id", sa.String(200), nullable=False),
        sa.Column("rater", sa.String(200), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("revised_level", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("item_code", CODE, nullable=False),
        sa.Column("department", sa.Text(), nullable=False),
        sa.Column("hall_code", CODE, nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reviews"),
        sa.UniqueConstraint("target_kind", "target_id", "rater", name="uq_reviews_target"),
    )
    op.create_index("ix_reviews_at", "reviews", ["at"])
    op.create_table(
        "review_invitations",
        sa.Column("target_kind", sa.String(20), nullable=False),
        sa.Column("target_id", sa.String(200), nullable=False),
        sa.Column("rater", sa.String(200), nullable=False),
        sa.Column("item_code", CODE, nullable=False),
        sa.Column("hall_code", CODE, nullable=False),
        sa.Column("invited_at", sa.Float(), nullable=False),
        sa.Column("reminded_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("target_kind", "target_id", "rater", name="pk_review_invitations"),
    )
    op.create_table(
        "rectifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("department", sa.Text(), nullable=False),
        sa.Column("item_code", CODE, nullable=False),
        sa.Column("hall_code", CODE, nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("opened_at", sa.Float(), nullable=False),
        sa.Column("rectified_at", sa.Float(), nullable=True),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["review_id"], ["reviews.id"], name="fk_rectifications_review_id_reviews", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_rectifications"),
        sa.UniqueConstraint("review_id", name="uq_rectifications_review_id"),
    )


def downgrade() -> None:
    for table in (
        "rectifications", "review_invitations", "reviews", "push_deliveries", "user_activity",
        "case_attempts", "case_bindings", "cases",
    ):
        op.drop_table(table)
