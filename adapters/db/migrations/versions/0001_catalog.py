"""catalog: items, situations, materials, faqs, bundles, halls, synonyms, revision

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODE = sa.String(200)


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("code", CODE, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("department", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("level", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("conditions", sa.Text(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("legal_days", sa.Integer(), nullable=True),
        sa.Column("promised_days", sa.Integer(), nullable=True),
        sa.Column("fee", sa.Text(), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=True),
        sa.Column("max_visits", sa.Integer(), nullable=True),
        sa.Column("where", sa.Text(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.JSON(), nullable=False),
        sa.Column("name_bo", sa.Text(), nullable=True),
        sa.Column("group", sa.Text(), nullable=True),
        sa.Column("area_code", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("code", name="pk_items"),
    )
    op.create_table(
        "situations",
        sa.Column("item_code", CODE, nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("ask", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["item_code"], ["items.code"], name="fk_situations_item_code_items", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_code", "key", name="pk_situations"),
    )
    op.create_table(
        "situation_options",
        sa.Column("item_code", CODE, nullable=False),
        sa.Column("situation_key", sa.String(100), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_code", "situation_key"],
            ["situations.item_code", "situations.key"],
            name="fk_situation_options_situations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_code", "situation_key", "key", name="pk_situation_options"),
    )
    op.create_table(
        "materials",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_code", CODE, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("form", sa.String(20), nullable=False),
        sa.Column("copies", sa.Integer(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("when", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["item_code"], ["items.code"], name="fk_materials_item_code_items", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_materials"),
    )
    op.create_index("ix_materials_item_code", "materials", ["item_code"])
    op.create_table(
        "faqs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_code", CODE, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["item_code"], ["items.code"], name="fk_faqs_item_code_items", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_faqs"),
    )
    op.create_index("ix_faqs_item_code", "faqs", ["item_code"])
    op.create_table(
        "bundles",
        sa.Column("code", CODE, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("name_bo", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("code", name="pk_bundles"),
    )
    op.create_table(
        "bundle_items",
        sa.Column("bundle_code", CODE, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_code", CODE, nullable=False),
        sa.ForeignKeyConstraint(["bundle_code"], ["bundles.code"], name="fk_bundle_items_bundle_code_bundles", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_code"], ["items.code"], name="fk_bundle_items_item_code_items"),
        sa.PrimaryKeyConstraint("bundle_code", "position", name="pk_bundle_items"),
    )
    op.create_index("ix_bundle_items_item_code", "bundle_items", ["item_code"])
    op.create_table(
        "halls",
        sa.Column("code", CODE, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("county", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=False),
        sa.Column("hours", sa.Text(), nullable=False),
        sa.Column("bilingual", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_halls"),
    )
    op.create_table(
        "synonyms",
        sa.Column("term", sa.String(200), nullable=False),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("term", name="pk_synonyms"),
    )
    op.create_table(
        "catalog_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_revision"),
    )


def downgrade() -> None:
    for table in (
        "catalog_revision", "synonyms", "halls", "bundle_items", "bundles", "faqs",
        "materials", "situation_options", "situations", "items",
    ):
        op.drop_table(table)
