"""unanswered questions: the option a citizen picked when search was unsure

A question search could only answer with options, and the item the citizen then tapped,
is the phrasing staff should teach the catalog (an alias or a synonym) so that the next
citizen gets the answer at once; it is kept beside the questions nothing fitted.

Revision ID: 0006_chosen
Revises: 0005_merge
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_chosen"
down_revision: str | Sequence[str] | None = "0005_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("unanswered_questions") as batch:
        batch.add_column(sa.Column("chosen", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("unanswered_questions") as batch:
        batch.drop_column("chosen")
